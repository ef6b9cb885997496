//! Who a player is: Telegram Mini App launch data and server-signed sessions.
//!
//! - [`TelegramAuth`] checks the `initData` a mini-app page receives from
//!   Telegram, signed either with the bot token (`hash`, HMAC-SHA256) or by
//!   Telegram itself for a bot id (`signature`, Ed25519), and turns it into an
//!   [`InitData`] with the player's [`TelegramUser`].
//! - [`SessionKey`] issues and checks session tokens, so a client that
//!   reconnects presents `session` instead of its (short-lived) initData.
//!
//! Both are pure: no I/O beyond [`SessionKey::load_or_create`], and the
//! current time is an argument. Their errors are safe to show to the player
//! (`error` frames, [`AuthError::code`] / [`SessionError::code`]): they say
//! what is wrong and never contain the bot token or a key.
//!
//! ```
//! use std::time::Duration;
//! use parlor::auth::{SessionClaims, SessionKey, TelegramAuth};
//!
//! // A vector from Telegram-Mini-Apps/init-data-golang, validate_test.go.
//! let token = "5768337691:AAH5YkoiEuPk8-FZa32hStHTqXiLPtAEhx8".to_string();
//! let raw = "query_id=AAHdF6IQAAAAAN0XohDhrOrc&user=%7B%22id%22%3A279058397%2C\
//!     %22first_name%22%3A%22Vladislav%22%2C%22last_name%22%3A%22Kibenko%22%2C\
//!     %22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22ru%22%2C\
//!     %22is_premium%22%3Atrue%7D&auth_date=1662771648\
//!     &hash=c501b71e775f74ce10e377dea85a7ea24ecd640b223ea86dfe453e0eaed2e2b2";
//! let auth = TelegramAuth::new(Some(token), None, Duration::from_secs(86_400), false);
//! let now = 1_662_771_648 + 60;
//! let init = auth.verify(raw, now).unwrap();
//! assert_eq!(init.player_id(), "tg:279058397");
//! assert_eq!(init.display_name(), "Vladislav Kibenko");
//!
//! let key = SessionKey::from_bytes([7; 32]);
//! let claims = SessionClaims {
//!     player_id: init.player_id(),
//!     name: init.display_name(),
//!     expires: now + 3600,
//!     chat_instance: init.chat_instance.clone(),
//!     sid: parlor::auth::new_session_id(),
//!     generation: 0,
//!     started: now,
//! };
//! let token = key.issue(&claims);
//! assert_eq!(key.verify(&token, now).unwrap(), claims);
//! assert!(key.verify(&token, now + 3600).is_err());
//! ```

mod init_data;
pub mod names;
mod session_token;

pub use init_data::{
    AuthError, BotToken, InitData, TelegramAuth, TelegramUser, MAX_FUTURE_SKEW_SECS, MAX_INIT_DATA_BYTES,
    MAX_START_PARAM_CHARS, TELEGRAM_PRODUCTION_KEY, TELEGRAM_TEST_KEY,
};
pub use session_token::{new_session_id, SessionClaims, SessionError, SessionKey, MAX_TOKEN_BYTES, SESSION_KEY_FILE};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// HMAC-SHA256 of `message` under `key`.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Whether two MACs are equal, in time that does not depend on where they differ.
fn macs_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.ct_eq(b).into()
}
