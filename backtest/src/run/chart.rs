//! `equity.svg`: the equity curve above its drawdown, drawn with plotters' SVG backend.
//!
//! Long curves are thinned to at most [`MAX_POINTS`] points per line by keeping, in each
//! of equal buckets of bars, the lowest and the highest value in the order they occur — so
//! spikes and the deepest drawdown stay visible. The SVG text depends only on the curve.

use plotters::prelude::*;
use vela_core::types::Timestamp;

use super::error::RunError;
use crate::result::EquityCurve;

/// Most points drawn per line.
pub const MAX_POINTS: usize = 2000;

/// Chart size in pixels.
const SIZE: (u32, u32) = (960, 560);
const EQUITY_HEIGHT: u32 = 370;

/// The chart of `curve` (which starts from `initial` equity) as SVG text, titled `title`.
pub fn equity_svg(curve: &EquityCurve, initial: f64, title: &str) -> Result<String, RunError> {
    let mut svg = String::new();
    draw(&mut svg, curve, initial, title)
        .map_err(|e| RunError::file("equity.svg", format!("cannot draw the chart: {e}")))?;
    Ok(svg)
}

/// Drawdown after each bar: equity over the running peak (starting at `initial`) − 1.
#[must_use]
pub fn drawdowns(equity: &[f64], initial: f64) -> Vec<f64> {
    let mut peak = initial;
    equity
        .iter()
        .map(|&e| {
            peak = peak.max(e);
            if peak > 0.0 { e / peak - 1.0 } else { 0.0 }
        })
        .collect()
}

/// Up to `max` points of `(ts, value)` keeping each bucket's lowest and highest value, in
/// their order.
#[must_use]
pub fn thin(ts: &[i64], values: &[f64], max: usize) -> Vec<(i64, f64)> {
    let n = ts.len().min(values.len());
    if n <= max || max < 2 {
        return ts
            .iter()
            .copied()
            .zip(values.iter().copied())
            .take(n)
            .collect();
    }
    let buckets = max / 2;
    let mut out = Vec::with_capacity(max);
    for b in 0..buckets {
        let (lo, hi) = (
            b * n / buckets,
            ((b + 1) * n / buckets).max(b * n / buckets + 1),
        );
        let slice = &values[lo..hi];
        let (mut min_i, mut max_i) = (0, 0);
        for (i, v) in slice.iter().enumerate() {
            if *v < slice[min_i] {
                min_i = i;
            }
            if *v > slice[max_i] {
                max_i = i;
            }
        }
        let (first, second) = if min_i <= max_i {
            (min_i, max_i)
        } else {
            (max_i, min_i)
        };
        out.push((ts[lo + first], slice[first]));
        if second != first {
            out.push((ts[lo + second], slice[second]));
        }
    }
    out
}

/// A date label for an axis over `span_ms`.
fn label(ts: i64, span_ms: i64) -> String {
    let text = Timestamp(ts).to_string();
    if span_ms > 3 * 86_400_000 {
        text.get(..10).unwrap_or(&text).to_owned()
    } else {
        text.get(5..16).unwrap_or(&text).replace('T', " ")
    }
}

/// Decimals that tell apart axis labels over a span of values.
fn label_decimals(span: f64) -> usize {
    if span.is_finite() && span > 0.0 {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "clamped to 0..=8 first"
        )]
        let d = (2.0 - span.log10().floor()).clamp(0.0, 8.0) as usize;
        d
    } else {
        2
    }
}

/// A value range with room around it (never empty).
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let span = hi - lo;
    let pad = if span > 0.0 {
        span * 0.05
    } else {
        lo.abs().max(1.0) * 0.01
    };
    (lo - pad, hi + pad)
}

