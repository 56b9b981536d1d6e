//! The live runner as a new user meets it (issue 8's "done when"): promote a backtest, run
//! it in paper mode against `vela sim`, watch it through the API (REST and WebSocket),
//! crash the runner with kill -9, start it again and see the bot resume, copy it into a
//! live bot, kill it, and stop the runner with SIGTERM.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::Value;

use crate::support::{scratch, text, vela};

/// Kills a child process when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sample() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample")
}

/// `vela sim` at 600× (a one-minute bar every 100 ms); its REST address and its output,
/// kept open (the simulator stops when its output is closed).
fn simulator() -> (Running, String, BufReader<ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vela"))
        .args([
            "sim",
            "--data-dir",
            sample(),
            "--bind",
            "127.0.0.1:0",
            "--speed",
            "600",
        ])
        .env_remove("VELA_SIM_API_KEY")
        .env_remove("VELA_SIM_API_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("vela sim starts");
    let mut output = BufReader::new(child.stdout.take().expect("piped"));
    let mut first = String::new();
    output.read_line(&mut first).expect("a first line");
    let url = first
        .split_whitespace()
        .find(|word| word.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no REST address in {first:?}"))
        .to_owned();
    (Running(child), url, output)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn private_file(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
}

fn runner(config: &Path) -> Running {
    Running(
        Command::new(env!("CARGO_BIN_EXE_vela"))
            .args(["live", "run", "--config"])
            .arg(config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("vela live run starts"),
    )
}

const TOKEN: &str = "it-token-0123456789abcdef";

struct Api {
    base: String,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Api {
    fn get(&self, path: &str) -> Option<Value> {
        self.runtime.block_on(async {
            let reply = self
                .client
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .ok()?;
            if !reply.status().is_success() {
                return None;
            }
            serde_json::from_str(&reply.text().await.ok()?).ok()
        })
    }

    /// `POST path` without a token: its HTTP status.
    fn post_without_token(&self, path: &str) -> u16 {
        self.runtime.block_on(async {
            self.client
                .post(format!("{}{path}", self.base))
                .send()
                .await
                .map_or(0, |r| r.status().as_u16())
        })
    }

    /// Waits up to 30 s for `check` to hold on `GET path`.
    fn wait(&self, path: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            if let Some(value) = self.get(path)
                && check(&value)
            {
                return value;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{what}: {:?}",
                self.get(path)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn bar_times(bot: &Value) -> u64 {
    bot["bot"]["status"]["bar_times"].as_u64().unwrap_or(0)
}

#[test]
fn a_promoted_backtest_trades_on_paper_survives_a_crash_and_is_killed() {
    let scratch = scratch("live", "promote");
    let run_dir = scratch.join("run");
    let run_dir_text = run_dir.to_str().expect("utf-8 path");
    let out = vela(&[
        "backtest",
        "sample/BTCUSDT/1m",
        "--strategy",
        "crossover",
        "--param",
        "fast=5",
        "--param",
        "slow=20",
        "--data-dir",
        sample(),
        "--out",
        run_dir_text,
    ]);
    assert!(out.status.success(), "{}", text(&out));

    let (_sim, rest_url, _sim_output) = simulator();
    let port = free_port();
    private_file(&scratch.join("token"), TOKEN);
    private_file(
        &scratch.join("mexc.keys"),
        "api_key = \"vela-sim-key\"\napi_secret = \"vela-sim-secret\"\n",
    );
    let config = scratch.join("vela.toml");
    std::fs::write(
        &config,
        format!(
            "[journal]\npath = \"journal.duckdb\"\n\n[exchange]\nrest_url = \"{rest_url}\"\nws_url = \"{}/ws\"\nsettle_wait_ms = 500\n\n\
             [credentials]\nfile = \"{}\"\n\n[api]\nbind = \"127.0.0.1:{port}\"\ntoken_file = \"{}\"\n",
            rest_url.replace("http://", "ws://"),
            scratch.join("mexc.keys").display(),
            scratch.join("token").display(),
        ),
    )
    .expect("vela.toml");
    let config_text = config.to_str().expect("utf-8 path");

    // Promote: the run directory, unchanged, becomes a paper bot.
    let out = vela(&[
        "live",
        "add",
        run_dir_text,
        "--id",
        "e2e",
        "--config",
        config_text,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("added paper bot e2e"), "{}", text(&out));

    let api = Api {
        base: format!("http://127.0.0.1:{port}/api/v1"),
        client: vela_live::http::client(Some(Duration::from_secs(10))).expect("client"),
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime"),
    };
    let mut process = runner(&config);
    api.wait("/health", "the runner's API answers", |v| v["bots"] == 1);
    let first = api.wait("/bots/e2e", "the bot trades bars", |v| bar_times(v) >= 30);
    assert_eq!(first["bot"]["status"]["state"], "running", "{first}");
    assert_eq!(first["bot"]["status"]["mode"], "paper", "{first}");

    // The WebSocket pushes status changes as they happen.
    let pushed = api.runtime.block_on(async {
        let (mut socket, _) =
            tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/api/v1/ws"))
                .await
                .expect("the API's WebSocket");
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a push within 10 s")
            .expect("open")
            .expect("a frame");
        frame.into_text().expect("text").to_string()
    });
    let pushed: Value = serde_json::from_str(&pushed).expect("JSON push");
    assert!(
        pushed["type"] == "status" || pushed["type"] == "order",
        "{pushed}"
    );

    // Changes need the token.
    assert_eq!(api.post_without_token("/bots/e2e/pause"), 401);

    // Parameters change only while the bot is paused or stopped.
    let params = [
        "live",
        "params",
        "e2e",
        "--param",
        "fast=6",
        "--config",
        config_text,
    ];
    let out = vela(&params);
    assert!(
        !out.status.success(),
        "refused while running: {}",
        text(&out)
    );
    assert!(text(&out).contains("update-params"), "{}", text(&out));
    // So do the budget, the risk settings and the running time.
    let risk_file = scratch.join("risk.toml");
    std::fs::write(&risk_file, "trailing_stop = 0.2\n").expect("risk.toml");
    let settings = [
        "live",
        "settings",
        "e2e",
        "--budget",
        "12000",
        "--running-time",
        "30d",
        "--risk",
        risk_file.to_str().expect("utf-8 path"),
        "--config",
        config_text,
    ];
    let out = vela(&settings);
    assert!(
        !out.status.success() && text(&out).contains("update-settings"),
        "refused while running: {}",
        text(&out)
    );
    let out = vela(&[
        "live",
        "settings",
        "e2e",
        "--running-time",
        "0d",
        "--config",
        config_text,
    ]);
    assert!(
        !out.status.success() && text(&out).contains("--running-time"),
        "{}",
        text(&out)
    );
    for step in [
        &["live", "pause", "e2e", "--config", config_text][..],
        &params[..],
        &settings[..],
        &["live", "resume", "e2e", "--config", config_text][..],
    ] {
        let out = vela(step);
        assert!(out.status.success(), "{step:?}: {}", text(&out));
    }
    let resumed = api.get("/bots/e2e").expect("bot");
    assert_eq!(resumed["bot"]["status"]["state"], "running", "{resumed}");
    let in_effect = |bot: &Value| {
        let config = bot["config"].as_str().unwrap_or_default();
        config.contains("fast = 6")
            && config.contains("slow = 20")
            && config.contains("budget = \"12000\"")
            && config.contains("running_time_ms = 2592000000")
            && config.contains("trailing_stop = 0.2")
    };
    assert!(
        in_effect(&resumed),
        "fast changed, slow kept, new budget, running time and risk: {resumed}"
    );

    // Crash the runner (kill -9) and start it again: the bot resumes from the journal.
    let before = api.wait("/bots/e2e", "more bars", |v| bar_times(v) >= 60);
    let last_before = before["bot"]["status"]["last_bar"]
        .as_i64()
        .expect("last bar");
    process.0.kill().expect("kill -9");
    let _ = process.0.wait();
    process = runner(&config);
    let resumed = api.wait("/bots/e2e", "the bot resumes after the crash", |v| {
        v["bot"]["status"]["last_bar"].as_i64() > Some(last_before) && bar_times(v) >= 5
    });
    assert_eq!(resumed["bot"]["status"]["state"], "running", "{resumed}");
    assert!(resumed["bot"]["status"]["blocked"].is_null(), "{resumed}");
    assert!(
        in_effect(&resumed),
        "the journal kept the new parameters: {resumed}"
    );
    let orders = api.get("/bots/e2e/orders").expect("orders");
    let ids: Vec<&str> = orders
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|o| o["request"]["client_id"].as_str())
        .collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "no order sent twice: {ids:?}");
    assert!(!ids.is_empty(), "the crossover traded: {orders}");
    let pnl = api.get("/bots/e2e/pnl").expect("P&L series");
    assert!(
        pnl.as_array().is_some_and(|s| s.len() >= 60),
        "a P&L point per bar time"
    );

    // Copy it into a live bot through the running runner; it trades on the simulator's account.
    let out = vela(&[
        "live",
        "copy",
        "e2e",
        "--id",
        "e2elive",
        "--mode",
        "live",
        "--config",
        config_text,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let live = api.wait("/bots/e2elive", "the live copy trades", |v| {
        bar_times(v) >= 3
    });
    assert_eq!(live["bot"]["status"]["mode"], "live", "{live}");
    assert!(
        in_effect(&live),
        "the copy takes the parameters in effect: {live}"
    );

    // Kill the paper bot from the command line.
    let out = vela(&["live", "kill", "e2e", "--config", config_text]);
    assert!(out.status.success(), "{}", text(&out));
    let killed = api.get("/bots/e2e").expect("bot");
    assert_eq!(killed["bot"]["status"]["state"], "killed", "{killed}");
    let out = vela(&["live", "list", "--config", config_text]);
    assert!(text(&out).contains("killed"), "{}", text(&out));

    // SIGTERM: a clean stop, the journal closed.
    let terminated = Command::new("kill")
        .args(["-TERM", &process.0.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(terminated.success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = process.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the runner stops on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "clean exit: {status:?}");
    let out = vela(&["live", "list", "--config", config_text]);
    assert!(out.status.success(), "{}", text(&out));
    let listing = text(&out);
    assert!(
        listing.contains("e2e") && listing.contains("killed"),
        "{listing}"
    );
    assert!(listing.contains("e2elive"), "{listing}");
}

#[test]
fn a_bot_is_made_from_flags_with_the_exchanges_instrument_rules() {
    let scratch = scratch("live", "flags");
    let (_sim, rest_url, _sim_output) = simulator();
    let config = scratch.join("vela.toml");
    std::fs::write(
        &config,
        format!(
            "[journal]\npath = \"journal.duckdb\"\n\n[exchange]\nrest_url = \"{rest_url}\"\n\
             ws_url = \"{}/ws\"\n\n[api]\nbind = \"127.0.0.1:{}\"\n",
            rest_url.replace("http://", "ws://"),
            free_port(),
        ),
    )
    .expect("vela.toml");
    let config_text = config.to_str().expect("utf-8 path");
    let risk_file = scratch.join("risk.toml");
    std::fs::write(&risk_file, "[risk]\nmax_drawdown = { percent = 0.2 }\n").expect("risk.toml");
    let add = |extra: &[&str]| {
        let mut args = vec![
            "live",
            "add",
            "--strategy",
            "crossover",
            "--param",
            "fast=5",
            "--param",
            "slow=20",
            "--budget",
            "500",
            "--running-time",
            "14d",
            "--stop-loss",
            "0.05",
            "--risk",
            risk_file.to_str().expect("utf-8 path"),
            "--paused",
            "--config",
            config_text,
        ];
        args.extend_from_slice(extra);
        vela(&args)
    };
    let out = add(&["--symbol", "BTCUSDT", "--id", "flags"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("added paper bot flags"),
        "{}",
        text(&out)
    );

    let journal =
        vela_live::journal::Journal::open(scratch.join("journal.duckdb")).expect("the journal");
    let id = vela_core::engine::BotId::new("flags").expect("id");
    let record = journal.bot(&id).expect("read").expect("the bot is stored");
    let spec = vela_live::runner::BotSpec::from_toml_str(
        &record.config,
        &vela_core::strategy::Registry::builtin(),
    )
    .expect("a valid bot file");
    let bot = &spec.bot;
    assert_eq!(bot.budget, rust_decimal::Decimal::from(500));
    assert_eq!(bot.running_time_ms, Some(14 * 86_400_000));
    assert_eq!(bot.strategy.name, "crossover");
    assert_eq!(
        bot.strategy.params.get("slow"),
        Some(&vela_core::strategy::ParamValue::Int(20))
    );
    assert_eq!(
        bot.risk.stop_loss,
        Some(vela_core::risk::Limit::Percent(0.05)),
        "the flag"
    );
    assert_eq!(
        bot.risk.max_drawdown,
        Some(vela_core::risk::Limit::Percent(0.2)),
        "the file"
    );
    // The instrument's rules are the simulator's exchangeInfo, not defaults.
    let instrument = &bot.instruments[0];
    assert_eq!(instrument.symbol.as_str(), "BTCUSDT");
    assert!(instrument.api_trading_allowed);
    assert!(instrument.min_quantity > rust_decimal::Decimal::ZERO);
    drop(journal);

    let out = add(&["--symbol", "NOSUCHUSDT", "--id", "bad"]);
    assert!(
        !out.status.success()
            && text(&out).contains("NOSUCHUSDT")
            && text(&out).contains("Invalid symbol"),
        "{}",
        text(&out)
    );
    let out = vela(&[
        "live",
        "add",
        "--strategy",
        "crossover",
        "--symbol",
        "BTCUSDT",
        "--config",
        config_text,
    ]);
    assert!(
        !out.status.success() && text(&out).contains("--id"),
        "the new bot needs an id: {}",
        text(&out)
    );
}
