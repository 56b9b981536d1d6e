//! The network half of the MEXC kline downloader against the test kline server: paging,
//! resuming, retries (truncated bodies, 429, 5xx, timeouts), fatal answers, empty windows
//! and the bar in progress.

#[path = "support/mexc_server.rs"]
mod mexc_server;

use std::convert::Infallible;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mexc_server::KlineServer;
use vela_data::mexc::{
    Failure, FetchError, FetchProgress, FetchRequest, FetchSummary, RetryPolicy, Window,
    fetch_klines, fetch_klines_blocking,
};
use vela_data::{BarFrame, GeneratorSpec, Interval, generate};

/// 2024-01-01T00:00:00Z.
const T0: i64 = 1_704_067_200_000;
const MINUTE: i64 = 60_000;
const SYMBOL: &str = "BTCUSDT";

/// `bars` seeded 1m bars from `start`, with a quote-volume column as MEXC sends one.
fn bars(start: i64, interval: Interval, bars: usize) -> BarFrame {
    let spec = GeneratorSpec {
        start_ts: start,
        interval,
        ..GeneratorSpec::new(7, bars)
    };
    let mut frame = generate(&spec).expect("generated bars");
    frame.quote_volume = Some(
        frame
            .close
            .iter()
            .zip(&frame.volume)
            .map(|(c, v)| c * v * 1.000_5)
            .collect(),
    );
    frame
}

/// Quick retries, so the tests spend no time waiting on backoff.
fn quick() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 8,
        request_timeout: Duration::from_secs(5),
        backoff_base: Duration::from_millis(10),
        backoff_cap: Duration::from_millis(50),
    }
}

fn request(server: &KlineServer, symbol: &str, since: i64, until: i64) -> FetchRequest {
    FetchRequest {
        base_url: server.url().to_owned(),
        retry: quick(),
        ..FetchRequest::new(symbol, Interval::M1, since, until)
    }
}

/// What one fetch produced.
struct Run {
    result: Result<FetchSummary, FetchError<Infallible>>,
    /// Every frame the sink got, appended.
    frame: BarFrame,
    /// How many frames the sink got.
    frames: usize,
    progress: Vec<FetchProgress>,
}

async fn run(req: &FetchRequest) -> Run {
    let mut frame = BarFrame::empty(true);
    let mut frames = 0;
    let mut progress = Vec::new();
    let result = fetch_klines(
        req,
        |got: BarFrame| {
            frames += 1;
            for row in got.rows() {
                frame.push(row);
            }
            Ok::<(), Infallible>(())
        },
        |p: &FetchProgress| progress.push(p.clone()),
    )
    .await;
    Run {
        result,
        frame,
        frames,
        progress,
    }
}

fn append(to: &mut BarFrame, from: &BarFrame) {
    for row in from.rows() {
        to.push(row);
    }
}

#[tokio::test]
async fn a_full_fetch_pages_through_the_range_and_equals_the_served_frame() {
    let served = bars(T0, Interval::M1, 3_500);
    let server = KlineServer::start(SYMBOL, Interval::M1, served.clone());
    let run = run(&request(&server, SYMBOL, T0, T0 + 3_500 * MINUTE)).await;
    let summary = run.result.expect("fetch succeeds");

    assert_eq!(run.frame, served);
    assert_eq!(run.frames, 4);
    assert_eq!(summary.stored, 3_500);
    assert_eq!(summary.first_ts, Some(T0));
    assert_eq!(summary.last_ts, Some(T0 + 3_499 * MINUTE));
    assert_eq!((summary.requests, summary.retries), (4, 0));
    assert!(summary.complete && summary.empty.is_empty());

    // Four windows of at most 1000 bars, start and end both sent (§1.3), back to back.
    let hits = server.hits();
    let windows: Vec<(i64, i64)> = hits
        .iter()
        .map(|h| (h.start_time.unwrap(), h.end_time.unwrap()))
        .collect();
    assert_eq!(
        windows,
        [0, 1_000, 2_000, 3_000]
            .iter()
            .map(|&i| {
                let end = (i + 1_000).min(3_500);
                (T0 + i * MINUTE, T0 + end * MINUTE - 1)
            })
            .collect::<Vec<_>>()
    );
    assert!(hits.iter().all(|h| h.query.contains("limit=1000")));

    // Progress: the expected total from the range, coverage rising to it.
    let last = run.progress.last().unwrap();
    assert_eq!(
        (last.expected, last.covered, last.stored),
        (3_500, 3_500, 3_500)
    );
    assert!(
        run.progress
            .windows(2)
            .all(|p| p[0].covered <= p[1].covered)
    );
    assert!(run.progress.iter().all(|p| p.retrying.is_none()));
}

