//! SMA/EMA crossover, long-only spot: buy when the fast average crosses above the slow one,
//! sell everything when it crosses back below.
//!
//! A cross is `fast > slow` on this bar after `fast <= slow` on the previous one (and the
//! mirror for the exit), using bar closes. The reference strategy for parity between the
//! vectorised and the event backtests.

use super::params::{ParamError, ParamSpec, Params, StrategySchema};
use super::registry::StrategyEntry;
use super::vector::{BarColumns, Signals};
use super::{Context, Intent, Size, Strategy};
use crate::indicators::{self, Ema, Sma, SmaPair};
use crate::types::{Bar, Symbol};

const NAME: &str = "crossover";

/// The registry entry of the crossover strategy.
#[must_use]
pub fn entry() -> StrategyEntry {
    StrategyEntry {
        schema: StrategySchema {
            name: NAME,
            description: "Moving-average crossover (long-only): buy when the fast average \
                          crosses above the slow one, sell all when it crosses below.",
            params: vec![
                ParamSpec::int("fast", 10, 1, 10_000, "Bars in the fast moving average"),
                ParamSpec::int("slow", 30, 2, 20_000, "Bars in the slow moving average"),
                ParamSpec::choice("ma", "sma", &["sma", "ema"], "Moving average: sma or ema"),
                ParamSpec::order_size(1.0),
            ],
        },
        check: check_params,
        build: |params, _| Ok(Box::new(Crossover::new(params)?)),
        signals: Some(signals),
    }
}

fn check_params(params: &Params) -> Result<(), ParamError> {
    let fast = params.int(NAME, "fast")?;
    let slow = params.int(NAME, "slow")?;
    if fast >= slow {
        return Err(ParamError::new(
            NAME,
            "fast",
            fast,
            format!("must be less than slow ({slow})"),
        ));
    }
    Ok(())
}

/// Bars per piece of the vectorised form: both averages of a piece stay in the cache.
const PIECE: usize = 4096;

/// The vectorised form: entries on cross-up bars, exits on cross-down bars.
///
/// The averages are computed a piece of bars at a time ([`indicators::sma_pair_into`], or the
/// streaming [`Ema`] carried across pieces) rather than as whole columns: the same numbers
/// as [`indicators::sma`] / [`indicators::ema`], without two series-long allocations.
fn signals(params: &Params, bars: &BarColumns<'_>) -> Result<Signals, ParamError> {
    check_params(params)?;
    let fast = params.usize(NAME, "fast")?;
    let slow = params.usize(NAME, "slow")?;
    let bad_period = |period: usize| {
        move |e: indicators::IndicatorError| ParamError::new(NAME, "period", period, e.to_string())
    };
    let n = bars.len();
    let close = bars.close;
    let mut signals = Signals::none(n);
    let mut fast_above: Option<bool> = None;
    let mut above = vec![false; PIECE.min(n)];
    let mut crossings = |start: usize, fast: &[f64], slow: &[f64]| {
        let entries = &mut signals.entries[start..start + fast.len()];
        let exits = &mut signals.exits[start..start + fast.len()];
        let any_nan = fast
            .iter()
            .zip(slow)
            .fold(false, |nan, (f, s)| nan | f.is_nan() | s.is_nan());
        if any_nan || fast_above.is_none() {
            for (i, (f, s)) in fast.iter().zip(slow).enumerate() {
                if f.is_nan() || s.is_nan() {
                    continue;
                }
                let above = f > s;
                entries[i] = fast_above == Some(false) && above;
                exits[i] = fast_above == Some(true) && !above;
                fast_above = Some(above);
            }
            return;
        }
        // No NaN and a known previous state: the same rule, one pass without branches
        // (bar i compares with bar i - 1; the first with the previous piece's last).
        let above = &mut above[..fast.len()];
        for ((a, f), s) in above.iter_mut().zip(fast).zip(slow) {
            *a = f > s;
        }
        let before = fast_above == Some(true);
        let (Some(&first), Some(&last)) = (above.first(), above.last()) else {
            return;
        };
        entries[0] = !before & first;
        exits[0] = before & !first;
        let pairs = above.iter().zip(&above[1..]);
        for ((was, now), (entry, exit)) in pairs.zip(entries[1..].iter_mut().zip(&mut exits[1..])) {
            *entry = !was & now;
            *exit = *was & !now;
        }
        fast_above = Some(last);
    };
    let (mut fast_piece, mut slow_piece) = (vec![0.0; PIECE.min(n)], vec![0.0; PIECE.min(n)]);
    if params.text(NAME, "ma")? == "ema" {
        let mut fast_ma = Ema::new(fast).map_err(bad_period(fast))?;
        let mut slow_ma = Ema::new(slow).map_err(bad_period(slow))?;
        for (p, piece) in close.chunks(PIECE).enumerate() {
            let (f, s) = (
                &mut fast_piece[..piece.len()],
                &mut slow_piece[..piece.len()],
            );
            for ((x, f), s) in piece.iter().zip(f.iter_mut()).zip(s.iter_mut()) {
                *f = fast_ma.update(*x).unwrap_or(f64::NAN);
                *s = slow_ma.update(*x).unwrap_or(f64::NAN);
            }
            crossings(p * PIECE, f, s);
        }
    } else {
        let mut sums = indicators::SmaPairSums::default();
        for start in (0..n).step_by(PIECE) {
            let len = PIECE.min(n - start);
            let (f, s) = (&mut fast_piece[..len], &mut slow_piece[..len]);
            indicators::sma_pair_into_with(close, fast, slow, start, f, s, &mut sums)
                .map_err(bad_period(fast))?;
            crossings(start, f, s);
        }
    }
    Ok(signals)
}

