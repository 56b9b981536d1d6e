//! Minimal readers of the real files in `shared/data/real`, for the tests only (the
//! importers come later and will not share this code).

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, TimestampNanosecondType};
use arrow_ipc::reader::FileReader;
use vela_data::BarFrame;

/// `shared/data/real/<relative>` beside the repository, or `None` (saying SKIPPED) when it
/// is absent.
pub(crate) fn real_file(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/real")
        .join(relative);
    if path.is_file() {
        Some(path)
    } else {
        #[allow(clippy::print_stderr, reason = "a skipped real-data test says so")]
        {
            eprintln!("SKIPPED: real data not found at {}", path.display());
        }
        None
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2021-12-31 23:01:00.000000` (UTC) as ms; the fraction must be zero.
fn parse_utc(text: &str) -> i64 {
    let parts: Vec<i64> = text
        .split(['-', ' ', ':', '.'])
        .map(|p| p.parse().expect("timestamp digits"))
        .collect();
    let [y, mo, d, h, mi, s, frac] = parts[..] else {
        panic!("bad timestamp {text:?}");
    };
    assert_eq!(frac, 0, "{text}");
    ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60_000 + s * 1_000
}

/// Nautilus' `btc-perp-…_1m.csv`: header `timestamp,open,high,low,close,volume`.
pub(crate) fn nautilus_csv(path: &Path) -> BarFrame {
    let text = std::fs::read_to_string(path).expect("readable csv");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("timestamp,open,high,low,close,volume"));
    let mut frame = BarFrame::empty(false);
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 6, "{line}");
        let num = |i: usize| f[i].parse::<f64>().expect("a number");
        frame.ts.push(parse_utc(f[0]));
        frame.open.push(num(1));
        frame.high.push(num(2));
        frame.low.push(num(3));
        frame.close.push(num(4));
        frame.volume.push(num(5));
    }
    frame
}

/// A Kraken REST OHLC reply: `result.<pair>` holds
/// `[time_s, "open", "high", "low", "close", "vwap", "volume", count]` rows.
pub(crate) fn kraken_ohlc(path: &Path, pair: &str) -> BarFrame {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("readable json"))
            .expect("valid json");
    assert_eq!(json["error"], serde_json::json!([]));
    let rows = json["result"][pair].as_array().expect("the pair's rows");
    let mut frame = BarFrame::empty(false);
    for row in rows {
        let num = |i: usize| {
            row[i]
                .as_str()
                .and_then(|v| v.parse::<f64>().ok())
                .expect("a number as a string")
        };
        frame
            .ts
            .push(row[0].as_i64().expect("unix seconds") * 1_000);
        frame.open.push(num(1));
        frame.high.push(num(2));
        frame.low.push(num(3));
        frame.close.push(num(4));
        frame.volume.push(num(6));
    }
    frame
}

/// A freqtrade OHLCV feather file (Arrow IPC): `date` (timestamp\[ns, UTC\]) and `open`,
/// `high`, `low`, `close`, `volume` (f64), without nulls.
pub(crate) fn freqtrade_feather(path: &Path) -> BarFrame {
    let file = File::open(path).expect("readable feather file");
    let reader = FileReader::try_new(file, None).expect("an Arrow IPC file");
    let mut frame = BarFrame::empty(false);
    for batch in reader {
        let batch = batch.expect("a readable record batch");
        let column = |name: &str| {
            let column = batch.column_by_name(name).expect("the column");
            assert_eq!(column.null_count(), 0, "{name}");
            column
        };
        let date = column("date")
            .as_primitive_opt::<TimestampNanosecondType>()
            .expect("date is a timestamp in ns");
        frame
            .ts
            .extend(date.values().iter().map(|ns| ns.div_euclid(1_000_000)));
        for (name, values) in [
            ("open", &mut frame.open),
            ("high", &mut frame.high),
            ("low", &mut frame.low),
            ("close", &mut frame.close),
            ("volume", &mut frame.volume),
        ] {
            let array = column(name)
                .as_primitive_opt::<Float64Type>()
                .expect("prices and volumes are f64");
            values.extend(array.values().iter().copied());
        }
    }
    frame.validate().expect("columns line up");
    frame
}
