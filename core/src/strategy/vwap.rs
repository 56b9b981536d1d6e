//! VWAP execution: buy or sell `target_quantity` base units over `duration_minutes` in
//! `slices` market-order slices whose sizes follow the volume profile observed before the
//! window, each sent only while the price is on the right side of the rolling VWAP.
//!
//! # Rules
//!
//! - **Symbol, window, slice times, order sizing, carry-over, end of the window, sells
//!   capped at what is held, buys sized for the taker fee**: as in [`super::twap`] (the
//!   two share their order book-keeping: orders bring the executed quantity — the sum of
//!   the strategy's fills — up to what is due, never past the target).
//! - **Profile.** The strategy first observes `profile_bars` bars of its symbol (history
//!   fed before the bot runs counts; the latest `profile_bars` are kept); the window starts
//!   at the next bar seen while the bot is running (`t0`). Each profile bar is assigned to a slice slot by its
//!   position in a cycle of the window's length aligned on `t0`: with
//!   `offset = (ts − t0) mod D` (D = `duration_minutes`, in ms), the slot is the slice `k`
//!   whose period `[t0 + floor(k·D/slices), t0 + floor((k+1)·D/slices))` contains
//!   `t0 + offset`. The weight of slot `k` is the mean volume of its profile bars (a slot
//!   without profile bars gets the mean volume of all of them; if every weight is zero the
//!   weights are equal). So with a 60-minute window in 12 slices and 240 one-minute
//!   profile bars, the weight of slice `k` is the mean volume over the previous four hours
//!   of the bars at the same minutes of the hour as slice `k`.
//!   The profile is fixed when the window starts and uses only bars before it: volumes
//!   inside the window never change the sizes.
//! - **Quantities.** Up to and including slice `k` the quantity due is
//!   `target × (w_0 + .. + w_k) / (w_0 + .. + w_{slices−1})`, the last slice's due being
//!   the whole target. Orders are `due − executed`, rounded down to the quantity step.
//! - **VWAP gate.** The rolling VWAP ([`crate::indicators::Vwap`], typical price, over the
//!   last `vwap_window` bars including the current one) gates every slice: a buy slice is
//!   sent only while `close ≤ vwap × (1 + tolerance)`, a sell slice only while
//!   `close ≥ vwap × (1 − tolerance)`. A blocked slice is carried over to the next slice
//!   (a window without volume has no VWAP and blocks too).
//!
//! # Parameters
//!
//! `side`, `target_quantity`, `duration_minutes`, `slices` (at most `duration_minutes`),
//! `profile_bars`, `vwap_window` (at most `profile_bars`, so the VWAP is ready when the
//! window starts), `tolerance`.
//!
//! # Vectorised form
//!
//! None: an execution algorithm, sized from fills and holdings in slices (see
//! [`super::twap`]); the long-only entry/exit columns cannot express it.

use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

use super::params::{ParamError, ParamSpec, Params, StrategySchema};
use super::registry::StrategyEntry;
use super::twap::{Execution, check_execution, execution_params, slices_reached};
use super::{Context, Intent, Strategy};
use crate::indicators::Vwap;
use crate::types::{Bar, Fill, Side, Symbol, Timestamp};

#[cfg(test)]
mod tests;

const NAME: &str = "vwap";

/// The registry entry of the VWAP strategy.
#[must_use]
pub fn entry() -> StrategyEntry {
    let mut params = execution_params();
    params.extend([
        ParamSpec::int(
            "profile_bars",
            240,
            1,
            100_000,
            "Bars observed before the window starts, to build the volume profile",
        ),
        ParamSpec::int(
            "vwap_window",
            60,
            1,
            100_000,
            "Bars in the rolling VWAP that gates each slice",
        ),
        ParamSpec::float(
            "tolerance",
            0.001,
            0.0,
            0.5,
            "Share above (buys) or below (sells) the VWAP at which slices still go out",
        ),
    ]);
    StrategyEntry {
        schema: StrategySchema {
            name: NAME,
            description: "VWAP execution: buy or sell a target quantity in market-order slices \
                          sized by the past volume profile, only while the price is on the \
                          right side of the rolling VWAP.",
            params,
        },
        check: check_params,
        build: |params, _| Ok(Box::new(VwapExecution::new(params)?)),
        signals: None,
    }
}

fn check_params(params: &Params) -> Result<(), ParamError> {
    check_execution(NAME, params)?;
    let profile = params.int(NAME, "profile_bars")?;
    let window = params.int(NAME, "vwap_window")?;
    if window > profile {
        return Err(ParamError::new(
            NAME,
            "vwap_window",
            window,
            format!(
                "must be at most profile_bars ({profile}) so the VWAP is ready when the window starts"
            ),
        ));
    }
    Ok(())
}

