//! The results table: one row per (dataset, combination), ranked by a metric, written as
//! CSV or Parquet.
//!
//! Columns, in order: `rank` (1 = best), `dataset`, `combination` (the input-order index),
//! one column per swept parameter (typed as the parameter), the statistics (the `stats`
//! module defines each), `refused` and `final_equity`.
//!
//! Ranking sorts by the metric, best first ([`Metric::lower_is_better`] says which way),
//! and breaks ties by input order: the combination's index, then the dataset's. Floats are
//! written in Rust's shortest round-trip form, so the files are the same bytes for the
//! same results.

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::str::FromStr;

use polars::prelude::{Column, DataFrame, ParquetCompression, ParquetWriter};
use vela_core::strategy::ParamValue;

use super::error::SweepError;
use super::plan::Plan;
use super::run::{Row, SweepResults};
use crate::result::{EquityCurve, Stats};

/// A statistic to rank by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Final equity / initial − 1.
    TotalReturn,
    /// Compound annual growth rate.
    Cagr,
    /// Annualised Sharpe ratio.
    Sharpe,
    /// Annualised Sortino ratio.
    Sortino,
    /// CAGR / |max drawdown|.
    Calmar,
    /// Max drawdown (negative; closer to 0 is better).
    MaxDrawdown,
    /// Longest drawdown, ms (shorter is better).
    MaxDrawdownDuration,
    /// Winning trades / trades.
    WinRate,
    /// Gross profit / gross loss.
    ProfitFactor,
    /// Mean P&L per trade.
    Expectancy,
    /// Mean winning P&L.
    AvgWin,
    /// Mean losing P&L (closer to 0 is better).
    AvgLoss,
    /// Fraction of bars in a position.
    Exposure,
    /// Closed trades.
    Trades,
    /// Fees paid (less is better).
    Fees,
    /// Traded notional / mean equity.
    Turnover,
}

/// Every metric with its column name.
const METRICS: [(&str, Metric); 16] = [
    ("total_return", Metric::TotalReturn),
    ("cagr", Metric::Cagr),
    ("sharpe", Metric::Sharpe),
    ("sortino", Metric::Sortino),
    ("calmar", Metric::Calmar),
    ("max_drawdown", Metric::MaxDrawdown),
    ("max_drawdown_duration_ms", Metric::MaxDrawdownDuration),
    ("win_rate", Metric::WinRate),
    ("profit_factor", Metric::ProfitFactor),
    ("expectancy", Metric::Expectancy),
    ("avg_win", Metric::AvgWin),
    ("avg_loss", Metric::AvgLoss),
    ("exposure", Metric::Exposure),
    ("trades", Metric::Trades),
    ("fees", Metric::Fees),
    ("turnover", Metric::Turnover),
];

impl Metric {
    /// Every metric, in the table's column order.
    pub fn all() -> impl Iterator<Item = Self> {
        METRICS.iter().map(|&(_, m)| m)
    }

