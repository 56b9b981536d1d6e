//! Decimal text to numbers, exactly: MEXC sends prices and quantities as strings.
//!
//! The text is scanned once into `mantissa × 10^exponent` (plain decimals such as `0.00012`
//! and, in case a Java `BigDecimal.toString` slips through, exponent forms such as `1.2E-7`).
//! From that exact value come
//! - an `f64` that is the correctly rounded value of the text, the same as `str::parse::<f64>`
//!   (Clinger's fast path when it applies, the standard parser otherwise), and
//! - a [`Decimal`] with exactly the text's value.
//!
//! `NaN`, `inf`, a leading `+`, blanks and empty text are not numbers here.

use std::fmt;

use rust_decimal::Decimal;

/// Largest exponent magnitude accepted in an exponent form (`1E-9999`).
const MAX_EXPONENT: i32 = 9_999;
/// Largest integer below which every integer is an exact `f64`.
const F64_EXACT_INT: u128 = 1 << 53;
/// Exact powers of ten as `f64` (10^22 is the largest).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];
/// Decimal's largest scale.
const MAX_SCALE: i32 = 28;

/// Why a text is not a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumError {
    /// Empty text.
    Empty,
    /// Not of the form `-?digits[.digits][E[+-]digits]`.
    Syntax,
    /// More than 38 significant digits, or an exponent beyond ±9999.
    TooLong,
    /// Not representable as a `Decimal` (more than 28 decimals or above 2^96).
    OutOfRange,
}

impl fmt::Display for NumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "empty",
            Self::Syntax => "not a decimal number",
            Self::TooLong => "too many digits",
            Self::OutOfRange => "out of the decimal range",
        })
    }
}

/// An exactly scanned decimal: `(-1)^negative × mantissa × 10^exponent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scanned {
    negative: bool,
    mantissa: u128,
    exponent: i32,
}

impl Scanned {
    /// Whether the value is below zero (`-0` is not).
    pub(crate) const fn is_negative(self) -> bool {
        self.negative && self.mantissa != 0
    }

    /// Whether the value is zero.
    pub(crate) const fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// The correctly rounded `f64`; `text` must be the text this was scanned from.
    /// Magnitudes beyond `f64` come out infinite.
    pub(crate) fn to_f64(self, text: &[u8]) -> f64 {
        if self.mantissa == 0 {
            return 0.0;
        }
        let magnitude = if self.mantissa <= F64_EXACT_INT && self.exponent.unsigned_abs() <= 22 {
            // Exact: the mantissa is at most 2^53 (and so fits a u64).
            #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
            let m = self.mantissa as u64 as f64;
            let pow = POW10
                .get(self.exponent.unsigned_abs() as usize)
                .copied()
                .unwrap_or(f64::INFINITY);
            if self.exponent >= 0 { m * pow } else { m / pow }
        } else {
            // The scan accepted only ASCII digits, '.', '-', 'E'/'e' and '+'.
            return std::str::from_utf8(text)
                .ok()
                .and_then(|t| t.parse::<f64>().ok())
                .unwrap_or(f64::NAN);
        };
        if self.negative { -magnitude } else { magnitude }
    }

    /// The exact value as a [`Decimal`] (trailing zeros beyond 28 decimals are dropped).
    pub(crate) fn to_decimal(self) -> Result<Decimal, NumError> {
        let mut mantissa = self.mantissa;
        let mut exponent = self.exponent;
        while exponent < -MAX_SCALE && mantissa.is_multiple_of(10) && mantissa != 0 {
            mantissa /= 10;
            exponent += 1;
        }
        if mantissa == 0 {
            return Ok(Decimal::ZERO);
        }
        let mut value = i128::try_from(mantissa).map_err(|_| NumError::OutOfRange)?;
        while exponent > 0 {
            value = value.checked_mul(10).ok_or(NumError::OutOfRange)?;
            exponent -= 1;
        }
        if self.negative {
            value = -value;
        }
        let scale = u32::try_from(-exponent).map_err(|_| NumError::OutOfRange)?;
        Decimal::try_from_i128_with_scale(value, scale).map_err(|_| NumError::OutOfRange)
    }
}

