//! What each fuzz target runs on one input, and the properties it asserts.
//!
//! One file, compiled twice: as the library of the `parlor-fuzz` package,
//! which the libFuzzer targets in fuzz_targets/ call, and by
//! tests/fuzz_regressions.rs through `#[path]`, which feeds it every file in
//! fuzz/regressions/ and fuzz/corpus/ in plain `cargo test`. So CI checks
//! exactly what the fuzzer checked, without cargo-fuzz or a nightly
//! feature. It lives here rather than in the library because it is test
//! code: the server ships nothing for it, and every entry point it drives
//! (`ClientMessage::decode`, `GameType::decode_client`,
//! `TelegramAuth::verify`, `SessionKey::verify`, `Manifest::parse`,
//! `Catalog::add`) is already public.
//!
//! A property that fails panics; a target must not panic otherwise. The
//! signature checks are judged against oracles written here from the
//! specifications (Telegram's data-check-string, the token format), not by
//! calling the code under test, so "accepted" means "genuinely signed".

use std::io::{self, Read, Write};
use std::sync::LazyLock;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use parlor::auth::{AuthError, SessionClaims, SessionError, SessionKey, TelegramAuth};
use parlor::catalog::{Catalog, ManifestSource};
use parlor::config::Config;
use parlor::manifest::Manifest;
use parlor::protocol::{ClientMessage, Rid, Value};
use parlor::simulation::DecodeError;
use serde::de::IgnoredAny;
use sha2::Sha256;
use tungstenite::protocol::{Role, WebSocketConfig};
use tungstenite::{Message, WebSocket};

/// What a target runs on one input.
pub type Target = fn(&[u8]);

/// The targets by name (the names of fuzz_targets/*.rs and of the folders
/// under fuzz/corpus/ and fuzz/regressions/).
pub const TARGETS: [(&str, Target); 5] = [
    ("websocket_frames", websocket_frames),
    ("client_message", client_message),
    ("init_data", init_data),
    ("session_token", session_token),
    ("manifest", manifest),
];

// ---------------------------------------------------------------------------
// websocket_frames: bytes off a socket, through tungstenite with the
// server's limits, each binary message decoded as the server does.

/// Bytes the server's websocket reads per call (`READ_BUFFER` in
/// src/net/mod.rs): the reader's chunking is part of the path fuzzed.
const SERVER_READ_BUFFER: usize = 4096;

/// The server's bundled games, built once: each decodes `input.d` as its
/// own input type.
static GAMES: LazyLock<Catalog> =
    LazyLock::new(|| parlor_games::bundled(&ManifestSource::Bundled).expect("the bundled games build"));

/// A socket that yields `data` at most `chunk` bytes per read, with a
/// `WouldBlock` between reads as a non-blocking socket has, so frames
/// arrive split at every offset; what the server writes back (pongs,
/// the close reply) is counted and dropped.
struct Socket<'a> {
    data: &'a [u8],
    chunk: usize,
    blocked: bool,
    written: usize,
}

