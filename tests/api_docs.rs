//! The API's documents keep up with the router: every `/api/` route (and
//! `/health`, `/tonconnect-manifest.json`) in src/net/mod.rs is a path of
//! docs/openapi.yaml, with its method, and a row of docs/api.md.

use std::path::Path;

fn read(file: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap()
}

/// The method and path of each `.route("PATH", get(...))` (or `post`)
/// call in the router's source, however rustfmt wrapped it.
fn routes(source: &str) -> Vec<(String, String)> {
    source
        .split(".route(")
        .skip(1)
        .filter_map(|call| {
            let call = call.trim_start().strip_prefix('"')?;
            let (path, handler) = call.split_once('"')?;
            let method = handler
                .trim_start_matches(|c: char| c == ',' || c.is_whitespace())
                .split('(')
                .next()?;
            Some((method.to_ascii_uppercase(), path.to_owned()))
        })
        .collect()
}

#[test]
fn every_api_route_is_documented() {
    let router = read("src/net/mod.rs");
    let openapi = read("docs/openapi.yaml");
    let prose = read("docs/api.md");
    let documented: Vec<(String, String)> = routes(&router)
        .into_iter()
        .filter(|(_, path)| path.starts_with("/api/") || path == "/health" || path == "/tonconnect-manifest.json")
        .collect();
    assert!(documented.len() >= 14, "{documented:?}");
    for (method, path) in &documented {
        let lines: Vec<&str> = openapi.lines().collect();
        let at = lines
            .iter()
            .position(|line| *line == format!("  {path}:"))
            .unwrap_or_else(|| panic!("{path} is not a path of docs/openapi.yaml"));
        let operation = format!("    {}:", method.to_ascii_lowercase());
        assert!(
            lines[at + 1..]
                .iter()
                .take_while(|l| l.starts_with("   "))
                .any(|l| *l == operation),
            "{method} {path} is not an operation of docs/openapi.yaml"
        );
        assert!(
            prose.contains(&format!("`{method} {path}")),
            "{method} {path} has no row in docs/api.md"
        );
    }
}

#[test]
fn routes_are_read_from_the_source() {
    let source = "Router::new()\n        .route(\"/api/a/{x}\", get(a))\n        .route(\n            \"/b\",\n            post(b).layer(l),\n        )\n";
    let expected = [("GET", "/api/a/{x}"), ("POST", "/b")].map(|(m, p)| (m.to_owned(), p.to_owned()));
    assert_eq!(routes(source), expected);
}
