//! Strategy parameters: typed values, schemas with defaults and bounds, and validation
//! whose errors name the strategy, the parameter and the rule broken.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::registry::StrategySpec;

/// One parameter value, as written in a configuration file or passed from Python.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// `true` / `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A real number.
    Float(f64),
    /// A word, for choices such as `ma = "ema"`.
    Text(String),
    /// A strategy with its own parameters, for strategies that run others (auto mode):
    /// `trend = { name = "crossover", params = { fast = 10 } }`.
    Strategy(Box<StrategySpec>),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool(v) => write!(f, "{v}"),
            Self::Int(v) => write!(f, "{v}"),
            Self::Float(v) => write!(f, "{v}"),
            Self::Text(v) => write!(f, "{v:?}"),
            Self::Strategy(spec) => {
                write!(f, "{}", spec.name)?;
                if !spec.params.is_empty() {
                    let shown: Vec<String> = spec
                        .params
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    write!(f, "({})", shown.join(", "))?;
                }
                Ok(())
            }
        }
    }
}

impl From<bool> for ParamValue {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}
impl From<i64> for ParamValue {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}
impl From<f64> for ParamValue {
    fn from(v: f64) -> Self {
        Self::Float(v)
    }
}
impl From<&str> for ParamValue {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}

/// The type of a parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "choices")]
pub enum ParamKind {
    /// A whole number.
    Int,
    /// A real number (whole numbers are accepted too).
    Float,
    /// `true` / `false`.
    Bool,
    /// One of the listed words.
    Choice(Vec<&'static str>),
    /// A registered strategy with its parameters (checked when the strategy is built).
    Strategy,
}

/// One parameter of a strategy: name, type, default, bounds and meaning.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamSpec {
    /// Name as written in configurations.
    pub name: &'static str,
    /// Type.
    pub kind: ParamKind,
    /// Value used when none is given.
    pub default: ParamValue,
    /// Smallest allowed value (numbers only), inclusive.
    pub min: Option<f64>,
    /// Largest allowed value (numbers only), inclusive.
    pub max: Option<f64>,
    /// What the parameter does.
    pub description: &'static str,
}

impl ParamSpec {
    /// An integer parameter within `[min, max]`.
    #[must_use]
    pub fn int(
        name: &'static str,
        default: i64,
        min: i64,
        max: i64,
        description: &'static str,
    ) -> Self {
        #[allow(clippy::cast_precision_loss, reason = "bounds are small integers")]
        Self {
            name,
            kind: ParamKind::Int,
            default: ParamValue::Int(default),
            min: Some(min as f64),
            max: Some(max as f64),
            description,
        }
    }

    /// A real parameter within `[min, max]`.
    #[must_use]
    pub fn float(
        name: &'static str,
        default: f64,
        min: f64,
        max: f64,
        description: &'static str,
    ) -> Self {
        Self {
            name,
            kind: ParamKind::Float,
            default: ParamValue::Float(default),
            min: Some(min),
            max: Some(max),
            description,
        }
    }

    /// The share of the available capital spent on each entry, in `[0.01, 1]`: the
    /// `order_size` of the entry/exit strategies.
    #[must_use]
    pub fn order_size(default: f64) -> Self {
        Self::float(
            "order_size",
            default,
            0.01,
            1.0,
            "Share of the available capital spent on each entry",
        )
    }

    /// A true/false parameter.
    #[must_use]
    pub fn bool(name: &'static str, default: bool, description: &'static str) -> Self {
        Self {
            name,
            kind: ParamKind::Bool,
            default: ParamValue::Bool(default),
            min: None,
            max: None,
            description,
        }
    }

    /// A strategy run by this one, with `default` as its default (default parameters).
    #[must_use]
    pub fn strategy(name: &'static str, default: &str, description: &'static str) -> Self {
        Self {
            name,
            kind: ParamKind::Strategy,
            default: ParamValue::Strategy(Box::new(StrategySpec::new(default, Params::new()))),
            min: None,
            max: None,
            description,
        }
    }

