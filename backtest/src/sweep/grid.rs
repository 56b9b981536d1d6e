//! Parameter grids: per parameter a list of values or a range, checked against the
//! strategy's schema, with optional constraints between parameters.
//!
//! # Text form (the CLI's `--grid`)
//!
//! `name=values`, where `values` is
//! - a list: `slow=20,50,100`, `ma=sma,ema`, `rsi_confirm=true,false`, or one value;
//! - a range `start:stop:step` (or `start:stop`, step 1) of numbers: `fast=5:50:5` is
//!   5, 10, …, 50 — **the stop is included** when the steps reach it. Real ranges are
//!   computed as `start + i · step` and rounded to the decimals written, so `k=1:2:0.1`
//!   gives exactly 1, 1.1, …, 2.
//!
//! # TOML form
//!
//! ```toml
//! strategy = "crossover"            # optional
//! constraints = ["fast < slow"]     # optional
//! [grid]
//! fast = "5:50:5"                   # the text form
//! slow = [20, 50, 100]              # a list
//! ma = "sma"                        # one value
//! ```
//!
//! # Order
//!
//! Axes are ordered as the strategy's schema lists its parameters, whatever order they
//! were given in; combinations run like an odometer (the last axis fastest), and values
//! keep the order they were given in. That order is the combinations' *input order*: the
//! results come in it, and ranking ties are broken by it.

use vela_core::strategy::{ParamKind, ParamValue, Params, StrategySchema};

use super::constraint::Constraint;
use super::error::SweepError;

/// Most combinations one grid may have.
pub const MAX_COMBINATIONS: u64 = 10_000_000;

/// Values of one parameter as given, before the schema reads them.
#[derive(Debug, Clone, PartialEq)]
pub enum AxisSpec {
    /// The text form: a list or a range.
    Text(String),
    /// Typed values (from TOML).
    Values(Vec<ParamValue>),
}

/// A grid as given: parameters with their values, and constraints (as text).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GridSpec {
    /// Strategy named by a sweep file, if any.
    pub strategy: Option<String>,
    /// `(parameter, values)` in the order given.
    pub axes: Vec<(String, AxisSpec)>,
    /// Constraints such as `fast < slow`.
    pub constraints: Vec<String>,
}

impl GridSpec {
    /// Adds `name=values` (the text form).
    pub fn push_text(&mut self, entry: &str) -> Result<(), SweepError> {
        let Some((name, values)) = entry.split_once('=') else {
            return Err(SweepError::Grid {
                param: entry.to_owned(),
                detail: "expected name=values, e.g. fast=5:50:5 or slow=20,50,100".to_owned(),
            });
        };
        self.axes.push((
            name.trim().to_owned(),
            AxisSpec::Text(values.trim().to_owned()),
        ));
        Ok(())
    }

    /// A grid from a sweep file's TOML text (see the module docs).
    pub fn from_toml(text: &str) -> Result<Self, SweepError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| SweepError::File(e.to_string()))?;
        let mut spec = Self::default();
        for (key, value) in &table {
            match (key.as_str(), value) {
                ("strategy", toml::Value::String(name)) => spec.strategy = Some(name.clone()),
                ("constraints", toml::Value::Array(items)) => {
                    for item in items {
                        let toml::Value::String(text) = item else {
                            return Err(SweepError::File(format!(
                                "constraints: {item} is not a string such as \"fast < slow\""
                            )));
                        };
                        spec.constraints.push(text.clone());
                    }
                }
                ("grid", toml::Value::Table(grid)) => {
                    for (name, values) in grid {
                        spec.axes
                            .push((name.clone(), axis_from_toml(name, values)?));
                    }
                }
                _ => {
                    return Err(SweepError::File(format!(
                        "unknown or mistyped key `{key}` (expected strategy = \"...\", \
                         constraints = [...], [grid])"
                    )));
                }
            }
        }
        Ok(spec)
    }
}

