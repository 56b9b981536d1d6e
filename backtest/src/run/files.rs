//! The run directory's data files: `bot.toml`, `backtest.toml`, `stats.json`,
//! `trades.parquet`, `equity.parquet` and `fingerprint.json` — written after a run, read
//! back by the report.
//!
//! - `stats.json`: `{"run": RunSummary, "stats": {...}}`; numbers that are not finite
//!   (a profit factor without losses is `+∞`) are written as the strings `"inf"`, `"-inf"`.
//! - `trades.parquet`: one row per trade: `symbol, side, entry_bar, entry_ts, entry_price,
//!   exit_bar, exit_ts, exit_price, quantity, fees, pnl, exit_reason` (times in ms UTC,
//!   bar indices into the bars read, side `buy`/`sell`, reason as `ExitReason::name`).
//! - `equity.parquet`: `ts, equity, exposure`, one row per bar.
//!
//! Every file is a function of the run alone (no times of writing, no paths), so the same
//! run gives the same bytes.

use std::fs::{self, File};
use std::path::Path;

use polars::prelude::{
    Column, DataFrame, ParquetCompression, ParquetReader, ParquetWriter, SerReader,
    StatisticsOptions,
};
use serde::{Deserialize, Serialize};
use vela_core::types::Side;

use super::error::RunError;
use super::execute::{RunOutcome, RunSummary};
use super::fingerprint::Fingerprint;
use crate::result::{EquityCurve, ExitReason, Stats, Trade};

/// File names in a run directory.
pub mod names {
    /// The bot configuration, as the live runner takes it.
    pub const BOT: &str = "bot.toml";
    /// The backtest spec.
    pub const SPEC: &str = "backtest.toml";
    /// Statistics and the run summary.
    pub const STATS: &str = "stats.json";
    /// The trade list.
    pub const TRADES: &str = "trades.parquet";
    /// The equity curve.
    pub const EQUITY: &str = "equity.parquet";
    /// The fingerprint.
    pub const FINGERPRINT: &str = "fingerprint.json";
    /// The equity and drawdown chart.
    pub const CHART: &str = "equity.svg";
    /// The self-contained report.
    pub const REPORT: &str = "report.html";
}

/// The content of `stats.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsFile {
    /// What ran.
    pub run: RunSummary,
    /// The statistics.
    pub stats: StatsRecord,
}

/// [`Stats`] as written in `stats.json` (same fields; durations in ms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(
    missing_docs,
    reason = "the fields are Stats' fields, documented there"
)]
pub struct StatsRecord {
    #[serde(with = "number")]
    pub total_return: f64,
    #[serde(with = "number")]
    pub cagr: f64,
    #[serde(with = "number")]
    pub sharpe: f64,
    #[serde(with = "number")]
    pub sortino: f64,
    #[serde(with = "number")]
    pub calmar: f64,
    #[serde(with = "number")]
    pub max_drawdown: f64,
    pub max_drawdown_duration_ms: i64,
    #[serde(with = "number")]
    pub win_rate: f64,
    #[serde(with = "number")]
    pub profit_factor: f64,
    #[serde(with = "number")]
    pub expectancy: f64,
    #[serde(with = "number")]
    pub avg_win: f64,
    #[serde(with = "number")]
    pub avg_loss: f64,
    #[serde(with = "number")]
    pub exposure: f64,
    pub trades: usize,
    #[serde(with = "number")]
    pub fees: f64,
    #[serde(with = "number")]
    pub turnover: f64,
}

impl From<&Stats> for StatsRecord {
    fn from(s: &Stats) -> Self {
        Self {
            total_return: s.total_return,
            cagr: s.cagr,
            sharpe: s.sharpe,
            sortino: s.sortino,
            calmar: s.calmar,
            max_drawdown: s.max_drawdown,
            max_drawdown_duration_ms: s.max_drawdown_duration_ms,
            win_rate: s.win_rate,
            profit_factor: s.profit_factor,
            expectancy: s.expectancy,
            avg_win: s.avg_win,
            avg_loss: s.avg_loss,
            exposure: s.exposure,
            trades: s.trades,
            fees: s.fees,
            turnover: s.turnover,
        }
    }
}

impl From<&StatsRecord> for Stats {
    fn from(s: &StatsRecord) -> Self {
        Self {
            total_return: s.total_return,
            cagr: s.cagr,
            sharpe: s.sharpe,
            sortino: s.sortino,
            calmar: s.calmar,
            max_drawdown: s.max_drawdown,
            max_drawdown_duration_ms: s.max_drawdown_duration_ms,
            win_rate: s.win_rate,
            profit_factor: s.profit_factor,
            expectancy: s.expectancy,
            avg_win: s.avg_win,
            avg_loss: s.avg_loss,
            exposure: s.exposure,
            trades: s.trades,
            fees: s.fees,
            turnover: s.turnover,
        }
    }
}

/// `f64` as a JSON number, or `"inf"` / `"-inf"` / `"nan"` when not finite.
mod number {
    use serde::{Deserialize, Deserializer, Serializer};

