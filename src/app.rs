//! A game server binary in a few lines: [`App`] hosts the games it is
//! given and runs the same command line as `parlor` itself (`serve` with
//! every flag, `PARLOR_*` variable and config file; `load`), so a
//! publisher's binary is operated exactly like `parlor`.
//!
//! ```no_run
//! use parlor::prelude::*;
//!
//! struct Rps;
//! impl Game for Rps {
//!     type Input = u8;
//!     type Settings = NoSettings;
//!     const NAME: &'static str = "rps";
//!     fn build(_room: &mut RoomBuilder) {}
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     parlor::App::new()
//!         .game::<Rps>("name = \"rps\"\nmin_players = 2\nmax_players = 2\n")
//!         .run()
//! }
//! ```

mod rewards;

use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::catalog::{Catalog, CatalogError, ManifestSource};
use crate::config::{Config, EmbeddedPages, ServeArgs};
use crate::ledger::{BoxFuture, Ledger};
#[cfg(feature = "load")]
use crate::load::{Grouping, LoadConfig};
use crate::net::{Server, Stopped};
use crate::simulation::Game;

/// Adds one game to a catalog, its manifest from a source.
type Registration = Box<dyn Fn(&mut Catalog, &ManifestSource) -> Result<(), CatalogError>>;

/// An error starting the server, for the operator to read.
pub type AppError = Box<dyn std::error::Error + Send + Sync>;

/// Opens the ledger the server records into, from the resolved config.
type LedgerOpener = Box<dyn Fn(Config) -> BoxFuture<'static, Result<Arc<dyn Ledger>, AppError>>>;

/// A game server binary: the games it hosts, and the `parlor` command
/// line to run them with.
#[derive(Default)]
pub struct App {
    games: Vec<Registration>,
    pages: Option<PathBuf>,
    embedded: Option<EmbeddedPages>,
    ledger: Option<LedgerOpener>,
}

impl App {
    /// A server hosting no game yet.
    pub fn new() -> App {
        App::default()
    }

    /// Hosts game `G`, with `manifest` (the TOML text, usually
    /// `include_str!("../rps.toml")`) compiled into the binary. `serve
    /// --manifests DIR` reads `DIR/<name>.toml` instead when it is there.
    /// A manifest that does not parse or fit the game stops `serve` with
    /// the file named.
    pub fn game<G: Game>(mut self, manifest: &'static str) -> App {
        self.games.push(Box::new(move |catalog, source| {
            catalog.add_from::<G>(source, manifest).map(drop)
        }));
        self
    }

    /// Hosts the games `register` adds (e.g. `parlor_games::register`,
    /// the bundled ones, in games/).
    pub fn games(mut self, register: fn(&mut Catalog, &ManifestSource) -> Result<(), CatalogError>) -> App {
        self.games.push(Box::new(register));
        self
    }

    /// Serves the files of `dir` (relative to the working directory) before
    /// the built-in pages: `games/<game>.html` at `/play/<game>`,
    /// `index.html` at `/`, and every file at `/web/<path>`. `serve
    /// --pages DIR` (or `[web] pages`) names another directory.
    pub fn pages(mut self, dir: impl Into<PathBuf>) -> App {
        self.pages = Some(dir.into());
        self
    }

    /// Serves pages compiled into the binary, for a single-file deploy:
    /// the `get` of a [`rust_embed`](crate::rust_embed) folder, laid out
    /// as for [`pages`](Self::pages). A pages directory, when there is one,
    /// is looked in first, so a page can be edited without a rebuild.
    ///
    /// ```no_run
    /// // The folder is relative to the crate's Cargo.toml (here, the
    /// // bundled games' pages); the derive needs no dependency of its own.
    /// #[derive(parlor::rust_embed::RustEmbed)]
    /// #[crate_path = "parlor::rust_embed"]
    /// #[folder = "games/web/"]
    /// struct Pages;
    ///
    /// # fn register(_: &mut parlor::catalog::Catalog, _: &parlor::catalog::ManifestSource)
    /// #     -> Result<(), parlor::catalog::CatalogError> { Ok(()) }
    /// fn main() -> std::process::ExitCode {
    ///     parlor::App::new().games(register).embedded_pages(Pages::get).run()
    /// }
    /// ```
    pub fn embedded_pages(mut self, get: fn(&str) -> Option<rust_embed::EmbeddedFile>) -> App {
        self.embedded = Some(EmbeddedPages(get));
        self
    }