fn axis_from_toml(name: &str, value: &toml::Value) -> Result<AxisSpec, SweepError> {
    let scalar = |v: &toml::Value| -> Result<ParamValue, SweepError> {
        match v {
            toml::Value::Integer(i) => Ok(ParamValue::Int(*i)),
            toml::Value::Float(f) => Ok(ParamValue::Float(*f)),
            toml::Value::Boolean(b) => Ok(ParamValue::Bool(*b)),
            toml::Value::String(s) => Ok(ParamValue::Text(s.clone())),
            other => Err(SweepError::Grid {
                param: name.to_owned(),
                detail: format!("{other} is not a value (number, boolean or word)"),
            }),
        }
    };
    match value {
        toml::Value::String(text) => Ok(AxisSpec::Text(text.clone())),
        toml::Value::Array(items) => Ok(AxisSpec::Values(
            items.iter().map(scalar).collect::<Result<_, _>>()?,
        )),
        other => Ok(AxisSpec::Values(vec![scalar(other)?])),
    }
}

/// One parameter's values, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The parameter.
    pub name: String,
    /// Its values, in the order given, each valid for the schema.
    pub values: Vec<ParamValue>,
}

/// A checked grid: axes in schema order and constraints.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    strategy: String,
    axes: Vec<Axis>,
    constraints: Vec<Constraint>,
}

impl Grid {
    /// Reads and checks `spec` against `schema`: every parameter must exist and be given
    /// once, every value must pass the schema's type and bounds, ranges must be well
    /// formed, constraints must name parameters of the schema.
    pub fn new(schema: &StrategySchema, spec: &GridSpec) -> Result<Self, SweepError> {
        if spec.axes.is_empty() {
            return Err(SweepError::Empty(
                "no parameter to vary: give at least one grid entry, e.g. fast=5:50:5".to_owned(),
            ));
        }
        let mut axes: Vec<(usize, Axis)> = Vec::new();
        for (name, values) in &spec.axes {
            let Some(position) = schema.params.iter().position(|p| p.name == name) else {
                let known: Vec<&str> = schema.params.iter().map(|p| p.name).collect();
                return Err(SweepError::Grid {
                    param: name.clone(),
                    detail: format!(
                        "strategy {} has no such parameter (known: {})",
                        schema.name,
                        known.join(", ")
                    ),
                });
            };
            if axes.iter().any(|(_, a)| &a.name == name) {
                return Err(SweepError::Grid {
                    param: name.clone(),
                    detail: "is given twice".to_owned(),
                });
            }
            let kind = &schema.params[position].kind;
            let values = match values {
                AxisSpec::Text(text) => parse_values(name, kind, text)?,
                AxisSpec::Values(values) => values.clone(),
            };
            check_values(schema, name, &values)?;
            axes.push((
                position,
                Axis {
                    name: name.clone(),
                    values,
                },
            ));
        }
        axes.sort_by_key(|(position, _)| *position);
        let constraints = spec
            .constraints
            .iter()
            .map(|text| Constraint::parse(text, schema))
            .collect::<Result<Vec<_>, _>>()?;
        let grid = Self {
            strategy: schema.name.to_owned(),
            axes: axes.into_iter().map(|(_, a)| a).collect(),
            constraints,
        };
        if grid.size() > MAX_COMBINATIONS {
            return Err(SweepError::Grid {
                param: grid
                    .axes
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join("×"),
                detail: format!(
                    "{} combinations before constraints; at most {MAX_COMBINATIONS} are allowed",
                    grid.size()
                ),
            });
        }
        Ok(grid)
    }

    /// The strategy's name.
    #[must_use]
    pub fn strategy(&self) -> &str {
        &self.strategy
    }

    /// The axes, in schema order.
    #[must_use]
    pub fn axes(&self) -> &[Axis] {
        &self.axes
    }

    /// The constraints.
    #[must_use]
    pub fn constraints(&self) -> &[Constraint] {
        &self.constraints
    }

    /// Combinations before constraints (saturating).
    #[must_use]
    pub fn size(&self) -> u64 {
        self.axes
            .iter()
            .fold(1_u64, |n, a| n.saturating_mul(a.values.len() as u64))
    }

