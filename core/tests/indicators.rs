//! Checks every indicator against independent reference values.
//!
//! The fixture `fixtures/indicators/btc_1m_indicators.csv` holds 600 real
//! 1-minute BTC bars and the values TA-Lib (or pandas, for the z-score and the
//! rolling VWAP) computes on them; `fixtures/indicators/generate.py` rebuilds it
//! and `fixtures/indicators/README.md` names the sources and versions.

use std::path::Path;

use vela_core::indicators::{
    Adx, AdxValue, Atr, Bollinger, BollingerValue, Donchian, DonchianValue, Ema, IndicatorError,
    Macd, MacdValue, Obv, RollingStd, Rsi, Sma, Vwap, Wma, ZScore, adx, atr, bollinger, donchian,
    ema, macd, obv, rolling_std, rsi, sma, vwap, wma, zscore,
};

/// Relative tolerance, and absolute tolerance for references below 1 in magnitude.
const TOLERANCE: f64 = 1e-9;

/// The fixture, column by column.
struct Fixture {
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
}

impl Fixture {
    fn load() -> Self {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/indicators/btc_1m_indicators.csv");
        let text = std::fs::read_to_string(&path).expect("fixture is readable");
        let mut lines = text.lines().filter(|l| !l.starts_with('#'));
        let header = lines.next().expect("fixture has a header");
        // Column 0 is the timestamp, kept for readers only.
        let names: Vec<String> = header.split(',').skip(1).map(str::to_owned).collect();
        let mut columns = vec![Vec::new(); names.len()];
        for line in lines {
            let fields: Vec<&str> = line.split(',').skip(1).collect();
            assert_eq!(fields.len(), names.len(), "ragged fixture row: {line}");
            for (column, field) in columns.iter_mut().zip(fields) {
                column.push(field.parse::<f64>().expect("fixture field is a number"));
            }
        }
        assert_eq!(columns[0].len(), 600, "fixture row count");
        Self { names, columns }
    }

    fn col(&self, name: &str) -> &[f64] {
        let i = self.names.iter().position(|n| n == name);
        &self.columns[i.unwrap_or_else(|| panic!("fixture has no column {name}"))]
    }
}

fn first_valid(values: &[f64]) -> Option<usize> {
    values.iter().position(|x| !x.is_nan())
}

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|x| x.to_bits()).collect()
}

/// NaN before `start`, within tolerance of `expected` from `start` on.
fn assert_matches_from(name: &str, actual: &[f64], expected: &[f64], start: usize) {
    assert_eq!(actual.len(), expected.len(), "{name}: length");
    assert_eq!(
        first_valid(actual),
        Some(start),
        "{name}: first value index"
    );
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate().skip(start) {
        assert!(e.is_finite(), "{name}[{i}]: reference is {e}");
        let tol = TOLERANCE * e.abs().max(1.0);
        assert!(
            (a - e).abs() <= tol,
            "{name}[{i}]: got {a}, reference {e}, difference {}",
            (a - e).abs()
        );
    }
}

/// Same warm-up as the reference, and within tolerance everywhere after it.
fn assert_matches(name: &str, actual: &[f64], expected: &[f64], warmup: usize) {
    assert_eq!(
        first_valid(expected),
        Some(warmup),
        "{name}: reference warm-up"
    );
    assert_matches_from(name, actual, expected, warmup);
}

fn same_bits(name: &str, streamed: &[f64], sliced: &[f64]) {
    assert_eq!(bits(streamed), bits(sliced), "{name}: streaming != slice");
}

/// Runs a streaming indicator over `n` inputs, checking `value()` and
/// `is_ready()` after every update, then resets it and checks that a second
/// run reproduces the first bit for bit. Returns one vector per output field,
/// NaN where `update` returned `None`.
fn stream<I, T: Copy>(
    ind: &mut I,
    n: usize,
    mut update: impl FnMut(&mut I, usize) -> Option<T>,
    state: impl Fn(&I) -> (Option<T>, bool),
    reset: impl Fn(&mut I),
    fields: &[fn(&T) -> f64],
) -> Vec<Vec<f64>> {
    let mut run = |ind: &mut I| -> Vec<Vec<f64>> {
        let mut out = vec![Vec::with_capacity(n); fields.len()];
        for i in 0..n {
            let got = update(ind, i);
            let (value, ready) = state(ind);
            assert_eq!(ready, got.is_some(), "is_ready after input {i}");
            for (column, field) in out.iter_mut().zip(fields) {
                let x = got.as_ref().map_or(f64::NAN, field);
                let v = value.as_ref().map_or(f64::NAN, field);
                assert_eq!(v.to_bits(), x.to_bits(), "value() after input {i}");
                column.push(x);
            }
        }
        out
    };
    let first = run(ind);
    reset(ind);
    let (value, ready) = state(ind);
    assert!(value.is_none() && !ready, "reset clears the state");
    let second = run(ind);
    for (a, b) in first.iter().zip(&second) {
        same_bits("rerun after reset", a, b);
    }
    first
}

