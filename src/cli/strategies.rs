//! `vela strategies`: the registry's strategies with their parameter schemas.

use std::io::Write;

use anyhow::{Context, Result};
use vela_core::strategy::{ParamKind, Registry, StrategySchema};

/// Arguments of `vela strategies`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only this strategy.
    name: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &Args) -> Result<()> {
    let registry = Registry::builtin();
    let schemas: Vec<&StrategySchema> = match &args.name {
        Some(name) => vec![&registry.get(name)?.schema],
        None => registry.schemas().collect(),
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &schemas).context("writing JSON")?;
        writeln!(out)?;
        return Ok(());
    }
    for schema in schemas {
        writeln!(out, "{}\n  {}", schema.name, schema.description)?;
        let width = schema
            .params
            .iter()
            .map(|p| p.name.len())
            .max()
            .unwrap_or(0);
        for p in &schema.params {
            let kind = match &p.kind {
                ParamKind::Int => "int".to_owned(),
                ParamKind::Float => "float".to_owned(),
                ParamKind::Bool => "bool".to_owned(),
                ParamKind::Choice(c) => c.join("|"),
                ParamKind::Strategy => "strategy".to_owned(),
            };
            let bounds = match (p.min, p.max) {
                (Some(lo), Some(hi)) => format!(" [{lo}, {hi}]"),
                _ => String::new(),
            };
            writeln!(
                out,
                "  {:<width$} {:<8} default {}{}  {}",
                p.name, kind, p.default, bounds, p.description
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}