    /// The value index on each axis of combination `index` (odometer order, last axis
    /// fastest), written into `out`.
    pub fn decode(&self, mut index: u64, out: &mut Vec<usize>) {
        out.clear();
        out.resize(self.axes.len(), 0);
        for (slot, axis) in out.iter_mut().zip(&self.axes).rev() {
            let len = axis.values.len() as u64;
            // `len` is at least 1 (checked) and `index % len` below it.
            *slot = usize::try_from(index % len).unwrap_or(0);
            index /= len;
        }
    }

    /// The grid's parameters of combination `index` (the others are left to defaults).
    #[must_use]
    pub fn params(&self, index: u64) -> Params {
        let mut picks = Vec::new();
        self.decode(index, &mut picks);
        let mut params = Params::new();
        for (axis, &pick) in self.axes.iter().zip(&picks) {
            params.set(&axis.name, axis.values[pick].clone());
        }
        params
    }

    /// `name=value` pairs of combination `index`, for messages.
    #[must_use]
    pub fn describe(&self, index: u64) -> String {
        self.params(index)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Values of one parameter from the text form.
fn parse_values(name: &str, kind: &ParamKind, text: &str) -> Result<Vec<ParamValue>, SweepError> {
    let bad = |detail: String| SweepError::Grid {
        param: name.to_owned(),
        detail,
    };
    if text.is_empty() {
        return Err(bad("no values given".to_owned()));
    }
    if text.contains(':') {
        return match kind {
            ParamKind::Int => int_range(text).map_err(bad),
            ParamKind::Float => float_range(text).map_err(bad),
            _ => Err(bad(format!(
                "{text:?}: a range needs a numeric parameter; list the values instead"
            ))),
        };
    }
    text.split(',')
        .map(|item| parse_one(kind, item.trim()).map_err(&bad))
        .collect()
}

fn parse_one(kind: &ParamKind, item: &str) -> Result<ParamValue, String> {
    let not = |what: &str| format!("{item:?} is not {what}");
    match kind {
        ParamKind::Int => item
            .parse::<i64>()
            .map(ParamValue::Int)
            .map_err(|_| not("an integer")),
        ParamKind::Float => item
            .parse::<f64>()
            .map(ParamValue::Float)
            .map_err(|_| not("a number")),
        ParamKind::Bool => item
            .parse::<bool>()
            .map(ParamValue::Bool)
            .map_err(|_| not("true or false")),
        ParamKind::Choice(_) => Ok(ParamValue::Text(item.to_owned())),
        ParamKind::Strategy => Err("a strategy parameter cannot be swept".to_owned()),
    }
}

/// The parts of `start:stop[:step]`.
fn range_parts(text: &str) -> Result<(&str, &str, Option<&str>), String> {
    let parts: Vec<&str> = text.split(':').map(str::trim).collect();
    match parts.as_slice() {
        [start, stop] => Ok((start, stop, None)),
        [start, stop, step] => Ok((start, stop, Some(step))),
        _ => Err(format!(
            "bad range {text:?}: expected start:stop:step, e.g. 5:50:5"
        )),
    }
}

fn int_range(text: &str) -> Result<Vec<ParamValue>, String> {
    let (start, stop, step) = range_parts(text)?;
    let int = |s: &str| {
        s.parse::<i64>()
            .map_err(|_| format!("bad range {text:?}: {s:?} is not an integer"))
    };
    let (start, stop, step) = (int(start)?, int(stop)?, step.map_or(Ok(1), int)?);
    if step <= 0 {
        return Err(format!("bad range {text:?}: the step must be above 0"));
    }
    if stop < start {
        return Err(format!("bad range {text:?}: the stop is below the start"));
    }
    let count = (stop - start) / step + 1;
    if u64::try_from(count).map_or(true, |c| c > MAX_COMBINATIONS) {
        return Err(format!("bad range {text:?}: {count} values are too many"));
    }
    Ok((0..count)
        .map(|i| ParamValue::Int(start + i * step))
        .collect())
}

/// Decimals written after the point (exponent forms count as many as needed: 12).
fn decimals(s: &str) -> i32 {
    if s.contains(['e', 'E']) {
        return 12;
    }
    s.split_once('.')
        .map_or(0, |(_, frac)| i32::try_from(frac.len()).unwrap_or(12))
}

fn float_range(text: &str) -> Result<Vec<ParamValue>, String> {
    let (start_s, stop_s, step_s) = range_parts(text)?;
    let step_s = step_s.unwrap_or("1");
    let num = |s: &str| match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("bad range {text:?}: {s:?} is not a finite number")),
    };
    let (start, stop, step) = (num(start_s)?, num(stop_s)?, num(step_s)?);
    if step <= 0.0 {
        return Err(format!("bad range {text:?}: the step must be above 0"));
    }
    if stop < start {
        return Err(format!("bad range {text:?}: the stop is below the start"));
    }
    let span = ((stop - start) / step + 1e-9).floor();
    #[allow(clippy::cast_precision_loss, reason = "a bound far below 2^53")]
    if span + 1.0 > MAX_COMBINATIONS as f64 {
        return Err(format!("bad range {text:?}: too many values"));
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "span is a checked, non-negative whole number"
    )]
    let count = span as u64 + 1;
    let places = decimals(start_s)
        .max(decimals(stop_s))
        .max(decimals(step_s));
    let scale = 10_f64.powi(places.min(15));
    Ok((0..count)
        .map(|i| {
            #[allow(clippy::cast_precision_loss, reason = "counts far below 2^53")]
            let raw = start + i as f64 * step;
            ParamValue::Float((raw * scale).round() / scale)
        })
        .collect())
}

