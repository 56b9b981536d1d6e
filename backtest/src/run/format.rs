//! Numbers, times and statistics as text, shared by the report and the command line.

use vela_core::types::Timestamp;

use super::files::StatsFile;

/// `12.34 %` (two decimals), `∞ %` when not finite.
#[must_use]
pub fn percent(fraction: f64) -> String {
    if fraction.is_finite() {
        format!("{:.2} %", fraction * 100.0)
    } else {
        format!("{} %", infinite(fraction))
    }
}

/// A number with `decimals` decimals, `∞` / `−∞` when not finite.
#[must_use]
pub fn number(value: f64, decimals: usize) -> String {
    if value.is_finite() {
        format!("{value:.decimals$}")
    } else {
        infinite(value).to_owned()
    }
}

fn infinite(value: f64) -> &'static str {
    if value.is_nan() {
        "NaN"
    } else if value > 0.0 {
        "∞"
    } else {
        "−∞"
    }
}

/// A duration in ms as `3d 04h 12m` (seconds only below a minute).
#[must_use]
pub fn duration(ms: i64) -> String {
    let minutes = ms / 60_000;
    let (d, h, m) = (minutes / 1_440, minutes / 60 % 24, minutes % 60);
    if d > 0 {
        format!("{d}d {h:02}h {m:02}m")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{}s", ms / 1_000)
    }
}

/// A time in ms as `2022-01-05 13:20` (UTC).
#[must_use]
pub fn time(ms: i64) -> String {
    let text = Timestamp(ms).to_string();
    text.get(..16).map_or(text.clone(), |t| t.replace('T', " "))
}

/// The statistics as `(label, value)` rows, in the order reports print them.
#[must_use]
pub fn stats_rows(file: &StatsFile) -> Vec<(&'static str, String)> {
    let s = &file.stats;
    let quote = &file.run.quote;
    let money = |v: f64| format!("{} {quote}", number(v, 2));
    vec![
        ("total return", percent(s.total_return)),
        ("CAGR", percent(s.cagr)),
        ("Sharpe", number(s.sharpe, 3)),
        ("Sortino", number(s.sortino, 3)),
        ("Calmar", number(s.calmar, 3)),
        ("max drawdown", percent(s.max_drawdown)),
        (
            "max drawdown duration",
            duration(s.max_drawdown_duration_ms),
        ),
        ("trades", s.trades.to_string()),
        ("win rate", percent(s.win_rate)),
        ("profit factor", number(s.profit_factor, 3)),
        ("expectancy", money(s.expectancy)),
        ("average win", money(s.avg_win)),
        ("average loss", money(s.avg_loss)),
        ("exposure", percent(s.exposure)),
        ("fees", money(s.fees)),
        ("turnover", format!("{}×", number(s.turnover, 2))),
        ("initial equity", money(file.run.initial_equity)),
        ("final equity", money(file.run.final_equity)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(percent(0.123_456), "12.35 %");
        assert_eq!(percent(f64::INFINITY), "∞ %");
        assert_eq!(number(f64::NEG_INFINITY, 2), "−∞");
        assert_eq!(number(1.0 / 3.0, 3), "0.333");
        assert_eq!(
            duration(3 * 86_400_000 + 4 * 3_600_000 + 12 * 60_000),
            "3d 04h 12m"
        );
        assert_eq!(duration(90 * 60_000), "1h 30m");
        assert_eq!(duration(5_000), "5s");
        assert_eq!(time(1_641_081_600_000), "2022-01-02 00:00");
    }
}