#[tokio::test]
async fn an_interrupted_fetch_resumes_after_the_last_stored_bar() {
    let served = bars(T0, Interval::M1, 3_500);
    let server = KlineServer::start(SYMBOL, Interval::M1, served.clone());
    let until = T0 + 3_500 * MINUTE;

    // Stopped after two windows.
    let first = run(&FetchRequest {
        max_windows: Some(2),
        ..request(&server, SYMBOL, T0, until)
    })
    .await;
    let summary = first.result.expect("first part");
    assert_eq!((summary.stored, summary.complete), (2_000, false));
    assert_eq!(summary.last_ts, Some(T0 + 1_999 * MINUTE));
    assert_eq!(first.progress.last().unwrap().covered, 2_000);

    // The rest, resuming from the store's last bar.
    server.clear_hits();
    let second = run(&FetchRequest {
        last_stored: summary.last_ts,
        ..request(&server, SYMBOL, T0, until)
    })
    .await;
    let rest = second.result.expect("second part");
    assert_eq!((rest.stored, rest.complete), (1_500, true));

    let hits = server.hits();
    assert_eq!(hits.len(), 2, "only the remainder is asked for");
    assert_eq!(hits[0].start_time, Some(T0 + 2_000 * MINUTE));
    // Progress counts what was stored before the resume as covered.
    assert_eq!(second.progress.first().unwrap().covered, 2_000);
    assert_eq!(second.progress.last().unwrap().covered, 3_500);

    let mut all = first.frame;
    append(&mut all, &second.frame);
    assert!(all.ts.windows(2).all(|w| w[0] < w[1]), "no duplicates");
    assert_eq!(all, served);

    // Nothing is left: a third run asks for nothing.
    server.clear_hits();
    let third = run(&FetchRequest {
        last_stored: rest.last_ts,
        ..request(&server, SYMBOL, T0, until)
    })
    .await;
    assert_eq!(third.result.expect("no-op").stored, 0);
    assert!(server.hits().is_empty());
}

#[tokio::test]
async fn a_sink_error_stops_the_fetch_naming_the_window_and_keeps_earlier_frames() {
    let served = bars(T0, Interval::M1, 2_500);
    let server = KlineServer::start(SYMBOL, Interval::M1, served.clone());
    let req = request(&server, SYMBOL, T0, T0 + 2_500 * MINUTE);
    let mut kept = BarFrame::empty(true);
    let err = fetch_klines(
        &req,
        |frame: BarFrame| {
            if kept.len() >= 1_000 {
                return Err("disk full".to_owned());
            }
            append(&mut kept, &frame);
            Ok(())
        },
        |_: &FetchProgress| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(err, FetchError::Sink { .. }));
    assert_eq!(
        err.to_string(),
        "BTCUSDT 1m [2024-01-01T16:40:00Z, 2024-01-02T09:20:00Z): storing the bars failed: \
         disk full"
    );
    assert_eq!(kept.len(), 1_000);
    assert_eq!(server.hits().len(), 2);
}