impl Read for Socket<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.blocked && !self.data.is_empty() {
            self.blocked = false;
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.blocked = true;
        let n = buf.len().min(self.chunk).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

impl Write for Socket<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The first byte picks how many bytes each read returns (1 to 256); the
/// rest is what a client sent after the upgrade. Every complete binary
/// message goes through [`client_frame`]. Properties: no message over the
/// server's frame limit is delivered, and the reader ends (no endless
/// `WouldBlock`).
pub fn websocket_frames(data: &[u8]) {
    let _ = binary_messages(data);
}

/// [`websocket_frames`], returning how many binary messages were read.
pub fn binary_messages(data: &[u8]) -> usize {
    let Some((&chunk, stream)) = data.split_first() else {
        return 0;
    };
    let mut messages = 0;
    let limits = Config::default().limits;
    let config = WebSocketConfig::default()
        .read_buffer_size(SERVER_READ_BUFFER)
        .max_message_size(Some(limits.max_frame_bytes))
        .max_frame_size(Some(limits.max_frame_bytes))
        .max_write_buffer_size(limits.write_buffer_max_bytes);
    let socket = Socket {
        data: stream,
        chunk: usize::from(chunk) + 1,
        blocked: false,
        written: 0,
    };
    let mut ws = WebSocket::from_raw_socket(socket, Role::Server, Some(config));
    // Each read returns a message of at least two buffered bytes, takes a
    // byte from the socket, meets the WouldBlock between, or ends.
    let mut reads_left = 3 * stream.len() + 8;
    loop {
        assert!(reads_left > 0, "the websocket reader does not end");
        reads_left -= 1;
        match ws.read() {
            Ok(Message::Binary(frame)) => {
                assert!(frame.len() <= limits.max_frame_bytes, "a message over the frame limit");
                client_frame(&frame);
                messages += 1;
            }
            Ok(_) => {}
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return messages,
        }
    }
}

/// The `t` of a message, to compare decodes of different `D`.
fn kind<D>(message: &ClientMessage<D>) -> &'static str {
    match message {
        ClientMessage::Hello { .. } => "hello",
        ClientMessage::Quick { .. } => "quick",
        ClientMessage::Create { .. } => "create",
        ClientMessage::Join { .. } => "join",
        ClientMessage::Chat { .. } => "chat",
        ClientMessage::Watch { .. } => "watch",
        ClientMessage::Input { .. } => "input",
        ClientMessage::Leave { .. } => "leave",
        ClientMessage::Ping { .. } => "ping",
    }
}

/// Decodes `frame` both ways the server does: the envelope alone (outside
/// a room) and for each bundled game (inside one of its rooms). The two
/// must agree: a frame a game decodes has the same envelope; a game's
/// "input `d` does not fit" is an `input` envelope with the same `rid`;
/// a frame a game finds undecodable has no valid envelope either.
pub fn client_frame(frame: &[u8]) {
    let envelope = ClientMessage::<IgnoredAny>::decode(frame);
    if envelope.is_ok() {
        assert!(
            matches!(frame.first(), Some(0x80..=0x8f | 0xde | 0xdf)),
            "a frame that is not a map decoded"
        );
    }
    for game in GAMES.iter() {
        let name = &game.manifest().name;
        match (game.decode_client(frame), &envelope) {
            (Ok(typed), Ok(plain)) => {
                assert_eq!(kind(&typed), kind(plain), "{name}: the envelopes differ");
                assert_eq!(typed.rid(), plain.rid(), "{name}: the rids differ");
            }
            (Ok(_), Err(e)) => panic!("{name} decoded a frame without a valid envelope ({e})"),
            (Err(DecodeError::Input { rid, .. }), Ok(plain)) => {
                assert_eq!(kind(plain), "input", "{name}: an input error for a {}", kind(plain));
                assert_eq!(rid, plain.rid(), "{name}: the rids differ");
            }
            (Err(DecodeError::Input { .. }), Err(e)) => {
                panic!("{name}: an input error for a frame without a valid envelope ({e})")
            }
            (Err(DecodeError::Frame(e)), Ok(plain)) => {
                panic!("{name} refused a valid {} envelope: {e}", kind(plain))
            }
            (Err(DecodeError::Frame(_)), Err(_)) => {}
        }
    }
}

// ---------------------------------------------------------------------------
// client_message: one frame, decoded directly.

/// [`client_frame`], and a round trip: a frame that decodes with `d` as a
/// generic value re-encodes to a frame that decodes to the same message,
/// and whose envelope decodes too.
pub fn client_message(data: &[u8]) {
    client_frame(data);
    let Ok(message) = ClientMessage::<Value>::decode(data) else {
        return;
    };
    assert!(
        ClientMessage::<IgnoredAny>::decode(data).is_ok(),
        "a frame decodes with a generic d but not as an envelope"
    );
    let encoded = message.encode();
    let again = ClientMessage::<Value>::decode(&encoded)
        .unwrap_or_else(|e| panic!("{message:?} re-encoded does not decode: {e}"));
    assert_eq!(again, message, "the round trip changed the message");
    assert_eq!(again.encode(), encoded, "encoding is not stable");
}

