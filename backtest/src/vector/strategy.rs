//! A registered strategy's vectorised form run straight into the simulator
//! ([`Simulator::run_strategy`]): for the crossover, each piece of bars is checked, its
//! averages and signals computed and its bars simulated while the piece is still in the
//! cache, with no series-long signal columns; other strategies go through their signal
//! columns ([`Registry::signals`]). The same numbers as [`Market::new`],
//! [`Registry::signals`] and [`Simulator::run`].

use vela_core::indicators::{self, Ema, IndicatorError, SmaPairSums};
use vela_core::strategy::crossover::{CrossState, cross_signal_bits_piece};
use vela_core::strategy::{BarColumns, ParamError, Params, Registry, RegistryError, StrategySpec};

use super::error::VectorError;
use super::input::{Market, Orders};
use super::simulate::{Simulator, VectorRun};

/// Bars per piece: the piece's two averages, times, opens and closes stay in a core's
/// L2 cache between the signal pass and the simulation.
const PIECE: usize = 4096;

const NAME: &str = "crossover";

impl Simulator {
    /// Runs the vectorised form of `spec` over `bars`: the result of [`Market::new`],
    /// [`Registry::signals`] and [`Simulator::run`], bit for bit, with the bars' errors
    /// first; `Ok(None)` for a strategy without a vectorised form.
    ///
    /// The crossover is computed a piece of bars at a time: each piece's prices are
    /// checked, its averages and signals computed and its bars simulated while the piece
    /// is in the cache (no signal columns, one read of the bars). The other strategies go
    /// through their signal columns.
    pub fn run_strategy(
        &self,
        registry: &Registry,
        spec: &StrategySpec,
        bars: &BarColumns<'_>,
    ) -> Result<Option<VectorRun>, VectorError> {
        let mut out = VectorRun::default();
        let ran = self.run_strategy_into(registry, spec, bars, &mut out)?;
        Ok(ran.then_some(out))
    }

    /// [`Simulator::run_strategy`] into `out`, reusing its buffers (trade list, equity
    /// curve) as [`Simulator::run_into`] does: repeated runs then allocate nothing, not
    /// even the curve. Returns whether `spec` has a vectorised form (`out` holds its run);
    /// `out` is fully overwritten by a run. On an error, or for a strategy without a
    /// vectorised form, `out` holds no result of this call (its contents are unspecified).
    pub fn run_strategy_into(
        &self,
        registry: &Registry,
        spec: &StrategySpec,
        bars: &BarColumns<'_>,
        out: &mut VectorRun,
    ) -> Result<bool, VectorError> {
        if spec.name != NAME {
            return self.run_columns(registry, spec, &Market::new(*bars)?, out);
        }
        let market = Market::prices_unchecked(*bars)?;
        let params = match registry.resolve(spec) {
            Ok(params) => params,
            Err(e) => {
                // The bars' errors come first.
                Market::new(*bars)?;
                return Err(e.into());
            }
        };
        let mut pieces = CrossoverPieces::new(&params, bars.close).map_err(RegistryError::from)?;
        let mut pass = self.begin(&market, out);
        let (mut entries, mut exits) = ([0_u64; PIECE / 64], [0_u64; PIECE / 64]);
        let n = market.len();
        let mut start = 0;
        while start < n {
            let end = (start + PIECE).min(n);
            if !market.prices_ok(start, end) {
                // The full check names the first broken rule (of the whole series, as
                // `Market::new`); it cannot pass, but would run the columns if it did.
                return self.run_columns(registry, spec, &Market::new(*bars)?, out);
            }
            let len = pieces
                .next_bits(start, &mut entries, &mut exits)
                .map_err(RegistryError::from)?;
            self.advance_signal_bits(&market, &mut pass, &entries, &exits, start, len);
            start += len;
        }
        self.end(&market, pass, out);
        Ok(true)
    }

    /// [`Registry::signals`] then [`Simulator::run_into`].
    fn run_columns(
        &self,
        registry: &Registry,
        spec: &StrategySpec,
        market: &Market<'_>,
        out: &mut VectorRun,
    ) -> Result<bool, VectorError> {
        let Some(signals) = registry.signals(spec, market.bars())? else {
            return Ok(false);
        };
        self.run_into(market, Orders::from(&signals), out)?;
        Ok(true)
    }
}

/// The crossover's moving averages.
enum Averages {
    /// Simple: each piece's windows summed afresh ([`indicators::sma_pair_into_with`]).
    Simple,
    /// Exponential: streaming, carried across pieces.
    Exponential(Ema, Ema),
}

/// The crossover's entry and exit signals a piece of bars at a time, as bits: the
/// registry's vectorised form (`crossover::signals`) computed piece by piece, with the
/// same averages ([`indicators::sma_pair_into`] or the streaming [`Ema`]) and the same
/// rule ([`cross_signal_bits_piece`], state carried across pieces).
struct CrossoverPieces<'a> {
    close: &'a [f64],
    fast: usize,
    slow: usize,
    averages: Averages,
    state: CrossState,
    fast_piece: Vec<f64>,
    slow_piece: Vec<f64>,
    /// The simple averages' window sums, reused from piece to piece.
    sums: SmaPairSums,
}

impl<'a> CrossoverPieces<'a> {
    /// The pieces of resolved crossover `params` over `close`.
    fn new(params: &Params, close: &'a [f64]) -> Result<Self, ParamError> {
        let fast = params.usize(NAME, "fast")?;
        let slow = params.usize(NAME, "slow")?;
        let averages = if params.text(NAME, "ma")? == "ema" {
            Averages::Exponential(
                Ema::new(fast).map_err(bad_period(fast))?,
                Ema::new(slow).map_err(bad_period(slow))?,
            )
        } else {
            Averages::Simple
        };
        let len = PIECE.min(close.len());
        Ok(Self {
            close,
            fast,
            slow,
            averages,
            state: CrossState::default(),
            fast_piece: vec![0.0; len],
            slow_piece: vec![0.0; len],
            sums: SmaPairSums::default(),
        })
    }

    /// The signals of the bars from `start` (the bar after the previous piece's last) into
    /// `entries` and `exits` (bar `start + k` is bit `k % 64` of word `k / 64`); returns
    /// the number of bars written (the words' bits or the bars left, whichever is less).
    fn next_bits(
        &mut self,
        start: usize,
        entries: &mut [u64],
        exits: &mut [u64],
    ) -> Result<usize, ParamError> {
        let len = (entries.len().min(exits.len()) * 64)
            .min(self.fast_piece.len())
            .min(self.close.len().saturating_sub(start));
        let (f, s) = (&mut self.fast_piece[..len], &mut self.slow_piece[..len]);
        match &mut self.averages {
            Averages::Simple => {
                indicators::sma_pair_into_with(
                    self.close,
                    self.fast,
                    self.slow,
                    start,
                    f,
                    s,
                    &mut self.sums,
                )
                .map_err(bad_period(self.fast))?;
            }
            Averages::Exponential(fast_ma, slow_ma) => {
                let piece = &self.close[start..start + len];
                for ((x, f), s) in piece.iter().zip(f.iter_mut()).zip(s.iter_mut()) {
                    *f = fast_ma.update(*x).unwrap_or(f64::NAN);
                    *s = slow_ma.update(*x).unwrap_or(f64::NAN);
                }
            }
        }
        cross_signal_bits_piece(f, s, &mut self.state, entries, exits);
        Ok(len)
    }
}

/// The crossover's error for an average of `period` bars.
fn bad_period(period: usize) -> impl Fn(IndicatorError) -> ParamError {
    move |e| ParamError::new(NAME, "period", period, e.to_string())
}
