//! Writing frames as CSV (the plain layout the importer reads back).

use std::io::Write;

use crate::frame::BarFrame;

/// Writes `frame` as a plain CSV: a header `ts,open,high,low,close,volume[,quote_volume]`
/// and one row per bar, timestamps in milliseconds. Numbers use Rust's shortest
/// round-trip form, so reading the file back gives the same values bit for bit.
pub fn write_csv(frame: &BarFrame, mut out: impl Write) -> std::io::Result<()> {
    let quote = frame.quote_volume.is_some();
    let header = if quote {
        "ts,open,high,low,close,volume,quote_volume"
    } else {
        "ts,open,high,low,close,volume"
    };
    writeln!(out, "{header}")?;
    for row in frame.rows() {
        write!(
            out,
            "{},{},{},{},{},{}",
            row.ts, row.open, row.high, row.low, row.close, row.volume
        )?;
        match row.quote_volume {
            Some(q) if quote => writeln!(out, ",{q}")?,
            _ => writeln!(out)?,
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::read_csv;
    use crate::{GeneratorSpec, generate};

    #[test]
    fn written_frames_read_back_identically() {
        let frame = generate(&GeneratorSpec::new(3, 500)).unwrap();
        let mut text = Vec::new();
        write_csv(&frame, &mut text).unwrap();
        let (back, _) = read_csv(text.as_slice(), "round-trip.csv").unwrap();
        assert_eq!(back, frame);
        let plain = BarFrame {
            quote_volume: None,
            ..frame
        };
        let mut text = Vec::new();
        write_csv(&plain, &mut text).unwrap();
        assert_eq!(read_csv(text.as_slice(), "plain.csv").unwrap().0, plain);
    }
}
