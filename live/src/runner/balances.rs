//! The balance check of a live bot's reconciliation (fault-tests cases 15 and 18): after its
//! orders are settled, the exchange account must hold at least what the runner's live bots
//! together believe they hold of each asset this bot holds. An asset sold or withdrawn
//! outside vela would otherwise leave a strategy deciding on a position that is not there
//! (and its exits failing); such a bot is blocked with the amounts in the reason, and tries
//! again at each bar, so it resumes once the balance is back. More on the exchange than the
//! bots hold is normal: the account may hold assets of its own.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use rust_decimal::Decimal;
use vela_core::engine::BotId;

use super::RunnerError;
use super::bot::{Bot, Venue};

/// What each live bot of the runner holds, asset by asset (kept up to date as the bots
/// publish their status).
pub(super) type LiveHoldings = Arc<Mutex<BTreeMap<BotId, BTreeMap<String, Decimal>>>>;

impl Bot {
    /// Records the bot's holdings in the runner's ledger of live holdings.
    pub(super) fn record_holdings(&self, holdings: &BTreeMap<String, Decimal>) {
        if let Some(ledger) = &self.live_holdings {
            ledger
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(self.id().clone(), holdings.clone());
        }
    }

    /// Compares the exchange account's balances with what the live bots hold of each asset
    /// this bot holds.
    ///
    /// # Errors
    /// The account could not be asked, or it holds less than the bots.
    pub(super) async fn check_balances(&mut self) -> Result<(), RunnerError> {
        let (Venue::Live(venue), Some(ledger)) = (&self.venue, &self.live_holdings) else {
            return Ok(());
        };
        let own = self.holdings();
        if own.values().all(Decimal::is_zero) {
            return Ok(());
        }
        let held: BTreeMap<String, Decimal> = {
            let ledger = ledger.lock().unwrap_or_else(PoisonError::into_inner);
            own.keys()
                .map(|asset| {
                    let total = ledger
                        .iter()
                        .filter(|(bot, _)| *bot != self.id())
                        .filter_map(|(_, holdings)| holdings.get(asset))
                        .sum::<Decimal>()
                        + own.get(asset).copied().unwrap_or_default();
                    (asset.clone(), total)
                })
                .collect()
        };
        let bot = self.id().to_string();
        let fail = move |reason: String| RunnerError::Balance {
            bot: bot.clone(),
            reason,
        };
        let rest = Arc::clone(venue.rest());
        let account = rest
            .account()
            .await
            .map_err(|e| fail(format!("asking for the account's balances: {e}")))?;
        for (asset, needed) in held {
            let have: Decimal = account
                .balances
                .iter()
                .filter(|b| b.asset == asset)
                .map(|b| b.free + b.locked)
                .sum();
            if have < needed {
                let mine = own.get(&asset).copied().unwrap_or_default();
                return Err(fail(format!(
                    "the exchange account holds {have} {asset}, but the live bots hold {needed} \
                     (this bot {mine}): some was sold or withdrawn outside vela; the bot does \
                     not trade until the account holds it again"
                )));
            }
        }
        Ok(())
    }
}
