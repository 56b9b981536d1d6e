//! A check's report and its summary.

use std::fmt;

use super::finding::{Finding, Named};

/// What [`check`](super::check) found in one dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The dataset's name, as given to the check (e.g. `BTCUSDT 1m`).
    pub dataset: String,
    /// Rows checked.
    pub rows: usize,
    /// The findings, grouped by kind in the order of [`Finding`]'s variants; within a kind,
    /// by row (gaps and duplicates: by time).
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether nothing was found.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }

    /// Each finding as a line naming the dataset.
    pub fn lines(&self) -> impl Iterator<Item = Named<'_>> + '_ {
        self.findings.iter().map(|f| f.named(&self.dataset))
    }

    /// Counts per kind of finding.
    #[must_use]
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            dataset: self.dataset.clone(),
            rows: self.rows,
            ..Summary::default()
        };
        for finding in &self.findings {
            match finding {
                Finding::Columns(_) => s.columns += 1,
                Finding::OutOfOrder { .. } => s.out_of_order += 1,
                Finding::Duplicate { rows, .. } => {
                    s.duplicates += 1;
                    s.duplicate_rows += rows.len().saturating_sub(1);
                }
                Finding::Gap { missing, .. } => {
                    s.gaps += 1;
                    s.missing_bars += missing;
                }
                Finding::Misaligned { .. } => s.misaligned += 1,
                Finding::OhlcViolation { .. } => s.ohlc_violations += 1,
                Finding::BadValue { .. } => s.bad_values += 1,
                Finding::ZeroVolumeRun { bars, .. } => {
                    s.zero_volume_runs += 1;
                    s.zero_volume_bars += bars;
                }
            }
        }
        s
    }
}

impl fmt::Display for Report {
    /// The summary, then one line per finding.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.summary())?;
        for line in self.lines() {
            write!(f, "\n{line}")?;
        }
        Ok(())
    }
}

/// Counts per kind of finding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// The dataset's name.
    pub dataset: String,
    /// Rows checked.
    pub rows: usize,
    /// Column-length mismatches (0 or 1).
    pub columns: usize,
    /// Rows opening before the row above them.
    pub out_of_order: usize,
    /// Open times shared by several rows.
    pub duplicates: usize,
    /// Rows beyond the first for each shared open time.
    pub duplicate_rows: usize,
    /// Gaps.
    pub gaps: usize,
    /// Bars missing in all gaps.
    pub missing_bars: u64,
    /// Rows not on the interval's grid.
    pub misaligned: usize,
    /// OHLC violations.
    pub ohlc_violations: usize,
    /// NaN, infinite or negative values.
    pub bad_values: usize,
    /// Runs of zero-volume rows.
    pub zero_volume_runs: usize,
    /// Rows in those runs.
    pub zero_volume_bars: usize,
}

/// `n` and the noun, singular or plural: `1 gap`, `3 gaps`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl fmt::Display for Summary {
    /// E.g. `BTCUSDT 1m: 13681 rows: 538 gaps (717 missing bars)`, or
    /// `BTCUSDT 1m: 45031 rows, clean`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let missing = usize::try_from(self.missing_bars).unwrap_or(usize::MAX);
        let counts = [
            (
                self.columns,
                count(self.columns, "column mismatch", "column mismatches"),
            ),
            (
                self.out_of_order,
                count(self.out_of_order, "out-of-order row", "out-of-order rows"),
            ),
            (
                self.duplicates,
                format!(
                    "{} ({})",
                    count(
                        self.duplicates,
                        "duplicate timestamp",
                        "duplicate timestamps"
                    ),
                    count(self.duplicate_rows, "extra row", "extra rows")
                ),
            ),
            (
                self.gaps,
                format!(
                    "{} ({})",
                    count(self.gaps, "gap", "gaps"),
                    count(missing, "missing bar", "missing bars")
                ),
            ),
            (
                self.misaligned,
                count(self.misaligned, "misaligned row", "misaligned rows"),
            ),
            (
                self.ohlc_violations,
                count(self.ohlc_violations, "OHLC violation", "OHLC violations"),
            ),
            (
                self.bad_values,
                count(self.bad_values, "bad value", "bad values"),
            ),
            (
                self.zero_volume_runs,
                format!(
                    "{} ({})",
                    count(self.zero_volume_runs, "zero-volume run", "zero-volume runs"),
                    count(self.zero_volume_bars, "bar", "bars")
                ),
            ),
        ];
        let parts: Vec<&str> = counts
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(_, text)| text.as_str())
            .collect();
        if parts.is_empty() {
            write!(f, "{}: {} rows, clean", self.dataset, self.rows)
        } else {
            write!(
                f,
                "{}: {} rows: {}",
                self.dataset,
                self.rows,
                parts.join(", ")
            )
        }
    }
}
