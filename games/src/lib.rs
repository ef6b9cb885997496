//! The games bundled with Parlor, written on the engine's public API only,
//! exactly as a publisher's crate would be: each module is rules only; its
//! manifest is in manifests/ and its page in web/games/, both compiled into
//! the binary.
//!
//! ```no_run
//! // The `parlor` binary (src/main.rs) is this:
//! fn main() -> std::process::ExitCode {
//!     parlor::App::new()
//!         .games(parlor_games::register)
//!         .embedded_pages(parlor_games::Pages::get)
//!         .run()
//! }
//! ```

pub mod arena;
pub mod eights;
pub mod tictactoe;
pub mod trivia;

use parlor::catalog::{Catalog, CatalogError, ManifestSource};

/// The bundled games' manifests as compiled in: (name, TOML text).
pub const MANIFESTS: [(&str, &str); 4] = [
    ("tictactoe", include_str!("../manifests/tictactoe.toml")),
    ("arena", include_str!("../manifests/arena.toml")),
    ("trivia", include_str!("../manifests/trivia.toml")),
    ("eights", include_str!("../manifests/eights.toml")),
];

/// Adds every bundled game to `catalog`, manifests from `source`.
pub fn register(catalog: &mut Catalog, source: &ManifestSource) -> Result<(), CatalogError> {
    catalog.add_from::<tictactoe::TicTacToe>(source, MANIFESTS[0].1)?;
    catalog.add_from::<arena::Arena>(source, MANIFESTS[1].1)?;
    catalog.add_from::<trivia::Trivia>(source, MANIFESTS[2].1)?;
    catalog.add_from::<eights::Eights>(source, MANIFESTS[3].1)?;
    Ok(())
}

/// A catalog of the bundled games, manifests from `source`.
pub fn bundled(source: &ManifestSource) -> Result<Catalog, CatalogError> {
    let mut catalog = Catalog::new();
    register(&mut catalog, source)?;
    Ok(catalog)
}

/// The bundled games' pages (web/): `games/<game>.html` and its script,
/// compiled into the binary and served at `/play/<game>` and `/web/...`.
#[derive(parlor::rust_embed::RustEmbed)]
#[crate_path = "parlor::rust_embed"]
#[folder = "web/"]
pub struct Pages;
