//! Simple moving average: streaming ([`Sma`]) and over slices ([`sma`], [`sma_into`]).
//!
//! # Definition
//!
//! Output `i` (from the `period`-th input on) is
//! `((0.0 + x[i-period+1]) + x[i-period+2] + .. + x[i]) / period`: the window summed afresh,
//! oldest first, starting from `0.0`, then divided by `period`. There is no running sum, so
//! nothing drifts however long the series; and every output is exactly the number this
//! formula gives in `f64`, whichever form computed it.
//!
//! # Speed without changing the numbers
//!
//! Summing each window afresh is `period` additions per output, and done one output at a
//! time those additions form one dependent chain (each waits for the previous: ~4 cycles
//! each). Both forms keep every addition — same operands, same order — and only change
//! which additions run side by side:
//! - [`Sma::update`] keeps the partial sums of the `period` windows that are still open
//!   (the window completing now, the one completing at the next input, ...). A new input is
//!   added to all of them — independent additions the compiler vectorises — the oldest is
//!   complete and is the output, and its slot starts the newest window at `0.0`.
//! - The slice forms sum 16 consecutive windows at once: 16 independent chains, one
//!   vector addition per pair of windows and input, instead of one serial chain.

use super::error::{IndicatorError, check_period};
use super::window::sanitize;

const NAME: &str = "SMA";

/// Windows summed side by side by the slice kernel (8 SSE2 registers of 2 lanes: enough
/// independent chains to hide the addition's latency).
const LANES: usize = 16;

/// Simple moving average: the arithmetic mean of the last `period` inputs.
///
/// Each output is the window summed afresh (oldest first, from `0.0`) and divided by
/// `period`, so there is no running-sum drift (the streaming form of `sma`; see the `indicators` module docs).
/// Warm-up: `period - 1` inputs.
#[derive(Debug, Clone)]
pub struct Sma {
    period: usize,
    /// Partial sums of the open windows. Grows to `period` slots during the warm-up; then
    /// slot `head` holds the window that completes at the next input, and the slots after
    /// it (cyclically) the windows completing after that.
    open: Vec<f64>,
    head: usize,
    value: Option<f64>,
}

impl Sma {
    /// A new SMA; `period` must be at least 1.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period(NAME, "period", period, 1)?;
        Ok(Self {
            period,
            open: Vec::new(),
            head: 0,
            value: None,
        })
    }

    /// Feeds one input; returns the average once `period` inputs have been seen.
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let x = sanitize(x);
        if self.open.len() < self.period {
            // The window that ends `period - 1` inputs from now starts here.
            self.open.push(0.0);
        }
        for sum in &mut self.open {
            *sum += x;
        }
        if self.open.len() == self.period
            && let Some(slot) = self.open.get_mut(self.head)
        {
            let sum = *slot;
            // This slot now starts the window that completes `period` inputs from now.
            *slot = 0.0;
            self.head = if self.head + 1 == self.period {
                0
            } else {
                self.head + 1
            };
            self.value = Some(sum / self.period as f64);
        }
        self.value
    }

    /// The latest output, `None` during warm-up.
    pub const fn value(&self) -> Option<f64> {
        self.value
    }

    /// Whether an output is available.
    pub const fn is_ready(&self) -> bool {
        self.value.is_some()
    }

    /// Forgets every input, as if newly constructed.
    pub fn reset(&mut self) {
        self.open.clear();
        self.head = 0;
        self.value = None;
    }

    /// Number of inputs for which [`update`](Self::update) returns `None`.
    pub const fn warmup_period(&self) -> usize {
        self.period - 1
    }

    /// The configured period.
    pub const fn period(&self) -> usize {
        self.period
    }
}

/// [`Sma`] over a slice: same length as `values`, NaN during warm-up. Bit-identical to
/// feeding `values` to [`Sma::update`] one by one.
pub fn sma(values: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period(NAME, "period", period, 1)?;
    // Zeroed memory comes from the allocator without a pass over it.
    let mut out = vec![0.0; values.len()];
    sma_into(values, period, 0, &mut out)?;
    Ok(out)
}