    /// Records results into the ledger `open` returns instead of the
    /// SQLite file in `--data-dir`. `open` gets the resolved config (its
    /// data directory, or settings of your own read from the environment)
    /// and runs once, when `serve` starts; an error stops the start with
    /// its message.
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use parlor::ledger::{Ledger, SqliteLedger};
    ///
    /// # fn register(_: &mut parlor::catalog::Catalog, _: &parlor::catalog::ManifestSource)
    /// #     -> Result<(), parlor::catalog::CatalogError> { Ok(()) }
    /// fn main() -> std::process::ExitCode {
    ///     parlor::App::new()
    ///         .games(register)
    ///         .ledger(|config| async move {
    ///             let ledger = SqliteLedger::open(&config.data_dir.join("results")).await?;
    ///             Ok(Arc::new(ledger) as Arc<dyn Ledger>)
    ///         })
    ///         .run()
    /// }
    /// ```
    pub fn ledger<F, Fut>(mut self, open: F) -> App
    where
        F: Fn(Config) -> Fut + 'static,
        Fut: Future<Output = Result<Arc<dyn Ledger>, AppError>> + Send + 'static,
    {
        self.ledger = Some(Box::new(move |config| Box::pin(open(config))));
        self
    }

    /// The catalog of this app's games, manifests from `source`.
    pub fn catalog(&self, source: &ManifestSource) -> Result<Catalog, CatalogError> {
        let mut catalog = Catalog::new();
        for register in &self.games {
            register(&mut catalog, source)?;
        }
        Ok(catalog)
    }