fn scalar(v: &f64) -> f64 {
    *v
}

#[test]
fn moving_averages_match_talib() {
    let f = Fixture::load();
    let close = f.col("close");
    let n = close.len();
    let out = sma(close, 20).expect("valid period");
    let mut ind = Sma::new(20).expect("valid period");
    assert_matches("sma20", &out, f.col("sma20"), ind.warmup_period());
    let streamed = stream(
        &mut ind,
        n,
        |s, i| s.update(close[i]),
        |s| (s.value(), s.is_ready()),
        Sma::reset,
        &[scalar],
    );
    same_bits("sma", &streamed[0], &out);

    let out = ema(close, 20).expect("valid period");
    let mut ind = Ema::new(20).expect("valid period");
    assert_matches("ema20", &out, f.col("ema20"), ind.warmup_period());
    let streamed = stream(
        &mut ind,
        n,
        |s, i| s.update(close[i]),
        |s| (s.value(), s.is_ready()),
        Ema::reset,
        &[scalar],
    );
    same_bits("ema", &streamed[0], &out);

    let out = wma(close, 20).expect("valid period");
    let mut ind = Wma::new(20).expect("valid period");
    assert_matches("wma20", &out, f.col("wma20"), ind.warmup_period());
    let streamed = stream(
        &mut ind,
        n,
        |s, i| s.update(close[i]),
        |s| (s.value(), s.is_ready()),
        Wma::reset,
        &[scalar],
    );
    same_bits("wma", &streamed[0], &out);
    assert_eq!(ind.warmup_period(), 19);
}

#[test]
fn rsi_matches_talib() {
    let f = Fixture::load();
    let close = f.col("close");
    let out = rsi(close, 14).expect("valid period");
    let mut ind = Rsi::new(14).expect("valid period");
    assert_eq!(ind.warmup_period(), 14);
    assert_matches("rsi14", &out, f.col("rsi14"), ind.warmup_period());
    let streamed = stream(
        &mut ind,
        close.len(),
        |s, i| s.update(close[i]),
        |s| (s.value(), s.is_ready()),
        Rsi::reset,
        &[scalar],
    );
    same_bits("rsi", &streamed[0], &out);
}

#[test]
fn macd_matches_talib() {
    let f = Fixture::load();
    let close = f.col("close");
    let out = macd(close, 12, 26, 9).expect("valid periods");
    let mut ind = Macd::new(12, 26, 9).expect("valid periods");
    assert_eq!(ind.warmup_period(), 33);
    assert_matches("macd", &out.macd, f.col("macd"), ind.warmup_period());
    assert_matches(
        "macd_signal",
        &out.signal,
        f.col("macd_signal"),
        ind.warmup_period(),
    );
    assert_matches(
        "macd_hist",
        &out.histogram,
        f.col("macd_hist"),
        ind.warmup_period(),
    );
    let streamed = stream(
        &mut ind,
        close.len(),
        |s, i| s.update(close[i]),
        |s| (s.value(), s.is_ready()),
        Macd::reset,
        &[
            |v: &MacdValue| v.macd,
            |v: &MacdValue| v.signal,
            |v: &MacdValue| v.histogram,
        ],
    );
    same_bits("macd", &streamed[0], &out.macd);
    same_bits("macd signal", &streamed[1], &out.signal);
    same_bits("macd histogram", &streamed[2], &out.histogram);
}

