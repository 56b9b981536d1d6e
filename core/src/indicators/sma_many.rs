//! Simple moving averages of one series over many periods at once ([`sma_many`]), with
//! the numbers of [`sma`](super::sma) for each period and a fraction of its additions.
//!
//! Every output of [`sma`](super::sma) is its window summed afresh, oldest first from
//! `0.0`. The sum of the `p`-bar window that starts at input `s` is therefore the first
//! `p` additions of the `q`-bar window that starts at `s`, for any `q > p`: one chain of
//! additions from input `s` passes through the sums of every period's window starting
//! there. So each start's chain is added once, up to the longest period, and each
//! period's sum is taken from it on the way — for the periods 10, 20, …, 200 that is 200
//! additions per input instead of 2,100. The chains of 16 consecutive starts run side by
//! side (independent additions the compiler vectorises); no addition changes operands or
//! order, so the numbers are bit-identical.

use super::error::{IndicatorError, check_period};
use super::window::sanitize;

const NAME: &str = "SMA";

/// Chains summed side by side (as in [`sma`](super::sma)'s kernel).
const LANES: usize = 16;

/// [`sma`](super::sma)`(values, p)` for every `p` in `periods`, in that order (bit for bit
/// the same columns: same length as `values`, NaN during warm-up).
pub fn sma_many(values: &[f64], periods: &[usize]) -> Result<Vec<Vec<f64>>, IndicatorError> {
    for &period in periods {
        check_period(NAME, "period", period, 1)?;
    }
    let mut distinct = periods.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.is_empty() {
        return Ok(Vec::new());
    }
    let n = values.len();
    // Zeroed memory comes from the allocator without a pass over it.
    let mut columns: Vec<Vec<f64>> = distinct.iter().map(|_| vec![0.0; n]).collect();
    // The windows starting at `s` end at `s + p - 1`: column `p` from position `p - 1` on
    // holds the windows by start.
    let mut outs: Vec<&mut [f64]> = columns
        .iter_mut()
        .zip(&distinct)
        .map(|(column, &period)| {
            let (warmup, by_start) = column.split_at_mut((period - 1).min(n));
            warmup.fill(f64::NAN);
            by_start
        })
        .collect();
    chains(values, &distinct, 0, &mut outs);
    let mut taken: Vec<Option<Vec<f64>>> = columns.into_iter().map(Some).collect();
    Ok(periods
        .iter()
        .map(|period| {
            let k = distinct.binary_search(period).unwrap_or(0);
            // A period asked for twice gets a copy of its column.
            taken[k].take().unwrap_or_else(|| {
                let mut again = Vec::new();
                sma_many_copy(values, *period, &mut again);
                again
            })
        })
        .collect())
}

/// A repeated period's column (rare: computed again the plain way).
fn sma_many_copy(values: &[f64], period: usize, out: &mut Vec<f64>) {
    out.clear();
    out.resize(values.len(), 0.0);
    // `period` was checked: the only error of `sma_into` is a bad period or range.
    if super::sma_into(values, period, 0, out).is_err() {
        out.fill(f64::NAN);
    }
}

/// The mean of `values[start..start + period]` by the definition: the values, each
/// sanitised, summed oldest first from `0.0`, divided by `period`.
fn by_definition(values: &[f64], start: usize, period: usize) -> f64 {
    values[start..start + period]
        .iter()
        .fold(0.0, |acc, v| acc + sanitize(*v))
        / period as f64
}

/// The windows starting at `first + j` for every column: `outs[k][j]` is the mean of the
/// `periods[k]`-bar window starting there (`periods` increasing, so the columns' pieces
/// are as long or shorter than the previous ones').
///
/// A finite chain sum is exactly the definition's sum; a non-finite one (a NaN or an
/// infinity in the window, or an overflow) is recomputed by the definition, as
/// [`sma`](super::sma) does.
fn chains(values: &[f64], periods: &[usize], first: usize, outs: &mut [&mut [f64]]) {
    let count = outs.first().map_or(0, |o| o.len());
    // Starts whose windows of every period end within the series.
    let all = outs.last().map_or(0, |o| o.len());
    let mut j = 0;
    while j + LANES <= all {
        let s = first + j;
        let mut acc = [0.0_f64; LANES];
        let mut added = 0;
        for (out, &period) in outs.iter_mut().zip(periods) {
            for t in added..period {
                let column = &values[s + t..s + t + LANES];
                for (sum, value) in acc.iter_mut().zip(column) {
                    *sum += *value;
                }
            }
            added = period;
            let divisor = period as f64;
            let out = &mut out[j..j + LANES];
            let mut finite = true;
            for (o, sum) in out.iter_mut().zip(&acc) {
                *o = *sum / divisor;
                finite &= sum.is_finite();
            }
            if !finite {
                for (l, o) in out.iter_mut().enumerate() {
                    if !o.is_finite() {
                        *o = by_definition(values, s + l, period);
                    }
                }
            }
        }
        j += LANES;
    }
    // The rest one chain at a time, each column while its windows fit.
    while j < count {
        let s = first + j;
        let mut sum = 0.0;
        let mut added = 0;
        for (out, &period) in outs.iter_mut().zip(periods) {
            let Some(o) = out.get_mut(j) else {
                break;
            };
            for value in &values[s + added..s + period] {
                sum += *value;
            }
            added = period;
            *o = if sum.is_finite() {
                sum / period as f64
            } else {
                by_definition(values, s, period)
            };
        }
        j += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::sma;

    fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    #[test]
    fn every_column_is_the_single_period_column_bit_for_bit() {
        let mut state = 7_u64;
        let mut values: Vec<f64> = (0..100_000)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                100.0 + (state >> 11) as f64 / (1_u64 << 53) as f64 * 10.0 - 5.0
            })
            .collect();
        let periods = [30, 1, 10, 200, 20, 7, 10, 199, 65_537];
        let columns = sma_many(&values, &periods).unwrap();
        for (column, &p) in columns.iter().zip(&periods) {
            assert!(same(column, &sma(&values, p).unwrap()), "period {p}");
        }
        // NaN, infinities, signed zeros and an overflow.
        values[500] = f64::NAN;
        values[40_000] = f64::INFINITY;
        values[40_100] = f64::NEG_INFINITY;
        values[70_000] = -0.0;
        values[80_000] = f64::MAX;
        values[80_001] = f64::MAX;
        let columns = sma_many(&values, &periods).unwrap();
        for (column, &p) in columns.iter().zip(&periods) {
            assert!(same(column, &sma(&values, p).unwrap()), "period {p}");
        }
    }

    #[test]
    fn short_series_and_bad_periods() {
        let values = [1.0, 2.0, 3.0];
        let columns = sma_many(&values, &[2, 5]).unwrap();
        assert!(same(&columns[0], &sma(&values, 2).unwrap()));
        assert!(columns[1].iter().all(|v| v.is_nan()));
        assert!(sma_many(&values, &[0]).is_err());
        assert!(sma_many(&values, &[]).unwrap().is_empty());
        assert!(sma_many(&[], &[3]).unwrap()[0].is_empty());
    }
}
