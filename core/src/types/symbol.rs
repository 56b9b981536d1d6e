//! Symbols and asset names, validated on construction.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::code::{CAPACITY, Code};
use crate::error::ValidationError;

/// Longest symbol or asset name accepted (MEXC's are far shorter).
const MAX_LEN: usize = CAPACITY;

fn validate_code(kind: &'static str, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() || value.len() > MAX_LEN {
        return Err(ValidationError::new(
            kind,
            value,
            format!("must be 1 to {MAX_LEN} characters"),
        ));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Err(ValidationError::new(
            kind,
            value,
            "must contain only A-Z and 0-9 (MEXC spot spelling, e.g. BTCUSDT)",
        ));
    }
    Ok(())
}

/// A checked code inline (see the `code` module: no allocation, cheap compares).
fn checked_code(kind: &'static str, value: &str) -> Result<Code, ValidationError> {
    validate_code(kind, value)?;
    Code::new(value).ok_or_else(|| {
        ValidationError::new(kind, value, format!("must be 1 to {MAX_LEN} characters"))
    })
}

/// An exchange symbol such as `BTCUSDT`: upper-case letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Symbol(Code);

impl Symbol {
    /// A checked symbol, from any text (`&str`, `String`, ...), copied inline: no
    /// allocation.
    pub fn new(value: impl AsRef<str>) -> Result<Self, ValidationError> {
        Ok(Self(checked_code("symbol", value.as_ref())?))
    }

    /// The symbol as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl TryFrom<String> for Symbol {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Symbol> for String {
    fn from(symbol: Symbol) -> Self {
        symbol.0.as_str().to_owned()
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// An asset name such as `BTC`, `USDT` or `MX`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Asset(Code);

impl Asset {
    /// A checked asset name, from any text (`&str`, `String`, ...), copied inline: no
    /// allocation.
    pub fn new(value: impl AsRef<str>) -> Result<Self, ValidationError> {
        Ok(Self(checked_code("asset", value.as_ref())?))
    }

    /// The asset name as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl TryFrom<String> for Asset {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Asset> for String {
    fn from(asset: Asset) -> Self {
        asset.0.as_str().to_owned()
    }
}

impl fmt::Display for Asset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_exchange_spelling_and_rejects_the_rest() {
        assert_eq!(
            Symbol::new("BTCUSDT").map(|s| s.to_string()),
            Ok("BTCUSDT".to_owned())
        );
        let err = Symbol::new("btc/usdt").unwrap_err();
        assert!(err.to_string().contains("symbol \"btc/usdt\""), "{err}");
        assert!(Symbol::new("").is_err());
        assert!(Asset::new("X".repeat(33)).is_err());
        assert!(serde_json::from_str::<Symbol>("\"ETH-USDT\"").is_err());
    }
}
