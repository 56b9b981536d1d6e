//! A local order book kept from a REST snapshot and `aggre.depth` diffs (reference §5.5),
//! which publishes nothing it cannot vouch for (fault-tests cases 27, 28 and 32).
//!
//! 1. Diffs that arrive before the snapshot (subscribe first, then fetch the snapshot) are
//!    buffered, at most [`MAX_BUFFERED_DIFFS`], oldest dropped first.
//! 2. [`OrderBook::apply_snapshot`] loads the snapshot (its `lastUpdateId` is its version
//!    `S`) and replays the buffer.
//! 3. Diffs with `toVersion ≤ S` are older than the snapshot and skipped. The first diff
//!    applied must straddle the snapshot: `fromVersion ≤ S + 1`; one starting later means the
//!    snapshot is behind the stream.
//! 4. After that, each diff must continue the last: `fromVersion == previous toVersion + 1`.
//!    A diff entirely at or below the applied version is a duplicate and skipped; a gap or a
//!    partial overlap is a discontinuity.
//! 5. Quantities are absolute; 0 removes the level.
//!
//! A discontinuity, a crossed or locked book (best bid ≥ best ask) or an invalid level makes
//! the book [`BookState::Stale`] with a typed [`StaleReason`]; discontinuities also count in
//! [`OrderBook::gap_count`]. A book publishes (best bid and ask, levels) only while
//! [`BookState::Live`], that is after a snapshot confirmed by a straddling diff; a stale book
//! buffers diffs again and waits for the next snapshot.
//!
//! Prices are keyed by their exact [`Decimal`] value (`0.10` and `0.1` are one level), never
//! by `f64`.

use std::collections::{BTreeMap, VecDeque};

use rust_decimal::Decimal;
use vela_core::types::{BookTop, Timestamp};

use crate::proto::{DepthDiff, Level};

/// Diffs kept while waiting for a snapshot; older ones are dropped first (the version checks
/// then notice the hole).
pub const MAX_BUFFERED_DIFFS: usize = 1_024;

/// A REST depth snapshot (`GET /api/v3/depth`): its `lastUpdateId` and levels (build the
/// levels with [`crate::proto::parse_level`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// `lastUpdateId`: the book version the snapshot shows.
    pub version: u64,
    /// Bid levels, any order.
    pub bids: Vec<Level>,
    /// Ask levels, any order.
    pub asks: Vec<Level>,
}

/// Why a book stopped publishing.
#[derive(Debug, Clone, PartialEq)]
pub enum StaleReason {
    /// A diff did not continue the last one (a diff was lost): fault-tests case 27.
    Gap {
        /// `fromVersion` expected: the last applied version + 1.
        expected: u64,
        /// `fromVersion` received.
        found: u64,
    },
    /// A diff overlapped the applied versions only in part.
    Overlap {
        /// The last applied version.
        applied: u64,
        /// The diff's `fromVersion`.
        from: u64,
        /// The diff's `toVersion`.
        to: u64,
    },
    /// The first diff after the snapshot starts after `snapshot + 1`: the snapshot is older
    /// than the stream (fault-tests case 28).
    SnapshotBehind {
        /// The snapshot's version.
        snapshot: u64,
        /// The first newer diff's `fromVersion`.
        first_from: u64,
    },
    /// Best bid at or above best ask (fault-tests case 32).
    Crossed {
        /// Best bid price.
        bid: f64,
        /// Best ask price.
        ask: f64,
    },
    /// A level or version range that no valid message carries.
    Invalid(String),
}

impl StaleReason {
    /// Whether the reason is a version discontinuity (counted in [`OrderBook::gap_count`]).
    #[must_use]
    pub const fn is_gap(&self) -> bool {
        matches!(
            self,
            Self::Gap { .. } | Self::Overlap { .. } | Self::SnapshotBehind { .. }
        )
    }
}

/// Where the book stands.
#[derive(Debug, Clone, PartialEq)]
pub enum BookState {
    /// No snapshot yet; diffs are buffered.
    AwaitingSnapshot,
    /// A snapshot is loaded; waiting for the diff that straddles its version.
    Syncing {
        /// The snapshot's version.
        snapshot: u64,
    },
    /// In sync with the stream: publishing.
    Live,
    /// Out of sync: not publishing, diffs buffered, a new snapshot needed.
    Stale(StaleReason),
}

