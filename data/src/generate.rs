//! A seeded synthetic bar generator, so that every command can run offline.
//!
//! [`generate`] turns a [`GeneratorSpec`] into a [`BarFrame`]. The same spec (seed
//! included) gives the same frame, bit for bit, on every platform: the random stream is
//! `ChaCha12` (`rand_chacha`), whose output is specified and stable across versions and
//! architectures, seeded with `SeedableRng::seed_from_u64` (a specified PCG32 expansion);
//! the transcendental functions come from the pure-Rust `libm` crate rather than the
//! platform's C library; everything else is IEEE-754 arithmetic. No clock, no `thread_rng`.
//!
//! # Model
//!
//! All parameters are stated per **one minute**; a bar of `n` minutes scales them as noted.
//!
//! **Regimes.** A hidden Markov chain over four regimes ([`REGIMES`]), starting calm:
//!
//! | regime     | drift / min | volatility / min | mean stay | on leaving, goes to (calm, up, down, volatile) |
//! |------------|-------------|------------------|-----------|-------------------------------------------------|
//! | calm       | 0           | 0.06 %           | 240 min   | –, 0.35, 0.35, 0.30                             |
//! | trend up   | +0.005 %    | 0.10 %           | 120 min   | 0.60, –, 0.10, 0.30                             |
//! | trend down | −0.006 %    | 0.12 %           | 90 min    | 0.50, 0.10, –, 0.40                             |
//! | volatile   | 0           | 0.25 %           | 45 min    | 0.50, 0.20, 0.30, –                             |
//!
//! Before each bar the chain stays with probability `(1 − 1/mean_stay)^n`, else it moves to
//! another regime with the listed probabilities. A bar's drift is `μ = drift · n` and its
//! volatility `σ = vol · vol_scale · √n`.
//!
//! **Returns.** The close-to-close log return is `r = μ + σ·z` with `z` a Student-t with 4
//! degrees of freedom scaled to unit variance (`z = N·√(2/W)`, `N` standard normal,
//! `W = −2 ln(U₁U₂)` a χ² with 4 degrees of freedom): fat tails, infinite kurtosis.
//!
//! **Intrabar range.** The open is the previous close (the first open is `start_price`).
//! The path inside the bar is a Brownian bridge from 0 to `r` in log space sampled at 8
//! sub-steps (each of standard deviation `σ/√8`); high and low are the extremes of that
//! path (open and close included), each pushed outwards by `0.5826 · σ/√8 · E` with `E`
//! exponential of mean 1 — on average the Broadie–Glasserman correction for the extremes
//! a discretely sampled path misses.
//!
//! **Volume.** `volume = base_volume · n · (vol / calm vol) · L · (0.5 + 0.5|z|) · S`, with
//! `L = exp(0.5·N − 0.125)` log-normal of mean 1, the regime's (unscaled) volatility ratio
//! tying volume to activity, `|z|` making big moves busy, and `S` a spike: with probability
//! `spike_probability` a uniform factor in `[3, 10)`, else 1. `quote_volume` is
//! `volume · (high + low + close) / 3`, always present.
//!
//! **Rounding.** Prices are rounded to `price_decimals` (and never below one tick), volumes
//! and quote volumes to `volume_decimals` (and never below one unit of the last decimal).
//! After rounding, `high = max(high, open, close)` and `low = min(low, open, close)`, so
//! `low ≤ open, close ≤ high` holds for every bar and every price is positive.

use rand_chacha::ChaCha12Rng;
use rand_core::{Rng, SeedableRng};
use thiserror::Error;

use crate::frame::{BarFrame, Row};
use crate::interval::Interval;

/// A market regime of the hidden Markov chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Regime {
    /// Quiet, driftless.
    Calm,
    /// Drifting up.
    TrendUp,
    /// Drifting down.
    TrendDown,
    /// Driftless and wild.
    Volatile,
}

/// The parameters of one regime, per minute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegimeParams {
    /// The regime.
    pub regime: Regime,
    /// Drift of the log price per minute.
    pub drift: f64,
    /// Volatility of the log price per minute.
    pub vol: f64,
    /// Mean time spent in the regime, in minutes.
    pub mean_stay_minutes: f64,
    /// On leaving, the probability of moving to each regime, in the order of [`REGIMES`]
    /// (the regime's own entry is 0; the entries sum to 1).
    pub exits: [f64; 4],
}