/// Every value must pass the schema on its own, and appear once.
fn check_values(
    schema: &StrategySchema,
    name: &str,
    values: &[ParamValue],
) -> Result<(), SweepError> {
    if values.is_empty() {
        return Err(SweepError::Grid {
            param: name.to_owned(),
            detail: "no values given".to_owned(),
        });
    }
    for (i, value) in values.iter().enumerate() {
        if values[..i].contains(value) {
            return Err(SweepError::Grid {
                param: name.to_owned(),
                detail: format!("value {value} is listed twice"),
            });
        }
        let mut one = Params::new();
        one.set(name, value.clone());
        schema.resolve(&one).map_err(|e| SweepError::Grid {
            param: name.to_owned(),
            detail: e.to_string(),
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vela_core::strategy::Registry;

    fn schema(name: &str) -> StrategySchema {
        Registry::builtin().get(name).unwrap().schema.clone()
    }

    fn grid(name: &str, entries: &[&str], constraints: &[&str]) -> Result<Grid, SweepError> {
        let mut spec = GridSpec::default();
        for e in entries {
            spec.push_text(e)?;
        }
        spec.constraints = constraints.iter().map(|c| (*c).to_owned()).collect();
        Grid::new(&schema(name), &spec)
    }

    fn ints(values: &[ParamValue]) -> Vec<i64> {
        values
            .iter()
            .map(|v| match v {
                ParamValue::Int(i) => *i,
                other => panic!("{other}"),
            })
            .collect()
    }

    #[test]
    fn ranges_include_the_stop_and_lists_keep_their_order() {
        let g = grid("crossover", &["slow=100,20,50", "fast=5:50:5"], &[]).unwrap();
        // Schema order: fast before slow.
        assert_eq!(g.axes()[0].name, "fast");
        assert_eq!(
            ints(&g.axes()[0].values),
            (1..=10).map(|i| i * 5).collect::<Vec<_>>()
        );
        assert_eq!(ints(&g.axes()[1].values), vec![100, 20, 50]);
        assert_eq!(g.size(), 30);
        assert_eq!(g.describe(0), "fast=5 slow=100");
        assert_eq!(g.describe(1), "fast=5 slow=20");
        assert_eq!(g.describe(29), "fast=50 slow=50");
        let g = grid("crossover", &["fast=5:12:5"], &[]).unwrap();
        assert_eq!(ints(&g.axes()[0].values), vec![5, 10]);
        let g = grid("crossover", &["fast=3:5"], &[]).unwrap();
        assert_eq!(ints(&g.axes()[0].values), vec![3, 4, 5]);
    }

    #[test]
    fn real_ranges_are_rounded_to_the_decimals_written() {
        let g = grid("mean_reversion", &["k=1:2:0.1"], &[]).unwrap();
        let values: Vec<String> = g.axes()[0].values.iter().map(ToString::to_string).collect();
        assert_eq!(
            values,
            [
                "1", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9", "2"
            ]
        );
        let g = grid("mean_reversion", &["rsi_confirm=true,false"], &[]).unwrap();
        assert_eq!(
            g.axes()[0].values,
            vec![ParamValue::Bool(true), ParamValue::Bool(false)]
        );
    }

    #[test]
    fn bad_grids_name_the_parameter_and_the_problem() {
        let cases: [(&[&str], &str); 10] = [
            (
                &["fats=5:50:5"],
                "grid fats: strategy crossover has no such parameter (known: fast, slow, ma, order_size)",
            ),
            (
                &["fast=50:5:5"],
                "grid fast: bad range \"50:5:5\": the stop is below the start",
            ),
            (
                &["fast=5:50:0"],
                "grid fast: bad range \"5:50:0\": the step must be above 0",
            ),
            (
                &["fast=5:50:5:1"],
                "grid fast: bad range \"5:50:5:1\": expected start:stop:step",
            ),
            (
                &["fast=a:5"],
                "grid fast: bad range \"a:5\": \"a\" is not an integer",
            ),
            (
                &["fast=0,5"],
                "grid fast: strategy crossover: parameter `fast` = 0 must be at least 1",
            ),
            (&["fast=5,5"], "grid fast: value 5 is listed twice"),
            (
                &["ma=sma,wma"],
                "grid ma: strategy crossover: parameter `ma` = \"wma\" must be one of sma, ema",
            ),
            (&["fast"], "grid fast: expected name=values"),
            (&["fast=5", "fast=6"], "grid fast: is given twice"),
        ];
        for (entries, want) in cases {
            let err = grid("crossover", entries, &[]).unwrap_err().to_string();
            assert!(err.starts_with(want), "{err}\n  should start with\n{want}");
        }
        let err = grid("crossover", &[], &[]).unwrap_err().to_string();
        assert!(err.starts_with("empty grid: no parameter to vary"), "{err}");
        let err = grid("crossover", &["ma=sma:ema"], &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("a range needs a numeric parameter"), "{err}");
        let err = grid("crossover", &["fast=1:10000", "slow=2:20000"], &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("199990000 combinations before constraints"),
            "{err}"
        );
    }

    #[test]
    fn toml_and_text_give_the_same_grid() {
        let spec = GridSpec::from_toml(
            "strategy = \"crossover\"\nconstraints = [\"fast < slow\"]\n[grid]\nslow = [20, 50]\nfast = \"5:15:5\"\nma = \"ema\"\n",
        )
        .unwrap();
        assert_eq!(spec.strategy.as_deref(), Some("crossover"));
        let from_toml = Grid::new(&schema("crossover"), &spec).unwrap();
        let from_text = grid(
            "crossover",
            &["ma=ema", "fast=5:15:5", "slow=20,50"],
            &["fast < slow"],
        )
        .unwrap();
        assert_eq!(from_toml, from_text);
        let err = GridSpec::from_toml("[grid]\nfast = { a = 1 }\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("grid fast: "), "{err}");
        let err = GridSpec::from_toml("grids = 1\n").unwrap_err().to_string();
        assert!(err.contains("unknown or mistyped key `grids`"), "{err}");
        let err = GridSpec::from_toml("[grid\n").unwrap_err().to_string();
        assert!(err.starts_with("sweep file: "), "{err}");
    }
}
