use std::str::FromStr;

use super::*;
use crate::types::instrument::stubs::btcusdt;
use crate::types::{ClientOrderId, Timestamp};

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn usdt() -> Asset {
    Asset::new("USDT").unwrap()
}

fn fill(side: Side, price: &str, qty: &str, fee: &str, fee_asset: &str) -> Fill {
    Fill {
        client_id: ClientOrderId::new("bot-1").unwrap(),
        trade_id: format!("t{price}{qty}"),
        symbol: Symbol::new("BTCUSDT").unwrap(),
        side,
        price: dec(price),
        quantity: dec(qty),
        fee: dec(fee),
        fee_asset: Asset::new(fee_asset).unwrap(),
        is_maker: false,
        ts: Timestamp(1),
    }
}

fn wallet(compound: bool) -> Wallet {
    Wallet::new(usdt(), dec("1000"), compound).unwrap()
}

#[test]
fn budget_must_be_positive() {
    assert!(Wallet::new(usdt(), Decimal::ZERO, false).is_err());
}

#[test]
fn reservations_cap_what_orders_may_use() {
    let mut w = wallet(false);
    w.reserve(&usdt(), dec("600")).unwrap();
    let err = w.reserve(&usdt(), dec("400.01")).unwrap_err();
    assert!(
        err.to_string()
            .contains("400.01 USDT needed, 400 available"),
        "{err}"
    );
    assert_eq!(w.available(), dec("400"));
    assert!(w.release(&usdt(), dec("700")).is_err());
    w.release(&usdt(), dec("600")).unwrap();
    assert_eq!(w.available(), dec("1000"));
}

#[test]
fn a_new_budget_pays_in_or_takes_out_free_cash_only() {
    let mut w = wallet(false);
    w.reserve(&usdt(), dec("600")).unwrap();
    let before = w.clone();
    let err = w.set_budget(dec("599.99")).unwrap_err();
    assert!(
        err.to_string()
            .contains("400.01 USDT needed, 400 available"),
        "{err}"
    );
    assert!(w.set_budget(Decimal::ZERO).is_err());
    assert_eq!(w, before, "refusals change nothing");
    w.set_budget(dec("600")).unwrap();
    assert_eq!(
        (w.budget(), w.cash(), w.available()),
        (dec("600"), dec("600"), dec("0"))
    );
    w.set_budget(dec("1500")).unwrap();
    assert_eq!(
        (w.budget(), w.cash(), w.available()),
        (dec("1500"), dec("1500"), dec("900"))
    );
}

#[test]
fn without_compounding_the_net_profit_is_reserved_and_losses_use_it_first() {
    let inst = btcusdt();
    let mut w = wallet(false);
    w.reserve(&usdt(), dec("500")).unwrap();
    w.apply_fill(
        &fill(Side::Buy, "100", "5", "0", "USDT"),
        &inst,
        dec("500"),
        Decimal::ONE,
    )
    .unwrap();
    assert_eq!(w.cash(), dec("500"));
    let effect = w.apply_fill(
        &fill(Side::Sell, "120", "5", "0", "USDT"),
        &inst,
        Decimal::ZERO,
        Decimal::ONE,
    );
    assert_eq!(effect.unwrap().realized_pnl, Some(dec("100")));
    // The profit is not tradable: capital stays at the budget.
    assert_eq!((w.cash(), w.profit_reserve()), (dec("1000"), dec("100")));
    // A loss is paid from the reserved profit first.
    w.apply_fill(
        &fill(Side::Buy, "100", "5", "0", "USDT"),
        &inst,
        Decimal::ZERO,
        Decimal::ONE,
    )
    .unwrap();
    w.apply_fill(
        &fill(Side::Sell, "90", "5", "0", "USDT"),
        &inst,
        Decimal::ZERO,
        Decimal::ONE,
    )
    .unwrap();
    assert_eq!((w.cash(), w.profit_reserve()), (dec("1000"), dec("50")));
    assert_eq!(w.equity(|_| None), dec("1050"));
    assert_eq!(w.realized_pnl(), dec("50"));
    // Once the reserve is used up, losses reduce the capital itself.
    w.apply_fill(
        &fill(Side::Buy, "100", "10", "0", "USDT"),
        &inst,
        Decimal::ZERO,
        Decimal::ONE,
    )
    .unwrap();
    w.apply_fill(
        &fill(Side::Sell, "92", "10", "0", "USDT"),
        &inst,
        Decimal::ZERO,
        Decimal::ONE,
    )
    .unwrap();
    assert_eq!((w.cash(), w.profit_reserve()), (dec("970"), dec("0")));
    assert_eq!(w.realized_pnl(), dec("-30"));
}

