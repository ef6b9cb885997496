//! The games a server hosts, by name: each game's manifest, read and
//! checked, paired with its Rust implementation behind an object-safe
//! [`GameType`] so rooms of different games can live in one directory.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::manifest::{Manifest, ManifestError};
use crate::simulation::{Game, GameType, Hosted};

/// Why the catalog could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("no manifest for game {0:?} (expected {0}.toml)")]
    MissingManifest(String),
    #[error("manifest {file} names game {name:?}; the file must be named after the game")]
    NameMismatch { file: String, name: String },
}

/// Where manifests come from.
pub enum ManifestSource<'a> {
    /// The manifests compiled into the binary (`App::game`, `Catalog::add_from`).
    Bundled,
    /// A directory of NAME.toml files that replace the bundled ones; a game
    /// without a file there keeps its bundled manifest.
    Dir(&'a Path),
}

/// The games this server hosts, by name.
#[derive(Clone, Default)]
pub struct Catalog {
    games: BTreeMap<String, Arc<dyn GameType>>,
}

impl Catalog {
    /// An empty catalog; add games with [`Catalog::add`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Hosts game `G` with `manifest`, which [`Game::check_manifest`] must
    /// accept, and whose `[settings]` must read as `G::Settings` and pass
    /// [`Game::check_settings`].
    pub fn add<G: Game>(&mut self, manifest: Manifest) -> Result<&mut Self, CatalogError> {
        self.add_checked::<G>(manifest, &format!("manifest for {}", G::NAME))
    }

    /// [`Catalog::add`], naming the manifest `path` in errors.
    fn add_checked<G: Game>(&mut self, manifest: Manifest, path: &str) -> Result<&mut Self, CatalogError> {
        if manifest.name != G::NAME {
            return Err(CatalogError::NameMismatch {
                file: path.to_owned(),
                name: manifest.name,
            });
        }
        let invalid = |message| ManifestError::Invalid {
            path: path.to_owned(),
            message,
        };
        G::check_manifest(&manifest).map_err(invalid)?;
        let settings = manifest.settings_as::<G::Settings>().map_err(invalid)?;
        G::check_settings(&settings).map_err(invalid)?;
        self.games
            .insert(G::NAME.to_owned(), Arc::new(Hosted::<G>::new(manifest, settings)));
        Ok(self)
    }

    /// Hosts game `G`, reading its manifest from `source`.
    pub fn add_from<G: Game>(&mut self, source: &ManifestSource, bundled: &str) -> Result<&mut Self, CatalogError> {
        let file = format!("{}.toml", G::NAME);
        let (manifest, path) = match source {
            ManifestSource::Dir(dir) if dir.join(&file).exists() => {
                let path = dir.join(&file);
                (Manifest::load(&path)?, path.display().to_string())
            }
            _ => {
                let path = format!("{file} (compiled in)");
                (Manifest::parse_named(bundled, &path)?, path)
            }
        };
        if manifest.name != G::NAME {
            return Err(CatalogError::NameMismatch {
                file,
                name: manifest.name,
            });
        }
        self.add_checked::<G>(manifest, &path)
    }

    /// A game by name.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn GameType>> {
        self.games.get(name)
    }

    /// Every game, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn GameType>> {
        self.games.values()
    }
}
