//! The pure MEXC kline downloader logic: parsing, planning, weight limiting, classifying.

use vela_data::mexc::limits::{DEFAULT_BAN_MS, DEFAULT_RETRY_MS, KLINES_WEIGHT};
use vela_data::mexc::{
    KlineError, Klines, Outcome, RowProblem, WeightLimiter, Window, classify, next_request,
    parse_klines, query,
};
use vela_data::{Interval, Row};

/// 2024-01-01T00:00:00Z.
const T0: i64 = 1_704_067_200_000;
const HOUR: i64 = 3_600_000;

/// Three 60m BTCUSDT bars in MEXC's layout (§1.3): closeTime = openTime + interval; the
/// second row has its prices and volumes as JSON numbers, the others as strings.
fn body() -> String {
    format!(
        "[[{a},\"42283.58\",\"42554.57\",\"42261.02\",\"42475.23\",\"118.36\",{b},\"5019064.09\"],\
         [{b},42475.23,42775.0,42431.65,42613.56,95.5,{c},4072937.25],\
         [{c},\"42613.56\",\"42700\",\"42500.01\",\"42600.5\",\"10.25\",{d},\"436642.3\"]]",
        a = T0,
        b = T0 + HOUR,
        c = T0 + 2 * HOUR,
        d = T0 + 3 * HOUR,
    )
}

fn row(ts: i64, p: [f64; 5], quote_volume: f64) -> Row {
    Row {
        ts,
        open: p[0],
        high: p[1],
        low: p[2],
        close: p[3],
        volume: p[4],
        quote_volume: Some(quote_volume),
    }
}

fn expected_rows() -> Vec<Row> {
    vec![
        row(
            T0,
            [42_283.58, 42_554.57, 42_261.02, 42_475.23, 118.36],
            5_019_064.09,
        ),
        row(
            T0 + HOUR,
            [42_475.23, 42_775.0, 42_431.65, 42_613.56, 95.5],
            4_072_937.25,
        ),
        row(
            T0 + 2 * HOUR,
            [42_613.56, 42_700.0, 42_500.01, 42_600.5, 10.25],
            436_642.3,
        ),
    ]
}

fn parse(body: &str) -> Result<Klines, KlineError> {
    parse_klines(body, "BTCUSDT", Interval::H1, T0 + 100 * HOUR)
}

fn row_error(body: &str) -> (usize, RowProblem, String) {
    let Err(err) = parse(body) else {
        panic!("expected an error for {body}");
    };
    let text = err.to_string();
    match err {
        KlineError::Row {
            symbol,
            interval,
            index,
            problem,
        } => {
            assert_eq!((symbol.as_str(), interval), ("BTCUSDT", Interval::H1));
            (index, problem, text)
        }
        other => panic!("expected a row error, got {other:?}"),
    }
}

#[test]
fn parses_a_realistic_body_exactly() {
    let klines = parse(&body()).unwrap();
    assert_eq!(klines.rows, expected_rows());
    assert!(klines.unfinished.is_empty());
    assert_eq!(parse("[]").unwrap(), Klines::default());
}

#[test]
fn open_time_may_be_a_string_of_digits() {
    let body = format!(
        "[[\"{T0}\",\"1\",\"2\",\"0.5\",\"1.5\",\"10\",\"{}\",\"15\"]]",
        T0 + HOUR
    );
    let klines = parse(&body).unwrap();
    assert_eq!(klines.rows, vec![row(T0, [1.0, 2.0, 0.5, 1.5, 10.0], 15.0)]);
}

#[test]
fn the_open_bar_is_never_among_the_rows() {
    let rows = expected_rows();
    // At T0 + 3h the last bar (T0+2h .. T0+3h) has just closed: all three are finished.
    let at_close = parse_klines(&body(), "BTCUSDT", Interval::H1, T0 + 3 * HOUR).unwrap();
    assert_eq!(at_close.rows.len(), 3);
    // One millisecond earlier it is still open.
    let open = parse_klines(&body(), "BTCUSDT", Interval::H1, T0 + 3 * HOUR - 1).unwrap();
    assert_eq!(open.rows, rows[..2].to_vec());
    assert_eq!(open.unfinished, rows[2..].to_vec());
    // Mid second bar: it and everything after it are unfinished.
    let mid = parse_klines(&body(), "BTCUSDT", Interval::H1, T0 + HOUR + 1_000).unwrap();
    assert_eq!(mid.rows, rows[..1].to_vec());
    assert_eq!(mid.unfinished, rows[1..].to_vec());
}