/// The moving-average column the crossover compares: `ma` (`"ema"`, else a simple
/// average) of `close` over `period` bars, NaN during warm-up. Sweeps compute it once per
/// distinct `(ma, period)` and share it across parameter combinations.
pub fn average(close: &[f64], ma: &str, period: usize) -> Result<Vec<f64>, ParamError> {
    let series = if ma == "ema" {
        indicators::ema(close, period)
    } else {
        indicators::sma(close, period)
    };
    series.map_err(|e| ParamError::new(NAME, "period", period, e.to_string()))
}

/// [`average`] with `ma = "sma"` for every period of `periods`, in that order, sharing
/// the additions of windows that start on the same bar
/// ([`indicators::sma_many`]: the same numbers).
pub fn sma_averages(close: &[f64], periods: &[usize]) -> Result<Vec<Vec<f64>>, ParamError> {
    indicators::sma_many(close, periods).map_err(|e| {
        let period = periods.iter().copied().min().unwrap_or(0);
        ParamError::new(NAME, "period", period, e.to_string())
    })
}

/// Where the crossover's signal pass stands between pieces of a column: the comparison on
/// the last bar where both averages were known.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CrossState(u8);

/// Entry and exit columns of the crossover from its `fast` and `slow` average columns
/// ([`average`]), written into `out` (resized to their length, previous contents
/// overwritten). Bars where either average is NaN carry no signal and leave the last
/// comparison as it was.
pub fn cross_signals_into(fast: &[f64], slow: &[f64], out: &mut Signals) {
    let n = fast.len().min(slow.len());
    // Every value is written below: only the lengths need setting.
    out.entries.resize(n, false);
    out.exits.resize(n, false);
    cross_signals_piece(
        &fast[..n],
        &slow[..n],
        &mut CrossState::default(),
        &mut out.entries,
        &mut out.exits,
    );
}

