//! The instrument a backtest trades when no `bot.toml` gives one: its precision, minimums
//! and fees.
//!
//! MEXC states its rules per symbol in `exchangeInfo` as numbers of decimals — it has no
//! tick or lot filters (`filters` is always empty) — plus a minimum quantity
//! (`baseSizePrecision`) and a minimum order value (`quoteAmountPrecision`). So vela's
//! [`Instrument`] has price and quantity *decimals*, not arbitrary tick sizes, and so do
//! the settings here:
//!
//! - known symbols ([`KNOWN`]) take their recorded values; every field can be overridden;
//! - any other symbol needs `price_decimals` and `quantity_decimals` (the run refuses to
//!   guess them); its minimums default to 0, MEXC's "no minimum" (say so when reporting).
//!
//! Fees default to MEXC's spot defaults: maker 0 %, taker 0.05 %.

use rust_decimal::Decimal;
use vela_core::types::{Asset, Instrument, Symbol};

use super::error::RunError;

/// A known symbol's rules: `(symbol, base, quote, price decimals, quantity decimals,
/// minimum quantity, minimum notional)`.
pub type KnownInstrument = (
    &'static str,
    &'static str,
    &'static str,
    u32,
    u32,
    &'static str,
    &'static str,
);

/// Symbols whose rules are recorded: BTCUSDT as vela-core's MEXC reference instrument
/// states it (2 price and 6 quantity decimals, minimum 0.000001 BTC and 1 USDT). Check a
/// symbol's current rules with MEXC's `exchangeInfo` before trusting a backtest on it.
pub const KNOWN: [KnownInstrument; 1] = [("BTCUSDT", "BTC", "USDT", 2, 6, "0.000001", "1")];

/// Quote assets recognised at the end of an unknown symbol (`SOLUSDT` → `SOL` / `USDT`).
pub const QUOTE_ASSETS: [&str; 7] = ["USDT", "USDC", "USDE", "BTC", "ETH", "EUR", "USD"];

/// MEXC's default maker fee: 0 %.
pub const MEXC_MAKER_FEE: Decimal = Decimal::ZERO;

/// MEXC's default taker fee: 0.05 %.
pub const MEXC_TAKER_FEE: Decimal = Decimal::from_parts(5, 0, 0, false, 4);

/// Settings that override (or, for unknown symbols, supply) an instrument's rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InstrumentSettings {
    /// Decimals allowed in a price (MEXC `quotePrecision`).
    pub price_decimals: Option<u32>,
    /// Decimals allowed in a quantity (MEXC `baseAssetPrecision`).
    pub quantity_decimals: Option<u32>,
    /// Smallest order quantity, base asset (MEXC `baseSizePrecision`).
    pub min_quantity: Option<Decimal>,
    /// Smallest order value, quote asset (MEXC `quoteAmountPrecision`).
    pub min_notional: Option<Decimal>,
    /// Maker fee rate (default 0).
    pub maker_fee: Option<Decimal>,
    /// Taker fee rate (default 0.0005).
    pub taker_fee: Option<Decimal>,
}

/// The instrument for `symbol`: the known rules or the settings (see the module docs).
/// The error names the symbol and the missing setting.
pub fn instrument_for(symbol: &str, settings: &InstrumentSettings) -> Result<Instrument, RunError> {
    let known = KNOWN.iter().find(|k| k.0 == symbol);
    let (base, quote) = match known {
        Some(k) => (k.1.to_owned(), k.2.to_owned()),
        None => split_symbol(symbol)?,
    };
    let need = |value: Option<u32>, known: Option<u32>, flag: &str| {
        value.or(known).ok_or_else(|| {
            RunError::Instrument(format!(
                "{symbol} is not a known symbol (known: {}): give its {flag} (MEXC exchangeInfo)",
                KNOWN.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
            ))
        })
    };
    let price_precision = need(
        settings.price_decimals,
        known.map(|k| k.3),
        "price decimals (--price-decimals, quotePrecision)",
    )?;
    let quantity_precision = need(
        settings.quantity_decimals,
        known.map(|k| k.4),
        "quantity decimals (--quantity-decimals, baseAssetPrecision)",
    )?;
    let known_decimal = |text: Option<&str>| text.and_then(|t| t.parse::<Decimal>().ok());
    let bad = |e: vela_core::error::ValidationError| RunError::Instrument(e.to_string());
    let instrument = Instrument {
        symbol: Symbol::new(symbol).map_err(bad)?,
        base: Asset::new(base).map_err(bad)?,
        quote: Asset::new(quote).map_err(bad)?,
        price_precision,
        quantity_precision,
        min_quantity: settings
            .min_quantity
            .or_else(|| known_decimal(known.map(|k| k.5)))
            .unwrap_or(Decimal::ZERO),
        min_notional: settings
            .min_notional
            .or_else(|| known_decimal(known.map(|k| k.6)))
            .unwrap_or(Decimal::ZERO),
        maker_fee: settings.maker_fee.unwrap_or(MEXC_MAKER_FEE),
        taker_fee: settings.taker_fee.unwrap_or(MEXC_TAKER_FEE),
        api_trading_allowed: true,
    };
    instrument.validate()?;
    Ok(instrument)
}

/// `SOLUSDT` → (`SOL`, `USDT`) by the quote assets of [`QUOTE_ASSETS`].
fn split_symbol(symbol: &str) -> Result<(String, String), RunError> {
    QUOTE_ASSETS
        .iter()
        .find(|q| symbol.len() > q.len() && symbol.ends_with(*q))
        .map(|q| (symbol[..symbol.len() - q.len()].to_owned(), (*q).to_owned()))
        .ok_or_else(|| {
            RunError::Instrument(format!(
                "cannot tell the base and quote assets of {symbol} (quote assets known: {}); give the bot with its instrument in a bot.toml",
                QUOTE_ASSETS.join(", ")
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_symbols_match_the_core_reference() {
        let btc = instrument_for("BTCUSDT", &InstrumentSettings::default()).unwrap();
        assert_eq!(btc, vela_core::types::instrument::stubs::btcusdt());
        let cheaper = InstrumentSettings {
            taker_fee: Some(Decimal::new(1, 3)),
            min_notional: Some(Decimal::new(5, 0)),
            ..InstrumentSettings::default()
        };
        let btc = instrument_for("BTCUSDT", &cheaper).unwrap();
        assert_eq!(btc.taker_fee, Decimal::new(1, 3));
        assert_eq!(btc.min_notional, Decimal::new(5, 0));
    }

    #[test]
    fn unknown_symbols_need_their_decimals() {
        let err = instrument_for("SOLUSDT", &InstrumentSettings::default()).unwrap_err();
        assert!(
            err.to_string().contains("SOLUSDT is not a known symbol"),
            "{err}"
        );
        assert!(err.to_string().contains("--price-decimals"), "{err}");
        let settings = InstrumentSettings {
            price_decimals: Some(3),
            quantity_decimals: Some(2),
            ..InstrumentSettings::default()
        };
        let sol = instrument_for("SOLUSDT", &settings).unwrap();
        assert_eq!((sol.base.as_str(), sol.quote.as_str()), ("SOL", "USDT"));
        assert_eq!(sol.min_notional, Decimal::ZERO);
        let err = instrument_for("ABCXYZ", &settings).unwrap_err();
        assert!(err.to_string().contains("base and quote"), "{err}");
        let bad = InstrumentSettings {
            taker_fee: Some(Decimal::new(2, 0)),
            ..settings
        };
        let err = instrument_for("SOLUSDT", &bad).unwrap_err();
        assert!(err.to_string().contains("taker_fee"), "{err}");
    }
}
