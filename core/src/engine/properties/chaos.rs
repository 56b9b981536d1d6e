//! The chaos exchange: partial fills, rejections, unknown outcomes, cancels, repeated and
//! invalid reports.

use super::*;

/// A report for the engine and what it must do with it.
#[derive(Debug, Clone)]
pub(super) enum Reply {
    /// Apply it.
    Apply(Event),
    /// It was just applied: ignore it (Ok, no commands, no change).
    Repeat(Event),
    /// Refuse it and change nothing.
    Refuse(Event),
}

/// A status report about order `id` at `ts`; `what` picks the kind.
pub(super) fn status(id: &ClientOrderId, ts: Timestamp, what: &str) -> Event {
    let (client_id, reason) = (id.clone(), what.to_owned());
    Event::Order(match what {
        "submitted" => OrderReport::Submitted { client_id, ts },
        "accepted" => OrderReport::Accepted {
            client_id,
            exchange_id: None,
            ts,
        },
        "unknown" => OrderReport::Unknown {
            client_id,
            reason,
            ts,
        },
        "rejected" => OrderReport::Rejected {
            client_id,
            reason,
            ts,
        },
        "canceled" => OrderReport::Canceled { client_id, ts },
        _ => OrderReport::Expired { client_id, ts },
    })
}

/// An exchange answering each submit by the next plan of a cycle, and feeding every event
/// through a checker.
#[derive(Debug)]
pub(super) struct Chaos<'a> {
    pub(super) engine: Engine,
    pub(super) checker: Checker,
    pub(super) fee: FeeAsset,
    pub(super) plans: &'a [Plan],
    pub(super) next: usize,
    pub(super) trades: u64,
    pub(super) resting: Vec<OrderRequest>,
    /// The time of the input being handled, and the last close.
    pub(super) now: Timestamp,
    pub(super) close: f64,
}

