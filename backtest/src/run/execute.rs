//! Running a spec: bars from the store, the chosen tier, statistics and the fingerprint.

use serde::{Deserialize, Serialize};
use vela_core::engine::BotConfig;
use vela_core::money::rounding::to_f64;
use vela_core::risk::{Limit, RiskConfig, Sizing as RiskSizing};
use vela_core::strategy::{ParamValue, Registry};
use vela_core::types::Timestamp;
use vela_data::BarFrame;
use vela_data::store::{DatasetId, Store, TimeRange, frame_hash};

use super::error::RunError;
use super::fingerprint::{Fingerprint, config_hash, trades_hash};
use super::spec::{BacktestSpec, Intrabar, Tier};
use crate::event::{self, EventConfig, History};
use crate::result::RunResult;
use crate::stats;
use crate::vector::{
    IntrabarOrder, Market, Orders, Simulator, Sizing, Stops, TakeProfitFill, VectorConfig,
};

/// How the run's orders fared (both tiers; a count a tier does not have stays 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderSummary {
    /// Orders sent to the (simulated) exchange (event tier).
    pub submitted: usize,
    /// Fills.
    pub fills: usize,
    /// Intents the risk gate denied (event tier).
    pub denied: usize,
    /// Orders the exchange rejected (event tier).
    pub rejected: usize,
    /// Orders not sent: below the instrument's minimum quantity or notional, or short of
    /// cash (vector tier).
    pub refused: usize,
}

/// What a run was and did, besides its statistics (the `run` section of `stats.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSummary {
    /// The strategy's name.
    pub strategy: String,
    /// Its parameters, defaults included: `fast=50, slow=200, ma="sma", ...`.
    pub params: String,
    /// The dataset read.
    pub dataset: String,
    /// The tier that ran.
    pub tier: Tier,
    /// The bar interval, ms.
    pub interval_ms: i64,
    /// Bars read.
    pub bars: usize,
    /// Open time of the first bar, ms UTC.
    pub first_ts: i64,
    /// Open time of the last bar, ms UTC.
    pub last_ts: i64,
    /// Equity before the first bar (the bot's budget), quote asset.
    pub initial_equity: f64,
    /// Equity after the last bar, quote asset.
    pub final_equity: f64,
    /// The quote asset.
    pub quote: String,
    /// Order outcomes.
    pub orders: OrderSummary,
}

/// Everything a run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// The bot as it ran: the one given, with every strategy parameter written out
    /// (defaults included), so its `bot.toml` means the same whatever later versions
    /// choose as defaults, and the same run spelled with or without default values has one
    /// fingerprint.
    pub bot: BotConfig,
    /// Trades, equity curve, statistics.
    pub result: RunResult,
    /// What ran.
    pub summary: RunSummary,
    /// Configuration, data and trades hashes.
    pub fingerprint: Fingerprint,
}

/// Runs `bot` as `spec` says over the store's bars. `progress(done, total)` hears how many
/// bars the event tier has replayed (it cannot change the run).
pub fn run(
    store: &Store,
    registry: &Registry,
    bot: &BotConfig,
    spec: &BacktestSpec,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<RunOutcome, RunError> {
    spec.validate()?;
    let id = spec.data.dataset_id()?;
    check_dataset(store, &id)?;
    check_instruments(bot, &id)?;
    let frame = read_bars(store, &id, spec)?;
    run_frame(registry, bot, spec, &frame, progress)
}

/// Runs `bot` as `spec` says over `frame`, bars already in memory (a researcher's
/// `DataFrame`, generated bars): `spec.data` names them (its dataset, e.g.
/// `frame/BTCUSDT/1m`, and interval) but is not read, and its time range is not applied.
/// The frame must hold at least one bar and pass vela-data's validation; its content
/// hash is the fingerprint's data hash, as for stored bars.
pub fn run_frame(
    registry: &Registry,
    bot: &BotConfig,
    spec: &BacktestSpec,
    frame: &BarFrame,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<RunOutcome, RunError> {
    spec.validate()?;
    bot.validate()
        .map_err(vela_core::engine::BotConfigError::from)?;
    let mut resolved = bot.clone();
    resolved.strategy.params = registry.resolve(&bot.strategy)?;
    let bot = &resolved;
    let id = spec.data.dataset_id()?;
    check_instruments(bot, &id)?;
    if frame.is_empty() {
        return Err(RunError::InvalidData {
            dataset: id.to_string(),
            detail: "no bars".to_owned(),
        });
    }
    frame.validate().map_err(|e| RunError::InvalidData {
        dataset: id.to_string(),
        detail: e.to_string(),
    })?;
    let interval_ms = id
        .interval()
        .millis()
        .unwrap_or_else(|| stats::bar_interval_ms(&frame.ts).unwrap_or(60_000));
    let initial = to_f64(bot.budget);
    let (result, orders) = match spec.tier {
        Tier::Event => run_event(registry, bot, spec, frame, interval_ms, progress)?,
        Tier::Vector => run_vector(registry, bot, spec, frame, interval_ms)?,
    };
    let fingerprint = Fingerprint {
        config: config_hash(&bot.to_toml_string()?, &spec.canonical_toml()?),
        data: frame_hash(frame),
        trades: trades_hash(&result.trades),
    };
    let summary = RunSummary {
        strategy: bot.strategy.name.clone(),
        params: bot
            .strategy
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", "),
        dataset: id.to_string(),
        tier: spec.tier,
        interval_ms,
        bars: frame.len(),
        first_ts: frame.ts.first().copied().unwrap_or(0),
        last_ts: frame.ts.last().copied().unwrap_or(0),
        initial_equity: initial,
        final_equity: result.equity.equity.last().copied().unwrap_or(initial),
        quote: bot
            .instruments
            .first()
            .map(|i| i.quote.as_str().to_owned())
            .unwrap_or_default(),
        orders,
    };
    Ok(RunOutcome {
        bot: resolved,
        result,
        summary,
        fingerprint,
    })
}

/// Whether the store holds `id`; the error lists what it holds.
pub fn check_dataset(store: &Store, id: &DatasetId) -> Result<(), RunError> {
    if store.contains(id)? {
        return Ok(());
    }
    let known: Vec<String> = store.datasets()?.iter().map(ToString::to_string).collect();
    Err(RunError::UnknownDataset {
        dataset: id.to_string(),
        root: store.root().to_path_buf(),
        known: if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        },
    })
}

