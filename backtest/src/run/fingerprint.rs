//! A run's fingerprint (DESIGN.md §4): a hash of its configuration, a content hash of the
//! bars it read and a hash of its trade list. Same configuration and data in, same trades
//! hash out — on any machine, with any number of threads.
//!
//! - **config**: SHA-256 of a layout tag, the canonical `bot.toml` (the configuration
//!   serialised by [`BotConfig::to_toml_string`](vela_core::engine::BotConfig), so comments,
//!   key order and spelling of the file read do not matter), a zero byte, and the canonical
//!   `backtest.toml` without its `[output]` section (where a run is written is not what it
//!   is).
//! - **data**: vela-data's frame hash ([`frame_hash`](vela_data::store::frame_hash)) of the
//!   bars actually read, after the time range was applied.
//! - **trades**: SHA-256 of a layout tag, the number of trades, then per trade its symbol,
//!   side, entry and exit bar, time and price, quantity, fees, P&L (every `f64` as its
//!   little-endian bits) and exit reason.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vela_core::types::Side;
use vela_data::store::hex;

use crate::result::Trade;

const CONFIG_LAYOUT: &[u8] = b"vela-run-config-v1";
const TRADES_LAYOUT: &[u8] = b"vela-trades-v1";

/// The three hashes of a run, hex SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fingerprint {
    /// Hash of the configuration (bot and spec, without the output section).
    pub config: String,
    /// Content hash of the bars read.
    pub data: String,
    /// Hash of the trade list.
    pub trades: String,
}

impl Fingerprint {
    /// The inputs' id: the first 12 hex digits of SHA-256 over the config and data hashes.
    /// Run directories are named with it; equal ids mean equal inputs.
    #[must_use]
    pub fn inputs_id(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.config.as_bytes());
        hasher.update([0]);
        hasher.update(self.data.as_bytes());
        hex(&hasher.finalize())[..12].to_owned()
    }

    /// One line: `config <12 hex> data <12 hex> trades <12 hex>`.
    #[must_use]
    pub fn short(&self) -> String {
        format!(
            "config {} data {} trades {}",
            prefix(&self.config),
            prefix(&self.data),
            prefix(&self.trades)
        )
    }
}

fn prefix(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// The configuration hash of canonical `bot.toml` and `backtest.toml` texts.
#[must_use]
pub fn config_hash(bot_toml: &str, spec_toml: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(CONFIG_LAYOUT);
    hasher.update(bot_toml.as_bytes());
    hasher.update([0]);
    hasher.update(spec_toml.as_bytes());
    hex(&hasher.finalize())
}

/// The hash of a trade list (layout in the module docs).
#[must_use]
pub fn trades_hash(trades: &[Trade]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(TRADES_LAYOUT);
    hasher.update((trades.len() as u64).to_le_bytes());
    for t in trades {
        hasher.update(t.symbol.as_bytes());
        hasher.update([0, u8::from(t.side == Side::Buy)]);
        hasher.update((t.entry_bar as u64).to_le_bytes());
        hasher.update(t.entry_ts.to_le_bytes());
        hasher.update(t.entry_price.to_bits().to_le_bytes());
        hasher.update((t.exit_bar as u64).to_le_bytes());
        hasher.update(t.exit_ts.to_le_bytes());
        for value in [t.exit_price, t.quantity, t.fees, t.pnl] {
            hasher.update(value.to_bits().to_le_bytes());
        }
        hasher.update(t.exit_reason.name().as_bytes());
        hasher.update([0]);
    }
    hex(&hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::ExitReason;

    fn trade(pnl: f64) -> Trade {
        Trade {
            symbol: "BTCUSDT".into(),
            side: Side::Buy,
            entry_bar: 1,
            entry_ts: 60_000,
            entry_price: 100.0,
            exit_bar: 3,
            exit_ts: 180_000,
            exit_price: 101.0,
            quantity: 0.5,
            fees: 0.1,
            pnl,
            exit_reason: ExitReason::Signal,
        }
    }

    #[test]
    fn hashes_see_every_field_and_the_order() {
        let a = trades_hash(&[trade(1.0), trade(2.0)]);
        assert_eq!(a, trades_hash(&[trade(1.0), trade(2.0)]));
        assert_ne!(a, trades_hash(&[trade(2.0), trade(1.0)]));
        assert_ne!(a, trades_hash(&[trade(1.0)]));
        let mut stop = trade(1.0);
        stop.exit_reason = ExitReason::StopLoss;
        assert_ne!(trades_hash(&[trade(1.0)]), trades_hash(&[stop]));
        assert_eq!(a.len(), 64);
        // The empty list has a fixed hash, distinct from any other.
        assert_ne!(trades_hash(&[]), a);
    }

    #[test]
    fn config_hash_separates_the_files() {
        assert_ne!(config_hash("ab", "c"), config_hash("a", "bc"));
        let fp = Fingerprint {
            config: config_hash("a", "b"),
            data: "d".repeat(64),
            trades: trades_hash(&[]),
        };
        assert_eq!(fp.inputs_id().len(), 12);
        assert!(
            fp.short()
                .starts_with(&format!("config {}", &fp.config[..12]))
        );
    }
}