/// Positions `start..start + out.len()` of [`sma`]`(values, period)`, written to `out`:
/// the same numbers, without computing (or allocating) the rest. For working through a
/// long series in cache-sized pieces.
pub fn sma_into(
    values: &[f64],
    period: usize,
    start: usize,
    out: &mut [f64],
) -> Result<(), IndicatorError> {
    check_period(NAME, "period", period, 1)?;
    let end = start
        .checked_add(out.len())
        .filter(|end| *end <= values.len())
        .ok_or(IndicatorError::RangeOutOfBounds {
            indicator: NAME,
            start,
            end: start.saturating_add(out.len()),
            len: values.len(),
        })?;
    // Positions before `period - 1` are warm-up.
    let first = start.max(period - 1).min(end);
    let (warmup, full) = out.split_at_mut(first - start);
    warmup.fill(f64::NAN);
    if full.is_empty() {
        return Ok(());
    }
    window_means(&values[first + 1 - period..end], period, full);
    Ok(())
}

/// Positions `start..start + fast_out.len()` of [`sma`]`(values, fast)` into `fast_out` and
/// of [`sma`]`(values, slow)` into `slow_out` (of the same length): the same numbers as two
/// [`sma_into`] calls, with fewer additions when `fast < slow`.
///
/// The slow window's sum begins (from `0.0`, oldest first) with exactly the additions of
/// the fast window that ends `slow - fast` positions earlier; so that fast sum is taken as
/// it is and only the remaining `slow - fast` values are added: for 10/30, 30 additions
/// per position instead of 40.
pub fn sma_pair_into(
    values: &[f64],
    fast: usize,
    slow: usize,
    start: usize,
    fast_out: &mut [f64],
    slow_out: &mut [f64],
) -> Result<(), IndicatorError> {
    let mut sums = SmaPairSums::default();
    sma_pair_into_with(values, fast, slow, start, fast_out, slow_out, &mut sums)
}

/// The window sums [`sma_pair_into_with`] works in, kept between calls: a long series
/// worked through in pieces then allocates (and zeroes) them once, not once per piece.
#[derive(Debug, Clone, Default)]
pub struct SmaPairSums {
    fast: Vec<f64>,
    slow: Vec<f64>,
}

/// The first `len` slots of `buffer`, grown to hold them if needed. Their contents are
/// whatever the last call left: every user writes each slot before reading it.
fn scratch(buffer: &mut Vec<f64>, len: usize) -> &mut [f64] {
    if buffer.len() < len {
        buffer.resize(len, 0.0);
    }
    &mut buffer[..len]
}

/// [`sma_pair_into`] with its window sums in `sums` (reused across calls): the same
/// numbers.
pub fn sma_pair_into_with(
    values: &[f64],
    fast: usize,
    slow: usize,
    start: usize,
    fast_out: &mut [f64],
    slow_out: &mut [f64],
    sums: &mut SmaPairSums,
) -> Result<(), IndicatorError> {
    if fast >= slow || fast_out.len() != slow_out.len() {
        sma_into(values, fast, start, fast_out)?;
        return sma_into(values, slow, start, slow_out);
    }
    check_period(NAME, "period", fast, 1)?;
    let end = start
        .checked_add(fast_out.len())
        .filter(|end| *end <= values.len())
        .ok_or(IndicatorError::RangeOutOfBounds {
            indicator: NAME,
            start,
            end: start.saturating_add(fast_out.len()),
            len: values.len(),
        })?;
    let first_fast = start.max(fast - 1).min(end);
    let first_slow = start.max(slow - 1).min(end);
    let (warmup, fast_full) = fast_out.split_at_mut(first_fast - start);
    warmup.fill(f64::NAN);
    let (warmup, slow_full) = slow_out.split_at_mut(first_slow - start);
    warmup.fill(f64::NAN);
    if fast_full.is_empty() {
        return Ok(());
    }
    let lag = slow - fast;
    // Fast sums at positions `low..end`: the fast outputs and the slow ones' beginnings.
    let low = if slow_full.is_empty() {
        first_fast
    } else {
        first_fast.min(first_slow - lag)
    };
    let fast_sums = scratch(&mut sums.fast, end - low);
    fold_runs(|_| 0.0, &values[low + 1 - fast..end], fast, fast_sums);
    let fast_window = |position: usize| &values[position + 1 - fast..=position];
    finish(&mut fast_sums[first_fast - low..], fast_full, fast, |j| {
        fast_window(first_fast + j)
    });
    if slow_full.is_empty() {
        return Ok(());
    }
    // Slow sum at position p: the fast sum at p - lag, then values p - lag + 1 ..= p.
    let slow_sums = scratch(&mut sums.slow, end - first_slow);
    let beginnings = &fast_sums[first_slow - lag - low..];
    fold_runs(
        |j| beginnings[j],
        &values[first_slow + 1 - lag..end],
        lag,
        slow_sums,
    );
    let slow_window = |position: usize| &values[position + 1 - slow..=position];
    finish(slow_sums, slow_full, slow, |j| slow_window(first_slow + j));
    Ok(())
}