#[tokio::test]
async fn a_truncated_body_is_retried_and_none_of_it_is_stored() {
    let served = bars(T0, Interval::M1, 1_500);
    let server = KlineServer::start(SYMBOL, Interval::M1, served.clone());
    server.faults(|f| f.truncate = 1);
    let run = run(&request(&server, SYMBOL, T0, T0 + 1_500 * MINUTE)).await;
    let summary = run.result.expect("fetch succeeds after the retry");

    assert_eq!(run.frame, served);
    assert_eq!((summary.requests, summary.retries), (3, 1));
    let hits = server.hits();
    assert_eq!(hits[0].start_time, hits[1].start_time, "same window again");
    let retry = run
        .progress
        .iter()
        .find_map(|p| p.retrying.clone())
        .expect("the retry is reported");
    assert!(matches!(retry.failure, Failure::Truncated(_)), "{retry:?}");
}

#[tokio::test]
async fn a_429_waits_for_retry_after_then_gets_the_same_window() {
    let served = bars(T0, Interval::M1, 1_200);
    let server = KlineServer::start(SYMBOL, Interval::M1, served.clone());
    server.faults(|f| {
        f.rate_limit = 1;
        f.retry_after_secs = 1;
    });
    let run = run(&request(&server, SYMBOL, T0, T0 + 1_200 * MINUTE)).await;
    run.result.expect("fetch succeeds after waiting");

    assert_eq!(run.frame, served);
    let hits = server.hits();
    assert_eq!(hits[0].status, 429);
    assert_eq!(hits[1].status, 200);
    assert_eq!(hits[0].query, hits[1].query);
    // Measured by the server's clock: the retry came no sooner than Retry-After said.
    let gap = hits[1].at - hits[0].at;
    assert!(gap >= Duration::from_secs(1), "retried after {gap:?}");
    let retry = run
        .progress
        .iter()
        .find_map(|p| p.retrying.clone())
        .unwrap();
    assert_eq!(retry.failure, Failure::Http { status: 429 });
    assert_eq!(retry.wait, Duration::from_secs(1));
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_then_the_data_is_complete() {
    let served = bars(T0, Interval::M1, 1_000);
    let server = KlineServer::start(SYMBOL, Interval::M1, served.clone());
    server.faults(|f| f.server_error = 3);
    let run = run(&request(&server, SYMBOL, T0, T0 + 1_000 * MINUTE)).await;
    let summary = run.result.expect("fetch succeeds after three 503s");

    assert_eq!(run.frame, served);
    assert_eq!((summary.requests, summary.retries), (4, 3));
    let waits: Vec<Duration> = run
        .progress
        .iter()
        .filter_map(|p| p.retrying.as_ref().map(|r| r.wait))
        .collect();
    assert_eq!(
        waits,
        [10, 20, 40].map(Duration::from_millis),
        "doubling backoff"
    );
}

#[tokio::test]
async fn persistent_server_errors_end_in_a_clear_error_after_the_bound() {
    let server = KlineServer::start(SYMBOL, Interval::M1, bars(T0, Interval::M1, 100));
    server.faults(|f| {
        f.server_error = 1_000;
        f.server_status = 502;
    });
    let req = FetchRequest {
        retry: RetryPolicy {
            max_attempts: 3,
            ..quick()
        },
        ..request(&server, SYMBOL, T0, T0 + 100 * MINUTE)
    };
    let run = run(&req).await;
    let err = run.result.unwrap_err();
    assert_eq!(
        err.to_string(),
        "BTCUSDT 1m [2024-01-01T00:00:00Z, 2024-01-01T01:40:00Z): gave up after 3 tries, the \
         last one: HTTP 502"
    );
    assert_eq!(server.hits().len(), 3);
    assert_eq!(run.frames, 0);
}

#[tokio::test]
async fn an_invalid_symbol_is_fatal_at_once_with_mexcs_code_and_message() {
    let server = KlineServer::start(SYMBOL, Interval::M1, bars(T0, Interval::M1, 100));
    let run = run(&request(&server, "NOPEUSDT", T0, T0 + 100 * MINUTE)).await;
    let err = run.result.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("NOPEUSDT 1m [2024-01-01T00:00:00Z")
            && text.ends_with("MEXC error -1121: Invalid symbol."),
        "{text}"
    );
    assert!(matches!(err, FetchError::Mexc { .. }));
    assert_eq!(server.hits().len(), 1, "no retry");
}