/// The weight of each of `slices` slots: the mean volume of the profile bars `(ts, volume)`
/// in that slot, for a window of `duration_ms` starting at `start` (see the module docs).
fn slot_weights(
    profile: &[(Timestamp, f64)],
    start: Timestamp,
    duration_ms: i64,
    slices: usize,
) -> Vec<Decimal> {
    let mut sums = vec![0.0_f64; slices];
    let mut counts = vec![0_u32; slices];
    for &(ts, volume) in profile {
        let offset = ts
            .millis()
            .saturating_sub(start.millis())
            .rem_euclid(duration_ms.max(1));
        let slot = slices_reached(offset, duration_ms, slices).saturating_sub(1);
        if let (Some(sum), Some(count)) = (sums.get_mut(slot), counts.get_mut(slot)) {
            *sum += volume;
            *count += 1;
        }
    }
    let bars: u32 = counts.iter().sum();
    let overall = if bars > 0 {
        sums.iter().sum::<f64>() / f64::from(bars)
    } else {
        0.0
    };
    let weights: Vec<Decimal> = sums
        .iter()
        .zip(&counts)
        .map(|(sum, &count)| {
            let mean = if count > 0 {
                sum / f64::from(count)
            } else {
                overall
            };
            Decimal::from_f64(mean)
                .filter(|w| *w > Decimal::ZERO)
                .unwrap_or(Decimal::ZERO)
        })
        .collect();
    if weights.iter().all(Decimal::is_zero) {
        vec![Decimal::ONE; slices]
    } else {
        weights
    }
}

/// The VWAP execution strategy.
#[derive(Debug, Clone)]
pub struct VwapExecution {
    execution: Execution,
    profile_bars: usize,
    tolerance: f64,
    vwap: Vwap,
    /// Profile bars `(ts, volume)` until the window starts.
    profile: Vec<(Timestamp, f64)>,
    /// Sum of the slot weights of the first `k` slices, index `k` (set when the window
    /// starts); the last is the total.
    cumulative: Vec<Decimal>,
}

impl VwapExecution {
    /// A VWAP execution from resolved parameters.
    pub fn new(params: &Params) -> Result<Self, ParamError> {
        check_params(params)?;
        let window = params.usize(NAME, "vwap_window")?;
        Ok(Self {
            execution: Execution::new(NAME, params)?,
            profile_bars: params.usize(NAME, "profile_bars")?,
            tolerance: params.float(NAME, "tolerance")?,
            vwap: Vwap::new(window)
                .map_err(|e| ParamError::new(NAME, "vwap_window", window, e.to_string()))?,
            profile: Vec::new(),
            cumulative: Vec::new(),
        })
    }

    /// The quantity due after `reached` slices: the target times the share of the profile
    /// weight in those slices (multiplied before dividing, so exact ratios stay exact); the
    /// whole target after the last slice.
    fn due(&self, reached: usize) -> Option<Decimal> {
        let target = self.execution.target();
        if reached >= self.execution.slices() {
            return Some(target);
        }
        let (Some(done), Some(total)) = (self.cumulative.get(reached), self.cumulative.last())
        else {
            return None;
        };
        target.checked_mul(*done)?.checked_div(*total)
    }

    /// Whether the VWAP gate lets a slice out at `close`.
    fn gate_open(&self, close: f64) -> bool {
        let Some(vwap) = self.vwap.value().filter(|v| v.is_finite()) else {
            return false;
        };
        match self.execution.side() {
            Side::Buy => close <= vwap * (1.0 + self.tolerance),
            Side::Sell => close >= vwap * (1.0 - self.tolerance),
        }
    }
}

impl Strategy for VwapExecution {
    fn on_bar(&mut self, ctx: &Context<'_>, symbol: &Symbol, bar: &Bar, intents: &mut Vec<Intent>) {
        if !self.execution.accepts(ctx, symbol) {
            return;
        }
        self.vwap.update(bar.high, bar.low, bar.close, bar.volume);
        if !self.execution.started() {
            // History before the bot trades builds the profile (its latest bars are kept).
            if self.profile.len() < self.profile_bars || !ctx.trading {
                self.profile.push((bar.ts, bar.volume));
                if self.profile.len() > self.profile_bars {
                    self.profile.remove(0);
                }
                return;
            }
            self.execution.start(bar.ts);
            let weights = slot_weights(
                &self.profile,
                bar.ts,
                self.execution.duration_ms(),
                self.execution.slices(),
            );
            self.cumulative = std::iter::once(Decimal::ZERO)
                .chain(weights.iter().scan(Decimal::ZERO, |sum, w| {
                    *sum += *w;
                    Some(*sum)
                }))
                .collect();
            self.profile = Vec::new();
        }
        let Some(reached) = self.execution.new_slices(bar.ts) else {
            return;
        };
        if !self.gate_open(bar.close) {
            return;
        }
        let due = self.due(reached);
        if let Some(intent) = due.and_then(|due| self.execution.order(ctx, symbol, bar.close, due))
        {
            intents.push(intent);
        }
    }

    fn on_fill(&mut self, ctx: &Context<'_>, fill: &Fill, _intents: &mut Vec<Intent>) {
        self.execution.on_fill(ctx, fill);
    }
}
