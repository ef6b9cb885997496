//! docs/publishing.md's Rust snippets are compiled code: each one is an
//! excerpt of a file `cargo test` builds (the rock-paper-scissors example,
//! the bundled games' crate), so a snippet that drifts from the API fails
//! here rather than in a reader's editor. A `// ...` line in a snippet
//! stands for lines left out; blank lines and indentation are not compared.

use std::path::Path;

/// The files the snippets are taken from, all built by `cargo test`.
const SOURCES: &[&str] = &[
    "examples/rock_paper_scissors.rs",
    "games/src/lib.rs",
    "games/src/main.rs",
];

const ELISION: &str = "// ...";

/// The `rust` code blocks of a Markdown text.
fn rust_snippets(markdown: &str) -> Vec<String> {
    let mut snippets = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.starts_with("```rust") => current = Some(String::new()),
            Some(_) if line.starts_with("```") => snippets.extend(current.take()),
            Some(text) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    snippets
}

fn significant_lines(text: &str) -> Vec<&str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).collect()
}

/// Whether `snippet`'s runs (split at `// ...`) are in `source`, each a
/// run of consecutive lines there, in order.
fn is_excerpt(snippet: &str, source: &str) -> bool {
    let source = significant_lines(source);
    let lines = significant_lines(snippet);
    let mut from = 0;
    for run in lines.split(|l| *l == ELISION).filter(|run| !run.is_empty()) {
        let found = (from..=source.len().saturating_sub(run.len())).find(|&at| source[at..].starts_with(run));
        match found {
            Some(at) => from = at + run.len(),
            None => return false,
        }
    }
    true
}

#[test]
fn every_rust_snippet_of_the_tutorial_is_an_excerpt_of_compiled_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tutorial = std::fs::read_to_string(root.join("docs/publishing.md")).unwrap();
    let sources: Vec<String> = SOURCES
        .iter()
        .map(|file| std::fs::read_to_string(root.join(file)).unwrap())
        .collect();
    let snippets = rust_snippets(&tutorial);
    assert!(snippets.len() >= 4, "the tutorial has its snippets");
    for snippet in &snippets {
        assert!(
            sources.iter().any(|source| is_excerpt(snippet, source)),
            "this snippet of docs/publishing.md is in none of {SOURCES:?}:\n{snippet}"
        );
    }
}

#[test]
fn the_check_refuses_a_changed_line_and_follows_elisions() {
    let source = "fn a() {\n    one();\n    two();\n}\n\nfn b() {}\n";
    assert!(is_excerpt("fn a() {\n// ...\n}\nfn b() {}\n", source));
    assert!(is_excerpt("one();\ntwo();\n", source));
    assert!(!is_excerpt("one();\nthree();\n", source));
    assert!(
        !is_excerpt("fn b() {}\n// ...\nfn a() {\n", source),
        "runs are in order"
    );
}
