//! Session tokens: the server's signed word that a client already proved
//! who it is, so a reconnect does not need fresh initData.
//!
//! A token is `base64url(JSON claims) "." base64url(HMAC-SHA256(key, first
//! part))`, both without padding. The MAC is checked, in constant time,
//! before the claims are decoded.

use std::io;
use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::{hmac_sha256, macs_equal};
use crate::protocol::ErrorCode;

/// The key file's name in the data directory.
pub const SESSION_KEY_FILE: &str = "session.key";
/// Longest token [`SessionKey::verify`] looks at; longer ones are malformed.
pub const MAX_TOKEN_BYTES: usize = 2048;

/// The server's 32-byte secret for session tokens. Its `Debug` does not
/// print the bytes.
#[derive(Clone)]
pub struct SessionKey([u8; 32]);

/// What a session token vouches for.
///
/// A session begins at a sign-in with initData or a guest name and lives
/// through resumes. Each token is one `generation` of its session: the
/// server accepts only the newest (the ledger keeps which), and a resume
/// hands out the next, so a token works once. `expires` never passes
/// `started` plus the server's maximum session lifetime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    /// The player's id (`tg:<id>` for Telegram players).
    pub player_id: String,
    /// The player's display name.
    pub name: String,
    /// When the token stops being valid (unix seconds).
    pub expires: u64,
    /// The chat the player came from, if the initData named one.
    pub chat_instance: Option<String>,
    /// The session's id: random, 128 bits in hex.
    pub sid: String,
    /// Which of the session's tokens this is: 0 from the sign-in, one more
    /// with each resume.
    pub generation: u64,
    /// When the session began (unix seconds).
    pub started: u64,
}

/// A fresh session id: 128 random bits in hex.
pub fn new_session_id() -> String {
    format!("{:032x}", rand::rng().random::<u128>())
}

/// Why a session token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// Not a token of this format (or longer than [`MAX_TOKEN_BYTES`]).
    #[error("the session token is malformed")]
    Malformed,
    /// Not signed with this server's key, or changed since.
    #[error("the session token was not issued by this server")]
    BadSignature,
    /// Past its `expires`.
    #[error("the session token has expired")]
    Expired,
}

impl SessionError {
    /// The protocol error code: `auth_expired` for an expired token,
    /// `auth_failed` otherwise.
    pub fn code(&self) -> ErrorCode {
        match self {
            SessionError::Expired => ErrorCode::AuthExpired,
            _ => ErrorCode::AuthFailed,
        }
    }
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(***)")
    }
}