/// [`cross_signals_into`] over one piece of the columns: the signals of the bars of
/// `fast` and `slow` (pieces of the same bars) into `entries` and `exits` (the bars all
/// four slices cover), continuing from `state` (the previous piece's, or the default
/// before the first bar) and leaving it for the next piece. Consecutive pieces give the
/// signals of the whole columns, bit for bit.
pub fn cross_signals_piece(
    fast: &[f64],
    slow: &[f64],
    state: &mut CrossState,
    entries: &mut [bool],
    exits: &mut [bool],
) {
    /// Bars checked at a time for the fast path.
    const BLOCK: usize = 256;
    let n = fast
        .len()
        .min(slow.len())
        .min(entries.len())
        .min(exits.len());
    let (fast, slow) = (&fast[..n], &slow[..n]);
    let (entries, exits) = (&mut entries[..n], &mut exits[..n]);
    // 0: not known yet, 1: fast was not above, 2: fast was above (on the last bar where
    // both averages were known).
    let mut known_state = state.0;
    let mut start = 0;
    while start < n {
        let end = (start + BLOCK).min(n);
        let (f, s) = (&fast[start..end], &slow[start..end]);
        let known = f
            .iter()
            .zip(s)
            .fold(true, |ok, (f, s)| ok & !f.is_nan() & !s.is_nan());
        if known_state != 0 && known {
            // Every bar of the block is known, so the last comparison is the previous
            // bar's: a branch-free pass the compiler vectorises.
            let above = f[0] > s[0];
            let before = known_state == 2;
            entries[start] = above & !before;
            exits[start] = !above & before;
            for j in start + 1..end {
                let (now, prev) = (fast[j] > slow[j], fast[j - 1] > slow[j - 1]);
                entries[j] = now & !prev;
                exits[j] = !now & prev;
            }
            known_state = 1 + u8::from(fast[end - 1] > slow[end - 1]);
        } else {
            for j in start..end {
                let (f, s) = (fast[j], slow[j]);
                let above = f > s;
                let known = !(f.is_nan() || s.is_nan());
                entries[j] = known & (known_state == 1) & above;
                exits[j] = known & (known_state == 2) & !above;
                if known {
                    known_state = 1 + u8::from(above);
                }
            }
        }
        start = end;
    }
    state.0 = known_state;
}

/// [`cross_signals_piece`] with the signals as bits: bar `k` of the piece is bit `k % 64`
/// of word `k / 64` of `entries` and `exits` (bits past the piece are 0). The same
/// signals, from one comparison per bar and a few word operations per 64 bars (a sweep
/// runs this for every pair over every bar).
pub fn cross_signal_bits_piece(
    fast: &[f64],
    slow: &[f64],
    state: &mut CrossState,
    entries: &mut [u64],
    exits: &mut [u64],
) {
    let words = entries.len().min(exits.len());
    let n = fast.len().min(slow.len()).min(words * 64);
    let pieces = fast[..n].chunks(64).zip(slow[..n].chunks(64));
    for ((f, s), (entry, exit)) in pieces.zip(entries.iter_mut().zip(exits.iter_mut())) {
        let len = f.len();
        // One byte per comparison (a loop the compiler vectorises), then 8 bytes of 0 or
        // 1 gathered into 8 bits by one multiplication: byte k times 2^(56 - 7k) lands on
        // bit 56 + k, and the other products fall on distinct bits below 56 or above 63.
        let mut bytes = [0_u8; 64];
        let mut nan = false;
        for ((b, f), s) in bytes.iter_mut().zip(f).zip(s) {
            *b = u8::from(f > s);
            nan |= f.is_nan() | s.is_nan();
        }
        let mut above = 0_u64;
        for (g, group) in bytes.chunks_exact(8).enumerate() {
            let mut word = [0_u8; 8];
            word.copy_from_slice(group);
            let gathered = u64::from_le_bytes(word).wrapping_mul(0x0102_0408_1020_4080) >> 56;
            above |= gathered << (8 * g);
        }
        let (mut e, mut x) = (0_u64, 0_u64);
        if !nan && state.0 != 0 {
            // Bit k of `before`: the comparison of bar k - 1 (the previous word's last for
            // bar 0).
            let before = (above << 1) | u64::from(state.0 == 2);
            let piece = u64::MAX >> (64 - len);
            e = above & !before & piece;
            x = !above & before & piece;
            state.0 = 1 + u8::from((above >> (len - 1)) & 1 == 1);
        } else {
            for (k, (f, s)) in f.iter().zip(s).enumerate() {
                if f.is_nan() || s.is_nan() {
                    continue;
                }
                let now = (above >> k) & 1 == 1;
                e |= u64::from(state.0 == 1 && now) << k;
                x |= u64::from(state.0 == 2 && !now) << k;
                state.0 = 1 + u8::from(now);
            }
        }
        *entry = e;
        *exit = x;
    }
}

