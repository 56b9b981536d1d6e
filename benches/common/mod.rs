//! The bar series every benchmark runs on: seeded, no randomness crate, the same bars in
//! every benchmark binary (`#[path = "common/mod.rs"] mod common;`).

use vela_core::types::{Bar, Timestamp};

/// A deterministic random walk of `n` one-minute bars (a linear congruential generator, so
/// the benchmark needs no randomness crate and always sees the same series).
pub(crate) fn bars(n: usize) -> Vec<Bar> {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut price = 30_000.0_f64;
    (0..n)
        .map(|i| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            #[allow(
                clippy::cast_precision_loss,
                reason = "a uniform draw from the top 53 bits"
            )]
            let u = (state >> 11) as f64 / (1_u64 << 53) as f64;
            let open = price;
            price *= 1.0 + (u - 0.5) * 0.004;
            let (high, low) = (open.max(price) * 1.0005, open.min(price) * 0.9995);
            #[allow(clippy::cast_possible_wrap, reason = "bench sizes are small")]
            let ts = Timestamp(i as i64 * 60_000);
            Bar {
                ts,
                open,
                high,
                low,
                close: price,
                volume: 5.0 + u,
            }
        })
        .collect()
}