/// What a diff did.
#[derive(Debug, Clone, PartialEq)]
pub enum DiffOutcome {
    /// Applied; the book is live.
    Applied,
    /// Older than the snapshot, or a duplicate of applied versions: skipped.
    Skipped,
    /// Kept for the next snapshot (none yet, or the book is stale).
    Buffered,
    /// This diff made the book stale; fetch a new snapshot.
    WentStale(StaleReason),
}

/// The quantity at one price level (the price is the key; its `f64` is computed for the
/// levels read, not for every level stored).
type Entry = f64;

/// A local order book for one symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBook {
    bids: BTreeMap<Decimal, Entry>,
    asks: BTreeMap<Decimal, Entry>,
    state: BookState,
    /// Last applied version (the snapshot's until a diff is applied).
    version: u64,
    buffer: VecDeque<DepthDiff>,
    gaps: u64,
    stale_count: u64,
}

impl Default for OrderBook {
    fn default() -> Self {
        Self::new()
    }
}

impl OrderBook {
    /// An empty book waiting for its first snapshot.
    #[must_use]
    pub fn new() -> Self {
        Self {
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
            state: BookState::AwaitingSnapshot,
            version: 0,
            buffer: VecDeque::new(),
            gaps: 0,
            stale_count: 0,
        }
    }

    /// The book's state.
    #[must_use]
    pub const fn state(&self) -> &BookState {
        &self.state
    }

    /// Whether the book is publishing.
    #[must_use]
    pub const fn is_live(&self) -> bool {
        matches!(self.state, BookState::Live)
    }

    /// Whether a (new) snapshot is needed: none yet, or the book is stale.
    #[must_use]
    pub const fn needs_snapshot(&self) -> bool {
        matches!(
            self.state,
            BookState::AwaitingSnapshot | BookState::Stale(_)
        )
    }

    /// Version discontinuities seen so far (lost, overlapping or too-new diffs).
    #[must_use]
    pub const fn gap_count(&self) -> u64 {
        self.gaps
    }

    /// Times the book went stale, for any reason.
    #[must_use]
    pub const fn stale_count(&self) -> u64 {
        self.stale_count
    }

    /// Diffs waiting for a snapshot.
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// The last applied version, while live.
    #[must_use]
    pub fn version(&self) -> Option<u64> {
        self.is_live().then_some(self.version)
    }

    /// Loads a snapshot and replays the buffered diffs. `Err` when the snapshot is invalid
    /// (crossed, bad level) or the buffered diffs show it is behind the stream; either way
    /// the book is stale and wants another snapshot.
    ///
    /// Meant for a book that [`needs_snapshot`](Self::needs_snapshot). A live book that is
    /// snapshotted again starts over: the diffs it applied are not kept, so a snapshot older
    /// than the last applied diff makes it stale.
    pub fn apply_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StaleReason> {
        self.bids.clear();
        self.asks.clear();
        self.version = snapshot.version;
        let loaded = load(&mut self.bids, &snapshot.bids)
            .and_then(|()| load(&mut self.asks, &snapshot.asks))
            .and_then(|()| self.check_crossed());
        if let Err(reason) = loaded {
            self.go_stale(reason.clone());
            return Err(reason);
        }
        self.state = BookState::Syncing {
            snapshot: snapshot.version,
        };
        let pending = std::mem::take(&mut self.buffer);
        for diff in pending {
            self.apply_diff(diff);
        }
        match &self.state {
            BookState::Stale(reason) => Err(reason.clone()),
            _ => Ok(()),
        }
    }

    /// Applies (or buffers, or skips) one diff.
    pub fn apply_diff(&mut self, diff: DepthDiff) -> DiffOutcome {
        let expected = match self.state {
            BookState::AwaitingSnapshot | BookState::Stale(_) => {
                if self.buffer.len() >= MAX_BUFFERED_DIFFS {
                    self.buffer.pop_front();
                }
                self.buffer.push_back(diff);
                return DiffOutcome::Buffered;
            }
            BookState::Syncing { .. } | BookState::Live => self.version.saturating_add(1),
        };
        if diff.from_version > diff.to_version {
            return self.stale_with(
                StaleReason::Invalid(format!(
                    "fromVersion {} > toVersion {}",
                    diff.from_version, diff.to_version
                )),
                diff,
            );
        }
        if diff.to_version < expected {
            return DiffOutcome::Skipped;
        }
        let syncing = matches!(self.state, BookState::Syncing { .. });
        if syncing && diff.from_version > expected {
            let reason = StaleReason::SnapshotBehind {
                snapshot: self.version,
                first_from: diff.from_version,
            };
            return self.stale_with(reason, diff);
        }
        if !syncing && diff.from_version != expected {
            let reason = if diff.from_version > expected {
                StaleReason::Gap {
                    expected,
                    found: diff.from_version,
                }
            } else {
                StaleReason::Overlap {
                    applied: self.version,
                    from: diff.from_version,
                    to: diff.to_version,
                }
            };
            return self.stale_with(reason, diff);
        }
        let applied = apply(&mut self.bids, &diff.bids)
            .and_then(|()| apply(&mut self.asks, &diff.asks))
            .and_then(|()| self.check_crossed());
        self.version = diff.to_version;
        match applied {
            Ok(()) => {
                self.state = BookState::Live;
                DiffOutcome::Applied
            }
            Err(reason) => {
                self.go_stale(reason.clone());
                DiffOutcome::WentStale(reason)
            }
        }
    }

