//! Realised P&L by bot, pair, strategy and period, from the journal's fills: each sale is
//! one trade, its gain the sum of the FIFO lots it closed ([`super::tax::fifo`], fees
//! included on both sides). Win rate, average win and loss, and fee totals come with it.
//!
//! Periods are UTC calendar days (`2026-11-21`), ISO weeks (`2026-W47`) or months
//! (`2026-11`), by the sale's time.

use std::collections::BTreeMap;
use std::io::Write;

use rust_decimal::Decimal;
use vela_core::types::time::civil_from_days;
use vela_core::types::{Fill, Instrument, Timestamp};

use super::tax::{self, TaxError};

/// How sales are grouped in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// UTC calendar days.
    Day,
    /// ISO 8601 weeks (Monday to Sunday, UTC).
    Week,
    /// Calendar months.
    Month,
}

impl std::str::FromStr for Period {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "day" => Ok(Self::Day),
            "week" => Ok(Self::Week),
            "month" => Ok(Self::Month),
            other => Err(format!("unknown period {other:?} (day, week or month)")),
        }
    }
}

impl Period {
    /// The label of the period holding `ts`.
    #[must_use]
    pub fn label(self, ts: Timestamp) -> String {
        let days = ts.0.div_euclid(86_400_000);
        let (year, month, day) = civil_from_days(days);
        match self {
            Self::Day => format!("{year:04}-{month:02}-{day:02}"),
            Self::Month => format!("{year:04}-{month:02}"),
            Self::Week => {
                // 1970-01-01 was a Thursday; ISO weeks belong to the year of their Thursday.
                let weekday = (days + 3).rem_euclid(7); // 0 = Monday
                let thursday = days - weekday + 3;
                let (iso_year, _, _) = civil_from_days(thursday);
                let jan1 = vela_core::types::time::days_from_civil(iso_year, 1, 1);
                let week = (thursday - jan1) / 7 + 1;
                format!("{iso_year:04}-W{week:02}")
            }
        }
    }
}

/// One bot's fills and what is needed to read them.
#[derive(Debug, Clone, Copy)]
pub struct BotFills<'a> {
    /// The bot's id.
    pub bot: &'a str,
    /// Its strategy's name.
    pub strategy: &'a str,
    /// Its instruments.
    pub instruments: &'a [Instrument],
    /// Its fills, in the order they happened.
    pub fills: &'a [Fill],
}

/// Trades and P&L of one group (a bot, a pair, a strategy, a period, or one of each).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Sales.
    pub trades: u64,
    /// Sales with a gain.
    pub wins: u64,
    /// Sales with a loss (or nothing gained).
    pub losses: u64,
    /// Realised P&L, fees included.
    pub realized: Decimal,
    /// Gains of the winning sales.
    pub gross_win: Decimal,
    /// Losses of the losing sales (negative or zero).
    pub gross_loss: Decimal,
    /// Fees paid, valued in the quote currency at the fill's price.
    pub fees: Decimal,
}

impl Summary {
    /// Share of sales with a gain (`None` without sales).
    #[must_use]
    pub fn win_rate(&self) -> Option<Decimal> {
        (self.trades > 0).then(|| Decimal::from(self.wins) / Decimal::from(self.trades))
    }

    /// Average gain of a winning sale.
    #[must_use]
    pub fn average_win(&self) -> Option<Decimal> {
        (self.wins > 0).then(|| self.gross_win / Decimal::from(self.wins))
    }

    /// Average loss of a losing sale (negative).
    #[must_use]
    pub fn average_loss(&self) -> Option<Decimal> {
        (self.losses > 0).then(|| self.gross_loss / Decimal::from(self.losses))
    }

    fn add_sale(&mut self, gain: Decimal) {
        self.trades += 1;
        self.realized += gain;
        if gain > Decimal::ZERO {
            self.wins += 1;
            self.gross_win += gain;
        } else {
            self.losses += 1;
            self.gross_loss += gain;
        }
    }
}

/// The P&L report: one summary per group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PnlReport {
    /// Per bot.
    pub by_bot: BTreeMap<String, Summary>,
    /// Per pair.
    pub by_pair: BTreeMap<String, Summary>,
    /// Per strategy.
    pub by_strategy: BTreeMap<String, Summary>,
    /// Per period.
    pub by_period: BTreeMap<String, Summary>,
    /// Per bot, pair and period (the detail rows).
    pub rows: BTreeMap<(String, String, String), Summary>,
    /// Everything.
    pub total: Summary,
}

impl PnlReport {
    /// Applies `change` to every summary a sale or fill of `bot` in `symbol` during
    /// `period` counts in.
    fn each(
        &mut self,
        bot: &BotFills<'_>,
        symbol: &str,
        period: &str,
        change: impl Fn(&mut Summary),
    ) {
        change(self.by_bot.entry(bot.bot.to_owned()).or_default());
        change(self.by_pair.entry(symbol.to_owned()).or_default());
        change(self.by_strategy.entry(bot.strategy.to_owned()).or_default());
        change(self.by_period.entry(period.to_owned()).or_default());
        change(
            self.rows
                .entry((bot.bot.to_owned(), symbol.to_owned(), period.to_owned()))
                .or_default(),
        );
        change(&mut self.total);
    }
}