#[test]
fn bollinger_matches_talib() {
    let f = Fixture::load();
    let close = f.col("close");
    let out = bollinger(close, 20, 2.0).expect("valid parameters");
    let mut ind = Bollinger::new(20, 2.0).expect("valid parameters");
    assert_matches(
        "bb_middle",
        &out.middle,
        f.col("bb_middle"),
        ind.warmup_period(),
    );
    assert_matches(
        "bb_upper",
        &out.upper,
        f.col("bb_upper"),
        ind.warmup_period(),
    );
    assert_matches(
        "bb_lower",
        &out.lower,
        f.col("bb_lower"),
        ind.warmup_period(),
    );
    let streamed = stream(
        &mut ind,
        close.len(),
        |s, i| s.update(close[i]),
        |s| (s.value(), s.is_ready()),
        Bollinger::reset,
        &[
            |v: &BollingerValue| v.middle,
            |v: &BollingerValue| v.upper,
            |v: &BollingerValue| v.lower,
        ],
    );
    same_bits("bb middle", &streamed[0], &out.middle);
    same_bits("bb upper", &streamed[1], &out.upper);
    same_bits("bb lower", &streamed[2], &out.lower);
}

#[test]
fn atr_matches_talib() {
    let f = Fixture::load();
    let (high, low, close) = (f.col("high"), f.col("low"), f.col("close"));
    let out = atr(high, low, close, 14).expect("valid period");
    let mut ind = Atr::new(14).expect("valid period");
    assert_eq!(ind.warmup_period(), 14);
    assert_matches("atr14", &out, f.col("atr14"), ind.warmup_period());
    let streamed = stream(
        &mut ind,
        close.len(),
        |s, i| s.update(high[i], low[i], close[i]),
        |s| (s.value(), s.is_ready()),
        Atr::reset,
        &[scalar],
    );
    same_bits("atr", &streamed[0], &out);
}

#[test]
fn donchian_matches_talib_max_min() {
    let f = Fixture::load();
    let (high, low) = (f.col("high"), f.col("low"));
    let out = donchian(high, low, 20).expect("valid period");
    let mut ind = Donchian::new(20).expect("valid period");
    assert_matches(
        "dc_upper",
        &out.upper,
        f.col("dc_upper"),
        ind.warmup_period(),
    );
    assert_matches(
        "dc_middle",
        &out.middle,
        f.col("dc_middle"),
        ind.warmup_period(),
    );
    assert_matches(
        "dc_lower",
        &out.lower,
        f.col("dc_lower"),
        ind.warmup_period(),
    );
    let streamed = stream(
        &mut ind,
        high.len(),
        |s, i| s.update(high[i], low[i]),
        |s| (s.value(), s.is_ready()),
        Donchian::reset,
        &[
            |v: &DonchianValue| v.upper,
            |v: &DonchianValue| v.middle,
            |v: &DonchianValue| v.lower,
        ],
    );
    same_bits("donchian upper", &streamed[0], &out.upper);
    same_bits("donchian middle", &streamed[1], &out.middle);
    same_bits("donchian lower", &streamed[2], &out.lower);
}

#[test]
fn rolling_std_matches_talib_and_zscore_matches_pandas() {
    let f = Fixture::load();
    let close = f.col("close");
    let out = rolling_std(close, 20).expect("valid period");
    let mut ind = RollingStd::new(20).expect("valid period");
    assert_matches("std20", &out, f.col("std20"), ind.warmup_period());
    let streamed = stream(
        &mut ind,
        close.len(),
        |s, i| s.update(close[i]),
        |s| (s.value(), s.is_ready()),
        RollingStd::reset,
        &[scalar],
    );
    same_bits("rolling std", &streamed[0], &out);

    let out = zscore(close, 20).expect("valid period");
    let mut ind = ZScore::new(20).expect("valid period");
    assert_matches("zscore20", &out, f.col("zscore20"), ind.warmup_period());
    let streamed = stream(
        &mut ind,
        close.len(),
        |s, i| s.update(close[i]),
        |s| (s.value(), s.is_ready()),
        ZScore::reset,
        &[scalar],
    );
    same_bits("zscore", &streamed[0], &out);
}

#[test]
fn vwap_matches_pandas() {
    let f = Fixture::load();
    let (high, low, close, volume) = (f.col("high"), f.col("low"), f.col("close"), f.col("volume"));
    let out = vwap(high, low, close, volume, 20).expect("valid period");
    let mut ind = Vwap::new(20).expect("valid period");
    assert_matches("vwap20", &out, f.col("vwap20"), ind.warmup_period());
    let streamed = stream(
        &mut ind,
        close.len(),
        |s, i| s.update(high[i], low[i], close[i], volume[i]),
        |s| (s.value(), s.is_ready()),
        Vwap::reset,
        &[scalar],
    );
    same_bits("vwap", &streamed[0], &out);
}

