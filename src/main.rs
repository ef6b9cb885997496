//! The `parlor` command.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use parlor::catalog::ManifestSource;
use parlor::config::{Config, ServeArgs};
use parlor::load::{Grouping, LoadConfig};
use parlor::net::{Server, Stopped};
use tracing_subscriber::EnvFilter;

/// Built with `--features mimalloc`, the server allocates through mimalloc
/// (docs/operations.md, "Memory").
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    Load(LoadArgs),
}

#[derive(clap::Args)]
struct LoadArgs {
    /// The server's websocket URL
    #[arg(long, default_value = "ws://127.0.0.1:8080/ws")]
    url: String,
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
    /// Ask for protocol v1 `patch` messages instead of compact `p` patches
    #[arg(long)]
    plain_patches: bool,
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

#[tokio::main]
async fn main() -> ExitCode {
    // Parsed first: the flags say how to log (a usage error prints itself).
    let cli = Cli::parse();
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
        Command::Serve(args) => serve(args).await,
        Command::Load(args) => load(args).await,
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let config = Config::resolve(&args)?;
    let source = match &config.manifests {
        Some(dir) => ManifestSource::Dir(dir),
        None => ManifestSource::Bundled,
    };
    let catalog = parlor::games::bundled(&source)?;
    let data_dir = config.data_dir.clone();
    let server = Server::start(config, catalog).await?;
    tracing::info!(data_dir = %data_dir.display(), "ledger ready");
    tracing::info!("serving on http://{}/", server.addr());
    let signal = parlor::lifecycle::signal().await;
    tracing::info!(
        signal,
        bound = ?server.stop_bound(),
        "stopping: no new connections; running matches get the shutdown grace"
    );
    match server.shutdown().await {
        Stopped::Clean => tracing::info!("stopped: every session, room and ledger write finished"),
        Stopped::TimedOut => tracing::warn!("stopped at the bound with work still going"),
    }
    Ok(ExitCode::SUCCESS)
}

async fn load(args: LoadArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
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
        clients: args.clients,
        ramp: Duration::from_secs_f64(args.ramp),
        duration: Duration::from_secs_f64(args.duration),
        game: args.game,
        grouping: if args.quick {
            Grouping::Quick
        } else {
            Grouping::PerRoom(args.per_room)
        },
        input_hz: args.input_hz,
        tick_hz: args.tick_hz,
        compact: !args.plain_patches,
        progress: !args.json && std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    let summary = parlor::load::run(&config).await;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print!("{}", summary.table());
        std::io::Write::flush(&mut std::io::stdout())?;
    }
    if let Some(dir) = &args.report {
        parlor::load::write_report(&summary, dir)?;
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
