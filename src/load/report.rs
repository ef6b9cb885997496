//! `--report DIR`: an HTML page with the summary and plots over time.

use std::path::Path;

use plotters::prelude::*;

use super::{Interval, Summary};

/// Writes `DIR/index.html` and `DIR/summary.json`.
pub fn write_report(summary: &Summary, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let latency = chart(
        "input -> ack round trip (ms)",
        &summary.timeline,
        &[
            ("p50", &|i: &Interval| i.rtt_ms.p50, BLUE),
            ("p95", &|i: &Interval| i.rtt_ms.p95, GREEN),
            ("p99", &|i: &Interval| i.rtt_ms.p99, RED),
        ],
    );
    let throughput = chart(
        "patches per second",
        &summary.timeline,
        &[("patches/s", &|i: &Interval| i.patches_per_sec, BLUE)],
    );
    let clients = chart(
        "clients in rooms",
        &summary.timeline,
        &[("clients", &|i: &Interval| i.connected as f64, BLACK)],
    );
    let json = serde_json::to_string_pretty(summary).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("summary.json"), &json)?;
    let c = &summary.config;
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Parlor load report</title>\
         <style>body{{font-family:sans-serif;max-width:900px;margin:2em auto}}pre{{background:#f4f4f4;padding:1em}}</style></head><body>\n\
         <h1>Parlor load report</h1>\n<p>{} clients on {} ({}), ramp {:?}, window {:?}, inputs {} Hz, tick {} Hz.</p>\n\
         <pre>{}</pre>\n{latency}\n{throughput}\n{clients}\n<p>Data: <a href=\"summary.json\">summary.json</a>.</p>\n</body></html>\n",
        c.clients,
        html_escape(&c.url),
        html_escape(&c.game),
        c.ramp,
        c.duration,
        c.input_hz,
        c.tick_hz,
        html_escape(&summary.table()),
    );
    std::fs::write(dir.join("index.html"), html)
}

type Series<'a> = (&'a str, &'a dyn Fn(&Interval) -> f64, RGBColor);

/// One line chart as inline SVG.
fn chart(title: &str, timeline: &[Interval], series: &[Series]) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (860, 300)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let x_max = timeline.last().map_or(1.0, |i| i.at).max(1.0);
        let y_max = timeline
            .iter()
            .flat_map(|i| series.iter().map(move |(_, f, _)| f(i)))
            .fold(0.0f64, f64::max)
            .max(1e-3)
            * 1.1;
        let Ok(mut chart) = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)
        else {
            return svg_fallback(title);
        };
        let _ = chart.configure_mesh().x_desc("seconds").draw();
        for (name, value, color) in series {
            let color = *color;
            if let Ok(drawn) = chart.draw_series(LineSeries::new(timeline.iter().map(|i| (i.at, value(i))), color)) {
                drawn
                    .label(*name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
            }
        }
        let _ = chart
            .configure_series_labels()
            .background_style(WHITE)
            .border_style(BLACK)
            .draw();
        let _ = root.present();
    }
    svg
}

fn svg_fallback(title: &str) -> String {
    format!("<p>(no chart for {})</p>", html_escape(title))
}

pub(super) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
