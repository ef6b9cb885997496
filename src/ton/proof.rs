//! TON Connect's `ton_proof`: a wallet's signature that the player holding
//! it opened this site at a given time, over a payload the server chose.
//!
//! [`check`] verifies a proof as the TON Connect specification lays it out:
//! the wallet's state init hashes to the address; its code is a known
//! wallet contract (v3r1, v3r2, v4r1, v4r2, v5r1; inline or as a library
//! cell), whose data holds the public key; and the signature is Ed25519,
//! by that key, over
//! `sha256(0xffff ++ "ton-connect" ++ sha256(message))` with
//! `message = "ton-proof-item-v2/" ++ workchain (i32, big-endian) ++
//! address hash ++ domain length (u32, little-endian) ++ domain ++
//! timestamp (u64, little-endian) ++ payload`.
//! Whether the payload is one this server issued is the caller's check
//! ([`super::payload`]).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tonlib_core::cell::{ArcCell, BagOfCells};
use tonlib_core::tlb_types::block::state_init::StateInit;
use tonlib_core::tlb_types::tlb::TLB;
use tonlib_core::types::TonAddress;
use tonlib_core::wallet::version_helper::VersionHelper;
use tonlib_core::wallet::wallet_version::WalletVersion;
use tonlib_core::TonHash;

/// Longest `walletStateInit` (base64) looked at. A wallet's state init is
/// about 1 KiB; anything far longer is refused before parsing.
pub const MAX_STATE_INIT_CHARS: usize = 8 * 1024;
/// Longest payload accepted in a proof (TON Connect leaves it to the app;
/// Parlor's are 80 characters).
pub const MAX_PAYLOAD_CHARS: usize = 512;
/// Longest domain accepted in a proof.
pub const MAX_DOMAIN_BYTES: usize = 253;
/// How far ahead of the server's clock a proof's timestamp may be.
pub const MAX_FUTURE_SKEW_SECS: u64 = 60;

/// A TON network, as TON Connect names it (`CHAIN` in the wallet's
/// account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    /// `-239`.
    Mainnet,
    /// `-3`.
    Testnet,
}

impl Network {
    /// TON Connect's name for it: `-239` or `-3`.
    pub fn chain_id(self) -> &'static str {
        match self {
            Network::Mainnet => "-239",
            Network::Testnet => "-3",
        }
    }

    /// The network TON Connect's `chain_id` names.
    pub fn from_chain_id(chain: &str) -> Option<Network> {
        match chain {
            "-239" => Some(Network::Mainnet),
            "-3" => Some(Network::Testnet),
            _ => None,
        }
    }

    /// `mainnet` or `testnet`, as the configuration names it.
    pub fn from_name(name: &str) -> Option<Network> {
        match name {
            "mainnet" => Some(Network::Mainnet),
            "testnet" => Some(Network::Testnet),
            _ => None,
        }
    }
}

/// What a page posts to link a wallet: the wallet's account and its
/// `ton_proof`, as TON Connect hands them to the page (`POST
/// /api/ton/link`; docs/api.md).
#[derive(Debug, Clone, Deserialize)]
pub struct ProofRequest {
    /// The wallet's raw address, `<workchain>:<64 hex digits>`.
    pub address: String,
    /// `-239` (mainnet) or `-3` (testnet).
    pub network: String,
    /// The wallet's public key in hex, if the wallet told it; it must be
    /// the one in the state init.
    #[serde(default, alias = "publicKey")]
    pub public_key: Option<String>,
    pub proof: ProofBody,
}

/// The `ton_proof` item's `proof`, and the wallet's state init.
#[derive(Debug, Clone, Deserialize)]
pub struct ProofBody {
    /// Unix seconds, when the wallet signed.
    pub timestamp: u64,
    pub domain: ProofDomain,
    /// The payload the server issued (`GET /api/ton/payload`).
    pub payload: String,
    /// Ed25519 signature, base64.
    pub signature: String,
    /// The wallet's `StateInit` as a base64 bag of cells
    /// (`walletStateInit` in TON Connect's account).
    #[serde(alias = "walletStateInit")]
    pub state_init: String,
}

