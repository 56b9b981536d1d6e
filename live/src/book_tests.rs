//! Tests of [`super::OrderBook`]: fault-tests cases 27, 28 and 32, and properties.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rust_decimal::Decimal;
use vela_core::types::Timestamp;

use super::*;

/// A level at `cents / 100` with `quantity`.
fn lvl(cents: i64, quantity: f64) -> Level {
    Level::new(Decimal::new(cents, 2), quantity)
}

fn diff(from: u64, to: u64, bids: &[(i64, f64)], asks: &[(i64, f64)]) -> DepthDiff {
    DepthDiff {
        from_version: from,
        to_version: to,
        bids: bids.iter().map(|&(p, q)| lvl(p, q)).collect(),
        asks: asks.iter().map(|&(p, q)| lvl(p, q)).collect(),
    }
}

fn snapshot(version: u64) -> Snapshot {
    Snapshot {
        version,
        bids: vec![lvl(9_900, 1.0), lvl(9_800, 2.0)],
        asks: vec![lvl(10_000, 1.5), lvl(10_100, 3.0)],
    }
}

fn prices(levels: impl Iterator<Item = Level>) -> Vec<(Decimal, f64)> {
    levels.map(|l| (l.price, l.quantity)).collect()
}

#[test]
fn straddling_diff_makes_the_book_live_and_zero_removes() {
    let mut book = OrderBook::new();
    assert!(book.needs_snapshot());
    assert_eq!(book.apply_snapshot(&snapshot(100)), Ok(()));
    assert_eq!(book.state(), &BookState::Syncing { snapshot: 100 });
    assert_eq!(
        book.best_bid(),
        None,
        "not published before a straddling diff"
    );
    assert_eq!(
        book.apply_diff(diff(95, 103, &[(9_900, 0.0), (9_850, 4.0)], &[])),
        DiffOutcome::Applied
    );
    assert!(book.is_live());
    assert_eq!(book.version(), Some(103));
    assert_eq!(
        prices(book.bids()),
        vec![(Decimal::new(9_850, 2), 4.0), (Decimal::new(9_800, 2), 2.0)]
    );
    let top = book.top(Timestamp(7));
    assert_eq!(top.map(|t| (t.bid_price, t.ask_price)), Some((98.5, 100.0)));
    // The same price written with another scale is the same level.
    let same = DepthDiff {
        from_version: 104,
        to_version: 104,
        bids: vec![Level::new(Decimal::new(985, 1), 5.0)],
        asks: vec![],
    };
    assert_eq!(book.apply_diff(same), DiffOutcome::Applied);
    assert_eq!(book.bids().count(), 2);
    assert_eq!(book.best_bid().map(|l| l.quantity), Some(5.0));
}

#[test]
fn case_27_a_dropped_diff_is_a_gap() {
    let mut book = OrderBook::new();
    assert_eq!(book.apply_snapshot(&snapshot(100)), Ok(()));
    assert_eq!(
        book.apply_diff(diff(101, 102, &[], &[])),
        DiffOutcome::Applied
    );
    // 103..=104 is lost.
    let outcome = book.apply_diff(diff(105, 106, &[(9_700, 1.0)], &[]));
    let gap = StaleReason::Gap {
        expected: 103,
        found: 105,
    };
    assert_eq!(outcome, DiffOutcome::WentStale(gap.clone()));
    assert_eq!(book.state(), &BookState::Stale(gap));
    assert_eq!(book.gap_count(), 1);
    assert_eq!(
        (book.best_bid(), book.best_ask(), book.version()),
        (None, None, None)
    );
    assert_eq!(book.bids().count(), 0);
    assert!(book.needs_snapshot());
    // Stale: diffs are kept for the next snapshot, which brings the book back.
    assert_eq!(
        book.apply_diff(diff(107, 107, &[], &[])),
        DiffOutcome::Buffered
    );
    assert_eq!(book.buffered(), 2);
    assert_eq!(book.apply_snapshot(&snapshot(106)), Ok(()));
    assert!(book.is_live());
    assert_eq!(book.version(), Some(107));
    assert_eq!(book.buffered(), 0);
}

#[test]
fn case_28_old_diffs_skipped_and_the_first_must_straddle() {
    let mut book = OrderBook::new();
    // Buffered before the snapshot, as when subscribing first.
    for (from, to) in [(90, 95), (96, 100), (101, 104)] {
        assert_eq!(
            book.apply_diff(diff(from, to, &[], &[])),
            DiffOutcome::Buffered
        );
    }
    assert_eq!(book.apply_snapshot(&snapshot(100)), Ok(()));
    assert_eq!(book.version(), Some(104), "two skipped, the third applied");
    assert_eq!(
        book.apply_diff(diff(99, 100, &[], &[])),
        DiffOutcome::Skipped
    );
    assert_eq!(
        book.apply_diff(diff(101, 104, &[], &[])),
        DiffOutcome::Skipped
    );

    let mut book = OrderBook::new();
    assert_eq!(book.apply_snapshot(&snapshot(100)), Ok(()));
    assert_eq!(
        book.apply_diff(diff(90, 100, &[], &[])),
        DiffOutcome::Skipped
    );
    let behind = StaleReason::SnapshotBehind {
        snapshot: 100,
        first_from: 102,
    };
    assert_eq!(
        book.apply_diff(diff(102, 103, &[], &[])),
        DiffOutcome::WentStale(behind.clone())
    );
    assert_eq!(book.gap_count(), 1);
    // A snapshot older than the buffered stream is refused at once.
    assert_eq!(book.apply_snapshot(&snapshot(100)), Err(behind));
    assert_eq!(book.gap_count(), 2);
    assert_eq!(book.apply_snapshot(&snapshot(101)), Ok(()));
    assert_eq!(book.version(), Some(103));
}

