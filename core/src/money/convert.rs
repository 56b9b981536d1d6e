//! `f64` ⇄ `Decimal` conversions that give exactly what `rust_decimal`'s own conversions
//! give — the same value *and* scale, bit for bit — in a fraction of the time.
//!
//! `Decimal::from_f64` turns the binary exponent into a decimal one a bit at a time on a
//! 96-bit mantissa held as three `u32` words (about 1,700 instructions for a price), and
//! `Decimal::to_f64` divides a 128-bit integer by a power of ten twice (two calls of a
//! software 128-bit division). Here the very same steps run on one `u128` (every step of
//! the library — each shift, multiplication by 5 or 10, truncating division and its
//! rounding of the remainder — in the same order, with the same 96-bit overflow tests), runs
//! of shifts are done at once, and the division uses 64-bit words when the numbers fit
//! them (the same quotient and remainder). Values outside the common path (zero,
//! subnormals, a conversion that rounds down to zero; decimals without scale, beyond 64
//! bits or with a scale above 19) go to the library itself. The unit tests compare both
//! with the library on random and chosen values.

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

/// 2⁹⁶: the decimal mantissa's bound.
const MANTISSA_LIMIT: u128 = 1 << 96;

/// The largest scale a decimal has.
const MAX_SCALE: i32 = 28;

/// `Decimal::from_f64(value)`, value and scale (`None` for non-finite values and values
/// outside the decimal range, as the library).
#[must_use]
pub fn decimal_from_f64(value: f64) -> Option<Decimal> {
    if !value.is_finite() {
        return None;
    }
    let raw = value.to_bits();
    let negative = raw >> 63 != 0;
    let biased_exponent = ((raw >> 52) & 0x7FF) as i32;
    if biased_exponent == 0 {
        // Zero (with its sign) and subnormals: the library's own path.
        return Decimal::from_f64(value);
    }
    // The mantissa with its hidden bit, as an integer: value = bits · 2^exponent2.
    let mut bits = u128::from((raw & 0x000F_FFFF_FFFF_FFFF) | (1 << 52));
    let exponent2 = biased_exponent - 1023 - 52;
    // 2^e = 10^e / 5^e: multiply by 5 (or shift right, losing a bit when that overflows)
    // for each power of 2 below 1; the library's `base2_to_decimal`, step by step.
    let mut exponent5 = -exponent2;
    let mut exponent10 = exponent2;
    while exponent5 > 0 {
        if bits & 1 == 0 {
            // A run of even steps: each halves the mantissa exactly.
            let shift = bits.trailing_zeros().min(exponent5.unsigned_abs());
            bits >>= shift;
            let shift = shift as i32;
            exponent10 += shift;
            exponent5 -= shift;
            continue;
        }
        // Odd: the library multiplies by 5 while the product stays below 2^96 (it stays
        // odd). A run of those steps that surely fits at once: `bits < 2^len`, so
        // `bits · 5^k < 2^96` when `k · log2(5) <= 96 - len` (log2(5) = 2.32193 < 2.322).
        let len = 128 - bits.leading_zeros();
        let sure = ((96 - len.min(96)) * 1000 / 2322)
            .min(exponent5.unsigned_abs())
            .min(MAX_POW5);
        if sure > 0 {
            bits *= POW5[sure as usize];
            exponent5 -= sure as i32;
            continue;
        }
        exponent5 -= 1;
        let times5 = bits * 5;
        if times5 < MANTISSA_LIMIT {
            bits = times5;
        } else {
            // Overflow: halve instead, losing the last bit.
            exponent10 += 1;
            bits >>= 1;
        }
    }
    while exponent5 < 0 {
        if bits & (1 << 95) == 0 {
            exponent10 -= 1;
            exponent5 += 1;
            bits <<= 1;
        } else if exponent10 * 2 > -exponent5 {
            return None;
        } else {
            exponent5 += 1;
            bits /= 5;
        }
    }
    while exponent10 > 0 {
        let times10 = bits * 10;
        if times10 >= MANTISSA_LIMIT {
            return None;
        }
        bits = times10;
        exponent10 -= 1;
    }
    while exponent10 < -MAX_SCALE {
        let remainder = bits % 10;
        bits /= 10;
        exponent10 += 1;
        if bits == 0 {
            // Rounded away to zero: the library's signed zero.
            return Decimal::from_f64(value);
        } else if remainder >= 5 {
            bits += 1;
        }
    }
    // Keep the digits an `f64` carries (the library's `remove_excess_bits` for `f64`):
    // drop digits, rounding on the dropped one, while the mantissa has 53 bits or more.
    while exponent10 < 0 && bits >> 52 != 0 {
        let (quotient, remainder) = div10(bits);
        bits = quotient;
        exponent10 += 1;
        if remainder >= 5 {
            bits += 1;
        }
    }
    // Then trailing zeros.
    while exponent10 < 0 {
        let (quotient, remainder) = div10(bits);
        if remainder != 0 {
            break;
        }
        bits = quotient;
        exponent10 += 1;
    }
    if bits == 0 {
        return Decimal::from_f64(value);
    }
    // Below 2^96 and a scale in 0..=28 by the loops above.
    let word = |k: u32| ((bits >> (32 * k)) & 0xFFFF_FFFF) as u32;
    Some(Decimal::from_parts(
        word(0),
        word(1),
        word(2),
        negative,
        exponent10.unsigned_abs(),
    ))
}

