//! Lifecycle: instructions, the running-time limit, and pauses that end by themselves.

use super::{
    AlertCode, AlertLevel, BotState, Command, Control, Engine, EngineError, StateChange,
    StateReason,
};
use crate::strategy::StrategySpec;
use crate::types::Timestamp;

fn control_name(control: &Control) -> &'static str {
    match control {
        Control::Start => "start",
        Control::Pause => "pause",
        Control::Resume => "resume",
        Control::Stop { .. } => "stop",
        Control::Kill { .. } => "kill",
        Control::UpdateParams(_) => "update-params",
        Control::UpdateSettings(_) => "update-settings",
    }
}

impl Engine {
    /// Refuses instructions that do not apply, before anything changes.
    pub(super) fn check_control(
        &self,
        ts: Timestamp,
        control: &Control,
    ) -> Result<(), EngineError> {
        use BotState::{Created, Paused, Running, Stopped};
        let allowed = match control {
            Control::Start => matches!(self.state, Created | Stopped),
            Control::Pause => matches!(self.state, Running | Paused),
            Control::Resume => self.state == Paused,
            Control::Stop { .. } => matches!(self.state, Created | Running | Paused | Stopped),
            Control::Kill { .. } => true,
            Control::UpdateParams(_) | Control::UpdateSettings(_) => {
                matches!(self.state, Created | Paused | Stopped)
            }
        };
        if !allowed {
            return Err(EngineError::ControlNotAllowed {
                control: control_name(control),
                state: self.state,
            });
        }
        if let Control::UpdateParams(params) = control {
            let spec = StrategySpec::new(self.candidates[self.active].name.clone(), params.clone());
            self.registry.resolve(&spec)?;
        }
        if let Control::UpdateSettings(update) = control {
            self.check_settings(ts, update)?;
        }
        Ok(())
    }

    /// Carries out a checked instruction.
    pub(super) fn on_control(
        &mut self,
        ts: Timestamp,
        control: &Control,
    ) -> Result<(), EngineError> {
        match control {
            Control::Start => {
                self.started.get_or_insert(ts);
                self.set_state(ts, BotState::Running, StateReason::Manual);
            }
            Control::Pause => self.set_state(ts, BotState::Paused, StateReason::Manual),
            Control::Resume => {
                self.breaker.on_resume();
                let equity = self.equity_f64();
                self.limits.reset_peak(equity);
                self.set_state(ts, BotState::Running, StateReason::Manual);
            }
            Control::Stop { cancel_resting } => {
                if *cancel_resting {
                    self.cancel_everything();
                }
                self.set_state(ts, BotState::Stopped, StateReason::Manual);
            }
            Control::Kill { global } => {
                if self.state != BotState::Killed {
                    self.cancel_everything();
                    let reason = if *global {
                        StateReason::GlobalKill
                    } else {
                        StateReason::Manual
                    };
                    self.set_state(ts, BotState::Killed, reason);
                    let scope = if *global {
                        "global kill switch"
                    } else {
                        "kill switch"
                    };
                    self.alert(
                        ts,
                        AlertLevel::Critical,
                        AlertCode::Killed,
                        format!("{scope}: pending orders canceled, positions kept"),
                    );
                }
            }
            Control::UpdateParams(params) => {
                let spec =
                    StrategySpec::new(self.candidates[self.active].name.clone(), params.clone());
                self.strategy = self.registry.build(&spec)?;
                if self.active == 0 {
                    self.config.strategy = spec.clone();
                }
                self.candidates[self.active] = spec;
                self.alert(
                    ts,
                    AlertLevel::Info,
                    AlertCode::ParamsUpdated,
                    format!("{} parameters updated", self.candidates[self.active].name),
                );
            }
            Control::UpdateSettings(update) => self.apply_settings(ts, update),
        }
        Ok(())
    }

    /// Time-driven changes, checked on every event before it is handled: the running-time
    /// limit, and loss-limit pauses whose period has ended.
    #[inline(always)]
    pub(super) fn on_clock(&mut self, ts: Timestamp) {
        // Nothing ends by itself without a running-time limit or a pause: the common case
        // costs two tests here rather than a call.
        if self.config.running_time_ms.is_none() && self.state != BotState::Paused {
            return;
        }
        self.on_clock_now(ts);
    }

    /// [`Engine::on_clock`] when a running-time limit is set or the bot is paused.
    fn on_clock_now(&mut self, ts: Timestamp) {
        if let (Some(started), Some(limit)) = (self.started, self.config.running_time_ms)
            && matches!(self.state, BotState::Running | BotState::Paused)
            && ts >= started.plus_millis(limit)
        {
            self.cancel_resting();
            self.set_state(ts, BotState::Stopped, StateReason::RunningTimeElapsed);
            self.alert(
                ts,
                AlertLevel::Info,
                AlertCode::RunningTimeElapsed,
                format!("running time of {limit} ms elapsed"),
            );
            return;
        }
        if self.state == BotState::Paused
            && let Some(until) = self.pause_reason.and_then(StateReason::resumes_at)
            && ts >= until
        {
            self.set_state(ts, BotState::Running, StateReason::LimitPeriodEnded);
            self.alert(
                ts,
                AlertLevel::Info,
                AlertCode::LimitPeriodEnded,
                "loss-limit period ended: trading again",
            );
        }
    }

    pub(super) fn set_state(&mut self, ts: Timestamp, to: BotState, reason: StateReason) {
        let from = self.state;
        self.state = to;
        self.pause_reason = if to == BotState::Running {
            None
        } else {
            Some(reason)
        };
        self.out.push(Command::State(StateChange {
            ts,
            from,
            to,
            reason,
        }));
    }

    /// Cancels every open order, symbol by symbol.
    fn cancel_everything(&mut self) {
        for symbol in self.symbols_with_open_orders() {
            self.out.push(Command::CancelAll { symbol });
        }
    }

    /// Cancels the orders that can rest on the book (IOC, FOK and market orders end by
    /// themselves).
    fn cancel_resting(&mut self) {
        let resting: Vec<_> = self
            .orders
            .values()
            .filter(|o| o.request.order_type.can_rest())
            .map(|o| (o.request.symbol.clone(), o.request.client_id.clone()))
            .collect();
        for (symbol, client_id) in resting {
            self.out.push(Command::Cancel { symbol, client_id });
        }
    }
}