/// The site the wallet says it signed for.
#[derive(Debug, Clone, Deserialize)]
pub struct ProofDomain {
    #[serde(rename = "lengthBytes")]
    pub length_bytes: u32,
    pub value: String,
}

/// What the server accepts: which sites and networks, and how old a proof
/// may be.
#[derive(Debug, Clone)]
pub struct ProofPolicy {
    /// Domains a proof may name (`[ton] domains`), e.g. `games.example.com`.
    pub domains: Vec<String>,
    /// Networks a wallet may be on (`[ton] networks`).
    pub networks: Vec<Network>,
    /// Oldest proof accepted, in seconds.
    pub max_age_secs: u64,
}

/// A wallet whose proof checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenWallet {
    pub network: Network,
    /// Raw form, `<workchain>:<hex>`, lower case.
    pub address: String,
    /// The user-friendly form on its network: non-bounceable, as wallets
    /// show their own address (`UQ...` on mainnet), URL-safe base64.
    pub friendly: String,
    /// Hex.
    pub public_key: String,
    /// The wallet contract: `v3r1`, `v3r2`, `v4r1`, `v4r2` or `v5r1`.
    pub contract: &'static str,
}

/// Why a proof was refused. [`ProofError::code`] is the stable code the API
/// answers with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("the proof is malformed: {0}")]
    Malformed(String),
    #[error("network {0:?} is not one this server links wallets on")]
    WrongNetwork(String),
    #[error("the proof was made for {0:?}, which is not this game's domain")]
    WrongDomain(String),
    #[error("the proof was made at {timestamp}, outside the {max_age_secs} s window (now {now})")]
    Expired {
        timestamp: u64,
        now: u64,
        max_age_secs: u64,
    },
    #[error("the wallet's state init does not hash to its address")]
    StateInitMismatch,
    #[error("the wallet's code is not a known wallet contract (v3r1, v3r2, v4r1, v4r2, v5r1)")]
    UnknownWallet,
    #[error("the public key sent is not the one in the wallet's state init")]
    PublicKeyMismatch,
    #[error("the signature does not verify with the wallet's public key")]
    BadSignature,
}

impl ProofError {
    /// The API's error code.
    pub fn code(&self) -> &'static str {
        match self {
            ProofError::Malformed(_) => "proof_malformed",
            ProofError::WrongNetwork(_) => "wrong_network",
            ProofError::WrongDomain(_) => "wrong_domain",
            ProofError::Expired { .. } => "proof_expired",
            ProofError::StateInitMismatch => "state_init_mismatch",
            ProofError::UnknownWallet => "unknown_wallet",
            ProofError::PublicKeyMismatch => "public_key_mismatch",
            ProofError::BadSignature => "bad_signature",
        }
    }
}

fn malformed(what: impl Into<String>) -> ProofError {
    ProofError::Malformed(what.into())
}

/// The message a wallet signs for `proof` from `address` (before the
/// `0xffff ++ "ton-connect"` wrapping).
fn proof_message(address: &TonAddress, proof: &ProofBody) -> Vec<u8> {
    let domain = proof.domain.value.as_bytes();
    let mut message = Vec::with_capacity(18 + 4 + 32 + 4 + domain.len() + 8 + proof.payload.len());
    message.extend_from_slice(b"ton-proof-item-v2/");
    message.extend_from_slice(&address.workchain.to_be_bytes());
    message.extend_from_slice(address.hash_part.as_slice());
    message.extend_from_slice(&(domain.len() as u32).to_le_bytes());
    message.extend_from_slice(domain);
    message.extend_from_slice(&proof.timestamp.to_le_bytes());
    message.extend_from_slice(proof.payload.as_bytes());
    message
}

/// The 32 bytes the wallet's key signs for `message`.
fn signed_digest(message: &[u8]) -> [u8; 32] {
    let mut outer = Sha256::new();
    outer.update([0xff, 0xff]);
    outer.update(b"ton-connect");
    outer.update(Sha256::digest(message));
    outer.finalize().into()
}

