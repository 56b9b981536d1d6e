//! The journal survives `kill -9` at any point (issue 8, fault case 20): a writer process is
//! killed while it writes intents, reports and fills; every time the journal opens (its log
//! checked: no gap, unbroken digest chain), the last committed write is intact, nothing of
//! the one in flight is visible, and writing goes on after it.
//!
//! The writer is this test binary itself, started again with `--ignored --exact
//! crash_writer` and the journal's path in `VELA_JOURNAL_CRASH_PATH`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::str::FromStr;

use rust_decimal::Decimal;
use vela_core::engine::{BotId, BotState, Event, OrderReport};
use vela_core::types::{
    Asset, ClientOrderId, Fill, OrderAmount, OrderOrigin, OrderRequest, OrderStatus, OrderType,
    Side, Symbol, Timestamp,
};
use vela_live::journal::{BotMode, BotRecord, Intent, Journal};

const PATH_VARIABLE: &str = "VELA_JOURNAL_CRASH_PATH";

fn bot_id() -> BotId {
    BotId::new("crash").expect("bot id")
}

fn client_id(n: u64) -> ClientOrderId {
    ClientOrderId::new(format!("crash-{n}")).expect("client id")
}

fn one() -> Decimal {
    Decimal::from_str("0.001").expect("decimal")
}

/// Where an order's writes start.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Intent,
    Submitted,
    Fill,
}

/// One order's life from `from` on: intent, submitted, filled. Returns after the fill is
/// committed.
fn write_order(journal: &mut Journal, n: u64, from: Step) {
    let ts = Timestamp(1_700_000_000_000 + i64::try_from(n).unwrap_or(0) * 1_000);
    let request = OrderRequest {
        client_id: client_id(n),
        symbol: Symbol::new("BTCUSDT").expect("symbol"),
        side: Side::Buy,
        order_type: OrderType::Market,
        amount: OrderAmount::Base(one()),
        price: None,
        ts,
    };
    let id = bot_id();
    if from <= Step::Intent {
        let intent = journal
            .record_intent(&id, &request, OrderOrigin::Strategy)
            .expect("intent");
        assert!(matches!(intent, Intent::Written { .. }), "{intent:?}");
    }
    if from <= Step::Submitted {
        journal
            .record_event(
                &id,
                &Event::Order(OrderReport::Submitted {
                    client_id: client_id(n),
                    ts,
                }),
            )
            .expect("submitted");
    }
    let fill = Fill {
        client_id: client_id(n),
        trade_id: format!("T{n}"),
        symbol: Symbol::new("BTCUSDT").expect("symbol"),
        side: Side::Buy,
        price: Decimal::from(60_000 + n),
        quantity: one(),
        fee: Decimal::ZERO,
        fee_asset: Asset::new("USDT").expect("asset"),
        is_maker: false,
        ts,
    };
    journal
        .record_event(
            &id,
            &Event::Order(OrderReport::Filled {
                fill,
                partial: false,
            }),
        )
        .expect("filled");
}

fn open_checked(path: &Path) -> Journal {
    let journal = Journal::open(path).expect("the journal opens after the kill, its log intact");
    let id = bot_id();
    let orders = journal.orders(&id).expect("orders");
    let fills = journal.fills(&id).expect("fills");
    let log = journal.entries(1, Some(&id)).expect("log");
    // Orders were written in order 1, 2, 3, ... and each fill belongs to one of them.
    for (i, order) in orders.iter().enumerate() {
        assert_eq!(order.request.client_id, client_id(i as u64 + 1));
        let has_intent = log
            .iter()
            .any(|e| e.kind == "intent" && e.payload.contains(&format!("\"crash-{}\"", i + 1)));
        assert!(has_intent, "order {} has no intent in the log", i + 1);
        let fill = fills
            .iter()
            .find(|f| f.client_id == order.request.client_id);
        match order.status {
            OrderStatus::Filled => {
                assert!(fill.is_some(), "order {} filled without its fill", i + 1);
            }
            OrderStatus::PendingSend | OrderStatus::Submitted => {
                assert!(
                    fill.is_none(),
                    "order {} has a fill but is not filled",
                    i + 1
                );
            }
            other => panic!("order {} is {other:?}", i + 1),
        }
    }
    // Only the last order may be unfinished: the kill came during its writes.
    let unfinished = orders
        .iter()
        .filter(|o| o.status != OrderStatus::Filled)
        .count();
    assert!(unfinished <= 1, "{unfinished} unfinished orders");
    journal
}

/// The writer: adds the bot if needed, then writes orders until it is killed.
#[test]
#[ignore = "the crash test's writer process; runs only when started by it"]
fn crash_writer() {
    let Ok(path) = std::env::var(PATH_VARIABLE) else {
        return;
    };
    let mut journal = Journal::open(&path).expect("writer opens the journal");
    if journal.bot(&bot_id()).expect("bots").is_none() {
        journal
            .add_bot(&BotRecord {
                id: bot_id(),
                mode: BotMode::Live,
                state: BotState::Running,
                reason: "crash test".to_owned(),
                config: String::new(),
                created: Timestamp(0),
                updated: Timestamp(0),
            })
            .expect("bot");
    }
    let mut n = 0;
    loop {
        n += 1;
        match journal.order(client_id(n).as_str()).expect("read") {
            None => write_order(&mut journal, n, Step::Intent),
            // The previous writer was killed during this order: finish it.
            Some(order) if order.status == OrderStatus::PendingSend => {
                write_order(&mut journal, n, Step::Submitted);
            }
            Some(order) if order.status == OrderStatus::Submitted => {
                write_order(&mut journal, n, Step::Fill);
            }
            Some(_) => continue,
        }
        #[allow(
            clippy::print_stdout,
            reason = "the crash test reads the writer's progress"
        )]
        {
            println!("committed {n}");
        }
    }
}

#[test]
fn the_journal_survives_kill_9_at_any_point() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("journal.duckdb");
    let exe = std::env::current_exe().expect("test binary");
    let mut committed_total = 0;
    // Kill after a different number of committed orders each round, so the kill lands in
    // different writes (intent, report, fill, the checkpoint of the file).
    for (round, wait_for) in [1_u32, 7, 3, 20, 2, 13].into_iter().enumerate() {
        let mut child = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "crash_writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(PATH_VARIABLE, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("writer starts");
        let stdout = child.stdout.take().expect("writer's stdout");
        let mut seen = 0;
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("a line");
            if line.starts_with("committed ") {
                seen += 1;
                if seen >= wait_for {
                    break;
                }
            }
        }
        child.kill().expect("kill -9");
        child.wait().expect("reaped");
        let journal = open_checked(&path);
        let orders = journal.orders(&bot_id()).expect("orders");
        assert!(
            orders.len() >= committed_total + wait_for as usize,
            "round {round}: {} orders after {} committed",
            orders.len(),
            committed_total + wait_for as usize
        );
        committed_total = orders
            .iter()
            .filter(|o| o.status == OrderStatus::Filled)
            .count();
    }
    // The journal goes on after the last kill.
    let mut journal = open_checked(&path);
    let next = journal.orders(&bot_id()).expect("orders").len() as u64 + 1;
    write_order(&mut journal, next, Step::Intent);
    drop(journal);
    drop(open_checked(&path));
}
