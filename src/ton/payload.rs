//! The payloads the server hands out for TON Connect proofs (`GET
//! /api/ton/payload`): short-lived, bound to the player who asked, and
//! checkable without storing them.
//!
//! A payload is 80 hex digits: its expiry (unix seconds, u64 big-endian),
//! 16 random bytes (its nonce), and the first 16 bytes of
//! HMAC-SHA256(key, "parlor ton payload" ++ expiry ++ nonce ++ player id).
//! The MAC ties it to this server and to the player; that it is used once
//! is the ledger's part: linking a wallet records its nonce, in the same
//! transaction, and refuses a nonce seen before.

use hmac::{Hmac, Mac};
use rand::RngExt;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How long a payload is good for.
pub const PAYLOAD_TTL_SECS: u64 = 600;
/// A payload's length in hex digits.
pub const PAYLOAD_CHARS: usize = 80;

/// Issues and checks payloads with the server's secret.
///
/// ```
/// use parlor::ton::{PayloadError, PayloadKey};
/// let key = PayloadKey::new([9; 32]);
/// let issued = key.issue("tg:42", 1_000);
/// assert_eq!(key.check(&issued.payload, "tg:42", 1_100), Ok(issued.clone()));
/// assert_eq!(key.check(&issued.payload, "tg:43", 1_100), Err(PayloadError::NotIssued));
/// assert_eq!(key.check(&issued.payload, "tg:42", 1_000 + 601), Err(PayloadError::Expired));
/// ```
#[derive(Clone)]
pub struct PayloadKey([u8; 32]);

impl std::fmt::Debug for PayloadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PayloadKey(***)")
    }
}

/// A payload and what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// What the wallet signs: 80 hex digits.
    pub payload: String,
    /// Hex of its 16 random bytes; the ledger records it when used.
    pub nonce: String,
    /// Unix seconds.
    pub expires: u64,
}

/// Why a payload was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("the proof's payload was not issued by this server to this player")]
    NotIssued,
    #[error("the proof's payload has expired; ask for a new one")]
    Expired,
}

impl PayloadError {
    /// The API's error code.
    pub fn code(self) -> &'static str {
        match self {
            PayloadError::NotIssued => "payload_not_issued",
            PayloadError::Expired => "payload_expired",
        }
    }
}

impl PayloadKey {
    /// A key from 32 secret bytes (the server derives them from its session
    /// key).
    pub fn new(bytes: [u8; 32]) -> PayloadKey {
        PayloadKey(bytes)
    }

    fn mac(&self, expires: u64, nonce: &[u8; 16], player: &str) -> [u8; 16] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(b"parlor ton payload");
        mac.update(&expires.to_be_bytes());
        mac.update(nonce);
        mac.update(player.as_bytes());
        let full = mac.finalize().into_bytes();
        full[..16].try_into().expect("32 bytes")
    }

    /// A fresh payload for `player`, good for [`PAYLOAD_TTL_SECS`] from
    /// `now`.
    pub fn issue(&self, player: &str, now: u64) -> Payload {
        let nonce: [u8; 16] = rand::rng().random();
        let expires = now + PAYLOAD_TTL_SECS;
        let mut bytes = Vec::with_capacity(40);
        bytes.extend_from_slice(&expires.to_be_bytes());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&self.mac(expires, &nonce, player));
        Payload {
            payload: hex::encode(bytes),
            nonce: hex::encode(nonce),
            expires,
        }
    }

    /// The payload `text` if this key issued it to `player` and it has not
    /// expired at `now`.
    pub fn check(&self, text: &str, player: &str, now: u64) -> Result<Payload, PayloadError> {
        let mut bytes = [0u8; 40];
        if text.len() != PAYLOAD_CHARS || hex::decode_to_slice(text, &mut bytes).is_err() {
            return Err(PayloadError::NotIssued);
        }
        let expires = u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"));
        let nonce: [u8; 16] = bytes[8..24].try_into().expect("16 bytes");
        if !bool::from(self.mac(expires, &nonce, player).ct_eq(&bytes[24..])) {
            return Err(PayloadError::NotIssued);
        }
        if now >= expires {
            return Err(PayloadError::Expired);
        }
        Ok(Payload {
            payload: text.to_ascii_lowercase(),
            nonce: hex::encode(nonce),
            expires,
        })
    }
}