    /// The column name.
    #[must_use]
    pub fn name(self) -> &'static str {
        METRICS
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("", |(name, _)| name)
    }

    /// Whether a smaller value ranks first (drawdown duration and fees).
    #[must_use]
    pub fn lower_is_better(self) -> bool {
        matches!(self, Self::MaxDrawdownDuration | Self::Fees)
    }

    /// Whether the column holds whole numbers.
    #[must_use]
    pub fn is_integer(self) -> bool {
        matches!(self, Self::MaxDrawdownDuration | Self::Trades)
    }

    /// The value in `stats`.
    #[must_use]
    #[allow(
        clippy::cast_precision_loss,
        reason = "counts and durations below 2^53"
    )]
    pub fn value(self, stats: &Stats) -> f64 {
        match self {
            Self::TotalReturn => stats.total_return,
            Self::Cagr => stats.cagr,
            Self::Sharpe => stats.sharpe,
            Self::Sortino => stats.sortino,
            Self::Calmar => stats.calmar,
            Self::MaxDrawdown => stats.max_drawdown,
            Self::MaxDrawdownDuration => stats.max_drawdown_duration_ms as f64,
            Self::WinRate => stats.win_rate,
            Self::ProfitFactor => stats.profit_factor,
            Self::Expectancy => stats.expectancy,
            Self::AvgWin => stats.avg_win,
            Self::AvgLoss => stats.avg_loss,
            Self::Exposure => stats.exposure,
            Self::Trades => stats.trades as f64,
            Self::Fees => stats.fees,
            Self::Turnover => stats.turnover,
        }
    }

    fn integer(self, stats: &Stats) -> i64 {
        match self {
            Self::MaxDrawdownDuration => stats.max_drawdown_duration_ms,
            _ => i64::try_from(stats.trades).unwrap_or(i64::MAX),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Metric {
    type Err = SweepError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        METRICS
            .iter()
            .find(|(name, _)| *name == s)
            .map(|&(_, m)| m)
            .ok_or_else(|| SweepError::Metric {
                name: s.to_owned(),
                known: METRICS.map(|(n, _)| n).join(", "),
            })
    }
}

/// Row indices of `results` ranked by `metric`, best first; ties in input order
/// (combination, then dataset).
#[must_use]
pub fn rank(results: &SweepResults, metric: Metric) -> Vec<usize> {
    let mut order: Vec<usize> = (0..results.rows.len()).collect();
    let rows = &results.rows;
    order.sort_by(|&a, &b| {
        let (ra, rb) = (&rows[a], &rows[b]);
        let (va, vb) = (metric.value(&ra.stats), metric.value(&rb.stats));
        let by_value = if metric.lower_is_better() {
            va.total_cmp(&vb)
        } else {
            vb.total_cmp(&va)
        };
        by_value
            .then(ra.combination.cmp(&rb.combination))
            .then(ra.dataset.cmp(&rb.dataset))
    });
    order
}

/// A ranked results table, ready to print or write.
#[derive(Debug, Clone, Copy)]
pub struct Table<'a> {
    /// The plan the rows come from.
    pub plan: &'a Plan,
    /// Dataset names, by index.
    pub datasets: &'a [String],
    /// The rows.
    pub results: &'a SweepResults,
    /// Row indices, best first ([`rank`]).
    pub order: &'a [usize],
}

/// One cell of a parameter column.
fn param_cell(value: &ParamValue) -> String {
    match value {
        ParamValue::Text(t) => t.clone(),
        other => other.to_string(),
    }
}

