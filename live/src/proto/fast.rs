//! A zero-copy fast path for the two high-rate bodies, deals (314) and depth diffs (313):
//! the frame is walked in place and numbers are scanned straight out of it, with no
//! intermediate `prost` structs, no `Bytes` slices and no item vectors (issue 7's profile:
//! `prost` was half the time of a 20-level diff).
//!
//! It only ever answers "here is the push": anything else (another body, a malformed or
//! unusual frame, a value the rules refuse) returns `None`, and [`super::decode`] decodes the
//! frame again with `prost`, which is the reference and gives the error. So the two paths
//! cannot disagree on errors; on successes they must produce the same [`Push`], which a
//! differential property test checks on arbitrary, truncated and mutated frames.
//!
//! Protobuf rules followed (as `prost` does): unknown fields of wire types 0, 1, 2 and 5 are
//! skipped; the last occurrence of a scalar field wins; `int32` and `int64` are read from the
//! varint by truncation. Groups, a second body, and a wire type that does not match a known
//! field make the fast path give up.

use vela_core::types::{Symbol, Timestamp, Trade};

use super::decode::{level_from, positive, price, side, text, version};
use super::types::{Deal, DepthDiff, Level, Push, PushBody};

const DEPTH: u32 = 313;
const DEALS: u32 = 314;

/// A field's value.
#[derive(Clone, Copy)]
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    /// A fixed-width value (skipped).
    Fixed,
}

/// Reads fields from a message's bytes.
struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    const fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    fn varint(&mut self) -> Option<u64> {
        let mut value: u64 = 0;
        for i in 0..10 {
            let (&byte, rest) = self.rest.split_first()?;
            self.rest = rest;
            if i == 9 && byte > 1 {
                return None;
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte < 0x80 {
                return Some(value);
            }
        }
        None
    }

    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let taken = self.rest.get(..len)?;
        self.rest = self.rest.get(len..)?;
        Some(taken)
    }

    /// The next field: `Some(None)` at the end, `None` when malformed or a group.
    fn next_field(&mut self) -> Option<Option<(u32, Value<'a>)>> {
        if self.rest.is_empty() {
            return Some(None);
        }
        let key = u32::try_from(self.varint()?).ok()?;
        let tag = Some(key >> 3).filter(|&t| t > 0)?;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Fixed
            }
            2 => {
                let len = usize::try_from(self.varint()?).ok()?;
                Value::Bytes(self.take(len)?)
            }
            5 => {
                self.take(4)?;
                Value::Fixed
            }
            _ => return None,
        };
        Some(Some((tag, value)))
    }
}

/// Truncation of a varint to `int64` / `int32`, as protobuf (and `prost`) read them.
#[allow(clippy::cast_possible_wrap, clippy::cast_possible_truncation)]
const fn int64(v: u64) -> i64 {
    v as i64
}

#[allow(clippy::cast_possible_truncation)]
const fn int32(v: u64) -> i32 {
    v as u32 as i32
}

/// The push, when the frame is a valid deals or depth push that needs nothing unusual.
pub(super) fn decode(frame: &[u8]) -> Option<Push> {
    let mut channel: &[u8] = &[];
    let mut symbol: Option<&[u8]> = None;
    let mut create_time = None;
    let mut send_time = None;
    let mut body: Option<(u32, &[u8])> = None;
    let mut fields = Fields::new(frame);
    while let Some((tag, value)) = fields.next_field()? {
        match (tag, value) {
            (1, Value::Bytes(b)) => channel = b,
            (3, Value::Bytes(b)) => symbol = Some(b),
            (4, Value::Bytes(_)) => {}
            (5, Value::Varint(v)) => create_time = Some(Timestamp(int64(v))),
            (6, Value::Varint(v)) => send_time = Some(Timestamp(int64(v))),
            (DEPTH | DEALS, Value::Bytes(b)) if body.is_none() => body = Some((tag, b)),
            (1 | 3..=6 | 301..=315, _) => return None,
            _ => {}
        }
    }
    let channel = text(channel, "channel").ok().filter(|c| !c.is_empty())?;
    let symbol = match symbol {
        None | Some(b"") => None,
        Some(raw) => Some(Symbol::new(text(raw, "symbol").ok()?).ok()?),
    };
    let body = match body? {
        (DEALS, bytes) => PushBody::Deals(deals(bytes)?),
        (_, bytes) => PushBody::DepthDiff(depth(bytes)?),
    };
    Some(Push {
        channel,
        symbol,
        create_time,
        send_time,
        body,
    })
}

fn deals(body: &[u8]) -> Option<Vec<Deal>> {
    let mut deals = Vec::new();
    let mut fields = Fields::new(body);
    while let Some((tag, value)) = fields.next_field()? {
        match (tag, value) {
            (1, Value::Bytes(item)) => deals.push(deal(item)?),
            (2, Value::Bytes(_)) => {}
            (1 | 2, _) => return None,
            _ => {}
        }
    }
    Some(deals)
}

fn deal(item: &[u8]) -> Option<Deal> {
    let (mut price_text, mut quantity_text, mut trade_id): (&[u8], &[u8], &[u8]) = (&[], &[], &[]);
    let (mut trade_type, mut time) = (0, 0);
    let mut fields = Fields::new(item);
    while let Some((tag, value)) = fields.next_field()? {
        match (tag, value) {
            (1, Value::Bytes(b)) => price_text = b,
            (2, Value::Bytes(b)) => quantity_text = b,
            (3, Value::Varint(v)) => trade_type = int32(v),
            (4, Value::Varint(v)) => time = int64(v),
            (5, Value::Bytes(b)) => trade_id = b,
            (1..=5, _) => return None,
            _ => {}
        }
    }
    let trade_id = if trade_id.is_empty() {
        None
    } else {
        Some(text(trade_id, "tradeId").ok()?)
    };
    Some(Deal {
        trade: Trade {
            ts: Timestamp(time),
            price: price(price_text, String::new).ok()?,
            quantity: positive(quantity_text, String::new).ok()?,
            aggressor: side(trade_type, "tradeType").ok()?,
        },
        trade_id,
    })
}

fn depth(body: &[u8]) -> Option<DepthDiff> {
    let (mut bids, mut asks) = (Vec::new(), Vec::new());
    let (mut from, mut to): (&[u8], &[u8]) = (&[], &[]);
    let mut fields = Fields::new(body);
    while let Some((tag, value)) = fields.next_field()? {
        match (tag, value) {
            (1, Value::Bytes(item)) => asks.push(level(item)?),
            (2, Value::Bytes(item)) => bids.push(level(item)?),
            (3, Value::Bytes(_)) | (6, Value::Varint(_)) => {}
            (4, Value::Bytes(b)) => from = b,
            (5, Value::Bytes(b)) => to = b,
            (1..=6, _) => return None,
            _ => {}
        }
    }
    let from_version = version(from, "fromVersion").ok()?;
    let to_version = version(to, "toVersion").ok()?;
    (from_version <= to_version).then_some(DepthDiff {
        from_version,
        to_version,
        bids,
        asks,
    })
}

fn level(item: &[u8]) -> Option<Level> {
    let (mut price_text, mut quantity_text): (&[u8], &[u8]) = (&[], &[]);
    let mut fields = Fields::new(item);
    while let Some((tag, value)) = fields.next_field()? {
        match (tag, value) {
            (1, Value::Bytes(b)) => price_text = b,
            (2, Value::Bytes(b)) => quantity_text = b,
            (1 | 2, _) => return None,
            _ => {}
        }
    }
    level_from(price_text, quantity_text, String::new).ok()
}
