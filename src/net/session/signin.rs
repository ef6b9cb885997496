//! The three ways a `hello` signs a player in: Telegram initData, a
//! session token from an earlier `welcome`, or a guest name.

use crate::auth::{SessionKey, TelegramAuth};
use crate::matchmaking::random_code;
use crate::metrics::SignIn;
use crate::protocol::{ErrorCode, PlayerRef, VERSION};

#[cfg(test)]
use crate::auth::names::MAX_NAME_CHARS;
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

impl Credentials {
    /// The way this `hello` signs in; `None` when it offers none or several.
    pub fn method(&self) -> Option<SignIn> {
        match (&self.init_data, &self.guest, &self.session) {
            (Some(_), None, None) => Some(SignIn::Telegram),
            (None, Some(_), None) => Some(SignIn::Guest),
            (None, None, Some(_)) => Some(SignIn::Session),
            _ => None,
        }
    }
}

/// Who signed in, and the chat their Mini App was opened from.
pub(super) struct SignedIn {
    pub player: PlayerRef,
    pub chat_instance: Option<String>,
    /// The session a token continues; `None` for a new one.
    pub resumed: Option<Resumed>,
}

/// The session a valid token named, before the ledger confirms the token
/// is its newest.
pub(super) struct Resumed {
    pub sid: String,
    pub generation: u64,
    pub started: u64,
}

/// Why a `hello` was refused. Every refusal is one `error`; all but a
/// malformed `hello` then close the socket.
pub(super) enum Refusal {
    /// The `hello` itself is malformed: `bad_message`, counted like any other.
    Malformed(String),
    /// Sign-in refused: the error, then the socket closes (1008).
    Refused(ErrorCode, String),
}

/// What sign-in checks credentials against.
pub(super) struct Verifier<'a> {
    pub telegram: &'a TelegramAuth,
    pub sessions: &'a SessionKey,
    pub allow_guests: bool,
}

/// Checks `credentials` as of `now` (unix seconds).
pub(super) fn sign_in(state: &Verifier, credentials: Credentials, now: u64) -> Result<SignedIn, Refusal> {
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

fn telegram(state: &Verifier, raw: &str, now: u64) -> Result<SignedIn, Refusal> {
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
            resumed: None,
        }),
        Err(e) => {
            tracing::debug!(reason = %e, "init_data refused");
            Err(Refusal::Refused(e.code(), format!("init_data refused: {e}")))
        }
    }
}

fn resume(state: &Verifier, token: &str, now: u64) -> Result<SignedIn, Refusal> {
    match state.sessions.verify(token, now) {
        Ok(claims) if claims.player_id.starts_with(GUEST_PREFIX) && !state.allow_guests => Err(Refusal::Refused(
            ErrorCode::GuestDisabled,
            "this server does not accept guests".into(),
        )),
        Ok(claims) => Ok(SignedIn {
            player: PlayerRef {
                id: claims.player_id,
                name: claims.name,
            },
            chat_instance: claims.chat_instance,
            resumed: Some(Resumed {
                sid: claims.sid,
                generation: claims.generation,
                started: claims.started,
            }),
        }),
        Err(e) => {
            tracing::debug!(reason = %e, "session token refused");
            Err(Refusal::Refused(e.code(), format!("session refused: {e}")))
        }
    }
}