#[test]
fn a_close_time_past_the_interval_keeps_the_bar_open() {
    // closeTime later than openTime + interval: the later of the two decides.
    let body = format!(
        "[[{T0},\"1\",\"2\",\"0.5\",\"1.5\",\"10\",{},\"15\"]]",
        T0 + 2 * HOUR
    );
    let klines = parse_klines(&body, "BTCUSDT", Interval::H1, T0 + HOUR).unwrap();
    assert!(klines.rows.is_empty());
    assert_eq!(klines.unfinished.len(), 1);
}

#[test]
fn wrong_arity_is_named() {
    let body = format!(
        "[[{T0},\"1\",\"2\",\"0.5\",\"1.5\",\"10\",{},\"15\"],[{},\"1\",\"2\",\"0.5\",\"1.5\",\"10\",{}]]",
        T0 + HOUR,
        T0 + HOUR,
        T0 + 2 * HOUR
    );
    let (index, problem, text) = row_error(&body);
    assert_eq!((index, problem), (1, RowProblem::Arity(7)));
    assert_eq!(text, "BTCUSDT 60m: row 1: has 7 items, expected 8");
    let (index, problem, _) = row_error("[{\"openTime\":1}]");
    assert_eq!((index, problem), (0, RowProblem::NotArray));
}

#[test]
fn non_numeric_and_non_finite_items_are_named() {
    let b = T0 + HOUR;
    let (index, problem, text) = row_error(&format!(
        "[[{T0},\"1\",\"abc\",\"0.5\",\"1.5\",\"10\",{b},\"15\"]]"
    ));
    assert_eq!(
        (index, problem),
        (
            0,
            RowProblem::NotNumeric {
                column: "high",
                value: "\"abc\"".to_owned()
            }
        )
    );
    assert_eq!(text, "BTCUSDT 60m: row 0: high is not a number: \"abc\"");
    let (_, problem, _) = row_error(&format!(
        "[[{T0},\"1\",\"2\",null,\"1.5\",\"10\",{b},\"15\"]]"
    ));
    assert_eq!(
        problem,
        RowProblem::NotNumeric {
            column: "low",
            value: "null".to_owned()
        }
    );
    let (_, problem, _) = row_error(&format!(
        "[[{T0},\"1\",\"2\",\"0.5\",\"1.5\",\"10\",{b},\"NaN\"]]"
    ));
    assert_eq!(
        problem,
        RowProblem::NotFinite {
            column: "quoteVolume"
        }
    );
    // Times must be integers.
    let (_, problem, _) = row_error(&format!(
        "[[{T0}.5,\"1\",\"2\",\"0.5\",\"1.5\",\"10\",{b},\"15\"]]"
    ));
    assert_eq!(
        problem,
        RowProblem::NotNumeric {
            column: "openTime",
            value: format!("{T0}.5")
        }
    );
}

#[test]
fn misaligned_open_times_are_named() {
    let t = T0 + 60_000;
    let (index, problem, text) = row_error(&format!(
        "[[{t},\"1\",\"2\",\"0.5\",\"1.5\",\"10\",{},\"15\"]]",
        t + HOUR
    ));
    assert_eq!(
        (index, problem),
        (
            0,
            RowProblem::Misaligned {
                open_time: t,
                bucket: T0
            }
        )
    );
    assert_eq!(
        text,
        "BTCUSDT 60m: row 0: open time 1704067260000 is not on the interval's grid (bar opens at 1704067200000)"
    );
}

#[test]
fn out_of_order_and_repeated_rows_are_named() {
    let r = |t: i64| {
        format!(
            "[{t},\"1\",\"2\",\"0.5\",\"1.5\",\"10\",{},\"15\"]",
            t + HOUR
        )
    };
    let body = format!("[{},{},{}]", r(T0), r(T0 + 2 * HOUR), r(T0 + HOUR));
    let (index, problem, _) = row_error(&body);
    assert_eq!(
        (index, problem),
        (
            2,
            RowProblem::OutOfOrder {
                open_time: T0 + HOUR,
                previous: T0 + 2 * HOUR
            }
        )
    );
    let body = format!("[{},{}]", r(T0), r(T0));
    let (index, problem, _) = row_error(&body);
    assert_eq!(
        (index, problem),
        (
            1,
            RowProblem::OutOfOrder {
                open_time: T0,
                previous: T0
            }
        )
    );
}

