//! The synthetic generator: reproducibility, bar invariants, statistical shape, bad specs.

use vela_data::{BarFrame, GenerateError, GeneratorSpec, Interval, generate};

const MINUTE: i64 = 60_000;

/// FNV-1a over the bits of every column of the first `n` rows.
fn fingerprint(frame: &BarFrame, n: usize) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for row in frame.rows().take(n) {
        let quote = row
            .quote_volume
            .expect("generated frames have quote volumes");
        let words = [
            row.ts.cast_unsigned(),
            row.open.to_bits(),
            row.high.to_bits(),
            row.low.to_bits(),
            row.close.to_bits(),
            row.volume.to_bits(),
            quote.to_bits(),
        ];
        for byte in words.iter().flat_map(|w| w.to_le_bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

fn log_returns(frame: &BarFrame) -> Vec<f64> {
    frame.close.windows(2).map(|w| (w[1] / w[0]).ln()).collect()
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

fn std_dev(xs: &[f64]) -> f64 {
    let m = mean(xs);
    (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / xs.len() as f64).sqrt()
}

#[test]
fn same_seed_same_bits_other_seed_other_bars() {
    let a = generate(&GeneratorSpec::new(7, 5_000)).unwrap();
    let b = generate(&GeneratorSpec::new(7, 5_000)).unwrap();
    assert_eq!(a, b);
    assert_eq!(fingerprint(&a, a.len()), fingerprint(&b, b.len()));
    let c = generate(&GeneratorSpec::new(8, 5_000)).unwrap();
    assert_eq!(a.ts, c.ts);
    assert_ne!(a.close, c.close);
    // A longer run starts with the shorter one: the stream does not depend on `bars`.
    let long = generate(&GeneratorSpec::new(7, 6_000)).unwrap();
    assert_eq!(fingerprint(&long, 5_000), fingerprint(&a, 5_000));
}

/// Pins the generator's output. If this fails, the generator changed: every seeded frame
/// (and every result computed from one) changes with it. Update the pins only on purpose.
#[test]
fn output_is_pinned() {
    let frame = generate(&GeneratorSpec::new(42, 10_001)).unwrap();
    let first_100: f64 = frame.close[..100].iter().sum();
    assert_eq!(first_100.to_bits(), PIN_SUM_100.to_bits(), "{first_100}");
    assert_eq!(frame.ts[10_000], 1_704_067_200_000 + 10_000 * MINUTE);
    let close = frame.close[10_000];
    assert_eq!(close.to_bits(), PIN_CLOSE_10_000.to_bits(), "{close}");
    let hash = fingerprint(&frame, frame.len());
    assert_eq!(hash, PIN_HASH, "{hash:#018x}");
}

const PIN_SUM_100: f64 = 5_015_978.17;
const PIN_CLOSE_10_000: f64 = 60_187.57;
const PIN_HASH: u64 = 0x2378_0469_f8d8_4c58;

#[test]
fn every_bar_is_a_valid_bar() {
    let frame = generate(&GeneratorSpec::new(1, 200_000)).unwrap();
    assert_eq!(frame.len(), 200_000);
    assert_eq!(frame.validate(), Ok(()));
    let quote = frame.quote_volume.as_ref().unwrap();
    for (i, row) in frame.rows().enumerate() {
        let prices = [row.open, row.high, row.low, row.close];
        assert!(
            prices.iter().all(|p| p.is_finite() && *p > 0.0),
            "{i}: {row:?}"
        );
        assert!(
            row.low <= row.open.min(row.close) && row.open.max(row.close) <= row.high,
            "{i}: {row:?}"
        );
        // On the 0.01 price grid.
        assert!(
            prices
                .iter()
                .all(|p| ((p * 100.0).round() / 100.0).to_bits() == p.to_bits())
        );
        assert!(row.volume.is_finite() && row.volume > 0.0, "{i}: {row:?}");
        assert!(quote[i].is_finite() && quote[i] > 0.0, "{i}: {row:?}");
        if i > 0 {
            assert_eq!(row.ts - frame.ts[i - 1], MINUTE);
            assert_eq!(row.open.to_bits(), frame.close[i - 1].to_bits());
        }
    }
}

#[test]
fn regimes_fat_tails_ranges_and_volume_spikes() {
    let frame = generate(&GeneratorSpec::new(3, 100_000)).unwrap();
    let returns = log_returns(&frame);

    // Regime switching: four-hour windows differ widely in volatility.
    let stds: Vec<f64> = returns.chunks(240).map(std_dev).collect();
    let (low, high) = stds.iter().fold((f64::INFINITY, 0.0_f64), |(lo, hi), s| {
        (lo.min(*s), hi.max(*s))
    });
    assert!(high / low > 3.0, "rolling std from {low} to {high}");

    // Fat tails.
    let m = mean(&returns);
    let var = returns.iter().map(|r| (r - m).powi(2)).sum::<f64>() / returns.len() as f64;
    let m4 = returns.iter().map(|r| (r - m).powi(4)).sum::<f64>() / returns.len() as f64;
    let excess_kurtosis = m4 / (var * var) - 3.0;
    assert!(excess_kurtosis > 1.0, "excess kurtosis {excess_kurtosis}");
    // One-minute volatility in the range of liquid crypto (0.05 % to 0.3 %).
    assert!((0.000_5..0.003).contains(&var.sqrt()), "std {}", var.sqrt());

    // Intrabar ranges: wider than the body, as for a random walk (mean range ≈ 2 × mean
    // |open-to-close| for Brownian motion).
    let range = mean(
        &frame
            .rows()
            .map(|r| (r.high / r.low).ln())
            .collect::<Vec<_>>(),
    );
    let body = mean(
        &frame
            .rows()
            .map(|r| (r.close / r.open).ln().abs())
            .collect::<Vec<_>>(),
    );
    assert!(
        (1.5..3.0).contains(&(range / body)),
        "range {range} body {body}"
    );

    // Volume spikes.
    let mut volumes = frame.volume.clone();
    volumes.sort_by(f64::total_cmp);
    let median = volumes[volumes.len() / 2];
    let max = volumes[volumes.len() - 1];
    assert!(max / median > 3.0, "max {max} median {median}");
    // Volume follows volatility: the busiest window trades more than the calmest.
    let vol_by_window: Vec<f64> = frame.volume[1..].chunks(240).map(mean).collect();
    let calmest = stds
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .unwrap()
        .0;
    let wildest = stds
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap()
        .0;
    assert!(vol_by_window[wildest] > 2.0 * vol_by_window[calmest]);
}

#[test]
fn coarser_intervals_step_by_their_length() {
    for interval in [Interval::H1, Interval::D1, Interval::W1] {
        let spec = GeneratorSpec {
            interval,
            ..GeneratorSpec::new(5, 300)
        };
        let frame = generate(&spec).unwrap();
        let len = interval.millis().unwrap();
        assert!(frame.ts.windows(2).all(|w| w[1] - w[0] == len));
        assert!(frame.ts.iter().all(|&t| interval.bucket(t) == t));
        assert!(
            frame
                .rows()
                .all(|r| r.low <= r.open.min(r.close) && r.high >= r.open.max(r.close))
        );
    }
}

fn error(spec: &GeneratorSpec) -> String {
    generate(spec).expect_err("an invalid spec").to_string()
}

#[test]
fn invalid_specs_name_the_field() {
    let ok = GeneratorSpec::new(0, 10);
    assert!(
        error(&GeneratorSpec {
            bars: 0,
            ..ok.clone()
        })
        .contains("bars must be at least 1")
    );
    for price in [0.0, -1.0, f64::NAN, f64::INFINITY, 0.5] {
        let spec = GeneratorSpec {
            start_price: price,
            ..ok.clone()
        };
        assert!(error(&spec).contains("start_price"), "{}", error(&spec));
    }
    let month = GeneratorSpec {
        interval: Interval::Month1,
        ..ok.clone()
    };
    assert_eq!(
        generate(&month).unwrap_err(),
        GenerateError::UnfixedInterval(Interval::Month1)
    );
    assert!(error(&month).contains("interval 1M"), "{}", error(&month));
    let cases = [
        (
            "start_ts",
            GeneratorSpec {
                start_ts: 1,
                ..ok.clone()
            },
        ),
        (
            "start_ts",
            GeneratorSpec {
                interval: Interval::W1,
                start_ts: 0,
                ..ok.clone()
            },
        ),
        (
            "bars",
            GeneratorSpec {
                bars: usize::MAX,
                ..ok.clone()
            },
        ),
        (
            "price_decimals",
            GeneratorSpec {
                price_decimals: 13,
                ..ok.clone()
            },
        ),
        (
            "volume_decimals",
            GeneratorSpec {
                volume_decimals: 99,
                ..ok.clone()
            },
        ),
        (
            "base_volume",
            GeneratorSpec {
                base_volume: 0.0,
                ..ok.clone()
            },
        ),
        (
            "base_volume",
            GeneratorSpec {
                base_volume: f64::NAN,
                ..ok.clone()
            },
        ),
        (
            "spike_probability",
            GeneratorSpec {
                spike_probability: 1.5,
                ..ok.clone()
            },
        ),
        (
            "vol_scale",
            GeneratorSpec {
                vol_scale: 0.0,
                ..ok.clone()
            },
        ),
        (
            "vol_scale",
            GeneratorSpec {
                vol_scale: f64::NAN,
                ..ok.clone()
            },
        ),
    ];
    for (field, spec) in cases {
        let GenerateError::InvalidField { field: named, .. } = generate(&spec).unwrap_err() else {
            panic!("{field}: not an invalid field");
        };
        assert_eq!(named, field, "{}", error(&spec));
    }
    assert_eq!(GeneratorSpec::default(), GeneratorSpec::new(0, 1_440));
    assert!(generate(&ok).is_ok());
}