fn draw(
    svg: &mut String,
    curve: &EquityCurve,
    initial: f64,
    title: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let (upper, lower) = root.split_vertically(EQUITY_HEIGHT);
    let x0 = curve.ts.first().copied().unwrap_or(0);
    let x1 = curve.ts.last().copied().unwrap_or(0).max(x0 + 1);
    let span = x1 - x0;
    let formatter = |x: &i64| label(*x, span);

    let equity = thin(&curve.ts, &curve.equity, MAX_POINTS);
    let (lo, hi) = equity.iter().fold((initial, initial), |(lo, hi), &(_, v)| {
        (lo.min(v), hi.max(v))
    });
    let (lo, hi) = padded(lo, hi);
    let decimals = label_decimals(hi - lo);
    let mut top = ChartBuilder::on(&upper)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(24)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, lo..hi)?;
    top.configure_mesh()
        .x_labels(7)
        .y_labels(6)
        .x_label_formatter(&formatter)
        .y_label_formatter(&|v: &f64| format!("{v:.decimals$}"))
        .y_desc("equity")
        .light_line_style(RGBColor(240, 240, 240))
        .draw()?;
    top.draw_series(LineSeries::new(
        [(x0, initial), (x1, initial)],
        RGBColor(170, 170, 170).stroke_width(1),
    ))?;
    top.draw_series(LineSeries::new(
        equity,
        RGBColor(31, 95, 168).stroke_width(2),
    ))?;

    let dd = drawdowns(&curve.equity, initial);
    let dd_points: Vec<(i64, f64)> = thin(&curve.ts, &dd, MAX_POINTS)
        .into_iter()
        .map(|(t, v)| (t, v * 100.0))
        .collect();
    let deepest = dd_points.iter().fold(0.0_f64, |m, &(_, v)| m.min(v));
    let (dd_lo, _) = padded(deepest.min(-0.01), 0.0);
    let mut bottom = ChartBuilder::on(&lower)
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, dd_lo..0.0)?;
    bottom
        .configure_mesh()
        .x_labels(7)
        .y_labels(4)
        .x_label_formatter(&formatter)
        .y_label_formatter(&|v: &f64| format!("{v:.1}%"))
        .y_desc("drawdown")
        .light_line_style(RGBColor(240, 240, 240))
        .draw()?;
    bottom.draw_series(
        AreaSeries::new(dd_points, 0.0, RGBColor(200, 60, 60).mix(0.35))
            .border_style(RGBColor(200, 60, 60).stroke_width(1)),
    )?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_the_extremes_in_order() {
        let ts: Vec<i64> = (0..10_000).collect();
        let mut values: Vec<f64> = (0..10_000).map(|i| f64::from(i % 7)).collect();
        values[5_000] = -50.0;
        values[7_000] = 90.0;
        let points = thin(&ts, &values, 100);
        assert!(points.len() <= 100);
        assert!(points.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(points.contains(&(5_000, -50.0)));
        assert!(points.contains(&(7_000, 90.0)));
        assert_eq!(thin(&ts[..5], &values[..5], 100).len(), 5);
    }

    #[test]
    fn labels_have_the_decimals_the_span_needs() {
        assert_eq!(label_decimals(3_000.0), 0);
        assert_eq!(label_decimals(50.0), 1);
        assert_eq!(label_decimals(0.002), 5);
        assert_eq!(label_decimals(0.0), 2);
    }

    #[test]
    fn drawdown_is_against_the_running_peak() {
        let dd = drawdowns(&[100.0, 110.0, 99.0, 120.0], 100.0);
        assert_eq!(dd[0], 0.0);
        assert!((dd[2] - (99.0 / 110.0 - 1.0)).abs() < 1e-15);
        assert_eq!(dd[3], 0.0);
    }

    #[test]
    fn svg_is_deterministic_and_handles_flat_curves() {
        let curve = EquityCurve {
            ts: vec![0, 60_000, 120_000],
            equity: vec![100.0, 100.0, 100.0],
            exposure: vec![0.0; 3],
        };
        let a = equity_svg(&curve, 100.0, "flat").unwrap();
        assert!(a.starts_with("<svg"), "{}", &a[..50]);
        assert_eq!(a, equity_svg(&curve, 100.0, "flat").unwrap());
        let one = EquityCurve {
            ts: vec![0],
            equity: vec![101.0],
            exposure: vec![1.0],
        };
        assert!(equity_svg(&one, 100.0, "one bar").is_ok());
    }
}
