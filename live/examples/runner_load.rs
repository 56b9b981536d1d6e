//! Issue 8's load benchmark: one runner process with 100 bots on 20 symbols of simulated
//! one-second data (the simulator replays one-minute bars at 60×: every symbol completes a
//! bar each second), for `SECONDS` seconds. Prints the runner process's CPU time and peak
//! memory and the decision latency (kline frame received → order handed to the venue) p50,
//! p99 and max; on Linux also the host's steal time (vCPU time the hypervisor took) and
//! the latency in the seconds without any.
//!
//! Run: `cargo run -p vela-live --example runner_load [SECONDS] [paper|live] [BOTS]`
//! (default 60 s, paper, 100 bots). Live mode sends every order over REST to the simulator
//! and settles with it before each bar, so each order's intent is committed to the journal
//! before it leaves.
//!
//! The simulator runs in a child process (this binary again, `--serve-sim BARS`), stepped
//! once a second through its standard input: as MEXC would be, it is outside the runner,
//! so the CPU time and memory printed are the runner's alone.

#![allow(
    missing_docs,
    clippy::print_stdout,
    reason = "a benchmark binary reporting to stdout"
)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use vela_core::engine::{BotConfig, BotId, BotState};
use vela_core::sim::SimConfig;
use vela_core::strategy::{Params, Registry, StrategySpec};
use vela_core::types::instrument::stubs;
use vela_core::types::{Bar, Instrument, Symbol, Timestamp};
use vela_live::journal::{BotMode, Journal};
use vela_live::proto::KlineInterval;
use vela_live::runner::config::CredentialsConfig;
use vela_live::runner::process::record_of;
use vela_live::runner::{BotSpec, Runner, RunnerConfig};
use vela_live::sim::server::{ServerConfig, SimServer};
use vela_live::sim::state::{AccountSetup, SimSetup};

const SYMBOLS: usize = 20;
const KEY: &str = "mx0vglLOADKEY0000001";
const SECRET: &str = "load-secret-0123456789";

fn instrument(i: usize) -> Instrument {
    let mut instrument = stubs::btcusdt();
    let name = format!("C{i:02}USDT");
    instrument.symbol = Symbol::new(&name).expect("symbol");
    instrument.base = vela_core::types::Asset::new(format!("C{i:02}")).expect("asset");
    instrument
}

/// A seeded zig-zag per symbol that crosses short averages often.
fn bars(symbol: usize, n: usize) -> Vec<Bar> {
    let start = 1_700_000_040_000_i64;
    (0..n)
        .map(|k| {
            let phase = (k + symbol * 3) % 12;
            let step = f64::from(
                u32::try_from(if phase < 6 { phase } else { 12 - phase }).expect("small"),
            );
            let close = 100.0 + f64::from(u32::try_from(symbol).expect("small")) + step * 0.7;
            Bar {
                ts: Timestamp(start + 60_000 * i64::try_from(k).expect("small")),
                open: close - 0.2,
                high: close + 0.5,
                low: close - 0.6,
                close,
                volume: 50.0,
            }
        })
        .collect()
}

fn spec(bot: usize, mode: BotMode) -> BotSpec {
    let mut params = Params::new();
    let fast = 2 + i64::try_from(bot % 3).expect("small");
    params.set("fast", fast).set("slow", fast + 2);
    BotSpec {
        mode,
        interval: KlineInterval::Min1,
        timers: true,
        paper: SimConfig::default(),
        bot: BotConfig::new(
            BotId::new(format!("load{bot:03}")).expect("id"),
            vec![instrument(bot % SYMBOLS)],
            Decimal::from(1_000),
            StrategySpec::new("crossover", params),
        ),
    }
}

/// (user + system CPU seconds, peak resident MB) of this process, from /proc.
fn usage() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields 14 and 15 (utime, stime) are at 11 and 12 after the command name; 100 Hz.
    let cpu = (ticks(11) + ticks(12)) / 100.0;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak_kb = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0);
    (cpu, peak_kb / 1024.0)
}

