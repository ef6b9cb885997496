//! Telegram Mini App `initData` validation, as Telegram specifies it
//! (core.telegram.org/bots/webapps, "Validating data received via the Mini
//! App" and "... for third-party use").
//!
//! The data is a form-encoded query string. It is parsed, never split on
//! `&hash=`: `hash` and `signature` come in any order. Every check works on
//! the decoded `key=value` pairs sorted by key.

use std::fmt;
use std::time::Duration;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::{hmac_sha256, macs_equal};
use crate::protocol::ErrorCode;

/// Telegram's production Ed25519 key for third-party validation (hex).
pub const TELEGRAM_PRODUCTION_KEY: &str = "e7bf03a2fa4602af4580703d88dda5bb59f32ed8b02a56c187fe7d34caed242d";
/// Telegram's test-environment Ed25519 key for third-party validation (hex).
pub const TELEGRAM_TEST_KEY: &str = "40055058a4ee38156a06562e52eece92a771bcd8346a8c4615cb7376eddf72ec";
/// Longest initData accepted; longer input is refused before it is parsed.
pub const MAX_INIT_DATA_BYTES: usize = 16 * 1024;
/// How far `auth_date` may lie in the future (clock skew) before it is refused.
pub const MAX_FUTURE_SKEW_SECS: u64 = 300;
/// Longest `start_param` Telegram passes (of `[A-Za-z0-9_-]`).
pub const MAX_START_PARAM_CHARS: usize = 512;

/// The longest display name [`InitData::display_name`] returns, in characters.
/// The longest part of a client-chosen field name quoted in an error.
const MAX_QUOTED_CHARS: usize = 32;

/// base64url, with or without padding (Telegram sends it without).
const BASE64URL_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A bot token: a secret. Its `Debug` prints `BotToken(***)`, and it has no
/// `Display`, so it cannot end up in a log line or an error by accident.
#[derive(Clone)]
pub struct BotToken(String);

impl BotToken {
    /// Wraps a token as BotFather gave it (`123456:ABC...`).
    pub fn new(token: impl Into<String>) -> BotToken {
        BotToken(token.into())
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BotToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BotToken(***)")
    }
}

/// Checks Telegram initData for one bot.
#[derive(Debug, Clone)]
pub struct TelegramAuth {
    bot_token: Option<BotToken>,
    bot_id: Option<u64>,
    max_age: Duration,
    test_environment: bool,
    telegram_key: VerifyingKey,
}

/// The Telegram user who opened the mini-app: the `user` field of initData.
/// Fields this type does not know are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelegramUser {
    /// Telegram's user id.
    pub id: i64,
    /// Whether the user is a bot.
    #[serde(default)]
    pub is_bot: bool,
    /// First name (Telegram requires one).
    pub first_name: String,
    /// Last name, if set.
    #[serde(default)]
    pub last_name: Option<String>,
    /// `@username` without the `@`, if set.
    #[serde(default)]
    pub username: Option<String>,
    /// IETF language tag of the user's client, if known.
    #[serde(default)]
    pub language_code: Option<String>,
    /// Whether the user has Telegram Premium.
    #[serde(default)]
    pub is_premium: bool,
    /// Whether the user lets the bot message them.
    #[serde(default)]
    pub allows_write_to_pm: bool,
    /// Whether the user added the bot to the attachment menu.
    #[serde(default)]
    pub added_to_attachment_menu: bool,
    /// The user's profile photo (`.svg` or `.jpeg`), if shared.
    #[serde(default)]
    pub photo_url: Option<String>,
}

/// Verified initData: what a session may trust about the player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitData {
    /// The player.
    pub user: TelegramUser,
    /// When Telegram issued the data (unix seconds).
    pub auth_date: u64,
    /// A stable id of the chat the mini-app was opened from (for the chat's room).
    pub chat_instance: Option<String>,
    /// The kind of that chat: `sender`, `private`, `group`, `supergroup`, `channel`.
    pub chat_type: Option<String>,
    /// The `startapp` value of the link that opened the mini-app, as given
    /// (checked to be 1 to 512 of `[A-Za-z0-9_-]`; an empty one is `None`).
    pub start_param: Option<String>,
    /// The id for answering the inline query the mini-app came from, if any.
    pub query_id: Option<String>,
}