    /// The best bid, while live.
    #[must_use]
    pub fn best_bid(&self) -> Option<Level> {
        self.bids().next()
    }

    /// The best ask, while live.
    #[must_use]
    pub fn best_ask(&self) -> Option<Level> {
        self.asks().next()
    }

    /// Best bid and ask stamped `ts`, while live and both sides have a level.
    #[must_use]
    pub fn top(&self, ts: Timestamp) -> Option<BookTop> {
        let (bid, ask) = (self.best_bid()?, self.best_ask()?);
        Some(BookTop {
            ts,
            bid_price: bid.price_f64(),
            bid_quantity: bid.quantity,
            ask_price: ask.price_f64(),
            ask_quantity: ask.quantity,
        })
    }

    /// Bid levels, best (highest) first; none unless live.
    pub fn bids(&self) -> impl Iterator<Item = Level> + '_ {
        let live = self.is_live();
        self.bids
            .iter()
            .rev()
            .filter(move |_| live)
            .map(|(price, entry)| level(*price, *entry))
    }

    /// Ask levels, best (lowest) first; none unless live.
    pub fn asks(&self) -> impl Iterator<Item = Level> + '_ {
        let live = self.is_live();
        self.asks
            .iter()
            .filter(move |_| live)
            .map(|(price, entry)| level(*price, *entry))
    }

    fn stale_with(&mut self, reason: StaleReason, diff: DepthDiff) -> DiffOutcome {
        self.go_stale(reason.clone());
        self.buffer.push_back(diff);
        DiffOutcome::WentStale(reason)
    }

    fn go_stale(&mut self, reason: StaleReason) {
        if reason.is_gap() {
            self.gaps += 1;
        }
        self.stale_count += 1;
        self.state = BookState::Stale(reason);
    }

    fn check_crossed(&self) -> Result<(), StaleReason> {
        match (self.bids.last_key_value(), self.asks.first_key_value()) {
            (Some((bid, b)), Some((ask, a))) if bid >= ask => Err(StaleReason::Crossed {
                bid: level(*bid, *b).price_f64(),
                ask: level(*ask, *a).price_f64(),
            }),
            _ => Ok(()),
        }
    }
}

const fn level(price: Decimal, quantity: Entry) -> Level {
    Level::new(price, quantity)
}

fn check_level(level: &Level) -> Result<(), StaleReason> {
    // A decimal price is always a finite `f64`.
    let price_ok = level.price > Decimal::ZERO;
    let quantity_ok = level.quantity.is_finite() && level.quantity >= 0.0;
    if price_ok && quantity_ok {
        Ok(())
    } else {
        Err(StaleReason::Invalid(format!(
            "level {} x {}",
            level.price, level.quantity
        )))
    }
}

/// Loads snapshot levels (zero quantities are no level).
fn load(side: &mut BTreeMap<Decimal, Entry>, levels: &[Level]) -> Result<(), StaleReason> {
    for level in levels {
        check_level(level)?;
        if level.quantity > 0.0 {
            side.insert(level.price, level.quantity);
        }
    }
    Ok(())
}

/// Applies absolute quantities (0 removes the level).
fn apply(side: &mut BTreeMap<Decimal, Entry>, levels: &[Level]) -> Result<(), StaleReason> {
    load_checked(levels)?;
    for level in levels {
        if level.quantity == 0.0 {
            side.remove(&level.price);
        } else {
            side.insert(level.price, level.quantity);
        }
    }
    Ok(())
}

/// Checks every level before any is applied, so an invalid diff changes nothing.
fn load_checked(levels: &[Level]) -> Result<(), StaleReason> {
    levels.iter().try_for_each(check_level)
}

#[cfg(test)]
#[path = "book_tests.rs"]
mod tests;
