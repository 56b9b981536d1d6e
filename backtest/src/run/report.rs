//! `equity.svg` and `report.html`, rendered from a run directory's stored files only — so
//! `vela report <dir>` re-renders them byte for byte, and a run directory copied elsewhere
//! renders the same.
//!
//! The report is one self-contained HTML file: inline CSS, the chart as inline SVG, no
//! scripts and no external URLs. It shows the run summary, the fingerprint, the
//! statistics, the order outcomes, the trade list (the first [`MAX_TRADE_ROWS`] trades;
//! all of them are in `trades.parquet`) and both configuration files.

use std::fmt::Write;
use std::path::Path;

use vela_core::engine::BotConfig;

use super::chart::equity_svg;
use super::error::RunError;
use super::files::{
    StatsFile, names, read_equity, read_fingerprint, read_stats, read_text, read_trades, write,
};
use super::fingerprint::Fingerprint;
use super::format::{number, percent, stats_rows, time};
use crate::result::{EquityCurve, Trade};

/// Most trades listed in the HTML report.
pub const MAX_TRADE_ROWS: usize = 500;

/// A run directory's stored content.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRun {
    /// `stats.json`.
    pub stats: StatsFile,
    /// `fingerprint.json`.
    pub fingerprint: Fingerprint,
    /// `trades.parquet`.
    pub trades: Vec<Trade>,
    /// `equity.parquet`.
    pub equity: EquityCurve,
    /// `bot.toml`, as text.
    pub bot_toml: String,
    /// `backtest.toml`, as text.
    pub spec_toml: String,
    /// Decimals of prices and quantities in the trade list: the bot's instrument's (2 and
    /// 6 when `bot.toml` does not read back).
    pub decimals: (usize, usize),
}

impl StoredRun {
    /// Reads every stored file of the run directory `dir`.
    pub fn load(dir: &Path) -> Result<Self, RunError> {
        if !dir.is_dir() {
            return Err(RunError::file(dir, "no such run directory"));
        }
        let bot_toml = read_text(dir, names::BOT)?;
        let decimals = BotConfig::from_toml_str(&bot_toml)
            .ok()
            .and_then(|bot| bot.instruments.first().cloned())
            .map_or((2, 6), |i| {
                (i.price_precision as usize, i.quantity_precision as usize)
            });
        Ok(Self {
            stats: read_stats(dir)?,
            fingerprint: read_fingerprint(dir)?,
            trades: read_trades(dir)?,
            equity: read_equity(dir)?,
            bot_toml,
            spec_toml: read_text(dir, names::SPEC)?,
            decimals,
        })
    }

    /// The chart's title: `crossover on sample/BTCUSDT/1m (event tier)`.
    #[must_use]
    pub fn title(&self) -> String {
        let run = &self.stats.run;
        format!("{} on {} ({} tier)", run.strategy, run.dataset, run.tier)
    }
}