    /// Parses the command line (`serve ...` or `load ...`, as `parlor
    /// --help` lists them), sets up logging, and runs the command on a
    /// multi-threaded tokio runtime until it ends (`serve`: until SIGINT or
    /// SIGTERM, then a graceful stop). The exit code says how it went.
    pub fn run(self) -> ExitCode {
        // Usage lines name the binary as it was run (clap reads argv[0]).
        let cli = Cli::parse();
        let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(e) => {
                eprintln!("cannot start the async runtime: {e}");
                return ExitCode::FAILURE;
            }
        };
        runtime.block_on(self.run_cli(cli))
    }

    async fn run_cli(self, cli: Cli) -> ExitCode {
        let log = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(EnvFilter::try_from_env("PARLOR_LOG").unwrap_or_else(|_| EnvFilter::new("info")));
        match cli.log_format {
            LogFormat::Text => log
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .init(),
            LogFormat::Json => log.json().flatten_event(true).init(),
        }
        // Both sides hold a socket per client: allow as many as the system does.
        if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
            tracing::warn!(error = %e, "could not raise the open file limit");
        }
        let outcome = match cli.command {
            Command::Serve(args) => self.serve(args).await,
            #[cfg(feature = "load")]
            Command::Load(args) => load(args).await,
            Command::New(args) => new_crate(args),
            Command::Ledger(LedgerCommand::Check(args)) => self.check_ledger(args).await,
            Command::Replay(args) => self.replay(args).await,
            Command::Rewards(command) => match self.open_ledger(command.serve_args()).await {
                Ok(ledger) => command.run(ledger).await,
                Err(e) => Err(e),
            },
        };
        match outcome {
            Ok(code) => code,
            Err(e) => {
                tracing::error!("{e}");
                ExitCode::FAILURE
            }
        }
    }

    async fn serve(self, args: ServeArgs) -> Result<ExitCode, AppError> {
        let config = Config::resolve(&args)?;
        let data_dir = config.data_dir.clone();
        let backend = match &config.database {
            _ if self.ledger.is_some() => "the app's own",
            Some(url) if url.expose().starts_with("sqlite:") => "sqlite",
            Some(_) => "postgres",
            None => "sqlite in the data directory",
        };
        let agones = config.agones;
        let server = self.start(config).await?;
        tracing::info!(data_dir = %data_dir.display(), ledger = backend, "ledger ready");
        tracing::info!("serving on http://{}/", server.addr());
        if let Some(cluster) = &server.state().cluster {
            tracing::info!(node = cluster.node_id(), url = cluster.url(), "in the cluster");
            if !matches!(backend, "postgres" | "the app's own") {
                tracing::warn!(
                    "this cluster node keeps its own ledger: results, leaderboards and session resumes are not shared \
                     with the other nodes (a session resumed on one node is refused on another); give every node \
                     the same --database postgres://..."
                );
            }
        }
        let agones = match agones {
            true => Some(agones_link::start(&server).await?),
            false => None,
        };
        let signal = tokio::select! {
            signal = crate::lifecycle::signal() => signal,
            () = server.drain_requested() => "drain requested (POST /admin/drain)",
        };
        tracing::info!(
            signal,
            bound = ?server.stop_bound(),
            "stopping: no new connections; running matches get the shutdown grace"
        );
        match server.shutdown().await {
            Stopped::Clean => tracing::info!("stopped: every session, room and ledger write finished"),
            Stopped::TimedOut => tracing::warn!("stopped at the bound with work still going"),
        }
        if let Some(agones) = agones {
            agones_link::shutdown(agones).await;
        }
        Ok(ExitCode::SUCCESS)
    }

    /// The ledger `serve` would open with these flags.
    async fn open_ledger(&self, args: &ServeArgs) -> Result<Arc<dyn Ledger>, AppError> {
        let config = Config::resolve(args)?;
        Ok(match &self.ledger {
            Some(open) => open(config).await?,
            None => Server::open_ledger(&config).await?,
        })
    }

    /// `ledger check`: the ledger `serve` would open, audited.
    async fn check_ledger(&self, args: ServeArgs) -> Result<ExitCode, AppError> {
        let ledger = self.open_ledger(&args).await?;
        let report = ledger.audit().await?;
        for problem in &report.problems {
            println!("PROBLEM {problem}");
        }
        println!(
            "{} matches checked ({} recorded before signing, not checkable): {}",
            report.matches,
            report.unsigned,
            if report.is_clean() {
                "all agree with their signed records".to_owned()
            } else {
                format!("{} problems", report.problems.len())
            }
        );
        Ok(if report.is_clean() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }

    /// `replay MATCH`: the match, and its room's recorded matches before
    /// it, run again from the ledger `serve` would open; one line per
    /// match as it ends as recorded. Exits 1 at the first that does not.
    async fn replay(&self, args: ReplayArgs) -> Result<ExitCode, AppError> {
        let config = Config::resolve(&args.serve)?;
        let ledger = self.open_ledger(&args.serve).await?;
        let source = match &config.manifests {
            Some(dir) => ManifestSource::Dir(dir),
            None => ManifestSource::Bundled,
        };
        let catalog = self.catalog(&source)?;
        let checked = crate::replay::check(ledger, &catalog, &args.match_id, |recorded, report| {
            let outcome = match &report.ranking {
                Some(ranking) => format!("ends as recorded: {}", crate::room::show_ranking(ranking)),
                None => "runs to where it was aborted, as recorded".to_owned(),
            };
            println!(
                "match {}: {} ticks, {} inputs, {} steps; {outcome}",
                recorded.id,
                report.ticks,
                report.inputs,
                recorded.recording.steps.len()
            );
        })
        .await;
        match checked {
            Ok(reports) => {
                println!(
                    "replayed {} match{}: match {} is reproduced",
                    reports.len(),
                    if reports.len() == 1 { "" } else { "es" },
                    args.match_id
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(crate::replay::CheckError::Diverged(e)) => {
                println!("DIVERGED {e}");
                Ok(ExitCode::FAILURE)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Starts serving as `serve` does, with `config` (its games, pages and
    /// ledger as this app sets them), and returns the running server: for
    /// a test of your binary on 127.0.0.1, or a `main` of your own.
    ///
    /// ```no_run
    /// # async fn example(app: parlor::App) -> Result<(), parlor::app::AppError> {
    /// let config = parlor::config::Config { bind: "127.0.0.1:0".parse()?, ..Default::default() };
    /// let server = app.start(config).await?;
    /// println!("ws://{}/ws", server.addr());
    /// server.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn start(self, mut config: Config) -> Result<Server, AppError> {
        if config.web.pages.is_none() {
            config.web.pages = self.pages.clone();
        }
        config.web.embedded = self.embedded;
        if let Some(dir) = &config.web.pages {
            if !dir.is_dir() {
                return Err(format!("the pages directory {} is not a directory", dir.display()).into());
            }
        }
        let source = match &config.manifests {
            Some(dir) => ManifestSource::Dir(dir),
            None => ManifestSource::Bundled,
        };
        let catalog = self.catalog(&source)?;
        if catalog.iter().next().is_none() {
            return Err("this server hosts no game: add one with App::game".into());
        }
        let server = match &self.ledger {
            Some(open) => {
                let ledger = open(config.clone()).await?;
                Server::start_with_ledger(config, catalog, ledger).await?
            }
            None => Server::start(config, catalog).await?,
        };
        Ok(server)
    }
}

/// Parlor: a game server for chat mini-apps.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// How log lines on standard error are written
    #[arg(long, global = true, env = "PARLOR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// The format of the log on standard error.
#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    /// One human-readable line per event (colored on a terminal).
    Text,
    /// One JSON object per line, for a log collector: `timestamp`, `level`,
    /// `target`, `message` and the event's fields at the top level.
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the game server.
    Serve(ServeArgs),
    /// Load-test a server with bot clients over real websockets.
    #[cfg(feature = "load")]
    Load(LoadArgs),
    /// Write a new game crate to start from (docs/publishing.md).
    New(NewArgs),
    /// Work on the ledger the server records into.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Run a recorded match again and check it ends as recorded
    /// (docs/replays.md). Takes serve's flags, to find the same ledger and
    /// manifests.
    Replay(ReplayArgs),
    /// Pay claims from your own TON wallet, offline (docs/rewards.md).
    #[command(subcommand)]
    Rewards(rewards::RewardsCommand),
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Check every recorded match against its signed record and the record
    /// against its signature; exits 1 with a report when anything is off.
    /// Takes serve's flags, to find the same ledger.
    Check(ServeArgs),
}

#[derive(clap::Args)]
struct ReplayArgs {
    /// The match's id (`result.match`, or `GET /api/players/{id}/matches`)
    #[arg(value_name = "MATCH")]
    match_id: String,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(clap::Args)]
struct NewArgs {
    /// The game's name, also the crate's: lowercase letters, digits and '-'
    name: String,
    /// Where to write it [default: ./NAME]
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The Parlor source the crate depends on [default: the source this binary was built from]
    #[arg(long, value_name = "PATH")]
    parlor_path: Option<PathBuf>,
}

/// `new NAME`: writes the crate and says what to run next.
fn new_crate(args: NewArgs) -> Result<ExitCode, AppError> {
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(&args.name));
    let parlor = args
        .parlor_path
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let files = crate::scaffold::write_crate(&dir, &args.name, &parlor)?;
    for file in &files {
        println!("  wrote {}", file.display());
    }
    println!(
        "\n{} is ready. Next:\n  cd {}\n  cargo run -- serve     # then open http://127.0.0.1:8080/play/{} in two tabs\n  cargo test",
        args.name,
        dir.display(),
        args.name
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "load")]
#[derive(clap::Args)]
struct LoadArgs {
    /// The server's websocket URL
    #[arg(long, default_value = "ws://127.0.0.1:8080/ws")]
    url: String,
    /// Another node of the cluster to spread bots over (repeat the flag); bots follow redirects
    #[arg(long = "node-url", value_name = "URL")]
    node_url: Vec<String>,
    /// Bot clients
    #[arg(long, default_value_t = 100)]
    clients: usize,
    /// Seconds over which the clients connect
    #[arg(long, default_value_t = 5.0)]
    ramp: f64,
    /// Seconds measured after the ramp
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// The game to join
    #[arg(long, default_value = "arena")]
    game: String,
    /// Players per private room; the first of each room creates it
    #[arg(long, default_value_t = 8, conflicts_with = "quick")]
    per_room: u32,
    /// Use quick match instead of fixed rooms
    #[arg(long)]
    quick: bool,
    /// Steering inputs per client per second (0: none)
    #[arg(long, default_value_t = 10.0)]
    input_hz: f64,
    /// The game's patch rate, for the expected rate and jitter
    #[arg(long, default_value_t = 20.0)]
    tick_hz: f64,
    /// Ask for protocol v1 `patch` messages instead of lean `p` patches
    #[arg(long, conflicts_with = "compact_patches")]
    plain_patches: bool,
    /// Ask for compact `p` patches that are not lean (every `p` with its
    /// tick and ack, floats as floats), instead of lean ones as the SDK does
    #[arg(long)]
    compact_patches: bool,
    /// Print the summary as JSON on standard output
    #[arg(long)]
    json: bool,
    /// Write an HTML report with plots into this directory
    #[arg(long)]
    report: Option<PathBuf>,
    /// Fail (exit 1) if the delivered patch rate is below this share of the expected one
    #[arg(long)]
    min_delivered: Option<f64>,
    /// Fail (exit 1) if there were more errors than this
    #[arg(long)]
    max_errors: Option<u64>,
}

#[cfg(feature = "load")]
async fn load(args: LoadArgs) -> Result<ExitCode, AppError> {
    for (name, value) in [
        ("--ramp", args.ramp),
        ("--duration", args.duration),
        ("--tick-hz", args.tick_hz),
    ] {
        if !(value.is_finite() && value > 0.0) {
            return Err(format!("{name} must be a positive number of seconds or hertz").into());
        }
    }
    if !(args.input_hz.is_finite() && args.input_hz >= 0.0) || args.clients == 0 || args.per_room == 0 {
        return Err("--input-hz must be 0 or more; --clients and --per-room at least 1".into());
    }
    let config = LoadConfig {
        url: args.url,
        node_urls: args.node_url,
        clients: args.clients,
        ramp: std::time::Duration::from_secs_f64(args.ramp),
        duration: std::time::Duration::from_secs_f64(args.duration),
        game: args.game,
        grouping: if args.quick {
            Grouping::Quick
        } else {
            Grouping::PerRoom(args.per_room)
        },
        input_hz: args.input_hz,
        tick_hz: args.tick_hz,
        form: crate::protocol::PatchForm::asked(!args.plain_patches, !args.compact_patches),
        progress: !args.json && std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    let summary = crate::load::run(&config).await;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print!("{}", summary.table());
        std::io::Write::flush(&mut std::io::stdout())?;
    }
    if let Some(dir) = &args.report {
        crate::load::write_report(&summary, dir)?;
        eprintln!("report written to {}", dir.join("index.html").display());
    }
    let mut failed = false;
    if let Some(min) = args.min_delivered {
        if summary.delivered < min {
            eprintln!(
                "FAIL: delivered {:.1}% of the expected patches, below {:.1}%",
                100.0 * summary.delivered,
                100.0 * min
            );
            failed = true;
        }
    }
    if let Some(max) = args.max_errors {
        if summary.errors > max {
            eprintln!("FAIL: {} errors, more than {max}", summary.errors);
            failed = true;
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_games::{Pair, PAIR_MANIFEST};

    #[test]
    fn an_app_hosts_the_games_it_is_given_with_their_manifests() {
        let app = App::new().game::<Pair>(PAIR_MANIFEST);
        let catalog = app.catalog(&ManifestSource::Bundled).unwrap();
        let names: Vec<&str> = catalog.iter().map(|g| g.manifest().name.as_str()).collect();
        assert_eq!(names, ["pair"]);

        // --manifests DIR wins over the compiled-in text, and a bad one
        // is refused with its file named.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pair.toml");
        std::fs::write(
            &file,
            "name = \"pair\"\nmin_players = 2\nmax_players = 2\n[settings]\nsize = 4\n",
        )
        .unwrap();
        let error = app.catalog(&ManifestSource::Dir(dir.path())).err().unwrap().to_string();
        assert!(
            error.contains(&file.display().to_string()) && error.contains("size"),
            "{error}"
        );
        assert!(App::new()
            .catalog(&ManifestSource::Bundled)
            .unwrap()
            .iter()
            .next()
            .is_none());
    }
}

/// `serve --agones`: the node's link to Agones' SDK sidecar.
mod agones_link {
    #[cfg(feature = "agones")]
    pub use with_agones::*;
    #[cfg(not(feature = "agones"))]
    pub use without::*;

    #[cfg(feature = "agones")]
    mod with_agones {
        use std::sync::Arc;

        use crate::agones::{AgonesLink, AgonesLoad, AgonesOptions};
        use crate::matchmaking::LocalMatchmaker;
        use crate::net::Server;

        /// The link, and the task reporting over it until the stop.
        pub struct Running {
            link: AgonesLink,
            stop: tokio_util::sync::CancellationToken,
            task: tokio::task::JoinHandle<()>,
        }

        /// The node's load, read from its room directory.
        struct NodeLoad(Arc<LocalMatchmaker>);

        impl AgonesLoad for NodeLoad {
            fn rooms(&self) -> u64 {
                self.0.directory().load().0 as u64
            }
            fn players(&self) -> u64 {
                self.0.directory().load().1
            }
        }

        /// Connects to the sidecar and reports: `Ready` now that the node
        /// serves, then Health and the Counters.
        pub async fn start(server: &Server) -> Result<Running, super::super::AppError> {
            let link = AgonesLink::connect(AgonesOptions::default())
                .await
                .map_err(|e| super::super::AppError::from(e.to_string()))?;
            let stop = tokio_util::sync::CancellationToken::new();
            let load = Arc::new(NodeLoad(server.state().matchmaker.clone()));
            let task = tokio::spawn({
                let (link, stop) = (link.clone(), stop.clone());
                async move { link.run(load, stop).await }
            });
            tracing::info!("reporting to Agones: Ready");
            Ok(Running { link, stop, task })
        }

        /// After the drain: the last counters, then `Shutdown`.
        pub async fn shutdown(running: Running) {
            running.stop.cancel();
            let _ = running.task.await;
            if let Err(e) = running.link.shutdown().await {
                tracing::warn!(error = %e, "could not tell Agones the server shut down");
            }
        }
    }

    #[cfg(not(feature = "agones"))]
    mod without {
        /// Never made: `Config::resolve` refuses `--agones` in a build
        /// without the feature.
        pub enum Running {}

        pub async fn start(_server: &crate::net::Server) -> Result<Running, super::super::AppError> {
            Err(super::super::AppError::from(
                "--agones: this binary was built without the cargo feature `agones`".to_owned(),
            ))
        }

        pub async fn shutdown(running: Running) {
            match running {}
        }
    }
}
