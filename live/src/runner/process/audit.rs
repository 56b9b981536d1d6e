//! The runner's audit of the exchange account for open orders no bot placed (fault-tests
//! case 16): made by hand on the exchange, by another program on the same account, or
//! — an **orphan** — carrying a bot's client order id that the journal does not hold. Each
//! is always reported (an alert, the log, [`Runner::unknown_orders`] and the API); with
//! `[reconcile] unknown_orders = "cancel"` it is also cancelled. It is never fed to a bot:
//! a bot's engine only knows what it decided itself.
//!
//! The audit runs when the runner starts (after the live bots reconciled), whenever a live
//! bot is added, and every `[reconcile] audit_every_secs` (5 minutes by default); an order
//! found again with the same outcome is not alerted twice. An order a bot sends meanwhile is not mistaken for an unknown one:
//! its intent is in the journal before it is sent, and the journal is asked after the
//! exchange.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::Serialize;
use vela_core::engine::AlertLevel;
use vela_core::types::Symbol;

use super::{Runner, read};
use crate::journal::BotMode;
use crate::rest::OrderRef;
use crate::rest::model::OrderInfo;
use crate::runner::RunnerError;
use crate::runner::bot::RunnerEvent;
use crate::runner::config::UnknownOrderPolicy;

/// An open order on the exchange that no bot of this journal placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnknownOrder {
    /// Its symbol.
    pub symbol: String,
    /// The exchange's order id.
    pub order_id: String,
    /// Its client order id, if it has one.
    pub client_id: Option<String>,
    /// `BUY` or `SELL`.
    pub side: String,
    /// Its limit price (none for a market order).
    pub price: Option<Decimal>,
    /// Its quantity (none for a quote-amount market order).
    pub quantity: Option<Decimal>,
    /// How much of it has filled.
    pub executed: Decimal,
    /// `external` (not one of this journal's bots' client order ids) or `orphan` (a bot's
    /// client order id the journal does not hold).
    pub kind: String,
    /// `reported`, `cancelled`, or `cancel failed: <why>` (it is then still open).
    pub action: String,
}

impl Runner {
    /// Looks on every live bot's symbols for open orders no bot of this journal placed,
    /// reports each (and cancels it when `[reconcile] unknown_orders = "cancel"`). Returns
    /// what it found this time; [`Runner::unknown_orders`] keeps the latest finding per
    /// order.
    ///
    /// # Errors
    /// The exchange or the journal could not be asked.
    pub async fn audit_open_orders(&self) -> Result<Vec<UnknownOrder>, RunnerError> {
        let shared = &self.shared;
        let symbols: BTreeSet<Symbol> = read(&shared.bots)
            .values()
            .filter(|slot| slot.spec.mode == BotMode::Live)
            .flat_map(|slot| slot.spec.bot.instruments.iter().map(|i| i.symbol.clone()))
            .collect();
        if symbols.is_empty() {
            return Ok(Vec::new());
        }
        let bots: Vec<String> = shared
            .journal
            .call(|j| j.bots())
            .await?
            .into_iter()
            .map(|record| record.id.to_string())
            .collect();
        let policy = shared.config.reconcile.unknown_orders;
        // What earlier audits reported (order and outcome): not alerted again.
        let reported: BTreeSet<(String, String)> = self
            .unknown_orders()
            .into_iter()
            .map(|o| (o.order_id, o.action))
            .collect();
        let mut found = Vec::new();
        for symbol in &symbols {
            let open = shared
                .rest
                .open_orders(symbol.as_str())
                .await
                .map_err(|e| {
                    RunnerError::Exchange(format!("auditing the open orders of {symbol}: {e}"))
                })?;
            for info in open {
                let Some(kind) = self.classify(&info, &bots).await? else {
                    continue;
                };
                let action = match policy {
                    UnknownOrderPolicy::Report => "reported".to_owned(),
                    UnknownOrderPolicy::Cancel => {
                        let reference = OrderRef::OrderId(info.order_id.clone());
                        match shared.rest.cancel_order(&info.symbol, &reference).await {
                            Ok(_) => "cancelled".to_owned(),
                            Err(e) => format!("cancel failed: {e}"),
                        }
                    }
                };
                let order = UnknownOrder {
                    symbol: info.symbol.clone(),
                    order_id: info.order_id.clone(),
                    client_id: info.client_order_id.clone(),
                    side: info.side.as_str().to_owned(),
                    price: info.price,
                    quantity: info.orig_qty,
                    executed: info.executed_qty,
                    kind: kind.to_owned(),
                    action,
                };
                let message = format!(
                    "{} open order {} on {} ({} {} at {}, client id {}): {}",
                    order.kind,
                    order.order_id,
                    order.symbol,
                    order.side,
                    order
                        .quantity
                        .map_or_else(|| "?".to_owned(), |q| q.to_string()),
                    order
                        .price
                        .map_or_else(|| "market".to_owned(), |p| p.to_string()),
                    order.client_id.as_deref().unwrap_or("none"),
                    order.action
                );
                if reported.contains(&(order.order_id.clone(), order.action.clone())) {
                    tracing::debug!(%message, "an open order no bot placed, still there");
                } else {
                    tracing::warn!(%message, "an open order no bot placed");
                    shared.events.send(RunnerEvent::alert(
                        None,
                        AlertLevel::Warning,
                        "unknown_order",
                        message,
                    ));
                }
                found.push(order);
            }
        }
        let mut kept = shared
            .unknown_orders
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for order in &found {
            kept.retain(|o| o.order_id != order.order_id);
            kept.push(order.clone());
        }
        Ok(found)
    }

    /// The open orders the audits found that no bot placed, latest finding per order.
    #[must_use]
    pub fn unknown_orders(&self) -> Vec<UnknownOrder> {
        self.shared
            .unknown_orders
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// `None`: the journal holds the order (a bot placed it). Otherwise `orphan` when its
    /// client order id is one of `bots`' (`<bot>-<sequence>`), else `external`.
    async fn classify(
        &self,
        info: &OrderInfo,
        bots: &[String],
    ) -> Result<Option<&'static str>, RunnerError> {
        let Some(client_id) = info.client_order_id.clone().filter(|id| !id.is_empty()) else {
            return Ok(Some("external"));
        };
        let ours = bots.iter().any(|bot| {
            client_id
                .strip_prefix(bot.as_str())
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|seq| !seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit()))
        });
        let known = {
            let client_id = client_id.clone();
            self.shared
                .journal
                .call(move |j| j.order(&client_id))
                .await?
                .is_some()
        };
        Ok(match (known, ours) {
            (true, _) => None,
            (false, true) => Some("orphan"),
            (false, false) => Some("external"),
        })
    }
}
