//! FIFO matching on hand-computed cases, and its invariants on random fills.

use std::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;
use vela_core::types::{Asset, ClientOrderId, Fill, Instrument, Side, Symbol, Timestamp};

use super::*;

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("decimal")
}

fn instrument() -> Instrument {
    Instrument {
        symbol: Symbol::new("BTCUSDT").expect("symbol"),
        base: Asset::new("BTC").expect("asset"),
        quote: Asset::new("USDT").expect("asset"),
        price_precision: 2,
        quantity_precision: 6,
        min_quantity: dec("0.000001"),
        min_notional: dec("1"),
        maker_fee: Decimal::ZERO,
        taker_fee: dec("0.0005"),
        api_trading_allowed: true,
    }
}

fn fill(
    trade: &str,
    side: Side,
    quantity: &str,
    price: &str,
    fee: &str,
    fee_asset: &str,
    day: i64,
) -> Fill {
    Fill {
        client_id: ClientOrderId::new("bot-1").expect("client id"),
        trade_id: trade.to_owned(),
        symbol: Symbol::new("BTCUSDT").expect("symbol"),
        side,
        price: dec(price),
        quantity: dec(quantity),
        fee: dec(fee),
        fee_asset: Asset::new(fee_asset).expect("asset"),
        is_maker: false,
        ts: Timestamp(1_700_000_000_000 + day * 86_400_000),
    }
}

#[test]
fn a_sale_takes_the_oldest_lots_first_with_fees_in_cost_and_proceeds() {
    let fills = [
        fill("b1", Side::Buy, "1", "100", "0.1", "USDT", 0),
        fill("b2", Side::Buy, "1", "200", "0.2", "USDT", 1),
        // Given out of order: matched by time.
        fill("s1", Side::Sell, "1.5", "300", "0.45", "USDT", 2),
    ];
    let fills = [fills[2].clone(), fills[0].clone(), fills[1].clone()];
    let report = fifo(&fills, &[instrument()]).expect("report");
    assert_eq!(report.disposals.len(), 2);
    let (first, second) = (&report.disposals[0], &report.disposals[1]);
    assert_eq!(
        (first.buy_trade_id.as_str(), first.quantity),
        ("b1", dec("1"))
    );
    assert_eq!(first.cost_basis, dec("100.1"));
    assert_eq!(first.proceeds, dec("299.7"));
    assert_eq!(first.gain, dec("199.6"));
    assert_eq!(
        (second.buy_trade_id.as_str(), second.quantity),
        ("b2", dec("0.5"))
    );
    assert_eq!(second.cost_basis, dec("100.1"));
    assert_eq!(second.proceeds, dec("149.85"));
    assert_eq!(second.gain, dec("49.75"));
    assert_eq!(
        report.total_gain().get(&Asset::new("USDT").expect("asset")),
        Some(&dec("249.35"))
    );
    assert_eq!(report.open_lots.len(), 1);
    assert_eq!(report.open_lots[0].quantity, dec("0.5"));
    assert_eq!(report.open_lots[0].cost, dec("100.1"));
    let mut csv = Vec::new();
    write_csv(&report, &mut csv).expect("csv");
    let csv = String::from_utf8(csv).expect("utf-8");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "asset,quantity,acquired,disposed,cost_basis,proceeds,gain,currency,symbol,buy_trade_id,sell_trade_id"
    );
    assert_eq!(
        lines[1],
        "BTC,1,2023-11-14T22:13:20Z,2023-11-16T22:13:20Z,100.1,299.7,199.6,USDT,BTCUSDT,b1,s1"
    );
    assert_eq!(lines.len(), 3);
}

