//! `parlor ledger check`: every recorded match against its signed record.
//! A row edited in the database after the fact (a rank, a score, a player
//! added or dropped, a recording changed, added or deleted) no longer
//! matches the record the server signed, and
//! a record edited with it no longer matches its signature.

use std::collections::HashMap;

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::{MatchRecord, PublicKey, RECORD_VERSION};

/// A match as its rows hold it, with what was signed for it.
pub struct StoredMatch {
    pub row: MatchRecord,
    /// The record, signature and key id; `None` for a match recorded
    /// before results were signed.
    pub signed: Option<(String, String, String)>,
}

/// What a check found.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct AuditReport {
    /// Matches read.
    pub matches: u64,
    /// Of those, recorded before signing (nothing to check them against).
    pub unsigned: u64,
    /// Each problem, naming its match.
    pub problems: Vec<String>,
}

impl AuditReport {
    /// Checks one match; keys by id.
    pub fn check(&mut self, stored: &StoredMatch, keys: &HashMap<String, VerifyingKey>) {
        self.matches += 1;
        let id = &stored.row.id;
        let Some((record, signature, key_id)) = &stored.signed else {
            self.unsigned += 1;
            return;
        };
        match keys.get(key_id) {
            None => self
                .problems
                .push(format!("match {id}: signed with key {key_id:?}, which is not listed")),
            Some(key) => {
                let valid = hex::decode(signature)
                    .ok()
                    .and_then(|bytes| Signature::from_slice(&bytes).ok())
                    .is_some_and(|signature| key.verify(record.as_bytes(), &signature).is_ok());
                if !valid {
                    self.problems
                        .push(format!("match {id}: the signature does not match its record"));
                }
            }
        }
        match serde_json::from_str::<SignedFields>(record) {
            Err(e) => self
                .problems
                .push(format!("match {id}: the record is not readable: {e}")),
            Ok(fields) if !fields.agrees_with(&stored.row) => self.problems.push(format!(
                "match {id}: the rows differ from the signed record (rows: {}; record: {record})",
                serde_json::to_string(&stored.row).unwrap_or_default()
            )),
            Ok(_) => {}
        }
    }

    /// Whether nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The listed keys, by id; a key that does not parse is a problem.
pub fn verifying_keys(keys: &[PublicKey], report: &mut AuditReport) -> HashMap<String, VerifyingKey> {
    let mut parsed = HashMap::new();
    for key in keys {
        let bytes: Option<[u8; 32]> = hex::decode(&key.public_key).ok().and_then(|b| b.try_into().ok());
        match bytes.and_then(|b| VerifyingKey::from_bytes(&b).ok()) {
            Some(k) => {
                parsed.insert(key.id.clone(), k);
            }
            None => report
                .problems
                .push(format!("key {}: not a 32-byte Ed25519 public key", key.id)),
        }
    }
    parsed
}

/// The canonical record read back (signing.rs writes it).
#[derive(Deserialize)]
struct SignedFields {
    v: u32,
    #[serde(rename = "match")]
    id: String,
    game: String,
    room: String,
    chat: Option<String>,
    started_at: i64,
    ended_at: i64,
    aborted: bool,
    /// SHA-256 of the recording, hex; absent for a match without one.
    #[serde(default)]
    recording: Option<String>,
    players: Vec<SignedPlayer>,
}

#[derive(Deserialize, PartialEq)]
struct SignedPlayer {
    id: String,
    name: String,
    rank: u32,
    score: i64,
}

impl SignedFields {
    fn agrees_with(&self, row: &MatchRecord) -> bool {
        let mut signed: Vec<_> = self.players.iter().map(|p| (&p.id, &p.name, p.rank, p.score)).collect();
        let mut stored: Vec<_> = row
            .ranking
            .iter()
            .map(|l| (&l.player, &l.name, l.rank, l.score))
            .collect();
        signed.sort();
        stored.sort();
        let recording = row
            .recording
            .as_ref()
            .map(|bytes| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes)));
        self.v == RECORD_VERSION
            && self.id == row.id
            && self.game == row.game
            && self.room == row.room
            && self.chat == row.chat
            && self.started_at == row.started_at
            && self.ended_at == row.ended_at
            && self.aborted == row.aborted
            && self.recording == recording
            && signed == stored
    }
}
