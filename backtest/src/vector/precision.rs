//! The instrument's price and quantity grids in `f64`, giving exactly the values of
//! `vela_core::money::rounding` (what the event tier uses), without its cost per fill.
//!
//! The core snaps a value to 15 significant digits, then rounds it in `Decimal`: prices to
//! the nearest tick (half away from zero), quantities down to the step. Here `x = v ·
//! 10^precision` is rounded in `f64`; that agrees with the core unless `x` lies within a
//! relative 1e-12 of a rounding boundary (an integer for quantities, a half for prices) —
//! snapping and the multiplication move `x` by less than 1e-14 relative — or `x` is too
//! large to hold an integer exactly. Those rare values take the core's decimal path. The
//! result `k / 10^precision` is the nearest `f64` to the decimal, which is what the core's
//! `to_f64` gives.

use vela_core::money::rounding::{price, quantity_down, to_f64};

/// Integers above this are not all exact in `f64` after a multiplication's rounding.
const EXACT_LIMIT: f64 = 4_503_599_627_370_496.0; // 2^52

/// Relative distance to a rounding boundary below which the decimal path decides.
const MARGIN: f64 = 1e-12;

/// Price and quantity grids of one instrument.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Grid {
    price_precision: u32,
    quantity_precision: u32,
    price_scale: f64,
    quantity_scale: f64,
}

impl Grid {
    /// Grids for `price_precision` and `quantity_precision` decimals (at most 18, as the
    /// instrument's validation guarantees).
    pub(crate) fn new(price_precision: u32, quantity_precision: u32) -> Self {
        let scale = |p: u32| 10_f64.powi(i32::try_from(p).unwrap_or(18));
        Self {
            price_precision,
            quantity_precision,
            price_scale: scale(price_precision),
            quantity_scale: scale(quantity_precision),
        }
    }

    /// `v` rounded to the nearest tick (half away from zero); 0 for non-finite or negative
    /// input.
    #[inline]
    pub(crate) fn price(&self, v: f64) -> f64 {
        let x = v * self.price_scale;
        let floor = x.floor();
        let frac = x - floor;
        if (0.0..EXACT_LIMIT).contains(&x) && (frac - 0.5).abs() > MARGIN * x.max(1.0) {
            let k = if frac > 0.5 { floor + 1.0 } else { floor };
            k / self.price_scale
        } else {
            price(v, self.price_precision).map_or(0.0, to_f64)
        }
    }

    /// `v` rounded down to the quantity step; 0 for non-finite or negative input.
    #[inline]
    pub(crate) fn quantity_down(&self, v: f64) -> f64 {
        down(v, self.quantity_scale, self.quantity_precision)
    }

    /// A quote amount `v` rounded down to the price precision (the engine's market-buy
    /// amount, MEXC `quoteOrderQty`); 0 for non-finite or negative input.
    #[inline]
    pub(crate) fn amount_down(&self, v: f64) -> f64 {
        down(v, self.price_scale, self.price_precision)
    }

    /// A quantity computed in `f64` from on-grid quantities (a sum or difference), put back
    /// on the grid: removes representation noise such as `0.30000000000000004`.
    #[inline]
    pub(crate) fn snap_quantity(&self, v: f64) -> f64 {
        let x = v * self.quantity_scale;
        if x.abs() < EXACT_LIMIT {
            x.round() / self.quantity_scale
        } else {
            v
        }
    }
}

/// `v` rounded down to `precision` decimals (`scale` = 10^precision), exactly as the core's
/// decimal rounding does.
#[inline]
fn down(v: f64, scale: f64, precision: u32) -> f64 {
    let x = v * scale;
    let floor = x.floor();
    let frac = x - floor;
    let margin = MARGIN * x.max(1.0);
    if (0.0..EXACT_LIMIT).contains(&x) && frac > margin && frac < 1.0 - margin {
        floor / scale
    } else {
        quantity_down(v, precision).map_or(0.0, to_f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn core_price(v: f64, p: u32) -> f64 {
        to_f64(price(v, p).unwrap())
    }

    fn core_quantity(v: f64, p: u32) -> f64 {
        to_f64(quantity_down(v, p).unwrap())
    }

    #[test]
    fn known_values() {
        let g = Grid::new(2, 6);
        assert_eq!(g.price(100.005), 100.01);
        assert_eq!(g.price(100.0049), 100.0);
        assert_eq!(g.price(46_377.123), 46_377.12);
        assert_eq!(g.quantity_down(0.1 + 0.2), 0.3);
        assert_eq!(g.quantity_down(0.215_678_9), 0.215_678);
        assert_eq!(g.quantity_down(2.999_999_999_999_999_6), 3.0);
        assert_eq!(g.quantity_down(f64::NAN), 0.0);
        assert_eq!(g.quantity_down(-1.0), 0.0);
        assert_eq!(g.snap_quantity(0.3 - 0.1), 0.2);
        let meme = Grid::new(10, 0);
        assert_eq!(meme.quantity_down(12_345_678_901.9), 12_345_678_901.0);
    }

    proptest! {
        #[test]
        fn prop_grid_matches_core_rounding(
            mantissa in 1_u64..1_000_000_000_000,
            exponent in -12_i32..6,
            noise in -3_i64..=3,
            pp in 0_u32..=12,
            qp in 0_u32..=12,
        ) {
            // Values near decimal boundaries (k · 10^e, nudged by a few ulps) are where a
            // careless f64 rounding goes wrong.
            #[allow(clippy::cast_precision_loss, reason = "test values below 2^40")]
            let base = mantissa as f64 * 10_f64.powi(exponent);
            let v = f64::from_bits(base.to_bits().saturating_add_signed(noise));
            let g = Grid::new(pp, qp);
            prop_assert_eq!(g.price(v).to_bits(), core_price(v, pp).to_bits(), "price {} at {}", v, pp);
            prop_assert_eq!(
                g.quantity_down(v).to_bits(),
                core_quantity(v, qp).to_bits(),
                "quantity {} at {}", v, qp
            );
        }

        #[test]
        fn prop_grid_matches_core_on_random_values(v in 1e-9_f64..1e9, pp in 0_u32..=10, qp in 0_u32..=10) {
            let g = Grid::new(pp, qp);
            prop_assert_eq!(g.price(v).to_bits(), core_price(v, pp).to_bits());
            prop_assert_eq!(g.quantity_down(v).to_bits(), core_quantity(v, qp).to_bits());
            prop_assert_eq!(g.amount_down(v).to_bits(), core_quantity(v, pp).to_bits());
        }
    }
}
