//! The vectorised tier's configuration: costs, fill timing, stops, sizing, the instrument.
//!
//! Every rate is a fraction (`0.0005` is 0.05 %), slippage is in basis points. Checks run
//! once in [`VectorConfig::validate`] (called by [`Simulator::new`](super::Simulator::new));
//! errors name the parameter.

use vela_core::money::rounding::to_f64;
use vela_core::types::Instrument;

use super::error::VectorError;

/// When a signal decided at bar `i`'s close is filled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum FillTiming {
    /// At bar `i + 1`'s open (no fill when bar `i` is the last bar). The default.
    #[default]
    NextOpen,
    /// At bar `i`'s close: the idealisation that the order reaches the market at the very
    /// price the signal was computed from (optimistic; see the module docs).
    ThisClose,
}

impl From<vela_core::sim::FillTiming> for FillTiming {
    /// The simulated exchange's fill timing (what a backtest spec names) for this tier.
    fn from(timing: vela_core::sim::FillTiming) -> Self {
        match timing {
            vela_core::sim::FillTiming::NextOpen => Self::NextOpen,
            vela_core::sim::FillTiming::ThisClose => Self::ThisClose,
        }
    }
}

/// Which exit wins when one bar reaches both the stop and the take profit (and neither was
/// gapped through at the open).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum IntrabarOrder {
    /// The stop wins (the low is assumed to come first). The default.
    #[default]
    Pessimistic,
    /// The take profit wins (the high is assumed to come first).
    Optimistic,
}

/// How a take profit is executed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum TakeProfitFill {
    /// A market sell once the level is reached: taker fee and slippage, like the core risk
    /// layer's exits. The default.
    #[default]
    Market,
    /// A resting limit sell at the level: maker fee, no slippage; a gap above the level
    /// fills at the open.
    Limit,
}

/// Bar-level protective exits of a long position. Fractions of the entry price (stop
/// loss, take profit) or of the highest price since entry (trailing stop).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stops {
    /// Sell when the price falls this fraction below the entry price, in (0, 1).
    pub stop_loss: Option<f64>,
    /// Sell when the price rises this fraction above the entry price, > 0.
    pub take_profit: Option<f64>,
    /// Sell when the price falls this fraction below the highest price since entry, in
    /// (0, 1).
    pub trailing_stop: Option<f64>,
    /// Which exit wins on a bar that reaches both.
    pub intrabar: IntrabarOrder,
    /// How the take profit executes.
    pub take_profit_fill: TakeProfitFill,
}

impl Stops {
    /// Whether any stop is configured.
    #[must_use]
    pub fn any(&self) -> bool {
        self.stop_loss.is_some() || self.take_profit.is_some() || self.trailing_stop.is_some()
    }
}

/// How much an entry signal buys. Every budget includes the entry's fee.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Sizing {
    /// All free cash: quantity `floor_step(cash / (price · (1 + taker fee)))`. The default.
    #[default]
    AllIn,
    /// A fixed quote amount (fee included). Refused (and counted) when cash is short.
    FixedQuote(f64),
    /// A fraction of equity at the fill price, in (0, 1], capped at free cash.
    FractionOfEquity(f64),
}

/// Fee rates charged in the quote asset on each fill's notional.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fees {
    /// Rate for orders that rest on the book (limit take profits). MEXC default 0.
    pub maker: f64,
    /// Rate for market orders (every signal order and stop). MEXC default 0.0005.
    pub taker: f64,
}

impl Default for Fees {
    /// MEXC's default spot fees: 0 % maker, 0.05 % taker.
    fn default() -> Self {
        Self {
            maker: 0.0,
            taker: 0.0005,
        }
    }
}

/// What a run keeps besides its statistics (sweeps turn both off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Record {
    /// Keep the per-bar equity curve.
    pub equity: bool,
    /// Keep the trade list.
    pub trades: bool,
}

impl Default for Record {
    /// Keep everything.
    fn default() -> Self {
        Self {
            equity: true,
            trades: true,
        }
    }
}

/// Configuration of one vectorised run.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorConfig {
    /// The instrument: price and quantity precision, minimum quantity and notional.
    pub instrument: Instrument,
    /// Starting cash in the quote asset.
    pub initial_cash: f64,
    /// Fee rates.
    pub fees: Fees,
    /// Slippage against the trader on market fills, basis points (buy price × (1 + bps/1e4),
    /// sell price × (1 − bps/1e4)).
    pub slippage_bps: f64,
    /// Fill timing of signal orders.
    pub fill: FillTiming,
    /// Protective exits (signal input only).
    pub stops: Stops,
    /// Entry sizing (signal input only).
    pub sizing: Sizing,
    /// What to keep.
    pub record: Record,
}

