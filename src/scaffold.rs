//! `parlor new NAME`: a ready game crate to start from. It holds a small
//! complete game (a tap race), its manifest, its page on the SDK, a rules
//! test on the in-process harness and a match over real websockets, and a
//! README with the two commands. It builds and plays as written; CI
//! generates one, builds it and runs its tests.
//!
//! The files are assets/new/, compiled into the binary.

use std::path::{Path, PathBuf};

/// The template: a path in the new crate (with `name` for the game's
/// name) and its text.
const FILES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../assets/new/Cargo.toml.tmpl")),
    ("README.md", include_str!("../assets/new/README.md.tmpl")),
    (".gitignore", include_str!("../assets/new/gitignore.tmpl")),
    ("name.toml", include_str!("../assets/new/name.toml.tmpl")),
    ("src/lib.rs", include_str!("../assets/new/src/lib.rs.tmpl")),
    ("src/main.rs", include_str!("../assets/new/src/main.rs.tmpl")),
    ("tests/match.rs", include_str!("../assets/new/tests/match.rs.tmpl")),
    (
        "web/games/name.html",
        include_str!("../assets/new/web/games/name.html.tmpl"),
    ),
];

/// Why a crate could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("{0:?} cannot name a game and its crate: use lowercase letters, digits and '-', starting with a letter (e.g. tap-race)")]
    BadName(String),
    #[error("{0} exists and is not empty; pick another NAME or --dir")]
    NotEmpty(PathBuf),
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// Writes a new game crate named `name` into `dir` (created; it must not
/// exist or be empty), depending on Parlor at `parlor_path`. Returns the
/// files written.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let crate_dir = dir.path().join("tap-race");
/// let files = parlor::scaffold::write_crate(&crate_dir, "tap-race", std::path::Path::new("/src/parlor")).unwrap();
/// assert!(files.contains(&crate_dir.join("tap-race.toml")));
/// let cargo = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
/// assert!(cargo.contains("name = \"tap-race\"") && cargo.contains("path = \"/src/parlor\""));
/// assert!(parlor::scaffold::write_crate(&crate_dir, "tap-race", std::path::Path::new("/src/parlor")).is_err());
/// ```
pub fn write_crate(dir: &Path, name: &str, parlor_path: &Path) -> Result<Vec<PathBuf>, ScaffoldError> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && name.len() <= 64;
    if !valid {
        return Err(ScaffoldError::BadName(name.to_owned()));
    }
    if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(ScaffoldError::NotEmpty(dir.to_owned()));
    }
    let title: String = name
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join(" ");
    let fill = |text: &str| {
        text.replace("{{name}}", name)
            .replace("{{crate}}", &name.replace('-', "_"))
            .replace("{{title}}", &title)
            .replace("{{parlor_path}}", &parlor_path.display().to_string())
    };
    let mut written = Vec::new();
    for (relative, text) in FILES {
        let relative = relative
            .replace("name.toml", &format!("{name}.toml"))
            .replace("name.html", &format!("{name}.html"));
        let path = dir.join(relative);
        let write = || -> std::io::Result<()> {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, fill(text))
        };
        write().map_err(|source| ScaffoldError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}
