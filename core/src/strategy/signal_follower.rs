//! Signal follower, long-only spot: trades external scores in `[-1, 1]` (news sentiment, a
//! model's prediction, an AI provider's view) delivered as [`Signal`] events.
//!
//! # Sources
//! Sources are told apart by their `source` name. The first `sources` distinct names the
//! strategy sees (in order of arrival, over all symbols) are its members; signals from any
//! other name are ignored. With `sources = 1` the first source seen decides alone. Each
//! member's latest score is kept per symbol; a score counts only while it is younger than
//! `max_age_minutes` against `ctx.ts` (age `ctx.ts - signal.ts < max_age`).
//!
//! # Rules (per symbol)
//! Of the members' fresh latest scores, `bullish` is how many are `>= entry_threshold` and
//! `bearish` how many are `<= exit_threshold`.
//! - Exit: when long, with no sell order of the symbol open, and `bearish >=
//!   min_agreement`: a market sell of the whole position.
//! - Entry: when flat, with no order of the symbol open, `bullish >= min_agreement`,
//!   `bearish < min_agreement` (bearish agreement blocks entries) and at least
//!   `cooldown_minutes` since the last exit: a market buy of `order_size` of the available
//!   capital.
//!
//! The last exit is the time of the strategy's own exit decision or of any sell fill of the
//! symbol (so exits by the risk layer's stops start the cooldown too), whichever is later.
//!
//! # When it decides
//! On every member signal for the symbol, and again on every bar of the symbol. The bar
//! re-evaluation handles time passing: a score that went stale stops counting at once, an
//! entry held back by the cooldown (or by an open order) happens on the first bar after it
//! ends if the scores are still fresh, and never if they went stale. A position is held while
//! the scores go stale: only bearish agreement (or the risk layer) exits it.
//!
//! # Parameters
//! `sources`, `min_agreement` (at most `sources`), `entry_threshold` and `exit_threshold`
//! (in `[-1, 1]`, exit below entry), `max_age_minutes`, `cooldown_minutes`, `order_size`.
//!
//! # Vectorised form
//! None (`signals: None`): a [`super::SignalFn`] receives bar columns only, and the scores
//! are a separate, irregular column (their own timestamps and sources). A vectorised form
//! needs a signal-column input the backtester does not have yet.

use std::collections::BTreeMap;

use super::params::{ParamError, ParamSpec, Params, StrategySchema};
use super::registry::StrategyEntry;
use super::{Context, Intent, Size, Strategy};
use crate::engine::Signal;
use crate::types::{Bar, Fill, Side, Symbol, Timestamp};

const NAME: &str = "signal_follower";
const MINUTE_MS: i64 = 60_000;

/// The registry entry of the signal follower.
#[must_use]
pub fn entry() -> StrategyEntry {
    StrategyEntry {
        schema: StrategySchema {
            name: NAME,
            description: "Signal follower (long-only): buy when enough sources' fresh scores \
                          reach the entry threshold, sell all when enough fall to the exit \
                          threshold.",
            params: vec![
                ParamSpec::int(
                    "sources",
                    1,
                    1,
                    16,
                    "Distinct sources followed: the first this many names seen",
                ),
                ParamSpec::int(
                    "min_agreement",
                    1,
                    1,
                    16,
                    "How many sources' latest scores must agree to enter or exit",
                ),
                ParamSpec::float(
                    "entry_threshold",
                    0.5,
                    -1.0,
                    1.0,
                    "Buy when agreeing scores are at least this",
                ),
                ParamSpec::float(
                    "exit_threshold",
                    -0.2,
                    -1.0,
                    1.0,
                    "Sell all when agreeing scores are at most this (below entry)",
                ),
                ParamSpec::int(
                    "max_age_minutes",
                    60,
                    1,
                    10_080,
                    "A score counts only while younger than this many minutes",
                ),
                ParamSpec::int(
                    "cooldown_minutes",
                    0,
                    0,
                    10_080,
                    "No new entry within this many minutes after the last exit",
                ),
                ParamSpec::order_size(1.0),
            ],
        },
        check: check_params,
        build: |params, _| Ok(Box::new(SignalFollower::new(params)?)),
        signals: None,
    }
}

fn check_params(params: &Params) -> Result<(), ParamError> {
    let sources = params.int(NAME, "sources")?;
    let agreement = params.int(NAME, "min_agreement")?;
    if agreement > sources {
        return Err(ParamError::new(
            NAME,
            "min_agreement",
            agreement,
            format!("must be at most sources ({sources})"),
        ));
    }
    let entry = params.float(NAME, "entry_threshold")?;
    let exit = params.float(NAME, "exit_threshold")?;
    if exit >= entry {
        return Err(ParamError::new(
            NAME,
            "exit_threshold",
            exit,
            format!("must be less than entry_threshold ({entry})"),
        ));
    }
    Ok(())
}