// ---------------------------------------------------------------------------
// init_data: Telegram launch data, with a fixed bot token and bot id.

/// The bot token the target checks hashes with (the public test token of
/// Telegram-Mini-Apps/init-data-golang; nothing secret).
pub const BOT_TOKEN: &str = "5768337691:AAH5YkoiEuPk8-FZa32hStHTqXiLPtAEhx8";
/// The bot id the target checks Telegram's signatures for: a bot whose
/// genuinely signed launch data is public (see [`seeds`]).
pub const BOT_ID: u64 = 7342037359;
/// The clock of the init_data and session_token targets (unix seconds): a
/// minute after the signed launch data in the seeds.
pub const NOW: u64 = 1_733_584_787 + 60;
/// The init_data target's maximum age.
pub const MAX_AGE: Duration = Duration::from_secs(86_400);

static TELEGRAM: LazyLock<TelegramAuth> =
    LazyLock::new(|| TelegramAuth::new(Some(BOT_TOKEN.to_owned()), Some(BOT_ID), MAX_AGE, false));

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The oracle's reading of launch data: the form pairs, decoded leniently
/// (the strict parser refuses whatever this would patch over, so where
/// both accept they agree).
fn form_pairs(raw: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.as_bytes()).into_owned().collect()
}

/// Telegram's data-check-string: `key=value` lines sorted by key (not by
/// line: a key may hold `=` once decoded), without `skip`.
fn data_check_string(pairs: &[(String, String)], skip: &[&str]) -> String {
    let mut kept: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| !skip.contains(&k.as_str())).collect();
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    let lines: Vec<String> = kept.iter().map(|(k, v)| format!("{k}={v}")).collect();
    lines.join("\n")
}

/// The genuine `hash` of launch data for [`BOT_TOKEN`].
pub fn telegram_hash(pairs: &[(String, String)]) -> [u8; 32] {
    let secret = hmac_sha256(b"WebAppData", BOT_TOKEN.as_bytes());
    hmac_sha256(&secret, data_check_string(pairs, &["hash"]).as_bytes())
}

/// Whether `signature` is Telegram's (production key) over the pairs for [`BOT_ID`].
fn telegram_signed(pairs: &[(String, String)], signature: &str) -> bool {
    let mut key = [0u8; 32];
    hex::decode_to_slice(parlor::auth::TELEGRAM_PRODUCTION_KEY, &mut key).expect("the key is 64 hex digits");
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key).expect("Telegram's key is a point");
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(signature.trim_end_matches('=')) else {
        return false;
    };
    let Ok(bytes) = <[u8; 64]>::try_from(bytes) else {
        return false;
    };
    let message = format!(
        "{BOT_ID}:WebAppData\n{}",
        data_check_string(pairs, &["hash", "signature"])
    );
    key.verify_strict(message.as_bytes(), &ed25519_dalek::Signature::from_bytes(&bytes))
        .is_ok()
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The input as launch data (lossily UTF-8), checked three ways: as sent,
/// which is accepted only if its `hash` is the genuine one or, without a
/// hash, its `signature` is Telegram's; with the genuine hash appended,
/// which gets past the signature check to the rest of the rules and is
/// never refused as mis-signed; and with that hash altered, which is never
/// accepted (and is refused as mis-signed when the genuine one passed).
pub fn init_data(data: &[u8]) {
    let raw = String::from_utf8_lossy(data);
    let auth = &*TELEGRAM;
    if let Ok(init) = auth.verify(&raw, NOW) {
        let pairs = form_pairs(&raw);
        match field(&pairs, "hash") {
            Some(hash) => assert_eq!(
                hex::decode(hash).ok().as_deref(),
                Some(&telegram_hash(&pairs)[..]),
                "accepted a forged hash"
            ),
            None => {
                let signature = field(&pairs, "signature").expect("accepted unsigned data");
                assert!(telegram_signed(&pairs, signature), "accepted a forged signature");
            }
        }
        check_accepted(&init, &pairs);
    }

    let pairs = form_pairs(&raw);
    let hash = hex::encode(telegram_hash(&pairs));
    let signed = format!("{raw}&hash={hash}");
    let genuine = auth.verify(&signed, NOW);
    assert!(
        !matches!(genuine, Err(AuthError::HashMismatch | AuthError::BadHash)),
        "refused the genuine hash: {genuine:?}"
    );
    if let Ok(init) = &genuine {
        check_accepted(init, &form_pairs(&signed));
    }
    // One hex digit changed: a different 32-byte hash.
    let flipped = if hash.starts_with('0') { '1' } else { '0' };
    let forged = format!("{raw}&hash={flipped}{}", &hash[1..]);
    let result = auth.verify(&forged, NOW);
    assert!(result.is_err(), "accepted a forged hash");
    if genuine.is_ok() {
        assert_eq!(
            result,
            Err(AuthError::HashMismatch),
            "a forged hash refused for another reason"
        );
    }
}

