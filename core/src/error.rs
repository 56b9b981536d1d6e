//! Errors shared across the core.

use std::fmt;

/// A value that broke a rule: names the input, shows the value, states the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// What was being validated, e.g. `symbol` or `instrument BTCUSDT min_notional`.
    pub input: String,
    /// The offending value as text.
    pub value: String,
    /// The rule that was broken.
    pub rule: String,
}

impl ValidationError {
    /// A validation error for `input` holding `value` that breaks `rule`.
    pub fn new(
        input: impl Into<String>,
        value: impl fmt::Display,
        rule: impl Into<String>,
    ) -> Self {
        Self {
            input: input.into(),
            value: value.to_string(),
            rule: rule.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}: {}", self.input, self.value, self.rule)
    }
}

impl std::error::Error for ValidationError {}