    /// A choice among words.
    #[must_use]
    pub fn choice(
        name: &'static str,
        default: &'static str,
        choices: &[&'static str],
        description: &'static str,
    ) -> Self {
        Self {
            name,
            kind: ParamKind::Choice(choices.to_vec()),
            default: ParamValue::Text(default.to_owned()),
            min: None,
            max: None,
            description,
        }
    }

    /// `value` checked against the type and bounds (an integer given for a real becomes a
    /// real; nothing else is converted).
    fn check(&self, value: &ParamValue) -> Result<ParamValue, String> {
        let number = match (&self.kind, value) {
            (ParamKind::Int, ParamValue::Int(v)) => {
                #[allow(clippy::cast_precision_loss, reason = "compared against f64 bounds")]
                let n = *v as f64;
                n
            }
            (ParamKind::Float, ParamValue::Float(v)) => *v,
            #[allow(clippy::cast_precision_loss, reason = "integers given for reals")]
            (ParamKind::Float, ParamValue::Int(v)) => *v as f64,
            (ParamKind::Bool, ParamValue::Bool(_))
            | (ParamKind::Strategy, ParamValue::Strategy(_)) => return Ok(value.clone()),
            (ParamKind::Choice(choices), ParamValue::Text(t)) => {
                return if choices.contains(&t.as_str()) {
                    Ok(value.clone())
                } else {
                    Err(format!("must be one of {}", choices.join(", ")))
                };
            }
            (kind, _) => return Err(format!("must be {}", kind_name(kind))),
        };
        if !number.is_finite() {
            return Err("must be a finite number".to_owned());
        }
        if let Some(min) = self.min
            && number < min
        {
            return Err(format!("must be at least {min}"));
        }
        if let Some(max) = self.max
            && number > max
        {
            return Err(format!("must be at most {max}"));
        }
        Ok(match self.kind {
            ParamKind::Float => ParamValue::Float(number),
            _ => value.clone(),
        })
    }
}

fn kind_name(kind: &ParamKind) -> &'static str {
    match kind {
        ParamKind::Int => "an integer",
        ParamKind::Float => "a number",
        ParamKind::Bool => "true or false",
        ParamKind::Choice(_) => "one of the listed words",
        ParamKind::Strategy => "a strategy: { name = \"...\", params = { ... } }",
    }
}

/// A parameter that breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("strategy {strategy}: parameter `{param}` = {value} {rule}")]
pub struct ParamError {
    /// The strategy.
    pub strategy: String,
    /// The parameter.
    pub param: String,
    /// The value given, as text.
    pub value: String,
    /// The rule broken.
    pub rule: String,
}

impl ParamError {
    /// An error for `param` of `strategy`.
    pub fn new(
        strategy: &str,
        param: &str,
        value: impl fmt::Display,
        rule: impl Into<String>,
    ) -> Self {
        Self {
            strategy: strategy.to_owned(),
            param: param.to_owned(),
            value: value.to_string(),
            rule: rule.into(),
        }
    }
}

/// The description of a strategy's parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategySchema {
    /// Registered name.
    pub name: &'static str,
    /// What the strategy does.
    pub description: &'static str,
    /// Its parameters.
    pub params: Vec<ParamSpec>,
}

impl StrategySchema {
    /// `given` checked against the schema, with defaults filled in for what is missing.
    pub fn resolve(&self, given: &Params) -> Result<Params, ParamError> {
        for (name, value) in &given.0 {
            if !self.params.iter().any(|p| p.name == name) {
                let known: Vec<&str> = self.params.iter().map(|p| p.name).collect();
                return Err(ParamError::new(
                    self.name,
                    name,
                    value,
                    format!(
                        "is not a parameter of this strategy (known: {})",
                        known.join(", ")
                    ),
                ));
            }
        }
        let mut resolved = Params::new();
        for spec in &self.params {
            let value = given.0.get(spec.name).unwrap_or(&spec.default);
            let checked = spec
                .check(value)
                .map_err(|rule| ParamError::new(self.name, spec.name, value, rule))?;
            resolved.0.insert(spec.name.to_owned(), checked);
        }
        Ok(resolved)
    }
}

/// Named parameter values, ordered by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Params(BTreeMap<String, ParamValue>);

impl Params {
    /// No parameters.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `name` to `value`.
    pub fn set(&mut self, name: &str, value: impl Into<ParamValue>) -> &mut Self {
        self.0.insert(name.to_owned(), value.into());
        self
    }

