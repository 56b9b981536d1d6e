//! MEXC's numbers: mostly strings ("0.1"), sometimes JSON numbers (trade fees, order ids),
//! sometimes `""` or `null` for "none". These deserializers accept each spelling and refuse
//! anything else with an error naming the text.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(untagged)]
enum Text {
    Str(String),
    Num(serde_json::Number),
    Bool(bool),
}

fn parse_decimal<E: de::Error>(text: &str) -> Result<Decimal, E> {
    Decimal::from_str(text)
        .or_else(|_| Decimal::from_scientific(text))
        .map_err(|_| E::custom(format!("`{text}` is not a decimal number")))
}

/// A required decimal: `"0.1"` or `0.1`.
pub(crate) fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    match Text::deserialize(d)? {
        Text::Str(s) => parse_decimal(s.trim()),
        Text::Num(n) => parse_decimal(&n.to_string()),
        Text::Bool(b) => Err(de::Error::custom(format!("`{b}` is not a decimal number"))),
    }
}

/// An optional decimal: absent, `null` and `""` are `None`.
pub(crate) fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    match Option::<Text>::deserialize(d)? {
        None => Ok(None),
        Some(Text::Str(s)) if s.trim().is_empty() => Ok(None),
        Some(Text::Str(s)) => parse_decimal(s.trim()).map(Some),
        Some(Text::Num(n)) => parse_decimal(&n.to_string()).map(Some),
        Some(Text::Bool(b)) => Err(de::Error::custom(format!("`{b}` is not a decimal number"))),
    }
}

/// An id that MEXC sends as a string or a number (order ids: never parsed as integers,
/// reference §3).
pub(crate) fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Text::deserialize(d)? {
        Text::Str(s) if !s.is_empty() => Ok(s),
        Text::Str(_) => Err(de::Error::custom("empty id")),
        Text::Num(n) => Ok(n.to_string()),
        Text::Bool(b) => Err(de::Error::custom(format!("`{b}` is not an id"))),
    }
}

/// An optional id: absent, `null` and `""` are `None`.
pub(crate) fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Text>::deserialize(d)? {
        None => Ok(None),
        Some(Text::Str(s)) if s.is_empty() => Ok(None),
        Some(Text::Str(s)) => Ok(Some(s)),
        Some(Text::Num(n)) => Ok(Some(n.to_string())),
        Some(Text::Bool(b)) => Err(de::Error::custom(format!("`{b}` is not an id"))),
    }
}

/// An integer that MEXC sends as a number or a numeric string (`tradeSideType`, `status`).
pub(crate) fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<Text>::deserialize(d)? {
        None => Ok(None),
        Some(Text::Str(s)) if s.trim().is_empty() => Ok(None),
        Some(Text::Str(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| de::Error::custom(format!("`{s}` is not a whole number"))),
        Some(Text::Num(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| de::Error::custom(format!("`{n}` is not a whole number"))),
        Some(Text::Bool(b)) => Err(de::Error::custom(format!("`{b}` is not a whole number"))),
    }
}
