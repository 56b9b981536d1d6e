//! Flags every trading command shares: the traded instrument's precision, minimums and
//! fees (`vela backtest`, `vela sweep`, `vela walk-forward` trade it by the same rules).

use rust_decimal::Decimal;
use vela_backtest::run::instrument::InstrumentSettings;

/// The instrument's rules, as flags (see `vela_backtest::run::instrument`: known symbols
/// have recorded values, others need the decimals).
#[allow(clippy::doc_markdown, reason = "doc comments are clap's help text")]
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct InstrumentArgs {
    /// Taker fee rate (default MEXC 0.0005 = 0.05 %).
    #[arg(long)]
    pub(crate) taker_fee: Option<Decimal>,
    /// Maker fee rate (default MEXC 0).
    #[arg(long)]
    pub(crate) maker_fee: Option<Decimal>,
    /// Decimals allowed in a price (MEXC quotePrecision); needed for unknown symbols.
    #[arg(long)]
    pub(crate) price_decimals: Option<u32>,
    /// Decimals allowed in a quantity (MEXC baseAssetPrecision); needed for unknown symbols.
    #[arg(long)]
    pub(crate) quantity_decimals: Option<u32>,
    /// Smallest order quantity, base asset (MEXC baseSizePrecision; unknown symbols: 0).
    #[arg(long)]
    pub(crate) min_quantity: Option<Decimal>,
    /// Smallest order value, quote asset (MEXC quoteAmountPrecision; unknown symbols: 0).
    #[arg(long)]
    pub(crate) min_notional: Option<Decimal>,
}

impl InstrumentArgs {
    /// The flags as instrument settings.
    pub(crate) fn settings(&self) -> InstrumentSettings {
        InstrumentSettings {
            price_decimals: self.price_decimals,
            quantity_decimals: self.quantity_decimals,
            min_quantity: self.min_quantity,
            min_notional: self.min_notional,
            maker_fee: self.maker_fee,
            taker_fee: self.taker_fee,
        }
    }
}