    /// The value of `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&ParamValue> {
        self.0.get(name)
    }

    /// Iterates over the values by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ParamValue)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Whether there are no values.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The integer `name` of `strategy` (for constructors, after `resolve`).
    pub fn int(&self, strategy: &str, name: &str) -> Result<i64, ParamError> {
        match self.0.get(name) {
            Some(ParamValue::Int(v)) => Ok(*v),
            other => Err(missing(strategy, name, other, "must be an integer")),
        }
    }

    /// The number `name` of `strategy`.
    pub fn float(&self, strategy: &str, name: &str) -> Result<f64, ParamError> {
        match self.0.get(name) {
            Some(ParamValue::Float(v)) => Ok(*v),
            #[allow(clippy::cast_precision_loss, reason = "integers given for reals")]
            Some(ParamValue::Int(v)) => Ok(*v as f64),
            other => Err(missing(strategy, name, other, "must be a number")),
        }
    }

    /// The flag `name` of `strategy`.
    pub fn bool(&self, strategy: &str, name: &str) -> Result<bool, ParamError> {
        match self.0.get(name) {
            Some(ParamValue::Bool(v)) => Ok(*v),
            other => Err(missing(strategy, name, other, "must be true or false")),
        }
    }

    /// The word `name` of `strategy`.
    pub fn text(&self, strategy: &str, name: &str) -> Result<&str, ParamError> {
        match self.0.get(name) {
            Some(ParamValue::Text(v)) => Ok(v),
            other => Err(missing(strategy, name, other, "must be a word")),
        }
    }

    /// The strategy `name` of `strategy`.
    pub fn strategy(&self, strategy: &str, name: &str) -> Result<&StrategySpec, ParamError> {
        match self.0.get(name) {
            Some(ParamValue::Strategy(spec)) => Ok(spec),
            other => Err(missing(strategy, name, other, "must be a strategy")),
        }
    }

    /// The integer `name` as a count or period (at least 1).
    pub fn usize(&self, strategy: &str, name: &str) -> Result<usize, ParamError> {
        let v = self.int(strategy, name)?;
        usize::try_from(v)
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ParamError::new(strategy, name, v, "must be a positive integer"))
    }
}

fn missing(strategy: &str, name: &str, value: Option<&ParamValue>, rule: &str) -> ParamError {
    let shown = value.map_or_else(|| "(missing)".to_owned(), ToString::to_string);
    ParamError::new(strategy, name, shown, rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> StrategySchema {
        StrategySchema {
            name: "demo",
            description: "test",
            params: vec![
                ParamSpec::int("period", 10, 1, 100, "a period"),
                ParamSpec::float("k", 2.0, 0.5, 5.0, "a width"),
                ParamSpec::bool("flag", false, "a flag"),
                ParamSpec::choice("ma", "sma", &["sma", "ema"], "average"),
            ],
        }
    }

    #[test]
    fn defaults_fill_in_and_ints_widen_to_floats() {
        let mut given = Params::new();
        given.set("k", 3_i64);
        let resolved = schema().resolve(&given).unwrap();
        assert_eq!(resolved.int("demo", "period"), Ok(10));
        assert_eq!(resolved.get("k"), Some(&ParamValue::Float(3.0)));
        assert_eq!(resolved.text("demo", "ma"), Ok("sma"));
    }

    #[test]
    fn errors_name_the_parameter_and_the_rule() {
        let cases: [(&str, ParamValue, &str); 6] = [
            (
                "period",
                ParamValue::Int(0),
                "strategy demo: parameter `period` = 0 must be at least 1",
            ),
            (
                "period",
                ParamValue::Float(2.5),
                "parameter `period` = 2.5 must be an integer",
            ),
            (
                "k",
                ParamValue::Float(9.0),
                "parameter `k` = 9 must be at most 5",
            ),
            ("k", ParamValue::Float(f64::NAN), "must be a finite number"),
            (
                "ma",
                ParamValue::Text("wma".into()),
                "parameter `ma` = \"wma\" must be one of sma, ema",
            ),
            (
                "nope",
                ParamValue::Int(1),
                "parameter `nope` = 1 is not a parameter of this strategy (known: period, k, flag, ma)",
            ),
        ];
        for (name, value, expected) in cases {
            let mut given = Params::new();
            given.set(name, value);
            let err = schema().resolve(&given).unwrap_err().to_string();
            assert!(err.contains(expected), "{err} does not contain {expected}");
        }
    }

    #[test]
    fn params_read_from_toml() {
        let params: Params =
            toml::from_str("period = 5\nk = 1.5\nflag = true\nma = \"ema\"").unwrap();
        let resolved = schema().resolve(&params).unwrap();
        assert_eq!(resolved.bool("demo", "flag"), Ok(true));
        assert_eq!(resolved.usize("demo", "period"), Ok(5));
    }
}