impl Table<'_> {
    /// Column names, in order.
    #[must_use]
    pub fn header(&self) -> Vec<String> {
        let mut names = vec![
            "rank".to_owned(),
            "dataset".to_owned(),
            "combination".to_owned(),
        ];
        names.extend(self.plan.grid().axes().iter().map(|a| a.name.clone()));
        names.extend(Metric::all().map(|m| m.name().to_owned()));
        names.push("refused".to_owned());
        names.push("final_equity".to_owned());
        names
    }

    /// The cells of the row ranked `rank` (0 = best), as text.
    #[must_use]
    pub fn cells(&self, rank: usize) -> Vec<String> {
        let row = &self.results.rows[self.order[rank]];
        let mut cells = vec![
            (rank + 1).to_string(),
            self.datasets.get(row.dataset).cloned().unwrap_or_default(),
            row.combination.to_string(),
        ];
        let mut picks = Vec::new();
        self.plan.picks(row.combination, &mut picks);
        for (axis, &pick) in self.plan.grid().axes().iter().zip(&picks) {
            cells.push(param_cell(&axis.values[pick]));
        }
        for metric in Metric::all() {
            cells.push(if metric.is_integer() {
                metric.integer(&row.stats).to_string()
            } else {
                metric.value(&row.stats).to_string()
            });
        }
        cells.push(row.refused.to_string());
        cells.push(row.final_equity.to_string());
        cells
    }

    /// Writes the table to `path`: Parquet for `.parquet`, CSV for `.csv`.
    pub fn write(&self, path: &Path) -> Result<(), SweepError> {
        let failed = |detail: String| SweepError::Output {
            path: path.display().to_string(),
            detail,
        };
        match path.extension().and_then(|e| e.to_str()) {
            Some("csv") => self.write_csv(path).map_err(|e| failed(e.to_string())),
            Some("parquet") => self.write_parquet(path).map_err(failed),
            _ => Err(failed(
                "unknown format: the file name must end in .parquet or .csv".to_owned(),
            )),
        }
    }

    fn write_csv(&self, path: &Path) -> std::io::Result<()> {
        let mut out = BufWriter::new(File::create(path)?);
        writeln!(out, "{}", self.header().join(","))?;
        for rank in 0..self.order.len() {
            let cells: Vec<String> = self.cells(rank).into_iter().map(csv_field).collect();
            writeln!(out, "{}", cells.join(","))?;
        }
        out.flush()
    }

    fn write_parquet(&self, path: &Path) -> Result<(), String> {
        let mut df = self.dataframe().map_err(|e| e.to_string())?;
        let mut file = File::create(path).map_err(|e| e.to_string())?;
        ParquetWriter::new(&mut file)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(&mut df)
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    /// The table as a polars frame (parameter columns typed as the parameters).
    pub fn dataframe(&self) -> polars::prelude::PolarsResult<DataFrame> {
        let rows: Vec<&Row> = self.order.iter().map(|&i| &self.results.rows[i]).collect();
        let n = rows.len();
        let mut columns = vec![
            Column::new(
                "rank".into(),
                (1..=n).map(|r| r as u64).collect::<Vec<u64>>(),
            ),
            Column::new(
                "dataset".into(),
                rows.iter()
                    .map(|r| self.datasets.get(r.dataset).cloned().unwrap_or_default())
                    .collect::<Vec<String>>(),
            ),
            Column::new(
                "combination".into(),
                rows.iter()
                    .map(|r| r.combination as u64)
                    .collect::<Vec<u64>>(),
            ),
        ];
        let mut picks = Vec::new();
        for (a, axis) in self.plan.grid().axes().iter().enumerate() {
            let values: Vec<&ParamValue> = rows
                .iter()
                .map(|r| {
                    self.plan.picks(r.combination, &mut picks);
                    &axis.values[picks[a]]
                })
                .collect();
            columns.push(param_column(&axis.name, &values));
        }
        for metric in Metric::all() {
            let name = metric.name().into();
            columns.push(if metric.is_integer() {
                Column::new(
                    name,
                    rows.iter()
                        .map(|r| metric.integer(&r.stats))
                        .collect::<Vec<i64>>(),
                )
            } else {
                Column::new(
                    name,
                    rows.iter()
                        .map(|r| metric.value(&r.stats))
                        .collect::<Vec<f64>>(),
                )
            });
        }
        columns.push(Column::new(
            "refused".into(),
            rows.iter().map(|r| r.refused as u64).collect::<Vec<u64>>(),
        ));
        columns.push(Column::new(
            "final_equity".into(),
            rows.iter().map(|r| r.final_equity).collect::<Vec<f64>>(),
        ));
        DataFrame::new(n, columns)
    }
}

/// One kept equity curve: its rank, dataset name and combination index.
#[derive(Debug, Clone, Copy)]
pub struct KeptCurve<'a> {
    /// Rank of the row (1 = best).
    pub rank: usize,
    /// Dataset name.
    pub dataset: &'a str,
    /// Combination index (input order).
    pub combination: usize,
    /// The curve.
    pub curve: &'a EquityCurve,
}

