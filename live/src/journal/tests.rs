//! The journal's rules, on real `DuckDB` files in a temporary directory.

use std::path::Path;
use std::str::FromStr;

use rust_decimal::Decimal;
use vela_core::engine::{
    Alert, AlertCode, AlertLevel, BotId, BotState, Command, Control, Event, OrderReport,
};
use vela_core::types::{
    Asset, ClientOrderId, Fill, OrderAmount, OrderOrigin, OrderRequest, OrderStatus, OrderType,
    Side, Symbol, Timestamp,
};

use duckdb::Connection;

use super::*;

fn bot_id() -> BotId {
    BotId::new("alpha").expect("bot id")
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("decimal")
}

fn bot() -> BotRecord {
    BotRecord {
        id: bot_id(),
        mode: BotMode::Paper,
        state: BotState::Created,
        reason: "added".to_owned(),
        config: "[bot]\nid = \"alpha\"\n".to_owned(),
        created: Timestamp(1_000),
        updated: Timestamp(1_000),
    }
}

fn request(n: u64, quantity: &str) -> OrderRequest {
    OrderRequest {
        client_id: ClientOrderId::new(format!("alpha-{n}")).expect("client id"),
        symbol: Symbol::new("BTCUSDT").expect("symbol"),
        side: Side::Buy,
        order_type: OrderType::Limit,
        amount: OrderAmount::Base(dec(quantity)),
        price: Some(dec("100.5")),
        ts: Timestamp(2_000 + i64::try_from(n).unwrap_or(0)),
    }
}

fn fill(n: u64, trade: &str, quantity: &str) -> Fill {
    Fill {
        client_id: ClientOrderId::new(format!("alpha-{n}")).expect("client id"),
        trade_id: trade.to_owned(),
        symbol: Symbol::new("BTCUSDT").expect("symbol"),
        side: Side::Buy,
        price: dec("100.5"),
        quantity: dec(quantity),
        fee: dec("0.0001"),
        fee_asset: Asset::new("BTC").expect("asset"),
        is_maker: true,
        ts: Timestamp(3_000),
    }
}

fn filled(fill: Fill, partial: bool) -> Event {
    Event::Order(OrderReport::Filled { fill, partial })
}

/// The report that order `alpha-<n>` was sent, at `ts`.
fn submitted(n: u64, ts: i64) -> Event {
    Event::Order(OrderReport::Submitted {
        client_id: ClientOrderId::new(format!("alpha-{n}")).expect("client id"),
        ts: Timestamp(ts),
    })
}

fn open(dir: &Path) -> Journal {
    Journal::open(dir.join("journal.duckdb")).expect("journal opens")
}

#[test]
fn bots_and_the_log_survive_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut journal = open(dir.path());
    assert_eq!(journal.next_seq(), 1);
    assert_eq!(journal.add_bot(&bot()).expect("added"), 1);
    let again = journal.add_bot(&bot()).expect_err("a second bot alpha");
    assert!(
        again.to_string().contains("bot alpha already exists"),
        "{again}"
    );
    assert!(again.to_string().contains("journal.duckdb"), "{again}");
    journal
        .set_bot_state(&bot_id(), BotState::Running, "started", Timestamp(1_500))
        .expect("state");
    drop(journal);

    let journal = open(dir.path());
    assert_eq!(journal.next_seq(), 3);
    let bots = journal.bots().expect("bots");
    assert_eq!(bots.len(), 1);
    assert_eq!(bots[0].state, BotState::Running);
    assert_eq!(bots[0].reason, "started");
    assert_eq!(bots[0].config, bot().config);
    let kinds: Vec<String> = journal
        .entries(1, None)
        .expect("log")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["bot", "state"]);
}