/// What accepted launch data must satisfy besides its signature.
fn check_accepted(init: &parlor::auth::InitData, pairs: &[(String, String)]) {
    assert_eq!(
        field(pairs, "auth_date").and_then(|d| d.parse().ok()),
        Some(init.auth_date)
    );
    assert!(
        init.auth_date <= NOW + parlor::auth::MAX_FUTURE_SKEW_SECS,
        "accepted data from the future"
    );
    assert!(
        NOW.saturating_sub(init.auth_date) <= MAX_AGE.as_secs(),
        "accepted expired data"
    );
    let name = init.display_name();
    assert!(!name.is_empty(), "an empty display name");
    assert_eq!(init.player_id(), format!("tg:{}", init.user.id));
}

// ---------------------------------------------------------------------------
// session_token: tokens checked with a fixed key.

/// The session_token target's key.
pub const SESSION_KEY: [u8; 32] = [0x5a; 32];

/// The genuine MAC part of a token whose claims part is `body`.
pub fn session_mac(body: &str) -> String {
    URL_SAFE_NO_PAD.encode(hmac_sha256(&SESSION_KEY, body.as_bytes()))
}

/// The input as a token (lossily UTF-8), checked three ways: as sent,
/// accepted only if its MAC is the genuine one and it has not expired;
/// its claims part with the genuine MAC, never refused as mis-signed, and
/// when accepted its claims reissue to a token that verifies to the same
/// claims; and that MAC altered, never accepted.
pub fn session_token(data: &[u8]) {
    let token = String::from_utf8_lossy(data);
    let key = SessionKey::from_bytes(SESSION_KEY);
    if let Ok(claims) = key.verify(&token, NOW) {
        let (body, mac) = token.split_once('.').expect("accepted a token without a MAC");
        assert_eq!(mac, session_mac(body), "accepted a forged MAC");
        check_claims(&key, &claims);
    }

    let body = token.split('.').next().unwrap_or_default();
    let mac = session_mac(body);
    let genuine = key.verify(&format!("{body}.{mac}"), NOW);
    assert_ne!(genuine, Err(SessionError::BadSignature), "refused the genuine MAC");
    if let Ok(claims) = &genuine {
        check_claims(&key, claims);
    }
    // The first character carries the MAC's first 6 bits: a different MAC.
    let flipped = if mac.starts_with('A') { 'B' } else { 'A' };
    let forged = key.verify(&format!("{body}.{flipped}{}", &mac[1..]), NOW);
    assert!(forged.is_err(), "accepted a forged MAC");
    if genuine.is_ok() {
        assert_eq!(
            forged,
            Err(SessionError::BadSignature),
            "a forged MAC refused for another reason"
        );
    }
}

fn check_claims(key: &SessionKey, claims: &SessionClaims) {
    assert!(claims.expires > NOW, "accepted an expired token");
    let reissued = key.issue(claims);
    assert_eq!(
        key.verify(&reissued, NOW).as_ref(),
        Ok(claims),
        "reissued claims changed"
    );
}

// ---------------------------------------------------------------------------
// manifest: TOML text.

