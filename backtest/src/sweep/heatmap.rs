//! A heatmap of one metric over a two-parameter grid, as SVG (plotters).
//!
//! The grid must vary exactly two parameters (others may be swept with one value): the
//! first (in schema order) runs along x, the second along y. A cell shows the metric's
//! mean over the datasets; combinations the constraints skipped stay grey. Colours run
//! from the worst value (dark) to the best (yellow, viridis), whichever way the metric
//! ranks. The SVG text depends only on the results.

use plotters::prelude::*;

use super::error::SweepError;
use super::plan::Plan;
use super::run::SweepResults;
use super::table::Metric;

/// Most cells that get their value written in them.
const LABELLED_CELLS: usize = 400;

/// The heatmap of `metric` as SVG text.
pub fn heatmap_svg(
    plan: &Plan,
    results: &SweepResults,
    metric: Metric,
    title: &str,
) -> Result<String, SweepError> {
    let varying: Vec<usize> = plan
        .grid()
        .axes()
        .iter()
        .enumerate()
        .filter(|(_, a)| a.values.len() > 1)
        .map(|(i, _)| i)
        .collect();
    let [xa, ya] = varying[..] else {
        let names: Vec<&str> = varying
            .iter()
            .map(|&i| plan.grid().axes()[i].name.as_str())
            .collect();
        return Err(SweepError::Output {
            path: "heatmap".to_owned(),
            detail: format!(
                "a heatmap needs exactly two swept parameters with more than one value \
                 (this grid varies {}: {})",
                names.len(),
                names.join(", ")
            ),
        });
    };
    let axes = plan.grid().axes();
    let (nx, ny) = (axes[xa].values.len(), axes[ya].values.len());
    // Sum and count per cell.
    let mut cells = vec![(0.0_f64, 0_u32); nx * ny];
    let mut picks = Vec::new();
    for row in &results.rows {
        plan.picks(row.combination, &mut picks);
        let cell = &mut cells[picks[ya] * nx + picks[xa]];
        cell.0 += metric.value(&row.stats);
        cell.1 += 1;
    }
    let means: Vec<Option<f64>> = cells
        .iter()
        .map(|&(sum, n)| {
            (n > 0)
                .then(|| sum / f64::from(n))
                .filter(|v| v.is_finite())
        })
        .collect();
    let (lo, hi) = means
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let mut svg = String::new();
    let labels = Labels {
        x: axes[xa].values.iter().map(ToString::to_string).collect(),
        y: axes[ya].values.iter().map(ToString::to_string).collect(),
        x_name: &axes[xa].name,
        y_name: &axes[ya].name,
    };
    draw(&mut svg, &labels, &means, (lo, hi), metric, title).map_err(|e| SweepError::Output {
        path: "heatmap".to_owned(),
        detail: format!("cannot draw: {e}"),
    })?;
    Ok(svg)
}

struct Labels<'a> {
    x: Vec<String>,
    y: Vec<String>,
    x_name: &'a str,
    y_name: &'a str,
}

fn draw(
    svg: &mut String,
    labels: &Labels<'_>,
    means: &[Option<f64>],
    (lo, hi): (f64, f64),
    metric: Metric,
    title: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let (nx, ny) = (labels.x.len(), labels.y.len());
    let width = u32::try_from((nx * 36).clamp(480, 1600)).unwrap_or(1600) + 140;
    let height = u32::try_from((ny * 24).clamp(320, 1200)).unwrap_or(1200) + 120;
    let root = SVGBackend::with_string(svg, (width, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let caption = if lo.is_finite() {
        format!("{title}: {metric} (from {lo:.4} to {hi:.4})")
    } else {
        format!("{title}: {metric}")
    };
    let (x_max, y_max) = (i32::try_from(nx)?, i32::try_from(ny)?);
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0..x_max, 0..y_max)?;
    let x_label = |v: &i32| label_at(&labels.x, *v);
    let y_label = |v: &i32| label_at(&labels.y, *v);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(nx.min(30))
        .y_labels(ny.min(30))
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .x_desc(labels.x_name)
        .y_desc(labels.y_name)
        .draw()?;
    let span = if hi > lo { hi - lo } else { 1.0 };
    let mut rects = Vec::with_capacity(means.len());
    for (i, mean) in means.iter().enumerate() {
        let (x, y) = (i32::try_from(i % nx)?, i32::try_from(i / nx)?);
        let color = match mean {
            Some(v) => {
                let mut t = (v - lo) / span;
                if metric.lower_is_better() {
                    t = 1.0 - t;
                }
                #[allow(
                    clippy::cast_possible_truncation,
                    reason = "a colour position in [0, 1]"
                )]
                ViridisRGB::get_color(t.clamp(0.0, 1.0) as f32)
            }
            None => RGBColor(220, 220, 220),
        };
        rects.push(Rectangle::new([(x, y), (x + 1, y + 1)], color.filled()));
    }
    chart.draw_series(rects)?;
    if means.len() <= LABELLED_CELLS {
        let texts = means.iter().enumerate().filter_map(|(i, mean)| {
            let v = (*mean)?;
            let (x, y) = (i32::try_from(i % nx).ok()?, i32::try_from(i / nx).ok()?);
            Some(Text::new(
                format!("{v:.2}"),
                (x, y + 1),
                ("sans-serif", 10)
                    .into_font()
                    .color(&RGBColor(128, 128, 128)),
            ))
        });
        chart.draw_series(texts)?;
    }
    root.present()?;
    Ok(())
}

/// The label of cell `v` (labels sit at the cell's lower edge).
fn label_at(labels: &[String], v: i32) -> String {
    usize::try_from(v)
        .ok()
        .and_then(|i| labels.get(i))
        .cloned()
        .unwrap_or_default()
}