/// The regimes, in the chain's index order (calm, trend up, trend down, volatile).
pub const REGIMES: [RegimeParams; 4] = [
    RegimeParams {
        regime: Regime::Calm,
        drift: 0.0,
        vol: 0.000_6,
        mean_stay_minutes: 240.0,
        exits: [0.0, 0.35, 0.35, 0.30],
    },
    RegimeParams {
        regime: Regime::TrendUp,
        drift: 0.000_05,
        vol: 0.001_0,
        mean_stay_minutes: 120.0,
        exits: [0.60, 0.0, 0.10, 0.30],
    },
    RegimeParams {
        regime: Regime::TrendDown,
        drift: -0.000_06,
        vol: 0.001_2,
        mean_stay_minutes: 90.0,
        exits: [0.50, 0.10, 0.0, 0.40],
    },
    RegimeParams {
        regime: Regime::Volatile,
        drift: 0.0,
        vol: 0.002_5,
        mean_stay_minutes: 45.0,
        exits: [0.50, 0.20, 0.30, 0.0],
    },
];

/// Sub-steps of the intrabar path.
const SUB_STEPS: usize = 8;
/// Broadie–Glasserman: the expected overshoot of a continuous path's extreme over a
/// discretely sampled one, in sub-step standard deviations (`−ζ(1/2)/√(2π)`).
const EXTREME_CORRECTION: f64 = 0.5826;
/// The most decimals a price or volume may be rounded to.
const MAX_DECIMALS: u32 = 12;

/// What to generate. Every field is public; [`GeneratorSpec::new`] fills in the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorSpec {
    /// Seed of the random stream. Default 0.
    pub seed: u64,
    /// Open time of the first bar, ms UTC; must be aligned to `interval`.
    /// Default 2024-01-01T00:00:00Z (a Monday, so weekly bars align too).
    pub start_ts: i64,
    /// Number of bars, at least 1. Default 1 440 (a day of minutes).
    pub bars: usize,
    /// Bar interval; must have a fixed length (not `1M`). Default `1m`.
    pub interval: Interval,
    /// Open of the first bar; finite and at least 100 price ticks. Default 50 000.
    pub start_price: f64,
    /// Decimals prices are rounded to, at most 12. Default 2.
    pub price_decimals: u32,
    /// Decimals volumes are rounded to, at most 12. Default 6.
    pub volume_decimals: u32,
    /// Volume level of a calm one-minute bar (base units); finite and > 0. Default 5.
    pub base_volume: f64,
    /// Probability that a bar's volume spikes (× 3 to 10); in `[0, 1]`. Default 0.01.
    pub spike_probability: f64,
    /// Multiplies every regime's volatility; finite, in `(0, 10]`. Default 1.
    pub vol_scale: f64,
}

impl GeneratorSpec {
    /// The default spec with a given seed and number of bars.
    #[must_use]
    pub const fn new(seed: u64, bars: usize) -> Self {
        Self {
            seed,
            start_ts: 1_704_067_200_000,
            bars,
            interval: Interval::M1,
            start_price: 50_000.0,
            price_decimals: 2,
            volume_decimals: 6,
            base_volume: 5.0,
            spike_probability: 0.01,
            vol_scale: 1.0,
        }
    }
}

impl Default for GeneratorSpec {
    /// Seed 0, 1 440 one-minute bars.
    fn default() -> Self {
        Self::new(0, 1_440)
    }
}

/// A spec the generator cannot follow.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GenerateError {
    /// A field is out of range.
    #[error("generator spec: {field} {reason}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The interval has no fixed length.
    #[error(
        "generator spec: interval {0} has no fixed length (the generator needs one of 1m, 5m, 15m, 30m, 60m, 4h, 1d, 1W)"
    )]
    UnfixedInterval(Interval),
}

fn invalid(field: &'static str, reason: String) -> GenerateError {
    GenerateError::InvalidField { field, reason }
}

/// `10^decimals`, exactly (decimals ≤ 12, far below 2^53).
fn scale_of(decimals: u32) -> f64 {
    // 10^12 < 2^53: the conversion is exact.
    10_u64.pow(decimals.min(MAX_DECIMALS)) as f64
}

