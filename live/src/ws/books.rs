//! Local order books kept from the depth channels (reference §5.5; fault-tests cases 26,
//! 27, 28): diffs go into [`OrderBook`]; a book that needs a snapshot (none yet, a version
//! gap, a reconnect) gets one over REST (`GET /api/v3/depth`), and is stale, publishing
//! nothing, until a diff confirms it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;
use vela_core::types::Symbol;

use crate::book::{DiffOutcome, OrderBook, Snapshot};
use crate::proto::{DepthDiff, Level, parse_level};
use crate::rest::RestClient;
use crate::rest::model::{Depth, Level as RestLevel};

/// Levels a side asked for in a snapshot (reference §5.5: 1000).
pub const SNAPSHOT_LIMIT: u16 = 1_000;

/// After a failed snapshot, the next is asked for no sooner than this.
const SNAPSHOT_RETRY: Duration = Duration::from_secs(1);

/// A change of a book's state, for the consumer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BookChange {
    Live { symbol: Symbol, version: u64 },
    Stale { symbol: Symbol, reason: String },
}

#[derive(Debug, Clone)]
struct Kept {
    book: OrderBook,
    last_failure: Option<Instant>,
}

/// The books of one manager, shared by its connections (and readable by the consumer).
#[derive(Debug)]
pub(crate) struct Books {
    rest: Arc<RestClient>,
    books: Mutex<BTreeMap<Symbol, Kept>>,
}

impl Books {
    pub(crate) fn new(rest: Arc<RestClient>) -> Self {
        Self {
            rest,
            books: Mutex::new(BTreeMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<Symbol, Kept>> {
        self.books.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of `symbol`'s book.
    pub(crate) fn book(&self, symbol: &Symbol) -> Option<OrderBook> {
        self.lock().get(symbol).map(|k| k.book.clone())
    }

    /// Forgets the books of `symbols` (a new connection: every book is rebuilt); reports
    /// those that were live.
    pub(crate) fn reset(&self, symbols: &[Symbol]) -> Vec<BookChange> {
        let mut books = self.lock();
        symbols
            .iter()
            .filter_map(|symbol| {
                let old = books.insert(
                    symbol.clone(),
                    Kept {
                        book: OrderBook::new(),
                        last_failure: None,
                    },
                );
                old.filter(|k| k.book.is_live()).map(|_| BookChange::Stale {
                    symbol: symbol.clone(),
                    reason: "reconnected: rebuilding from a new snapshot".to_owned(),
                })
            })
            .collect()
    }

    /// Applies one diff of `symbol`, fetching a snapshot when the book needs one.
    pub(crate) async fn on_diff(&self, symbol: &Symbol, diff: DepthDiff) -> Vec<BookChange> {
        let mut changes = Vec::new();
        let (stayed_live, fetch) = {
            let mut books = self.lock();
            let kept = books.entry(symbol.clone()).or_insert_with(|| Kept {
                book: OrderBook::new(),
                last_failure: None,
            });
            let was_live = kept.book.is_live();
            if let DiffOutcome::WentStale(reason) = kept.book.apply_diff(diff) {
                changes.push(BookChange::Stale {
                    symbol: symbol.clone(),
                    reason: format!("{reason:?}"),
                });
            }
            let due = kept
                .last_failure
                .is_none_or(|at| at.elapsed() >= SNAPSHOT_RETRY);
            let fetch = kept.book.needs_snapshot() && due;
            (was_live && kept.book.is_live(), fetch)
        };
        if fetch {
            let snapshot = self
                .rest
                .depth(symbol.as_str(), SNAPSHOT_LIMIT)
                .await
                .map_err(|e| e.to_string())
                .and_then(|depth| snapshot(&depth));
            let mut books = self.lock();
            if let Some(kept) = books.get_mut(symbol) {
                let applied = snapshot.and_then(|s| {
                    kept.book
                        .apply_snapshot(&s)
                        .map_err(|reason| format!("snapshot refused: {reason:?}"))
                });
                kept.last_failure = applied.is_err().then(Instant::now);
                if let Err(reason) = applied {
                    changes.push(BookChange::Stale {
                        symbol: symbol.clone(),
                        reason,
                    });
                }
            }
        }
        let books = self.lock();
        if let Some(version) = books.get(symbol).and_then(|k| k.book.version())
            && !stayed_live
        {
            changes.push(BookChange::Live {
                symbol: symbol.clone(),
                version,
            });
        }
        changes
    }
}

fn levels(side: &[RestLevel]) -> Result<Vec<Level>, String> {
    side.iter()
        .map(|RestLevel(price, quantity)| {
            parse_level(&price.to_string(), &quantity.to_string()).map_err(|e| e.to_string())
        })
        .collect()
}

fn snapshot(depth: &Depth) -> Result<Snapshot, String> {
    Ok(Snapshot {
        version: depth.last_update_id,
        bids: levels(&depth.bids)?,
        asks: levels(&depth.asks)?,
    })
}
