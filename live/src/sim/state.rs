//! The simulator's state, free of I/O: the bar replay, the accounts and the synthetic
//! market. The REST handlers and the stepping task lock it, call a method, and publish
//! the [`Outgoing`] values it returns.
//!
//! # Time
//! Two clocks, kept apart:
//! - the **market clock** is the replay: the bar *in progress*. [`SimState::step`]
//!   completes it (orders working against it fill, its trades and final kline are pushed)
//!   and opens the next (its first kline, the book moved to its open). Fills, order times
//!   and trades are stamped on this clock, so a run gives the same records however fast
//!   it is replayed;
//! - the **wall clock** (passed in by the server) checks request timestamps against
//!   `recvWindow` and stamps `serverTime`, as MEXC does.
//!
//! An order placed while bar *i* is in progress reaches the simulated exchange before bar
//! *i* is matched, so with next-open fills it takes at bar *i*'s open — exactly where the
//! backtester's event tier fills a decision made on bar *i − 1*'s close. A client that
//! treats a kline with a new `windowStart` as "the previous bar is final" (the only way to
//! know with MEXC, reference §5.4) decides at that moment, so its orders line up with the
//! backtest bar for bar.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use vela_core::sim::{SimConfig, SimExchange};
use vela_core::types::{Bar, ClientOrderId, Instrument, OrderRequest, Symbol, Timestamp};

use super::account::{Account, ApiError, OrderRecord};
use super::outgoing::Outgoing;
use super::synth::{MarketSynth, deals};
use crate::secret::mask;

/// An account to create: its key, secret and starting balances.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountSetup {
    /// API access key.
    pub api_key: String,
    /// API secret.
    pub secret: String,
    /// Starting balances (all free), e.g. `[("USDT", 10000)]`.
    pub balances: Vec<(String, Decimal)>,
}

impl std::fmt::Debug for AccountSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountSetup")
            .field("api_key", &self.api_key)
            .field("secret", &"<redacted>")
            .field("balances", &self.balances)
            .finish()
    }
}

/// Everything the simulator replays and serves.
#[derive(Debug, Clone)]
pub struct SimSetup {
    /// Listed instruments (one per replayed symbol at least).
    pub instruments: Vec<Instrument>,
    /// Bars per symbol, each series in increasing time.
    pub series: Vec<(Symbol, Vec<Bar>)>,
    /// Length of one bar, ms.
    pub interval_ms: i64,
    /// How orders fill (the backtester's rules).
    pub fill: SimConfig,
    /// Accounts.
    pub accounts: Vec<AccountSetup>,
}

/// Why a setup was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("simulator setup: {0}")]
pub struct SetupError(pub String);

/// The simulator's state.
#[derive(Debug)]
pub struct SimState {
    instruments: BTreeMap<Symbol, Instrument>,
    series: BTreeMap<Symbol, Vec<Bar>>,
    times: Vec<i64>,
    /// Index into `times` of the bar in progress (`None` before the first step).
    current: Option<usize>,
    interval_ms: i64,
    accounts: BTreeMap<String, Account>,
    markets: BTreeMap<Symbol, MarketSynth>,
    /// Completed bars per symbol (what klines and tickers may show: no look-ahead).
    completed: BTreeMap<Symbol, usize>,
    generated_ids: u64,
}

