//! Dataset names: one exchange's bars of one symbol at one interval.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use vela_core::types::Symbol;

use super::StoreError;
use crate::Interval;

/// One dataset of the store: `exchange/SYMBOL/interval`, e.g. `mexc/BTCUSDT/1m`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DatasetId {
    exchange: String,
    symbol: Symbol,
    interval: Interval,
}

impl DatasetId {
    /// A dataset name from its parts. The exchange is 1–32 characters of lower-case ASCII
    /// letters, digits, `_` or `-`; the symbol follows vela's symbol rules (upper-case
    /// letters and digits, as MEXC spells pairs).
    pub fn new(exchange: &str, symbol: &str, interval: Interval) -> Result<Self, StoreError> {
        let valid_exchange = !exchange.is_empty()
            && exchange.len() <= 32
            && exchange
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !valid_exchange {
            return Err(StoreError::BadName {
                name: exchange.to_owned(),
                problem: "an exchange name is 1-32 characters of a-z, 0-9, '_' or '-'".to_owned(),
            });
        }
        let symbol = Symbol::new(symbol).map_err(|e| StoreError::BadName {
            name: symbol.to_owned(),
            problem: e.to_string(),
        })?;
        Ok(Self {
            exchange: exchange.to_owned(),
            symbol,
            interval,
        })
    }

    /// The exchange, e.g. `mexc`.
    #[must_use]
    pub fn exchange(&self) -> &str {
        &self.exchange
    }

    /// The symbol, e.g. `BTCUSDT`.
    #[must_use]
    pub fn symbol(&self) -> &str {
        self.symbol.as_str()
    }

    /// The bar interval.
    #[must_use]
    pub fn interval(&self) -> Interval {
        self.interval
    }

    /// The same exchange and symbol at another interval.
    #[must_use]
    pub fn at(&self, interval: Interval) -> Self {
        Self {
            interval,
            ..self.clone()
        }
    }

    /// The dataset's directory under the store root:
    /// `bars/exchange=mexc/symbol=BTCUSDT/interval=1m` (Hive-style, so `DuckDB` reads the
    /// parts as columns). Calendar months are spelled `1mo` on disk, so `1M` and `1m` do not
    /// collide on case-insensitive file systems.
    #[must_use]
    pub fn dir(&self, root: &Path) -> PathBuf {
        root.join("bars")
            .join(format!("exchange={}", self.exchange))
            .join(format!("symbol={}", self.symbol.as_str()))
            .join(format!("interval={}", interval_dir_name(self.interval)))
    }

    /// The name of the dataset's SQL view: `mexc_btcusdt_1m` (`1mo` for calendar months).
    #[must_use]
    pub fn view_name(&self) -> String {
        format!(
            "{}_{}_{}",
            self.exchange.replace('-', "_"),
            self.symbol.as_str().to_ascii_lowercase(),
            interval_dir_name(self.interval).to_ascii_lowercase()
        )
    }
}

/// The interval as spelled in directory names (MEXC's name, but `1mo` for months).
#[must_use]
pub fn interval_dir_name(interval: Interval) -> &'static str {
    match interval {
        Interval::Month1 => "1mo",
        other => other.name(),
    }
}

/// The interval a directory name spells (see [`interval_dir_name`]).
#[must_use]
pub fn interval_from_dir_name(name: &str) -> Option<Interval> {
    if name == "1mo" {
        return Some(Interval::Month1);
    }
    name.parse().ok().filter(|i| *i != Interval::Month1)
}

impl fmt::Display for DatasetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}",
            self.exchange,
            self.symbol.as_str(),
            self.interval
        )
    }
}

impl FromStr for DatasetId {
    type Err = StoreError;

    /// Parses `exchange/SYMBOL/interval`, e.g. `mexc/BTCUSDT/1m`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |problem: &str| StoreError::BadName {
            name: s.to_owned(),
            problem: problem.to_owned(),
        };
        let mut parts = s.split('/');
        let (Some(exchange), Some(symbol), Some(interval), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad(
                "a dataset is named exchange/SYMBOL/interval, e.g. mexc/BTCUSDT/1m",
            ));
        };
        let interval: Interval = interval
            .parse()
            .map_err(|e: crate::IntervalError| bad(&e.to_string()))?;
        Self::new(exchange, symbol, interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let id: DatasetId = "mexc/BTCUSDT/1m".parse().unwrap();
        assert_eq!(id.to_string(), "mexc/BTCUSDT/1m");
        assert_eq!(id.view_name(), "mexc_btcusdt_1m");
        let month: DatasetId = "binance-us/ETHBTC/1M".parse().unwrap();
        assert_eq!(month.view_name(), "binance_us_ethbtc_1mo");
        assert!(month.dir(Path::new("/s")).ends_with("interval=1mo"));
    }

    #[test]
    fn bad_names_say_what_is_wrong() {
        for (name, says) in [
            ("mexc/BTCUSDT", "exchange/SYMBOL/interval"),
            ("mexc/BTCUSDT/1h", "unknown interval"),
            ("MEXC/BTCUSDT/1m", "exchange name"),
            ("mexc/btc-usdt/1m", "btc-usdt"),
            ("mexc/BTCUSDT/1m/x", "exchange/SYMBOL/interval"),
        ] {
            let err = name.parse::<DatasetId>().unwrap_err().to_string();
            assert!(err.contains(says), "{name}: {err}");
        }
    }

    #[test]
    fn directory_interval_names_are_distinct() {
        for interval in Interval::ALL {
            assert_eq!(
                interval_from_dir_name(interval_dir_name(interval)),
                Some(interval)
            );
        }
        assert_eq!(interval_from_dir_name("1M"), None);
    }
}