#[test]
fn obv_matches_talib() {
    let f = Fixture::load();
    let (close, volume) = (f.col("close"), f.col("volume"));
    let out = obv(close, volume).expect("equal lengths");
    let mut ind = Obv::new();
    assert_eq!(ind.warmup_period(), 0);
    assert_matches("obv", &out, f.col("obv"), ind.warmup_period());
    let streamed = stream(
        &mut ind,
        close.len(),
        |s, i| s.update(close[i], volume[i]),
        |s| (s.value(), s.is_ready()),
        Obv::reset,
        &[scalar],
    );
    same_bits("obv", &streamed[0], &out);
}

#[test]
fn adx_matches_talib() {
    let f = Fixture::load();
    let (high, low, close) = (f.col("high"), f.col("low"), f.col("close"));
    let out = adx(high, low, close, 14).expect("valid period");
    let mut ind = Adx::new(14).expect("valid period");
    assert_eq!(ind.warmup_period(), 27);
    assert_matches("adx14", &out.adx, f.col("adx14"), ind.warmup_period());
    // TA-Lib's PLUS_DI/MINUS_DI start at index `period`; ours are reported
    // with the ADX, so they are compared from the ADX's first index on.
    assert_eq!(first_valid(f.col("plus_di14")), Some(14));
    assert_matches_from(
        "plus_di14",
        &out.plus_di,
        f.col("plus_di14"),
        ind.warmup_period(),
    );
    assert_matches_from(
        "minus_di14",
        &out.minus_di,
        f.col("minus_di14"),
        ind.warmup_period(),
    );
    let streamed = stream(
        &mut ind,
        close.len(),
        |s, i| s.update(high[i], low[i], close[i]),
        |s| (s.value(), s.is_ready()),
        Adx::reset,
        &[
            |v: &AdxValue| v.adx,
            |v: &AdxValue| v.plus_di,
            |v: &AdxValue| v.minus_di,
        ],
    );
    same_bits("adx", &streamed[0], &out.adx);
    same_bits("plus di", &streamed[1], &out.plus_di);
    same_bits("minus di", &streamed[2], &out.minus_di);
}

fn message<T>(result: Result<T, IndicatorError>) -> String {
    result.map_or_else(|e| e.to_string(), |_| "no error".to_owned())
}

#[test]
fn constructors_reject_bad_parameters_with_named_rules() {
    assert_eq!(message(Sma::new(0)), "SMA period must be at least 1, got 0");
    assert_eq!(message(Ema::new(0)), "EMA period must be at least 1, got 0");
    assert_eq!(message(Wma::new(0)), "WMA period must be at least 1, got 0");
    assert_eq!(message(Rsi::new(0)), "RSI period must be at least 1, got 0");
    assert_eq!(message(Atr::new(0)), "ATR period must be at least 1, got 0");
    assert_eq!(message(Adx::new(0)), "ADX period must be at least 1, got 0");
    assert_eq!(
        message(Donchian::new(0)),
        "Donchian period must be at least 1, got 0"
    );
    assert_eq!(
        message(Vwap::new(0)),
        "VWAP period must be at least 1, got 0"
    );
    assert_eq!(
        message(RollingStd::new(1)),
        "rolling std period must be at least 2, got 1"
    );
    assert_eq!(
        message(ZScore::new(1)),
        "z-score period must be at least 2, got 1"
    );
    assert_eq!(
        message(Bollinger::new(0, 2.0)),
        "Bollinger period must be at least 2, got 0"
    );
    assert_eq!(
        message(Bollinger::new(20, -1.0)),
        "Bollinger k must be a finite number greater than 0, got -1"
    );
    assert_eq!(
        message(Macd::new(26, 12, 9)),
        "MACD fast period must be less than slow period, got fast 26 and slow 12"
    );
    assert_eq!(
        message(Macd::new(12, 12, 9)),
        "MACD fast period must be less than slow period, got fast 12 and slow 12"
    );
    assert_eq!(
        message(Macd::new(0, 26, 9)),
        "MACD fast period must be at least 1, got 0"
    );
    assert_eq!(
        message(Macd::new(12, 26, 0)),
        "MACD signal period must be at least 1, got 0"
    );
    assert_eq!(
        message(sma(&[1.0], 0)),
        "SMA period must be at least 1, got 0"
    );
    assert_eq!(
        message(macd(&[1.0], 3, 2, 1)),
        "MACD fast period must be less than slow period, got fast 3 and slow 2"
    );
    assert!(matches!(
        Sma::new(0),
        Err(IndicatorError::PeriodTooShort {
            indicator: "SMA",
            parameter: "period",
            min: 1,
            got: 0
        })
    ));
}

