//! A zero-copy fast path for the high-rate bodies, deals (314), depth diffs (313) and
//! partial depth (303):
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

use rust_decimal::Decimal;
use vela_core::types::{Symbol, Timestamp, Trade};

use super::decode::{crossed, level_from, positive, price, side, text, utf8, version};
use super::num::{plain_to_f64, scan_plain};
use super::types::{Deal, DepthDiff, Level, LimitDepth, Push, PushBody};

const LIMIT_DEPTH: u32 = 303;
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

    #[inline]
    fn varint(&mut self) -> Option<u64> {
        // Keys, lengths and small values: one byte.
        if let Some((&byte, rest)) = self.rest.split_first()
            && byte < 0x80
        {
            self.rest = rest;
            return Some(u64::from(byte));
        }
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

    #[inline]
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let taken = self.rest.get(..len)?;
        self.rest = self.rest.get(len..)?;
        Some(taken)
    }

    /// Whether the next byte is the one-byte key `key` (which is then read).
    #[inline]
    fn key(&mut self, key: u8) -> bool {
        match self.rest.split_first() {
            Some((&first, rest)) if first == key => {
                self.rest = rest;
                true
            }
            _ => false,
        }
    }

    /// The bytes of a length-delimited field keyed `key` with a one-byte length; `None`
    /// (nothing read but perhaps the key) when the next field is anything else.
    #[inline]
    fn short_bytes(&mut self, key: u8) -> Option<&'a [u8]> {
        match self.short_item(key, key) {
            Some((_, item)) => item,
            None => None,
        }
    }

    /// A length-delimited field keyed `first` or `second` (one-byte keys, so fields 1 to
    /// 15) with a one-byte length, read without the general walk: `Some((key, item))`, the
    /// item `None` when the length runs past the end (malformed, as [`Fields::next_field`]
    /// would find). `None` when the next field is anything else, which is left unread.
    #[inline]
    fn short_item(&mut self, first: u8, second: u8) -> Option<(u8, Option<&'a [u8]>)> {
        match *self.rest {
            [key, len, ref rest @ ..] if (key == first || key == second) && len < 0x80 => {
                let len = usize::from(len);
                let item = rest.get(..len);
                self.rest = rest.get(len..).unwrap_or_default();
                Some((key, item))
            }
            _ => None,
        }
    }

    /// The next field: `Some(None)` at the end, `None` when malformed or a group.
    #[inline]
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
            (LIMIT_DEPTH | DEPTH | DEALS, Value::Bytes(b)) if body.is_none() => {
                body = Some((tag, b));
            }
            (1 | 3..=6 | 301..=315, _) => return None,
            _ => {}
        }
    }
    let channel = text(channel, "channel").ok().filter(|c| !c.is_empty())?;
    let symbol = match symbol {
        None | Some(b"") => None,
        Some(raw) => Some(Symbol::new(utf8(raw, "symbol").ok()?).ok()?),
    };
    let body = match body? {
        (DEALS, bytes) => PushBody::Deals(deals(bytes)?),
        (LIMIT_DEPTH, bytes) => PushBody::LimitDepth(limit_depth(bytes)?),
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
    // A deal item takes about 60 bytes: one allocation for the usual push.
    let mut deals = Vec::with_capacity((body.len() / 48).min(1_024));
    let mut fields = Fields::new(body);
    loop {
        // The usual item: a deal (key 0x0a) of under 128 bytes.
        if let Some((_, item)) = fields.short_item(0x0a, 0x0a) {
            deals.push(deal(item?)?);
            continue;
        }
        let Some((tag, value)) = fields.next_field()? else {
            break;
        };
        match (tag, value) {
            (1, Value::Bytes(item)) => deals.push(deal(item)?),
            (2, Value::Bytes(_)) => {}
            (1 | 2, _) => return None,
            _ => {}
        }
    }
    Some(deals)
}

/// A deal: the usual layout is read in order, anything else takes the general walk.
/// Inlined into the body's loop, as [`level`] is, so the deal is not returned through
/// memory.
#[inline(always)]
fn deal(item: &[u8]) -> Option<Deal> {
    deal_in_order(item).or_else(|| deal_walked(item))
}

/// The usual layout of a deal: price and quantity (each under 128 bytes), then the taker
/// side, the time and the trade id, in field order, each at most once (a zero or an empty
/// one left out, as protobuf encoders do), and nothing else. `None` for anything else,
/// which the general walk reads (and, from the usual layout, to the same deal).
#[inline(always)]
fn deal_in_order(item: &[u8]) -> Option<Deal> {
    let mut fields = Fields::new(item);
    let price_text = fields.short_bytes(0x0a)?;
    let quantity_text = fields.short_bytes(0x12)?;
    let trade_type = if fields.key(0x18) {
        int32(fields.varint()?)
    } else {
        0
    };
    let time = if fields.key(0x20) {
        int64(fields.varint()?)
    } else {
        0
    };
    let trade_id = if fields.rest.is_empty() {
        &[]
    } else {
        fields.short_bytes(0x2a)?
    };
    if !fields.rest.is_empty() {
        return None;
    }
    deal_of(price_text, quantity_text, trade_type, time, trade_id)
}

#[cold]
#[inline(never)]
fn deal_walked(item: &[u8]) -> Option<Deal> {
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
    deal_of(price_text, quantity_text, trade_type, time, trade_id)
}

/// A deal from its fields' values, checked as the general path checks them.
#[inline(always)]
fn deal_of(
    price_text: &[u8],
    quantity_text: &[u8],
    trade_type: i32,
    time: i64,
    trade_id: &[u8],
) -> Option<Deal> {
    let trade_id = if trade_id.is_empty() {
        None
    } else {
        Some(text(trade_id, "tradeId").ok()?)
    };
    Some(Deal {
        trade: Trade {
            ts: Timestamp(time),
            price: plain_positive(price_text).or_else(|| price(price_text, String::new).ok())?,
            quantity: plain_positive(quantity_text)
                .or_else(|| positive(quantity_text, String::new).ok())?,
            aggressor: side(trade_type, "tradeType").ok()?,
        },
        trade_id,
    })
}

