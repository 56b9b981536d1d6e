//! Constraints between parameters: `fast < slow`, `exit_channel <= channel`, `k >= 1.5`.
//!
//! A constraint is `left op right` with `op` one of `<`, `<=`, `>`, `>=`, `==`, `!=` and
//! each side a parameter of the strategy or a number. It is evaluated on a combination's
//! resolved parameters (so a parameter left out of the grid counts with its default);
//! booleans count as 0 and 1. Combinations that break a constraint are skipped.

use vela_core::strategy::{ParamKind, ParamValue, Params, StrategySchema};

use super::error::SweepError;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    /// Operators, two-character ones first so `<=` is not read as `<`.
    const ALL: [(&'static str, Self); 6] = [
        ("<=", Self::Le),
        (">=", Self::Ge),
        ("==", Self::Eq),
        ("!=", Self::Ne),
        ("<", Self::Lt),
        (">", Self::Gt),
    ];

    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Self::Lt => a < b,
            Self::Le => a <= b,
            Self::Gt => a > b,
            Self::Ge => a >= b,
            Self::Eq => a == b,
            Self::Ne => a != b,
        }
    }
}

/// One side of a constraint.
#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Param(String),
    Number(f64),
}

/// A checked constraint.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    text: String,
    left: Operand,
    op: Op,
    right: Operand,
}

impl Constraint {
    /// Reads `text` and checks its parameters against `schema` (they must be numbers or
    /// booleans).
    pub fn parse(text: &str, schema: &StrategySchema) -> Result<Self, SweepError> {
        let bad = |detail: String| SweepError::Constraint {
            text: text.to_owned(),
            detail,
        };
        let (position, symbol, op) = Op::ALL
            .iter()
            .filter_map(|&(symbol, op)| text.find(symbol).map(|at| (at, symbol, op)))
            .min_by_key(|&(at, symbol, _)| (at, std::cmp::Reverse(symbol.len())))
            .ok_or_else(|| bad("expected `left op right` with op one of < <= > >= == !=".into()))?;
        let left = text[..position].trim();
        let right = text[position + symbol.len()..].trim();
        let operand = |side: &str| -> Result<Operand, SweepError> {
            if side.is_empty() {
                return Err(bad("a side is empty".to_owned()));
            }
            if let Ok(number) = side.parse::<f64>() {
                return Ok(Operand::Number(number));
            }
            let Some(spec) = schema.params.iter().find(|p| p.name == side) else {
                let known: Vec<&str> = schema.params.iter().map(|p| p.name).collect();
                return Err(bad(format!(
                    "{side:?} is neither a number nor a parameter of {} (known: {})",
                    schema.name,
                    known.join(", ")
                )));
            };
            match spec.kind {
                ParamKind::Int | ParamKind::Float | ParamKind::Bool => {
                    Ok(Operand::Param(side.to_owned()))
                }
                _ => Err(bad(format!(
                    "parameter {side} is not a number; constraints compare numbers"
                ))),
            }
        };
        if right_has_operator(text, position + symbol.len()) {
            return Err(bad("one comparison per constraint".to_owned()));
        }
        let (left, right) = (operand(left)?, operand(right)?);
        Ok(Self {
            text: text.trim().to_owned(),
            left,
            op,
            right,
        })
    }

    /// The constraint as written.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether resolved `params` satisfy the constraint (a missing or non-numeric value
    /// fails it).
    #[must_use]
    pub fn holds(&self, params: &Params) -> bool {
        let value = |operand: &Operand| match operand {
            Operand::Number(n) => Some(*n),
            Operand::Param(name) => match params.get(name)? {
                #[allow(clippy::cast_precision_loss, reason = "parameter values are small")]
                ParamValue::Int(i) => Some(*i as f64),
                ParamValue::Float(f) => Some(*f),
                ParamValue::Bool(b) => Some(f64::from(u8::from(*b))),
                _ => None,
            },
        };
        match (value(&self.left), value(&self.right)) {
            (Some(a), Some(b)) => self.op.holds(a, b),
            _ => false,
        }
    }
}

fn right_has_operator(text: &str, from: usize) -> bool {
    text[from..].contains(['<', '>', '=', '!'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use vela_core::strategy::Registry;

    fn schema() -> StrategySchema {
        Registry::builtin().get("breakout").unwrap().schema.clone()
    }

    fn params(channel: i64, exit: i64, k: f64) -> Params {
        let mut p = Params::new();
        p.set("channel", channel)
            .set("exit_channel", exit)
            .set("volume_k", k);
        p
    }

    #[test]
    fn comparisons_hold_as_written() {
        let s = schema();
        let c = |t: &str| Constraint::parse(t, &s).unwrap();
        assert!(c("exit_channel < channel").holds(&params(20, 10, 1.0)));
        assert!(!c("exit_channel<channel").holds(&params(10, 10, 1.0)));
        assert!(c("exit_channel <= channel").holds(&params(10, 10, 1.0)));
        assert!(c("channel >= 20").holds(&params(20, 10, 1.0)));
        assert!(!c("channel > 20").holds(&params(20, 10, 1.0)));
        assert!(c("volume_k != 0").holds(&params(20, 10, 1.5)));
        assert!(c("volume_k == 1.5").holds(&params(20, 10, 1.5)));
        assert!(c("2 < channel").holds(&params(20, 10, 1.5)));
        assert_eq!(c("  channel>exit_channel ").text(), "channel>exit_channel");
    }

    #[test]
    fn bad_constraints_are_named() {
        let s = schema();
        let err = |t: &str| Constraint::parse(t, &s).unwrap_err().to_string();
        assert!(err("channel").contains("expected `left op right`"));
        assert!(err("chanel < 5").starts_with("constraint \"chanel < 5\": \"chanel\" is neither"));
        assert!(err("< 5").contains("a side is empty"));
        assert!(err("1 < channel < 5").contains("one comparison per constraint"));
        let crossover = Registry::builtin().get("crossover").unwrap().schema.clone();
        let e = Constraint::parse("ma == 1", &crossover)
            .unwrap_err()
            .to_string();
        assert!(e.contains("parameter ma is not a number"), "{e}");
    }
}