#[test]
fn a_truncated_body_is_refused_whole() {
    let full = body();
    // Cut after the first complete row, mid-array.
    let cut = &full[..full.find("],").unwrap() + 2];
    match parse(cut).unwrap_err() {
        KlineError::Truncated {
            symbol, interval, ..
        } => assert_eq!((symbol.as_str(), interval), ("BTCUSDT", Interval::H1)),
        other => panic!("expected Truncated, got {other:?}"),
    }
    assert!(matches!(
        parse("").unwrap_err(),
        KlineError::Truncated { .. }
    ));
    // Not JSON at all (e.g. an HTML error page) is malformed, not truncated.
    assert!(matches!(
        parse("<html>").unwrap_err(),
        KlineError::Malformed { .. }
    ));
    // JSON of the wrong shape.
    let err = parse("{\"data\":[]}").unwrap_err();
    assert_eq!(
        err.to_string(),
        "BTCUSDT 60m: malformed klines body (expected an array of rows, got {\"data\":[]})"
    );
}

#[test]
fn api_error_objects_become_api_errors() {
    let err = parse("{\"code\":-1121,\"msg\":\"Invalid symbol.\"}").unwrap_err();
    assert_eq!(
        err,
        KlineError::Api {
            code: -1121,
            msg: "Invalid symbol.".to_owned()
        }
    );
    assert_eq!(err.to_string(), "MEXC error -1121: Invalid symbol.");
    assert_eq!(
        parse("{\"code\":10007,\"msg\":\"symbol not support api\"}").unwrap_err(),
        KlineError::Api {
            code: 10007,
            msg: "symbol not support api".to_owned()
        }
    );
}

#[test]
fn three_windows_then_done_resuming_after_the_last_stored_bar() {
    let until = T0 + 2_500 * HOUR;
    let first = next_request(Interval::H1, T0, until, None).unwrap();
    assert_eq!(
        first,
        Window {
            start_time: T0,
            end_time: 1_707_667_199_999
        }
    );
    assert_eq!(
        query("BTCUSDT", Interval::H1, first),
        "symbol=BTCUSDT&interval=60m&startTime=1704067200000&endTime=1707667199999&limit=1000"
    );
    // The store holds bars up to T0 + 999h: resume at T0 + 1000h.
    let second = next_request(Interval::H1, T0, until, Some(T0 + 999 * HOUR)).unwrap();
    assert_eq!(
        second,
        Window {
            start_time: 1_707_667_200_000,
            end_time: 1_711_267_199_999
        }
    );
    // Resuming from a short response (it ended at T0 + 1500h) asks from the bar after.
    let short = next_request(Interval::H1, T0, until, Some(T0 + 1_500 * HOUR)).unwrap();
    assert_eq!(
        short,
        Window {
            start_time: T0 + 1_501 * HOUR,
            end_time: T0 + 2_500 * HOUR - 1
        }
    );
    let third = next_request(Interval::H1, T0, until, Some(T0 + 1_999 * HOUR)).unwrap();
    assert_eq!(
        third,
        Window {
            start_time: 1_711_267_200_000,
            end_time: 1_713_067_199_999
        }
    );
    assert_eq!(
        next_request(Interval::H1, T0, until, Some(T0 + 2_499 * HOUR)),
        None
    );
    // A last stored bar before `since` does not pull the start back.
    assert_eq!(
        next_request(Interval::H1, T0, until, Some(T0 - 10 * HOUR)),
        Some(first)
    );
    // An empty range needs nothing.
    assert_eq!(next_request(Interval::H1, T0, T0, None), None);
}

#[test]
fn an_unaligned_since_starts_at_the_next_bar() {
    let w = next_request(Interval::H1, T0 + 1, T0 + 3 * HOUR, None).unwrap();
    assert_eq!(
        w,
        Window {
            start_time: T0 + HOUR,
            end_time: T0 + 3 * HOUR - 1
        }
    );
    // `until` inside a bar still asks for that bar.
    let w = next_request(Interval::M5, T0, T0 + 301_000, None).unwrap();
    assert_eq!(
        w,
        Window {
            start_time: T0,
            end_time: T0 + 600_000 - 1
        }
    );
}

#[test]
fn months_step_by_the_calendar() {
    // 2024-01-01 .. 2024-04-01: January, February (29 days) and March.
    let april = 1_711_929_600_000;
    let w = next_request(Interval::Month1, T0, april, None).unwrap();
    assert_eq!(
        w,
        Window {
            start_time: T0,
            end_time: april - 1
        }
    );
    assert_eq!(
        query("ETHUSDT", Interval::Month1, w),
        "symbol=ETHUSDT&interval=1M&startTime=1704067200000&endTime=1711929599999&limit=1000"
    );
    // February stored: March (opens 2024-03-01) is next.
    let w = next_request(Interval::Month1, T0, april, Some(1_706_745_600_000)).unwrap();
    assert_eq!(
        w,
        Window {
            start_time: 1_709_251_200_000,
            end_time: april - 1
        }
    );
    assert_eq!(
        next_request(Interval::Month1, T0, april, Some(1_709_251_200_000)),
        None
    );
    // A since mid-January starts in February.
    let w = next_request(Interval::Month1, T0 + 5 * 24 * HOUR, april, None).unwrap();
    assert_eq!(w.start_time, 1_706_745_600_000);
}

