//! The soak's report: `samples.csv`, `summary.json`, `soak.svg` (RSS,
//! rooms, connections, tick p99 and delivered rate over time, one panel
//! each) and `index.html` with the summary and the plot.

use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;

use super::{Sample, SoakSummary, GAMES};
use crate::load::report::html_escape;

/// Writes the report into `dir`.
///
/// ```no_run
/// # async fn example(config: parlor::load::soak::SoakConfig, probe: &mut impl parlor::load::soak::Probe) {
/// let summary = parlor::load::soak::run(&config, probe).await;
/// parlor::load::soak::write_report(&summary, std::path::Path::new("target/soak")).unwrap();
/// # }
/// ```
pub fn write_report(summary: &SoakSummary, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("samples.csv"), csv(&summary.samples))?;
    let json = serde_json::to_string_pretty(summary).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("summary.json"), json)?;
    let svg = plot(summary);
    std::fs::write(dir.join("soak.svg"), &svg)?;
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Parlor soak report</title>\
         <style>body{{font-family:sans-serif;max-width:960px;margin:2em auto}}pre{{background:#f4f4f4;padding:1em;overflow-x:auto}}</style></head><body>\n\
         <h1>Parlor soak: {}</h1>\n<pre>{}</pre>\n{svg}\n\
         <p>Data: <a href=\"samples.csv\">samples.csv</a>, <a href=\"summary.json\">summary.json</a>.</p>\n</body></html>\n",
        if summary.passed { "passed" } else { "FAILED" },
        html_escape(&summary.table()),
    );
    std::fs::write(dir.join("index.html"), html)
}

fn csv(samples: &[Sample]) -> String {
    let mut out = String::from("t_s,rss_mb,resident_mb");
    for g in GAMES {
        write!(out, ",rooms_{g}").expect("string write");
    }
    out.push_str(",rooms_total,connections");
    for g in GAMES {
        write!(out, ",tick_p99_ms_{g}").expect("string write");
    }
    out.push_str(",delivered,arena_seated,closes,refused,kicks,errors\n");
    let cell = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}"));
    for s in samples {
        let mut row = vec![format!("{:.1}", s.at), cell(s.rss_mb), cell(s.resident_mb)];
        row.extend(s.rooms.iter().map(|v| cell(*v)));
        row.push(cell(s.rooms_total));
        row.push(cell(s.connections));
        row.extend(s.tick_p99_ms.iter().map(|v| cell(*v)));
        row.push(cell(s.delivered));
        row.push(s.arena_seated.to_string());
        row.extend([s.closes, s.refused, s.kicks].map(cell));
        row.push(s.errors.to_string());
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// A value of a sample, if it was read.
type Value<'a> = Box<dyn Fn(&Sample) -> Option<f64> + 'a>;

/// A series of one panel: its name, its value in a sample, its colour.
type Series<'a> = (&'a str, Value<'a>, RGBColor);

/// The five panels stacked in one SVG.
fn plot(summary: &SoakSummary) -> String {
    let colours = [BLUE, RGBColor(0, 150, 0), RED];
    let games = |f: fn(&Sample) -> [Option<f64>; 3]| -> Vec<Series> {
        GAMES
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let value: Value = Box::new(move |s| f(s)[i]);
                (*g, value, colours[i])
            })
            .collect()
    };
    let mut rooms = games(|s| s.rooms);
    rooms.push(("all (/health)", Box::new(|s| s.rooms_total), BLACK));
    let panels: Vec<(&str, Vec<Series>)> = vec![
        (
            "server RSS (MB)",
            vec![
                ("VmRSS", Box::new(|s: &Sample| s.rss_mb), BLUE),
                (
                    "parlor_process_resident_bytes",
                    Box::new(|s: &Sample| s.resident_mb),
                    RED,
                ),
            ],
        ),
        ("rooms", rooms),
        (
            "connections",
            vec![
                ("parlor_connections", Box::new(|s: &Sample| s.connections), BLUE),
                (
                    "arena players seated",
                    Box::new(|s: &Sample| Some(s.arena_seated as f64)),
                    BLACK,
                ),
            ],
        ),
        ("tick duration p99 per interval (ms)", games(|s| s.tick_p99_ms)),
        (
            "arena patches delivered / expected (%)",
            vec![("delivered", Box::new(|s: &Sample| s.delivered.map(|d| 100.0 * d)), BLUE)],
        ),
    ];
    let minutes = summary.samples.last().map_or(1.0, |s| s.at / 60.0).max(0.1);
    let mut svg = String::new();
    {
        let height = 240 * panels.len() as u32;
        let root = SVGBackend::with_string(&mut svg, (900, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        for (area, (title, series)) in root.split_evenly((panels.len(), 1)).iter().zip(&panels) {
            panel(area, title, series, &summary.samples, minutes);
        }
        let _ = root.present();
    }
    svg
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    series: &[Series],
    samples: &[Sample],
    minutes: f64,
) {
    // At most ~500 points a line (every 15th sample of a 2-hour run at 5
    // s): the plot shows the trend, samples.csv has every sample.
    let stride = samples.len().div_ceil(500).max(1);
    let values = || {
        samples
            .iter()
            .flat_map(|s| series.iter().filter_map(move |(_, f, _)| f(s)))
    };
    let highest = values().fold(0.0f64, f64::max);
    let lowest = values().fold(f64::INFINITY, f64::min);
    // Delivered rates sit near 100%: show where they are, not from zero.
    let (y_min, y_max) = if title.contains("delivered") && lowest.is_finite() {
        ((lowest - 1.0).clamp(0.0, 95.0), highest.max(100.0) + 1.0)
    } else {
        (0.0, highest.max(1e-3) * 1.15)
    };
    let title = if lowest.is_finite() {
        title.to_owned()
    } else {
        format!("{title}: no data (e.g. no /metrics)")
    };
    let Ok(mut chart) = ChartBuilder::on(area)
        .caption(&title, ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(28)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..minutes, y_min..y_max)
    else {
        return;
    };
    // Grid lines at the labels only: the SVG stays small enough to commit.
    let _ = chart.configure_mesh().max_light_lines(0).x_desc("minutes").draw();
    let mut drawn_any = false;
    for (name, value, colour) in series {
        let colour = *colour;
        let points: Vec<(f64, f64)> = samples
            .iter()
            .step_by(stride)
            .filter_map(|s| value(s).map(|v| (s.at / 60.0, v)))
            .collect();
        if points.is_empty() {
            continue;
        }
        if let Ok(drawn) = chart.draw_series(LineSeries::new(points, colour)) {
            drawn_any = true;
            drawn
                .label(*name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour));
        }
    }
    if !drawn_any {
        return;
    }
    let _ = chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw();
}