/// The input as a manifest (lossily UTF-8). Properties: parsing never
/// panics; a manifest that parses has durations that do not panic; and if
/// it names a bundled game, hosting that game with it either refuses it
/// with an error or builds a room.
pub fn manifest(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(manifest) = Manifest::parse(&text) else {
        return;
    };
    let _ = (
        manifest.reconnect_grace(),
        manifest.tick_interval(),
        manifest.match_length(),
    );
    assert_eq!(manifest.turn_based(), manifest.tick_rate.is_none());
    // Hosting builds a first room (see `Catalog::add`).
    let mut catalog = Catalog::new();
    let _ = match manifest.name.as_str() {
        "arena" => catalog.add::<parlor_games::arena::Arena>(manifest),
        "tictactoe" => catalog.add::<parlor_games::tictactoe::TicTacToe>(manifest),
        "trivia" => catalog.add::<parlor_games::trivia::Trivia>(manifest),
        "eights" => catalog.add::<parlor_games::eights::Eights>(manifest),
        _ => return,
    };
}

// ---------------------------------------------------------------------------
// Seeds.

/// Small valid inputs for each target, with a name: where the fuzzer
/// starts. tests/fuzz_regressions.rs checks that each passes its target
/// and that the ones meant to be accepted are, and writes them to
/// fuzz/corpus/ when asked (see fuzz/run.sh).
pub fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    match target {
        "client_message" => client_message_seeds(),
        "websocket_frames" => client_message_seeds()
            .into_iter()
            .map(|(name, frame)| {
                let mut data = vec![15];
                data.extend(masked_frame(0x2, &frame));
                data.extend(masked_frame(0x9, b"hi"));
                data.extend(masked_frame(0x8, &[0x03, 0xe8]));
                (name, data)
            })
            .collect(),
        "init_data" => init_data_seeds(),
        "session_token" => session_token_seeds(),
        "manifest" => manifest_seeds(),
        _ => Vec::new(),
    }
}