#[test]
fn base_fees_shrink_the_lot_and_other_assets_are_listed_apart() {
    let fills = [
        fill("b1", Side::Buy, "1", "100", "0.001", "BTC", 0),
        fill("s1", Side::Sell, "0.5", "120", "0.05", "MX", 1),
        fill("s2", Side::Sell, "0.498", "130", "0.001", "BTC", 2),
    ];
    let report = fifo(&fills, &[instrument()]).expect("report");
    assert_eq!(
        report.disposals[0].cost_basis,
        dec("50.05005005005005005005005005")
    );
    // s2 leaves 0.498 sold plus 0.001 fee = the whole rest of the lot.
    assert_eq!(report.disposals[1].quantity, dec("0.499"));
    assert_eq!(report.disposals[1].proceeds, dec("64.74"));
    let cost: Decimal = report.disposals.iter().map(|d| d.cost_basis).sum();
    assert_eq!(cost, dec("100"), "the lot's cost is spent exactly");
    assert!(report.open_lots.is_empty());
    assert_eq!(report.other_fees.len(), 1);
    assert_eq!(report.other_fees[0].asset.as_str(), "MX");
}

#[test]
fn selling_more_than_held_and_bad_fills_are_named() {
    let fills = [
        fill("b1", Side::Buy, "1", "100", "0", "USDT", 0),
        fill("s1", Side::Sell, "1.5", "100", "0", "USDT", 1),
    ];
    let error = fifo(&fills, &[instrument()]).expect_err("oversold");
    assert_eq!(
        error.to_string(),
        "fill s1 sells 1.5 BTC but only 1 is held from the fills before it"
    );
    let error = fifo(&fills, &[]).expect_err("no instrument");
    assert_eq!(
        error.to_string(),
        "fill b1: no instrument for symbol BTCUSDT"
    );
    let bad = [fill("b0", Side::Buy, "0", "100", "0", "USDT", 0)];
    let error = fifo(&bad, &[instrument()]).expect_err("zero quantity");
    assert_eq!(error.to_string(), "fill b0: quantity must be positive");
}

proptest! {
    /// Whatever the fills, the pieces add up: sold quantities exactly, proceeds and cost to
    /// Decimal's 28 digits, and what is left is what was bought minus what was sold.
    #[test]
    fn prop_fifo_conserves_quantities_and_money(
        trades in proptest::collection::vec((any::<bool>(), 1u32..5_000, 1u32..100_000, 0u32..50), 1..40),
    ) {
        let mut fills = Vec::new();
        let mut held = Decimal::ZERO;
        for (i, (buy, quantity, price, fee)) in trades.into_iter().enumerate() {
            let quantity = Decimal::new(i64::from(quantity), 3);
            let price = Decimal::new(i64::from(price), 2);
            let fee = Decimal::new(i64::from(fee), 2);
            let day = i64::try_from(i).unwrap_or(0);
            let sell = !buy && quantity <= held;
            let side = if sell { Side::Sell } else { Side::Buy };
            held += if sell { -quantity } else { quantity };
            fills.push(fill(&format!("t{i:03}"), side, &quantity.to_string(), &price.to_string(), &fee.to_string(), "USDT", day));
        }
        let report = fifo(&fills, &[instrument()]).expect("balanced fills");
        let bought: Decimal = fills.iter().filter(|f| f.side == Side::Buy).map(|f| f.quantity).sum();
        let sold: Decimal = fills.iter().filter(|f| f.side == Side::Sell).map(|f| f.quantity).sum();
        let matched: Decimal = report.disposals.iter().map(|d| d.quantity).sum();
        let open: Decimal = report.open_lots.iter().map(|l| l.quantity).sum();
        prop_assert_eq!(matched, sold);
        prop_assert_eq!(open, bought - sold);
        let proceeds: Decimal = report.disposals.iter().map(|d| d.proceeds).sum();
        let expected: Decimal = fills.iter().filter(|f| f.side == Side::Sell).map(|f| f.price * f.quantity - f.fee).sum();
        // Pieces of a split carry 28 significant digits: sums agree to far below a cent.
        prop_assert!((proceeds - expected).abs() <= Decimal::new(1, 20), "proceeds {} vs {}", proceeds, expected);
        let cost: Decimal = report.disposals.iter().map(|d| d.cost_basis).sum::<Decimal>()
            + report.open_lots.iter().map(|l| l.cost).sum::<Decimal>();
        let paid: Decimal = fills.iter().filter(|f| f.side == Side::Buy).map(|f| f.price * f.quantity + f.fee).sum();
        let drift = (cost - paid).abs();
        prop_assert!(drift <= Decimal::new(1, 20), "cost drift {}", drift);
    }
}
