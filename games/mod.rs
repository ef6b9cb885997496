//! The games bundled with Parlor. Each is a module of rules only; its
//! manifest is in assets/games/ and compiled into the binary.

pub mod arena;
pub mod tictactoe;
pub mod trivia;

#[cfg(test)]
mod tests;

use crate::catalog::{Catalog, CatalogError, ManifestSource};

/// Adds every bundled game to `catalog`, manifests from `source`.
pub fn register(catalog: &mut Catalog, source: &ManifestSource) -> Result<(), CatalogError> {
    catalog.add_from::<tictactoe::TicTacToe>(source, include_str!("../assets/games/tictactoe.toml"))?;
    catalog.add_from::<arena::Arena>(source, include_str!("../assets/games/arena.toml"))?;
    catalog.add_from::<trivia::Trivia>(source, include_str!("../assets/games/trivia.toml"))?;
    Ok(())
}

/// A catalog of the bundled games, manifests from `source`.
pub fn bundled(source: &ManifestSource) -> Result<Catalog, CatalogError> {
    let mut catalog = Catalog::new();
    register(&mut catalog, source)?;
    Ok(catalog)
}