#[test]
fn an_intent_is_written_once_and_a_repeated_decision_is_not_sent_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut journal = open(dir.path());
    journal.add_bot(&bot()).expect("added");
    let first = journal
        .record_intent(&bot_id(), &request(1, "2"), OrderOrigin::Strategy)
        .expect("intent");
    assert_eq!(first, Intent::Written { seq: 2 });
    let second = journal
        .record_intent(&bot_id(), &request(1, "2"), OrderOrigin::Strategy)
        .expect("intent again");
    let Intent::AlreadyKnown { order } = second else {
        panic!("the same client id was written twice: {second:?}");
    };
    assert_eq!(order.status, OrderStatus::PendingSend);
    assert_eq!(journal.next_seq(), 3, "nothing logged for the repeat");
    let open_orders = journal.open_orders(&bot_id()).expect("orders");
    assert_eq!(open_orders.len(), 1);
    let unknown = BotId::new("beta").expect("bot id");
    let error = journal
        .record_intent(&unknown, &request(2, "1"), OrderOrigin::Strategy)
        .expect_err("unknown bot");
    assert!(error.to_string().contains("no bot beta"), "{error}");
}

#[test]
fn reports_move_the_order_and_fills_count_once_per_trade() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut journal = open(dir.path());
    journal.add_bot(&bot()).expect("added");
    let id = bot_id();
    journal
        .record_intent(&id, &request(1, "2"), OrderOrigin::Strategy)
        .expect("intent");
    let client_id = request(1, "2").client_id;
    let submitted = Event::Order(OrderReport::Submitted {
        client_id: client_id.clone(),
        ts: Timestamp(2_100),
    });
    let accepted = Event::Order(OrderReport::Accepted {
        client_id: client_id.clone(),
        exchange_id: Some("C02__1".to_owned()),
        ts: Timestamp(2_200),
    });
    for event in [&submitted, &accepted] {
        let recorded = journal.record_event(&id, event).expect("report");
        assert_eq!(recorded.order, Some(OrderOutcome::Updated));
    }
    let part = journal
        .record_event(&id, &filled(fill(1, "t1", "0.5"), true))
        .expect("fill");
    assert_eq!(part.fill, Some(FillOutcome::Applied));
    // The same trade again (a WebSocket replay or a REST backfill): nothing changes.
    let again = journal
        .record_event(&id, &filled(fill(1, "t1", "0.5"), true))
        .expect("fill again");
    assert_eq!(again.fill, Some(FillOutcome::Duplicate));
    // The same trade id with another quantity: a conflict, the first version kept.
    let noisy = journal
        .record_event(&id, &filled(fill(1, "t1", "0.7"), true))
        .expect("noisy fill");
    assert_eq!(
        noisy.fill,
        Some(FillOutcome::Conflict {
            stored: Box::new(fill(1, "t1", "0.5"))
        })
    );
    let rest = journal
        .record_event(&id, &filled(fill(1, "t2", "1.5"), false))
        .expect("fill");
    assert_eq!(rest.fill, Some(FillOutcome::Applied));
    let order = journal
        .order(client_id.as_str())
        .expect("read")
        .expect("the order");
    assert_eq!(order.status, OrderStatus::Filled);
    assert_eq!(order.filled_quantity, dec("2"));
    assert_eq!(order.exchange_id.as_deref(), Some("C02__1"));
    assert_eq!(order.trade_ids, ["t1", "t2"]);
    assert_eq!(journal.fills(&id).expect("fills").len(), 2);
    // A late acknowledgement does not reopen a filled order.
    let late = journal.record_event(&id, &accepted).expect("late ack");
    assert!(
        matches!(late.order, Some(OrderOutcome::Ignored { .. })),
        "{late:?}"
    );
    // An overfill is stored as the exchange's trade but not applied.
    let over = journal
        .record_event(&id, &filled(fill(1, "t3", "0.1"), false))
        .expect("overfill");
    assert!(
        matches!(over.fill, Some(FillOutcome::Refused { .. })),
        "{over:?}"
    );
    assert_eq!(
        journal
            .order(client_id.as_str())
            .expect("read")
            .map(|o| o.filled_quantity),
        Some(dec("2"))
    );
    // A fill of an order the journal never saw.
    let stray = journal
        .record_event(&id, &filled(fill(9, "t9", "1"), false))
        .expect("stray fill");
    assert_eq!(stray.fill, Some(FillOutcome::UnknownOrder));
}

