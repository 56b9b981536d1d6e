//! The checker: invariants around every single event an engine handles.

use super::*;

/// Everything observable of an engine, as text, to compare around refused and repeated
/// events.
pub(super) fn snapshot(e: &Engine) -> String {
    let state = (e.state(), e.pause_reason(), e.sequence());
    let books = (e.wallet(), e.open_orders(), e.trade_stats());
    format!(
        "{state:?} {books:?} {:?} {}",
        e.active_strategy(),
        e.equity()
    )
}

/// The order `command` submits, if it is a submit.
pub(super) fn submitted(command: &Command) -> Option<&OrderRequest> {
    match command {
        Command::Submit(order) => Some(order),
        _ => None,
    }
}

/// Checks the invariants around every single event an engine handles, and counts what
/// happened (for the coverage test).
#[derive(Debug)]
pub(super) struct Checker {
    pub(super) checks: &'static [Check],
    pub(super) bot: String,
    pub(super) compound: bool,
    pub(super) last_seq: u64,
    pub(super) killed: bool,
    pub(super) trade_ids: BTreeSet<String>,
    pub(super) seen: BTreeMap<String, usize>,
}

impl Checker {
    /// A checker for a bot configured as `config`.
    pub(super) fn new(config: &BotConfig, checks: &'static [Check]) -> Self {
        Self {
            checks,
            bot: config.bot_id.to_string(),
            compound: config.compound,
            last_seq: 0,
            killed: false,
            trade_ids: BTreeSet::new(),
            seen: BTreeMap::new(),
        }
    }

    /// Whether `check` is on.
    pub(super) fn on(&self, check: Check) -> bool {
        self.checks.contains(&check)
    }

    /// Counts one `what`.
    pub(super) fn saw(&mut self, what: String) {
        *self.seen.entry(what).or_default() += 1;
    }

    /// Feeds `event` to `engine` and checks what it did.
    pub(super) fn step(
        &mut self,
        engine: &mut Engine,
        event: &Event,
    ) -> Result<Vec<Command>, EngineError> {
        let (before, state, wallet) = (snapshot(engine), engine.state(), engine.wallet().clone());
        let result = engine.on_event(event).map(<[Command]>::to_vec);
        let Ok(commands) = &result else {
            assert_eq!(snapshot(engine), before, "refused {event:?} changed it");
            self.saw("refusals".to_owned());
            return result;
        };
        if let Event::Order(OrderReport::Filled { fill, partial }) = event {
            if self.trade_ids.insert(fill.trade_id.clone()) {
                self.saw(if *partial { "partial fills" } else { "fills" }.to_owned());
            } else {
                assert!(commands.is_empty(), "repeated {fill:?} gave {commands:?}");
                assert_eq!(snapshot(engine), before, "repeated {fill:?} changed it");
            }
        }
        self.count(commands);
        if self.on(Check::Wallet) {
            check_wallet(engine.wallet());
        }
        if self.on(Check::Budget) {
            check_budget(&wallet, commands);
        }
        if self.on(Check::Capital) && !self.compound {
            // The budget in effect: an operator may have changed it.
            let (cash, budget) = (engine.wallet().cash(), engine.wallet().budget());
            assert!(cash <= budget, "cash {cash} above the budget {budget}");
        }
        if self.on(Check::Ids) {
            self.check_ids(engine, commands);
        }
        if self.on(Check::States) {
            self.check_states(state, engine.state(), event, commands);
        }
        if self.on(Check::Sells) {
            check_sells(engine, commands);
        }
        result
    }

    /// Counts denials and alerts (by code) among `commands`.
    pub(super) fn count(&mut self, commands: &[Command]) {
        for command in commands {
            match command {
                Command::Denied(_) => self.saw("Denied".to_owned()),
                Command::Alert(alert) => self.saw(format!("{:?}", alert.code)),
                _ => {}
            }
        }
    }

