//! What deploy/ says about the server, checked against the server: every
//! metric the Grafana dashboard (deploy/grafana/parlor.json) queries is
//! exposed by `GET /metrics` and listed in docs/operations.md, and every
//! flag and `PARLOR_*` variable the manifests (deploy/**/*.yaml) give a
//! `parlor serve` container exists in `parlor serve --help`. The YAML is
//! read line by line, not parsed: enough for the shapes the manifests use
//! (`args:` as a block list or a flow list, one item a line).

#[path = "../../tests/common/mod.rs"]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use tokio::process::Command;

/// The repository's root (games/ is one of its crates).
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every .yaml and .yml file under deploy/, in a stable order.
fn manifests() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&repo().join("deploy"), &mut found);
    found.sort();
    assert!(!found.is_empty(), "no manifests under deploy/");
    found
}

/// A path relative to the repository, for messages.
fn shown(path: &Path) -> String {
    path.strip_prefix(repo()).unwrap_or(path).display().to_string()
}

/// Splits `text` into identifiers (`[A-Za-z0-9_:]+`) and returns those
/// that start with `prefix`.
fn words_with_prefix(text: &str, prefix: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| w.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

/// Every PromQL text of the dashboard: the string values of `expr`,
/// `query` and `definition` anywhere in it (panel targets, template
/// variables).
fn queries(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match v {
                    Value::String(s) if matches!(key.as_str(), "expr" | "query" | "definition") => {
                        found.push(s.clone())
                    }
                    _ => queries(v, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| queries(v, found)),
        _ => {}
    }
}

/// The metric families of an exposition, by name, with their type.
fn families(exposition: &str) -> BTreeMap<String, String> {
    exposition
        .lines()
        .filter_map(|line| {
            let mut words = line.strip_prefix("# TYPE ")?.split_whitespace();
            Some((words.next()?.to_owned(), words.next()?.to_owned()))
        })
        .collect()
}

/// The family a series name in a query belongs to: itself, or a
/// histogram's for its `_bucket`, `_sum` and `_count` series.
fn family_of(series: &str, families: &BTreeMap<String, String>) -> Option<String> {
    if families.contains_key(series) {
        return Some(series.to_owned());
    }
    ["_bucket", "_sum", "_count"].iter().find_map(|suffix| {
        let base = series.strip_suffix(suffix)?;
        (families.get(base).map(String::as_str) == Some("histogram")).then(|| base.to_owned())
    })
}

#[tokio::test]
async fn every_metric_the_dashboard_queries_is_exposed_and_documented() {
    let path = repo().join("deploy/grafana/parlor.json");
    let dashboard: Value =
        serde_json::from_str(&read(&path)).unwrap_or_else(|e| panic!("{} is not JSON: {e}", shown(&path)));
    let mut texts = Vec::new();
    queries(&dashboard, &mut texts);
    let used: BTreeSet<String> = texts.iter().flat_map(|q| words_with_prefix(q, "parlor_")).collect();
    assert!(
        used.len() >= 10,
        "the dashboard's queries name only {used:?}: are the panels' `expr`s there?"
    );

    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_parlor"));
    command
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .env("PARLOR_LOG", "info")
        .current_dir(dir.path());
    let (_child, url) = common::spawn_serving(&mut command).await;
    let (status, exposition) = common::http_get(&format!("{url}/metrics")).await;
    assert_eq!(status, 200, "{exposition}");
    let families = families(&exposition);
    let operations = read(&repo().join("docs/operations.md"));

    for series in &used {
        let family = family_of(series, &families).unwrap_or_else(|| {
            panic!(
                "the dashboard queries {series}, which GET /metrics does not expose (it has {:?})",
                families.keys().collect::<Vec<_>>()
            )
        });
        assert!(
            operations.contains(&format!("`{family}`")),
            "the dashboard queries {series}, but docs/operations.md does not list `{family}`"
        );
    }
    // The panels read from the datasource variable, so the dashboard
    // imports into any Grafana, and follow the node variable.
    for text in ["${DS_PROMETHEUS}", "$node"] {
        assert!(
            read(&path).contains(text),
            "the dashboard never uses {text}: its panels should"
        );
    }
}

/// The items of every `args:` list in `yaml`: a block list (`args:` then
/// `- item` lines, deeper or at the same indentation) or a flow list
/// (`args: ["serve", "--bind", ...]`). Quotes are removed.
fn args_lists(yaml: &str) -> Vec<Vec<String>> {
    let unquote = |s: &str| s.trim().trim_matches(|c| c == '"' || c == '\'').to_owned();
    let lines: Vec<&str> = yaml.lines().collect();
    let mut lists = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start().trim_start_matches("- ");
        let Some(rest) = trimmed.strip_prefix("args:") else {
            continue;
        };
        let rest = strip_comment(rest).trim();
        if let Some(flow) = rest.strip_prefix('[') {
            let flow = flow.trim_end().trim_end_matches(']');
            lists.push(flow.split(',').map(unquote).filter(|s| !s.is_empty()).collect());
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let mut items = Vec::new();
        for next in &lines[i + 1..] {
            let body = next.trim_start();
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            let depth = next.len() - body.len();
            match body.strip_prefix("- ") {
                Some(item) if depth >= indent => items.push(unquote(strip_comment(item))),
                _ => break,
            }
        }
        lists.push(items);
    }
    lists
}

/// `line` without a trailing `# comment`.
fn strip_comment(line: &str) -> &str {
    match line.find(" #") {
        Some(at) => &line[..at],
        None if line.trim_start().starts_with('#') => "",
        None => line,
    }
}

/// A number after `key` (`key: N` or `key = N`) in `yaml`'s lines.
fn number_after(yaml: &str, key: &str) -> Option<u64> {
    yaml.lines().map(strip_comment).find_map(|line| {
        let rest = line.trim_start().strip_prefix(key)?;
        rest.trim_start_matches([' ', ':', '=']).trim().parse().ok()
    })
}

#[tokio::test]
async fn every_flag_and_variable_the_manifests_give_parlor_exists() {
    let output = Command::new(env!("CARGO_BIN_EXE_parlor"))
        .args(["serve", "--help"])
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "parlor serve --help failed");
    let help = String::from_utf8(output.stdout).unwrap();
    // `      --redis <URL>` and `  -h, --help`.
    let flags: BTreeSet<String> = help
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let line = line
                .split_once(", ")
                .filter(|(short, _)| short.len() == 2)
                .map_or(line, |(_, long)| long);
            let flag = line.strip_prefix("--")?.split([' ', '=', '<']).next()?;
            Some(format!("--{flag}"))
        })
        .collect();
    assert!(flags.contains("--redis"), "no flags read from:\n{help}");
    // `[env: PARLOR_BIND=]`, `[env: PARLOR_DATABASE]` (a secret's value
    // is not shown).
    let variables: BTreeSet<String> = help
        .split("[env: ")
        .skip(1)
        .filter_map(|rest| rest.split(['=', ']']).next().map(str::to_owned))
        .collect();
    assert!(variables.contains("PARLOR_REDIS"), "no variables read from:\n{help}");

    let mut parlor_containers = 0;
    for path in manifests() {
        let yaml = read(&path);
        for args in args_lists(&yaml) {
            // A `parlor serve` container; other containers (Redis) have
            // flags of their own.
            if args.first().map(String::as_str) != Some("serve") {
                continue;
            }
            parlor_containers += 1;
            for arg in args.iter().filter(|a| a.starts_with("--")) {
                let flag = arg.split('=').next().unwrap();
                assert!(
                    flags.contains(flag),
                    "{} gives parlor serve {flag}, which `parlor serve --help` does not list",
                    shown(&path)
                );
            }
        }
        let code: String = yaml.lines().map(strip_comment).collect::<Vec<_>>().join("\n");
        for variable in words_with_prefix(&code, "PARLOR_") {
            assert!(
                variables.contains(&variable),
                "{} sets {variable}, which `parlor serve --help` does not list",
                shown(&path)
            );
        }
        // A pod must outlive the drain: `[shutdown] grace_secs`, then
        // `write_timeout_secs`, then 5 s (docs/operations.md, Running).
        if let Some(termination) = number_after(&yaml, "terminationGracePeriodSeconds") {
            let grace = number_after(&yaml, "grace_secs").unwrap_or(10);
            let write_timeout = number_after(&yaml, "write_timeout_secs").unwrap_or(10);
            assert!(
                termination >= grace + write_timeout + 5,
                "{}: terminationGracePeriodSeconds {termination} is shorter than the drain \
                 (grace_secs {grace} + write_timeout_secs {write_timeout} + 5)",
                shown(&path)
            );
        }
    }
    assert!(
        parlor_containers >= 1,
        "no `parlor serve` container (args starting with serve) found in deploy/"
    );
}
