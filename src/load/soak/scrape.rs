//! Reading the soak's series out of a `/metrics` answer.
//!
//! Only what [`Metrics`] holds is read, from the text format's sample
//! lines (`name{label="value",...} number`); comments and every other
//! series are skipped. Whether the server writes valid Prometheus text is
//! not this reader's question: tests/metrics.rs checks that with the
//! Prometheus project's own Python parser.

use super::Metrics;

impl Metrics {
    /// The soak's series in `text`; `None` when a sample line of a series
    /// it reads is malformed.
    ///
    /// ```
    /// use parlor::load::soak::Metrics;
    ///
    /// let text = "# TYPE parlor_connections gauge\nparlor_connections 3\n\
    ///             parlor_rooms{game=\"arena\"} 2\n";
    /// let metrics = Metrics::from_text(text).unwrap();
    /// assert_eq!(metrics.connections, Some(3.0));
    /// assert_eq!(metrics.rooms["arena"], 2.0);
    /// ```
    pub fn from_text(text: &str) -> Option<Metrics> {
        let mut m = Metrics::default();
        let mut ticks: Vec<(String, f64, f64)> = Vec::new();
        let add = |slot: &mut Option<f64>, x: f64| *slot = Some(slot.unwrap_or(0.0) + x);
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let name_end = line.find(['{', ' ']).unwrap_or(line.len());
            let name = &line[..name_end];
            let wanted = matches!(
                name,
                "parlor_rooms"
                    | "parlor_connections"
                    | "parlor_closes_total"
                    | "parlor_connections_refused_total"
                    | "parlor_kicks_total"
                    | "parlor_process_resident_bytes"
                    | "parlor_tick_duration_seconds_bucket"
            );
            if !wanted {
                continue;
            }
            let (labels, rest) = match line[name_end..].strip_prefix('{') {
                Some(after) => {
                    let close = after.rfind('}')?;
                    (labels(&after[..close])?, &after[close + 1..])
                }
                None => (Vec::new(), &line[name_end..]),
            };
            let value = parse_value(rest.split_whitespace().next()?)?;
            let label = |key: &str| labels.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
            match name {
                "parlor_rooms" => *m.rooms.entry(label("game").unwrap_or_default()).or_default() += value,
                "parlor_connections" => add(&mut m.connections, value),
                "parlor_closes_total" => add(&mut m.closes, value),
                "parlor_connections_refused_total" => add(&mut m.refused, value),
                "parlor_kicks_total" => add(&mut m.kicks, value),
                "parlor_process_resident_bytes" => add(&mut m.resident_bytes, value),
                _ => ticks.push((label("game").unwrap_or_default(), parse_value(&label("le")?)?, value)),
            }
        }
        for (game, le, count) in ticks {
            m.tick_buckets.entry(game).or_default().push((le, count));
        }
        for buckets in m.tick_buckets.values_mut() {
            buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        Some(m)
    }
}

/// A sample's number: a float, `+Inf`, `-Inf` or `NaN`.
fn parse_value(text: &str) -> Option<f64> {
    match text {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => text.parse().ok(),
    }
}

/// `key="value",...` with the format's escapes (`\\`, `\"`, `\n`).
fn labels(text: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let eq = rest.find('=')?;
        let key = rest[..eq].trim().to_owned();
        let mut chars = rest[eq + 1..].trim_start().strip_prefix('"')?.char_indices();
        let mut value = String::new();
        let end = loop {
            match chars.next()? {
                (i, '"') => break i,
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    c => value.push(c),
                },
                (_, c) => value.push(c),
            }
        };
        out.push((key, value));
        let after = rest[eq + 1..].trim_start()[1 + end + 1..].trim_start();
        rest = after.strip_prefix(',').unwrap_or(after).trim_start();
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_labels_histograms_and_escapes() {
        let text = "parlor_tick_duration_seconds_bucket{game=\"arena\",le=\"+Inf\"} 9\n\
                    parlor_tick_duration_seconds_bucket{game=\"arena\",le=\"0.001\"} 7\n\
                    parlor_kicks_total{reason=\"a\\\"b\"} 2\n\
                    parlor_kicks_total{reason=\"pings\"} 1\n\
                    parlor_other 5\n";
        let m = Metrics::from_text(text).unwrap();
        assert_eq!(m.tick_buckets["arena"], vec![(0.001, 7.0), (f64::INFINITY, 9.0)]);
        assert_eq!(m.kicks, Some(3.0));
        assert_eq!(
            labels("a=\"x\\\"y\", b=\"z\"").unwrap(),
            vec![("a".into(), "x\"y".into()), ("b".into(), "z".into())]
        );
        assert!(Metrics::from_text("parlor_connections{game=\"arena\" 1\n").is_none());
    }
}