/// One instrument, the dataset's symbol.
fn check_instruments(bot: &BotConfig, id: &DatasetId) -> Result<(), RunError> {
    match bot.instruments.as_slice() {
        [one] if one.symbol.as_str() == id.symbol() => Ok(()),
        [one] => Err(RunError::Instrument(format!(
            "the bot trades {} but dataset {id} holds {} bars",
            one.symbol.as_str(),
            id.symbol()
        ))),
        many => Err(RunError::Instrument(format!(
            "the bot trades {} instruments; a backtest over one dataset trades exactly one ({})",
            many.len(),
            id.symbol()
        ))),
    }
}

/// The bars of the spec's range, checked: at least one, valid.
/// The bars of `id` in `spec`'s range: an empty range or invalid bars are errors that name
/// the dataset (and, when empty, what it covers).
pub fn read_bars(store: &Store, id: &DatasetId, spec: &BacktestSpec) -> Result<BarFrame, RunError> {
    let range = spec.data.range();
    let frame = store.read(id, range)?;
    if frame.is_empty() {
        let info = store.info(id)?;
        let coverage = if info.rows == 0 {
            "it holds no bars".to_owned()
        } else {
            format!(
                "it covers {} to {}",
                Timestamp(info.first_ts),
                Timestamp(info.last_ts)
            )
        };
        return Err(RunError::EmptyRange {
            dataset: id.to_string(),
            range: describe_range(range),
            coverage,
        });
    }
    frame.validate().map_err(|e| RunError::InvalidData {
        dataset: id.to_string(),
        detail: e.to_string(),
    })?;
    Ok(frame)
}

fn describe_range(range: TimeRange) -> String {
    let end = |ts: i64, open: i64, word: &str| {
        if ts == open {
            word.to_owned()
        } else {
            Timestamp(ts).to_string()
        }
    };
    format!(
        "[{}, {})",
        end(range.start, i64::MIN, "start"),
        end(range.end, i64::MAX, "end")
    )
}