/// Writes kept equity curves to `path` in long form — columns `rank`, `dataset`,
/// `combination`, `ts`, `equity`, `exposure` — as Parquet (`.parquet`) or CSV (`.csv`).
pub fn write_equity(path: &Path, curves: &[KeptCurve<'_>]) -> Result<(), SweepError> {
    let failed = |detail: String| SweepError::Output {
        path: path.display().to_string(),
        detail,
    };
    match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => {
            let write = || -> std::io::Result<()> {
                let mut out = BufWriter::new(File::create(path)?);
                writeln!(out, "rank,dataset,combination,ts,equity,exposure")?;
                for kept in curves {
                    let c = kept.curve;
                    let dataset = csv_field(kept.dataset.to_owned());
                    for ((ts, equity), exposure) in c.ts.iter().zip(&c.equity).zip(&c.exposure) {
                        writeln!(
                            out,
                            "{},{dataset},{},{ts},{equity},{exposure}",
                            kept.rank, kept.combination
                        )?;
                    }
                }
                out.flush()
            };
            write().map_err(|e| failed(e.to_string()))
        }
        Some("parquet") => {
            let n: usize = curves.iter().map(|k| k.curve.equity.len()).sum();
            let repeat = |f: &dyn Fn(&KeptCurve<'_>) -> u64| -> Vec<u64> {
                curves
                    .iter()
                    .flat_map(|k| std::iter::repeat_n(f(k), k.curve.equity.len()))
                    .collect()
            };
            let columns = vec![
                Column::new("rank".into(), repeat(&|k| k.rank as u64)),
                Column::new(
                    "dataset".into(),
                    curves
                        .iter()
                        .flat_map(|k| std::iter::repeat_n(k.dataset, k.curve.equity.len()))
                        .collect::<Vec<&str>>(),
                ),
                Column::new("combination".into(), repeat(&|k| k.combination as u64)),
                Column::new(
                    "ts".into(),
                    curves
                        .iter()
                        .flat_map(|k| k.curve.ts.iter().copied())
                        .collect::<Vec<i64>>(),
                ),
                Column::new(
                    "equity".into(),
                    curves
                        .iter()
                        .flat_map(|k| k.curve.equity.iter().copied())
                        .collect::<Vec<f64>>(),
                ),
                Column::new(
                    "exposure".into(),
                    curves
                        .iter()
                        .flat_map(|k| k.curve.exposure.iter().copied())
                        .collect::<Vec<f64>>(),
                ),
            ];
            let write = || -> Result<(), String> {
                let mut df = DataFrame::new(n, columns).map_err(|e| e.to_string())?;
                let mut file = File::create(path).map_err(|e| e.to_string())?;
                ParquetWriter::new(&mut file)
                    .with_compression(ParquetCompression::Zstd(None))
                    .finish(&mut df)
                    .map_err(|e| e.to_string())?;
                Ok(())
            };
            write().map_err(failed)
        }
        _ => Err(failed(
            "unknown format: the file name must end in .parquet or .csv".to_owned(),
        )),
    }
}

/// A parameter column: integers, reals, booleans or words, as the values are.
fn param_column(name: &str, values: &[&ParamValue]) -> Column {
    let name = name.into();
    let ints: Option<Vec<i64>> = values
        .iter()
        .map(|v| match v {
            ParamValue::Int(i) => Some(*i),
            _ => None,
        })
        .collect();
    if let Some(ints) = ints {
        return Column::new(name, ints);
    }
    let floats: Option<Vec<f64>> = values
        .iter()
        .map(|v| match v {
            ParamValue::Float(f) => Some(*f),
            #[allow(clippy::cast_precision_loss, reason = "parameter values are small")]
            ParamValue::Int(i) => Some(*i as f64),
            _ => None,
        })
        .collect();
    if let Some(floats) = floats {
        return Column::new(name, floats);
    }
    let bools: Option<Vec<bool>> = values
        .iter()
        .map(|v| match v {
            ParamValue::Bool(b) => Some(*b),
            _ => None,
        })
        .collect();
    if let Some(bools) = bools {
        return Column::new(name, bools);
    }
    Column::new(
        name,
        values
            .iter()
            .map(|v| param_cell(v))
            .collect::<Vec<String>>(),
    )
}

/// A CSV field, quoted when it holds a separator, a quote or a line break.
fn csv_field(text: String) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_round_trip() {
        for metric in Metric::all() {
            assert_eq!(metric.name().parse::<Metric>().unwrap(), metric);
        }
        let err = "sharp".parse::<Metric>().unwrap_err().to_string();
        assert!(
            err.starts_with("unknown metric \"sharp\" (known: total_return, cagr, sharpe"),
            "{err}"
        );
    }

    fn row(combination: usize, dataset: usize, sharpe: f64, fees: f64) -> Row {
        Row {
            dataset,
            combination,
            stats: Stats {
                sharpe,
                fees,
                ..Stats::default()
            },
            refused: 0,
            final_equity: 0.0,
        }
    }

    #[test]
    fn ranking_is_best_first_with_ties_in_input_order() {
        let results = SweepResults {
            rows: vec![
                row(0, 0, 1.0, 3.0),
                row(1, 0, 2.0, 1.0),
                row(2, 0, 1.0, 1.0),
                row(0, 1, 2.0, 2.0),
                row(1, 1, f64::INFINITY, 5.0),
            ],
            ..SweepResults::default()
        };
        assert_eq!(rank(&results, Metric::Sharpe), vec![4, 3, 1, 0, 2]);
        assert_eq!(rank(&results, Metric::Fees), vec![1, 2, 3, 0, 4]);
        assert_eq!(csv_field("a,b".to_owned()), "\"a,b\"");
        assert_eq!(csv_field("a\"b".to_owned()), "\"a\"\"b\"");
    }
}
