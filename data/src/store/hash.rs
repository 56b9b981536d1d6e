//! Content hashes: SHA-256 over a frame's values in a fixed byte layout, so equal bars give
//! equal hashes whatever file, compression or library wrote them.

use sha2::{Digest, Sha256};

use crate::BarFrame;

/// Layout tag, changed whenever the hashed layout changes.
const LAYOUT: &[u8] = b"vela-bars-v1";

/// Hex SHA-256 of a frame: the layout tag, the row count, then each column in schema order
/// as little-endian 8-byte values (`quote_volume` preceded by a presence byte).
#[must_use]
pub fn frame_hash(frame: &BarFrame) -> String {
    let mut hasher = Sha256::new();
    hasher.update(LAYOUT);
    hasher.update((frame.len() as u64).to_le_bytes());
    update_column(&mut hasher, frame.ts.iter().map(|v| v.to_le_bytes()));
    for column in [
        &frame.open,
        &frame.high,
        &frame.low,
        &frame.close,
        &frame.volume,
    ] {
        update_column(
            &mut hasher,
            column.iter().map(|v| v.to_bits().to_le_bytes()),
        );
    }
    match &frame.quote_volume {
        Some(q) => {
            hasher.update([1]);
            update_column(&mut hasher, q.iter().map(|v| v.to_bits().to_le_bytes()));
        }
        None => hasher.update([0]),
    }
    hex(&hasher.finalize())
}

/// Feeds 8-byte values to the hasher in blocks of 32 KiB.
fn update_column(hasher: &mut Sha256, values: impl Iterator<Item = [u8; 8]>) {
    const BLOCK: usize = 4096;
    let mut buf = Vec::with_capacity(8 * BLOCK);
    for value in values {
        buf.extend_from_slice(&value);
        if buf.len() == 8 * BLOCK {
            hasher.update(&buf);
            buf.clear();
        }
    }
    hasher.update(&buf);
}

/// Hex SHA-256 of a list of named parts (e.g. partitions and their hashes), in order.
#[must_use]
pub(crate) fn combine<'a>(parts: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(LAYOUT);
    for (name, hash) in parts {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(hash.as_bytes());
        hasher.update([0]);
    }
    hex(&hasher.finalize())
}

/// Lower-case hex of a digest: the form every vela hash is printed and stored in.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Row;

    fn frame(close: f64, quote: bool) -> BarFrame {
        let mut f = BarFrame::empty(quote);
        for i in 0..3 {
            f.push(Row {
                ts: i * 60_000,
                open: 1.0,
                high: 2.0,
                low: 0.5,
                close,
                volume: 3.0,
                quote_volume: Some(4.0),
            });
        }
        f
    }

    #[test]
    fn equal_frames_hash_equal_and_any_change_shows() {
        assert_eq!(frame_hash(&frame(1.5, true)), frame_hash(&frame(1.5, true)));
        assert_ne!(
            frame_hash(&frame(1.5, true)),
            frame_hash(&frame(1.25, true))
        );
        assert_ne!(
            frame_hash(&frame(1.5, true)),
            frame_hash(&frame(1.5, false))
        );
        assert_eq!(frame_hash(&frame(1.5, true)).len(), 64);
        assert_ne!(combine([("a", "1"), ("b", "2")]), combine([("a", "1")]));
        assert_ne!(combine([("ab", "1")]), combine([("a", "b1")]));
    }
}