fn run_event(
    registry: &Registry,
    bot: &BotConfig,
    spec: &BacktestSpec,
    frame: &BarFrame,
    interval_ms: i64,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(RunResult, OrderSummary), RunError> {
    let symbol = bot.instruments[0].symbol.clone();
    let history = History::from_frames([(symbol, frame)])?;
    let config = EventConfig {
        bot: bot.clone(),
        exchange: spec.exchange.sim_config(),
        timers: spec.exchange.timers,
    };
    let run = event::run_with_progress(registry, &config, &history, progress)?;
    let mut result = run.result;
    result.stats = stats::compute(
        &result.trades,
        &result.equity,
        to_f64(bot.budget),
        interval_ms,
    );
    let orders = OrderSummary {
        submitted: run.counts.submitted,
        fills: run.counts.fills,
        denied: run.counts.denied,
        rejected: run.counts.rejected,
        refused: 0,
    };
    Ok((result, orders))
}

fn run_vector(
    registry: &Registry,
    bot: &BotConfig,
    spec: &BacktestSpec,
    frame: &BarFrame,
    interval_ms: i64,
) -> Result<(RunResult, OrderSummary), RunError> {
    let config = vector_config(bot, spec)?;
    let columns = frame.columns();
    let signals = registry
        .signals(&bot.strategy, &columns)?
        .ok_or_else(|| RunError::NoVectorForm(bot.strategy.name.clone()))?;
    let market = Market::with_interval(columns, interval_ms)?;
    let run = Simulator::new(config)?.run(&market, Orders::from(&signals))?;
    let refused = run.refused;
    let fills = run
        .result
        .trades
        .iter()
        .map(|t| 1 + usize::from(t.exit_reason != crate::ExitReason::EndOfData))
        .sum();
    let orders = OrderSummary {
        fills,
        refused: refused.below_min_quantity
            + refused.below_min_notional
            + refused.insufficient_cash
            + refused.zero_price,
        ..OrderSummary::default()
    };
    Ok((run.result, orders))
}

/// The vectorised tier's configuration for `bot`: its instrument (precision, minimums,
/// fees), budget, risk exits as bar-level stops and its sizing. Risk settings the vector
/// tier does not model are refused by key (use the event tier for them).
pub fn vector_config(bot: &BotConfig, spec: &BacktestSpec) -> Result<VectorConfig, RunError> {
    let unsupported = |key: &'static str, hint: &'static str| RunError::Unsupported {
        key,
        tier: Tier::Vector,
        hint,
    };
    let event_only = "the event tier runs the full risk layer: use --tier event";
    if let Some(ParamValue::Float(share)) = bot.strategy.params.get("order_size")
        && *share < 1.0
    {
        return Err(unsupported(
            "strategy.params.order_size",
            "the vector tier enters with all free cash (order_size = 1); a smaller share needs --tier event",
        ));
    }
    if !bot.compound {
        return Err(unsupported(
            "compound",
            "the vector tier reinvests profits (entries spend the free cash); set compound = true or use --tier event",
        ));
    }
    if bot.running_time_ms.is_some() {
        return Err(unsupported("running_time_ms", event_only));
    }
    let risk: &RiskConfig = &bot.risk;
    for (key, set) in [
        ("risk.max_drawdown", risk.max_drawdown.is_some()),
        ("risk.daily_loss", risk.daily_loss.is_some()),
        ("risk.weekly_loss", risk.weekly_loss.is_some()),
        ("risk.breaker", risk.breaker.is_some()),
        (
            "risk.max_position_notional",
            risk.max_position_notional.is_some(),
        ),
        ("risk.max_exposure", risk.max_exposure.is_some()),
        ("risk.order_rate", risk.order_rate.is_some()),
        ("risk.price_band", risk.price_band.is_some()),
    ] {
        if set {
            return Err(unsupported(key, event_only));
        }
    }
    let stop_loss = match risk.stop_loss {
        None => None,
        Some(Limit::Percent(p)) => Some(p),
        Some(Limit::Absolute(_)) => {
            return Err(unsupported(
                "risk.stop_loss.absolute",
                "the vector tier's stop loss is a share of the entry price: use { percent = ... } or --tier event",
            ));
        }
    };
    let take_profit = match risk.take_profit.as_slice() {
        [] => None,
        [one] if (one.fraction - 1.0).abs() < 1e-12 => Some(one.gain),
        _ => {
            return Err(unsupported(
                "risk.take_profit",
                "the vector tier takes profit on the whole position at one level; partial targets need --tier event",
            ));
        }
    };
    let sizing = match risk.sizing {
        RiskSizing::FixedFraction { fraction } if fraction >= 1.0 => Sizing::AllIn,
        RiskSizing::FixedFraction { fraction } => Sizing::FractionOfEquity(fraction),
        RiskSizing::Kelly { .. } => return Err(unsupported("risk.sizing", event_only)),
    };
    let mut config = VectorConfig::new(bot.instruments[0].clone(), to_f64(bot.budget));
    config.slippage_bps = spec.exchange.slippage_bps;
    config.fill = spec.exchange.fill.into();
    config.stops = Stops {
        stop_loss,
        take_profit,
        trailing_stop: risk.trailing_stop,
        intrabar: match spec.exchange.intrabar {
            Intrabar::Pessimistic => IntrabarOrder::Pessimistic,
            Intrabar::Optimistic => IntrabarOrder::Optimistic,
        },
        take_profit_fill: TakeProfitFill::Market,
    };
    config.sizing = sizing;
    Ok(config)
}
