//! The bars an event run replays: one or several symbols, aligned bar for bar.

use std::borrow::Cow;

use vela_core::types::{Bar, Symbol};
use vela_data::BarFrame;

use super::EventError;

/// One or several symbols' bars, checked: each symbol has bars, sorted by strictly
/// increasing open time, valid (finite, `low <= open, close <= high`), and every symbol
/// has a bar at exactly the first symbol's times.
#[derive(Debug, Clone, PartialEq)]
pub struct History<'a> {
    symbols: Vec<Symbol>,
    bars: Vec<Cow<'a, [Bar]>>,
}

impl<'a> History<'a> {
    /// History from each symbol's bars (borrowed slices or owned vectors).
    pub fn new(
        series: impl IntoIterator<Item = (Symbol, Cow<'a, [Bar]>)>,
    ) -> Result<Self, EventError> {
        let mut symbols: Vec<Symbol> = Vec::new();
        let mut bars: Vec<Cow<'a, [Bar]>> = Vec::new();
        for (symbol, rows) in series {
            if symbols.contains(&symbol) {
                return Err(EventError::DuplicateSymbol(symbol));
            }
            check_series(&symbol, &rows)?;
            if let (Some(first), Some(reference)) = (symbols.first(), bars.first()) {
                check_aligned(first, reference, &symbol, &rows)?;
            }
            symbols.push(symbol);
            bars.push(rows);
        }
        if symbols.is_empty() {
            return Err(EventError::NoData);
        }
        Ok(Self { symbols, bars })
    }

    /// History of one symbol from a slice of bars.
    pub fn single(symbol: Symbol, bars: &'a [Bar]) -> Result<Self, EventError> {
        Self::new([(symbol, Cow::Borrowed(bars))])
    }

    /// History from vela-data frames, one per symbol.
    pub fn from_frames<'f>(
        frames: impl IntoIterator<Item = (Symbol, &'f BarFrame)>,
    ) -> Result<History<'static>, EventError> {
        let mut series = Vec::new();
        for (symbol, frame) in frames {
            frame.validate().map_err(|e| EventError::InvalidFrame {
                symbol: symbol.clone(),
                detail: e.to_string(),
            })?;
            series.push((symbol, Cow::Owned(frame.bars())));
        }
        History::new(series)
    }

    /// The symbols, in the order given (the order bars of one time reach the engine).
    #[must_use]
    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    /// Bars per symbol (all of the same length).
    #[must_use]
    pub fn len(&self) -> usize {
        self.bars.first().map_or(0, |b| b.len())
    }

    /// Whether there are no bars (never true for a checked history).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bars of the symbol at `index` (in [`History::symbols`] order).
    #[must_use]
    pub fn bars(&self, index: usize) -> &[Bar] {
        self.bars.get(index).map_or(&[], |b| b.as_ref())
    }

    /// The bars of `symbol`.
    #[must_use]
    pub fn bars_of(&self, symbol: &Symbol) -> Option<&[Bar]> {
        let index = self.symbols.iter().position(|s| s == symbol)?;
        Some(self.bars(index))
    }
}

fn check_series(symbol: &Symbol, bars: &[Bar]) -> Result<(), EventError> {
    if bars.is_empty() {
        return Err(EventError::EmptyData(symbol.clone()));
    }
    for (row, bar) in bars.iter().enumerate() {
        bar.validate().map_err(|e| EventError::InvalidBar {
            symbol: symbol.clone(),
            row,
            detail: e.to_string(),
        })?;
        if row > 0 && bars[row - 1].ts >= bar.ts {
            return Err(EventError::Unsorted {
                symbol: symbol.clone(),
                row,
                previous: bars[row - 1].ts.0,
                ts: bar.ts.0,
            });
        }
    }
    Ok(())
}

fn check_aligned(
    reference: &Symbol,
    reference_bars: &[Bar],
    symbol: &Symbol,
    bars: &[Bar],
) -> Result<(), EventError> {
    let misaligned = |row: usize, expected: Option<i64>, got: Option<i64>| EventError::Misaligned {
        symbol: symbol.clone(),
        reference: reference.clone(),
        row,
        expected,
        got,
    };
    for row in 0..reference_bars.len().max(bars.len()) {
        let expected = reference_bars.get(row).map(|b| b.ts.0);
        let got = bars.get(row).map(|b| b.ts.0);
        if expected != got {
            return Err(misaligned(row, expected, got));
        }
    }
    Ok(())
}