/// Why initData was refused. The messages are meant for the player's `error`
/// frame: they say what is wrong and never contain the bot token, a secret
/// key or an expected hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Neither a bot token nor a bot id is configured.
    #[error("Telegram sign-in is not configured on this server")]
    NotConfigured,
    /// Nothing was sent.
    #[error("the init data is empty")]
    Empty,
    /// More than [`MAX_INIT_DATA_BYTES`] were sent.
    #[error("the init data is longer than {MAX_INIT_DATA_BYTES} bytes")]
    TooLong,
    /// Not a form-encoded query string.
    #[error("the init data is not a query string: {0}")]
    Malformed(String),
    /// A field name appears more than once.
    #[error("field `{0}` appears twice")]
    Duplicate(String),
    /// A field the server needs is absent.
    #[error("field `{0}` is missing")]
    Missing(&'static str),
    /// `auth_date` is not a whole number of seconds.
    #[error("field `auth_date` is not a whole number of seconds")]
    BadAuthDate,
    /// `user` is not the JSON of a Telegram user.
    #[error("field `user` is not a Telegram user: {0}")]
    BadUser(String),
    /// `start_param` holds more than Telegram allows.
    #[error("field `start_param` may only hold up to {MAX_START_PARAM_CHARS} letters, digits, `_` and `-`")]
    BadStartParam,
    /// The data carries no signature this server can check.
    #[error("{0}")]
    Unsigned(&'static str),
    /// `hash` is not 64 hex digits.
    #[error("the hash is not 64 hex digits")]
    BadHash,
    /// `hash` is well-formed but was not made from this data with this bot's token.
    #[error("the hash does not match the data")]
    HashMismatch,
    /// `signature` is not base64url of 64 bytes.
    #[error("the signature is not base64url of 64 bytes")]
    BadSignature,
    /// `signature` was not made by Telegram over this data for this bot.
    #[error("the signature does not match the data")]
    SignatureMismatch,
    /// The data is older than the configured maximum age.
    #[error("the init data is {age_secs} s old, more than the {max_age_secs} s allowed; reopen the mini-app")]
    Expired { age_secs: u64, max_age_secs: u64 },
    /// `auth_date` lies more than [`MAX_FUTURE_SKEW_SECS`] ahead of the server's clock.
    #[error("field `auth_date` lies in the future")]
    FromTheFuture,
}

impl AuthError {
    /// The protocol error code: `auth_expired` for expired data (the client
    /// should fetch fresh initData), `auth_failed` for everything else.
    pub fn code(&self) -> ErrorCode {
        match self {
            AuthError::Expired { .. } => ErrorCode::AuthExpired,
            _ => ErrorCode::AuthFailed,
        }
    }
}

impl TelegramAuth {
    /// A checker for one bot. `bot_token` enables the `hash` check (a blank
    /// token counts as none); `bot_id` enables the `signature` check, which
    /// needs no secret. A zero `max_age` disables the age check.
    /// `test_environment` selects Telegram's test-server Ed25519 key instead
    /// of the production one.
    pub fn new(
        bot_token: Option<String>,
        bot_id: Option<u64>,
        max_age: Duration,
        test_environment: bool,
    ) -> TelegramAuth {
        let key_hex = if test_environment {
            TELEGRAM_TEST_KEY
        } else {
            TELEGRAM_PRODUCTION_KEY
        };
        TelegramAuth {
            bot_token: bot_token.filter(|token| !token.trim().is_empty()).map(BotToken::new),
            bot_id,
            max_age,
            test_environment,
            telegram_key: verifying_key(key_hex),
        }
    }

    /// Whether a bot token or a bot id is set, so that initData can be checked at all.
    pub fn is_configured(&self) -> bool {
        self.bot_token.is_some() || self.bot_id.is_some()
    }

    /// Whether the test-environment key checks signatures.
    pub fn test_environment(&self) -> bool {
        self.test_environment
    }

    /// Checks `raw` (the page's `Telegram.WebApp.initData`, verbatim) at
    /// `now_unix` (unix seconds).
    ///
    /// With a bot token configured and a `hash` present, the hash decides;
    /// otherwise, with a bot id configured and a `signature` present, the
    /// signature decides; otherwise the data is refused as unsigned. Then
    /// data older than the maximum age is [`AuthError::Expired`] and data
    /// from more than [`MAX_FUTURE_SKEW_SECS`] ahead is refused.
    pub fn verify(&self, raw: &str, now_unix: u64) -> Result<InitData, AuthError> {
        if !self.is_configured() {
            return Err(AuthError::NotConfigured);
        }
        if raw.is_empty() {
            return Err(AuthError::Empty);
        }
        if raw.len() > MAX_INIT_DATA_BYTES {
            return Err(AuthError::TooLong);
        }
        let fields = Fields::parse(raw)?;
        let auth_date = fields.get("auth_date").ok_or(AuthError::Missing("auth_date"))?;
        let auth_date = parse_seconds(auth_date).ok_or(AuthError::BadAuthDate)?;
        let user = fields.get("user").ok_or(AuthError::Missing("user"))?;

        self.check_signed(&fields)?;

        let user: TelegramUser = serde_json::from_str(user).map_err(|e| AuthError::BadUser(e.to_string()))?;
        let start_param = match fields.get("start_param") {
            None | Some("") => None,
            Some(param) if valid_start_param(param) => Some(param.to_string()),
            Some(_) => return Err(AuthError::BadStartParam),
        };
        if auth_date > now_unix.saturating_add(MAX_FUTURE_SKEW_SECS) {
            return Err(AuthError::FromTheFuture);
        }
        let age = Duration::from_secs(now_unix.saturating_sub(auth_date));
        if !self.max_age.is_zero() && age > self.max_age {
            return Err(AuthError::Expired {
                age_secs: age.as_secs(),
                max_age_secs: self.max_age.as_secs(),
            });
        }
        let owned = |name: &str| fields.get(name).map(str::to_string);
        Ok(InitData {
            user,
            auth_date,
            chat_instance: owned("chat_instance"),
            chat_type: owned("chat_type"),
            start_param,
            query_id: owned("query_id"),
        })
    }

    /// Applies the signing policy of [`TelegramAuth::verify`].
    fn check_signed(&self, fields: &Fields) -> Result<(), AuthError> {
        if let (Some(token), Some(hash)) = (&self.bot_token, fields.get("hash")) {
            return check_hash(token, hash, fields);
        }
        if let (Some(bot_id), Some(signature)) = (self.bot_id, fields.get("signature")) {
            return self.check_signature(bot_id, signature, fields);
        }
        Err(AuthError::Unsigned(
            match (self.bot_token.is_some(), self.bot_id.is_some()) {
                (true, false) => "the init data carries no `hash`",
                (false, true) => "the init data carries no `signature`",
                _ => "the init data carries neither `hash` nor `signature`",
            },
        ))
    }

    /// The third-party check: Telegram's Ed25519 signature over
    /// `<bot_id>:WebAppData\n` and the sorted fields but `hash` and `signature`.
    fn check_signature(&self, bot_id: u64, signature: &str, fields: &Fields) -> Result<(), AuthError> {
        let bytes = BASE64URL_ANY_PADDING
            .decode(signature)
            .map_err(|_| AuthError::BadSignature)?;
        let bytes: [u8; 64] = bytes.try_into().map_err(|_| AuthError::BadSignature)?;
        let message = format!("{bot_id}:WebAppData\n{}", fields.check_string(&["hash", "signature"]));
        self.telegram_key
            .verify_strict(message.as_bytes(), &Signature::from_bytes(&bytes))
            .map_err(|_| AuthError::SignatureMismatch)
    }

    /// The same checker with `key` in place of Telegram's, for tests that
    /// sign data themselves.
    #[cfg(test)]
    fn with_telegram_key(mut self, key: VerifyingKey) -> TelegramAuth {
        self.telegram_key = key;
        self
    }
}

/// The bot-token check: HMAC-SHA256 under HMAC-SHA256("WebAppData", token)
/// over the sorted fields but `hash`, compared in constant time.
fn check_hash(token: &BotToken, hash: &str, fields: &Fields) -> Result<(), AuthError> {
    let mut given = [0u8; 32];
    hex::decode_to_slice(hash, &mut given).map_err(|_| AuthError::BadHash)?;
    let secret = hmac_sha256(b"WebAppData", token.expose().as_bytes());
    let expected = hmac_sha256(&secret, fields.check_string(&["hash"]).as_bytes());
    if macs_equal(&expected, &given) {
        Ok(())
    } else {
        Err(AuthError::HashMismatch)
    }
}

fn verifying_key(hex_key: &str) -> VerifyingKey {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(hex_key, &mut bytes).expect("Telegram's keys are 64 hex digits");
    VerifyingKey::from_bytes(&bytes).expect("Telegram's keys are valid Ed25519 points")
}

/// Decoded fields, sorted by name, each name once.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(raw: &str) -> Result<Fields, AuthError> {
        let mut pairs = Vec::new();
        for part in raw.split('&') {
            if part.is_empty() {
                return Err(AuthError::Malformed(
                    "it has an empty parameter (`&&`, or `&` at an end)".into(),
                ));
            }
            let Some((name, value)) = part.split_once('=') else {
                return Err(AuthError::Malformed(format!("parameter `{}` has no `=`", quoted(part))));
            };
            let name = form_decode(name)?;
            if name.is_empty() {
                return Err(AuthError::Malformed("a parameter has no name".into()));
            }
            pairs.push((name, form_decode(value)?));
        }
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(twice) = pairs.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(AuthError::Duplicate(quoted(&twice[0].0)));
        }
        Ok(Fields(pairs))
    }

    fn get(&self, name: &str) -> Option<&str> {
        let at = self.0.binary_search_by(|(n, _)| n.as_str().cmp(name)).ok()?;
        Some(&self.0[at].1)
    }

    /// `name=value` lines of every field not in `skip`, in name order.
    fn check_string(&self, skip: &[&str]) -> String {
        let lines: Vec<String> = self
            .0
            .iter()
            .filter(|(name, _)| !skip.contains(&name.as_str()))
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        lines.join("\n")
    }
}

