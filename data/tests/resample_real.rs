//! Resampling real one-minute BTC perpetual bars (Dec 31 2021 to Feb 1 2022, from the
//! `nautilus_trader` test data) against a naive aggregation written independently here.

use std::collections::BTreeMap;
use std::path::PathBuf;

use vela_data::{BarFrame, Interval, Partial, Row, resample};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

fn data_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/real/nautilus_trader/btc-perp-20211231-20220201_1m.csv")
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian), by counting.
fn days_since_epoch(year: i64, month: i64, day: i64) -> i64 {
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mut days = (1970..year)
        .map(|y| if leap(y) { 366 } else { 365 })
        .sum::<i64>();
    let lengths = [
        31,
        if leap(year) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    days += lengths[..usize::try_from(month - 1).expect("a month from 1 to 12")]
        .iter()
        .sum::<i64>();
    days + day - 1
}

/// `2021-12-31 23:01:00.000000` (UTC) as ms since the epoch.
fn parse_ts(text: &str) -> i64 {
    let number = |p: &str| p.parse::<i64>().expect("a timestamp field is a number");
    let (date, time) = text.split_once(' ').expect("a date and a time");
    let d: Vec<i64> = date.split('-').map(number).collect();
    let (hms, fraction) = time.split_once('.').expect("seconds with a fraction");
    let t: Vec<i64> = hms.split(':').map(number).collect();
    assert!(
        fraction.bytes().all(|b| b == b'0'),
        "sub-second timestamp {text}"
    );
    days_since_epoch(d[0], d[1], d[2]) * DAY + t[0] * HOUR + t[1] * MINUTE + t[2] * 1_000
}

/// The file's bars, or `None` (after saying so) when it is not there.
#[allow(clippy::print_stdout)]
fn load() -> Option<BarFrame> {
    let path = data_path();
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("SKIPPED: real 1m BTC data not found at {}", path.display());
        return None;
    };
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("timestamp,open,high,low,close,volume"));
    let mut frame = BarFrame::empty(false);
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        let number = |i: usize| fields[i].parse::<f64>().expect("a price or volume");
        frame.push(Row {
            ts: parse_ts(fields[0]),
            open: number(1),
            high: number(2),
            low: number(3),
            close: number(4),
            volume: number(5),
            quote_volume: None,
        });
    }
    Some(frame)
}

/// Naive aggregation: group rows by `ts - ts mod span` in a map, then fold each group.
fn naive(frame: &BarFrame, span: i64, keep_partial: bool) -> Vec<Row> {
    let mut groups: BTreeMap<i64, Vec<Row>> = BTreeMap::new();
    for row in frame.rows() {
        groups
            .entry(row.ts - row.ts.rem_euclid(span))
            .or_default()
            .push(row);
    }
    let per_group = usize::try_from(span / MINUTE).expect("a positive span");
    groups
        .into_iter()
        .filter(|(_, rows)| keep_partial || rows.len() == per_group)
        .map(|(ts, rows)| {
            let mut high = rows[0].high;
            let mut low = rows[0].low;
            let mut volume = 0.0;
            for r in &rows {
                if r.high > high {
                    high = r.high;
                }
                if r.low < low {
                    low = r.low;
                }
                volume += r.volume;
            }
            Row {
                ts,
                open: rows[0].open,
                high,
                low,
                close: rows[rows.len() - 1].close,
                volume,
                quote_volume: None,
            }
        })
        .collect()
}

fn assert_same(ours: &BarFrame, theirs: &[Row]) {
    assert_eq!(ours.len(), theirs.len());
    for (a, b) in ours.rows().zip(theirs) {
        assert_eq!(
            (a.ts, a.open, a.high, a.low, a.close),
            (b.ts, b.open, b.high, b.low, b.close)
        );
        assert!((a.volume / b.volume - 1.0).abs() < 1e-12, "{a:?} {b:?}");
        assert_eq!(a.quote_volume, None);
    }
}

#[test]
fn real_minutes_to_hours_and_days_match_a_naive_aggregation() {
    let Some(minutes) = load() else { return };
    assert_eq!(minutes.len(), 45_031);
    assert_eq!(minutes.ts[0], 1_640_991_660_000); // 2021-12-31T23:01:00Z

    let hours = resample(&minutes, Interval::M1, Interval::H1, Partial::Drop).unwrap();
    // 2022-01-01 00:00 to 2022-02-01 04:00; 23:00 on Dec 31 lacks its first minute and
    // 05:00 on Feb 1 stops at 05:31.
    assert_eq!(hours.len(), 31 * 24 + 5);
    assert_same(&hours, &naive(&minutes, HOUR, false));
    let kept = resample(&minutes, Interval::M1, Interval::H1, Partial::Keep).unwrap();
    assert_eq!(kept.len(), 31 * 24 + 5 + 2);
    assert_same(&kept, &naive(&minutes, HOUR, true));

    let days = resample(&minutes, Interval::M1, Interval::D1, Partial::Drop).unwrap();
    assert_eq!(days.len(), 31);
    assert_eq!(days.ts[0], 1_640_995_200_000); // 2022-01-01
    assert_same(&days, &naive(&minutes, DAY, false));
    let kept = resample(&minutes, Interval::M1, Interval::D1, Partial::Keep).unwrap();
    assert_same(&kept, &naive(&minutes, DAY, true));

    // Hours to days gives the same days.
    let via_hours = resample(&hours, Interval::H1, Interval::D1, Partial::Drop).unwrap();
    assert_same(&via_hours, &days.rows().collect::<Vec<_>>());

    // January 2022 is the one complete month.
    let month = resample(&minutes, Interval::M1, Interval::Month1, Partial::Drop).unwrap();
    assert_eq!(month.ts, vec![1_640_995_200_000]);
    assert_eq!(month.close[0], days.close[30]);
    assert_eq!(
        month.high[0],
        days.high.iter().copied().fold(f64::MIN, f64::max)
    );
}