impl SimState {
    /// Checks `setup` and builds the state (nothing opened yet).
    pub fn new(setup: SimSetup) -> Result<Self, SetupError> {
        if setup.interval_ms <= 0 {
            return Err(SetupError(format!(
                "interval {} ms must be positive",
                setup.interval_ms
            )));
        }
        let mut instruments = BTreeMap::new();
        for instrument in &setup.instruments {
            instrument
                .validate()
                .map_err(|e| SetupError(e.to_string()))?;
            instruments.insert(instrument.symbol.clone(), instrument.clone());
        }
        let mut series = BTreeMap::new();
        let mut times = Vec::new();
        for (symbol, bars) in setup.series {
            if !instruments.contains_key(&symbol) {
                return Err(SetupError(format!(
                    "no instrument for replayed symbol {symbol}"
                )));
            }
            for (i, bar) in bars.iter().enumerate() {
                bar.validate()
                    .map_err(|e| SetupError(format!("{symbol} bar {i}: {e}")))?;
                if i > 0 && bars[i - 1].ts >= bar.ts {
                    return Err(SetupError(format!(
                        "{symbol} bar {i}: time does not increase"
                    )));
                }
            }
            times.extend(bars.iter().map(|b| b.ts.millis()));
            series.insert(symbol, bars);
        }
        times.sort_unstable();
        times.dedup();
        if times.is_empty() {
            return Err(SetupError("no bars to replay".to_owned()));
        }
        let mut accounts = BTreeMap::new();
        for account in setup.accounts {
            let exchange = SimExchange::new(setup.fill, instruments.values().cloned())
                .map_err(|e| SetupError(e.to_string()))?;
            if accounts.contains_key(&account.api_key) {
                return Err(SetupError(format!(
                    "API key {} given twice",
                    mask(&account.api_key)
                )));
            }
            let key = account.api_key.clone();
            accounts.insert(
                key.clone(),
                Account::new(key, account.secret, &account.balances, exchange),
            );
        }
        let markets = instruments
            .iter()
            .map(|(s, i)| (s.clone(), MarketSynth::new(i)))
            .collect();
        Ok(Self {
            completed: series.keys().map(|s| (s.clone(), 0)).collect(),
            instruments,
            series,
            times,
            current: None,
            interval_ms: setup.interval_ms,
            accounts,
            markets,
            generated_ids: 0,
        })
    }

    /// Length of one bar, ms.
    #[must_use]
    pub fn interval_ms(&self) -> i64 {
        self.interval_ms
    }

    /// Open time of the bar in progress, ms (`None` before the first step and after the
    /// last bar).
    #[must_use]
    pub fn market_time(&self) -> Option<i64> {
        self.current.and_then(|i| self.times.get(i).copied())
    }

    /// Bar times left to open.
    #[must_use]
    pub fn remaining(&self) -> usize {
        match self.current {
            None if self.completed.values().all(|&n| n == 0) => self.times.len(),
            None => 0,
            Some(i) => self.times.len() - i - 1,
        }
    }

    /// Whether the replay has ended (the last bar completed).
    #[must_use]
    pub fn finished(&self) -> bool {
        self.current.is_none() && self.completed.values().any(|&n| n > 0)
    }

    /// The listed instruments.
    #[must_use]
    pub fn instruments(&self) -> &BTreeMap<Symbol, Instrument> {
        &self.instruments
    }

    /// The account of `api_key`.
    #[must_use]
    pub fn account(&self, api_key: &str) -> Option<&Account> {
        self.accounts.get(api_key)
    }

    /// The synthetic market of `symbol`.
    #[must_use]
    pub fn market(&self, symbol: &Symbol) -> Option<&MarketSynth> {
        self.markets.get(symbol)
    }

    /// The completed bars of `symbol` (nothing of the bar in progress).
    #[must_use]
    pub fn completed_bars(&self, symbol: &Symbol) -> &[Bar] {
        let n = self.completed.get(symbol).copied().unwrap_or(0);
        self.series
            .get(symbol)
            .map_or(&[], |bars| &bars[..n.min(bars.len())])
    }

    /// The bar in progress of `symbol` as far as it is known: its open only.
    #[must_use]
    pub fn bar_in_progress(&self, symbol: &Symbol) -> Option<Bar> {
        let t = self.market_time()?;
        // The next bar not yet completed, if it is the one at the market's time (a symbol
        // may have no bar at some times).
        let next = self.completed.get(symbol).copied().unwrap_or(0);
        let bar = self
            .series
            .get(symbol)?
            .get(next)
            .filter(|b| b.ts.millis() == t)?;
        Some(Bar {
            ts: bar.ts,
            open: bar.open,
            high: bar.open,
            low: bar.open,
            close: bar.open,
            volume: 0.0,
        })
    }