#[test]
fn slice_functions_reject_mismatched_lengths() {
    let (a, b) = ([1.0, 2.0, 3.0], [1.0, 2.0]);
    assert_eq!(
        message(atr(&a, &a, &b, 1)),
        "ATR inputs must have equal lengths, but close has 2 values and high has 3"
    );
    assert!(adx(&a, &b, &a, 1).is_err());
    assert!(donchian(&a, &b, 1).is_err());
    assert!(vwap(&a, &a, &a, &b, 1).is_err());
    assert!(obv(&b, &a).is_err());
    assert_eq!(sma(&[], 3).map(|v| v.len()), Ok(0));
}

/// The fixture's closes with a NaN at index `at`.
fn with_nan(values: &[f64], at: usize) -> Vec<f64> {
    let mut v = values.to_vec();
    v[at] = f64::NAN;
    v
}

#[test]
fn non_finite_inputs_do_not_panic_and_behave_as_documented() {
    let f = Fixture::load();
    let close = f.col("close");
    let (high, low, volume) = (f.col("high"), f.col("low"), f.col("volume"));
    let at = 100;
    let bad = with_nan(close, at);
    // Windowed: NaN while the bad input is in the window, then identical to a clean run.
    let windowed: [(&str, Vec<f64>, Vec<f64>); 4] = [
        (
            "sma",
            sma(&bad, 20).expect("valid"),
            sma(close, 20).expect("valid"),
        ),
        (
            "wma",
            wma(&bad, 20).expect("valid"),
            wma(close, 20).expect("valid"),
        ),
        (
            "std",
            rolling_std(&bad, 20).expect("valid"),
            rolling_std(close, 20).expect("valid"),
        ),
        (
            "zscore",
            zscore(&bad, 20).expect("valid"),
            zscore(close, 20).expect("valid"),
        ),
    ];
    for (name, dirty, clean) in windowed {
        assert!(
            dirty[at..at + 20].iter().all(|x| x.is_nan()),
            "{name}: NaN inside the window"
        );
        same_bits(name, &dirty[..at], &clean[..at]);
        same_bits(name, &dirty[at + 20..], &clean[at + 20..]);
    }
    let bb = bollinger(&bad, 20, 2.0).expect("valid");
    assert!(bb.upper[at + 19].is_nan() && !bb.upper[at + 20].is_nan());
    let inf_high = {
        let mut v = high.to_vec();
        v[at] = f64::INFINITY;
        v
    };
    let dc = donchian(&inf_high, low, 20).expect("valid");
    assert!(dc.upper[at + 19].is_nan() && !dc.upper[at + 20].is_nan() && !dc.lower[at].is_nan());
    let vw = vwap(high, low, &bad, volume, 20).expect("valid");
    assert!(vw[at + 19].is_nan() && !vw[at + 20].is_nan());
    // Recursive: NaN from the bad input on.
    let recursive: [(&str, Vec<f64>); 6] = [
        ("ema", ema(&bad, 20).expect("valid")),
        ("rsi", rsi(&bad, 14).expect("valid")),
        ("macd", macd(&bad, 12, 26, 9).expect("valid").signal),
        ("atr", atr(high, low, &bad, 14).expect("valid")),
        ("adx", adx(high, low, &bad, 14).expect("valid").adx),
        ("obv", obv(&bad, volume).expect("valid")),
    ];
    for (name, out) in recursive {
        assert!(!out[at - 1].is_nan(), "{name}: finite before the bad input");
        assert!(
            out[at..].iter().all(|x| x.is_nan()),
            "{name}: NaN from the bad input on"
        );
    }
}

#[test]
fn huge_periods_do_not_panic() {
    let mut s = Sma::new(usize::MAX).expect("valid");
    assert_eq!(s.update(1.0), None);
    assert_eq!(s.warmup_period(), usize::MAX - 1);
    let mut a = Adx::new(usize::MAX).expect("valid");
    assert_eq!(a.update(1.0, 1.0, 1.0), None);
    assert_eq!(a.update(2.0, 1.0, 1.0), None);
    assert_eq!(a.warmup_period(), usize::MAX - 1);
    let mut m = Macd::new(usize::MAX - 1, usize::MAX, usize::MAX).expect("valid");
    assert_eq!(m.update(1.0), None);
    assert!(m.warmup_period() > 0);
    let mut w = Wma::new(usize::MAX).expect("valid");
    assert_eq!(w.update(1.0), None);
}