/// The wallet contract `code` is (a library cell counts as the code it
/// names) and its name.
fn wallet_contract(code: &ArcCell) -> Option<(WalletVersion, &'static str)> {
    let hash = if code.is_library() {
        // A library cell: its type byte (2), then the code's hash.
        let data = code.data();
        TonHash::from(<[u8; 32]>::try_from(data.get(1..33)?).ok()?)
    } else {
        tonlib_core::cell::Cell::cell_hash(code)
    };
    let version = *VersionHelper::get_version(&hash).ok()?;
    let name = match version {
        WalletVersion::V3R1 => "v3r1",
        WalletVersion::V3R2 => "v3r2",
        WalletVersion::V4R1 => "v4r1",
        WalletVersion::V4R2 => "v4r2",
        WalletVersion::V5R1 => "v5r1",
        _ => return None,
    };
    Some((version, name))
}

/// The public key in a wallet's data cell. v3 and v4 keep
/// `seqno:uint32 subwallet_id:uint32 public_key:bits256`; v5r1 keeps
/// `is_signature_allowed:bit seqno:uint32 wallet_id:int32
/// public_key:bits256`.
fn wallet_public_key(version: WalletVersion, data: &ArcCell) -> Option<[u8; 32]> {
    let mut parser = data.parser();
    match version {
        WalletVersion::V5R1 => {
            parser.load_bit().ok()?;
            parser.load_u32(32).ok()?;
            parser.load_i32(32).ok()?;
        }
        _ => {
            parser.load_u32(32).ok()?;
            parser.load_u32(32).ok()?;
        }
    }
    let mut key = [0u8; 32];
    parser.load_slice(&mut key).ok()?;
    Some(key)
}