/// The time the hypervisor has taken from this machine's vCPUs so far (all of them, in
/// 1/100 s: the `steal` column of `/proc/stat`); `None` where that is not known.
fn steal_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    line.split_whitespace().nth(8)?.parse().ok()
}

/// Decision latencies one second at a time, also kept apart for the seconds in which the
/// host took no vCPU time (a stolen vCPU stalls whatever it was running, for up to tens
/// of milliseconds on this benchmark's VM).
struct SecondsSeen {
    latencies: Vec<u32>,
    calm: Vec<u32>,
    calm_seconds: usize,
    seconds: usize,
    /// The steal counter at the last second's end.
    steal: Option<u64>,
    /// Steal ticks over all the seconds (`None` if the counter cannot be read).
    stolen: Option<u64>,
}

impl SecondsSeen {
    fn new(steal: Option<u64>) -> Self {
        Self {
            latencies: Vec::new(),
            calm: Vec::new(),
            calm_seconds: 0,
            seconds: 0,
            steal,
            stolen: steal.map(|_| 0),
        }
    }

    /// Takes the latencies of the second just over.
    fn close(&mut self, latencies: Vec<u32>) {
        let now = steal_ticks();
        let stolen = self.steal.zip(now).map(|(a, b)| b.saturating_sub(a));
        self.steal = now;
        self.stolen = self.stolen.zip(stolen).map(|(total, more)| total + more);
        self.seconds += 1;
        if stolen == Some(0) {
            self.calm_seconds += 1;
            self.calm.extend_from_slice(&latencies);
        }
        self.latencies.extend(latencies);
    }
}

/// "N orders: p50 …, p99 …, max …" of sorted latencies (µs).
fn summary(sorted: &[u32]) -> String {
    format!(
        "{} orders: p50 {} us, p99 {} us, max {} us",
        sorted.len(),
        percentile(sorted, 0.5),
        percentile(sorted, 0.99),
        sorted.last().copied().unwrap_or(0)
    )
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// The simulator's setup: 20 symbols of `n` bars each and one funded account.
fn sim_setup(n: usize) -> SimSetup {
    SimSetup {
        series: (0..SYMBOLS)
            .map(|i| (instrument(i).symbol, bars(i, n)))
            .collect(),
        instruments: (0..SYMBOLS).map(instrument).collect(),
        interval_ms: 60_000,
        fill: SimConfig::default(),
        accounts: vec![AccountSetup {
            api_key: KEY.to_owned(),
            secret: SECRET.to_owned(),
            balances: vec![("USDT".to_owned(), Decimal::from(1_000_000))],
        }],
    }
}

/// The child: serves the simulator, prints its REST and WebSocket addresses, then steps one
/// bar per line read from standard input until it closes.
async fn serve_sim(bars: usize) {
    let sim = SimServer::start_serving(sim_setup(bars), ServerConfig::default())
        .await
        .expect("simulator");
    println!("{}\n{}", sim.rest_url(), sim.ws_url());
    std::io::stdout().flush().expect("stdout");
    let (steps, mut step_requests) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for _ in std::io::stdin().lock().lines().map_while(Result::ok) {
            if steps.send(()).is_err() {
                break;
            }
        }
    });
    while step_requests.recv().await.is_some() {
        sim.step(1);
    }
    sim.shutdown().await;
}

