//! `parlor rewards ...`: paying claims from the operator's own wallet,
//! offline. `export` lists what is payable, `payout` takes a batch and
//! signs the message that pays it, `mark-paid` and `mark-failed` settle
//! the batch once the operator has seen what the chain did.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;

use super::AppError;
use crate::config::ServeArgs;
use crate::ledger::{BatchOutcome, BatchRequest, Ledger, SettleOutcome};
use crate::ton::{Network, PayoutWallet, Transfer, MAX_TRANSFERS};

/// The `rewards` subcommands. Each takes serve's flags, to find the same
/// ledger.
#[derive(Subcommand)]
pub(super) enum RewardsCommand {
    /// Print the open TON claims ready to pay (their player has a wallet
    /// linked on the network), one JSON object a line: claim, wallet, amount.
    Export(ExportArgs),
    /// Take up to --max payable claims into a batch and sign one external
    /// message for your wallet v5r1 that pays them (one transfer each, the
    /// claim in its comment); print it as a base64 bag of cells to send with
    /// any TON HTTP API. Run again before settling, the same batch signs
    /// to the same message.
    Payout(PayoutArgs),
    /// Settle the signed batch as paid: its claims are paid.
    MarkPaid(SettleArgs),
    /// Settle the signed batch as failed: its claims are open again.
    MarkFailed(SettleArgs),
}

#[derive(clap::Args)]
pub(super) struct ExportArgs {
    /// mainnet or testnet: whose linked wallets are paid
    #[arg(long, default_value = "mainnet")]
    network: String,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(clap::Args)]
pub(super) struct PayoutArgs {
    /// Your wallet's Ed25519 seed: 32 bytes, raw or as 64 hex digits
    #[arg(long, value_name = "FILE")]
    key_file: PathBuf,
    /// The wallet's current seqno (0 for a wallet not yet deployed: the
    /// message then deploys it)
    #[arg(long)]
    seqno: u32,
    /// Your wallet's contract; v5r1 is the one supported
    #[arg(long, default_value = "v5r1")]
    wallet: String,
    /// Most claims in the batch (at most 255, a v5r1 message's limit)
    #[arg(long, default_value_t = 200)]
    max: u32,
    /// mainnet or testnet
    #[arg(long, default_value = "mainnet")]
    network: String,
    /// How long the message stays valid, in seconds
    #[arg(long, default_value_t = 86_400)]
    valid_secs: u32,
    /// Write the bag of cells here instead of to standard output
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(clap::Args)]
pub(super) struct SettleArgs {
    /// The batch's id, as `payout` printed it
    batch: i64,
    #[command(flatten)]
    serve: ServeArgs,
}

impl RewardsCommand {
    /// Serve's flags of this command.
    pub(super) fn serve_args(&self) -> &ServeArgs {
        match self {
            RewardsCommand::Export(a) => &a.serve,
            RewardsCommand::Payout(a) => &a.serve,
            RewardsCommand::MarkPaid(a) | RewardsCommand::MarkFailed(a) => &a.serve,
        }
    }

    /// Runs it on `ledger`.
    pub(super) async fn run(self, ledger: Arc<dyn Ledger>) -> Result<ExitCode, AppError> {
        match self {
            RewardsCommand::Export(args) => export(&*ledger, args).await,
            RewardsCommand::Payout(args) => payout(&*ledger, args).await,
            RewardsCommand::MarkPaid(args) => settle(&*ledger, args.batch, true).await,
            RewardsCommand::MarkFailed(args) => settle(&*ledger, args.batch, false).await,
        }
    }
}

fn network(name: &str) -> Result<Network, AppError> {
    Network::from_name(name).ok_or_else(|| format!("--network {name:?}: mainnet or testnet").into())
}

/// The seed in `path`: 32 raw bytes, or 64 hex digits (whitespace around
/// them ignored).
fn read_seed(path: &Path) -> Result<[u8; 32], AppError> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read --key-file {}: {e}", path.display()))?;
    if let Ok(seed) = <[u8; 32]>::try_from(bytes.as_slice()) {
        return Ok(seed);
    }
    let text = String::from_utf8_lossy(&bytes);
    let mut seed = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut seed).map_err(|_| {
        format!(
            "--key-file {} holds neither 32 bytes nor 64 hex digits (an Ed25519 seed)",
            path.display()
        )
    })?;
    Ok(seed)
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