/// Checks the spec; returns the bar length in ms.
fn validate(spec: &GeneratorSpec) -> Result<i64, GenerateError> {
    if spec.bars == 0 {
        return Err(invalid("bars", "must be at least 1, got 0".to_owned()));
    }
    let len = spec
        .interval
        .millis()
        .ok_or(GenerateError::UnfixedInterval(spec.interval))?;
    if spec.interval.bucket(spec.start_ts) != spec.start_ts {
        let (ts, interval) = (spec.start_ts, spec.interval);
        return Err(invalid(
            "start_ts",
            format!("{ts} is not the open time of a {interval} bar"),
        ));
    }
    let last = i64::try_from(spec.bars - 1)
        .ok()
        .and_then(|n| n.checked_mul(len))
        .and_then(|span| span.checked_add(spec.start_ts));
    if last.is_none() {
        let bars = spec.bars;
        return Err(invalid(
            "bars",
            format!("{bars} bars from start_ts run past the end of i64 milliseconds"),
        ));
    }
    for (field, decimals) in [
        ("price_decimals", spec.price_decimals),
        ("volume_decimals", spec.volume_decimals),
    ] {
        if decimals > MAX_DECIMALS {
            return Err(invalid(
                field,
                format!("must be at most {MAX_DECIMALS}, got {decimals}"),
            ));
        }
    }
    let price = spec.start_price;
    if !(price.is_finite() && price > 0.0) {
        return Err(invalid(
            "start_price",
            format!("must be finite and > 0, got {price}"),
        ));
    }
    if price * scale_of(spec.price_decimals) < 100.0 {
        let decimals = spec.price_decimals;
        return Err(invalid(
            "start_price",
            format!("{price} is under 100 ticks at price_decimals = {decimals}"),
        ));
    }
    let volume = spec.base_volume;
    if !(volume.is_finite() && volume > 0.0) {
        return Err(invalid(
            "base_volume",
            format!("must be finite and > 0, got {volume}"),
        ));
    }
    let p = spec.spike_probability;
    if !(0.0..=1.0).contains(&p) {
        return Err(invalid(
            "spike_probability",
            format!("must be in [0, 1], got {p}"),
        ));
    }
    let v = spec.vol_scale;
    if !(v > 0.0 && v <= 10.0) {
        return Err(invalid("vol_scale", format!("must be in (0, 10], got {v}")));
    }
    Ok(len)
}

/// The random stream and the distributions drawn from it.
struct Source {
    rng: ChaCha12Rng,
    spare_normal: Option<f64>,
}

impl Source {
    fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha12Rng::seed_from_u64(seed),
            spare_normal: None,
        }
    }

    /// Uniform in `[0, 1)`, 53 bits.
    fn uniform(&mut self) -> f64 {
        // A 53-bit integer converts to f64 exactly.
        (self.rng.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform in `(0, 1]`, safe to take the log of.
    fn uniform_open(&mut self) -> f64 {
        ((self.rng.next_u64() >> 11) + 1) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Standard normal (Marsaglia's polar method; the second value is kept for the next
    /// call).
    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let m = (-2.0 * libm::log(s) / s).sqrt();
                self.spare_normal = Some(v * m);
                return u * m;
            }
        }
    }

    /// Exponential of mean 1.
    fn exponential(&mut self) -> f64 {
        -libm::log(self.uniform_open())
    }

    /// Student-t with 4 degrees of freedom, scaled to unit variance.
    fn student_t4(&mut self) -> f64 {
        let n = self.normal();
        let chi2 = -2.0 * (libm::log(self.uniform_open()) + libm::log(self.uniform_open()));
        // chi2 = 0 only when both uniforms are exactly 1 (odds 2^-106): then no tail.
        if chi2 > 0.0 {
            n * (2.0 / chi2).sqrt()
        } else {
            n
        }
    }
}

/// The chain's per-bar transition: stay probability and exit distribution per regime.
struct Chain {
    stay: [f64; 4],
}

impl Chain {
    fn new(minutes: f64) -> Self {
        Self {
            stay: REGIMES.map(|r| libm::pow(1.0 - 1.0 / r.mean_stay_minutes, minutes)),
        }
    }