/// `out[j]` = `start(j) + x[j] + x[j + 1] + .. + x[j + count - 1]`, added in that order;
/// `x` holds `out.len() + count - 1` values.
///
/// 16 consecutive outputs are summed side by side: 16 independent chains of additions
/// (one vector addition per pair of outputs and input) instead of one serial chain.
#[inline]
fn fold_runs(start: impl Fn(usize) -> f64, x: &[f64], count: usize, out: &mut [f64]) {
    let mut blocks = out.chunks_exact_mut(LANES);
    let mut from = 0;
    for block in &mut blocks {
        let mut acc = [0.0_f64; LANES];
        for (l, sum) in acc.iter_mut().enumerate() {
            *sum = start(from + l);
        }
        for k in from..from + count {
            let column = &x[k..k + LANES];
            for (sum, value) in acc.iter_mut().zip(column) {
                *sum += *value;
            }
        }
        block.copy_from_slice(&acc);
        from += LANES;
    }
    for (j, o) in blocks.into_remainder().iter_mut().enumerate() {
        let j = from + j;
        *o = x[j..j + count].iter().fold(start(j), |acc, v| acc + v);
    }
}

/// `out[j]` = `sums[j] / period`, where `sums[j]` summed the raw values of `window(j)`; a
/// non-finite sum (the window holds NaN or an infinity, or overflowed) is replaced by the
/// definition: the window's values, each sanitised, summed oldest first from `0.0`.
///
/// A window of finite values gives exactly the definition's sum, and any other window a
/// non-finite one, so only those are recomputed (an overflow of finite values stays
/// infinite, as in the definition).
#[inline]
fn finish<'v>(
    sums: &mut [f64],
    out: &mut [f64],
    period: usize,
    window: impl Fn(usize) -> &'v [f64],
) {
    let divisor = period as f64;
    for (b, (block, sums)) in out.chunks_mut(LANES).zip(sums.chunks(LANES)).enumerate() {
        let mut finite = true;
        for (o, sum) in block.iter_mut().zip(sums) {
            *o = *sum / divisor;
            finite &= sum.is_finite();
        }
        if !finite {
            for (l, o) in block.iter_mut().enumerate() {
                if !o.is_finite() {
                    let sum = window(b * LANES + l)
                        .iter()
                        .fold(0.0, |acc, v| acc + sanitize(*v));
                    *o = sum / divisor;
                }
            }
        }
    }
}