async fn export(ledger: &dyn Ledger, args: ExportArgs) -> Result<ExitCode, AppError> {
    let network = network(&args.network)?;
    let payments = ledger.payable(network.chain_id(), u32::MAX >> 1).await?;
    let mut out = std::io::stdout().lock();
    for payment in &payments {
        writeln!(out, "{}", serde_json::to_string(payment)?)?;
    }
    let total: i64 = payments.iter().map(|p| p.amount).sum();
    eprintln!("{} claims ready to pay, {total} nanotons in all", payments.len());
    Ok(ExitCode::SUCCESS)
}

async fn payout(ledger: &dyn Ledger, args: PayoutArgs) -> Result<ExitCode, AppError> {
    let network = network(&args.network)?;
    if args.wallet != "v5r1" {
        return Err(format!("--wallet {:?}: only v5r1 is supported", args.wallet).into());
    }
    if args.max == 0 || args.max as usize > MAX_TRANSFERS {
        return Err(format!("--max {}: 1 to {MAX_TRANSFERS}", args.max).into());
    }
    let wallet = PayoutWallet::from_seed(read_seed(&args.key_file)?, network);
    let now = now_secs();
    let request = BatchRequest {
        network: network.chain_id().into(),
        wallet: wallet.address(),
        seqno: i64::from(args.seqno),
        valid_until: (now + u64::from(args.valid_secs)) as i64,
        max: args.max,
        now_ms: (now * 1000) as i64,
    };
    let (batch, again) = match ledger.open_batch(&request).await? {
        BatchOutcome::New(batch) => (batch, false),
        BatchOutcome::Existing(batch) => (batch, true),
        BatchOutcome::Unsettled(batch) => {
            return Err(format!(
                "batch {} (wallet {}, seqno {}) is not settled: run `parlor rewards mark-paid {0}` or \
                 `mark-failed {0}` first",
                batch.id, batch.wallet, batch.seqno
            )
            .into())
        }
        BatchOutcome::Empty => {
            eprintln!(
                "nothing to pay: no open TON claim has a wallet linked on {}",
                args.network
            );
            return Ok(ExitCode::SUCCESS);
        }
    };
    let transfers: Vec<Transfer> = batch
        .payments
        .iter()
        .map(|p| Transfer {
            claim: p.claim,
            to: p.wallet.clone(),
            amount: p.amount as u64,
        })
        .collect();
    let boc = wallet.external_message(batch.seqno as u32, batch.valid_until as u32, &transfers)?;
    match &args.out {
        Some(path) => std::fs::write(path, format!("{boc}\n"))
            .map_err(|e| format!("cannot write --out {}: {e}", path.display()))?,
        None => println!("{boc}"),
    }
    eprintln!(
        "batch {}{}: {} claims, {} nanotons, from {} (seqno {}), valid until {} (unix); send the message, \
         then `parlor rewards mark-paid {}` or `mark-failed {}`",
        batch.id,
        if again {
            " (not settled yet: the same message again)"
        } else {
            ""
        },
        batch.payments.len(),
        batch.total,
        batch.wallet,
        batch.seqno,
        batch.valid_until,
        batch.id,
        batch.id,
    );
    Ok(ExitCode::SUCCESS)
}

async fn settle(ledger: &dyn Ledger, id: i64, paid: bool) -> Result<ExitCode, AppError> {
    match ledger.settle_batch(id, paid).await? {
        SettleOutcome::Settled(batch) => {
            eprintln!(
                "batch {id}: {}, {} claims {}",
                batch.status,
                batch.payments.len(),
                if paid { "paid" } else { "open again" }
            );
            Ok(ExitCode::SUCCESS)
        }
        SettleOutcome::NoSuchBatch => Err(format!("there is no batch {id}").into()),
        SettleOutcome::AlreadySettled { status } => {
            Err(format!("batch {id} was settled already ({status}); nothing changed").into())
        }
    }
}