fn guest_sign_in(state: &Verifier, name: &str) -> Result<SignedIn, Refusal> {
    if !state.allow_guests {
        return Err(Refusal::Refused(
            ErrorCode::GuestDisabled,
            "this server does not accept guests; open the game from Telegram".into(),
        ));
    }
    let name = crate::auth::names::guest_name(name).map_err(Refusal::Malformed)?;
    Ok(SignedIn {
        player: PlayerRef {
            id: format!("{GUEST_PREFIX}{}", random_code(10).to_ascii_lowercase()),
            name,
        },
        chat_instance: None,
        resumed: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::SessionClaims;

    fn hello(init_data: Option<&str>, guest: Option<&str>, session: Option<&str>) -> Credentials {
        Credentials {
            v: VERSION,
            init_data: init_data.map(str::to_owned),
            guest: guest.map(str::to_owned),
            session: session.map(str::to_owned),
        }
    }

    fn with<T>(allow_guests: bool, f: impl FnOnce(&Verifier, &SessionKey) -> T) -> T {
        let telegram = TelegramAuth::new(None, None, std::time::Duration::from_secs(60), false);
        let sessions = SessionKey::from_bytes([7; 32]);
        let verifier = Verifier {
            telegram: &telegram,
            sessions: &sessions,
            allow_guests,
        };
        f(&verifier, &sessions)
    }

    fn refused_code(result: Result<SignedIn, Refusal>) -> Option<ErrorCode> {
        match result {
            Err(Refusal::Refused(code, _)) => Some(code),
            _ => None,
        }
    }

    #[test]
    fn a_guest_gets_a_fresh_guest_id_and_a_trimmed_name() {
        let signed = with(true, |v, _| sign_in(v, hello(None, Some("  Ann "), None), 0))
            .ok()
            .unwrap();
        assert_eq!(signed.player.name, "Ann");
        assert!(signed.player.id.starts_with(GUEST_PREFIX));
    }

    #[test]
    fn malformed_hellos_are_bad_messages_not_refusals() {
        for credentials in [
            hello(None, None, None),
            hello(Some("x"), Some("Ann"), None),
            hello(None, Some(""), None),
            hello(None, Some("a\u{7}b"), None),
            hello(None, Some(&"n".repeat(MAX_NAME_CHARS + 1)), None),
        ] {
            let result = with(true, |v, _| sign_in(v, credentials, 0));
            assert!(matches!(result, Err(Refusal::Malformed(_))));
        }
    }

    #[test]
    fn refusals_carry_the_code_that_says_why() {
        let version = Credentials {
            v: VERSION + 1,
            ..hello(None, Some("Ann"), None)
        };
        assert_eq!(
            refused_code(with(true, |v, _| sign_in(v, version, 0))),
            Some(ErrorCode::Version)
        );
        let guest = with(false, |v, _| sign_in(v, hello(None, Some("Ann"), None), 0));
        assert_eq!(refused_code(guest), Some(ErrorCode::GuestDisabled));
        let telegram = with(true, |v, _| sign_in(v, hello(Some("user=1"), None, None), 0));
        assert_eq!(refused_code(telegram), Some(ErrorCode::AuthFailed));
        let forged = with(true, |v, _| sign_in(v, hello(None, None, Some("not-a-token")), 0));
        assert!(refused_code(forged).is_some());
    }

    #[test]
    fn a_session_token_signs_the_same_player_in_until_it_expires() {
        with(true, |v, key| {
            let token = key.issue(&SessionClaims {
                player_id: "guest:abc".into(),
                name: "Ann".into(),
                expires: 100,
                chat_instance: Some("chat".into()),
                sid: "s1".into(),
                generation: 2,
                started: 10,
            });
            let signed = sign_in(v, hello(None, None, Some(&token)), 50).ok().unwrap();
            assert_eq!(
                (signed.player.id.as_str(), signed.chat_instance.as_deref()),
                ("guest:abc", Some("chat"))
            );
            let resumed = signed.resumed.unwrap();
            assert_eq!(
                (resumed.sid.as_str(), resumed.generation, resumed.started),
                ("s1", 2, 10)
            );
            let expired = sign_in(v, hello(None, None, Some(&token)), 101);
            assert_eq!(refused_code(expired), Some(ErrorCode::AuthExpired));
            let no_guests = Verifier {
                allow_guests: false,
                ..*v
            };
            let refused = sign_in(&no_guests, hello(None, None, Some(&token)), 50);
            assert_eq!(refused_code(refused), Some(ErrorCode::GuestDisabled));
        });
    }
}