#[test]
fn compounding_keeps_profits_in_the_capital() {
    let inst = btcusdt();
    let mut w = wallet(true);
    w.apply_fill(
        &fill(Side::Buy, "100", "5", "0", "USDT"),
        &inst,
        Decimal::ZERO,
        Decimal::ONE,
    )
    .unwrap();
    w.apply_fill(
        &fill(Side::Sell, "120", "5", "0", "USDT"),
        &inst,
        Decimal::ZERO,
        Decimal::ONE,
    )
    .unwrap();
    assert_eq!(
        (w.cash(), w.profit_reserve(), w.available()),
        (dec("1100"), dec("0"), dec("1100"))
    );
}

#[test]
fn base_fee_reduces_what_is_held_and_exit_uses_it() {
    let inst = btcusdt();
    let mut w = wallet(true);
    let e = w.apply_fill(
        &fill(Side::Buy, "100", "1", "0.001", "BTC"),
        &inst,
        Decimal::ZERO,
        Decimal::ONE,
    );
    assert_eq!(e.unwrap().base_change, dec("0.999"));
    let btc = Asset::new("BTC").unwrap();
    assert_eq!(w.held(&btc), dec("0.999"));
    assert_eq!(w.position(&btc).unwrap().cost_basis(), dec("100"));
    // Selling the ordered quantity would oversell: an error, nothing changes.
    let err = w.apply_fill(
        &fill(Side::Sell, "100", "1", "0", "USDT"),
        &inst,
        Decimal::ZERO,
        Decimal::ONE,
    );
    assert!(matches!(
        err,
        Err(WalletError::Position(
            PositionError::InsufficientQuantity { .. }
        ))
    ));
    assert_eq!(w.held(&btc), dec("0.999"));
    assert_eq!(
        w.fees().get(&Asset::new("BTC").unwrap()),
        Some(&dec("0.001"))
    );
}

#[test]
fn quote_fees_count_in_cost_and_proceeds_and_third_asset_fees_are_recorded() {
    let inst = btcusdt();
    let mut w = wallet(true);
    w.apply_fill(
        &fill(Side::Buy, "100", "1", "0.05", "USDT"),
        &inst,
        Decimal::ZERO,
        Decimal::ONE,
    )
    .unwrap();
    assert_eq!(w.cash(), dec("899.95"));
    let e = w.apply_fill(
        &fill(Side::Sell, "100", "1", "0.05", "USDT"),
        &inst,
        Decimal::ZERO,
        Decimal::ONE,
    );
    assert_eq!(e.unwrap().realized_pnl, Some(dec("-0.10")));
    w.apply_fill(
        &fill(Side::Buy, "100", "1", "0.2", "MX"),
        &inst,
        Decimal::ZERO,
        Decimal::ONE,
    )
    .unwrap();
    assert_eq!(w.cash(), dec("899.90"));
    assert_eq!(w.fees().get(&Asset::new("MX").unwrap()), Some(&dec("0.2")));
    assert_eq!(w.fees().get(&usdt()), Some(&dec("0.10")));
}

#[test]
fn invalid_fills_change_nothing() {
    let inst = btcusdt();
    let mut w = wallet(true);
    let before = w.clone();
    assert!(
        w.apply_fill(
            &fill(Side::Buy, "0", "1", "0", "USDT"),
            &inst,
            Decimal::ZERO,
            Decimal::ONE
        )
        .is_err()
    );
    assert!(
        w.apply_fill(
            &fill(Side::Buy, "1", "1", "-1", "USDT"),
            &inst,
            Decimal::ZERO,
            Decimal::ONE
        )
        .is_err()
    );
    assert!(
        w.apply_fill(
            &fill(Side::Buy, "1", "1", "2", "BTC"),
            &inst,
            Decimal::ZERO,
            Decimal::ONE
        )
        .is_err()
    );
    assert!(
        w.apply_fill(
            &fill(Side::Buy, "1", "1", "0", "USDT"),
            &inst,
            dec("1"),
            Decimal::ONE
        )
        .is_err()
    );
    // A pair quoted in another asset needs that asset's value to be booked.
    assert!(matches!(
        w.apply_fill(
            &fill(Side::Buy, "1", "1", "0", "USDT"),
            &inst,
            Decimal::ZERO,
            Decimal::ZERO
        ),
        Err(WalletError::NoValuation { .. })
    ));
    assert_eq!(w, before);
}