/// A plain non-negative decimal of at most 19 characters (`93220.01`, `0.04438243`), the
/// form MEXC sends almost every price and quantity in, scanned without the general path's
/// wide mantissa: `(mantissa, decimals)` with value `mantissa / 10^decimals`. `None` for
/// anything else (a sign, an exponent, no digits, more than 19 characters), which the
/// caller hands to [`scan`].
#[inline]
pub(crate) fn scan_plain(text: &[u8]) -> Option<(u64, u32)> {
    if text.is_empty() || text.len() > 19 {
        return None;
    }
    // The point first, then one loop over the digits on either side of it (a second point
    // is not a digit there).
    let (whole, fraction) = match text.iter().position(|&b| b == b'.') {
        Some(point) => (&text[..point], &text[point + 1..]),
        None => (text, &text[text.len()..]),
    };
    // A lone "." has no digits.
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let mantissa = digits(fraction, digits(whole, 0)?)?;
    #[allow(clippy::cast_possible_truncation, reason = "at most 19 characters")]
    Some((mantissa, fraction.len() as u32))
}

/// `start` followed by the decimal digits of `text`; `None` at anything but a digit. At most
/// 19 digits in all (the caller's rule): below 10^19 < 2^64, no overflow.
#[inline(always)]
fn digits(text: &[u8], start: u64) -> Option<u64> {
    let mut mantissa = start;
    for &b in text {
        let digit = b.wrapping_sub(b'0');
        if digit >= 10 {
            return None;
        }
        mantissa = mantissa * 10 + u64::from(digit);
    }
    Some(mantissa)
}

/// The correctly rounded `f64` of `mantissa / 10^decimals` when it is computed by one exact
/// division (Clinger's fast path: mantissa ≤ 2^53, decimals ≤ 22), the same value
/// [`Scanned::to_f64`] gives; `None` otherwise.
#[inline]
pub(crate) fn plain_to_f64(mantissa: u64, decimals: u32) -> Option<f64> {
    if u128::from(mantissa) > F64_EXACT_INT {
        return None;
    }
    let pow = *POW10.get(decimals as usize)?;
    #[allow(clippy::cast_precision_loss, reason = "mantissa ≤ 2^53 is exact")]
    Some(mantissa as f64 / pow)
}

/// Scans decimal text.
pub(crate) fn scan(text: &[u8]) -> Result<Scanned, NumError> {
    let (negative, body) = match text.split_first() {
        None => return Err(NumError::Empty),
        Some((b'-', rest)) => (true, rest),
        Some(_) => (false, text),
    };
    if body.len() <= 19
        && let Some(scanned) = scan_short(negative, body)
    {
        return Ok(scanned);
    }
    scan_long(negative, body)
}

/// The common case: at most 19 characters of digits and one point, so the digits cannot
/// overflow a `u64`. `None` sends anything else (exponents, errors) to [`scan_long`].
fn scan_short(negative: bool, body: &[u8]) -> Option<Scanned> {
    let mut mantissa: u64 = 0;
    let mut decimals: i32 = 0;
    let mut digits = 0u32;
    let mut seen_point = false;
    for &b in body {
        let digit = b.wrapping_sub(b'0');
        if digit < 10 {
            mantissa = mantissa * 10 + u64::from(digit);
            digits += 1;
            decimals += i32::from(seen_point);
        } else if b == b'.' && !seen_point {
            seen_point = true;
        } else {
            return None;
        }
    }
    (digits > 0).then_some(Scanned {
        negative,
        mantissa: u128::from(mantissa),
        exponent: -decimals,
    })
}

