//! The three ways a `hello` signs a player in: Telegram initData, a
//! session token from an earlier `welcome`, or a guest name.

use super::super::AppState;
use crate::matchmaking::random_code;
use crate::protocol::{ErrorCode, PlayerRef, VERSION};

/// Longest guest display name, in characters.
pub const MAX_NAME_CHARS: usize = 32;
/// Longest `chat_instance` kept for `chat`; Telegram's are far shorter.
const MAX_CHAT_INSTANCE_CHARS: usize = 128;
/// Ids of guests start with this; Telegram players' with `tg:`.
pub(super) const GUEST_PREFIX: &str = "guest:";

/// What a `hello` offered.
pub(super) struct Credentials {
    pub v: u32,
    pub init_data: Option<String>,
    pub guest: Option<String>,
    pub session: Option<String>,
}

/// Who signed in, and the chat their Mini App was opened from.
pub(super) struct SignedIn {
    pub player: PlayerRef,
    pub chat_instance: Option<String>,
}

/// Why a `hello` was refused. Every refusal is one `error`; all but a
/// malformed `hello` then close the socket.
pub(super) enum Refusal {
    /// The `hello` itself is malformed: `bad_message`, counted like any other.
    Malformed(String),
    /// Sign-in refused: the error, then the socket closes (1008).
    Refused(ErrorCode, String),
}

/// Checks `credentials` as of `now` (unix seconds).
pub(super) fn sign_in(state: &AppState, credentials: Credentials, now: u64) -> Result<SignedIn, Refusal> {
    if credentials.v != VERSION {
        return Err(Refusal::Refused(
            ErrorCode::Version,
            format!("this server speaks protocol version {VERSION}"),
        ));
    }
    let Credentials {
        init_data,
        guest,
        session,
        ..
    } = credentials;
    match (init_data, guest, session) {
        (Some(raw), None, None) => telegram(state, &raw, now),
        (None, None, Some(token)) => resume(state, &token, now),
        (None, Some(name), None) => guest_sign_in(state, &name),
        _ => Err(Refusal::Malformed(
            "hello needs exactly one of init_data, guest or session".into(),
        )),
    }
}

fn telegram(state: &AppState, raw: &str, now: u64) -> Result<SignedIn, Refusal> {
    let telegram = &state.telegram;
    if !telegram.is_configured() {
        return Err(Refusal::Refused(
            ErrorCode::AuthFailed,
            "Telegram sign-in is off on this server (no bot token or bot id is configured)".into(),
        ));
    }
    match telegram.verify(raw, now) {
        Ok(data) => Ok(SignedIn {
            player: PlayerRef {
                id: data.player_id(),
                name: data.display_name(),
            },
            chat_instance: data
                .chat_instance
                .filter(|c| c.chars().count() <= MAX_CHAT_INSTANCE_CHARS),
        }),
        Err(e) => {
            tracing::debug!(reason = %e, "init_data refused");
            Err(Refusal::Refused(e.code(), format!("init_data refused: {e}")))
        }
    }
}

fn resume(state: &AppState, token: &str, now: u64) -> Result<SignedIn, Refusal> {
    match state.sessions.verify(token, now) {
        Ok(claims) if claims.player_id.starts_with(GUEST_PREFIX) && !state.config.allow_guests => Err(
            Refusal::Refused(ErrorCode::GuestDisabled, "this server does not accept guests".into()),
        ),
        Ok(claims) => Ok(SignedIn {
            player: PlayerRef {
                id: claims.player_id,
                name: claims.name,
            },
            chat_instance: claims.chat_instance,
        }),
        Err(e) => {
            tracing::debug!(reason = %e, "session token refused");
            Err(Refusal::Refused(e.code(), format!("session refused: {e}")))
        }
    }
}

fn guest_sign_in(state: &AppState, name: &str) -> Result<SignedIn, Refusal> {
    if !state.config.allow_guests {
        return Err(Refusal::Refused(
            ErrorCode::GuestDisabled,
            "this server does not accept guests; open the game from Telegram".into(),
        ));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Refusal::Malformed(format!(
            "a guest name must be 1 to {MAX_NAME_CHARS} characters without control characters"
        )));
    }
    Ok(SignedIn {
        player: PlayerRef {
            id: format!("{GUEST_PREFIX}{}", random_code(10).to_ascii_lowercase()),
            name: name.to_owned(),
        },
        chat_instance: None,
    })
}