/// The two moving averages of a track.
#[derive(Debug, Clone)]
enum Averages {
    /// Both simple averages streamed together ([`SmaPair`]: the numbers of two [`Sma`]s
    /// with the slow window's first additions shared with the fast one).
    Simple(SmaPair),
    /// Two exponential averages.
    Exponential(Ema, Ema),
}

impl Averages {
    fn new(kind: &str, fast: usize, slow: usize) -> Result<Self, ParamError> {
        let bad = |period: usize| {
            move |e: indicators::IndicatorError| {
                ParamError::new(NAME, "period", period, e.to_string())
            }
        };
        if kind == "ema" {
            Ok(Self::Exponential(
                Ema::new(fast).map_err(bad(fast))?,
                Ema::new(slow).map_err(bad(slow))?,
            ))
        } else {
            // The periods' own checks first, with their messages (`fast < slow` is a
            // parameter rule checked before any track is built).
            Sma::new(fast).map_err(bad(fast))?;
            Sma::new(slow).map_err(bad(slow))?;
            SmaPair::new(fast, slow)
                .map(Self::Simple)
                .map_err(bad(fast))
        }
    }

    /// Both averages after `value`.
    fn update(&mut self, value: f64) -> (Option<f64>, Option<f64>) {
        match self {
            Self::Simple(pair) => pair.update(value),
            Self::Exponential(fast, slow) => (fast.update(value), slow.update(value)),
        }
    }
}

/// Per-symbol state: the two averages and the last comparison.
#[derive(Debug, Clone)]
struct Track {
    averages: Averages,
    /// Whether fast was above slow on the previous bar (None until both are ready).
    fast_above: Option<bool>,
}

impl Track {
    fn new(ma: &str, fast: usize, slow: usize) -> Result<Self, ParamError> {
        Ok(Self {
            averages: Averages::new(ma, fast, slow)?,
            fast_above: None,
        })
    }
}

/// The crossover strategy.
#[derive(Debug, Clone)]
pub struct Crossover {
    fast: usize,
    slow: usize,
    ma: String,
    order_size: f64,
    /// One track per symbol, in the order the symbols first came (a bot trades a few
    /// symbols: a scan of this short list is cheaper than a map search per bar).
    tracks: Vec<(Symbol, Track)>,
}

impl Crossover {
    /// A crossover from resolved parameters.
    pub fn new(params: &Params) -> Result<Self, ParamError> {
        check_params(params)?;
        let strategy = Self {
            fast: params.usize(NAME, "fast")?,
            slow: params.usize(NAME, "slow")?,
            ma: params.text(NAME, "ma")?.to_owned(),
            order_size: params.float(NAME, "order_size")?,
            tracks: Vec::new(),
        };
        strategy.track()?;
        Ok(strategy)
    }

    fn track(&self) -> Result<Track, ParamError> {
        Track::new(&self.ma, self.fast, self.slow)
    }
}

