//! What a bot shows: its status (state, equity, holdings, why it is blocked) published
//! after every bar time and instruction, its P&L snapshots, and the announcements of its
//! orders and alerts.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use vela_core::engine::{AlertLevel, BotState, Command};
use vela_core::types::Timestamp;

use super::{Bot, BotStatus, RunnerEvent, Staged, Venue};
use crate::journal::PnlSnapshot;

impl Bot {
    /// What the bot holds, asset by asset (its open positions).
    pub(in crate::runner) fn holdings(&self) -> BTreeMap<String, Decimal> {
        self.engine
            .wallet()
            .positions()
            .iter()
            .filter(|(_, p)| !p.is_flat())
            .map(|(asset, p)| (asset.to_string(), p.quantity()))
            .collect()
    }

    /// Whether it trades on the exchange (live mode).
    pub(in crate::runner) fn is_live(&self) -> bool {
        matches!(self.venue, Venue::Live(_))
    }

    pub(in crate::runner) fn publish_status(&self) {
        self.publish_status_with(|_| {});
    }

    /// Publishes the engine's state, equity and holdings together with `also`'s changes,
    /// as one change of the status.
    pub(super) fn publish_status_with(&self, also: impl FnOnce(&mut BotStatus)) {
        let state = self.engine.state();
        let equity = self.engine.equity();
        let realized = self.engine.wallet().realized_pnl();
        let holdings = self.holdings();
        self.record_holdings(&holdings);
        self.status.send_modify(|s| {
            s.state = state;
            s.equity = equity;
            s.realized = realized;
            s.holdings = holdings;
            also(s);
        });
        if let Some(events) = self.events.as_ref().filter(|e| e.has_subscribers()) {
            events.send(RunnerEvent::Status {
                bot: self.id.to_string(),
                status: Box::new(self.status.borrow().clone()),
            });
        }
    }

    /// Stages the P&L at bar time `ts`: equity = budget + realised + unrealised; fees are
    /// those paid in the budget asset.
    pub(super) fn stage_pnl(&mut self, ts: Timestamp) {
        let wallet = self.engine.wallet();
        let equity = self.engine.equity();
        let realized = wallet.realized_pnl();
        self.staged.push(Staged::Pnl(PnlSnapshot {
            ts,
            equity,
            realized,
            unrealized: equity - wallet.budget() - realized,
            fees: wallet
                .fees()
                .get(wallet.asset())
                .copied()
                .unwrap_or_default(),
        }));
    }

    /// Marks the bot as not trading for `reason` (shown in its status, and an alert when it
    /// starts), or clears it.
    pub(in crate::runner) fn set_blocked(&self, reason: Option<String>) {
        let newly = reason.is_some() && self.status.borrow().blocked.is_none();
        if newly && let (Some(events), Some(reason)) = (&self.events, &reason) {
            events.send(RunnerEvent::alert(
                Some(&self.id),
                AlertLevel::Critical,
                "reconciliation",
                format!("not trading: {reason}"),
            ));
        }
        self.status.send_modify(|s| s.blocked = reason);
    }

    /// Announces the alerts, state changes and rotations among `commands`.
    pub(super) fn announce_commands(&self, commands: &[Command]) {
        let Some(events) = &self.events else {
            return;
        };
        for command in commands {
            let event = match command {
                Command::Alert(alert) => RunnerEvent::alert(
                    Some(&self.id),
                    alert.level,
                    &serde_json::to_value(alert.code)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_else(|| format!("{:?}", alert.code)),
                    alert.message.clone(),
                ),
                Command::State(change) => RunnerEvent::alert(
                    Some(&self.id),
                    if change.to == BotState::Running {
                        AlertLevel::Info
                    } else {
                        AlertLevel::Warning
                    },
                    "state",
                    format!("{:?} -> {:?}: {:?}", change.from, change.to, change.reason),
                ),
                Command::Rotated {
                    from, to, reason, ..
                } => RunnerEvent::alert(
                    Some(&self.id),
                    AlertLevel::Warning,
                    "rotation",
                    format!("{from} -> {to}: {reason}"),
                ),
                _ => continue,
            };
            events.send(event);
        }
    }

    /// Whether the bot is blocked.
    pub(in crate::runner) fn blocked(&self) -> bool {
        self.status.borrow().blocked.is_some()
    }
}