/// Builds the report.
///
/// # Errors
/// A bot's fills cannot be matched into lots (see [`tax::fifo`]).
pub fn pnl_report(bots: &[BotFills<'_>], period: Period) -> Result<PnlReport, TaxError> {
    let mut report = PnlReport::default();
    for bot in bots {
        let matched = tax::fifo(bot.fills, bot.instruments)?;
        // One sale = the disposals of one sell trade.
        let mut sales: BTreeMap<(String, String), (Timestamp, String, Decimal)> = BTreeMap::new();
        for d in &matched.disposals {
            let entry = sales
                .entry((d.symbol.to_string(), d.sell_trade_id.clone()))
                .or_insert((d.disposed, d.symbol.to_string(), Decimal::ZERO));
            entry.2 += d.gain;
        }
        for (ts, symbol, gain) in sales.into_values() {
            report.each(bot, &symbol, &period.label(ts), |s| s.add_sale(gain));
        }
        for fill in bot.fills {
            let quote_fee = match bot.instruments.iter().find(|i| i.symbol == fill.symbol) {
                Some(i) if fill.fee_asset == i.base => fill.fee * fill.price,
                _ => fill.fee,
            };
            report.each(bot, fill.symbol.as_str(), &period.label(fill.ts), |s| {
                s.fees += quote_fee;
            });
        }
    }
    Ok(report)
}

/// Writes the report as CSV: one line per group, `group` naming its kind (`bot`, `pair`,
/// `strategy`, `period`, `detail`, `total`).
///
/// # Errors
/// Writing failed.
pub fn write_csv(report: &PnlReport, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "group,bot,pair,strategy,period,trades,wins,losses,win_rate,avg_win,avg_loss,realized,fees"
    )?;
    let line = |out: &mut dyn Write, group: &str, keys: [&str; 4], s: &Summary| {
        let opt = |v: Option<Decimal>| {
            v.map_or_else(String::new, |v| v.round_dp(8).normalize().to_string())
        };
        writeln!(
            out,
            "{group},{},{},{},{},{},{},{},{},{},{},{},{}",
            keys[0],
            keys[1],
            keys[2],
            keys[3],
            s.trades,
            s.wins,
            s.losses,
            opt(s.win_rate()),
            opt(s.average_win()),
            opt(s.average_loss()),
            s.realized.normalize(),
            s.fees.normalize()
        )
    };
    for (bot, s) in &report.by_bot {
        line(out, "bot", [bot, "", "", ""], s)?;
    }
    for (pair, s) in &report.by_pair {
        line(out, "pair", ["", pair, "", ""], s)?;
    }
    for (strategy, s) in &report.by_strategy {
        line(out, "strategy", ["", "", strategy, ""], s)?;
    }
    for (period, s) in &report.by_period {
        line(out, "period", ["", "", "", period], s)?;
    }
    for ((bot, pair, period), s) in &report.rows {
        line(out, "detail", [bot, pair, "", period], s)?;
    }
    line(out, "total", ["", "", "", ""], &report.total)
}

#[cfg(test)]
mod tests {
    use vela_core::types::instrument::stubs;
    use vela_core::types::{Asset, ClientOrderId, Side};

    use super::*;

    fn fill(id: &str, side: Side, price: i64, quantity: &str, ts: i64) -> Fill {
        Fill {
            client_id: ClientOrderId::new(format!("b1-{id}")).expect("id"),
            trade_id: format!("t{id}"),
            symbol: stubs::btcusdt().symbol,
            side,
            price: Decimal::from(price),
            quantity: quantity.parse().expect("qty"),
            fee: Decimal::ONE,
            fee_asset: Asset::new("USDT").expect("asset"),
            is_maker: false,
            ts: Timestamp(ts),
        }
    }

    #[test]
    fn sales_are_trades_with_their_lots_gains_by_every_grouping() {
        const DAY: i64 = 86_400_000;
        // 2026-11-20 (a Friday) and 2026-11-23 (the next Monday, a new ISO week).
        let friday = vela_core::types::time::days_from_civil(2026, 11, 20) * DAY;
        let monday = vela_core::types::time::days_from_civil(2026, 11, 23) * DAY;
        let fills = [
            fill("1", Side::Buy, 100, "1", friday),
            fill("2", Side::Sell, 110, "1", friday + 1_000), // +10 - 1 - 1 = +8
            fill("3", Side::Buy, 100, "2", monday),
            fill("4", Side::Sell, 95, "2", monday + 1_000), // -10 - 1 - 1 = -12
        ];
        let instruments = [stubs::btcusdt()];
        let bots = [BotFills {
            bot: "b1",
            strategy: "crossover",
            instruments: &instruments,
            fills: &fills,
        }];
        let report = pnl_report(&bots, Period::Week).expect("report");
        let total = &report.total;
        assert_eq!((total.trades, total.wins, total.losses), (2, 1, 1));
        assert_eq!(total.realized, Decimal::from(-4));
        assert_eq!(total.fees, Decimal::from(4));
        assert_eq!(total.win_rate(), Some(Decimal::new(5, 1)));
        assert_eq!(total.average_win(), Some(Decimal::from(8)));
        assert_eq!(total.average_loss(), Some(Decimal::from(-12)));
        let weeks: Vec<&String> = report.by_period.keys().collect();
        assert_eq!(weeks, ["2026-W47", "2026-W48"]);
        assert_eq!(report.by_period["2026-W47"].realized, Decimal::from(8));
        assert_eq!(Period::Day.label(Timestamp(friday)), "2026-11-20");
        assert_eq!(Period::Month.label(Timestamp(monday)), "2026-11");
        // ISO week 1 of 2027 starts on Monday 2027-01-04; 2027-01-01 is in 2026-W53.
        let new_year = vela_core::types::time::days_from_civil(2027, 1, 1) * DAY;
        assert_eq!(Period::Week.label(Timestamp(new_year)), "2026-W53");
        let mut csv = Vec::new();
        write_csv(&report, &mut csv).expect("csv");
        let csv = String::from_utf8(csv).expect("utf-8");
        assert!(csv.contains("total,,,,,2,1,1,0.5,8,-12,-4,4"), "{csv}");
        assert!(csv.contains("strategy,,,crossover,,2,"), "{csv}");
    }
}