#[test]
fn case_32_crossed_or_invalid_books_are_stale() {
    let mut book = OrderBook::new();
    assert_eq!(book.apply_snapshot(&snapshot(100)), Ok(()));
    let crossed = book.apply_diff(diff(101, 101, &[(10_000, 1.0)], &[]));
    assert_eq!(
        crossed,
        DiffOutcome::WentStale(StaleReason::Crossed {
            bid: 100.0,
            ask: 100.0
        })
    );
    assert_eq!(book.best_ask(), None);
    assert_eq!(book.gap_count(), 0);
    assert_eq!(book.stale_count(), 1);

    let mut crossed_snapshot = snapshot(5);
    crossed_snapshot.bids.push(lvl(10_050, 1.0));
    let mut book = OrderBook::new();
    assert!(matches!(
        book.apply_snapshot(&crossed_snapshot),
        Err(StaleReason::Crossed { .. })
    ));

    let mut book = OrderBook::new();
    assert_eq!(book.apply_snapshot(&snapshot(100)), Ok(()));
    for bad in [
        diff(101, 101, &[(9_000, -1.0)], &[]),
        diff(101, 101, &[], &[(11_000, f64::NAN)]),
        diff(101, 101, &[(0, 1.0)], &[]),
        diff(102, 101, &[], &[]),
    ] {
        let mut b = book.clone();
        assert!(
            matches!(
                b.apply_diff(bad),
                DiffOutcome::WentStale(StaleReason::Invalid(_))
            ),
            "{:?}",
            b.state()
        );
        assert_eq!(b.best_bid(), None);
    }
}

#[test]
fn duplicates_are_skipped_and_overlaps_are_stale() {
    let mut book = OrderBook::new();
    assert_eq!(book.apply_snapshot(&snapshot(100)), Ok(()));
    assert_eq!(
        book.apply_diff(diff(101, 105, &[], &[])),
        DiffOutcome::Applied
    );
    assert_eq!(
        book.apply_diff(diff(101, 105, &[(1, 1.0)], &[])),
        DiffOutcome::Skipped
    );
    assert!(book.is_live());
    assert_eq!(
        book.apply_diff(diff(104, 107, &[], &[])),
        DiffOutcome::WentStale(StaleReason::Overlap {
            applied: 105,
            from: 104,
            to: 107
        })
    );
}

#[test]
fn the_buffer_is_bounded() {
    let mut book = OrderBook::new();
    let total = u64::try_from(MAX_BUFFERED_DIFFS).unwrap_or(u64::MAX) + 10;
    for v in 1..=total {
        assert_eq!(book.apply_diff(diff(v, v, &[], &[])), DiffOutcome::Buffered);
    }
    assert_eq!(book.buffered(), MAX_BUFFERED_DIFFS);
    // The 10 oldest were dropped: a snapshot at 0 cannot be joined to the stream.
    assert!(matches!(
        book.apply_snapshot(&snapshot(0)),
        Err(StaleReason::SnapshotBehind { .. })
    ));
    assert_eq!(book.apply_snapshot(&snapshot(10)), Ok(()));
    assert_eq!(book.version(), Some(total));
}

// ---- properties ----

type Side = BTreeMap<i64, u32>;

/// One step of a book's history: changes to each side (quantity 0 removes).
#[derive(Debug, Clone)]
struct Step {
    len: u64,
    bids: Vec<(i64, u32)>,
    asks: Vec<(i64, u32)>,
}

/// Bids between 1.00 and 99.99, asks between 100.01 and 199.99: never crossed.
fn step() -> impl Strategy<Value = Step> {
    (
        1u64..4,
        proptest::collection::vec((100i64..10_000, 0u32..5), 0..6),
        proptest::collection::vec((10_001i64..20_000, 0u32..5), 0..6),
    )
        .prop_map(|(len, bids, asks)| Step { len, bids, asks })
}

fn side_levels(side: &Side) -> Vec<Level> {
    side.iter().map(|(&p, &q)| lvl(p, f64::from(q))).collect()
}

fn apply_model(side: &mut Side, changes: &[(i64, u32)]) {
    for &(p, q) in changes {
        if q == 0 {
            side.remove(&p);
        } else {
            side.insert(p, q);
        }
    }
}

