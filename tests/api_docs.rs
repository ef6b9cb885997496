//! The API's documents keep up with the router: every `/api/` route (and
//! `/health`) in src/net/mod.rs is a path of docs/openapi.yaml and a row of
//! docs/api.md.

use std::path::Path;

fn read(file: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap()
}

/// The paths of `.route("PATH", ...)` calls in the router's source.
fn routes(source: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|line| line.trim().strip_prefix(".route(\""))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_api_route_is_documented() {
    let router = read("src/net/mod.rs");
    let openapi = read("docs/openapi.yaml");
    let prose = read("docs/api.md");
    let documented: Vec<String> = routes(&router)
        .into_iter()
        .filter(|path| path.starts_with("/api/") || path == "/health")
        .collect();
    assert!(documented.len() >= 9, "{documented:?}");
    for path in &documented {
        assert!(
            openapi.lines().any(|line| line == format!("  {path}:")),
            "{path} is not a path of docs/openapi.yaml"
        );
        assert!(
            prose.contains(&format!("`GET {path}")),
            "{path} has no row in docs/api.md"
        );
    }
}

#[test]
fn routes_are_read_from_the_source() {
    let source = "Router::new()\n        .route(\"/api/a/{x}\", get(a))\n        .route(\"/b\", get(b))\n";
    assert_eq!(routes(source), ["/api/a/{x}", "/b"]);
}
