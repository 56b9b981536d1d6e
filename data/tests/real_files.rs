//! `check` and `repair` on real files from `shared/data/real` (read from beside the
//! repository; the tests say SKIPPED and pass when it is absent). Every number asserted
//! here was counted independently with a short Python script over the same files (stdlib
//! `csv`/`json`, and `pyarrow` for the feather file), as noted at each test.

mod support;

use std::collections::BTreeMap;

use vela_data::check::{CheckOptions, Finding, check_with};
use vela_data::{GapFill, Interval, Repair, check, repair};

const MIN: i64 = 60_000;

/// `(length → how many)` of the gaps' missing bars or of the zero-volume runs.
fn histogram(findings: &[Finding]) -> (BTreeMap<u64, usize>, BTreeMap<usize, usize>) {
    let (mut gaps, mut runs) = (BTreeMap::new(), BTreeMap::new());
    for finding in findings {
        match finding {
            Finding::Gap { missing, .. } => *gaps.entry(*missing).or_default() += 1,
            Finding::ZeroVolumeRun { bars, .. } => *runs.entry(*bars).or_default() += 1,
            other => panic!("unexpected finding: {other}"),
        }
    }
    (gaps, runs)
}

/// 45,031 one-minute bars, 2021-12-31 23:01 → 2022-02-01 05:31 UTC: clean. Python (csv):
/// every step is exactly 60,000 ms, no OHLC violation, no NaN or negative value, and no
/// row with volume 0 (`awk -F, 'NR>1 && $6==0' … | wc -l` gives 0 as well).
#[test]
fn nautilus_btc_perp_1m_is_clean() {
    let Some(path) = support::real_file("nautilus_trader/btc-perp-20211231-20220201_1m.csv") else {
        return;
    };
    let frame = support::nautilus_csv(&path);
    assert_eq!(frame.len(), 45_031);
    assert_eq!(frame.ts[0], 1_640_991_660_000); // 2021-12-31T23:01:00Z
    assert_eq!(frame.ts[45_030], 1_643_693_460_000); // 2022-02-01T05:31:00Z
    let report = check("BTC-PERP 1m", &frame, Interval::M1);
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.to_string(), "BTC-PERP 1m: 45031 rows, clean");
}

/// Kraken's 721 one-minute XBTUSDT candles: no gaps or other problems, and 216 zero-volume
/// candles in 141 runs. Python (json): 216 rows with volume (field 6) == 0; runs by length
/// {1: 95, 2: 30, 3: 10, 4: 2, 5: 2, 6: 1, 7: 1}; the first run is rows 0–1, the longest
/// rows 359–365; every step is 60 s.
#[test]
fn kraken_xbtusdt_1m_zero_volume_runs() {
    let Some(path) = support::real_file("nautilus_trader/kraken/http_ohlc.json") else {
        return;
    };
    let frame = support::kraken_ohlc(&path, "XBTUSDT");
    assert_eq!(frame.len(), 721);
    let report = check("XBTUSDT 1m", &frame, Interval::M1);
    let (gaps, runs) = histogram(&report.findings);
    assert!(gaps.is_empty());
    assert_eq!(
        runs,
        BTreeMap::from([(1, 95), (2, 30), (3, 10), (4, 2), (5, 2), (6, 1), (7, 1)])
    );
    let summary = report.summary();
    assert_eq!(
        (summary.zero_volume_runs, summary.zero_volume_bars),
        (141, 216)
    );
    assert_eq!(
        report.findings[0],
        Finding::ZeroVolumeRun {
            first_row: 0,
            last_row: 1,
            from_ts: 1_762_777_020_000,
            to_ts: 1_762_777_080_000,
            bars: 2,
        }
    );
    let longest = report
        .findings
        .iter()
        .find(|f| matches!(f, Finding::ZeroVolumeRun { bars, .. } if *bars == 7));
    assert!(
        matches!(
            longest,
            Some(Finding::ZeroVolumeRun {
                first_row: 359,
                last_row: 365,
                ..
            })
        ),
        "{longest:?}"
    );
    // Only runs of two or more: 141 − 95 runs, 216 − 95 bars.
    let options = CheckOptions {
        min_zero_volume_run: 2,
    };
    let longer = check_with("XBTUSDT 1m", &frame, Interval::M1, options).summary();
    assert_eq!(
        (longer.zero_volume_runs, longer.zero_volume_bars),
        (46, 121)
    );
}

