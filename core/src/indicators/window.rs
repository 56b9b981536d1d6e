//! Shared helpers: a fixed-length window and input sanitising.

use std::collections::VecDeque;

/// Maps a non-finite input (NaN or ±infinity) to NaN, leaving finite ones alone.
pub(crate) const fn sanitize(x: f64) -> f64 {
    if x.is_finite() { x } else { f64::NAN }
}

/// Maximum of two values that propagates NaN (unlike [`f64::max`]).
pub(crate) fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// Minimum of two values that propagates NaN (unlike [`f64::min`]).
pub(crate) fn nan_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

/// Runs a single-output streaming update over `values`, writing NaN for `None`.
pub(crate) fn run_series(values: &[f64], mut update: impl FnMut(f64) -> Option<f64>) -> Vec<f64> {
    values
        .iter()
        .map(|&x| update(x).unwrap_or(f64::NAN))
        .collect()
}

/// The most recent `capacity` values, oldest first.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    values: VecDeque<f64>,
    capacity: usize,
}

impl Window {
    /// An empty window holding at most `capacity` values.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            values: VecDeque::new(),
            capacity,
        }
    }

    /// Appends `x`, dropping the oldest value once the window is full.
    pub(crate) fn push(&mut self, x: f64) {
        if self.values.len() == self.capacity {
            self.values.pop_front();
        }
        self.values.push_back(x);
    }

    /// Whether the window holds `capacity` values.
    pub(crate) fn is_full(&self) -> bool {
        self.values.len() == self.capacity
    }

    /// The values, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        self.values.iter().copied()
    }

    /// The sum of the values, added oldest first.
    pub(crate) fn sum(&self) -> f64 {
        self.iter().fold(0.0, |acc, x| acc + x)
    }

    /// Empties the window.
    pub(crate) fn clear(&mut self) {
        self.values.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_keeps_the_latest_values() {
        let mut w = Window::new(3);
        for x in [1.0, 2.0, 3.0, 4.0] {
            w.push(x);
        }
        assert!(w.is_full());
        assert_eq!(w.iter().collect::<Vec<_>>(), vec![2.0, 3.0, 4.0]);
        assert_eq!(w.sum().to_bits(), 9.0_f64.to_bits());
        w.clear();
        assert!(!w.is_full());
    }

    #[test]
    fn nan_aware_helpers() {
        assert!(sanitize(f64::INFINITY).is_nan());
        assert_eq!(sanitize(1.5).to_bits(), 1.5_f64.to_bits());
        assert!(nan_max(1.0, f64::NAN).is_nan());
        assert!(nan_min(f64::NAN, 1.0).is_nan());
        assert_eq!(nan_max(1.0, 2.0).to_bits(), 2.0_f64.to_bits());
        assert_eq!(nan_min(1.0, 2.0).to_bits(), 1.0_f64.to_bits());
    }
}