#[test]
fn the_limiter_waits_at_capacity() {
    assert_eq!(KLINES_WEIGHT, 1);
    let mut limiter = WeightLimiter::new(3, 1_000);
    assert_eq!(limiter.delay(0, 1), 0);
    assert_eq!(limiter.delay(100, 1), 0);
    assert_eq!(limiter.delay(200, 1), 0);
    assert_eq!(limiter.used(200), 3);
    // Full: the request at 0 leaves the window at 1000.
    assert_eq!(limiter.delay(300, 1), 700);
    assert_eq!(limiter.delay(999, 1), 1);
    assert_eq!(limiter.used(999), 3);
    assert_eq!(limiter.delay(1_000, 1), 0);
    // Weight 2 at 1000 needs two of (100, 200, 1000) gone: the one at 200 leaves at 1200.
    assert_eq!(limiter.delay(1_000, 2), 200);
    assert_eq!(limiter.delay(1_200, 2), 0);
    assert_eq!(limiter.used(1_200), 3);

    // A request heavier than the capacity goes alone.
    let mut limiter = WeightLimiter::new(3, 1_000);
    assert_eq!(limiter.delay(0, 5), 0);
    assert_eq!(limiter.delay(10, 1), 990);
    assert_eq!(limiter.delay(1_000, 1), 0);

    // The MEXC default: 10 per second.
    let mut limiter = WeightLimiter::mexc();
    for i in 0..10 {
        assert_eq!(limiter.delay(i, KLINES_WEIGHT), 0);
    }
    assert_eq!(limiter.delay(10, KLINES_WEIGHT), 990);
}

#[test]
fn classify_reads_statuses_headers_and_bodies() {
    assert_eq!(classify(200, None, "[]", 0), Outcome::Ok);
    assert_eq!(
        classify(429, Some("7"), "", 0),
        Outcome::Retry { after_ms: 7_000 }
    );
    assert_eq!(
        classify(429, None, "", 0),
        Outcome::Retry {
            after_ms: DEFAULT_RETRY_MS
        }
    );
    assert_eq!(DEFAULT_RETRY_MS, 120_000);
    // An HTTP-date Retry-After is not understood: the default applies.
    assert_eq!(
        classify(429, Some("Wed, 21 Oct 2026 07:28:00 GMT"), "", 0),
        Outcome::Retry { after_ms: 120_000 }
    );
    assert_eq!(
        classify(418, Some("300"), "", 0),
        Outcome::Banned { after_ms: 300_000 }
    );
    assert_eq!(
        classify(418, None, "", 0),
        Outcome::Banned {
            after_ms: DEFAULT_BAN_MS
        }
    );
    assert_eq!(DEFAULT_BAN_MS, 600_000);
    assert_eq!(
        classify(403, None, "<html>blocked</html>", 0),
        Outcome::Banned { after_ms: 600_000 }
    );
    assert_eq!(
        classify(500, None, "", 0),
        Outcome::Retry { after_ms: 1_000 }
    );
    assert_eq!(
        classify(503, None, "", 3),
        Outcome::Retry { after_ms: 8_000 }
    );
    assert_eq!(
        classify(503, None, "", 6),
        Outcome::Retry { after_ms: 60_000 }
    );
    assert_eq!(
        classify(503, None, "", 200),
        Outcome::Retry { after_ms: 60_000 }
    );
    assert_eq!(
        classify(503, Some("2"), "", 5),
        Outcome::Retry { after_ms: 2_000 }
    );
    assert_eq!(
        classify(400, None, "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}", 0),
        Outcome::Fatal(KlineError::Api {
            code: -1121,
            msg: "Invalid symbol.".to_owned()
        })
    );
    assert_eq!(
        classify(
            400,
            None,
            "{\"code\":-1121,\"msg\":\"Invalid interval.\"}",
            0
        ),
        Outcome::Fatal(KlineError::Api {
            code: -1121,
            msg: "Invalid interval.".to_owned()
        })
    );
    assert_eq!(
        classify(404, None, "not found", 0),
        Outcome::Fatal(KlineError::Http {
            status: 404,
            body: "not found".to_owned()
        })
    );
    assert_eq!(
        classify(302, None, "{\"code\":1,\"msg\":\"x\"}", 0),
        Outcome::Fatal(KlineError::Http {
            status: 302,
            body: "{\"code\":1,\"msg\":\"x\"}".to_owned()
        })
    );
}
