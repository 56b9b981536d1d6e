//! The error returned by indicator constructors and slice functions.

/// An invalid indicator parameter or mismatched inputs.
///
/// Every message names the indicator, the parameter and the rule, for example
/// `"SMA period must be at least 1, got 0"`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum IndicatorError {
    /// A period (window length) is below its minimum.
    #[error("{indicator} {parameter} must be at least {min}, got {got}")]
    PeriodTooShort {
        /// Indicator name, e.g. `"SMA"`.
        indicator: &'static str,
        /// Parameter name, e.g. `"period"` or `"fast period"`.
        parameter: &'static str,
        /// Smallest accepted value.
        min: usize,
        /// Value passed in.
        got: usize,
    },
    /// A MACD fast period that is not shorter than its slow period.
    #[error(
        "{indicator} fast period must be less than slow period, got fast {fast} and slow {slow}"
    )]
    FastNotBelowSlow {
        /// Indicator name.
        indicator: &'static str,
        /// Fast period passed in.
        fast: usize,
        /// Slow period passed in.
        slow: usize,
    },
    /// A band-width multiplier that is not a finite number greater than zero.
    #[error("{indicator} {parameter} must be a finite number greater than 0, got {got}")]
    InvalidMultiplier {
        /// Indicator name.
        indicator: &'static str,
        /// Parameter name, e.g. `"k"`.
        parameter: &'static str,
        /// Value passed in.
        got: f64,
    },
    /// Slices given to a multi-input slice function differ in length.
    #[error(
        "{indicator} inputs must have equal lengths, but {parameter} has {got} values and {reference} has {expected}"
    )]
    LengthMismatch {
        /// Indicator name.
        indicator: &'static str,
        /// Name of the first input, whose length is the reference.
        reference: &'static str,
        /// Length of the reference input.
        expected: usize,
        /// Name of the input whose length differs.
        parameter: &'static str,
        /// Its length.
        got: usize,
    },
    /// Output positions that reach past the end of the input.
    #[error("{indicator} positions {start}..{end} are out of range for {len} input values")]
    RangeOutOfBounds {
        /// Indicator name.
        indicator: &'static str,
        /// First position asked for.
        start: usize,
        /// One past the last position asked for.
        end: usize,
        /// Number of input values.
        len: usize,
    },
}

/// Checks `period >= min` for the named indicator parameter.
pub(crate) const fn check_period(
    indicator: &'static str,
    parameter: &'static str,
    period: usize,
    min: usize,
) -> Result<(), IndicatorError> {
    if period < min {
        return Err(IndicatorError::PeriodTooShort {
            indicator,
            parameter,
            min,
            got: period,
        });
    }
    Ok(())
}

/// Checks that every named input has the length of the first one.
pub(crate) fn check_lengths(
    indicator: &'static str,
    inputs: &[(&'static str, usize)],
) -> Result<(), IndicatorError> {
    let Some(&(reference, expected)) = inputs.first() else {
        return Ok(());
    };
    for &(parameter, got) in inputs {
        if got != expected {
            return Err(IndicatorError::LengthMismatch {
                indicator,
                reference,
                expected,
                parameter,
                got,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_indicator_parameter_and_rule() {
        assert_eq!(
            check_period("SMA", "period", 0, 1).map_err(|e| e.to_string()),
            Err("SMA period must be at least 1, got 0".to_owned())
        );
        let err = check_lengths("ATR", &[("high", 3), ("low", 3), ("close", 2)]);
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err(
                "ATR inputs must have equal lengths, but close has 2 values and high has 3"
                    .to_owned()
            )
        );
        assert_eq!(check_lengths("ATR", &[]), Ok(()));
    }
}
