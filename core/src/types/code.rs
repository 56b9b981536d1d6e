//! Short ASCII codes (symbols, asset names, client order ids) stored inline.
//!
//! Every code the domain types accept is 1 to 32 ASCII characters without a NUL byte, so
//! it fits a fixed 32-byte array padded with zeros. Kept inline, a code is copied without
//! an allocation and compared without a call: the engine looks symbols, assets and order
//! ids up in ordered maps on every event. Order, equality, hash, `Debug` and `Display` are
//! those of the text: zero padding sorts before every allowed character, so comparing the
//! padded arrays as big-endian words orders them exactly as their strings.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// Longest code stored.
pub(crate) const CAPACITY: usize = 32;

/// Up to [`CAPACITY`] ASCII bytes, without NUL, zero-padded (the length is where the
/// padding starts: 32 bytes, so that errors carrying a few codes stay small).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Code {
    bytes: [u8; CAPACITY],
}

impl Code {
    /// `value` inline; `None` when it is longer than [`CAPACITY`], not ASCII or holds a
    /// NUL byte (the callers' own checks refuse all of those first).
    pub(crate) fn new(value: &str) -> Option<Self> {
        let len = value.len();
        if len > CAPACITY || !value.bytes().all(|b| b.is_ascii() && b != 0) {
            return None;
        }
        let mut bytes = [0_u8; CAPACITY];
        bytes[..len].copy_from_slice(value.as_bytes());
        Some(Self { bytes })
    }

    /// The number of bytes before the padding.
    fn len(&self) -> usize {
        self.bytes.iter().position(|&b| b == 0).unwrap_or(CAPACITY)
    }

    /// The code as text.
    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII is stored (see `new`), so this never fails.
        std::str::from_utf8(&self.bytes[..self.len()]).unwrap_or_default()
    }

    /// The padded bytes as four big-endian words: ordered as the bytes are.
    #[inline(always)]
    fn words(&self) -> [u64; 4] {
        let word = |k: usize| {
            let mut w = [0_u8; 8];
            w.copy_from_slice(&self.bytes[8 * k..8 * k + 8]);
            u64::from_be_bytes(w)
        };
        [word(0), word(1), word(2), word(3)]
    }
}

impl Ord for Code {
    #[inline(always)]
    fn cmp(&self, other: &Self) -> Ordering {
        // Map lookups mostly meet the very key they look for.
        if self == other {
            return Ordering::Equal;
        }
        let (a, b) = (self.words(), other.words());
        a[0].cmp(&b[0])
            .then(a[1].cmp(&b[1]))
            .then(a[2].cmp(&b[2]))
            .then(a[3].cmp(&b[3]))
    }
}

impl PartialOrd for Code {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Hash for Code {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::hash_map::DefaultHasher;

    use super::*;

    fn hash<T: Hash + ?Sized>(value: &T) -> u64 {
        let mut h = DefaultHasher::new();
        value.hash(&mut h);
        h.finish()
    }

    #[test]
    fn behaves_as_its_text() {
        let texts = [
            "A",
            "AB",
            "ABC",
            "B",
            "BTC",
            "BTCUSDT",
            "BTCUSDC",
            "ETHBTC",
            "USDT",
            "0",
            "9Z",
            "parity-9",
            "parity-10",
            "parity-1",
            "ev_1",
            "ABCDEFGHABCDEFGHABCDEFGHABCDEFG",
            "ABCDEFGHABCDEFGHABCDEFGHABCDEFGH",
            "ABCDEFGHABCDEFGHABCDEFGHABCDEFGI",
            "ABCDEFGHABCDEFGIABCDEFGHABCDEFGH",
            "ABCDEFGH",
            "ABCDEFGHA",
        ];
        for a in texts {
            let ca = Code::new(a).unwrap();
            assert_eq!(ca.as_str(), a);
            assert_eq!(format!("{ca:?}"), format!("{a:?}"));
            assert_eq!(ca.to_string(), a);
            assert_eq!(hash(&ca), hash(a));
            for b in texts {
                let cb = Code::new(b).unwrap();
                assert_eq!(ca.cmp(&cb), a.cmp(b), "{a} vs {b}");
                assert_eq!(ca == cb, a == b, "{a} vs {b}");
            }
        }
        assert!(Code::new(&"X".repeat(33)).is_none());
        assert!(Code::new("a\0b").is_none());
        assert!(Code::new("é").is_none());
        assert_eq!(Code::new("").map(|c| c.as_str().len()), Some(0));
    }
}