#[test]
fn a_fill_after_the_cancel_counts_without_reopening_the_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut journal = open(dir.path());
    journal.add_bot(&bot()).expect("added");
    let id = bot_id();
    journal
        .record_intent(&id, &request(1, "2"), OrderOrigin::Strategy)
        .expect("intent");
    let client_id = request(1, "2").client_id;
    for event in [
        Event::Order(OrderReport::Submitted {
            client_id: client_id.clone(),
            ts: Timestamp(2_100),
        }),
        filled(fill(1, "t1", "0.5"), true),
        Event::Order(OrderReport::Canceled {
            client_id: client_id.clone(),
            ts: Timestamp(2_300),
        }),
    ] {
        journal.record_event(&id, &event).expect("report");
    }
    let late = journal
        .record_event(&id, &filled(fill(1, "t2", "0.25"), true))
        .expect("late fill");
    assert_eq!(late.fill, Some(FillOutcome::AppliedToClosed));
    let order = journal
        .order(client_id.as_str())
        .expect("read")
        .expect("order");
    assert_eq!(order.status, OrderStatus::Canceled);
    assert_eq!(order.filled_quantity, dec("0.75"));
}

#[test]
fn commands_alerts_and_pnl_reach_their_tables() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut journal = open(dir.path());
    journal.add_bot(&bot()).expect("added");
    let id = bot_id();
    let alert = Alert {
        ts: Timestamp(5_000),
        level: AlertLevel::Warning,
        code: AlertCode::Killed,
        message: "killed".to_owned(),
    };
    journal
        .record_command(&id, &Command::Alert(alert.clone()))
        .expect("alert command");
    journal.record_alert(None, &alert).expect("process alert");
    journal
        .record_command(
            &id,
            &Command::Rotated {
                ts: Timestamp(5_100),
                from: "crossover".to_owned(),
                to: "grid".to_owned(),
                reason: "regime".to_owned(),
            },
        )
        .expect("rotation");
    let snapshot = PnlSnapshot {
        ts: Timestamp(6_000),
        equity: dec("1000.5"),
        realized: dec("0.5"),
        unrealized: dec("0"),
        fees: dec("0.01"),
    };
    journal.record_pnl(&id, &snapshot).expect("pnl");
    journal
        .record_event(
            &id,
            &Event::Control {
                ts: Timestamp(6_100),
                control: Control::Pause,
            },
        )
        .expect("control");
    assert_eq!(journal.pnl(&id).expect("pnl"), [snapshot]);
    let count = |table: &str| -> i64 {
        journal
            .conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .expect("count")
    };
    assert_eq!(count("alerts"), 2);
    assert_eq!(count("rotations"), 1);
    assert_eq!(count("pnl"), 1);
    assert_eq!(journal.entries(1, Some(&id)).expect("log").len(), 5);
    assert_eq!(journal.entries(1, None).expect("log").len(), 6);
}

#[test]
fn an_altered_or_missing_log_entry_is_reported_on_opening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("journal.duckdb");
    {
        let mut journal = Journal::open(&path).expect("opens");
        journal.add_bot(&bot()).expect("added");
        for n in 1..=3 {
            journal
                .record_intent(&bot_id(), &request(n, "1"), OrderOrigin::Strategy)
                .expect("intent");
        }
    }
    let tamper = |sql: &str| {
        let conn = Connection::open(&path).expect("raw open");
        conn.execute(sql, []).expect("tampered");
    };
    tamper("UPDATE events SET payload = replace(payload, '100.5', '99.5') WHERE seq = 3");
    let error = Journal::open(&path).expect_err("altered entry");
    assert!(
        error
            .to_string()
            .contains("log entry 3 (intent) does not match its digest"),
        "{error}"
    );
    assert!(error.to_string().contains("journal.duckdb"), "{error}");
    tamper("DELETE FROM events WHERE seq = 3");
    let error = Journal::open(&path).expect_err("missing entry");
    assert!(error.to_string().contains("entries are missing"), "{error}");
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("journal.duckdb");
    drop(Journal::open(&path).expect("opens"));
    let conn = Connection::open(&path).expect("raw open");
    conn.execute(
        "UPDATE meta SET value = '99' WHERE key = 'schema_version'",
        [],
    )
    .expect("bumped");
    drop(conn);
    let error = Journal::open(&path).expect_err("newer schema");
    assert!(error.to_string().contains("schema version 99"), "{error}");
}