/// `out[j]` = the mean of `x[j..j + period]` by the definition: the window's values, each
/// sanitised, summed oldest first from `0.0`, divided by `period`. `x` holds
/// `out.len() + period - 1` values.
fn window_means(x: &[f64], period: usize, out: &mut [f64]) {
    let divisor = period as f64;
    let by_definition = |from: usize| {
        x[from..from + period]
            .iter()
            .fold(0.0, |acc, v| acc + sanitize(*v))
            / divisor
    };
    let mut blocks = out.chunks_exact_mut(LANES);
    let mut from = 0;
    for block in &mut blocks {
        let mut acc = [0.0_f64; LANES];
        for k in from..from + period {
            let column = &x[k..k + LANES];
            for (sum, value) in acc.iter_mut().zip(column) {
                *sum += *value;
            }
        }
        let mut finite = true;
        for (o, sum) in block.iter_mut().zip(acc) {
            *o = sum / divisor;
            finite &= sum.is_finite();
        }
        if !finite {
            for (j, o) in block.iter_mut().enumerate() {
                if !o.is_finite() {
                    *o = by_definition(from + j);
                }
            }
        }
        from += LANES;
    }
    for (j, o) in blocks.into_remainder().iter_mut().enumerate() {
        *o = by_definition(from + j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// The definition, spelled out: each window summed afresh, oldest first, from 0.0.
    fn reference(values: &[f64], period: usize) -> Vec<f64> {
        let clean: Vec<f64> = values.iter().map(|&x| sanitize(x)).collect();
        (0..values.len())
            .map(|i| {
                if i + 1 < period {
                    f64::NAN
                } else {
                    clean[i + 1 - period..=i].iter().fold(0.0, |acc, x| acc + x) / period as f64
                }
            })
            .collect()
    }

    /// A seeded series with awkward values: large and tiny magnitudes, signed zeros and,
    /// when asked, NaN and infinities.
    fn series(n: usize, seed: u64, non_finite: bool) -> Vec<f64> {
        let mut state = seed;
        let mut price = 100.0_f64;
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let u = (state >> 11) as f64 / (1_u64 << 53) as f64;
                price *= 1.0 + (u - 0.5) * 0.01;
                match state >> 58 {
                    0 => -0.0,
                    1 => 1e17 * u,
                    2 => -1e-9 * u,
                    3 if non_finite => f64::NAN,
                    4 if non_finite => f64::INFINITY,
                    5 if non_finite => f64::NEG_INFINITY,
                    _ => price,
                }
            })
            .collect()
    }

    #[test]
    fn slice_stream_and_definition_agree_bit_for_bit() {
        for non_finite in [false, true] {
            for n in [0, 1, 15, 16, 17, 40, 333] {
                let xs = series(n, 11 + n as u64, non_finite);
                for period in [1, 2, 3, 10, 15, 16, 17, 30, 50, 400] {
                    let expected = bits(&reference(&xs, period));
                    assert_eq!(bits(&sma(&xs, period).unwrap()), expected, "{n} {period}");
                    let mut s = Sma::new(period).unwrap();
                    let streamed: Vec<f64> = xs
                        .iter()
                        .map(|&x| s.update(x).unwrap_or(f64::NAN))
                        .collect();
                    assert_eq!(bits(&streamed), expected, "stream {n} {period}");
                }
            }
        }
    }

    #[test]
    fn overflowing_windows_stay_infinite_like_the_definition() {
        let mut xs = vec![1e308; 40];
        xs[20] = -1e308;
        xs[33] = f64::MAX;
        for period in [2, 3, 17] {
            let expected = bits(&reference(&xs, period));
            assert_eq!(bits(&sma(&xs, period).unwrap()), expected, "{period}");
        }
        assert!(sma(&xs, 2).unwrap()[39].is_infinite());
    }

    #[test]
    fn pieces_give_the_whole() {
        let xs = series(1_000, 5, true);
        let whole = bits(&sma(&xs, 30).unwrap());
        for (start, len) in [
            (0, 0),
            (0, 10),
            (0, 29),
            (5, 40),
            (29, 1),
            (100, 900),
            (999, 1),
        ] {
            let mut out = vec![0.0; len];
            sma_into(&xs, 30, start, &mut out).unwrap();
            assert_eq!(bits(&out), whole[start..start + len], "{start}+{len}");
        }
        let mut out = vec![0.0; 2];
        assert_eq!(
            sma_into(&xs, 30, 999, &mut out).map_err(|e| e.to_string()),
            Err("SMA positions 999..1001 are out of range for 1000 input values".to_owned())
        );
        assert!(sma_into(&xs, 0, 0, &mut out).is_err());
    }

    #[test]
    fn pairs_give_both_averages() {
        for non_finite in [false, true] {
            let xs = series(700, 21, non_finite);
            for (fast, slow) in [
                (1, 2),
                (2, 3),
                (3, 7),
                (10, 30),
                (5, 50),
                (16, 33),
                (1, 400),
            ] {
                let (f, s) = (sma(&xs, fast).unwrap(), sma(&xs, slow).unwrap());
                // One set of sums reused by every call (left dirty by the previous one).
                let mut sums = SmaPairSums::default();
                for (start, len) in [(0, 700), (0, 5), (3, 60), (29, 1), (31, 200), (650, 50)] {
                    let (mut fo, mut so) = (vec![0.0; len], vec![0.0; len]);
                    sma_pair_into(&xs, fast, slow, start, &mut fo, &mut so).unwrap();
                    let what = format!("{fast}/{slow} {start}+{len} {non_finite}");
                    assert_eq!(bits(&fo), bits(&f[start..start + len]), "fast {what}");
                    assert_eq!(bits(&so), bits(&s[start..start + len]), "slow {what}");
                    let (mut fr, mut sr) = (vec![0.0; len], vec![0.0; len]);
                    sma_pair_into_with(&xs, fast, slow, start, &mut fr, &mut sr, &mut sums)
                        .unwrap();
                    assert_eq!(bits(&fr), bits(&fo), "fast, reused sums {what}");
                    assert_eq!(bits(&sr), bits(&so), "slow, reused sums {what}");
                }
            }
        }
        let xs = series(100, 1, false);
        let (mut fo, mut so) = (vec![0.0; 10], vec![0.0; 10]);
        assert!(sma_pair_into(&xs, 3, 7, 95, &mut fo, &mut so).is_err());
        assert!(sma_pair_into(&xs, 0, 7, 0, &mut fo, &mut so).is_err());
        // Fast not below slow: two plain averages.
        sma_pair_into(&xs, 7, 3, 20, &mut fo, &mut so).unwrap();
        assert_eq!(bits(&fo), bits(&sma(&xs, 7).unwrap()[20..30]));
        assert_eq!(bits(&so), bits(&sma(&xs, 3).unwrap()[20..30]));
    }

    #[test]
    fn a_long_series_does_not_drift() {
        // 10 million values: the last outputs are exactly the definition's, summed from
        // scratch (a running sum would carry the rounding of every earlier step).
        let xs = series(10_000_000, 3, false);
        let period = 30;
        let out = sma(&xs, period).unwrap();
        let mut s = Sma::new(period).unwrap();
        let mut last = None;
        for &x in &xs {
            last = s.update(x);
        }
        let tail = &xs[xs.len() - period..];
        let exact = tail.iter().fold(0.0, |acc, x| acc + x) / period as f64;
        assert_eq!(out[xs.len() - 1].to_bits(), exact.to_bits());
        assert_eq!(last.map(f64::to_bits), Some(exact.to_bits()));
        for i in (period - 1..xs.len()).step_by(99_991) {
            let window = &xs[i + 1 - period..=i];
            let exact = window.iter().fold(0.0, |acc, x| acc + x) / period as f64;
            assert_eq!(out[i].to_bits(), exact.to_bits(), "position {i}");
        }
    }

    #[test]
    fn reset_starts_over() {
        let xs = series(100, 9, true);
        let mut s = Sma::new(7).unwrap();
        let first: Vec<Option<f64>> = xs.iter().map(|&x| s.update(x)).collect();
        s.reset();
        assert!(!s.is_ready());
        let second: Vec<Option<f64>> = xs.iter().map(|&x| s.update(x)).collect();
        assert_eq!(
            first
                .iter()
                .map(|v| v.map(f64::to_bits))
                .collect::<Vec<_>>(),
            second
                .iter()
                .map(|v| v.map(f64::to_bits))
                .collect::<Vec<_>>()
        );
    }
}
