//! Walk-forward windows: in-sample stretches to optimise on, each followed by the
//! out-of-sample stretch its choice is tested on.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::WalkError;

/// How in-sample windows move forward.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// A fixed-length in-sample window that slides forward by the out-of-sample length.
    #[default]
    Rolling,
    /// In-sample windows all start at the first bar and grow by the out-of-sample length.
    Anchored,
}

/// Window lengths in bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowSpec {
    /// Bars of the (first) in-sample window.
    pub in_sample: usize,
    /// Bars of each out-of-sample window; windows step forward by this much.
    pub out_of_sample: usize,
    /// Rolling or anchored.
    #[serde(default)]
    pub scheme: Scheme,
}

/// One walk-forward step: bar index ranges into the whole series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Position in the walk, from 0.
    pub index: usize,
    /// Bars to optimise on.
    pub in_sample: Range<usize>,
    /// The bars right after, to test the choice on.
    pub out_of_sample: Range<usize>,
}

impl WindowSpec {
    /// The windows over `bars` bars: as many whole out-of-sample windows as fit after the
    /// first in-sample window. Bars after the last whole window are not used (see
    /// [`unused_bars`](Self::unused_bars)).
    pub fn windows(&self, bars: usize) -> Result<Vec<Window>, WalkError> {
        if self.in_sample < 2 {
            return Err(WalkError::Windows(format!(
                "in-sample window of {} bars: needs at least 2",
                self.in_sample
            )));
        }
        if self.out_of_sample < 2 {
            return Err(WalkError::Windows(format!(
                "out-of-sample window of {} bars: needs at least 2",
                self.out_of_sample
            )));
        }
        let count = bars.saturating_sub(self.in_sample) / self.out_of_sample;
        if count == 0 {
            return Err(WalkError::Windows(format!(
                "{bars} bars hold no walk-forward step: one needs {} in-sample + {} \
                 out-of-sample bars",
                self.in_sample, self.out_of_sample
            )));
        }
        Ok((0..count)
            .map(|index| {
                let oos_start = self.in_sample + index * self.out_of_sample;
                let is_start = match self.scheme {
                    Scheme::Rolling => index * self.out_of_sample,
                    Scheme::Anchored => 0,
                };
                Window {
                    index,
                    in_sample: is_start..oos_start,
                    out_of_sample: oos_start..oos_start + self.out_of_sample,
                }
            })
            .collect())
    }

    /// Bars at the end of a `bars`-bar series that no whole out-of-sample window covers.
    #[must_use]
    pub fn unused_bars(&self, bars: usize) -> usize {
        if self.out_of_sample == 0 {
            return bars;
        }
        bars.saturating_sub(self.in_sample) % self.out_of_sample
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_windows_slide_by_the_out_of_sample_length() {
        let spec = WindowSpec {
            in_sample: 100,
            out_of_sample: 30,
            scheme: Scheme::Rolling,
        };
        let w = spec.windows(200).unwrap();
        assert_eq!(
            w.iter()
                .map(|w| (w.in_sample.clone(), w.out_of_sample.clone()))
                .collect::<Vec<_>>(),
            vec![(0..100, 100..130), (30..130, 130..160), (60..160, 160..190)]
        );
        assert_eq!(spec.unused_bars(200), 10);
        // Out-of-sample windows tile the bars after the first in-sample window.
        for pair in w.windows(2) {
            assert_eq!(pair[0].out_of_sample.end, pair[1].out_of_sample.start);
        }
    }

    #[test]
    fn anchored_windows_grow_from_the_first_bar() {
        let spec = WindowSpec {
            in_sample: 100,
            out_of_sample: 50,
            scheme: Scheme::Anchored,
        };
        let w = spec.windows(250).unwrap();
        assert_eq!(
            w.iter()
                .map(|w| (w.in_sample.clone(), w.out_of_sample.clone()))
                .collect::<Vec<_>>(),
            vec![(0..100, 100..150), (0..150, 150..200), (0..200, 200..250)]
        );
        assert_eq!(spec.unused_bars(250), 0);
    }

    #[test]
    fn too_few_bars_or_tiny_windows_are_errors() {
        let spec = WindowSpec {
            in_sample: 100,
            out_of_sample: 50,
            scheme: Scheme::Rolling,
        };
        let err = spec.windows(149).unwrap_err().to_string();
        assert!(err.contains("149 bars hold no walk-forward step"), "{err}");
        let tiny = WindowSpec {
            out_of_sample: 1,
            ..spec
        };
        assert!(
            tiny.windows(1000)
                .unwrap_err()
                .to_string()
                .contains("out-of-sample window of 1 bars")
        );
        let tiny = WindowSpec {
            in_sample: 0,
            ..spec
        };
        assert!(
            tiny.windows(1000)
                .unwrap_err()
                .to_string()
                .contains("in-sample window of 0")
        );
    }
}

/// A window length in bars: a count (`20000`), or a duration with a unit (`90m`, `36h`,
/// `14d`, `2w`) that is a whole number of `interval_ms` bars.
pub fn span_bars(text: &str, interval_ms: i64) -> Result<usize, WalkError> {
    let text = text.trim();
    if let Ok(bars) = text.parse::<usize>() {
        return Ok(bars);
    }
    let bad = |problem: String| WalkError::Windows(format!("{text:?}: {problem}"));
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit_ms: i64 = match unit {
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => {
            return Err(bad(
                "expected a number of bars (20000) or a duration such as 90m, 36h, 14d, 2w"
                    .to_owned(),
            ));
        }
    };
    let count: i64 = number
        .parse()
        .map_err(|_| bad(format!("the number before {unit:?} is not a whole number")))?;
    let ms = count
        .checked_mul(unit_ms)
        .ok_or_else(|| bad("too long".to_owned()))?;
    if interval_ms <= 0 || ms % interval_ms != 0 {
        return Err(bad(format!(
            "not a whole number of {} bars",
            crate::run::format::duration(interval_ms)
        )));
    }
    usize::try_from(ms / interval_ms).map_err(|_| bad("out of range".to_owned()))
}

#[cfg(test)]
mod span_tests {
    use super::span_bars;

    #[test]
    fn spans_are_counts_or_whole_durations() {
        assert_eq!(span_bars("500", 60_000).ok(), Some(500));
        assert_eq!(span_bars("2h", 60_000).ok(), Some(120));
        assert_eq!(span_bars("1w", 3_600_000).ok(), Some(168));
        let err = span_bars("90s", 60_000).expect_err("no unit s");
        assert!(err.to_string().contains("\"90s\""), "{err}");
        assert!(
            span_bars("7m", 300_000).is_err(),
            "7 minutes is not whole 5m bars"
        );
    }
}