#[test]
fn a_missing_directory_is_named() {
    let error = Journal::open("/nonexistent-vela-dir/journal.duckdb").expect_err("no directory");
    assert!(
        error
            .to_string()
            .contains("/nonexistent-vela-dir/journal.duckdb"),
        "{error}"
    );
}

#[test]
fn a_batch_commits_all_its_writes_or_none() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut journal = open(dir.path());
    journal.add_bot(&bot()).expect("added");
    let id = bot_id();
    let seqs = journal
        .batch(|b| {
            let first = b.record_intent(&id, &request(1, "1"), OrderOrigin::Strategy)?;
            let second = b.record_intent(&id, &request(2, "1"), OrderOrigin::Risk)?;
            Ok((first, second))
        })
        .expect("batch");
    assert_eq!(
        seqs,
        (Intent::Written { seq: 2 }, Intent::Written { seq: 3 })
    );
    let failed = journal.batch(|b| {
        b.record_intent(&id, &request(3, "1"), OrderOrigin::Strategy)?;
        b.record_intent(
            &BotId::new("ghost").expect("bot id"),
            &request(4, "1"),
            OrderOrigin::Strategy,
        )
    });
    assert!(failed.is_err());
    assert_eq!(
        journal.next_seq(),
        4,
        "the failed batch left nothing in the log"
    );
    assert!(journal.order("alpha-3").expect("read").is_none());
    drop(journal);
    let journal = open(dir.path());
    assert_eq!(journal.next_seq(), 4);
    let origins: Vec<OrderOrigin> = journal
        .orders(&id)
        .expect("orders")
        .into_iter()
        .map(|o| o.origin)
        .collect();
    assert_eq!(origins, [OrderOrigin::Strategy, OrderOrigin::Risk]);
}

/// The journal's in-memory index of orders (open orders, highest client id sequence) is
/// rebuilt on opening: after a restart a repeated decision is still recognised, for an open
/// and for a closed order, and reports keep moving an order that was open.
#[test]
fn a_reopened_journal_still_knows_its_orders() {
    let dir = tempfile::tempdir().expect("temp dir");
    let id = bot_id();
    {
        let mut journal = open(dir.path());
        journal.add_bot(&bot()).expect("added");
        for n in [1, 2] {
            journal
                .record_intent(&id, &request(n, "2"), OrderOrigin::Strategy)
                .expect("intent");
        }
        journal
            .record_event(&id, &submitted(1, 2_100))
            .expect("order 1 sent");
        let fill = journal
            .record_event(&id, &filled(fill(1, "t1", "2"), false))
            .expect("order 1 filled");
        assert_eq!(fill.fill, Some(FillOutcome::Applied));
    }
    let mut journal = open(dir.path());
    for (n, status) in [(1, OrderStatus::Filled), (2, OrderStatus::PendingSend)] {
        let again = journal
            .record_intent(&id, &request(n, "2"), OrderOrigin::Strategy)
            .expect("intent again");
        let Intent::AlreadyKnown { order } = again else {
            panic!("order {n} written twice after reopening: {again:?}");
        };
        assert_eq!(order.status, status);
    }
    let accepted = Event::Order(OrderReport::Accepted {
        client_id: ClientOrderId::new("alpha-2").expect("id"),
        exchange_id: Some("X2".to_owned()),
        ts: Timestamp(2_500),
    });
    journal
        .record_event(&id, &submitted(2, 2_400))
        .expect("submitted");
    let recorded = journal.record_event(&id, &accepted).expect("accepted");
    assert_eq!(recorded.order, Some(OrderOutcome::Updated));
    let stored = journal.order("alpha-2").expect("read").expect("stored");
    assert_eq!(stored.status, OrderStatus::Accepted);
    assert_eq!(stored.exchange_id.as_deref(), Some("X2"));
    let written = journal
        .record_intent(&id, &request(3, "1"), OrderOrigin::Strategy)
        .expect("a new intent");
    assert!(matches!(written, Intent::Written { .. }), "{written:?}");
}