/// A source's latest score.
#[derive(Debug, Clone, Copy)]
struct Score {
    ts: Timestamp,
    value: f64,
}

/// Per-symbol state: the members' latest scores and the last exit.
#[derive(Debug, Clone, Default)]
struct Track {
    scores: BTreeMap<String, Score>,
    last_exit: Option<Timestamp>,
}

/// The signal follower.
#[derive(Debug, Clone)]
pub struct SignalFollower {
    sources: usize,
    min_agreement: usize,
    entry: f64,
    exit: f64,
    max_age_ms: i64,
    cooldown_ms: i64,
    order_size: f64,
    /// The source names followed, in order of first arrival (at most `sources`).
    members: Vec<String>,
    tracks: BTreeMap<Symbol, Track>,
}

impl SignalFollower {
    /// A signal follower from resolved parameters.
    pub fn new(params: &Params) -> Result<Self, ParamError> {
        check_params(params)?;
        Ok(Self {
            sources: params.usize(NAME, "sources")?,
            min_agreement: params.usize(NAME, "min_agreement")?,
            entry: params.float(NAME, "entry_threshold")?,
            exit: params.float(NAME, "exit_threshold")?,
            max_age_ms: params
                .int(NAME, "max_age_minutes")?
                .saturating_mul(MINUTE_MS),
            cooldown_ms: params
                .int(NAME, "cooldown_minutes")?
                .saturating_mul(MINUTE_MS),
            order_size: params.float(NAME, "order_size")?,
            members: Vec::new(),
            tracks: BTreeMap::new(),
        })
    }

    /// The source names followed so far, in order of first arrival.
    #[must_use]
    pub fn members(&self) -> &[String] {
        &self.members
    }

    /// Whether `source` is followed, admitting it while there is room.
    fn admit(&mut self, source: &str) -> bool {
        if self.members.iter().any(|m| m == source) {
            return true;
        }
        if self.members.len() < self.sources {
            self.members.push(source.to_owned());
            return true;
        }
        false
    }

    /// Applies the entry and exit rules to `symbol` at `ctx.ts`.
    fn decide(&mut self, ctx: &Context<'_>, symbol: &Symbol, intents: &mut Vec<Intent>) {
        let Some(track) = self.tracks.get_mut(symbol) else {
            return;
        };
        let now = ctx.ts.millis();
        let fresh = || {
            track
                .scores
                .values()
                .filter(|s| now.saturating_sub(s.ts.millis()) < self.max_age_ms)
        };
        let bullish = fresh().filter(|s| s.value >= self.entry).count();
        let bearish = fresh().filter(|s| s.value <= self.exit).count();
        let agree = self.min_agreement;
        if ctx.is_long(symbol) {
            if bearish >= agree && ctx.open_orders_on(symbol, Side::Sell).next().is_none() {
                intents.push(Intent::market_sell(symbol, Size::PositionShare(1.0)));
                track.last_exit = Some(ctx.ts.max(track.last_exit.unwrap_or(ctx.ts)));
            }
            return;
        }
        let cooled = track
            .last_exit
            .is_none_or(|t| now.saturating_sub(t.millis()) >= self.cooldown_ms);
        if bullish >= agree && bearish < agree && cooled && !ctx.has_open_orders(symbol) {
            intents.push(Intent::market_buy(
                symbol,
                Size::WalletShare(self.order_size),
            ));
        }
    }
}

impl Strategy for SignalFollower {
    fn on_bar(
        &mut self,
        ctx: &Context<'_>,
        symbol: &Symbol,
        _bar: &Bar,
        intents: &mut Vec<Intent>,
    ) {
        self.decide(ctx, symbol, intents);
    }

    fn on_signal(&mut self, ctx: &Context<'_>, signal: &Signal, intents: &mut Vec<Intent>) {
        if !self.admit(&signal.source) {
            return;
        }
        let track = self.tracks.entry(signal.symbol.clone()).or_default();
        track.scores.insert(
            signal.source.clone(),
            Score {
                ts: signal.ts,
                value: signal.value,
            },
        );
        self.decide(ctx, &signal.symbol, intents);
    }

    fn on_fill(&mut self, _ctx: &Context<'_>, fill: &Fill, _intents: &mut Vec<Intent>) {
        if fill.side == Side::Sell {
            let track = self.tracks.entry(fill.symbol.clone()).or_default();
            track.last_exit = Some(fill.ts.max(track.last_exit.unwrap_or(fill.ts)));
        }
    }
}

#[cfg(test)]
mod tests;