/// One client frame as it travels: FIN, `opcode`, masked with a fixed key.
pub fn masked_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = vec![0x80 | opcode];
    match payload.len() {
        n @ 0..=125 => frame.push(0x80 | n as u8),
        n @ 126..=0xffff => {
            frame.push(0x80 | 126);
            frame.extend((n as u16).to_be_bytes());
        }
        n => {
            frame.push(0x80 | 127);
            frame.extend((n as u64).to_be_bytes());
        }
    }
    frame.extend(mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

fn client_message_seeds() -> Vec<(String, Vec<u8>)> {
    let rid = Some(Rid(7));
    let messages: Vec<ClientMessage<Value>> = vec![
        ClientMessage::Hello {
            v: 1,
            init_data: None,
            guest: Some("Ann".into()),
            session: None,
            compact: true,
            lean: true,
            rid,
        },
        ClientMessage::Quick {
            game: "arena".into(),
            rid: None,
        },
        ClientMessage::Create {
            game: "tictactoe".into(),
            private: true,
            rid,
        },
        ClientMessage::Join {
            room: "ABCDEF".into(),
            rid,
        },
        ClientMessage::Chat {
            game: "trivia".into(),
            rid,
        },
        ClientMessage::Input {
            seq: 3,
            d: serde_json::json!({"dx": 0.5, "dy": -1.0}),
            rid,
        },
        ClientMessage::Input {
            seq: 4,
            d: serde_json::json!({"cell": 4}),
            rid: None,
        },
        ClientMessage::Input {
            seq: 5,
            d: serde_json::json!({"choice": 2}),
            rid: None,
        },
        ClientMessage::Leave { rid },
        ClientMessage::Ping { n: 9, rid: None },
    ];
    messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| (format!("{i}-{}", kind(&m)), m.encode()))
        .collect()
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Launch data for [`BOT_TOKEN`], signed here, and a genuine
/// Telegram-signed vector for [`BOT_ID`] (Telegram-Mini-Apps/init-data-golang,
/// validate_third_party_test.go).
fn init_data_seeds() -> Vec<(String, Vec<u8>)> {
    let auth_date = (NOW - 30).to_string();
    let user = r#"{"id":5,"first_name":"Ann","last_name":"Lee","username":"ann","is_premium":true}"#;
    let sign = |pairs: &[(&str, &str)]| {
        let owned: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        format!("{}&hash={}", form_encode(pairs), hex::encode(telegram_hash(&owned)))
    };
    let minimal = sign(&[("user", user), ("auth_date", &auth_date)]);
    let full = sign(&[
        ("query_id", "AAHdF6IQ"),
        ("user", user),
        ("chat_instance", "-5471737045128434439"),
        ("chat_type", "group"),
        ("start_param", "room-AB_12"),
        ("auth_date", &auth_date),
    ]);
    let third_party = concat!(
        "user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Vladislav%20%2B%20-%20%3F%20%5C%2F%22%2C",
        "%22last_name%22%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22ru%22%2C",
        "%22is_premium%22%3Atrue%2C%22allows_write_to_pm%22%3Atrue%2C%22photo_url%22%3A%22https%3A%5C%2F%5C%2F",
        "t.me%5C%2Fi%5C%2Fuserpic%5C%2F320%5C%2F4FPEE4tmP3ATHa57u6MqTDih13LTOiMoKoLDRG4PnSA.svg%22%7D",
        "&chat_instance=8134722200314281151&chat_type=private&auth_date=1733584787",
        "&signature=zL-ucjNyREiHDE8aihFwpfR9aggP2xiAo3NSpfe-p7IbCisNlDKlo7Kb6G4D0Ao2mBrSgEk4maLSdv6MLIlADQ"
    );
    // Unsigned: the target signs it itself (its second check).
    let unsigned = form_encode(&[("user", user), ("auth_date", &auth_date), ("start_param", "x")]);
    [
        ("minimal", minimal),
        ("full", full),
        ("telegram-signed", third_party.to_owned()),
        ("unsigned", unsigned),
    ]
    .into_iter()
    .map(|(name, raw)| (name.to_owned(), raw.into_bytes()))
    .collect()
}

fn session_token_seeds() -> Vec<(String, Vec<u8>)> {
    let key = SessionKey::from_bytes(SESSION_KEY);
    let claims = |chat: Option<&str>| SessionClaims {
        player_id: "tg:279058397".into(),
        name: "Vladislav Kibenko".into(),
        expires: NOW + 3600,
        chat_instance: chat.map(str::to_owned),
        sid: "0123456789abcdef0123456789abcdef".into(),
        generation: 2,
        started: NOW - 60,
    };
    let guest = SessionClaims {
        player_id: "guest:7f3a".into(),
        name: "Ann".into(),
        expires: NOW + 60,
        chat_instance: None,
        sid: "fedcba9876543210fedcba9876543210".into(),
        generation: 0,
        started: NOW,
    };
    vec![
        (
            "telegram".into(),
            key.issue(&claims(Some("8134722200314281151"))).into_bytes(),
        ),
        ("no-chat".into(), key.issue(&claims(None)).into_bytes()),
        ("guest".into(), key.issue(&guest).into_bytes()),
    ]
}

fn manifest_seeds() -> Vec<(String, Vec<u8>)> {
    let bundled = [
        ("arena", include_str!("../games/manifests/arena.toml")),
        ("tictactoe", include_str!("../games/manifests/tictactoe.toml")),
        ("trivia", include_str!("../games/manifests/trivia.toml")),
        ("eights", include_str!("../games/manifests/eights.toml")),
    ];
    let mut seeds: Vec<(String, Vec<u8>)> = bundled
        .into_iter()
        .map(|(name, text)| (name.to_owned(), text.as_bytes().to_vec()))
        .collect();
    seeds.push((
        "all-fields".into(),
        b"name = \"quiz-2\"\ntitle = \"Quiz\"\nmin_players = 1\nmax_players = 250\ntick_rate = 120\n\
match_seconds = 5\ncontinuous = true\nreconnect_grace_secs = 600\ninput_rate = 1000\n\
[settings]\nrounds = 3\nname = 'x'\nlist = [1, 2.5, \"s\", 1979-05-27T07:32:00Z]\n"
            .to_vec(),
    ));
    seeds
}