/// The simulator in a child process: (the child, its standard input, REST URL, WS URL).
fn spawn_sim(bars: usize) -> (Child, ChildStdin, String, String) {
    let mut child = Command::new(std::env::current_exe().expect("this binary"))
        .args(["--serve-sim", &bars.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("simulator process");
    let stdin = child.stdin.take().expect("piped stdin");
    let mut out = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let mut line = || {
        out.next()
            .expect("simulator address")
            .expect("simulator output")
    };
    let (rest, ws) = (line(), line());
    (child, stdin, rest, ws)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    if first.as_deref() == Some("--serve-sim") {
        let bars = args
            .next()
            .and_then(|a| a.parse().ok())
            .expect("--serve-sim BARS");
        serve_sim(bars).await;
        return;
    }
    let seconds: u64 = first.and_then(|a| a.parse().ok()).unwrap_or(60);
    let mode = match args.next().as_deref() {
        Some("live") => BotMode::Live,
        _ => BotMode::Paper,
    };
    let bots: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let n = usize::try_from(seconds).expect("small") + 40;
    let (mut sim, mut sim_input, rest_url, ws_url) = spawn_sim(n);
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("journal.duckdb");
    {
        let mut journal = Journal::open(&path).expect("journal");
        for bot in 0..bots {
            journal
                .add_bot(&record_of(&spec(bot, mode), BotState::Running).expect("record"))
                .expect("bot");
        }
    }
    let keys = dir.path().join("keys");
    std::fs::write(
        &keys,
        format!("api_key = \"{KEY}\"\napi_secret = \"{SECRET}\"\n"),
    )
    .expect("keys");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let mut config = RunnerConfig::new(path);
    config.exchange.rest_url = rest_url;
    config.exchange.ws_url = ws_url;
    config.exchange.settle_wait_ms = 500;
    config.credentials = Some(CredentialsConfig {
        key_env: None,
        secret_env: None,
        file: Some(keys),
    });
    let started = Instant::now();
    let runner = Runner::start(config, &Registry::builtin())
        .await
        .expect("runner");
    assert!(
        runner.wait_subscribed(Duration::from_secs(20)).await,
        "subscribed"
    );
    let start_up = started.elapsed().as_secs_f64();
    let (cpu_before, _) = usage();
    let wall = Instant::now();
    let mut seconds_seen = SecondsSeen::new(steal_ticks());
    // One bar per symbol per second, from now on (the replay starts after start-up).
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    for _ in 0..seconds {
        ticker.tick().await;
        // The second before this tick is over (its burst takes milliseconds).
        seconds_seen.close(runner.take_decision_latencies());
        writeln!(sim_input, "step").expect("simulator input");
        sim_input.flush().expect("simulator input");
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    seconds_seen.close(runner.take_decision_latencies());
    let elapsed = wall.elapsed().as_secs_f64();
    let (cpu_after, peak_mb) = usage();
    let SecondsSeen {
        mut latencies,
        mut calm,
        calm_seconds,
        seconds: counted,
        stolen: steal,
        ..
    } = seconds_seen;
    latencies.sort_unstable();
    calm.sort_unstable();
    let ids = runner.bot_ids();
    let bar_times: u64 = ids
        .iter()
        .filter_map(|id| runner.status(id))
        .map(|s| s.bar_times)
        .sum();
    let blocked = ids
        .iter()
        .filter(|id| runner.status(id).is_some_and(|s| s.blocked.is_some()))
        .count();
    println!(
        "runner_load: {} bots ({mode}) on {SYMBOLS} symbols, 1 bar/s per symbol, {elapsed:.1} s measured (start-up {:.1} s)",
        ids.len(),
        start_up
    );
    println!(
        "  bar times handled: {bar_times} ({:.0}/s), bots blocked: {blocked}",
        bar_times as f64 / elapsed
    );
    println!(
        "  CPU: {:.2} s in {elapsed:.1} s = {:.0}% of one core; peak resident memory {peak_mb:.0} MB",
        cpu_after - cpu_before,
        100.0 * (cpu_after - cpu_before) / elapsed
    );
    println!(
        "  decision latency (frame received -> order handed to the venue), {}",
        summary(&latencies)
    );
    match steal {
        Some(ticks) => {
            let cores = std::thread::available_parallelism().map_or(1, usize::from);
            println!(
                "  host steal (vCPU time the hypervisor took, /proc/stat): {:.1}% of {cores} vCPUs",
                ticks as f64 / (elapsed * 100.0 * cores as f64) * 100.0
            );
            println!(
                "  decision latency in the {calm_seconds} of {counted} seconds without a steal tick, {}",
                summary(&calm)
            );
        }
        None => println!("  host steal: not known on this system"),
    }
    runner.shutdown(false).await;
    drop(sim_input);
    sim.wait().expect("simulator exit");
}