impl Chaos<'_> {
    /// Feeds one input (a bar first fills the resting orders it trades through, in two
    /// parts) and answers everything it causes.
    pub(super) fn input(&mut self, input: &Input) -> Result<Vec<Command>, EngineError> {
        let mut all = Vec::new();
        let event = match input {
            Input::Bar(bar) => {
                (self.now, self.close) = (bar.ts, bar.close);
                let (crossed, kept) = self.resting.drain(..).partition::<Vec<_>, _>(|o| {
                    let p = to_f64(o.price.unwrap());
                    (o.side == Side::Buy && bar.low <= p) || (o.side == Side::Sell && bar.high >= p)
                });
                self.resting = kept;
                for order in crossed {
                    for fill in self.fills(&order, order.price.unwrap(), Some(0.5), false) {
                        all.extend(self.deliver(&fill));
                    }
                }
                Event::bar(testkit::symbol(), *bar)
            }
            Input::Other(event) => event.clone(),
        };
        self.now = event.ts();
        all.extend(self.checker.step(&mut self.engine, &event)?);
        let mut i = 0;
        while i < all.len() {
            for reply in self.answer(&all[i]) {
                all.extend(self.deliver(&reply));
            }
            i += 1;
        }
        Ok(all)
    }

    /// Delivers one report and checks the engine did what `reply` says.
    pub(super) fn deliver(&mut self, reply: &Reply) -> Vec<Command> {
        let before = snapshot(&self.engine);
        let (Reply::Apply(event) | Reply::Repeat(event) | Reply::Refuse(event)) = reply;
        match (reply, self.checker.step(&mut self.engine, event)) {
            (Reply::Apply(_), Ok(commands)) => commands,
            (Reply::Repeat(_), Ok(commands)) => {
                assert!(commands.is_empty(), "repeated {event:?} gave {commands:?}");
                assert_eq!(snapshot(&self.engine), before, "{event:?} changed it");
                self.checker.saw("repeats".to_owned());
                commands
            }
            (Reply::Refuse(_), Err(_)) => Vec::new(),
            (_, result) => panic!("{reply:?} gave {result:?}"),
        }
    }

    /// The reports answering one command.
    pub(super) fn answer(&mut self, command: &Command) -> Vec<Reply> {
        let order = match command {
            Command::Submit(order) => order,
            Command::Cancel { client_id, .. } => return self.cancel(|o| &o.client_id == client_id),
            Command::CancelAll { symbol } => return self.cancel(|o| &o.symbol == symbol),
            _ => return Vec::new(),
        };
        let plan = self.plans[self.next % self.plans.len()];
        self.next += 1;
        let (id, ts, market) = (&order.client_id, self.now, order.price.is_none());
        let say = |what| Reply::Apply(status(id, ts, what));
        let mut replies = vec![say("submitted"), say("accepted")];
        let price = order.price.unwrap_or_else(|| dec(self.close, 2));
        match plan {
            Plan::Reject { submitted } => {
                replies.truncate(usize::from(submitted));
                replies.push(say("rejected"));
            }
            Plan::Rest if !market => self.resting.push(order.clone()),
            Plan::Fill | Plan::Rest => replies.extend(self.fills(order, price, None, false)),
            Plan::UnknownThenAccepted => {
                replies.insert(1, say("unknown"));
                replies.extend(self.fills(order, price, None, false));
            }
            Plan::Split { share, dup } => {
                if dup {
                    replies.push(Reply::Repeat(status(id, ts, "accepted")));
                }
                replies.extend(self.fills(order, price, Some(share), dup));
            }
            Plan::PartialThenCancel { share } => {
                let fills = self.fills(order, price, Some(share), false);
                let partial = usize::from(fills.len() == 2);
                replies.extend(fills.into_iter().take(partial));
                replies.push(say(if market { "expired" } else { "canceled" }));
            }
            Plan::Invalid(kind) => {
                let (step, stale) = (Decimal::new(1, 6), Timestamp(ts.0 - 1));
                let invalid = match (kind, order.amount) {
                    (Invalid::Stale, _) => Event::Timer { ts: stale },
                    (Invalid::UnknownOrder, _) => {
                        let stranger = format!("{}-0", self.checker.bot);
                        status(&ClientOrderId::new(stranger).unwrap(), ts, "submitted")
                    }
                    (Invalid::Overfill, OrderAmount::Base(q)) => {
                        Event::fill(self.fill(order, price, q + step), false)
                    }
                    (Invalid::WrongSide | Invalid::Overfill, _) => {
                        let mut fill = self.fill(order, price, step);
                        fill.side = fill.side.opposite();
                        Event::fill(fill, false)
                    }
                };
                replies.push(Reply::Refuse(invalid));
                replies.extend(self.fills(order, price, None, false));
            }
        }
        replies
    }

    /// Cancels the resting orders that `matches` picks.
    pub(super) fn cancel(&mut self, matches: impl Fn(&OrderRequest) -> bool) -> Vec<Reply> {
        let resting = std::mem::take(&mut self.resting);
        let (gone, kept): (Vec<_>, Vec<_>) = resting.into_iter().partition(|o| matches(o));
        self.resting = kept;
        let canceled = |o: OrderRequest| Reply::Apply(status(&o.client_id, self.now, "canceled"));
        gone.into_iter().map(canceled).collect()
    }

    /// Fill reports for the whole of `order` at `price`: one, or two when `share` splits the
    /// quantity into two non-empty parts (the first partial); with `dup` each comes twice.
    pub(super) fn fills(
        &mut self,
        order: &OrderRequest,
        price: Decimal,
        share: Option<f64>,
        dup: bool,
    ) -> Vec<Reply> {
        let down = |q: Decimal| q.round_dp_with_strategy(6, RoundingStrategy::ToZero);
        let total = match order.amount {
            OrderAmount::Base(q) => q,
            OrderAmount::Quote(a) => down(a / price),
        };
        assert!(total > Decimal::ZERO, "{order:?} fills nothing at {price}");
        let first = share.map_or(Decimal::ZERO, |s| down(total * dec(s, 4)));
        let split = first > Decimal::ZERO && first < total;
        let parts = if split {
            vec![first, total - first]
        } else {
            vec![total]
        };
        let mut replies = Vec::new();
        for (i, quantity) in parts.iter().enumerate() {
            let fill = Event::fill(self.fill(order, price, *quantity), i + 1 < parts.len());
            replies.push(Reply::Apply(fill.clone()));
            if dup {
                replies.push(Reply::Repeat(fill));
            }
        }
        replies
    }

    /// One fill of `quantity` of `order` at `price`, with the taker fee where the venue
    /// charges it.
    pub(super) fn fill(&mut self, order: &OrderRequest, price: Decimal, quantity: Decimal) -> Fill {
        self.trades += 1;
        let instrument = testkit::btcusdt();
        let (fee, fee_asset) = match (self.fee, order.side) {
            (FeeAsset::Received, Side::Buy) => (quantity * instrument.taker_fee, instrument.base),
            _ => (
                (price * quantity * instrument.taker_fee).round_dp(8),
                instrument.quote,
            ),
        };
        Fill {
            client_id: order.client_id.clone(),
            trade_id: format!("C{}", self.trades),
            symbol: order.symbol.clone(),
            side: order.side,
            price,
            quantity,
            fee,
            fee_asset,
            is_maker: order.price.is_some(),
            ts: self.now,
        }
    }
}

// ------------------------------------------------------------------------------ properties