/// Any length, exponent forms, and the errors.
fn scan_long(negative: bool, body: &[u8]) -> Result<Scanned, NumError> {
    // Digits accumulate in a u64 (the common case: up to 19 digits) and move to a u128
    // only when they overflow it.
    let mut narrow: u64 = 0;
    let mut wide: Option<u128> = None;
    let mut exponent: i32 = 0;
    let mut digits = 0usize;
    let mut seen_point = false;
    let mut rest = body;
    while let Some((&b, tail)) = rest.split_first() {
        match b {
            b'0'..=b'9' => {
                let digit = b - b'0';
                match wide {
                    None => match narrow
                        .checked_mul(10)
                        .and_then(|m| m.checked_add(u64::from(digit)))
                    {
                        Some(m) => narrow = m,
                        None => wide = Some(u128::from(narrow) * 10 + u128::from(digit)),
                    },
                    Some(m) => {
                        wide = Some(
                            m.checked_mul(10)
                                .and_then(|m| m.checked_add(u128::from(digit)))
                                .ok_or(NumError::TooLong)?,
                        );
                    }
                }
                digits += 1;
                if seen_point {
                    exponent -= 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            b'e' | b'E' => break,
            _ => return Err(NumError::Syntax),
        }
        rest = tail;
    }
    let mantissa = wide.unwrap_or(u128::from(narrow));
    if digits == 0 {
        return Err(NumError::Syntax);
    }
    if let Some((_, exp_text)) = rest.split_first() {
        exponent = exponent
            .checked_add(scan_exponent(exp_text)?)
            .ok_or(NumError::TooLong)?;
    }
    if exponent.unsigned_abs() > MAX_EXPONENT.unsigned_abs() * 2 {
        return Err(NumError::TooLong);
    }
    Ok(Scanned {
        negative,
        mantissa,
        exponent,
    })
}

/// The exponent after `E`: `[+-]?digits`, at most ±9999.
fn scan_exponent(text: &[u8]) -> Result<i32, NumError> {
    let (sign, digits) = match text.split_first() {
        Some((b'-', rest)) => (-1, rest),
        Some((b'+', rest)) => (1, rest),
        _ => (1, text),
    };
    if digits.is_empty() {
        return Err(NumError::Syntax);
    }
    let mut value: i32 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return Err(NumError::Syntax);
        }
        value = value * 10 + i32::from(b - b'0');
        if value > MAX_EXPONENT {
            return Err(NumError::TooLong);
        }
    }
    Ok(sign * value)
}