    /// The last price of `symbol`: the open of the bar in progress, else the last close.
    #[must_use]
    pub fn last_price(&self, symbol: &Symbol) -> Option<f64> {
        self.bar_in_progress(symbol)
            .map(|b| b.open)
            .or_else(|| self.completed_bars(symbol).last().map(|b| b.close))
    }

    /// Completes the bar in progress and opens the next; returns what to push. Does
    /// nothing once the replay has ended.
    pub fn step(&mut self) -> Vec<Outgoing> {
        let mut out = Vec::new();
        if self.finished() {
            return out;
        }
        if let Some(i) = self.current {
            let t = self.times[i];
            for (symbol, bars) in &self.series {
                // The next bar not yet completed, if it is the one at this time (no search:
                // each step moves every symbol's count by at most one bar).
                let index = self.completed.get(symbol).copied().unwrap_or(0);
                let Some(bar) = bars.get(index).filter(|b| b.ts.millis() == t) else {
                    continue;
                };
                // The orders working against this bar fill first: a market order placed
                // before the bar fills at its open, so its reports go out before the bar's
                // trades and its completed kline (the backtester's event tier delivers them
                // to the engine in the same order).
                for account in self.accounts.values_mut() {
                    if let Err(e) = account.on_bar(symbol, bar, &mut out) {
                        tracing::error!(symbol = %symbol, error = %e, "simulated exchange refused a bar");
                    }
                }
                out.push(Outgoing::Deals {
                    symbol: symbol.clone(),
                    deals: deals(bar, index, self.interval_ms),
                });
                out.push(Outgoing::Kline {
                    symbol: symbol.clone(),
                    bar: *bar,
                    interval_ms: self.interval_ms,
                });
                if let Some(n) = self.completed.get_mut(symbol) {
                    *n += 1;
                }
            }
        }
        let next = self.current.map_or(0, |i| i + 1);
        if next >= self.times.len() {
            self.current = None;
            return out;
        }
        self.current = Some(next);
        let symbols: Vec<Symbol> = self.series.keys().cloned().collect();
        for symbol in symbols {
            let Some(opening) = self.bar_in_progress(&symbol) else {
                continue;
            };
            if let Some(market) = self.markets.get_mut(&symbol) {
                market.open(&opening, &mut out);
            }
            out.push(Outgoing::Kline {
                symbol,
                bar: opening,
                interval_ms: self.interval_ms,
            });
        }
        out
    }

    /// Places an order for `api_key`. `client_id` `None` gets a generated id.
    pub fn place(
        &mut self,
        api_key: &str,
        mut request: OrderRequest,
        client_id: Option<ClientOrderId>,
        out: &mut Vec<Outgoing>,
    ) -> Result<OrderRecord, ApiError> {
        let instrument = self
            .instruments
            .get(&request.symbol)
            .cloned()
            .ok_or_else(|| ApiError::bad_request(-1121, "Invalid symbol."))?;
        let Some(now) = self.market_time() else {
            return Err(ApiError::bad_request(
                30010,
                "No valid trade price: the market is closed (replay not started or ended)",
            ));
        };
        request.ts = Timestamp(now);
        request.client_id = match client_id {
            Some(id) => id,
            None => {
                self.generated_ids += 1;
                ClientOrderId::new(format!("sim{}", self.generated_ids))
                    .map_err(|e| ApiError::bad_request(700008, e.to_string()))?
            }
        };
        let last = self.last_price(&request.symbol);
        let account = self
            .accounts
            .get_mut(api_key)
            .ok_or_else(|| ApiError::bad_request(10072, "Invalid access key"))?;
        account.place(request, &instrument, last, now, out)
    }