/// freqtrade's `UNITTEST_BTC-1m.feather`: 13,681 one-minute candles, 2017-11-04 23:02 →
/// 2017-11-14 22:59, with 538 gaps holding 717 missing minutes. Python (pyarrow 26): 538
/// steps longer than a minute, by missing minutes {1: 423, 2: 78, 3: 22, 4: 8, 5: 3, 6: 3,
/// 7: 1} (423 + 156 + 66 + 32 + 15 + 18 + 7 = 717); (last − first) / 1 min + 1 = 14,398 =
/// 13,681 + 717; the first gap is after row 5 (6 missing), the longest after row 157;
/// no duplicates, no OHLC violations, no bad values, no zero volume.
///
/// SOURCES.md calls this "538 missing minutes": 538 is the number of gaps.
#[test]
fn freqtrade_unittest_btc_1m_gaps_and_forward_fill() {
    let Some(path) = support::real_file("freqtrade/UNITTEST_BTC-1m.feather") else {
        return;
    };
    let frame = support::freqtrade_feather(&path);
    assert_eq!(frame.len(), 13_681);
    let (first_ts, last_ts) = (1_509_836_520_000, 1_510_700_340_000);
    assert_eq!((frame.ts[0], frame.ts[13_680]), (first_ts, last_ts));

    let report = check("UNITTEST/BTC 1m", &frame, Interval::M1);
    let (gaps, runs) = histogram(&report.findings);
    assert!(runs.is_empty());
    assert_eq!(
        gaps,
        BTreeMap::from([(1, 423), (2, 78), (3, 22), (4, 8), (5, 3), (6, 3), (7, 1)])
    );
    let summary = report.summary();
    assert_eq!((summary.gaps, summary.missing_bars), (538, 717));
    assert_eq!(
        summary.to_string(),
        "UNITTEST/BTC 1m: 13681 rows: 538 gaps (717 missing bars)"
    );
    assert_eq!(
        report.findings[0],
        Finding::Gap {
            after_row: 5,
            from_ts: first_ts + 5 * MIN,
            to_ts: first_ts + 12 * MIN,
            missing: 6,
        }
    );
    assert!(report.findings.iter().any(|f| matches!(
        f,
        Finding::Gap {
            after_row: 157,
            missing: 7,
            ..
        }
    )));

    let fill = Repair {
        fill_gaps: Some(GapFill::Forward),
        ..Repair::default()
    };
    let (filled, log) = repair(&frame, Interval::M1, &fill).unwrap();
    assert_eq!(filled.len(), 13_681 + 717);
    assert_eq!((log.filled.len(), log.filled_bars()), (538, 717));
    assert_eq!(
        log.to_string(),
        "filled 538 gaps with 717 bars (13681 → 14398 rows)"
    );
    // One bar per minute from the first to the last, nothing else changed.
    assert!(
        filled
            .ts
            .iter()
            .enumerate()
            .all(|(i, &ts)| ts == first_ts + i64::try_from(i).unwrap() * MIN)
    );
    // The repaired frame has no gap and nothing else wrong; its only findings are the
    // filled bars themselves, as zero-volume runs, one per filled gap.
    let after = check("UNITTEST/BTC 1m", &filled, Interval::M1);
    let runs: Vec<(usize, i64, usize)> = after
        .findings
        .iter()
        .map(|f| match f {
            Finding::ZeroVolumeRun {
                first_row,
                from_ts,
                bars,
                ..
            } => (*first_row, *from_ts, *bars),
            other => panic!("unexpected finding after the fill: {other}"),
        })
        .collect();
    let filled_gaps: Vec<(usize, i64, usize)> = log
        .filled
        .iter()
        .map(|g| (g.first_row, g.from_ts, g.bars))
        .collect();
    assert_eq!(runs, filled_gaps);
    // Not counting the filled bars (no gap is longer than 7), the check is clean.
    let options = CheckOptions {
        min_zero_volume_run: 8,
    };
    assert!(check_with("x", &filled, Interval::M1, options).is_clean());
}