/// Within one transaction an order is written once, in its last state; a transaction that
/// fails leaves neither the table nor the in-memory index changed.
#[test]
fn a_batch_writes_each_order_once_and_a_failed_batch_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut journal = open(dir.path());
    journal.add_bot(&bot()).expect("added");
    let id = bot_id();
    let client_id = ClientOrderId::new("alpha-1").expect("id");
    let intent_seq = journal
        .batch(|batch| {
            let Intent::Written { seq } =
                batch.record_intent(&id, &request(1, "2"), OrderOrigin::Strategy)?
            else {
                panic!("a new order");
            };
            batch.record_event(
                &id,
                &Event::Order(OrderReport::Submitted {
                    client_id: client_id.clone(),
                    ts: Timestamp(2_001),
                }),
            )?;
            batch.record_event(&id, &filled(fill(1, "t1", "0.5"), true))?;
            let twice = batch.record_event(&id, &filled(fill(1, "t1", "0.5"), true))?;
            assert_eq!(twice.fill, Some(FillOutcome::Duplicate));
            let other = batch.record_event(&id, &filled(fill(1, "t1", "0.7"), true))?;
            assert!(
                matches!(other.fill, Some(FillOutcome::Conflict { .. })),
                "{other:?}"
            );
            let again = batch.record_intent(&id, &request(1, "2"), OrderOrigin::Strategy)?;
            let Intent::AlreadyKnown { order } = again else {
                panic!("written twice in one batch: {again:?}");
            };
            assert_eq!(order.status, OrderStatus::PartiallyFilled);
            Ok(seq)
        })
        .expect("batch");
    let stored = journal.order("alpha-1").expect("read").expect("stored");
    assert_eq!(stored.status, OrderStatus::PartiallyFilled);
    assert_eq!(stored.filled_quantity, dec("0.5"));
    let mut rows = journal
        .conn
        .prepare("SELECT intent_seq, updated_seq FROM orders WHERE client_id = 'alpha-1'")
        .expect("query");
    let seqs: (i64, i64) = rows
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("row");
    drop(rows);
    assert_eq!(
        seqs,
        (
            i64::try_from(intent_seq).expect("small"),
            i64::try_from(intent_seq + 2).expect("small")
        )
    );

    let failed = journal.batch(|batch| {
        batch.record_intent(&id, &request(2, "1"), OrderOrigin::Strategy)?;
        batch.record_event(&id, &filled(fill(1, "t2", "1.5"), false))?;
        batch.record_intent(
            &BotId::new("ghost").expect("id"),
            &request(3, "1"),
            OrderOrigin::Strategy,
        )
    });
    assert!(failed.is_err(), "the unknown bot fails the batch");
    assert!(journal.order("alpha-2").expect("read").is_none());
    let written = journal
        .record_intent(&id, &request(2, "1"), OrderOrigin::Strategy)
        .expect("intent");
    assert!(
        matches!(written, Intent::Written { .. }),
        "the failed batch's intent is not known: {written:?}"
    );
    let order = journal.order("alpha-1").expect("read").expect("stored");
    assert_eq!(
        order.filled_quantity,
        dec("0.5"),
        "the failed fill is not applied"
    );
    let refill = journal
        .record_event(&id, &filled(fill(1, "t2", "1.5"), false))
        .expect("fill");
    assert_eq!(refill.fill, Some(FillOutcome::Applied));
}
