//! Timestamps as written in bar files, to milliseconds UTC.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// `text` as milliseconds since the epoch (UTC). Accepts:
/// - integers: seconds (below 10¹¹), milliseconds (below 10¹⁴), microseconds (below 10¹⁷,
///   as in Binance's spot files since 2025) or nanoseconds;
/// - ISO-8601: `2021-12-31 23:01:00`, `2021-12-31T23:01:00.000000`, with `Z` or an offset
///   (`+00:00`, `+02:00`: converted to UTC), or a bare date `2021-12-31`.
///
/// Text without an offset is taken as UTC. Fractions below a millisecond must be zero:
/// bar open times are whole milliseconds, and rounding one away would be a silent repair.
pub fn parse_timestamp(text: &str) -> Result<i64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty timestamp".to_owned());
    }
    if let Ok(n) = t.parse::<i64>() {
        return from_integer(n).ok_or_else(|| format!("timestamp {t} is out of range"));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return exact_millis(dt.timestamp_nanos_opt(), t);
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%:z"] {
        if let Ok(dt) = DateTime::parse_from_str(t, format) {
            return exact_millis(dt.timestamp_nanos_opt(), t);
        }
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(t, format) {
            return exact_millis(naive.and_utc().timestamp_nanos_opt(), t);
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let midnight = date
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc().timestamp_millis());
        return midnight.ok_or_else(|| format!("timestamp {t:?} is out of range"));
    }
    Err(format!(
        "timestamp {t:?} is neither a number (s, ms, µs, ns) nor ISO-8601 (2021-12-31 23:01:00)"
    ))
}

pub(crate) fn from_integer(n: i64) -> Option<i64> {
    let magnitude = n.unsigned_abs();
    if magnitude < 100_000_000_000 {
        n.checked_mul(1_000)
    } else if magnitude < 100_000_000_000_000 {
        Some(n)
    } else if magnitude < 100_000_000_000_000_000 {
        (n % 1_000 == 0).then_some(n / 1_000)
    } else {
        (n % 1_000_000 == 0).then_some(n / 1_000_000)
    }
}

fn exact_millis(nanos: Option<i64>, text: &str) -> Result<i64, String> {
    let nanos = nanos.ok_or_else(|| format!("timestamp {text:?} is out of range"))?;
    if nanos % 1_000_000 != 0 {
        return Err(format!(
            "timestamp {text:?} has a fraction below a millisecond"
        ));
    }
    Ok(nanos / 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_640_991_660_000; // 2021-12-31T23:01:00Z

    #[test]
    fn every_accepted_spelling() {
        for text in [
            "1640991660",
            "1640991660000",
            "1640991660000000",
            "1640991660000000000",
            "2021-12-31 23:01:00",
            "2021-12-31 23:01:00.000000",
            "2021-12-31T23:01:00Z",
            "2021-12-31T23:01:00.000Z",
            "2021-12-31T23:01:00+00:00",
            "2022-01-01T01:01:00+02:00",
            "2021-12-31 23:01:00+00:00",
            "2021-12-31T23:01",
            " 2021-12-31 23:01:00 ",
        ] {
            assert_eq!(parse_timestamp(text), Ok(T), "{text}");
        }
        assert_eq!(parse_timestamp("2021-12-31"), Ok(1_640_908_800_000));
    }

    #[test]
    fn refusals_say_why() {
        assert!(parse_timestamp("").unwrap_err().contains("empty"));
        assert!(
            parse_timestamp("yesterday")
                .unwrap_err()
                .contains("neither a number")
        );
        assert!(
            parse_timestamp("2021-12-31 23:01:00.0005")
                .unwrap_err()
                .contains("below a millisecond")
        );
        assert!(
            parse_timestamp("1640991660000123").is_err(),
            "µs with a sub-ms part"
        );
        assert!(parse_timestamp("2021-13-01 00:00:00").is_err());
    }
}