    fn step(&self, state: usize, source: &mut Source) -> usize {
        if source.uniform() < self.stay[state] {
            return state;
        }
        let mut u = source.uniform();
        let exits = REGIMES[state].exits;
        for (next, p) in exits.iter().enumerate() {
            if u < *p {
                return next;
            }
            u -= p;
        }
        // Rounding left a sliver past the last exit: take the last possible one.
        exits.iter().rposition(|p| *p > 0.0).unwrap_or(state)
    }
}

fn round_to(x: f64, scale: f64) -> f64 {
    (x * scale).round() / scale
}

/// Generates a synthetic frame; see the module docs for the model.
pub fn generate(spec: &GeneratorSpec) -> Result<BarFrame, GenerateError> {
    let len = validate(spec)?;
    // Whole minutes per bar: every fixed interval is a multiple of a minute (≤ 10 080).
    let minutes = f64::from(u32::try_from(len / 60_000).unwrap_or(u32::MAX));
    let price_scale = scale_of(spec.price_decimals);
    let tick = 1.0 / price_scale;
    let volume_scale = scale_of(spec.volume_decimals);
    let volume_unit = 1.0 / volume_scale;
    let calm_vol = REGIMES[0].vol;
    let sub_steps = SUB_STEPS as f64;

    let chain = Chain::new(minutes);
    let mut source = Source::new(spec.seed);
    let mut frame = BarFrame::empty(true);
    let mut state = 0;
    let mut open = round_to(spec.start_price, price_scale).max(tick);
    let mut ts = spec.start_ts;
    let mut path = [0.0; SUB_STEPS];

    for i in 0..spec.bars {
        if i > 0 {
            ts += len;
            state = chain.step(state, &mut source);
        }
        let regime = REGIMES[state];
        let sigma = regime.vol * spec.vol_scale * minutes.sqrt();
        let z = source.student_t4();
        let r = regime.drift * minutes + sigma * z;

        // Brownian bridge from 0 to r: a random walk, then its end pulled onto r.
        let sub_sigma = sigma / sub_steps.sqrt();
        let mut walk = 0.0;
        for point in &mut path {
            walk += sub_sigma * source.normal();
            *point = walk;
        }
        let (mut top, mut bottom) = (r.max(0.0), r.min(0.0));
        for (k, point) in path.iter().enumerate().take(SUB_STEPS - 1) {
            let bridged = point - (k + 1) as f64 / sub_steps * (walk - r);
            top = top.max(bridged);
            bottom = bottom.min(bridged);
        }
        top += EXTREME_CORRECTION * sub_sigma * source.exponential();
        bottom -= EXTREME_CORRECTION * sub_sigma * source.exponential();

        let close = round_to(open * libm::exp(r), price_scale).max(tick);
        let high = round_to(open * libm::exp(top), price_scale)
            .max(open)
            .max(close);
        let low = round_to(open * libm::exp(bottom), price_scale)
            .max(tick)
            .min(open)
            .min(close);

        let level = libm::exp(0.5 * source.normal() - 0.125);
        let spike = if source.uniform() < spec.spike_probability {
            3.0 + 7.0 * source.uniform()
        } else {
            1.0
        };
        let raw_volume = spec.base_volume
            * minutes
            * (regime.vol / calm_vol)
            * level
            * (0.5 + 0.5 * z.abs())
            * spike;
        let volume = round_to(raw_volume, volume_scale).max(volume_unit);
        let quote = round_to(volume * (high + low + close) / 3.0, volume_scale).max(volume_unit);

        frame.push(Row {
            ts,
            open,
            high,
            low,
            close,
            volume,
            quote_volume: Some(quote),
        });
        open = close;
    }
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exits_are_distributions_and_the_source_is_sane() {
        for (i, r) in REGIMES.iter().enumerate() {
            assert!((r.exits.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(r.exits[i].abs() < f64::EPSILON);
        }
        let mut source = Source::new(7);
        let n = 100_000;
        let draws: Vec<f64> = (0..n).map(|_| source.student_t4()).collect();
        let mean = draws.iter().sum::<f64>() / f64::from(n);
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / f64::from(n);
        assert!(mean.abs() < 0.02, "{mean}");
        assert!((var - 1.0).abs() < 0.1, "{var}");
    }
}