    /// Cancels one order of `api_key`.
    pub fn cancel(
        &mut self,
        api_key: &str,
        symbol: &Symbol,
        order_id: Option<&str>,
        client_id: Option<&str>,
        out: &mut Vec<Outgoing>,
    ) -> Result<OrderRecord, ApiError> {
        let now = self.clock_for_records();
        let account = self
            .accounts
            .get_mut(api_key)
            .ok_or_else(|| ApiError::bad_request(10072, "Invalid access key"))?;
        account.cancel(symbol, order_id, client_id, now, out)
    }

    /// Cancels every open order of `api_key` in `symbol`.
    pub fn cancel_all(
        &mut self,
        api_key: &str,
        symbol: &Symbol,
        out: &mut Vec<Outgoing>,
    ) -> Result<Vec<OrderRecord>, ApiError> {
        let now = self.clock_for_records();
        let account = self
            .accounts
            .get_mut(api_key)
            .ok_or_else(|| ApiError::bad_request(10072, "Invalid access key"))?;
        let open: Vec<String> = account
            .orders()
            .values()
            .filter(|r| &r.request.symbol == symbol && r.status.is_open())
            .map(|r| r.order_id.clone())
            .collect();
        open.iter()
            .map(|id| account.cancel(symbol, Some(id), None, now, out))
            .collect()
    }

    /// Time for records made outside a step: the bar in progress, else the last bar.
    fn clock_for_records(&self) -> i64 {
        self.market_time()
            .or_else(|| self.times.last().copied())
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use vela_core::sim::SimConfig;
    use vela_core::types::instrument::stubs;
    use vela_core::types::{Asset, Bar, Symbol, Timestamp};

    use super::*;

    fn bar(minute: i64, price: f64) -> Bar {
        Bar {
            ts: Timestamp(1_700_000_040_000 + minute * 60_000),
            open: price,
            high: price + 1.0,
            low: price - 1.0,
            close: price + 0.5,
            volume: 3.0,
        }
    }

    /// Symbols whose bars start late or skip a minute are stepped bar by bar without
    /// searching: each completes exactly its own bars, at their times.
    #[test]
    fn symbols_with_late_starts_and_gaps_complete_their_own_bars() {
        let btc = stubs::btcusdt();
        let mut eth = btc.clone();
        eth.symbol = Symbol::new("ETHUSDT").expect("symbol");
        eth.base = Asset::new("ETH").expect("asset");
        let btc_bars: Vec<Bar> = (0..5).map(|m| bar(m, 100.0 + m as f64)).collect();
        // ETH: starts at minute 1, no bar at minute 3.
        let eth_bars = vec![bar(1, 10.0), bar(2, 11.0), bar(4, 13.0)];
        let mut state = SimState::new(SimSetup {
            series: vec![
                (btc.symbol.clone(), btc_bars.clone()),
                (eth.symbol.clone(), eth_bars.clone()),
            ],
            instruments: vec![btc.clone(), eth.clone()],
            interval_ms: 60_000,
            fill: SimConfig::default(),
            accounts: Vec::new(),
        })
        .expect("setup");
        let mut seen = Vec::new();
        while !state.finished() {
            state.step();
            let t = state.market_time();
            seen.push((
                state.completed_bars(&btc.symbol).len(),
                state.completed_bars(&eth.symbol).len(),
                state.bar_in_progress(&eth.symbol).map(|b| b.open),
                t,
            ));
        }
        let counts: Vec<(usize, usize)> = seen.iter().map(|s| (s.0, s.1)).collect();
        assert_eq!(
            counts,
            [(0, 0), (1, 0), (2, 1), (3, 2), (4, 2), (5, 3)],
            "{seen:?}"
        );
        let eth_open: Vec<Option<f64>> = seen.iter().map(|s| s.2).collect();
        assert_eq!(
            eth_open,
            [None, Some(10.0), Some(11.0), None, Some(13.0), None]
        );
        assert_eq!(state.completed_bars(&eth.symbol), eth_bars.as_slice());
        assert_eq!(state.completed_bars(&btc.symbol), btc_bars.as_slice());
    }
}