    /// Property 3: ids are well formed and numbered 1, 2, 3… with no gap or repeat.
    pub(super) fn check_ids(&mut self, engine: &Engine, commands: &[Command]) {
        for order in commands.iter().filter_map(submitted) {
            let id = order.client_id.as_str();
            let ok = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
            assert!(id.len() <= 32 && id.bytes().all(ok), "malformed id {id}");
            self.last_seq += 1;
            assert_eq!(id, format!("{}-{}", self.bot, self.last_seq));
        }
        assert_eq!(engine.sequence(), self.last_seq);
    }

    /// Property 4: walks the state through the commands: submits only while running, never
    /// by or after a kill (so a kill never liquidates); a killed bot stays killed.
    pub(super) fn check_states(
        &mut self,
        from: BotState,
        to: BotState,
        event: &Event,
        out: &[Command],
    ) {
        let kill = matches!(
            event,
            Event::Control {
                control: Control::Kill { .. },
                ..
            }
        );
        let mut state = from;
        for command in out {
            match command {
                Command::State(change) => {
                    assert_eq!(change.from, state, "{change:?} does not chain");
                    state = change.to;
                }
                Command::Submit(order) => {
                    assert_eq!(state, BotState::Running, "{order:?} sent");
                    assert!(!self.killed && !kill, "{order:?} sent by or after a kill");
                }
                _ => {}
            }
        }
        assert_eq!(state, to, "the state changes in {out:?} do not lead there");
        assert!(!self.killed || to == BotState::Killed, "revived: {to:?}");
        self.killed |= to == BotState::Killed;
    }
}

/// Property 1: the wallet never goes negative.
pub(super) fn check_wallet(wallet: &Wallet) {
    let (cash, free, reserved) = (wallet.cash(), wallet.available(), wallet.reserved());
    let zero = Decimal::ZERO;
    let ok = cash >= zero && free >= zero && reserved >= zero && reserved <= cash;
    assert!(ok, "cash {cash}, available {free}, reserved {reserved}");
    for position in wallet.positions().values() {
        assert!(position.quantity() >= zero, "{position:?}");
    }
}

/// Property 2: each buy reserves at most what was available just before it (buys come from
/// bars, where nothing else touches the wallet before the strategy), and no fill overdraws.
pub(super) fn check_budget(before: &Wallet, commands: &[Command]) {
    let instrument = testkit::btcusdt();
    let taker = Decimal::ONE + instrument.taker_fee;
    let worst = Decimal::ONE + instrument.maker_fee.max(instrument.taker_fee);
    let mut available = before.available();
    for command in commands {
        let order = match command {
            Command::Alert(alert) => {
                assert_ne!(alert.code, AlertCode::WalletOverdrawn, "{alert:?}");
                continue;
            }
            Command::Submit(order) if order.side == Side::Buy => order,
            _ => continue,
        };
        let reserve = match (order.order_type, order.amount, order.price) {
            (OrderType::Market, OrderAmount::Quote(a), None) => a * taker,
            (OrderType::Limit, OrderAmount::Base(q), Some(p)) => q * p * worst,
            _ => panic!("unexpected buy {order:?}"),
        };
        assert!(reserve <= available, "{order:?}: {available} available");
        available -= reserve;
    }
}

/// Property 6: each sell offers at most what is held minus what open sells already offer.
/// Within one event nothing fills after a submit, so the held quantity is the one after the
/// event, and the other open sells are those open after it minus this and later submits.
pub(super) fn check_sells(engine: &Engine, commands: &[Command]) {
    let held = engine.wallet().held(&testkit::btc());
    let open = engine.open_orders().values();
    let sells = open.filter(|o| o.request.side == Side::Sell);
    let offered: Decimal = sells.filter_map(Order::remaining_quantity).sum();
    assert!(offered <= held, "open sells offer {offered}, {held} held");
    let mut later = Decimal::ZERO;
    for order in commands.iter().rev().filter_map(submitted) {
        if order.side == Side::Sell {
            let OrderAmount::Base(quantity) = order.amount else {
                panic!("{order:?}")
            };
            later += quantity;
            let others = offered - later;
            assert!(quantity <= held - others, "{order:?}: {held} held");
        }
    }
}