#[test]
fn a_fill_beyond_the_capital_is_recorded_and_flagged() {
    let inst = btcusdt();
    let mut w = wallet(true);
    let e = w.apply_fill(
        &fill(Side::Buy, "1100", "1", "0", "USDT"),
        &inst,
        Decimal::ZERO,
        Decimal::ONE,
    );
    assert!(e.unwrap().overdrawn);
    assert_eq!(w.cash(), dec("-100"));
}

use crate::types::instrument::stubs::{ethbtc, ethusdt};

fn cross_fill(symbol: &str, side: Side, price: &str, qty: &str) -> Fill {
    Fill {
        symbol: Symbol::new(symbol).unwrap(),
        fee: Decimal::ZERO,
        ..fill(side, price, qty, "0", "USDT")
    }
}

#[test]
fn a_triangle_books_each_leg_at_market_value() {
    // USDT -> BTC (BTCUSDT at 50,000) -> ETH (ETHBTC at 0.05) -> USDT (ETHUSDT at 2,600).
    let (btc, eth) = (Asset::new("BTC").unwrap(), Asset::new("ETH").unwrap());
    let mut w = wallet(true);
    w.apply_fill(
        &cross_fill("BTCUSDT", Side::Buy, "50000", "0.01"),
        &btcusdt(),
        Decimal::ZERO,
        Decimal::ONE,
    )
    .unwrap();
    assert_eq!((w.cash(), w.held(&btc)), (dec("500"), dec("0.01")));
    // Paying 0.01 BTC for 0.2 ETH disposes of the BTC at its market value (BTCUSDT now
    // 51,000: +10 USDT realized) and costs the ETH at that value.
    w.reserve(&btc, dec("0.01")).unwrap();
    assert_eq!(w.available_of(&btc), Decimal::ZERO);
    let effect = w
        .apply_fill(
            &cross_fill("ETHBTC", Side::Buy, "0.05", "0.2"),
            &ethbtc(),
            dec("0.01"),
            dec("51000"),
        )
        .unwrap();
    assert_eq!(effect.realized_pnl, Some(dec("10")));
    assert_eq!(
        (w.held(&btc), w.held(&eth), w.reserved_of(&btc)),
        (Decimal::ZERO, dec("0.2"), Decimal::ZERO)
    );
    assert_eq!(w.position(&eth).unwrap().cost_basis(), dec("510"));
    let effect = w
        .apply_fill(
            &cross_fill("ETHUSDT", Side::Sell, "2600", "0.2"),
            &ethusdt(),
            Decimal::ZERO,
            Decimal::ONE,
        )
        .unwrap();
    assert_eq!(effect.realized_pnl, Some(dec("10")));
    assert_eq!(w.cash(), dec("1020"));
    assert_eq!(w.realized_pnl(), dec("20"));
}

#[test]
fn without_compounding_profits_realized_in_another_asset_are_skimmed_when_cash_arrives() {
    let btc = Asset::new("BTC").unwrap();
    let mut w = wallet(false);
    w.apply_fill(
        &cross_fill("BTCUSDT", Side::Buy, "50000", "0.01"),
        &btcusdt(),
        Decimal::ZERO,
        Decimal::ONE,
    )
    .unwrap();
    w.apply_fill(
        &cross_fill("ETHBTC", Side::Buy, "0.05", "0.2"),
        &ethbtc(),
        Decimal::ZERO,
        dec("51000"),
    )
    .unwrap();
    assert_eq!((w.cash(), w.profit_reserve()), (dec("500"), Decimal::ZERO));
    w.apply_fill(
        &cross_fill("ETHUSDT", Side::Sell, "2600", "0.2"),
        &ethusdt(),
        Decimal::ZERO,
        Decimal::ONE,
    )
    .unwrap();
    // Both legs' profits (10 + 10) leave the capital: it is back at the budget.
    assert_eq!((w.cash(), w.profit_reserve()), (dec("1000"), dec("20")));
    assert!(w.held(&btc).is_zero());
}

#[test]
fn paying_with_more_of_an_asset_than_held_is_refused() {
    let mut w = wallet(true);
    let before = w.clone();
    let err = w
        .apply_fill(
            &cross_fill("ETHBTC", Side::Buy, "0.05", "0.2"),
            &ethbtc(),
            Decimal::ZERO,
            dec("50000"),
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("position BTC: cannot remove 0.010"),
        "{err}"
    );
    assert_eq!(w, before);
}
