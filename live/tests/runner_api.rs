//! The runner's API against a running runner (a paper bot on the simulator): the `OpenAPI`
//! description and the router agree, changes need the token, reads are open on loopback
//! only, bad input is refused with a message that names it; and `vela.toml` / bot-file
//! errors name the key.

use std::collections::BTreeSet;
use std::time::Duration;

use rust_decimal::Decimal;
use vela_core::engine::{BotConfig, BotId};
use vela_core::sim::SimConfig;
use vela_core::strategy::{Params, Registry, StrategySpec};
use vela_core::types::instrument::stubs;
use vela_core::types::{Bar, Timestamp};
use vela_live::journal::BotMode;
use vela_live::proto::KlineInterval;
use vela_live::runner::api::{ApiServer, OPENAPI};
use vela_live::runner::config::ApiConfig;
use vela_live::runner::{BotSpec, Runner, RunnerConfig};
use vela_live::sim::server::{ServerConfig, SimServer};
use vela_live::sim::state::SimSetup;

const TOKEN: &str = "api-test-token-0123456789";

fn bars(n: i64) -> Vec<Bar> {
    (0..n)
        .map(|i| {
            let price = 100.0 + f64::from(u8::try_from(i % 7).expect("small"));
            Bar {
                ts: Timestamp(1_700_000_040_000 + i * 60_000),
                open: price,
                high: price + 1.0,
                low: price - 1.0,
                close: price + 0.5,
                volume: 5.0,
            }
        })
        .collect()
}

fn spec(id: &str) -> BotSpec {
    let mut params = Params::new();
    params.set("fast", 2_i64).set("slow", 3_i64);
    BotSpec {
        mode: BotMode::Paper,
        interval: KlineInterval::Min1,
        timers: true,
        paper: SimConfig::default(),
        bot: BotConfig::new(
            BotId::new(id).expect("id"),
            vec![stubs::btcusdt()],
            Decimal::from(500),
            StrategySpec::new("crossover", params),
        ),
    }
}

struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> (u16, String) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let reply = request.body(body.to_owned()).send().await.expect("reply");
        let status = reply.status().as_u16();
        (status, reply.text().await.unwrap_or_default())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_serves_what_it_describes_and_guards_changes() {
    let instrument = stubs::btcusdt();
    let sim = SimServer::start_serving(
        SimSetup {
            series: vec![(instrument.symbol.clone(), bars(50))],
            instruments: vec![instrument],
            interval_ms: 60_000,
            fill: SimConfig::default(),
            accounts: vec![],
        },
        ServerConfig::default(),
    )
    .await
    .expect("simulator");
    let dir = tempfile::tempdir().expect("dir");
    let mut config = RunnerConfig::new(dir.path().join("journal.duckdb"));
    config.exchange.rest_url = sim.rest_url();
    config.exchange.ws_url = sim.ws_url();
    let runner = Runner::start(config, &Registry::builtin())
        .await
        .expect("runner");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, TOKEN).expect("token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
    }
    let api_config = ApiConfig {
        bind: "127.0.0.1:0".parse().expect("addr"),
        token_env: None,
        token_file: Some(token_file),
    };
    let api = ApiServer::start(runner.clone(), &api_config)
        .await
        .expect("api");
    let client = Client {
        base: format!("http://{}", api.addr()),
        http: vela_live::http::client(Some(Duration::from_secs(10))).expect("client"),
    };

    // Add a bot through the API: the token is needed; a bad file names the key.
    let text = spec("api1").to_toml_string().expect("toml");
    let (status, _) = client.send("POST", "/api/v1/bots", None, &text).await;
    assert_eq!(status, 401);
    let (status, _) = client
        .send(
            "POST",
            "/api/v1/bots",
            Some("wrong-token-wrong-token"),
            &text,
        )
        .await;
    assert_eq!(status, 401);
    let (status, body) = client
        .send(
            "POST",
            "/api/v1/bots",
            Some(TOKEN),
            &text.replace("interval = \"Min1\"", "interval = \"Min2\""),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("interval"), "{body}");
    let (status, body) = client
        .send("POST", "/api/v1/bots", Some(TOKEN), &text)
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = client
        .send("POST", "/api/v1/bots", Some(TOKEN), &text)
        .await;
    assert_eq!(status, 409, "the same id twice: {body}");
    assert!(runner.wait_subscribed(Duration::from_secs(10)).await);
    for _ in 0..6 {
        sim.step(1);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Stop needs to know about resting orders.
    let (status, body) = client
        .send("POST", "/api/v1/bots/api1/stop", Some(TOKEN), "")
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("cancel_resting"), "{body}");
    let (status, body) = client
        .send("POST", "/api/v1/bots/api1/pause", Some(TOKEN), "")
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("paused"), "{body}");
    let (status, body) = client
        .send("POST", "/api/v1/bots/nobody/pause", Some(TOKEN), "")
        .await;
    assert_eq!(status, 404, "{body}");

    // Every described route is served (a route the router lacks is a bare 404 or 405).
    let description: serde_json::Value = serde_json::from_str(OPENAPI).expect("OpenAPI JSON");
    let paths = description["paths"].as_object().expect("paths");
    let mut described = BTreeSet::new();
    for (path, methods) in paths {
        described.insert(path.clone());
        for method in methods.as_object().expect("methods").keys() {
            let concrete = path
                .replace("{id}", "api1")
                .replace("{action}", "resume")
                .replace("tax.csv", "tax.csv?bot=api1");
            let (status, body) = client
                .send(&method.to_uppercase(), &concrete, Some(TOKEN), "{}")
                .await;
            // The router's own answer to an unknown route is a 404 without a body; every
            // handler here answers with one.
            assert!(
                status != 405 && !(status == 404 && body.is_empty()),
                "{method} {path}: {status} {body}"
            );
        }
    }
    // ... and every served route is described.
    let source = include_str!("../src/runner/api.rs");
    let served: BTreeSet<String> = source
        .split(".route(\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next().map(str::to_owned))
        .collect();
    assert_eq!(served, described, "router and OpenAPI description differ");

    api.shutdown().await;
    runner.shutdown(false).await;
    sim.shutdown().await;
}