/// Renders `equity.svg` and `report.html` in `dir` from its stored files.
pub fn render(dir: &Path) -> Result<(), RunError> {
    let run = StoredRun::load(dir)?;
    let svg = equity_svg(&run.equity, run.stats.run.initial_equity, &run.title())?;
    write(dir, names::CHART, svg.as_bytes())?;
    write(dir, names::REPORT, html(&run, &svg).as_bytes())?;
    Ok(())
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1000px;color:#222;padding:0 1rem}\
h1{font-size:1.4rem;margin-bottom:.2rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}\
.sub{color:#666;margin-top:0}table{border-collapse:collapse;font-size:.9rem}td,th{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:right}\
th{background:#f6f6f6}td:first-child,th:first-child{text-align:left}.stats td:first-child{color:#555}\
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}pre{background:#f7f7f7;padding:.8rem;overflow-x:auto}\
.pos{color:#17663a}.neg{color:#a12a2a}.chart svg{max-width:100%;height:auto}";

/// The report's HTML.
#[must_use]
pub fn html(run: &StoredRun, svg: &str) -> String {
    let s = &run.stats.run;
    let mut h = String::with_capacity(64 * 1024 + svg.len());
    let title = escape(&format!("vela backtest: {}", run.title()));
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
    let _ = writeln!(
        h,
        "<p class=\"sub\">{} bars, {} → {} UTC · {} {} → {} {} ({})</p>",
        s.bars,
        time(s.first_ts),
        time(s.last_ts),
        number(s.initial_equity, 2),
        escape(&s.quote),
        number(s.final_equity, 2),
        escape(&s.quote),
        percent(run.stats.stats.total_return),
    );
    let _ = writeln!(
        h,
        "<p class=\"sub\">parameters: <code>{}</code></p>",
        escape(&s.params)
    );
    let f = &run.fingerprint;
    let _ = writeln!(
        h,
        "<h2>Fingerprint</h2>\n<table class=\"stats\">\n<tr><td>configuration</td><td><code>{}</code></td></tr>\n\
         <tr><td>data</td><td><code>{}</code></td></tr>\n<tr><td>trades</td><td><code>{}</code></td></tr>\n</table>",
        escape(&f.config),
        escape(&f.data),
        escape(&f.trades)
    );
    let _ = writeln!(
        h,
        "<h2>Equity and drawdown</h2>\n<div class=\"chart\">{svg}</div>"
    );
    h.push_str("<h2>Statistics</h2>\n<table class=\"stats\">\n");
    for (label, value) in stats_rows(&run.stats) {
        let _ = writeln!(h, "<tr><td>{label}</td><td>{}</td></tr>", escape(&value));
    }
    h.push_str("</table>\n");
    let o = &s.orders;
    let _ = writeln!(
        h,
        "<h2>Orders</h2>\n<table class=\"stats\">\n<tr><td>submitted</td><td>{}</td></tr>\n\
         <tr><td>fills</td><td>{}</td></tr>\n<tr><td>denied by the risk gate</td><td>{}</td></tr>\n\
         <tr><td>rejected by the exchange</td><td>{}</td></tr>\n\
         <tr><td>not sent (minimums, cash)</td><td>{}</td></tr>\n</table>",
        o.submitted, o.fills, o.denied, o.rejected, o.refused
    );
    trades_table(&mut h, &run.trades, run.decimals);
    let _ = writeln!(
        h,
        "<h2>Configuration</h2>\n<p><code>bot.toml</code> (the file the live runner takes):</p>\n<pre>{}</pre>\n\
         <p><code>backtest.toml</code>:</p>\n<pre>{}</pre>",
        escape(&run.bot_toml),
        escape(&run.spec_toml)
    );
    let _ = writeln!(
        h,
        "<p class=\"sub\">Rendered by vela-backtest {} from the run directory's files.</p>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    );
    h
}

fn trades_table(h: &mut String, trades: &[Trade], (price, quantity): (usize, usize)) {
    let _ = writeln!(h, "<h2>Trades ({})</h2>", trades.len());
    if trades.is_empty() {
        h.push_str("<p>No trades.</p>\n");
        return;
    }
    if trades.len() > MAX_TRADE_ROWS {
        let _ = writeln!(
            h,
            "<p class=\"sub\">The first {MAX_TRADE_ROWS} trades; all {} are in <code>trades.parquet</code>.</p>",
            trades.len()
        );
    }
    h.push_str(
        "<table>\n<tr><th>#</th><th>entry (UTC)</th><th>entry price</th><th>exit (UTC)</th>\
         <th>exit price</th><th>quantity</th><th>fees</th><th>P&amp;L</th><th>return</th><th>exit</th></tr>\n",
    );
    for (i, t) in trades.iter().take(MAX_TRADE_ROWS).enumerate() {
        let class = if t.pnl > 0.0 {
            "pos"
        } else if t.pnl < 0.0 {
            "neg"
        } else {
            ""
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td class=\"{class}\">{}</td><td class=\"{class}\">{}</td><td>{}</td></tr>",
            i + 1,
            time(t.entry_ts),
            number(t.entry_price, price),
            time(t.exit_ts),
            number(t.exit_price, price),
            number(t.quantity, quantity),
            number(t.fees, 4),
            number(t.pnl, 2),
            percent(t.return_fraction()),
            t.exit_reason.name().replace('_', " "),
        );
    }
    h.push_str("</table>\n");
}

/// `text` with `&`, `<`, `>` and `"` escaped for HTML.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
    }
}