#[tokio::test]
async fn a_request_that_hangs_times_out_and_is_retried() {
    let served = bars(T0, Interval::M1, 500);
    let server = KlineServer::start(SYMBOL, Interval::M1, served.clone());
    server.faults(|f| {
        f.hang = 1;
        f.hang_for = Duration::from_secs(30);
    });
    let req = FetchRequest {
        retry: RetryPolicy {
            request_timeout: Duration::from_millis(300),
            ..quick()
        },
        ..request(&server, SYMBOL, T0, T0 + 500 * MINUTE)
    };
    let run = run(&req).await;
    run.result.expect("fetch succeeds after the timeout");
    assert_eq!(run.frame, served);
    let retry = run
        .progress
        .iter()
        .find_map(|p| p.retrying.clone())
        .unwrap();
    assert_eq!(retry.failure, Failure::Timeout);
}

#[tokio::test]
async fn empty_windows_are_passed_over_once_and_reported() {
    // Bars for 500 minutes, none for 2200, then 300 more.
    let mut served = bars(T0, Interval::M1, 500);
    append(&mut served, &bars(T0 + 2_700 * MINUTE, Interval::M1, 300));
    let server = KlineServer::start(SYMBOL, Interval::M1, served.clone());
    let run = run(&request(&server, SYMBOL, T0, T0 + 3_000 * MINUTE)).await;
    let summary = run.result.expect("fetch succeeds");

    assert_eq!(run.frame, served);
    assert_eq!(summary.stored, 800);
    // [500, 1500) and [1500, 2500) came back empty: one merged range.
    assert_eq!(
        summary.empty,
        [Window {
            start_time: T0 + 500 * MINUTE,
            end_time: T0 + 2_500 * MINUTE - 1,
        }]
    );
    let starts: Vec<i64> = server
        .hits()
        .iter()
        .map(|h| (h.start_time.unwrap() - T0) / MINUTE)
        .collect();
    assert_eq!(starts, [0, 500, 1_500, 2_500]);
    assert_eq!(run.progress.last().unwrap().covered, 3_000);
}

#[tokio::test]
async fn a_range_before_any_bar_is_one_empty_window() {
    let server = KlineServer::start(SYMBOL, Interval::M1, bars(T0, Interval::M1, 10));
    let since = T0 - 600 * MINUTE;
    let run = run(&request(&server, SYMBOL, since, T0)).await;
    let summary = run.result.expect("fetch succeeds");
    assert_eq!((summary.stored, summary.complete), (0, true));
    assert_eq!(
        summary.empty,
        [Window {
            start_time: since,
            end_time: T0 - 1,
        }]
    );
    assert_eq!(run.frames, 0);
}

fn now_ms() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(since.as_millis()).expect("ms fit i64")
}

#[test]
fn the_bar_in_progress_is_never_asked_for_nor_stored() {
    // Hourly bars up to and including the one open now; `until` an hour in the future.
    let hour = Interval::H1;
    let before = hour.bucket(now_ms());
    let served = bars(before - 10 * 3_600_000, hour, 11);
    let server = KlineServer::start(SYMBOL, hour, served.clone());
    let req = FetchRequest {
        base_url: server.url().to_owned(),
        retry: quick(),
        ..FetchRequest::new(SYMBOL, hour, served.ts[0], before + 3_600_000)
    };
    let mut got = BarFrame::empty(true);
    let summary = fetch_klines_blocking(
        &req,
        |frame: BarFrame| {
            append(&mut got, &frame);
            Ok::<(), Infallible>(())
        },
        |_: &FetchProgress| {},
    )
    .expect("fetch succeeds");
    let after = hour.bucket(now_ms());
    assert!(summary.until == before || summary.until == after);
    assert!(got.ts.iter().all(|&ts| ts < summary.until));
    if before == after {
        assert_eq!(summary.until, before);
        assert_eq!(got.len(), 10);
        let hits = server.hits();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].end_time, Some(before - 1));
    }
}