/// The correctly rounded `f64` of a decimal (the same as parsing its text).
pub(crate) fn decimal_to_f64(value: Decimal) -> f64 {
    let scanned = Scanned {
        negative: value.is_sign_negative(),
        mantissa: value.mantissa().unsigned_abs(),
        exponent: -i32::try_from(value.scale()).unwrap_or(0),
    };
    if scanned.mantissa <= F64_EXACT_INT && scanned.exponent.unsigned_abs() <= 22 {
        scanned.to_f64(b"")
    } else {
        let text = value.to_string();
        scanned.to_f64(text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use proptest::prelude::*;

    use super::*;

    fn f(text: &str) -> f64 {
        scan(text.as_bytes()).map_or(f64::NAN, |s| s.to_f64(text.as_bytes()))
    }

    fn d(text: &str) -> Result<Decimal, NumError> {
        scan(text.as_bytes()).and_then(Scanned::to_decimal)
    }

    #[test]
    fn plain_and_exponent_forms() {
        assert_eq!(f("0.1").to_bits(), 0.1f64.to_bits());
        assert_eq!(f("65432.10").to_bits(), 65_432.1f64.to_bits());
        assert_eq!(f("1.2E-7").to_bits(), 1.2e-7f64.to_bits());
        assert_eq!(f("1e3").to_bits(), 1000f64.to_bits());
        assert_eq!(f("-0").to_bits(), 0f64.to_bits());
        assert_eq!(d("0.10"), Ok(Decimal::from_str("0.1").unwrap_or_default()));
        assert_eq!(d("1.5E+2"), Ok(Decimal::from(150)));
        assert_eq!(d("-2.50"), Ok(Decimal::new(-25, 1)));
        assert!(scan(b"-0").is_ok_and(|s| !s.is_negative() && s.is_zero()));
        assert!(scan(b"-0.5").is_ok_and(Scanned::is_negative));
    }

    #[test]
    fn rejects_what_is_not_a_plain_decimal() {
        for bad in [
            "", "-", ".", "NaN", "nan", "inf", "-inf", "+1", " 1", "1 ", "1.2.3", "1e", "1e+",
            "0x10", "1,5", "١",
        ] {
            assert!(scan(bad.as_bytes()).is_err(), "{bad:?} accepted");
        }
        assert_eq!(scan(b"1e99999"), Err(NumError::TooLong));
        assert_eq!(scan("9".repeat(40).as_bytes()), Err(NumError::TooLong));
        assert_eq!(d("1e-40"), Err(NumError::OutOfRange));
        assert_eq!(d("1e30"), Err(NumError::OutOfRange));
        assert!(f("1e400").is_infinite());
    }

    #[test]
    fn long_texts_use_the_standard_parser() {
        let text = "123456789012345678.123456789";
        assert_eq!(
            f(text).to_bits(),
            text.parse::<f64>().unwrap_or(0.0).to_bits()
        );
        assert_eq!(d(text).map(|v| v.to_string()), Ok(text.to_owned()));
        let tiny = "0.0000000000000000000000000000010";
        assert_eq!(d(tiny), Err(NumError::OutOfRange));
        let padded = "0.10000000000000000000000000000";
        assert_eq!(
            d(padded).map(|v| v.normalize().to_string()),
            Ok("0.1".to_owned())
        );
    }

    proptest! {
        #[test]
        fn prop_f64_matches_the_standard_parser(m in prop_oneof![0u64..(1 << 53), any::<u64>()], scale in 0u32..30, e in -30i32..30, exp in any::<bool>()) {
            let digits = m.to_string();
            let text = if scale == 0 || scale as usize >= digits.len() {
                digits.clone()
            } else {
                let (a, b) = digits.split_at(digits.len() - scale as usize);
                format!("{a}.{b}")
            };
            let text = if exp { format!("{text}E{e}") } else { text };
            let expected: f64 = text.parse().unwrap_or(f64::NAN);
            prop_assert_eq!(f(&text).to_bits(), expected.to_bits(), "{}", text);
        }

        #[test]
        fn prop_decimal_round_trips(m in any::<i64>(), scale in 0u32..=28) {
            let value = Decimal::new(m, scale);
            let text = value.to_string();
            prop_assert_eq!(d(&text), Ok(value));
            let expected: f64 = text.parse().unwrap_or(f64::NAN);
            prop_assert_eq!(decimal_to_f64(value).to_bits(), expected.to_bits());
        }

        #[test]
        fn prop_f64_display_round_trips(x in 0f64..1e20) {
            let text = x.to_string();
            prop_assert_eq!(f(&text).to_bits(), x.to_bits());
        }

        #[test]
        fn prop_plain_scan_agrees_with_the_general_scan(text in "[0-9.]{0,21}|-?[0-9]{1,3}(\\.[0-9]{0,3})?|[0-9]E-?[0-9]") {
            let bytes = text.as_bytes();
            if let Some((mantissa, decimals)) = scan_plain(bytes) {
                let general = scan(bytes);
                prop_assert!(general.is_ok(), "{} plain but not general", text);
                let general = general.unwrap_or(Scanned { negative: false, mantissa: 0, exponent: 0 });
                prop_assert_eq!(u128::from(mantissa), general.mantissa);
                prop_assert_eq!(-i32::try_from(decimals).unwrap_or(i32::MAX), general.exponent);
                if let Some(value) = plain_to_f64(mantissa, decimals) {
                    prop_assert_eq!(value.to_bits(), general.to_f64(bytes).to_bits(), "{}", text);
                }
            } else {
                // What the plain scan leaves is signed, an exponent form, empty, a lone
                // point, malformed, or longer than 19 characters.
                prop_assert!(
                    bytes.len() > 19 || scan(bytes).is_err() || text.contains(['-', 'E']),
                    "{} refused by the plain scan", text
                );
            }
        }

        #[test]
        fn prop_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..48)) {
            if let Ok(s) = scan(&bytes) {
                let _ = s.to_f64(&bytes);
                let _ = s.to_decimal();
            }
        }
    }
}