impl SessionKey {
    /// A key from the given bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> SessionKey {
        SessionKey(bytes)
    }

    /// A fresh random key (from the thread's cryptographically secure RNG).
    pub fn generate() -> SessionKey {
        SessionKey(rand::rng().random())
    }

    /// Reads `data_dir/session.key`, or creates it: `data_dir` if missing,
    /// then 32 random bytes written to a temporary file (mode 0600 on unix),
    /// synced, and moved into place so that a crash never leaves half a key
    /// and a key another process created meanwhile is never replaced. A
    /// file of the wrong size is an error, never silently replaced.
    pub fn load_or_create(data_dir: &Path) -> io::Result<SessionKey> {
        crate::keyfile::load_or_create(data_dir, SESSION_KEY_FILE, "session key").map(SessionKey)
    }

    /// A 32-byte secret for another use (`label` names it), derived from
    /// this key so the server keeps one secret file: HMAC-SHA256(key,
    /// label).
    pub fn derive(&self, label: &str) -> [u8; 32] {
        hmac_sha256(&self.0, label.as_bytes())
    }

    /// A token for `claims`.
    pub fn issue(&self, claims: &SessionClaims) -> String {
        let json = serde_json::to_vec(claims).expect("claims serialize");
        let body = URL_SAFE_NO_PAD.encode(json);
        let mac = URL_SAFE_NO_PAD.encode(hmac_sha256(&self.0, body.as_bytes()));
        format!("{body}.{mac}")
    }

    /// The claims of `token` if this key signed it and it has not expired
    /// at `now_unix` (valid while `now_unix < expires`).
    pub fn verify(&self, token: &str, now_unix: u64) -> Result<SessionClaims, SessionError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(SessionError::Malformed);
        }
        let (body, mac) = token.split_once('.').ok_or(SessionError::Malformed)?;
        let mut given = [0u8; 32];
        match URL_SAFE_NO_PAD.decode_slice(mac, &mut given) {
            Ok(32) => {}
            _ => return Err(SessionError::Malformed),
        }
        if !macs_equal(&hmac_sha256(&self.0, body.as_bytes()), &given) {
            return Err(SessionError::BadSignature);
        }
        let json = URL_SAFE_NO_PAD.decode(body).map_err(|_| SessionError::Malformed)?;
        let claims: SessionClaims = serde_json::from_slice(&json).map_err(|_| SessionError::Malformed)?;
        if now_unix >= claims.expires {
            return Err(SessionError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn claims() -> SessionClaims {
        SessionClaims {
            player_id: "tg:279058397".into(),
            name: "Vladislav Kibenko".into(),
            expires: 2_000,
            chat_instance: Some("8134722200314281151".into()),
            sid: "0123456789abcdef0123456789abcdef".into(),
            generation: 3,
            started: 500,
        }
    }

    fn key() -> SessionKey {
        SessionKey::from_bytes([7; 32])
    }

    /// A token whose MAC is right for `body` under `key`.
    fn signed_body(key: &SessionKey, body: &str) -> String {
        let mac = URL_SAFE_NO_PAD.encode(hmac_sha256(&key.0, body.as_bytes()));
        format!("{body}.{mac}")
    }

    #[test]
    fn round_trip() {
        let token = key().issue(&claims());
        assert_eq!(key().verify(&token, 1_000), Ok(claims()));
        assert_eq!(key().verify(&token, 1_999), Ok(claims()));
        let no_chat = SessionClaims {
            chat_instance: None,
            ..claims()
        };
        assert_eq!(key().verify(&key().issue(&no_chat), 0), Ok(no_chat));
        assert!(!token.contains('='), "{token}");
    }

    #[test]
    fn expired_token_is_refused() {
        let token = key().issue(&claims());
        assert_eq!(key().verify(&token, 2_000), Err(SessionError::Expired));
        assert_eq!(key().verify(&token, u64::MAX), Err(SessionError::Expired));
        assert_eq!(SessionError::Expired.code(), ErrorCode::AuthExpired);
    }

    #[test]
    fn tampered_claims_are_refused() {
        let token = key().issue(&claims());
        let (_, mac) = token.split_once('.').unwrap();
        let richer = SessionClaims {
            player_id: "tg:1".into(),
            ..claims()
        };
        let richer_body = key().issue(&richer);
        let (richer_body, _) = richer_body.split_once('.').unwrap();
        let forged = format!("{richer_body}.{mac}");
        assert_eq!(key().verify(&forged, 0), Err(SessionError::BadSignature));
        let later = SessionClaims {
            expires: u64::MAX,
            ..claims()
        };
        let later_body = key().issue(&later);
        let forged = format!("{}.{mac}", later_body.split_once('.').unwrap().0);
        assert_eq!(key().verify(&forged, 0), Err(SessionError::BadSignature));
        assert_eq!(SessionError::BadSignature.code(), ErrorCode::AuthFailed);
    }

    #[test]
    fn token_from_another_key_is_refused() {
        let token = SessionKey::from_bytes([8; 32]).issue(&claims());
        assert_eq!(key().verify(&token, 0), Err(SessionError::BadSignature));
        let token = SessionKey::generate().issue(&claims());
        assert_eq!(key().verify(&token, 0), Err(SessionError::BadSignature));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let token = key().issue(&claims());
        let (body, mac) = token.split_once('.').unwrap();
        let cases = [
            String::new(),
            ".".into(),
            body.to_string(),
            format!("{body}{mac}"),
            format!("{body}.{mac}.x"),
            format!("{body}.{mac}="),
            format!("{body}.!{}", &mac[1..]),
            format!("{body}.{}", &mac[..mac.len() - 2]),
            format!("{body}.{mac}AAAA"),
            // Correctly signed, but not base64 or not claims underneath.
            signed_body(&key(), "***"),
            signed_body(&key(), &URL_SAFE_NO_PAD.encode(b"{\"player_id\":\"x\"}")),
            signed_body(&key(), &URL_SAFE_NO_PAD.encode(b"not json")),
        ];
        for case in cases {
            assert_eq!(key().verify(&case, 0), Err(SessionError::Malformed), "{case}");
        }
    }

    #[test]
    fn oversize_tokens_are_refused() {
        let fits = SessionClaims {
            name: "n".repeat(1_000),
            ..claims()
        };
        assert!(key().issue(&fits).len() <= MAX_TOKEN_BYTES);
        assert!(key().verify(&key().issue(&fits), 0).is_ok());
        let huge = SessionClaims {
            name: "n".repeat(MAX_TOKEN_BYTES),
            ..claims()
        };
        let token = key().issue(&huge);
        assert_eq!(key().verify(&token, 0), Err(SessionError::Malformed));
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data").join("nested");
        let first = SessionKey::load_or_create(&data_dir).unwrap();
        let path = data_dir.join(SESSION_KEY_FILE);
        assert_eq!(fs::read(&path).unwrap(), first.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let second = SessionKey::load_or_create(&data_dir).unwrap();
        assert_eq!(second.0, first.0);
        let token = first.issue(&claims());
        assert_eq!(second.verify(&token, 0), Ok(claims()));
        let names: Vec<_> = fs::read_dir(&data_dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, [SESSION_KEY_FILE]);

        let other_dir = dir.path().join("other");
        let other = SessionKey::load_or_create(&other_dir).unwrap();
        assert_ne!(other.0, first.0);
    }

    #[test]
    fn key_file_of_wrong_size_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SESSION_KEY_FILE);
        for len in [0, 31, 33] {
            fs::write(&path, vec![1u8; len]).unwrap();
            let err = SessionKey::load_or_create(dir.path()).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            assert!(err.to_string().contains(&format!("holds {len} bytes")), "{err}");
            assert_eq!(fs::read(&path).unwrap(), vec![1u8; len], "left as it was");
        }
    }

    #[test]
    fn key_bytes_stay_out_of_debug() {
        let key = SessionKey::from_bytes([0xab; 32]);
        let debug = format!("{key:?}");
        assert_eq!(debug, "SessionKey(***)");
    }
}