/// Checks `request` under `policy` at `now` (unix seconds): everything but
/// whether its payload is one the server issued.
///
/// ```
/// use parlor::ton::{check_proof, Network, ProofPolicy, ProofRequest};
/// // A proof from a mainnet v4r2 wallet, published with TonProof.NET's tests.
/// let request: ProofRequest = serde_json::from_str(include_str!("../../tests/ton/vectors/v4r2-mainnet.json")).unwrap();
/// let policy = ProofPolicy {
///     domains: vec!["winogarcia.github.io".into()],
///     networks: vec![Network::Mainnet],
///     max_age_secs: 900,
/// };
/// let wallet = check_proof(&request, &policy, 1_721_827_476 + 60).unwrap();
/// assert_eq!(wallet.contract, "v4r2");
/// assert_eq!(wallet.address, "0:0522952c6d0846ad7f93dfb7987e5f77f02ee53290a26f9be85a50c689085932");
/// // The same proof an hour later is too old.
/// assert!(check_proof(&request, &policy, 1_721_827_476 + 3600).is_err());
/// ```
pub fn check(request: &ProofRequest, policy: &ProofPolicy, now: u64) -> Result<ProvenWallet, ProofError> {
    let proof = &request.proof;
    let network =
        Network::from_chain_id(&request.network).ok_or_else(|| ProofError::WrongNetwork(request.network.clone()))?;
    if !policy.networks.contains(&network) {
        return Err(ProofError::WrongNetwork(request.network.clone()));
    }
    let domain = &proof.domain.value;
    if domain.len() > MAX_DOMAIN_BYTES || proof.domain.length_bytes as usize != domain.len() {
        return Err(malformed("domain.lengthBytes must be the byte length of domain.value"));
    }
    if !policy
        .domains
        .iter()
        .any(|allowed| allowed.eq_ignore_ascii_case(domain))
    {
        return Err(ProofError::WrongDomain(domain.clone()));
    }
    if proof.timestamp > now + MAX_FUTURE_SKEW_SECS || now.saturating_sub(proof.timestamp) > policy.max_age_secs {
        return Err(ProofError::Expired {
            timestamp: proof.timestamp,
            now,
            max_age_secs: policy.max_age_secs,
        });
    }
    if proof.payload.len() > MAX_PAYLOAD_CHARS {
        return Err(malformed(format!(
            "the payload is longer than {MAX_PAYLOAD_CHARS} bytes"
        )));
    }
    let address = TonAddress::from_hex_str(&request.address)
        .map_err(|_| malformed("address must be a raw address, <workchain>:<64 hex digits>"))?;
    let mut signature = [0u8; 64];
    match STANDARD.decode_slice(&proof.signature, &mut signature) {
        Ok(64) => {}
        _ => return Err(malformed("signature must be 64 bytes in base64")),
    }

    if proof.state_init.len() > MAX_STATE_INIT_CHARS {
        return Err(malformed(format!(
            "state_init is longer than {MAX_STATE_INIT_CHARS} characters"
        )));
    }
    let root = BagOfCells::parse_base64(&proof.state_init)
        .and_then(|boc| boc.single_root())
        .map_err(|_| malformed("state_init must be a bag of cells in base64 with one root"))?;
    if tonlib_core::cell::Cell::cell_hash(&root) != address.hash_part {
        return Err(ProofError::StateInitMismatch);
    }
    let state = StateInit::from_cell(&root).map_err(|_| malformed("state_init is not a StateInit"))?;
    let (Some(code), Some(data)) = (state.code, state.data) else {
        return Err(ProofError::UnknownWallet);
    };
    let (version, contract) = wallet_contract(&code.0).ok_or(ProofError::UnknownWallet)?;
    let key = wallet_public_key(version, &data.0).ok_or(ProofError::UnknownWallet)?;
    if let Some(sent) = &request.public_key {
        let sent = hex::decode(sent).map_err(|_| malformed("public_key must be hex"))?;
        if sent != key {
            return Err(ProofError::PublicKeyMismatch);
        }
    }

    let verifying = VerifyingKey::from_bytes(&key).map_err(|_| ProofError::BadSignature)?;
    let digest = signed_digest(&proof_message(&address, proof));
    verifying
        .verify(&digest, &Signature::from_bytes(&signature))
        .map_err(|_| ProofError::BadSignature)?;
    Ok(ProvenWallet {
        network,
        address: format!("{}:{}", address.workchain, address.hash_part.to_hex()),
        friendly: address.to_base64_url_flags(true, network == Network::Testnet),
        public_key: hex::encode(key),
        contract,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(name: &str) -> ProofRequest {
        let path = format!("{}/tests/ton/vectors/{name}.json", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn policy() -> ProofPolicy {
        ProofPolicy {
            domains: vec!["winogarcia.github.io".into()],
            networks: vec![Network::Mainnet, Network::Testnet],
            max_age_secs: 900,
        }
    }

    #[test]
    fn published_vectors_verify() {
        let v4 = vector("v4r2-mainnet");
        let wallet = check(&v4, &policy(), v4.proof.timestamp + 10).unwrap();
        assert_eq!((wallet.contract, wallet.network), ("v4r2", Network::Mainnet));
        assert_eq!(wallet.public_key, v4.public_key.unwrap());
    }

    #[test]
    fn the_published_v5_beta_wallet_is_not_one_we_know() {
        // Its code is a library cell naming the v5 beta's code (hash
        // e4cf3b2f...), not v5r1's (20834b7b...): refused, and for that
        // reason, not as a bad signature.
        let beta = vector("v5beta-testnet");
        assert_eq!(
            check(&beta, &policy(), beta.proof.timestamp),
            Err(ProofError::UnknownWallet)
        );
    }

    #[test]
    fn a_changed_payload_or_timestamp_breaks_the_signature() {
        let mut v4 = vector("v4r2-mainnet");
        v4.proof.payload.push('x');
        assert_eq!(check(&v4, &policy(), v4.proof.timestamp), Err(ProofError::BadSignature));
        let mut v4 = vector("v4r2-mainnet");
        v4.proof.timestamp += 1;
        assert_eq!(check(&v4, &policy(), v4.proof.timestamp), Err(ProofError::BadSignature));
    }
}