impl VectorConfig {
    /// A configuration trading `instrument` with `initial_cash`, its fee rates, no slippage,
    /// next-open fills, no stops, all-in sizing.
    #[must_use]
    pub fn new(instrument: Instrument, initial_cash: f64) -> Self {
        let fees = Fees {
            maker: to_f64(instrument.maker_fee),
            taker: to_f64(instrument.taker_fee),
        };
        Self {
            instrument,
            initial_cash,
            fees,
            slippage_bps: 0.0,
            fill: FillTiming::default(),
            stops: Stops::default(),
            sizing: Sizing::default(),
            record: Record::default(),
        }
    }

    /// Checks every value; the error names the parameter and the rule.
    pub fn validate(&self) -> Result<(), VectorError> {
        self.instrument.validate()?;
        check(
            "initial_cash",
            self.initial_cash,
            self.initial_cash > 0.0,
            "must be a finite amount above 0",
        )?;
        for (param, fee) in [
            ("fees.maker", self.fees.maker),
            ("fees.taker", self.fees.taker),
        ] {
            check(
                param,
                fee,
                (0.0..1.0).contains(&fee),
                "must be a rate in [0, 1) (0.0005 means 0.05 %); negative fees are refused",
            )?;
        }
        check(
            "slippage_bps",
            self.slippage_bps,
            (0.0..10_000.0).contains(&self.slippage_bps),
            "must be in [0, 10000) basis points",
        )?;
        let fraction = "must be a fraction in (0, 1)";
        if let Some(v) = self.stops.stop_loss {
            check("stops.stop_loss", v, v > 0.0 && v < 1.0, fraction)?;
        }
        if let Some(v) = self.stops.trailing_stop {
            check("stops.trailing_stop", v, v > 0.0 && v < 1.0, fraction)?;
        }
        if let Some(v) = self.stops.take_profit {
            check(
                "stops.take_profit",
                v,
                v > 0.0,
                "must be a finite gain above 0",
            )?;
        }
        match self.sizing {
            Sizing::AllIn => {}
            Sizing::FixedQuote(q) => {
                check(
                    "sizing.fixed_quote",
                    q,
                    q > 0.0,
                    "must be a finite amount above 0",
                )?;
            }
            Sizing::FractionOfEquity(f) => check(
                "sizing.fraction_of_equity",
                f,
                f > 0.0 && f <= 1.0,
                "must be a fraction in (0, 1]",
            )?,
        }
        Ok(())
    }
}

fn check(param: &'static str, value: f64, ok: bool, rule: &'static str) -> Result<(), VectorError> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(VectorError::Config {
            param,
            value: value.to_string(),
            rule,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vela_core::testkit::btcusdt;

    fn config() -> VectorConfig {
        VectorConfig::new(btcusdt(), 10_000.0)
    }

    #[test]
    fn defaults_are_mexc() {
        let c = config();
        assert_eq!(c.fees, Fees::default());
        assert_eq!(c.fill, FillTiming::NextOpen);
        assert_eq!(c.sizing, Sizing::AllIn);
        assert_eq!(c.stops.intrabar, IntrabarOrder::Pessimistic);
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn errors_name_the_parameter() {
        let cases: Vec<(VectorConfig, &str)> = vec![
            (
                VectorConfig {
                    fees: Fees {
                        maker: 0.0,
                        taker: -0.001,
                    },
                    ..config()
                },
                "config fees.taker = -0.001: must be a rate in [0, 1)",
            ),
            (
                VectorConfig {
                    initial_cash: f64::NAN,
                    ..config()
                },
                "config initial_cash = NaN",
            ),
            (
                VectorConfig {
                    slippage_bps: -1.0,
                    ..config()
                },
                "config slippage_bps = -1",
            ),
            (
                VectorConfig {
                    stops: Stops {
                        stop_loss: Some(1.5),
                        ..Stops::default()
                    },
                    ..config()
                },
                "config stops.stop_loss = 1.5",
            ),
            (
                VectorConfig {
                    stops: Stops {
                        trailing_stop: Some(0.0),
                        ..Stops::default()
                    },
                    ..config()
                },
                "config stops.trailing_stop = 0",
            ),
            (
                VectorConfig {
                    stops: Stops {
                        take_profit: Some(f64::INFINITY),
                        ..Stops::default()
                    },
                    ..config()
                },
                "config stops.take_profit = inf",
            ),
            (
                VectorConfig {
                    sizing: Sizing::FractionOfEquity(1.2),
                    ..config()
                },
                "config sizing.fraction_of_equity = 1.2",
            ),
            (
                VectorConfig {
                    sizing: Sizing::FixedQuote(0.0),
                    ..config()
                },
                "config sizing.fixed_quote = 0",
            ),
        ];
        for (c, want) in cases {
            let err = c.validate().unwrap_err().to_string();
            assert!(err.starts_with(want), "{err} should start with {want}");
        }
        let mut c = config();
        c.instrument.taker_fee = rust_decimal::Decimal::TWO;
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("instrument BTCUSDT taker_fee"), "{err}");
    }
}
