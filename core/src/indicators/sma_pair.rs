//! Two simple moving averages of one input, `fast < slow` bars, streamed together
//! ([`SmaPair`]): the numbers of two [`Sma`](super::Sma)s, with fewer additions.
//!
//! The slow window's sum (summed afresh, oldest first, from `0.0`; see the `sma` module)
//! begins with exactly the additions of the fast window that ended `slow - fast` inputs
//! earlier: `S(i) = F(i - lag) + x[i - lag + 1] + .. + x[i]` with `lag = slow - fast`, the
//! same operations in the same order. So each completed fast sum starts a slow window,
//! and only the `lag` later inputs are added to it: `fast + lag = slow` additions per
//! input instead of `fast + slow` (30 instead of 40 for 10/30), the same `f64`s.

use super::error::{IndicatorError, check_period};
use super::window::sanitize;

const NAME: &str = "SMA";

/// Slots added to as one block: the ring's length is a multiple of it, so the addition
/// loop has no remainder (two vector additions per block).
const BLOCK: usize = 4;

/// Open window sums in a ring: slot `head` is the oldest window, the next to complete.
#[derive(Debug, Clone)]
struct Ring {
    /// `size` window slots, then padding up to a multiple of [`BLOCK`]: every input is
    /// added to all of them (a slot is set when its window opens; the padding is never
    /// read).
    slots: Vec<f64>,
    /// Slots once every window is open.
    size: usize,
    /// Windows opened so far (up to `size`).
    open: usize,
    head: usize,
}

impl Ring {
    fn new(size: usize) -> Self {
        Self {
            slots: vec![0.0; size.div_ceil(BLOCK) * BLOCK],
            size,
            open: 0,
            head: 0,
        }
    }

    /// Adds `x` to every slot.
    #[inline]
    fn add(&mut self, x: f64) {
        for block in self.slots.chunks_exact_mut(BLOCK) {
            for sum in block {
                *sum += x;
            }
        }
    }

    /// The oldest window, replaced by a new one beginning with `start` (a full ring).
    #[inline]
    fn rotate(&mut self, start: f64) -> Option<f64> {
        let slot = self.slots.get_mut(self.head)?;
        let done = *slot;
        *slot = start;
        self.head = if self.head + 1 == self.size {
            0
        } else {
            self.head + 1
        };
        Some(done)
    }

    /// [`Sma::update`](super::Sma::update)'s step: a window opens at `0.0` with this
    /// input (while the ring fills), `x` joins every open window, and once `size`
    /// windows are open the oldest is complete; its slot opens the next window.
    #[inline]
    fn step_from_zero(&mut self, x: f64) -> Option<f64> {
        if self.open < self.size {
            if let Some(slot) = self.slots.get_mut(self.open) {
                *slot = 0.0;
            }
            self.open += 1;
        }
        self.add(x);
        if self.open == self.size {
            self.rotate(0.0)
        } else {
            None
        }
    }

    /// `x` joins every open window (each begun before this input); then, once `size`
    /// windows are open, the oldest is complete and a window beginning with `start`
    /// takes its slot (while the ring fills, it takes a new slot).
    #[inline]
    fn step_then_open(&mut self, x: f64, start: f64) -> Option<f64> {
        self.add(x);
        if self.open < self.size {
            if let Some(slot) = self.slots.get_mut(self.open) {
                *slot = start;
            }
            self.open += 1;
            return None;
        }
        self.rotate(start)
    }
}

/// The simple moving averages of `fast` and of `slow` inputs, `fast < slow`: the very
/// numbers of two [`Sma`](super::Sma)s fed the same inputs.
#[derive(Debug, Clone)]
pub struct SmaPair {
    fast: usize,
    slow: usize,
    /// The periods as `f64`, the divisors (converted once, not per input).
    divisors: (f64, f64),
    /// The fast windows, as [`Sma`](super::Sma) keeps them.
    fast_windows: Ring,
    /// The slow windows past their fast beginning: `slow - fast` of them.
    slow_windows: Ring,
    value: (Option<f64>, Option<f64>),
}

impl SmaPair {
    /// The pair; `fast` must be at least 1 and `slow` greater than `fast`.
    pub fn new(fast: usize, slow: usize) -> Result<Self, IndicatorError> {
        check_period(NAME, "period", fast, 1)?;
        check_period(NAME, "slow period", slow, fast + 1)?;
        Ok(Self {
            fast,
            slow,
            divisors: (fast as f64, slow as f64),
            fast_windows: Ring::new(fast),
            slow_windows: Ring::new(slow - fast),
            value: (None, None),
        })
    }

    /// Feeds one input; returns the fast and the slow average, each once it has seen
    /// its period of inputs (then the latest, as [`Sma::update`](super::Sma::update)).
    pub fn update(&mut self, x: f64) -> (Option<f64>, Option<f64>) {
        let x = sanitize(x);
        // The fast windows exactly as `Sma` keeps them.
        if let Some(fast_sum) = self.fast_windows.step_from_zero(x) {
            self.value.0 = Some(fast_sum / self.divisors.0);
            // The slow windows begun by earlier fast sums take this input, the oldest
            // completes, and this fast sum begins the slow window that ends
            // `slow - fast` inputs from now.
            if let Some(slow_sum) = self.slow_windows.step_then_open(x, fast_sum) {
                self.value.1 = Some(slow_sum / self.divisors.1);
            }
        }
        self.value
    }

    /// The latest fast and slow averages.
    #[must_use]
    pub const fn value(&self) -> (Option<f64>, Option<f64>) {
        self.value
    }

    /// The fast and slow periods.
    #[must_use]
    pub const fn periods(&self) -> (usize, usize) {
        (self.fast, self.slow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::Sma;

    fn series(n: usize, seed: u64, non_finite: bool) -> Vec<f64> {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if non_finite && i % 97 == 13 {
                    [f64::NAN, f64::INFINITY, f64::NEG_INFINITY][i % 3]
                } else {
                    100.0 + (state % 100_000) as f64 / 997.0 - 50.0
                }
            })
            .collect()
    }

    #[test]
    fn the_pair_is_two_smas_bit_for_bit() {
        for non_finite in [false, true] {
            let xs = series(2_000, 5, non_finite);
            for (fast, slow) in [(1, 2), (1, 5), (2, 3), (3, 7), (10, 30), (5, 50), (16, 33)] {
                let mut pair = SmaPair::new(fast, slow).unwrap();
                let (mut f, mut s) = (Sma::new(fast).unwrap(), Sma::new(slow).unwrap());
                for (i, &x) in xs.iter().enumerate() {
                    let want = (f.update(x), s.update(x));
                    let got = pair.update(x);
                    assert_eq!(
                        (got.0.map(f64::to_bits), got.1.map(f64::to_bits)),
                        (want.0.map(f64::to_bits), want.1.map(f64::to_bits)),
                        "{fast}/{slow} input {i} {non_finite}"
                    );
                    let now = pair.value();
                    assert_eq!(
                        (now.0.map(f64::to_bits), now.1.map(f64::to_bits)),
                        (got.0.map(f64::to_bits), got.1.map(f64::to_bits))
                    );
                }
            }
        }
    }

    #[test]
    fn periods_are_checked() {
        assert!(SmaPair::new(0, 3).is_err());
        assert!(SmaPair::new(3, 3).is_err());
        assert!(SmaPair::new(4, 3).is_err());
        assert_eq!(SmaPair::new(3, 4).unwrap().periods(), (3, 4));
    }
}