#[test]
fn configuration_errors_name_the_key() {
    let registry = Registry::builtin();
    let cases = [
        (
            "[journal]\npath = \"j.duckdb\"\n[exchange]\nrecv_window_ms = 0\n",
            "exchange.recv_window_ms",
        ),
        (
            "[journal]\npath = \"j.duckdb\"\n[exchange]\nrest_url = \"ftp://x\"\n",
            "exchange.rest_url",
        ),
        ("[journal]\npath = \"j.duckdb\"\n[exhange]\n", "exhange"),
        ("[exchange]\n", "journal"),
        (
            "[journal]\npath = \"j.duckdb\"\n[api]\nbind = \"nowhere\"\n",
            "bind",
        ),
        (
            concat!(
                "[journal]\npath = \"j.duckdb\"\n[[alerts.channels]]\nkind = \"email\"\n",
                "host = \"smtp.example.com\"\nsecurity = \"none\"\nfrom = \"a@example.com\"\n",
                "to = [\"b@example.com\"]\nusername = \"a\"\npassword_env = \"P\"\n"
            ),
            "unencrypted",
        ),
        (
            concat!(
                "[journal]\npath = \"j.duckdb\"\n[[alerts.channels]]\nkind = \"email\"\n",
                "host = \"smtp.example.com\"\nfrom = \"not an address\"\n",
                "to = [\"b@example.com\"]\n"
            ),
            "email: from",
        ),
        (
            concat!(
                "[journal]\npath = \"j.duckdb\"\n[[alerts.channels]]\nkind = \"email\"\n",
                "host = \"smtp.example.com\"\nfrom = \"a@example.com\"\nto = []\n"
            ),
            "email: to",
        ),
        (
            concat!(
                "[journal]\npath = \"j.duckdb\"\n[[alerts.channels]]\nkind = \"email\"\n",
                "host = \"smtp.example.com\"\nfrom = \"a@example.com\"\n",
                "to = [\"b@example.com\"]\nusername = \"a\"\n"
            ),
            "username and password_env",
        ),
    ];
    for (text, key) in cases {
        let error = RunnerConfig::from_toml_str(text)
            .expect_err(text)
            .to_string();
        assert!(error.contains(key), "{text:?} -> {error}");
    }
    let good = spec("cfg1").to_toml_string().expect("toml");
    assert!(BotSpec::from_toml_str(&good, &registry).is_ok());
    for (from, to, key) in [
        ("mode = \"paper\"", "mode = \"real\"", "mode"),
        (
            "timing = \"next_open\"",
            "timing = \"this_close\"",
            "this_close",
        ),
        (
            "name = \"crossover\"",
            "name = \"nonsense\"",
            "bot.strategy",
        ),
    ] {
        assert!(good.contains(from), "{good}");
        let error = BotSpec::from_toml_str(&good.replace(from, to), &registry)
            .expect_err(to)
            .to_string();
        assert!(error.contains(key), "{to} -> {error}");
    }
}

/// A local webhook that keeps every body it receives.
async fn webhook() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use axum::routing::post;
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = std::sync::Arc::clone(&received);
    let app = axum::Router::new().route(
        "/hook",
        post(move |body: String| {
            let keep = std::sync::Arc::clone(&keep);
            async move {
                keep.lock().expect("lock").push(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_and_a_dropped_stream_reach_the_webhook() {
    let instrument = stubs::btcusdt();
    let sim = SimServer::start_serving(
        SimSetup {
            series: vec![(instrument.symbol.clone(), bars(50))],
            instruments: vec![instrument],
            interval_ms: 60_000,
            fill: SimConfig::default(),
            accounts: vec![],
        },
        ServerConfig::default(),
    )
    .await
    .expect("simulator");
    let (url, received) = webhook().await;
    let dir = tempfile::tempdir().expect("dir");
    let text = format!(
        "[journal]\npath = \"{}\"\n[exchange]\nrest_url = \"{}\"\nws_url = \"{}\"\n\
         [alerts]\nburst = 5\n[[alerts.channels]]\nkind = \"webhook\"\nurl = \"{url}\"\n",
        dir.path().join("journal.duckdb").display(),
        sim.rest_url(),
        sim.ws_url()
    );
    let config = RunnerConfig::from_toml_str(&text).expect("vela.toml");
    let runner = Runner::start(config, &Registry::builtin())
        .await
        .expect("runner");
    runner
        .add_bot(spec("alert1"), true)
        .await
        .expect("bot added");
    assert!(runner.wait_subscribed(Duration::from_secs(10)).await);
    for _ in 0..4 {
        sim.step(1);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let id = BotId::new("alert1").expect("id");
    runner
        .control(&id, vela_core::engine::Control::Kill { global: false })
        .await
        .expect("killed");
    sim.faults().drop_connections();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let bodies = received.lock().expect("lock").clone();
        let killed = bodies
            .iter()
            .any(|b| b.contains("alert1") && b.contains("killed"));
        let dropped = bodies.iter().any(|b| b.contains("disconnect"));
        if killed && dropped {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "alerts received: {bodies:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    runner.shutdown(false).await;
    sim.shutdown().await;
}
