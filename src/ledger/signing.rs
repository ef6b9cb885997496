//! Signed results: every match the ledger records gets a canonical record
//! (one compact JSON text, fields in a fixed order) signed with the
//! server's Ed25519 key, so anyone holding the public key (`GET
//! /api/keys`) can check a result (`GET /api/matches/{id}`) with any
//! Ed25519 library, without trusting the database it came from.

use std::io;
use std::path::Path;

use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::MatchRecord;

/// The file in the data directory that holds the signing key's seed.
pub const RESULTS_KEY_FILE: &str = "results.key";

/// The version of the canonical record's layout (its `v`).
pub const RECORD_VERSION: u32 = 1;

/// The Ed25519 key the ledger signs recorded matches with.
pub struct ResultKey {
    key: SigningKey,
    id: String,
}

impl std::fmt::Debug for ResultKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ResultKey({})", self.id)
    }
}

impl ResultKey {
    /// The key with this 32-byte seed.
    pub fn from_seed(seed: [u8; 32]) -> ResultKey {
        let key = SigningKey::from_bytes(&seed);
        let hash = Sha256::digest(key.verifying_key().as_bytes());
        ResultKey {
            id: hex::encode(&hash[..8]),
            key,
        }
    }

    /// Reads `data_dir/results.key` (32 bytes, the seed), or makes it as
    /// the session key is made.
    pub fn load_or_create(data_dir: &Path) -> io::Result<ResultKey> {
        crate::keyfile::load_or_create(data_dir, RESULTS_KEY_FILE, "results signing key").map(ResultKey::from_seed)
    }

    /// Reads a seed file given by the operator (`--signing-key`).
    pub fn read(path: &Path) -> io::Result<ResultKey> {
        crate::keyfile::read(path, "results signing key").map(ResultKey::from_seed)
    }

    /// The key's id: the first 8 bytes of the SHA-256 of its public key,
    /// in hex.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The public key, 32 bytes in hex.
    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }

    /// The public half, as `GET /api/keys` lists it.
    pub fn public(&self) -> PublicKey {
        PublicKey {
            id: self.id.clone(),
            algorithm: "ed25519".into(),
            public_key: self.public_hex(),
        }
    }

    /// The Ed25519 signature of `message` (64 bytes, hex): a claim
    /// voucher's cell hash (docs/rewards.md).
    pub fn sign_bytes(&self, message: &[u8]) -> String {
        hex::encode(self.key.sign(message).to_bytes())
    }

    /// `record`'s canonical text and its signature.
    ///
    /// ```
    /// use parlor::ledger::{MatchRecord, ResultKey};
    /// let key = ResultKey::from_seed([7; 32]);
    /// let record = MatchRecord {
    ///     id: "m1".into(), game: "tictactoe".into(), room: "ROOM22".into(), chat: None,
    ///     started_at: 1_000, ended_at: 2_000, ranking: vec![], aborted: false, seed: None, recording: None, rewards: None,
    /// };
    /// let signed = key.sign(&record);
    /// assert_eq!(signed.record, r#"{"v":1,"match":"m1","game":"tictactoe","room":"ROOM22","chat":null,"started_at":1000,"ended_at":2000,"aborted":false,"players":[]}"#);
    /// assert_eq!(signed.key, key.id());
    /// assert_eq!(signed.signature.len(), 128);
    /// ```
    pub fn sign(&self, record: &MatchRecord) -> SignedRecord {
        let canonical = Canonical {
            v: RECORD_VERSION,
            id: &record.id,
            game: &record.game,
            room: &record.room,
            chat: record.chat.as_deref(),
            started_at: record.started_at,
            ended_at: record.ended_at,
            aborted: record.aborted,
            seed: record.seed.as_deref(),
            recording: record
                .recording
                .as_ref()
                .map(|bytes| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))),
            players: record
                .ranking
                .iter()
                .map(|line| CanonicalPlayer {
                    id: &line.player,
                    name: &line.name,
                    rank: line.rank,
                    score: line.score,
                })
                .collect(),
        };
        let text = serde_json::to_string(&canonical).expect("a record serializes");
        let signature = self.key.sign(text.as_bytes());
        SignedRecord {
            record: text,
            signature: hex::encode(signature.to_bytes()),
            key: self.id.clone(),
        }
    }
}

/// The canonical record, in its field order (docs/api.md).
#[derive(Serialize)]
struct Canonical<'a> {
    v: u32,
    #[serde(rename = "match")]
    id: &'a str,
    game: &'a str,
    room: &'a str,
    chat: Option<&'a str>,
    started_at: i64,
    ended_at: i64,
    aborted: bool,
    /// Absent from records made before matches had seeds.
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<&'a str>,
    /// SHA-256 (hex) of the match's recording; absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    recording: Option<String>,
    players: Vec<CanonicalPlayer<'a>>,
}

#[derive(Serialize)]
struct CanonicalPlayer<'a> {
    id: &'a str,
    name: &'a str,
    rank: u32,
    score: i64,
}

/// A match as signed: `record` is the exact UTF-8 text the signature
/// (Ed25519, hex) covers; `key` is the id of the key that made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedRecord {
    pub record: String,
    pub signature: String,
    pub key: String,
}

/// A public key results are signed with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicKey {
    pub id: String,
    /// Always `ed25519`.
    pub algorithm: String,
    /// 32 bytes, hex.
    pub public_key: String,
}