/// The diffs of `steps` starting after `version`, and the model after each step.
fn history(
    start: (&Side, &Side),
    version: u64,
    steps: &[Step],
) -> (Vec<DepthDiff>, Vec<(u64, Side, Side)>) {
    let (mut bids, mut asks) = (start.0.clone(), start.1.clone());
    let mut from = version + 1;
    let mut diffs = Vec::new();
    let mut states = Vec::new();
    for s in steps {
        let to = from + s.len - 1;
        let q = |c: &[(i64, u32)]| {
            c.iter()
                .map(|&(p, q)| (p, f64::from(q)))
                .collect::<Vec<_>>()
        };
        diffs.push(diff(from, to, &q(&s.bids), &q(&s.asks)));
        apply_model(&mut bids, &s.bids);
        apply_model(&mut asks, &s.asks);
        states.push((to, bids.clone(), asks.clone()));
        from = to + 1;
    }
    (diffs, states)
}

fn model_snapshot(version: u64, bids: &Side, asks: &Side) -> Snapshot {
    Snapshot {
        version,
        bids: side_levels(bids),
        asks: side_levels(asks),
    }
}

fn any_side(range: std::ops::Range<i64>) -> impl Strategy<Value = Side> {
    proptest::collection::btree_map(range, 1u32..5, 1..8)
}

proptest! {
    /// Snapshot + every diff == a snapshot of the final state, wherever the snapshot falls
    /// in the stream and whether the diffs came before it (buffered) or after.
    #[test]
    fn prop_diffs_equal_a_fresh_snapshot(
        bids in any_side(100..10_000),
        asks in any_side(10_001..20_000),
        steps in proptest::collection::vec(step(), 1..12),
        cut in any::<prop::sample::Index>(),
        before in any::<bool>(),
    ) {
        let (diffs, states) = history((&bids, &asks), 1_000, &steps);
        let Some((last, final_bids, final_asks)) = states.last().cloned() else {
            return Ok(());
        };
        let mut fresh = OrderBook::new();
        prop_assert_eq!(fresh.apply_snapshot(&model_snapshot(last, &final_bids, &final_asks)), Ok(()));

        // The snapshot is taken after step k (k = 0: before any diff), strictly before the last.
        let k = cut.index(states.len());
        let (version, sb, sa) = if k == 0 {
            (1_000, bids.clone(), asks.clone())
        } else {
            states.get(k - 1).cloned().unwrap_or((1_000, bids.clone(), asks.clone()))
        };
        let mut book = OrderBook::new();
        if before {
            for d in &diffs {
                prop_assert_eq!(book.apply_diff(d.clone()), DiffOutcome::Buffered);
            }
            prop_assert_eq!(book.apply_snapshot(&model_snapshot(version, &sb, &sa)), Ok(()));
        } else {
            prop_assert_eq!(book.apply_snapshot(&model_snapshot(version, &sb, &sa)), Ok(()));
            for d in &diffs {
                let outcome = book.apply_diff(d.clone());
                let expected = if d.to_version <= version { DiffOutcome::Skipped } else { DiffOutcome::Applied };
                prop_assert_eq!(outcome, expected);
            }
        }
        prop_assert!(book.is_live());
        prop_assert_eq!(book.version(), Some(last));
        prop_assert_eq!(book.gap_count(), 0);
        // `fresh` is only syncing (no diff confirms it): compare the stored levels.
        prop_assert_eq!(&book.bids, &fresh.bids);
        prop_assert_eq!(&book.asks, &fresh.asks);
        prop_assert_eq!(prices(book.bids()), prices(side_levels(&final_bids).into_iter().rev()));
        prop_assert_eq!(prices(book.asks()), prices(side_levels(&final_asks).into_iter()));
    }

    /// Losing any diff but the last is always detected, and nothing is published after.
    #[test]
    fn prop_a_dropped_diff_is_always_detected(
        bids in any_side(100..10_000),
        asks in any_side(10_001..20_000),
        steps in proptest::collection::vec(step(), 2..12),
        drop in any::<prop::sample::Index>(),
    ) {
        let (mut diffs, _) = history((&bids, &asks), 500, &steps);
        let i = drop.index(diffs.len() - 1);
        diffs.remove(i);
        let mut book = OrderBook::new();
        prop_assert_eq!(book.apply_snapshot(&model_snapshot(500, &bids, &asks)), Ok(()));
        let mut went_stale = 0;
        for d in diffs {
            if let DiffOutcome::WentStale(reason) = book.apply_diff(d) {
                prop_assert!(reason.is_gap(), "{:?}", reason);
                went_stale += 1;
            }
        }
        prop_assert_eq!(went_stale, 1);
        prop_assert_eq!(book.gap_count(), 1);
        prop_assert!(matches!(book.state(), BookState::Stale(r) if r.is_gap()));
        prop_assert_eq!(book.best_bid(), None);
        prop_assert_eq!(book.best_ask(), None);
    }
}
