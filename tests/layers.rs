//! The module layers of docs/architecture.md, checked: every module names
//! (with `crate::`) only modules of a lower layer, so no two modules import
//! each other, directly or around a cycle. Doc comments are not imports and
//! are skipped, and so is unit-test code (a `tests.rs` file, or what
//! a `#[cfg(test)] mod tests { ... }`): a test may build a module's real surroundings
//! from the layers above it (the room's tests use the real directory and
//! the test games), which is no import of the built crate. The bundled
//! games are a crate of their own (games/), on the public API.

use std::collections::BTreeMap;
use std::path::Path;

/// Layer of each module: a module may import only lower layers.
const LAYERS: &[(&str, u32)] = &[
    ("protocol", 0),
    ("manifest", 0),
    ("lifecycle", 0),
    ("memory", 0),
    ("keyfile", 0),
    // Reports to Agones' SDK sidecar (feature "agones"); imports nothing
    // of the crate.
    ("agones", 0),
    ("scaffold", 0),
    ("ton", 0),
    ("auth", 1),
    ("config", 1),
    ("game", 1),
    ("client", 1),
    ("ledger", 1),
    ("metrics", 1),
    ("replication", 2),
    ("load", 2),
    ("simulation", 3),
    ("catalog", 4),
    ("room", 4),
    ("matchmaking", 5),
    ("cluster", 6),
    ("replay", 6),
    ("net", 7),
    ("testing", 6),
    ("prelude", 8),
    ("app", 8),
    // Compiled for the unit tests only: small games on the prelude.
    ("test_games", 9),
];

/// The module a source file belongs to: its first path component under
/// src/.
fn module_of(root: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(root).ok()?;
    let mut parts = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    let first = parts.next()?;
    let rest = parts.next();
    let name = if rest.is_some() {
        first
    } else {
        first.strip_suffix(".rs")?.to_owned()
    };
    Some(name)
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `crate::NAME` references in code (not comments) of `text`.
fn crate_references(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let code = line.trim_start();
        let test_module = lines
            .peek()
            .is_some_and(|next| next.trim_start().starts_with("mod tests {"));
        if code.starts_with("#[cfg(test)]") && test_module {
            break;
        }
        if code.starts_with("//") {
            continue;
        }
        let code = code.split(" //").next().unwrap_or(code);
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let name: String = rest[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push(name);
            }
            rest = &rest[at + 7..];
        }
    }
    found
}

#[test]
fn modules_import_only_lower_layers() {
    let layers: BTreeMap<&str, u32> = LAYERS.iter().copied().collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    for file in files {
        let Some(module) = module_of(&root, &file) else {
            continue;
        };
        if module == "lib" || file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let layer = *layers
            .get(module.as_str())
            .unwrap_or_else(|| panic!("{} is in no layer; add it to LAYERS and docs/architecture.md", module));
        let text = std::fs::read_to_string(&file).unwrap();
        for used in crate_references(&text) {
            if used == module {
                continue;
            }
            match layers.get(used.as_str()) {
                Some(&l) if l < layer => {}
                _ => violations.push(format!("{} ({module}) imports crate::{used}", file.display())),
            }
        }
    }
    assert!(
        violations.is_empty(),
        "imports against the layers:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_check_sees_an_upward_import() {
    let refs = crate_references("/// see [`crate::net`]\nuse crate::room::Room; // crate::net\n");
    assert_eq!(refs, vec!["room".to_owned()]);
}