/// Form decoding (`+` is a space, `%XX` a byte), refusing what a lenient
/// decoder would patch over: a `%` without two hex digits, or bytes that are
/// not UTF-8.
fn form_decode(encoded: &str) -> Result<String, AuthError> {
    let bytes = encoded.as_bytes();
    let hex_at = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_hexdigit);
    if (0..bytes.len()).any(|i| bytes[i] == b'%' && !(hex_at(i + 1) && hex_at(i + 2))) {
        return Err(AuthError::Malformed("a `%` is not followed by two hex digits".into()));
    }
    let spaced = encoded.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| AuthError::Malformed("a parameter is not UTF-8 once decoded".into()))
}

/// A client-chosen string as an error may quote it: short, printable.
fn quoted(text: &str) -> String {
    let mut shown: String = text
        .chars()
        .take(MAX_QUOTED_CHARS)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().count() > MAX_QUOTED_CHARS {
        shown.push('…');
    }
    shown
}

/// Digits only: no sign, no spaces, no exponent.
fn parse_seconds(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn valid_start_param(param: &str) -> bool {
    param.len() <= MAX_START_PARAM_CHARS
        && param
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl InitData {
    /// The player's id in Parlor: `tg:<telegram user id>`.
    pub fn player_id(&self) -> String {
        format!("tg:{}", self.user.id)
    }

    /// A name to show other players: first name (and last name), else the
    /// username, else `Player`, under the rule of [`super::names`].
    pub fn display_name(&self) -> String {
        let full = match &self.user.last_name {
            Some(last) => format!("{} {}", self.user.first_name, last),
            None => self.user.first_name.clone(),
        };
        let name = super::names::display_name(&full);
        if !name.is_empty() {
            return name;
        }
        match self.user.username.as_deref().map(super::names::display_name) {
            Some(username) if !username.is_empty() => username,
            _ => "Player".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    const DAY: Duration = Duration::from_secs(86_400);

    // Telegram-Mini-Apps/init-data-golang, validate_test.go (and sign_test.go,
    // which derives the same hash from the same data and token): valid for
    // this token.
    const GO_TOKEN: &str = "5768337691:AAH5YkoiEuPk8-FZa32hStHTqXiLPtAEhx8";
    const GO_USER: &str = "%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Vladislav%22%2C%22last_name%22%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22ru%22%2C%22is_premium%22%3Atrue%7D";
    const GO_AUTH_DATE: u64 = 1662771648;
    const GO_HASH: &str = "c501b71e775f74ce10e377dea85a7ea24ecd640b223ea86dfe453e0eaed2e2b2";

    fn go_vector() -> String {
        format!("query_id=AAHdF6IQAAAAAN0XohDhrOrc&user={GO_USER}&auth_date={GO_AUTH_DATE}&hash={GO_HASH}")
    }

    // Telegram-Mini-Apps/telegram-apps, packages/init-data-node/src/validate.test.ts:
    // valid for the same token; carries chat_instance, chat_type and start_param.
    const NODE_VECTOR: &str = "auth_date=1&can_send_after=10000&chat=%7B%22id%22%3A1%2C%22type%22%3A%22group%22%2C%22title%22%3A%22chat-title%22%2C%22photo_url%22%3A%22group%22%2C%22username%22%3A%22my-chat%22%7D&chat_instance=888&chat_type=sender&hash=47cfa22e72b887cba90c9cb833c5ea0f599975b6ce7193741844b5c4a4228b40&query_id=QUERY&receiver=%7B%22added_to_attachment_menu%22%3Afalse%2C%22allows_write_to_pm%22%3Atrue%2C%22first_name%22%3A%22receiver-first-name%22%2C%22id%22%3A991%2C%22is_bot%22%3Afalse%2C%22is_premium%22%3Atrue%2C%22language_code%22%3A%22ru%22%2C%22last_name%22%3A%22receiver-last-name%22%2C%22photo_url%22%3A%22receiver-photo%22%2C%22username%22%3A%22receiver-username%22%7D&start_param=debug&user=%7B%22added_to_attachment_menu%22%3Afalse%2C%22allows_write_to_pm%22%3Afalse%2C%22first_name%22%3A%22user-first-name%22%2C%22id%22%3A222%2C%22is_bot%22%3Atrue%2C%22is_premium%22%3Afalse%2C%22language_code%22%3A%22en%22%2C%22last_name%22%3A%22user-last-name%22%2C%22photo_url%22%3A%22user-photo%22%2C%22username%22%3A%22user-username%22%7D";

    // aiogram/aiogram, tests/test_utils/test_web_app.py: the hash is valid for
    // token "42:TEST"; the `user` JSON is form-encoded with `+` for spaces,
    // and its id is a JSON string, which is not a Telegram user.
    const AIOGRAM_PLUS_VECTOR: &str = "auth_date=1650385342&user=%7B%22id%22%3A+%22123456789%22%2C+%22first_name%22%3A+%22PlaceholderFirstName%22%2C+%22last_name%22%3A+%22PlaceholderLastName+%5Cud83c%5Cuddfa%5Cud83c%5Cudde6%22%2C+%22username%22%3A+%22Latand%22%2C+%22language_code%22%3A+%22en%22%2C+%22is_premium%22%3A+%22true%22%2C+%22allows_write_to_pm%22%3A+%22true%22%7D&query_id=test&hash=b3c8b293f14ad0f7f0abcf769aea1209a72295d30a87eb0e74df855d32e53bfe";

    // Signed by Telegram's production Ed25519 key for bot 7342037359:
    // Telegram-Mini-Apps/init-data-golang, validate_third_party_test.go (hash
    // before signature) and Telegram-Mini-Apps/telegram-apps,
    // packages/init-data-node/src/entries/shared.test.ts (signature before
    // hash). The hash was made with that bot's token, which is not public.
    const THIRD_PARTY_BOT: u64 = 7342037359;
    const THIRD_PARTY_AUTH_DATE: u64 = 1733584787;
    const THIRD_PARTY_FIELDS: &str = "user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Vladislav%20%2B%20-%20%3F%20%5C%2F%22%2C%22last_name%22%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22ru%22%2C%22is_premium%22%3Atrue%2C%22allows_write_to_pm%22%3Atrue%2C%22photo_url%22%3A%22https%3A%5C%2F%5C%2Ft.me%5C%2Fi%5C%2Fuserpic%5C%2F320%5C%2F4FPEE4tmP3ATHa57u6MqTDih13LTOiMoKoLDRG4PnSA.svg%22%7D&chat_instance=8134722200314281151&chat_type=private&auth_date=1733584787";
    const THIRD_PARTY_HASH: &str = "hash=2174df5b000556d044f3f020384e879c8efcab55ddea2ced4eb752e93e7080d6";
    const THIRD_PARTY_SIGNATURE: &str =
        "signature=zL-ucjNyREiHDE8aihFwpfR9aggP2xiAo3NSpfe-p7IbCisNlDKlo7Kb6G4D0Ao2mBrSgEk4maLSdv6MLIlADQ";

    // aiogram/aiogram, tests/test_utils/test_web_app_signature.py: signed for
    // bot 42 with aiogram's own test key pair (not Telegram's), valid
    // against this public key.
    const AIOGRAM_PUBLIC_KEY: &str = "4112765021341e5415e772cd65903f6b94e3ea1c2ab669e6d3e18ee2db00da61";
    const AIOGRAM_SIGNED: &str = "auth_date=1650385342&user=%7B%22id%22%3A42%2C%22first_name%22%3A%22Test%22%7D&query_id=test&signature=JQ0JR2tjC65yq_jNZV0wuJVX6J-SWPMV0mprUXG34g-NvxL4RcF1Rz5n4VVo00VRghEUBf5t___uoeb1-jU_Cw";

    // Made for these tests by an independent signer, the npm package
    // @telegram-apps/init-data-node 2.0.10: `sign({user, chat_instance,
    // chat_type, start_param, query_id, signature}, GO_TOKEN, new
    // Date(1767225600000))` (its `isValid` accepts the result). The hash
    // covers the `signature` field (copied from the third-party vector, so
    // not Telegram's signature of this data); `+` encodes the space in "Zoë Ann".
    const NPM_AUTH_DATE: u64 = 1767225600;
    const NPM_WITH_SIGNATURE: &str = "user=%7B%22id%22%3A99%2C%22first_name%22%3A%22Zo%C3%AB+Ann%22%2C%22last_name%22%3A%22Lee%22%2C%22username%22%3A%22zoe_l%22%2C%22language_code%22%3A%22en%22%2C%22is_premium%22%3Atrue%2C%22allows_write_to_pm%22%3Atrue%7D&chat_instance=-5471737045128434439&chat_type=group&start_param=room-AB_12&query_id=Q1&signature=zL-ucjNyREiHDE8aihFwpfR9aggP2xiAo3NSpfe-p7IbCisNlDKlo7Kb6G4D0Ao2mBrSgEk4maLSdv6MLIlADQ&auth_date=1767225600&hash=cfe2e1c6c2a14043fc753b3916a955f38b3b8e5a660dd2f51640daccb4b9f7ff";
    // The same signer with `start_param: 'room 1!'` (and, as it always
    // adds one, an empty `signature`).
    const NPM_BAD_START_PARAM: &str = "user=%7B%22id%22%3A99%2C%22first_name%22%3A%22Zo%C3%AB+Ann%22%2C%22last_name%22%3A%22Lee%22%2C%22username%22%3A%22zoe_l%22%2C%22language_code%22%3A%22en%22%2C%22is_premium%22%3Atrue%2C%22allows_write_to_pm%22%3Atrue%7D&start_param=room+1%21&auth_date=1767225600&signature=&hash=c3c9d8f2c7dcb70326d007de7abb2a8920b15dfc7355ebc58f3d321b91c8efdd";

    fn hash_auth(max_age: Duration) -> TelegramAuth {
        TelegramAuth::new(Some(GO_TOKEN.into()), None, max_age, false)
    }

    fn third_party_auth(max_age: Duration) -> TelegramAuth {
        TelegramAuth::new(None, Some(THIRD_PARTY_BOT), max_age, false)
    }

    fn third_party_vector() -> String {
        format!("{THIRD_PARTY_FIELDS}&{THIRD_PARTY_HASH}&{THIRD_PARTY_SIGNATURE}")
    }

    /// initData with a hash made here (for rules beyond the signature; the
    /// signing itself is checked against the public vectors above).
    fn sign_with_token(token: &str, pairs: &[(&str, &str)]) -> String {
        let mut sorted = pairs.to_vec();
        sorted.sort();
        let lines: Vec<String> = sorted.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let secret = hmac_sha256(b"WebAppData", token.as_bytes());
        let hash = hex::encode(hmac_sha256(&secret, lines.join("\n").as_bytes()));
        let query: String = form_urlencoded_pairs(pairs);
        format!("{query}&hash={hash}")
    }

    fn form_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
        let encode = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
        let parts: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        parts.join("&")
    }

    const TEST_USER: &str = r#"{"id":5,"first_name":"Ann"}"#;

    #[test]
    fn telegram_keys_are_the_published_ones() {
        let hex_of = |test| hex::encode(TelegramAuth::new(None, Some(1), DAY, test).telegram_key.as_bytes());
        assert_eq!(
            hex_of(false),
            "e7bf03a2fa4602af4580703d88dda5bb59f32ed8b02a56c187fe7d34caed242d"
        );
        assert_eq!(
            hex_of(true),
            "40055058a4ee38156a06562e52eece92a771bcd8346a8c4615cb7376eddf72ec"
        );
    }

    #[test]
    fn hash_vector_from_init_data_golang_is_valid() {
        let init = hash_auth(DAY).verify(&go_vector(), GO_AUTH_DATE + 60).unwrap();
        assert_eq!(init.user.id, 279058397);
        assert_eq!(init.user.first_name, "Vladislav");
        assert_eq!(init.user.last_name.as_deref(), Some("Kibenko"));
        assert_eq!(init.user.username.as_deref(), Some("vdkfrost"));
        assert_eq!(init.user.language_code.as_deref(), Some("ru"));
        assert!(init.user.is_premium);
        assert_eq!(init.auth_date, GO_AUTH_DATE);
        assert_eq!(init.query_id.as_deref(), Some("AAHdF6IQAAAAAN0XohDhrOrc"));
        assert_eq!(init.chat_instance, None);
        assert_eq!(init.player_id(), "tg:279058397");
        assert_eq!(init.display_name(), "Vladislav Kibenko");
    }

    #[test]
    fn hash_first_is_accepted() {
        let raw = format!("hash={GO_HASH}&auth_date={GO_AUTH_DATE}&user={GO_USER}&query_id=AAHdF6IQAAAAAN0XohDhrOrc");
        assert!(hash_auth(DAY).verify(&raw, GO_AUTH_DATE).is_ok());
    }

    #[test]
    fn hash_vector_from_telegram_apps_is_valid() {
        let init = hash_auth(Duration::ZERO).verify(NODE_VECTOR, 1_700_000_000).unwrap();
        assert_eq!(init.user.id, 222);
        assert!(init.user.is_bot);
        assert_eq!(init.user.photo_url.as_deref(), Some("user-photo"));
        assert_eq!(init.auth_date, 1);
        assert_eq!(init.chat_instance.as_deref(), Some("888"));
        assert_eq!(init.chat_type.as_deref(), Some("sender"));
        assert_eq!(init.start_param.as_deref(), Some("debug"));
        assert_eq!(init.query_id.as_deref(), Some("QUERY"));
        assert_eq!(init.display_name(), "user-first-name user-last-name");
    }

    #[test]
    fn hash_covers_the_signature_field() {
        let init = hash_auth(DAY).verify(NPM_WITH_SIGNATURE, NPM_AUTH_DATE).unwrap();
        assert_eq!(init.user.first_name, "Zoë Ann");
        assert_eq!(init.display_name(), "Zoë Ann Lee");
        assert_eq!(init.player_id(), "tg:99");
        assert_eq!(init.chat_instance.as_deref(), Some("-5471737045128434439"));
        assert_eq!(init.chat_type.as_deref(), Some("group"));
        assert_eq!(init.start_param.as_deref(), Some("room-AB_12"));
        assert_eq!(init.query_id.as_deref(), Some("Q1"));
        // A changed signature changes the data the hash covers.
        let changed = NPM_WITH_SIGNATURE.replace("signature=zL-", "signature=zM-");
        assert_eq!(
            hash_auth(DAY).verify(&changed, NPM_AUTH_DATE),
            Err(AuthError::HashMismatch)
        );
        // With a bot id configured too, the hash still decides: the
        // signature, not Telegram's for this data, is not consulted.
        let both = TelegramAuth::new(Some(GO_TOKEN.into()), Some(THIRD_PARTY_BOT), DAY, false);
        assert!(both.verify(NPM_WITH_SIGNATURE, NPM_AUTH_DATE).is_ok());
        let bot_id_only = third_party_auth(DAY);
        assert_eq!(
            bot_id_only.verify(NPM_WITH_SIGNATURE, NPM_AUTH_DATE),
            Err(AuthError::SignatureMismatch)
        );
    }

    #[test]
    fn plus_is_a_space_in_the_checked_data() {
        // The hash only matches if `+` decodes to a space; the user is then
        // refused for its string id, after the hash has passed.
        let auth = TelegramAuth::new(Some("42:TEST".into()), None, Duration::ZERO, false);
        let err = auth.verify(AIOGRAM_PLUS_VECTOR, 1650385342).unwrap_err();
        assert!(matches!(err, AuthError::BadUser(_)), "{err:?}");
        let other = TelegramAuth::new(Some("42:OTHER".into()), None, Duration::ZERO, false);
        assert_eq!(
            other.verify(AIOGRAM_PLUS_VECTOR, 1650385342),
            Err(AuthError::HashMismatch)
        );
    }

    #[test]
    fn signature_vector_is_valid_in_either_order() {
        let auth = third_party_auth(DAY);
        let now = THIRD_PARTY_AUTH_DATE + 10;
        let hash_first = auth.verify(&third_party_vector(), now).unwrap();
        let signature_first = format!("{THIRD_PARTY_FIELDS}&{THIRD_PARTY_SIGNATURE}&{THIRD_PARTY_HASH}");
        assert_eq!(auth.verify(&signature_first, now).unwrap(), hash_first);
        let signature_only = format!("{THIRD_PARTY_SIGNATURE}&{THIRD_PARTY_FIELDS}");
        assert_eq!(auth.verify(&signature_only, now).unwrap(), hash_first);

        // JSON `\/` is `/`; `%20%2B%20` is " + ".
        assert_eq!(hash_first.user.first_name, "Vladislav + - ? /");
        assert_eq!(hash_first.chat_instance.as_deref(), Some("8134722200314281151"));
        assert_eq!(hash_first.chat_type.as_deref(), Some("private"));
        assert_eq!(
            hash_first.user.photo_url.as_deref(),
            Some("https://t.me/i/userpic/320/4FPEE4tmP3ATHa57u6MqTDih13LTOiMoKoLDRG4PnSA.svg")
        );
    }

    #[test]
    fn padded_signature_is_accepted() {
        let raw = format!("{THIRD_PARTY_FIELDS}&{THIRD_PARTY_SIGNATURE}%3D%3D");
        assert!(third_party_auth(DAY).verify(&raw, THIRD_PARTY_AUTH_DATE).is_ok());
    }

    #[test]
    fn signature_is_bound_to_bot_id_and_environment() {
        let raw = third_party_vector();
        let other_bot = TelegramAuth::new(None, Some(THIRD_PARTY_BOT + 1), Duration::ZERO, false);
        assert_eq!(other_bot.verify(&raw, 0), Err(AuthError::SignatureMismatch));
        let test_env = TelegramAuth::new(None, Some(THIRD_PARTY_BOT), Duration::ZERO, true);
        assert!(test_env.test_environment());
        assert_eq!(test_env.verify(&raw, 0), Err(AuthError::SignatureMismatch));
    }

    #[test]
    fn signature_by_another_key_is_refused() {
        // aiogram's vector is genuinely signed, but not by Telegram.
        let telegram = TelegramAuth::new(None, Some(42), Duration::ZERO, false);
        assert_eq!(telegram.verify(AIOGRAM_SIGNED, 0), Err(AuthError::SignatureMismatch));
        let mut key = [0u8; 32];
        hex::decode_to_slice(AIOGRAM_PUBLIC_KEY, &mut key).unwrap();
        let aiogram = telegram.with_telegram_key(VerifyingKey::from_bytes(&key).unwrap());
        let init = aiogram.verify(AIOGRAM_SIGNED, 1650385342).unwrap();
        assert_eq!((init.user.id, init.user.first_name.as_str()), (42, "Test"));

        // Telegram's message for the real vector, signed by a key of our own.
        let forger = SigningKey::from_bytes(&[9; 32]);
        let fields = Fields::parse(THIRD_PARTY_FIELDS).unwrap();
        let message = format!("{THIRD_PARTY_BOT}:WebAppData\n{}", fields.check_string(&[]));
        let forged =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forger.sign(message.as_bytes()).to_bytes());
        let raw = format!("{THIRD_PARTY_FIELDS}&signature={forged}");
        let auth = third_party_auth(Duration::ZERO);
        assert_eq!(auth.verify(&raw, 0), Err(AuthError::SignatureMismatch));
        // ... which that key's holder would accept: the message is the right one.
        let theirs = auth.with_telegram_key(forger.verifying_key());
        assert!(theirs.verify(&raw, THIRD_PARTY_AUTH_DATE).is_ok());
    }

    #[test]
    fn malformed_signature_is_refused() {
        let auth = third_party_auth(Duration::ZERO);
        for bad in ["signature=", "signature=!!!!", "signature=AAAA"] {
            let raw = format!("{THIRD_PARTY_FIELDS}&{bad}");
            assert_eq!(auth.verify(&raw, 0), Err(AuthError::BadSignature), "{bad}");
        }
    }

    #[test]
    fn forged_user_is_refused_on_both_paths() {
        let forged = go_vector().replace("279058397", "279058398");
        assert_eq!(
            hash_auth(DAY).verify(&forged, GO_AUTH_DATE),
            Err(AuthError::HashMismatch)
        );
        let forged = third_party_vector().replace("Kibenko", "Kibenk0");
        assert_eq!(
            third_party_auth(DAY).verify(&forged, THIRD_PARTY_AUTH_DATE),
            Err(AuthError::SignatureMismatch)
        );
    }

    #[test]
    fn added_field_breaks_both_signatures() {
        let raw = format!("{}&start_param=room1", go_vector());
        assert_eq!(hash_auth(DAY).verify(&raw, GO_AUTH_DATE), Err(AuthError::HashMismatch));
        let raw = format!("{}&start_param=room1", third_party_vector());
        assert_eq!(
            third_party_auth(DAY).verify(&raw, THIRD_PARTY_AUTH_DATE),
            Err(AuthError::SignatureMismatch)
        );
    }

    #[test]
    fn wrong_token_or_hash_is_refused() {
        let other = TelegramAuth::new(Some(format!("{GO_TOKEN}A")), None, DAY, false);
        assert_eq!(other.verify(&go_vector(), GO_AUTH_DATE), Err(AuthError::HashMismatch));
        let flipped = go_vector().replace("c501b71e", "c501b71f");
        assert_eq!(
            hash_auth(DAY).verify(&flipped, GO_AUTH_DATE),
            Err(AuthError::HashMismatch)
        );
        let upper = go_vector().replace(GO_HASH, &GO_HASH.to_uppercase());
        assert!(hash_auth(DAY).verify(&upper, GO_AUTH_DATE).is_ok());
        for bad in ["abc", "", &"zz".repeat(32), &format!("{GO_HASH}00")] {
            let raw = go_vector().replace(GO_HASH, bad);
            assert_eq!(
                hash_auth(DAY).verify(&raw, GO_AUTH_DATE),
                Err(AuthError::BadHash),
                "{bad}"
            );
        }
    }

    #[test]
    fn hash_decides_when_a_token_is_configured() {
        // The third-party vector's hash was made with another bot's token:
        // with a token configured it is refused, valid signature or not.
        let both = TelegramAuth::new(Some(GO_TOKEN.into()), Some(THIRD_PARTY_BOT), DAY, false);
        assert_eq!(
            both.verify(&third_party_vector(), THIRD_PARTY_AUTH_DATE),
            Err(AuthError::HashMismatch)
        );
        // Without a hash, the signature decides.
        let signature_only = format!("{THIRD_PARTY_FIELDS}&{THIRD_PARTY_SIGNATURE}");
        assert!(both.verify(&signature_only, THIRD_PARTY_AUTH_DATE).is_ok());
    }

    #[test]
    fn unsigned_or_unconfigured_is_refused() {
        let signature_only = format!("{THIRD_PARTY_FIELDS}&{THIRD_PARTY_SIGNATURE}");
        assert_eq!(
            hash_auth(DAY).verify(&signature_only, THIRD_PARTY_AUTH_DATE),
            Err(AuthError::Unsigned("the init data carries no `hash`"))
        );
        let hash_only = format!("{THIRD_PARTY_FIELDS}&{THIRD_PARTY_HASH}");
        assert_eq!(
            third_party_auth(DAY).verify(&hash_only, THIRD_PARTY_AUTH_DATE),
            Err(AuthError::Unsigned("the init data carries no `signature`"))
        );
        let both = TelegramAuth::new(Some(GO_TOKEN.into()), Some(1), DAY, false);
        assert_eq!(
            both.verify(THIRD_PARTY_FIELDS, THIRD_PARTY_AUTH_DATE)
                .unwrap_err()
                .to_string(),
            "the init data carries neither `hash` nor `signature`"
        );
        let none = TelegramAuth::new(None, None, DAY, false);
        assert!(!none.is_configured());
        assert_eq!(none.verify(&go_vector(), GO_AUTH_DATE), Err(AuthError::NotConfigured));
        let blank = TelegramAuth::new(Some("  ".into()), None, DAY, false);
        assert!(!blank.is_configured());
        assert!(hash_auth(DAY).is_configured() && third_party_auth(DAY).is_configured());
    }

    #[test]
    fn expired_and_future_data_are_refused() {
        let auth = hash_auth(DAY);
        let raw = go_vector();
        assert!(auth.verify(&raw, GO_AUTH_DATE + 86_400).is_ok());
        let err = auth.verify(&raw, GO_AUTH_DATE + 86_401).unwrap_err();
        assert_eq!(
            err,
            AuthError::Expired {
                age_secs: 86_401,
                max_age_secs: 86_400
            }
        );
        assert_eq!(err.code(), ErrorCode::AuthExpired);

        assert!(auth.verify(&raw, GO_AUTH_DATE - MAX_FUTURE_SKEW_SECS).is_ok());
        let err = auth.verify(&raw, GO_AUTH_DATE - MAX_FUTURE_SKEW_SECS - 1).unwrap_err();
        assert_eq!(err, AuthError::FromTheFuture);
        assert_eq!(err.code(), ErrorCode::AuthFailed);

        let third = third_party_auth(Duration::from_secs(10));
        let err = third
            .verify(&third_party_vector(), THIRD_PARTY_AUTH_DATE + 11)
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::AuthExpired);
    }

    #[test]
    fn zero_max_age_disables_the_age_check() {
        let ten_years_later = GO_AUTH_DATE + 10 * 365 * 86_400;
        assert!(hash_auth(Duration::ZERO).verify(&go_vector(), ten_years_later).is_ok());
        assert!(third_party_auth(Duration::ZERO)
            .verify(&third_party_vector(), ten_years_later)
            .is_ok());
        // ... but not the future check.
        assert_eq!(
            hash_auth(Duration::ZERO).verify(&go_vector(), 0),
            Err(AuthError::FromTheFuture)
        );
    }

    #[test]
    fn forgery_is_reported_before_expiry() {
        let forged = go_vector().replace("Vladislav", "Vladimir");
        let much_later = GO_AUTH_DATE + 10 * 86_400;
        assert_eq!(hash_auth(DAY).verify(&forged, much_later), Err(AuthError::HashMismatch));
    }

    #[test]
    fn malformed_input_is_refused() {
        let auth = hash_auth(DAY);
        assert_eq!(auth.verify("", 0), Err(AuthError::Empty));
        assert_eq!(
            auth.verify(&format!("a={}", "b".repeat(MAX_INIT_DATA_BYTES)), 0),
            Err(AuthError::TooLong)
        );
        let cases = [
            (
                "here comes something wrong;",
                "parameter `here comes something wrong;` has no `=`",
            ),
            ("test&foo=bar=baz", "parameter `test` has no `=`"),
            ("a=1&&b=2", "it has an empty parameter (`&&`, or `&` at an end)"),
            ("a=1&", "it has an empty parameter (`&&`, or `&` at an end)"),
            ("=1&b=2", "a parameter has no name"),
            ("a=%zz", "a `%` is not followed by two hex digits"),
            ("a=100%", "a `%` is not followed by two hex digits"),
            ("a=%C3%28", "a parameter is not UTF-8 once decoded"),
        ];
        for (raw, reason) in cases {
            assert_eq!(
                auth.verify(raw, 0).unwrap_err().to_string(),
                format!("the init data is not a query string: {reason}"),
                "{raw}"
            );
        }
        let long_name = format!("{}&a=1", "x".repeat(100));
        let message = auth.verify(&long_name, 0).unwrap_err().to_string();
        assert_eq!(
            message,
            format!(
                "the init data is not a query string: parameter `{}…` has no `=`",
                "x".repeat(32)
            )
        );
    }

    #[test]
    fn duplicated_fields_are_refused() {
        let auth = hash_auth(DAY);
        let twice = format!("{}&auth_date={GO_AUTH_DATE}", go_vector());
        let err = auth.verify(&twice, GO_AUTH_DATE).unwrap_err();
        assert_eq!(err.to_string(), "field `auth_date` appears twice");
        let encoded = format!("{}&%75ser=%7B%7D", go_vector());
        assert_eq!(
            auth.verify(&encoded, GO_AUTH_DATE),
            Err(AuthError::Duplicate("user".into()))
        );
        let hash_twice = format!("{}&hash={GO_HASH}", go_vector());
        assert_eq!(
            auth.verify(&hash_twice, GO_AUTH_DATE),
            Err(AuthError::Duplicate("hash".into()))
        );
        let sig_twice = format!("{}&{THIRD_PARTY_SIGNATURE}", third_party_vector());
        assert_eq!(
            third_party_auth(DAY).verify(&sig_twice, THIRD_PARTY_AUTH_DATE),
            Err(AuthError::Duplicate("signature".into()))
        );
    }

    #[test]
    fn missing_or_bad_fields_are_refused() {
        let auth = hash_auth(DAY);
        let err = auth.verify("hash=abc", 0).unwrap_err();
        assert_eq!(err.to_string(), "field `auth_date` is missing");
        let err = auth
            .verify(&format!("auth_date={GO_AUTH_DATE}&hash={GO_HASH}"), 0)
            .unwrap_err();
        assert_eq!(err.to_string(), "field `user` is missing");
        for date in [
            "test",
            "",
            "+1662771648",
            "-1",
            "1662771648.5",
            "99999999999999999999999",
        ] {
            let raw = format!("auth_date={date}&user={GO_USER}&hash={GO_HASH}");
            assert_eq!(auth.verify(&raw, 0), Err(AuthError::BadAuthDate), "{date}");
        }
    }

    #[test]
    fn user_without_id_or_first_name_is_refused() {
        let auth = TelegramAuth::new(Some("1:T".into()), None, Duration::ZERO, false);
        for user in [
            r#"{"first_name":"Ann"}"#,
            r#"{"id":5}"#,
            "not json",
            r#"{"id":"5","first_name":"Ann"}"#,
        ] {
            let raw = sign_with_token("1:T", &[("auth_date", "100"), ("user", user)]);
            let err = auth.verify(&raw, 100).unwrap_err();
            assert!(matches!(err, AuthError::BadUser(_)), "{user}: {err:?}");
            assert!(err.to_string().starts_with("field `user` is not a Telegram user: "));
        }
        let extra = r#"{"id":5,"first_name":"Ann","new_field":{"x":1}}"#;
        let raw = sign_with_token("1:T", &[("auth_date", "100"), ("user", extra)]);
        assert_eq!(auth.verify(&raw, 100).unwrap().user.id, 5);
    }

    #[test]
    fn start_param_is_kept_or_refused() {
        let auth = TelegramAuth::new(Some("1:T".into()), None, Duration::ZERO, false);
        let with = |param: &str| {
            let raw = sign_with_token(
                "1:T",
                &[("auth_date", "100"), ("user", TEST_USER), ("start_param", param)],
            );
            auth.verify(&raw, 100).map(|init| init.start_param)
        };
        assert_eq!(with("room-AB_12"), Ok(Some("room-AB_12".into())));
        assert_eq!(with(&"a".repeat(512)), Ok(Some("a".repeat(512))));
        assert_eq!(with(""), Ok(None));
        assert_eq!(
            hash_auth(DAY).verify(NPM_BAD_START_PARAM, NPM_AUTH_DATE),
            Err(AuthError::BadStartParam)
        );
        for bad in ["a b", "a+b", "room/1", "é", "a\n", &"a".repeat(513)] {
            let err = with(bad).unwrap_err();
            assert_eq!(err, AuthError::BadStartParam, "{bad:?}");
            assert_eq!(err.code(), ErrorCode::AuthFailed);
        }
    }

    fn user(first: &str, last: Option<&str>, username: Option<&str>) -> InitData {
        InitData {
            user: TelegramUser {
                id: 1,
                is_bot: false,
                first_name: first.into(),
                last_name: last.map(Into::into),
                username: username.map(Into::into),
                language_code: None,
                is_premium: false,
                allows_write_to_pm: false,
                added_to_attachment_menu: false,
                photo_url: None,
            },
            auth_date: 0,
            chat_instance: None,
            chat_type: None,
            start_param: None,
            query_id: None,
        }
    }

    #[test]
    fn display_names_are_clean_and_short() {
        assert_eq!(user("Ann", None, None).display_name(), "Ann");
        assert_eq!(user("  Ann ", Some(" Lee "), None).display_name(), "Ann Lee");
        assert_eq!(
            user("Ann\u{0}\u{7}\n", Some("\u{202e}Lee"), None).display_name(),
            "Ann Lee"
        );
        assert_eq!(user(" \t", None, Some("ann_l")).display_name(), "ann_l");
        assert_eq!(user("\u{202e}", Some(""), None).display_name(), "Player");
        let long = user(&"Ж".repeat(40), None, None).display_name();
        assert_eq!(long, "Ж".repeat(32));
        assert_eq!(
            user(&format!("{} x", "a".repeat(31)), None, None).display_name(),
            "a".repeat(31)
        );
        assert_eq!(user("Ann", None, None).player_id(), "tg:1");
    }

    #[test]
    fn secrets_stay_out_of_debug_and_errors() {
        let auth = hash_auth(DAY);
        let debug = format!("{auth:?}");
        assert!(debug.contains("BotToken(***)"), "{debug}");
        assert!(!debug.contains("AAH5Yko"), "{debug}");
        assert_eq!(format!("{:?}", BotToken::new(GO_TOKEN)), "BotToken(***)");

        let secret = hex::encode(hmac_sha256(b"WebAppData", GO_TOKEN.as_bytes()));
        let wrong_hash = go_vector().replace(GO_HASH, &"0".repeat(64));
        let errors = [
            auth.verify(&wrong_hash, GO_AUTH_DATE).unwrap_err(),
            auth.verify(&go_vector().replace("Vladislav", "V"), GO_AUTH_DATE)
                .unwrap_err(),
            auth.verify(&go_vector().replace(GO_HASH, "xyz"), GO_AUTH_DATE)
                .unwrap_err(),
            auth.verify(&go_vector(), GO_AUTH_DATE + 2 * 86_400).unwrap_err(),
        ];
        for err in errors {
            for shown in [err.to_string(), format!("{err:?}")] {
                assert!(!shown.contains("AAH5Yko"), "{shown}");
                assert!(!shown.contains(&secret), "{shown}");
                assert!(!shown.contains(GO_HASH), "{shown}");
            }
        }
    }
}