/// The largest power of 5 in [`POW5`].
const MAX_POW5: u32 = 27;

/// `5^k` for `k` in `0..=27` (`5^27 < 2^63`).
const POW5: [u128; 28] = {
    let mut table = [1_u128; 28];
    let mut k = 1;
    while k < table.len() {
        table[k] = table[k - 1] * 5;
        k += 1;
    }
    table
};

/// `(bits / 10, bits % 10)`, in 64-bit words when `bits` fits one (the same numbers).
#[inline]
fn div10(bits: u128) -> (u128, u128) {
    match u64::try_from(bits) {
        Ok(small) => (u128::from(small / 10), u128::from(small % 10)),
        Err(_) => (bits / 10, bits % 10),
    }
}

/// Powers of ten that an `f64` holds exactly (`10f64.powi(k)` is exact for these: every
/// partial product of its repeated squaring is an exactly representable power of ten).
const POW10_F64: [f64; 20] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19,
];

/// `value.to_f64()` (the library's `as_f64`), bit for bit.
#[must_use]
pub fn decimal_to_f64(value: Decimal) -> f64 {
    let scale = value.scale();
    let signed = value.mantissa();
    if scale == 0 {
        // The library truncates (a no-op without scale) and converts the integer.
        return signed as f64;
    }
    let Ok(mantissa) = u64::try_from(signed.unsigned_abs()) else {
        return value.to_f64().unwrap_or(f64::NAN);
    };
    if scale as usize >= POW10_F64.len() {
        return value.to_f64().unwrap_or(f64::NAN);
    }
    let precision = 10_u64.pow(scale);
    let negative = value.is_sign_negative();
    // The library divides the 128-bit mantissa; a mantissa that fits 64 bits gives the
    // same quotient and remainder, and each converts to the same `f64`.
    let integral = (mantissa / precision) as f64;
    let fraction = (mantissa % precision) as f64 / precision as f64;
    if fraction == 0.0 {
        return if negative { -integral } else { integral };
    }
    let round_to = POW10_F64[scale as usize];
    let rounded = ((integral + fraction) * round_to).round() / round_to;
    if negative { -rounded } else { rounded }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn same_from(value: f64) {
        assert_eq!(
            decimal_from_f64(value).map(|d| d.serialize()),
            Decimal::from_f64(value).map(|d| d.serialize()),
            "{value:e} ({:#x})",
            value.to_bits()
        );
    }

    fn same_to(value: Decimal) {
        assert_eq!(
            decimal_to_f64(value).to_bits(),
            value.to_f64().unwrap_or(f64::NAN).to_bits(),
            "{value} (scale {})",
            value.scale()
        );
    }

    #[test]
    fn chosen_values_convert_as_the_library() {
        let values = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.3,
            0.1 + 0.2,
            2.999_999_999_999_999_6,
            49_970.61,
            7_900.123_456_789,
            1e-7,
            3e-30,
            1e-28,
            4.9e-29,
            5e-29,
            1e-300,
            f64::MIN_POSITIVE,
            5e-324,
            1e15,
            9_007_199_254_740_992.0,
            9_007_199_254_740_994.0,
            1e16,
            1e20,
            1e28,
            7.9e28,
            7.92e28,
            1e29,
            f64::MAX,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            123_456.789_012_345_6,
            0.000_012_345_67,
            12_345_678_901.9,
        ];
        for value in values {
            same_from(value);
            same_from(-value);
        }
    }

    #[test]
    fn chosen_decimals_convert_as_the_library() {
        let texts = [
            "0",
            "1",
            "-1",
            "0.1",
            "49970.61",
            "-49970.61",
            "24.710732830265",
            "0.0000000000000000001",
            "18446744073709551615.5",
            "18446744073709551616.5",
            "1.0000000000000000000000000001",
            "79228162514264337593543950335",
            "0.00000000000000000001",
            "123456789.123456789",
            "1000000000.0000000000",
        ];
        for text in texts {
            let value: Decimal = text.parse().unwrap_or_default();
            same_to(value);
        }
    }

    #[test]
    fn prices_and_quantities_convert_as_the_library() {
        // Prices with 2 decimals, quantities with 6, over a wide range, and their sums.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200_000 {
            let cents = next() % 10_000_000_000;
            let price = cents as f64 / 100.0;
            same_from(price);
            let micro = next() % 100_000_000_000;
            same_from(micro as f64 * 1e-6);
            same_from(price * (micro as f64 * 1e-6));
            same_to(Decimal::new(cents as i64, 2));
            same_to(Decimal::new(micro as i64, (next() % 20) as u32));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn prop_any_f64_converts_as_the_library(bits in any::<u64>()) {
            same_from(f64::from_bits(bits));
        }

        #[test]
        fn prop_any_decimal_converts_as_the_library(
            lo in any::<u32>(),
            mid in any::<u32>(),
            hi in prop_oneof![Just(0_u32), any::<u32>()],
            negative in any::<bool>(),
            scale in 0_u32..=28,
        ) {
            same_to(Decimal::from_parts(lo, mid, hi, negative, scale));
        }

        #[test]
        fn prop_ordinary_f64_converts_as_the_library(x in 1e-12_f64..1e15) {
            same_from(x);
            same_from(-x);
        }
    }
}
