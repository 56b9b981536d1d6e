//! The vectorised form of a strategy: bar columns in, entry and exit columns out.
//!
//! The backtester's sweeps run this form (one pass over columns per parameter set) instead
//! of the event engine. A signal at bar `i` is decided from data up to and including bar
//! `i`'s close — exactly what the strategy sees in `on_bar` for that bar — and the position
//! logic is the simulator's: enter on an entry while flat, exit on an exit while long. The
//! parity tests hold each strategy's columns to its event-driven decisions.

use crate::error::ValidationError;
use crate::types::{Bar, Timestamp};

use super::params::{ParamError, Params};

/// Borrowed bar columns of one symbol, all of one length, oldest first.
#[derive(Debug, Clone, Copy)]
pub struct BarColumns<'a> {
    /// Open times, ms UTC.
    pub ts: &'a [i64],
    /// Opens.
    pub open: &'a [f64],
    /// Highs.
    pub high: &'a [f64],
    /// Lows.
    pub low: &'a [f64],
    /// Closes.
    pub close: &'a [f64],
    /// Base volumes.
    pub volume: &'a [f64],
}

impl<'a> BarColumns<'a> {
    /// Columns after checking they have one length.
    pub fn new(
        ts: &'a [i64],
        open: &'a [f64],
        high: &'a [f64],
        low: &'a [f64],
        close: &'a [f64],
        volume: &'a [f64],
    ) -> Result<Self, ValidationError> {
        let n = ts.len();
        for (name, len) in [
            ("open", open.len()),
            ("high", high.len()),
            ("low", low.len()),
            ("close", close.len()),
            ("volume", volume.len()),
        ] {
            if len != n {
                return Err(ValidationError::new(
                    format!("bar column {name}"),
                    len,
                    format!("must have the same length as ts ({n})"),
                ));
            }
        }
        Ok(Self {
            ts,
            open,
            high,
            low,
            close,
            volume,
        })
    }

    /// Number of bars.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// Whether there are no bars.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Bar `i` as a [`Bar`].
    #[must_use]
    pub fn bar(&self, i: usize) -> Option<Bar> {
        Some(Bar {
            ts: Timestamp(*self.ts.get(i)?),
            open: *self.open.get(i)?,
            high: *self.high.get(i)?,
            low: *self.low.get(i)?,
            close: *self.close.get(i)?,
            volume: *self.volume.get(i)?,
        })
    }
}

/// Owned bar columns, e.g. built from a list of bars.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BarSeries {
    /// Open times, ms UTC.
    pub ts: Vec<i64>,
    /// Opens.
    pub open: Vec<f64>,
    /// Highs.
    pub high: Vec<f64>,
    /// Lows.
    pub low: Vec<f64>,
    /// Closes.
    pub close: Vec<f64>,
    /// Base volumes.
    pub volume: Vec<f64>,
}

impl BarSeries {
    /// Columns of `bars`.
    #[must_use]
    pub fn from_bars(bars: &[Bar]) -> Self {
        Self {
            ts: bars.iter().map(|b| b.ts.millis()).collect(),
            open: bars.iter().map(|b| b.open).collect(),
            high: bars.iter().map(|b| b.high).collect(),
            low: bars.iter().map(|b| b.low).collect(),
            close: bars.iter().map(|b| b.close).collect(),
            volume: bars.iter().map(|b| b.volume).collect(),
        }
    }

    /// A borrowed view.
    #[must_use]
    pub fn columns(&self) -> BarColumns<'_> {
        BarColumns {
            ts: &self.ts,
            open: &self.open,
            high: &self.high,
            low: &self.low,
            close: &self.close,
            volume: &self.volume,
        }
    }
}

/// Entry and exit columns, one value per bar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signals {
    /// Enter (buy) at this bar's close when flat.
    pub entries: Vec<bool>,
    /// Exit (sell all) at this bar's close when long.
    pub exits: Vec<bool>,
}

impl Signals {
    /// `n` bars without signals.
    #[must_use]
    pub fn none(n: usize) -> Self {
        Self {
            entries: vec![false; n],
            exits: vec![false; n],
        }
    }

    /// Makes this `n` bars without signals, reusing the columns' memory.
    pub fn reset(&mut self, n: usize) {
        for column in [&mut self.entries, &mut self.exits] {
            column.clear();
            column.resize(n, false);
        }
    }

    /// The trades a long-only position walk makes: a buy at the first entry while flat, a
    /// sell at the first exit while long. Returns `(bar index, is_entry)` pairs.
    #[must_use]
    pub fn walk(&self) -> Vec<(usize, bool)> {
        let mut long = false;
        let mut trades = Vec::new();
        for (i, (&entry, &exit)) in self.entries.iter().zip(&self.exits).enumerate() {
            if long && exit {
                long = false;
                trades.push((i, false));
            } else if !long && entry {
                long = true;
                trades.push((i, true));
            }
        }
        trades
    }
}

/// A strategy's vectorised form.
pub type SignalFn = fn(&Params, &BarColumns<'_>) -> Result<Signals, ParamError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_must_line_up() {
        let ts = [0, 1];
        let one = [1.0];
        let two = [1.0, 2.0];
        let err = BarColumns::new(&ts, &two, &two, &one, &two, &two).unwrap_err();
        assert!(err.to_string().contains("bar column low"), "{err}");
        assert_eq!(
            BarColumns::new(&ts, &two, &two, &two, &two, &two).map(|c| c.len()),
            Ok(2)
        );
    }

    #[test]
    fn walk_enters_when_flat_and_exits_when_long() {
        let s = Signals {
            entries: vec![true, true, false, false, true],
            exits: vec![true, false, true, true, false],
        };
        assert_eq!(s.walk(), vec![(0, true), (2, false), (4, true)]);
    }
}
