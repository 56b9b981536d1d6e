//! `vela data fetch mexc <SYMBOL> <INTERVAL> --since T [--until T]`: download finished
//! klines from MEXC into the history store.
//!
//! The fetch resumes after the store's last bar of the dataset, so a re-run asks only for
//! what is new (nothing, when nothing is). Bars are written to the store every
//! [`FLUSH_BARS`] bars, and what is held when the fetch fails is written before the error
//! is reported: an interrupted fetch (Ctrl-C aside) loses nothing it downloaded.
//!
//! Only forward: bars before the store's last bar are never asked for, so widening
//! `--since` backwards over a stored dataset fetches nothing older.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use vela_core::types::Timestamp;
use vela_data::import::parse_timestamp;
use vela_data::mexc::{DEFAULT_BASE_URL, FetchProgress, FetchRequest, fetch_klines_blocking};
use vela_data::store::{Conflict, DatasetId, Store, StoreError};
use vela_data::{BarFrame, Interval};

use super::data::say;
use super::store::StoreArgs;

/// Bars held in memory before they are written to the store (ten MEXC windows).
const FLUSH_BARS: usize = 10_000;

/// Exchanges to fetch from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Exchange {
    /// MEXC spot (REST `GET /api/v3/klines`).
    Mexc,
}

/// Arguments of `vela data fetch`.
#[derive(Debug, clap::Args)]
pub(crate) struct FetchArgs {
    /// The exchange.
    exchange: Exchange,
    /// The symbol as the exchange spells it, e.g. BTCUSDT (upper-cased).
    symbol: String,
    /// Bar interval, as MEXC spells it: 1m, 5m, 15m, 30m, 60m, 4h, 1d, 1W, 1M.
    interval: Interval,
    /// First bar wanted (ms, s or ISO-8601, UTC).
    #[arg(long)]
    since: String,
    /// End of the range, exclusive (ms, s or ISO-8601, UTC; default now). Bars still open
    /// are never stored.
    #[arg(long)]
    until: Option<String>,
    /// The exchange's REST base URL.
    #[arg(long, value_name = "URL", default_value = DEFAULT_BASE_URL)]
    base_url: String,
    #[command(flatten)]
    store: StoreArgs,
}

/// Runs `vela data fetch`.
pub(crate) fn fetch(args: &FetchArgs) -> Result<ExitCode> {
    let Exchange::Mexc = args.exchange;
    let symbol = args.symbol.to_ascii_uppercase();
    let since = parse_timestamp(&args.since).map_err(|e| anyhow::anyhow!("--since: {e}"))?;
    let until = match &args.until {
        Some(text) => parse_timestamp(text).map_err(|e| anyhow::anyhow!("--until: {e}"))?,
        None => now_ms(),
    };
    if since >= until {
        bail!(
            "--since {} is not before --until {}",
            Timestamp(since),
            Timestamp(until)
        );
    }
    let store = args.store.open()?;
    let id = DatasetId::new("mexc", &symbol, args.interval)?;
    let last_stored = store.last_ts(&id)?;
    let request = FetchRequest {
        base_url: args.base_url.clone(),
        last_stored,
        ..FetchRequest::new(&symbol, args.interval, since, until)
    };

    // Hidden when stderr is not a terminal (indicatif's default draw target).
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} bars ({eta})")
            .context("progress bar template")?
            .progress_chars("=> "),
    );
    let mut pending = BarFrame::empty(true);
    let mut written = 0_usize;
    let fetched = fetch_klines_blocking(
        &request,
        |frame: BarFrame| {
            for row in frame.rows() {
                pending.push(row);
            }
            if pending.len() >= FLUSH_BARS {
                written += flush(&store, &id, &mut pending)?;
            }
            Ok::<(), StoreError>(())
        },
        |progress: &FetchProgress| show(&bar, &id, progress),
    );
    bar.finish_and_clear();
    // Whatever the fetch's outcome, keep what was downloaded.
    let flushed = flush(&store, &id, &mut pending);
    let summary = match fetched {
        Ok(summary) => summary,
        Err(error) => {
            match flushed {
                Ok(n) if written + n > 0 => say(&format!(
                    "{id}: stored {} bars before the error; run the same command again to \
                     resume",
                    written + n
                ))?,
                Ok(_) => {}
                Err(lost) => say(&format!("{id}: the last bars could not be stored: {lost}"))?,
            }
            return Err(error.into());
        }
    };
    written += flushed?;

    for window in &summary.empty {
        say(&format!(
            "{id}: no bars between {} and {}",
            Timestamp(window.start_time),
            Timestamp(window.end_time.saturating_add(1))
        ))?;
    }
    match (summary.first_ts, summary.last_ts) {
        (Some(first), Some(last)) => say(&format!(
            "{id}: stored {written} bars from {} to {} ({} requests, {} retries) in {}",
            Timestamp(first),
            Timestamp(last),
            summary.requests,
            summary.retries,
            store.root().display()
        ))?,
        _ => say(&match last_stored {
            Some(last) => format!("{id}: up to date (last bar {})", Timestamp(last)),
            None => format!("{id}: no bars stored"),
        })?,
    }
    if !summary.complete {
        say(&format!(
            "{id}: stopped before {}: the bar there is not finished yet",
            Timestamp(summary.until)
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the held bars and empties the buffer; the number written.
fn flush(store: &Store, id: &DatasetId, pending: &mut BarFrame) -> Result<usize, StoreError> {
    if pending.is_empty() {
        return Ok(0);
    }
    let frame = std::mem::replace(pending, BarFrame::empty(true));
    store.write(id, &frame, Conflict::Fail)?;
    Ok(frame.len())
}

fn show(bar: &ProgressBar, id: &DatasetId, progress: &FetchProgress) {
    bar.set_length(progress.expected);
    bar.set_position(progress.covered);
    bar.set_message(match &progress.retrying {
        None => format!("{id} {}", Timestamp(progress.scope.window.start_time)),
        Some(retry) => format!(
            "{id}: {} (try {}), retrying in {:.1}s",
            retry.failure,
            retry.attempts,
            retry.wait.as_secs_f64()
        ),
    });
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}
