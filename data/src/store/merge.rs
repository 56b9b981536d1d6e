//! Merging incoming bars into stored bars: union by open time, with an explicit policy for
//! open times present in both with different values.

use std::str::FromStr;

use crate::{BarFrame, Row};

/// What to do when an incoming bar differs from the stored bar at the same open time.
/// Identical bars are never a conflict (importing the same file twice changes nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Conflict {
    /// Refuse the whole write and name the first differing bar (the default).
    #[default]
    Fail,
    /// Keep the stored bar.
    KeepExisting,
    /// Replace the stored bar with the incoming one.
    Replace,
}

impl FromStr for Conflict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fail" => Ok(Self::Fail),
            "keep-existing" => Ok(Self::KeepExisting),
            "replace" => Ok(Self::Replace),
            other => Err(format!(
                "unknown conflict policy {other:?} (use fail, keep-existing or replace)"
            )),
        }
    }
}

/// The result of a merge.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The merged bars, sorted with unique open times.
    pub frame: BarFrame,
    /// Incoming bars at open times not stored before.
    pub added: usize,
    /// Stored bars replaced by different incoming ones.
    pub replaced: usize,
    /// Incoming bars that differed from stored ones, as (stored, incoming) pairs.
    pub conflicts: Vec<(Row, Row)>,
}

impl Merged {
    /// Whether the merge changed nothing.
    #[must_use]
    pub fn unchanged(&self) -> bool {
        self.added == 0 && self.replaced == 0
    }
}

/// Merges `incoming` into `stored` (both sorted with unique open times, and both with or
/// both without quote volume). Under [`Conflict::Fail`] the conflicts are reported and the
/// stored bar kept; the caller refuses the write.
#[must_use]
pub fn merge(stored: &BarFrame, incoming: &BarFrame, policy: Conflict) -> Merged {
    let mut frame = BarFrame::empty(stored.quote_volume.is_some());
    let (mut added, mut replaced, mut conflicts) = (0, 0, Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < stored.len() || j < incoming.len() {
        let a = stored.row(i);
        let b = incoming.row(j);
        match (a, b) {
            (Some(a), Some(b)) if a.ts == b.ts => {
                if same(&a, &b) {
                    frame.push(a);
                } else {
                    conflicts.push((a, b));
                    if policy == Conflict::Replace {
                        replaced += 1;
                        frame.push(b);
                    } else {
                        frame.push(a);
                    }
                }
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a.ts < b.ts => {
                frame.push(a);
                i += 1;
            }
            (Some(_) | None, Some(b)) => {
                frame.push(b);
                added += 1;
                j += 1;
            }
            (Some(a), None) => {
                frame.push(a);
                i += 1;
            }
            (None, None) => break,
        }
    }
    Merged {
        frame,
        added,
        replaced,
        conflicts,
    }
}

/// Bit-for-bit equality of two rows.
fn same(a: &Row, b: &Row) -> bool {
    let bits = |r: &Row| {
        [
            r.open.to_bits(),
            r.high.to_bits(),
            r.low.to_bits(),
            r.close.to_bits(),
            r.volume.to_bits(),
            r.quote_volume.map_or(u64::MAX, f64::to_bits),
        ]
    };
    a.ts == b.ts && bits(a) == bits(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(rows: &[(i64, f64)]) -> BarFrame {
        let mut f = BarFrame::empty(false);
        for &(ts, close) in rows {
            f.push(Row {
                ts,
                open: close,
                high: close,
                low: close,
                close,
                volume: 1.0,
                quote_volume: None,
            });
        }
        f
    }

    #[test]
    fn union_without_duplicates_and_idempotent() {
        let stored = frame(&[(1, 1.0), (3, 3.0)]);
        let incoming = frame(&[(2, 2.0), (3, 3.0), (4, 4.0)]);
        let m = merge(&stored, &incoming, Conflict::Fail);
        assert_eq!(m.frame.ts, vec![1, 2, 3, 4]);
        assert_eq!((m.added, m.replaced, m.conflicts.len()), (2, 0, 0));
        let again = merge(&m.frame, &incoming, Conflict::Fail);
        assert!(again.unchanged());
        assert_eq!(again.frame, m.frame);
    }

    #[test]
    fn conflicts_follow_the_policy() {
        let stored = frame(&[(1, 1.0), (2, 2.0)]);
        let incoming = frame(&[(2, 2.5)]);
        let fail = merge(&stored, &incoming, Conflict::Fail);
        assert_eq!(fail.conflicts.len(), 1);
        assert_eq!(fail.frame, stored);
        let keep = merge(&stored, &incoming, Conflict::KeepExisting);
        assert!(keep.unchanged());
        let replace = merge(&stored, &incoming, Conflict::Replace);
        assert_eq!(replace.replaced, 1);
        assert_eq!(replace.frame.close, vec![1.0, 2.5]);
        assert!(
            "bogus"
                .parse::<Conflict>()
                .unwrap_err()
                .contains("keep-existing")
        );
    }
}