    #[allow(clippy::trivially_copy_pass_by_ref, reason = "serde's signature")]
    pub(super) fn serialize<S: Serializer>(value: &f64, s: S) -> Result<S::Ok, S::Error> {
        if value.is_finite() {
            s.serialize_f64(*value)
        } else if value.is_nan() {
            s.serialize_str("nan")
        } else if *value > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(v) => Ok(v),
            Raw::Text(t) => match t.as_str() {
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                "nan" => Ok(f64::NAN),
                other => Err(serde::de::Error::custom(format!(
                    "{other:?} is not a number (expected a number, \"inf\", \"-inf\" or \"nan\")"
                ))),
            },
        }
    }
}

/// Writes the data files of `outcome` (everything but the chart and the report) into
/// `dir`, creating it. `bot_toml` and `spec_toml` are written as given.
pub fn write_data_files(
    dir: &Path,
    bot_toml: &str,
    spec_toml: &str,
    outcome: &RunOutcome,
) -> Result<(), RunError> {
    fs::create_dir_all(dir).map_err(|e| RunError::file(dir, format!("cannot create: {e}")))?;
    write(dir, names::BOT, bot_toml.as_bytes())?;
    write(dir, names::SPEC, spec_toml.as_bytes())?;
    let stats = StatsFile {
        run: outcome.summary.clone(),
        stats: StatsRecord::from(&outcome.result.stats),
    };
    write(dir, names::STATS, &to_json(&stats, dir)?)?;
    write(
        dir,
        names::FINGERPRINT,
        &to_json(&outcome.fingerprint, dir)?,
    )?;
    write_parquet(
        &dir.join(names::TRADES),
        trades_frame(&outcome.result.trades),
    )?;
    write_parquet(
        &dir.join(names::EQUITY),
        equity_frame(&outcome.result.equity),
    )?;
    Ok(())
}

fn to_json<T: Serialize>(value: &T, dir: &Path) -> Result<Vec<u8>, RunError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| RunError::file(dir, e))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Writes `bytes` to `dir/name`.
pub(crate) fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), RunError> {
    let path = dir.join(name);
    fs::write(&path, bytes).map_err(|e| RunError::file(&path, format!("cannot write: {e}")))
}

/// Reads `dir/name` as text.
pub(crate) fn read_text(dir: &Path, name: &str) -> Result<String, RunError> {
    let path = dir.join(name);
    fs::read_to_string(&path).map_err(|e| RunError::file(&path, format!("cannot read: {e}")))
}

/// Reads `stats.json`.
pub fn read_stats(dir: &Path) -> Result<StatsFile, RunError> {
    let text = read_text(dir, names::STATS)?;
    serde_json::from_str(&text).map_err(|e| RunError::file(dir.join(names::STATS), e))
}

/// Reads `fingerprint.json`.
pub fn read_fingerprint(dir: &Path) -> Result<Fingerprint, RunError> {
    let text = read_text(dir, names::FINGERPRINT)?;
    serde_json::from_str(&text).map_err(|e| RunError::file(dir.join(names::FINGERPRINT), e))
}

/// The trade list as a polars frame: the columns of `trades.parquet`.
pub fn trades_frame(trades: &[Trade]) -> Result<DataFrame, polars::error::PolarsError> {
    let ints = |f: fn(&Trade) -> i64| trades.iter().map(f).collect::<Vec<i64>>();
    let floats = |f: fn(&Trade) -> f64| trades.iter().map(f).collect::<Vec<f64>>();
    let texts = |f: fn(&Trade) -> &str| trades.iter().map(f).collect::<Vec<&str>>();
    #[allow(clippy::cast_possible_wrap, reason = "bar indices are far below 2^63")]
    let columns = vec![
        Column::new("symbol".into(), texts(|t| t.symbol.as_str())),
        Column::new(
            "side".into(),
            texts(|t| if t.side == Side::Buy { "buy" } else { "sell" }),
        ),
        Column::new("entry_bar".into(), ints(|t| t.entry_bar as i64)),
        Column::new("entry_ts".into(), ints(|t| t.entry_ts)),
        Column::new("entry_price".into(), floats(|t| t.entry_price)),
        Column::new("exit_bar".into(), ints(|t| t.exit_bar as i64)),
        Column::new("exit_ts".into(), ints(|t| t.exit_ts)),
        Column::new("exit_price".into(), floats(|t| t.exit_price)),
        Column::new("quantity".into(), floats(|t| t.quantity)),
        Column::new("fees".into(), floats(|t| t.fees)),
        Column::new("pnl".into(), floats(|t| t.pnl)),
        Column::new("exit_reason".into(), texts(|t| t.exit_reason.name())),
    ];
    DataFrame::new(trades.len(), columns)
}

fn equity_frame(curve: &EquityCurve) -> Result<DataFrame, polars::error::PolarsError> {
    DataFrame::new(
        curve.ts.len(),
        vec![
            Column::new("ts".into(), curve.ts.clone()),
            Column::new("equity".into(), curve.equity.clone()),
            Column::new("exposure".into(), curve.exposure.clone()),
        ],
    )
}

