//! The `parlor` command.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use parlor::catalog::{Catalog, ManifestSource};
use parlor::config::{Config, ServeArgs};
use parlor::net::Server;
use tracing_subscriber::EnvFilter;

/// Parlor: a game server for chat mini-apps.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the game server.
    Serve(ServeArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(EnvFilter::try_from_env("PARLOR_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => match serve(args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("{e}");
                ExitCode::FAILURE
            }
        },
    }
}

async fn serve(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::resolve(&args)?;
    let source = match &config.manifests {
        Some(dir) => ManifestSource::Dir(dir),
        None => ManifestSource::Bundled,
    };
    let catalog = Catalog::bundled(&source)?;
    let data_dir = config.data_dir.clone();
    let server = Server::start(config, catalog).await?;
    tracing::info!(data_dir = %data_dir.display(), "ledger ready");
    tracing::info!("serving on http://{}/", server.addr());
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("shutting down"),
    }
    server.shutdown().await;
    Ok(())
}