/// The levels of a depth body (asks are field 1, bids field 2, as in both 303 and 313), every
/// other field handed to `other`, which gives up with `None`.
fn depth_sides<'a>(
    body: &'a [u8],
    mut other: impl FnMut(u32, Value<'a>) -> Option<()>,
) -> Option<(Vec<Level>, Vec<Level>)> {
    // A level item takes 25–35 bytes and the two sides share the body: sized so the usual
    // push needs one allocation a side.
    let side_capacity = (body.len() / 48).min(1_024);
    let (mut bids, mut asks) = (
        Vec::with_capacity(side_capacity),
        Vec::with_capacity(side_capacity),
    );
    let mut fields = Fields::new(body);
    loop {
        // The usual item: an ask (key 0x0a) or a bid (0x12) of under 128 bytes.
        if let Some((key, item)) = fields.short_item(0x0a, 0x12) {
            let side = if key == 0x0a { &mut asks } else { &mut bids };
            side.push(level(item?)?);
            continue;
        }
        let Some((tag, value)) = fields.next_field()? else {
            break;
        };
        match (tag, value) {
            (1, Value::Bytes(item)) => asks.push(level(item)?),
            (2, Value::Bytes(item)) => bids.push(level(item)?),
            (1 | 2, _) => return None,
            _ => other(tag, value)?,
        }
    }
    Some((bids, asks))
}

fn depth(body: &[u8]) -> Option<DepthDiff> {
    let (mut from, mut to): (&[u8], &[u8]) = (&[], &[]);
    let (bids, asks) = depth_sides(body, |tag, value| match (tag, value) {
        (3, Value::Bytes(_)) | (6, Value::Varint(_)) => Some(()),
        (4, Value::Bytes(b)) => {
            from = b;
            Some(())
        }
        (5, Value::Bytes(b)) => {
            to = b;
            Some(())
        }
        (3..=6, _) => None,
        _ => Some(()),
    })?;
    let from_version = version(from, "fromVersion").ok()?;
    let to_version = version(to, "toVersion").ok()?;
    (from_version <= to_version).then_some(DepthDiff {
        from_version,
        to_version,
        bids,
        asks,
    })
}

fn limit_depth(body: &[u8]) -> Option<LimitDepth> {
    let mut version_text: &[u8] = &[];
    let (bids, asks) = depth_sides(body, |tag, value| match (tag, value) {
        (3, Value::Bytes(_)) | (5, Value::Varint(_)) => Some(()),
        (4, Value::Bytes(b)) => {
            version_text = b;
            Some(())
        }
        (3..=5, _) => None,
        _ => Some(()),
    })?;
    if crossed(&bids, &asks).is_some() {
        return None;
    }
    Some(LimitDepth {
        version: version(version_text, "version").ok()?,
        bids,
        asks,
    })
}

/// A level: the usual layout (price, then quantity, each under 128 bytes, nothing else)
/// is read in place; anything else takes the general walk, which reads the same level from
/// the usual layout.
///
/// Inlined into the body's loop, with [`plain_level`]: returned through memory, the level's
/// parts were stored piecewise and read back whole, a store-forwarding stall on every level
/// (a third of the loop's time in the 20-level profile, BENCHMARKS.md).
#[inline(always)]
fn level(item: &[u8]) -> Option<Level> {
    if let [0x0a, price_len, ref rest @ ..] = *item
        && price_len < 0x80
        && let Some((price_text, rest)) = rest.split_at_checked(usize::from(price_len))
        && let [0x12, quantity_len, ref quantity_text @ ..] = *rest
        && usize::from(quantity_len) == quantity_text.len()
        && let Some(level) = plain_level(price_text, quantity_text)
    {
        return Some(level);
    }
    level_walked(item)
}

#[cold]
#[inline(never)]
fn level_walked(item: &[u8]) -> Option<Level> {
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
    plain_level(price_text, quantity_text)
        .or_else(|| level_from(price_text, quantity_text, String::new).ok())
}

/// A positive number in the plain form MEXC sends (see [`scan_plain`]), computed exactly as
/// the general path computes it; `None` sends the text to the general path.
#[inline]
fn plain_positive(text: &[u8]) -> Option<f64> {
    let (mantissa, decimals) = scan_plain(text)?;
    plain_to_f64(mantissa, decimals).filter(|_| mantissa > 0)
}

/// A level whose two numbers are in the plain form: the same values as
/// [`level_from`] (the exact, positive price with the text's scale, the correctly rounded
/// `f64` quantity).
#[inline(always)]
fn plain_level(price_text: &[u8], quantity_text: &[u8]) -> Option<Level> {
    let (price_mantissa, price_decimals) = scan_plain(price_text).filter(|&(m, _)| m > 0)?;
    let (quantity_mantissa, quantity_decimals) = scan_plain(quantity_text)?;
    let quantity = plain_to_f64(quantity_mantissa, quantity_decimals)?;
    // At most 19 characters: a mantissa below 2^64 and a scale of at most 18 (Decimal's
    // limit is 28), so the parts are the 64-bit mantissa split in two words.
    #[allow(
        clippy::cast_possible_truncation,
        reason = "the two 32-bit words of a u64"
    )]
    let price = Decimal::from_parts(
        price_mantissa as u32,
        (price_mantissa >> 32) as u32,
        0,
        false,
        price_decimals,
    );
    Some(Level { price, quantity })
}
