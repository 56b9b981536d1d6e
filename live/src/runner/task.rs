//! A bot's task: its inputs one after the other (bars, the user stream's news, the
//! operator's instructions), a blocked bot reconciling before each bar.

use vela_core::types::{Bar, Symbol, Timestamp};

use super::RunnerError;
use super::bot::{Bot, BotInput, Venue};
use super::store::Commit;

impl Bot {
    /// The bot's task: inputs one after the other until its inbox closes.
    pub(super) async fn run(mut self) {
        while let Some(input) = self.next_input().await {
            match input {
                BotInput::Bar {
                    symbol,
                    bar,
                    received,
                } => {
                    self.bar_received = Some(received);
                    self.on_bar_input(symbol, bar).await;
                    self.bar_received = None;
                    self.status.send_modify(|s| s.bars_seen += 1);
                }
                BotInput::Control { control, reply } => {
                    let answer = self
                        .control(control)
                        .await
                        .map(|state| (state, Box::new(self.config().clone())))
                        .map_err(|e| e.to_string());
                    let _ = reply.send(answer);
                }
                BotInput::Resync => {}
                news @ (BotInput::Order(_) | BotInput::Deal(_)) => {
                    if matches!(self.venue, Venue::Live(_)) {
                        self.take(news);
                    }
                }
            }
        }
        if let Err(e) = self.flush(Commit::Now).await {
            tracing::error!(bot = %self.id(), error = %e, "journal write at exit failed");
        }
    }

    /// A completed bar: a blocked bot first tries to reconcile (and skips the bar if that
    /// fails again); an error blocks the bot.
    async fn on_bar_input(&mut self, symbol: Symbol, bar: Bar) {
        if self.blocked() {
            match self.reconcile().await {
                Ok(()) => self.set_blocked(None),
                Err(e) => {
                    self.set_blocked(Some(format!("reconciliation failed: {e}")));
                    return;
                }
            }
        }
        if let Err(e) = self.on_bar(symbol, bar).await {
            tracing::error!(bot = %self.id(), error = %e, "the bot stops trading");
            // What the engine handled before the error is still written.
            if let Err(e) = self.flush(Commit::Now).await {
                tracing::error!(bot = %self.id(), error = %e, "journal write failed");
            }
            self.set_blocked(Some(e.to_string()));
        }
    }

    /// Settles the working orders with the exchange at the bot's clock, then checks the
    /// account's balances (after a restart, or to lift a block).
    pub(super) async fn reconcile(&mut self) -> Result<(), RunnerError> {
        let clock = self.clock;
        if clock == Timestamp(i64::MIN) {
            return Ok(());
        }
        self.settle(clock).await?;
        self.flush(Commit::Now).await?;
        self.check_balances().await
    }
}