fn write_parquet(
    path: &Path,
    frame: Result<DataFrame, polars::error::PolarsError>,
) -> Result<(), RunError> {
    let mut df = frame.map_err(|e| RunError::file(path, e))?;
    let mut file =
        File::create(path).map_err(|e| RunError::file(path, format!("cannot create: {e}")))?;
    ParquetWriter::new(&mut file)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::default())
        .finish(&mut df)
        .map_err(|e| RunError::file(path, e))?;
    Ok(())
}

fn read_parquet(path: &Path) -> Result<DataFrame, RunError> {
    let file = File::open(path).map_err(|e| RunError::file(path, format!("cannot open: {e}")))?;
    ParquetReader::new(file)
        .finish()
        .map_err(|e| RunError::file(path, e))
}

/// One column of a frame read back, with errors naming the file and column.
struct Columns<'a> {
    path: &'a Path,
    df: &'a DataFrame,
}

impl Columns<'_> {
    #[allow(
        clippy::needless_pass_by_value,
        reason = "called as map_err(|e| self.err(name, e)) with owned errors"
    )]
    fn err(&self, column: &str, e: impl ToString) -> RunError {
        RunError::file(self.path, format!("column {column}: {}", e.to_string()))
    }

    fn i64(&self, name: &str) -> Result<Vec<i64>, RunError> {
        let ca = self
            .df
            .column(name)
            .and_then(|c| c.i64())
            .map_err(|e| self.err(name, e))?;
        ca.iter()
            .map(|v| v.ok_or_else(|| self.err(name, "null value")))
            .collect()
    }

    fn f64(&self, name: &str) -> Result<Vec<f64>, RunError> {
        let ca = self
            .df
            .column(name)
            .and_then(|c| c.f64())
            .map_err(|e| self.err(name, e))?;
        ca.iter()
            .map(|v| v.ok_or_else(|| self.err(name, "null value")))
            .collect()
    }

    fn text(&self, name: &str) -> Result<Vec<String>, RunError> {
        let ca = self
            .df
            .column(name)
            .and_then(|c| c.str())
            .map_err(|e| self.err(name, e))?;
        ca.iter()
            .map(|v| {
                v.map(str::to_owned)
                    .ok_or_else(|| self.err(name, "null value"))
            })
            .collect()
    }
}

/// Reads `trades.parquet` back into trades.
pub fn read_trades(dir: &Path) -> Result<Vec<Trade>, RunError> {
    let path = dir.join(names::TRADES);
    let df = read_parquet(&path)?;
    let c = Columns {
        path: &path,
        df: &df,
    };
    let symbol = c.text("symbol")?;
    let side = c.text("side")?;
    let entry_bar = c.i64("entry_bar")?;
    let entry_ts = c.i64("entry_ts")?;
    let entry_price = c.f64("entry_price")?;
    let exit_bar = c.i64("exit_bar")?;
    let exit_ts = c.i64("exit_ts")?;
    let exit_price = c.f64("exit_price")?;
    let quantity = c.f64("quantity")?;
    let fees = c.f64("fees")?;
    let pnl = c.f64("pnl")?;
    let reason = c.text("exit_reason")?;
    let index = |name: &str, v: i64| usize::try_from(v).map_err(|e| c.err(name, e));
    (0..df.height())
        .map(|i| {
            Ok(Trade {
                symbol: symbol[i].clone(),
                side: match side[i].as_str() {
                    "buy" => Side::Buy,
                    "sell" => Side::Sell,
                    other => return Err(c.err("side", format!("{other:?} is not buy or sell"))),
                },
                entry_bar: index("entry_bar", entry_bar[i])?,
                entry_ts: entry_ts[i],
                entry_price: entry_price[i],
                exit_bar: index("exit_bar", exit_bar[i])?,
                exit_ts: exit_ts[i],
                exit_price: exit_price[i],
                quantity: quantity[i],
                fees: fees[i],
                pnl: pnl[i],
                exit_reason: parse_reason(&reason[i]).ok_or_else(|| {
                    c.err("exit_reason", format!("unknown reason {:?}", reason[i]))
                })?,
            })
        })
        .collect()
}

fn parse_reason(name: &str) -> Option<ExitReason> {
    [
        ExitReason::Signal,
        ExitReason::StopLoss,
        ExitReason::TakeProfit,
        ExitReason::TrailingStop,
        ExitReason::EndOfData,
    ]
    .into_iter()
    .find(|r| r.name() == name)
}

/// Reads `equity.parquet` back into a curve.
pub fn read_equity(dir: &Path) -> Result<EquityCurve, RunError> {
    let path = dir.join(names::EQUITY);
    let df = read_parquet(&path)?;
    let c = Columns {
        path: &path,
        df: &df,
    };
    Ok(EquityCurve {
        ts: c.i64("ts")?,
        equity: c.f64("equity")?,
        exposure: c.f64("exposure")?,
    })
}
