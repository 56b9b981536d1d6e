//! `vela sim` as a user starts it: the command serves MEXC's REST API on loopback from the
//! bundled sample, and the adapter trades against it with the documented default account.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rust_decimal::Decimal;
use vela_live::rest::model::{WireOrderType, WireSide};
use vela_live::rest::{NewOrder, OrderRef, RestClient, RestConfig};
use vela_live::secret::Credentials;

use crate::support::{text, vela};

/// Kills the simulator when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn vela_sim_serves_the_sample_and_takes_orders() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample");
    let mut child = Command::new(env!("CARGO_BIN_EXE_vela"))
        .args([
            "sim",
            "--data-dir",
            sample,
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
    let stdout = child.stdout.take().expect("piped");
    let running = Running(child);
    // Kept open for the whole test: the simulator stops when its output is closed.
    let mut output = BufReader::new(stdout);
    let mut first = String::new();
    output.read_line(&mut first).expect("a first line");
    let url = first
        .split_whitespace()
        .find(|word| word.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no REST address in {first:?}"))
        .to_owned();
    assert!(
        !first.contains("vela-sim-secret"),
        "the secret is never printed: {first}"
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let client = RestClient::new(
            RestConfig {
                base_url: url,
                ..RestConfig::default()
            },
            Some(Credentials::new("vela-sim-key", "vela-sim-secret").expect("valid")),
        )
        .expect("client");
        client.ping().await.expect("ping");
        let info = client
            .exchange_info(&["BTCUSDT"])
            .await
            .expect("exchangeInfo");
        assert!(info.symbols[0].is_api_tradable());
        let account = client.account().await.expect("the default account");
        let usdt = account
            .balances
            .iter()
            .find(|b| b.asset == "USDT")
            .expect("USDT");
        assert_eq!(usdt.free, Decimal::from(10_000));
        // 600x: a bar every 100 ms; the market opens with the first one.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let order = NewOrder {
            symbol: "BTCUSDT".to_owned(),
            side: WireSide::Buy,
            order_type: WireOrderType::Market,
            quantity: None,
            quote_order_qty: Some(Decimal::from(100)),
            price: None,
            client_order_id: Some("it-sim-1".to_owned()),
        };
        client.place_order(&order).await.expect("placed");
        tokio::time::sleep(Duration::from_millis(400)).await;
        let filled = client
            .query_order("BTCUSDT", &OrderRef::ClientId("it-sim-1".to_owned()))
            .await
            .expect("query");
        assert!(
            filled.executed_qty > Decimal::ZERO,
            "filled within a few bars: {filled:?}"
        );
    });
    drop(running);
    drop(output);
}

#[test]
fn vela_sim_names_a_bad_flag() {
    let out = vela(&["sim", "--speed", "fast", "--data-dir", "data/sample"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("--speed \"fast\""), "{}", text(&out));
    let out = vela(&["sim", "--balance", "USDT", "--data-dir", "data/sample"]);
    assert!(
        text(&out).contains("--balance \"USDT\": expected ASSET=AMOUNT"),
        "{}",
        text(&out)
    );
    let out = vela(&["sim", "--fault", "meteor", "--data-dir", "data/sample"]);
    assert!(
        text(&out).contains("unknown fault `meteor`"),
        "{}",
        text(&out)
    );
}
