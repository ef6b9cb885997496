//! `GET /metrics` read by an independent parser: the Prometheus org's own
//! text-format parser, `text_string_to_metric_families` of the Python
//! `prometheus_client` package (pinned in tests/requirements.txt, which
//! .ci/run installs), run with python3. A machine without it fails the
//! test that needs it, with the command that installs it.
//!
//! One python3 process per test binary parses every exposition: starting
//! Python for each scrape took most of a second.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use serde::Deserialize;

use super::{http_get_with, TestServer, PATIENCE};

/// Reads expositions from standard input, each a line with its length in
/// bytes and then the text; answers each with one line of JSON: every
/// family's name, type and samples, or the parser's error.
const PARSE: &str = r#"
import json, sys
try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    sys.exit("python3 cannot import prometheus_client: pip install -r tests/requirements.txt")
while True:
    header = sys.stdin.buffer.readline()
    if not header:
        break
    text = sys.stdin.buffer.read(int(header)).decode()
    try:
        families = [
            {"name": f.name, "type": f.type, "samples": [[s.name, s.labels, s.value] for s in f.samples]}
            for f in text_string_to_metric_families(text)
        ]
        print(json.dumps({"families": families}), flush=True)
    except Exception as e:
        print(json.dumps({"error": repr(e)}), flush=True)
"#;

/// The parser process and its pipes; it ends with the test binary.
struct Parser {
    _process: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    /// What it said on standard error, read if it ends.
    errors: Box<dyn Read + Send>,
}

/// The parser's answer to one exposition.
#[derive(Deserialize)]
struct Parsed {
    families: Option<Vec<Family>>,
    error: Option<String>,
}

fn parser() -> &'static Mutex<Parser> {
    static PARSER: OnceLock<Mutex<Parser>> = OnceLock::new();
    PARSER.get_or_init(|| {
        let mut child = Command::new("python3")
            .args(["-c", PARSE])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("these tests need python3 with prometheus_client (pip install -r tests/requirements.txt)");
        Mutex::new(Parser {
            input: child.stdin.take().unwrap(),
            output: BufReader::new(child.stdout.take().unwrap()),
            errors: Box::new(child.stderr.take().unwrap()),
            _process: child,
        })
    })
}

/// The parser's answer to `text`.
fn run_parser(text: &str) -> Parsed {
    // A test that failed while holding the lock left the pipes in step.
    let mut parser = parser().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let sent = write!(parser.input, "{}\n{text}", text.len()).and_then(|()| parser.input.flush());
    let mut line = String::new();
    let read = parser.output.read_line(&mut line);
    if sent.is_err() || !matches!(read, Ok(n) if n > 0) {
        let mut errors = String::new();
        let _ = parser.errors.read_to_string(&mut errors);
        panic!("the Prometheus parser (python3 with prometheus_client) is not running: {errors}");
    }
    serde_json::from_str(&line).unwrap()
}

#[derive(Deserialize)]
struct Family {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

/// One parsed exposition.
pub struct Scrape {
    /// Family name -> type (`counter`, `gauge`, `histogram`).
    kinds: BTreeMap<String, String>,
    /// (sample name, labels) -> value.
    samples: BTreeMap<(String, BTreeMap<String, String>), f64>,
}

/// Parses `text` with the Prometheus parser, and checks what the format
/// asks of every histogram: buckets that only grow, up to `+Inf`, which
/// equals `_count`.
pub fn parse(text: &str) -> Scrape {
    let parsed = run_parser(text);
    let Some(families) = parsed.families else {
        panic!(
            "the Prometheus parser refused the exposition: {:?}\n{text}",
            parsed.error
        );
    };
    let mut scrape = Scrape {
        kinds: BTreeMap::new(),
        samples: BTreeMap::new(),
    };
    for family in families {
        if family.kind == "histogram" {
            check_histogram(&family);
        }
        scrape.kinds.insert(family.name, family.kind);
        for (name, labels, value) in family.samples {
            scrape.samples.insert((name, labels), value);
        }
    }
    scrape
}

fn check_histogram(family: &Family) {
    let mut series: BTreeMap<BTreeMap<String, String>, Vec<(f64, f64)>> = BTreeMap::new();
    let mut counts = BTreeMap::new();
    for (name, labels, value) in &family.samples {
        let mut rest = labels.clone();
        if name.ends_with("_bucket") {
            let le = rest.remove("le").expect("a bucket has le");
            let bound = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            series.entry(rest).or_default().push((bound, *value));
        } else if name.ends_with("_count") {
            counts.insert(rest, *value);
        }
    }
    for (labels, mut buckets) in series {
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(
            buckets.windows(2).all(|w| w[0].1 <= w[1].1),
            "{} {labels:?}: buckets must be cumulative: {buckets:?}",
            family.name
        );
        let last = buckets.last().unwrap();
        assert_eq!(last.0, f64::INFINITY, "{} {labels:?} ends with +Inf", family.name);
        assert_eq!(
            Some(&last.1),
            counts.get(&labels),
            "{} {labels:?}: +Inf is _count",
            family.name
        );
    }
}

/// `GET /metrics` of `server`, parsed; checks the status and content type.
pub async fn scrape(server: &TestServer) -> Scrape {
    let (status, head, body) = http_get_with(&server.http("/metrics"), &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        head.contains("content-type: text/plain; version=0.0.4"),
        "the Prometheus text format's content type: {head}"
    );
    parse(&body)
}

/// Scrapes until `done` holds, within the tests' patience; returns that
/// scrape. Each scrape is the interval between polls.
pub async fn scrape_until(server: &TestServer, what: &str, done: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let scrape = scrape(server).await;
        if done(&scrape) {
            return scrape;
        }
        assert!(Instant::now() < deadline, "the metrics never showed {what}");
    }
}

/// The metrics of an in-process server as `GET /metrics` would show them,
/// parsed; for tests whose connections the address limit would count.
pub fn metrics_of(server: &TestServer) -> Scrape {
    parse(&server.server.state().metrics.encode())
}

impl Scrape {
    /// The value of sample `name` with exactly `labels`; panics if absent.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels)
            .unwrap_or_else(|| panic!("no sample {name}{labels:?} in {:?}", self.samples.keys()))
    }

    /// The value of sample `name` with exactly `labels`, if present.
    pub fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self.samples.get(&(name.to_owned(), labels)).copied()
    }

    /// The type of family `name` as the parser read it.
    pub fn kind(&self, name: &str) -> &str {
        self.kinds.get(name).map_or("absent", String::as_str)
    }

    /// Every sample name the parser read.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.samples.keys().map(|(name, _)| name.as_str())
    }
}