impl Strategy for Crossover {
    fn on_bar(&mut self, ctx: &Context<'_>, symbol: &Symbol, bar: &Bar, intents: &mut Vec<Intent>) {
        let (ma, fast, slow) = (&self.ma, self.fast, self.slow);
        let make = || Track::new(ma, fast, slow).ok();
        let index = match self.tracks.iter().position(|(s, _)| s == symbol) {
            Some(index) => index,
            None => {
                let Some(track) = make() else {
                    return;
                };
                self.tracks.push((symbol.clone(), track));
                self.tracks.len() - 1
            }
        };
        let Some((_, track)) = self.tracks.get_mut(index) else {
            return;
        };
        let (Some(fast), Some(slow)) = track.averages.update(bar.close) else {
            return;
        };
        let above = fast > slow;
        let crossed_up = track.fast_above == Some(false) && above;
        let crossed_down = track.fast_above == Some(true) && !above;
        track.fast_above = Some(above);
        // Most bars cross nothing: the position is looked at only when one does.
        if !(crossed_up || crossed_down) {
            return;
        }
        let long = ctx.is_long(symbol);
        if crossed_up && !long && !ctx.has_open_orders(symbol) {
            intents.push(Intent::market_buy(
                symbol,
                Size::WalletShare(self.order_size),
            ));
        } else if crossed_down && long {
            intents.push(Intent::market_sell(symbol, Size::PositionShare(1.0)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::{BarSeries, ParamValue, Registry, StrategySpec};
    use crate::testkit::{self, Feed};

    #[test]
    fn defaults_are_valid_and_both_averages_build() {
        let registry = Registry::builtin();
        let mut params = Params::new();
        params.set("ma", "ema");
        let resolved = registry.resolve(&StrategySpec::new(NAME, params)).unwrap();
        assert_eq!(resolved.int(NAME, "fast"), Ok(10));
        assert_eq!(resolved.int(NAME, "slow"), Ok(30));
        assert!(Crossover::new(&resolved).is_ok());
        let mut bad = Params::new();
        bad.set("ma", "hull");
        let err = registry
            .build(&StrategySpec::new(NAME, bad))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("parameter `ma` = \"hull\" must be one of sma, ema"),
            "{err}"
        );
    }

    fn spec(fast: i64, slow: i64, ma: &str) -> StrategySpec {
        let mut params = Params::new();
        params.set("fast", fast).set("slow", slow).set("ma", ma);
        StrategySpec::new(NAME, params)
    }

    #[test]
    fn vectorised_form_trades_on_the_same_bars_as_the_engine() {
        let registry = Registry::builtin();
        let walk = testkit::random_walk(3_000, 100.0, 0.004, 7);
        for ma in ["sma", "ema"] {
            let trades = testkit::assert_signal_parity(&registry, &spec(5, 20, ma), &walk);
            assert!(trades > 20, "{ma}: only {trades} trades");
        }
        if let Some(real) = testkit::real_btc_1m(5_000) {
            let trades = testkit::assert_signal_parity(&registry, &spec(10, 30, "ema"), &real);
            assert!(trades > 20, "real data: only {trades} trades");
        }
    }

    /// The signals by the plain rule over whole indicator columns.
    fn column_signals(fast: &[f64], slow: &[f64]) -> Signals {
        let mut signals = Signals::none(fast.len());
        let mut fast_above: Option<bool> = None;
        for (i, (f, s)) in fast.iter().zip(slow).enumerate() {
            if f.is_nan() || s.is_nan() {
                continue;
            }
            let above = f > s;
            signals.entries[i] = fast_above == Some(false) && above;
            signals.exits[i] = fast_above == Some(true) && !above;
            fast_above = Some(above);
        }
        signals
    }

    #[test]
    fn bit_and_bool_pieces_give_the_bar_by_bar_signals() {
        let walk = testkit::random_walk(5_000, 100.0, 0.004, 9);
        let mut close: Vec<f64> = walk.iter().map(|b| b.close).collect();
        for i in [700, 701, 1_023, 1_024, 3_000] {
            close[i] = f64::NAN;
        }
        for (fast, slow) in [(3_usize, 7_usize), (10, 30), (2, 150)] {
            let f = indicators::sma(&close, fast).unwrap();
            let s = indicators::sma(&close, slow).unwrap();
            let expected = column_signals(&f, &s);
            // Pieces of uneven lengths, some not a multiple of 64, one longer than a word.
            for piece in [1_usize, 63, 64, 100, 1_024, 5_000] {
                let (mut state, mut bool_state) = (CrossState::default(), CrossState::default());
                let mut got = Signals::none(close.len());
                let mut start = 0;
                while start < close.len() {
                    let end = (start + piece).min(close.len());
                    let (mut entries, mut exits) =
                        (vec![0_u64; piece.div_ceil(64)], vec![0; piece.div_ceil(64)]);
                    cross_signal_bits_piece(
                        &f[start..end],
                        &s[start..end],
                        &mut state,
                        &mut entries,
                        &mut exits,
                    );
                    for k in 0..end - start {
                        got.entries[start + k] = (entries[k / 64] >> (k % 64)) & 1 == 1;
                        got.exits[start + k] = (exits[k / 64] >> (k % 64)) & 1 == 1;
                    }
                    let past = (end - start..entries.len() * 64)
                        .all(|k| (entries[k / 64] | exits[k / 64]) >> (k % 64) & 1 == 0);
                    assert!(past, "bits past the piece");
                    let mut bools = Signals::none(end - start);
                    cross_signals_piece(
                        &f[start..end],
                        &s[start..end],
                        &mut bool_state,
                        &mut bools.entries,
                        &mut bools.exits,
                    );
                    assert_eq!(bools.entries, got.entries[start..end]);
                    assert_eq!(bools.exits, got.exits[start..end]);
                    start = end;
                }
                assert_eq!(got, expected, "{fast}/{slow} in pieces of {piece}");
            }
        }
    }

    #[test]
    fn pieces_give_the_signals_of_whole_columns() {
        // Longer than a few pieces, with NaN closes (in one piece, and across a boundary).
        let walk = testkit::random_walk(3 * PIECE + 123, 100.0, 0.004, 5);
        let mut series = BarSeries::from_bars(&walk);
        for i in [700, 701, 2 * PIECE - 3, 2 * PIECE + 40] {
            series.close[i] = f64::NAN;
        }
        let registry = Registry::builtin();
        for ma in ["sma", "ema"] {
            for (fast, slow) in [(3_usize, 7_usize), (10, 30), (50, 200)] {
                let columns = |period| {
                    if ma == "sma" {
                        indicators::sma(&series.close, period).unwrap()
                    } else {
                        indicators::ema(&series.close, period).unwrap()
                    }
                };
                let expected = column_signals(&columns(fast), &columns(slow));
                let spec = spec(fast as i64, slow as i64, ma);
                let got = registry.signals(&spec, &series.columns()).unwrap().unwrap();
                assert_eq!(got, expected, "{ma} {fast}/{slow}");
                // (An EMA stays NaN after the first NaN close: few crosses there.)
                let crosses = got.entries.iter().filter(|e| **e).count();
                assert!(crosses > if ma == "sma" { 10 } else { 0 }, "{crosses}");
            }
        }
    }

    #[test]
    fn the_block_pass_gives_the_bar_by_bar_signals_around_gaps() {
        // The per-bar rule, written plainly.
        fn reference(fast: &[f64], slow: &[f64]) -> Signals {
            let mut out = Signals::none(fast.len());
            let mut fast_above: Option<bool> = None;
            for (i, (f, s)) in fast.iter().zip(slow).enumerate() {
                if f.is_nan() || s.is_nan() {
                    continue;
                }
                let above = f > s;
                out.entries[i] = fast_above == Some(false) && above;
                out.exits[i] = fast_above == Some(true) && !above;
                fast_above = Some(above);
            }
            out
        }
        let walk = testkit::random_walk(3_000, 100.0, 0.004, 13);
        let closes: Vec<f64> = walk.iter().map(|b| b.close).collect();
        let mut fast = average(&closes, "sma", 4).unwrap();
        let mut slow = average(&closes, "sma", 9).unwrap();
        // NaN gaps inside blocks, across a block edge and at the very end.
        for i in [300, 301, 700, 1023, 1024, 1025, 2047, 2999] {
            fast[i] = f64::NAN;
        }
        slow[1500] = f64::NAN;
        let mut out = Signals::default();
        // Lengths up and down: the buffer's old values must not show through.
        for len in [3_000, 0, 1, 9, 255, 256, 1_024, 257, 3_000] {
            cross_signals_into(&fast[..len], &slow[..len], &mut out);
            assert_eq!(out, reference(&fast[..len], &slow[..len]), "{len} bars");
        }
        assert!(out.walk().len() > 100);
    }

    #[test]
    fn decisions_do_not_look_ahead() {
        let registry = Registry::builtin();
        let feed: Vec<Feed> = testkit::random_walk(600, 100.0, 0.004, 3)
            .into_iter()
            .map(Feed::btc)
            .collect();
        let config = testkit::bot(spec(5, 20, "ema"), 1_000);
        testkit::assert_no_lookahead(&registry, &config, &feed, &testkit::cuts(feed.len(), 8, 11));
    }

    #[test]
    fn bad_parameters_name_the_parameter_and_the_rule() {
        let registry = Registry::builtin();
        let cases: [(&str, ParamValue, &str); 5] = [
            (
                "fast",
                ParamValue::Int(0),
                "parameter `fast` = 0 must be at least 1",
            ),
            (
                "slow",
                ParamValue::Int(1),
                "parameter `slow` = 1 must be at least 2",
            ),
            (
                "ma",
                ParamValue::Text("wma".into()),
                "parameter `ma` = \"wma\" must be one of sma, ema",
            ),
            (
                "order_size",
                ParamValue::Float(0.0),
                "parameter `order_size` = 0 must be at least 0.01",
            ),
            (
                "order_size",
                ParamValue::Float(1.5),
                "parameter `order_size` = 1.5 must be at most 1",
            ),
        ];
        for (name, value, expected) in cases {
            let mut params = Params::new();
            params.set(name, value);
            let err = registry
                .build(&StrategySpec::new(NAME, params))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("strategy crossover: ") && err.contains(expected),
                "{err}"
            );
        }
        let err = registry
            .build(&spec(40, 20, "sma"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("parameter `fast` = 40 must be less than slow (20)"),
            "{err}"
        );
    }

    #[test]
    fn ema_and_sma_cross_at_different_bars() {
        // The EMA reacts faster, so on the same series its cross comes no later.
        let closes: Vec<f64> = (0..40)
            .map(|i| {
                if i < 20 {
                    100.0 - f64::from(i)
                } else {
                    80.0 + 2.0 * f64::from(i - 20)
                }
            })
            .collect();
        let cross_bar = |ma: &str| {
            let mut params = Params::new();
            params.set("fast", 3_i64).set("slow", 8_i64).set("ma", ma);
            let resolved = Registry::builtin()
                .resolve(&StrategySpec::new(NAME, params))
                .unwrap();
            let mut track = Crossover::new(&resolved).unwrap().track().unwrap();
            closes.iter().position(|c| {
                let (f, s) = track.averages.update(*c);
                let above = matches!((f, s), (Some(f), Some(s)) if f > s);
                let crossed = track.fast_above == Some(false) && above;
                if let (Some(f), Some(s)) = (f, s) {
                    track.fast_above = Some(f > s);
                }
                crossed
            })
        };
        let (sma, ema) = (cross_bar("sma").unwrap(), cross_bar("ema").unwrap());
        assert!(ema <= sma, "ema {ema} sma {sma}");
        assert!(sma > 20);
    }
}
