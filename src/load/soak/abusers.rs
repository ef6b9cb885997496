//! The soak's abusers, each from its own loopback address, each starting
//! over at a bounded pace for the whole run after the server closes or
//! refuses it. What the server did to each attempt goes to the tally.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::RngExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;

use super::tally::Outcome;
use super::wire::{self, close_code, connect, hello, pause, source, tcp, unless_stopped, Group};
use super::Ctx;
use crate::client::{Client, ClientError};
use crate::load::bot::Request;
use crate::protocol::{ErrorCode, ServerMessage, Value};

/// The tally's name for each abuser.
pub const PING_FLOOD: &str = "ping flooder (never reads)";
pub const CODE_GUESSER: &str = "room code guesser";
pub const ROOM_DROPPER: &str = "room opener that drops";
pub const HALF_OPEN_HTTP: &str = "half-sent HTTP requests";

/// Pings one flood sends at most, and for how long.
const FLOOD_PINGS: u64 = 50_000;
const FLOOD_FOR: Duration = Duration::from_secs(20);
/// Guesses one connection makes at most before the soak calls it
/// uncontained (the server's budget closes it after ~40).
const GUESSES: u32 = 300;
/// The room codes' alphabet (docs/protocol.md).
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// Connects, says nothing or `hello` (every other time, so both the
/// deadline before sign-in and the ping limit after it are exercised),
/// then sends websocket pings as fast as the socket takes them and never
/// reads. Contained: the server closes it.
pub async fn ping_flooder(ctx: Arc<Ctx>, mut stop: watch::Receiver<bool>) {
    let from = source(Group::Abuser, 1);
    for attempt in 0u64.. {
        let outcome = match connect(ctx.server, from, None).await {
            Err(e) => Outcome::Refused(wire::refusal(&e)),
            Ok(mut client) => {
                let signed_in = attempt % 2 == 1;
                if signed_in {
                    let _ = hello(&mut client, Some("flooder".into()), None).await;
                }
                match unless_stopped(&mut stop, flood(&mut client)).await {
                    Some(outcome) => outcome,
                    None => return,
                }
            }
        };
        ctx.tally.abuse(PING_FLOOD, outcome);
        if !pause(&mut stop, Duration::from_secs(5)).await {
            return;
        }
    }
}

async fn flood(client: &mut Client) -> Outcome {
    let start = Instant::now();
    let mut sent = 0u64;
    let mut refused = false;
    while sent < FLOOD_PINGS && start.elapsed() < FLOOD_FOR {
        let payload = sent.to_le_bytes().to_vec();
        match tokio::time::timeout(
            Duration::from_secs(1),
            client.send_message(Message::Ping(payload.into())),
        )
        .await
        {
            Ok(Ok(())) => sent += 1,
            Ok(Err(_)) => {
                refused = true;
                break;
            }
            // A blocked write: the server stopped reading; see whether it
            // also closes.
            Err(_) => {}
        }
    }
    let took = start.elapsed().as_secs_f64();
    // The close frame, if it arrived before the connection was reset.
    match tokio::time::timeout(Duration::from_secs(5), client.recv_frame()).await {
        Ok(Err(ClientError::Closed(closed))) => Outcome::Closed(close_code(&closed), took),
        Ok(Err(_)) => Outcome::Closed("dropped".into(), took),
        _ if refused => Outcome::Closed("reset".into(), took),
        _ => Outcome::Open(format!("open after {sent} pings in {took:.0} s")),
    }
}

/// Signs in and sends `join` with random room codes, reading each answer.
/// Contained: the server closes it within [`GUESSES`] and no guess
/// joined a room.
pub async fn code_guesser(ctx: Arc<Ctx>, mut stop: watch::Receiver<bool>) {
    let from = source(Group::Abuser, 2);
    loop {
        let outcome = match connect(ctx.server, from, None).await {
            Err(e) => Outcome::Refused(wire::refusal(&e)),
            Ok(mut client) => match hello(&mut client, Some("guesser".into()), None).await {
                Err(e) => Outcome::Closed(format!("at hello: {e}"), 0.0),
                Ok(_) => match unless_stopped(&mut stop, guess(&mut client)).await {
                    Some(outcome) => outcome,
                    None => return,
                },
            },
        };
        ctx.tally.abuse(CODE_GUESSER, outcome);
        if !pause(&mut stop, Duration::from_secs(3)).await {
            return;
        }
    }
}

fn random_code() -> String {
    let mut rng = rand::rng();
    (0..6)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

async fn guess(client: &mut Client) -> Outcome {
    let start = Instant::now();
    for _ in 0..GUESSES {
        let join = Request::Join {
            room: random_code(),
            rid: None,
        };
        if let Err(e) = client.send(&join).await {
            return Outcome::Closed(closed_by(&e), start.elapsed().as_secs_f64());
        }
        loop {
            match tokio::time::timeout(wire::ANSWER, client.recv::<Value>()).await {
                Err(_) => break,
                Ok(Err(e)) => return Outcome::Closed(closed_by(&e), start.elapsed().as_secs_f64()),
                Ok(Ok(ServerMessage::Joined { room, .. })) => {
                    return Outcome::Breach(format!("a guessed code joined room {room} and got its state"))
                }
                Ok(Ok(ServerMessage::Error { .. })) => break,
                Ok(Ok(_)) => {}
            }
        }
    }
    Outcome::Open(format!("{GUESSES} guesses on one connection and still open"))
}

fn closed_by(e: &ClientError) -> String {
    match e {
        ClientError::Closed(closed) => close_code(closed),
        _ => "dropped".into(),
    }
}

/// Every `plan.dropper_every`, opens `plan.dropper_burst` public arena rooms
/// as fast as it can, each on a new connection dropped right after the
/// room's `joined`. Contained: each room is gone (`/api/rooms/{code}`
/// 404) once the seat grace and a margin have passed, i.e. the dropper
/// kept no room; refusals (HTTP 429, `rate_limited`, `server_full`) are
/// the room budget at work.
pub async fn room_dropper(ctx: Arc<Ctx>, mut stop: watch::Receiver<bool>) {
    let from = source(Group::Abuser, 3);
    let (opened_tx, opened_rx) = mpsc::unbounded_channel();
    tokio::spawn(check_rooms(ctx.clone(), opened_rx, stop.clone()));
    loop {
        for _ in 0..ctx.plan.dropper_burst {
            if *stop.borrow() {
                return;
            }
            match open_and_drop(&ctx, from).await {
                Ok(code) => {
                    let _ = opened_tx.send((code, Instant::now()));
                }
                Err(outcome) => ctx.tally.abuse(ROOM_DROPPER, outcome),
            }
        }
        if !pause(&mut stop, ctx.plan.dropper_every).await {
            return;
        }
    }
}

/// Opens one room and drops the connection; the room's code, or how the
/// server refused.
async fn open_and_drop(ctx: &Ctx, from: std::net::IpAddr) -> Result<String, Outcome> {
    let mut client = connect(ctx.server, from, None)
        .await
        .map_err(|e| Outcome::Refused(wire::refusal(&e)))?;
    hello(&mut client, Some("dropper".into()), None)
        .await
        .map_err(|e| Outcome::Refused(format!("hello: {e}")))?;
    let create = Request::Create {
        game: "arena".into(),
        private: false,
        rid: None,
    };
    client
        .send(&create)
        .await
        .map_err(|e| Outcome::Refused(format!("create: {e}")))?;
    loop {
        match wire::answer(&mut client).await {
            Ok(ServerMessage::Joined { room, .. }) => return Ok(room),
            Ok(ServerMessage::Error { code, .. }) => return Err(Outcome::Refused(refused_code(code))),
            Ok(_) => {}
            Err(e) => return Err(Outcome::Refused(format!("create: {e}"))),
        }
    }
}

fn refused_code(code: ErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{code:?}"))
}

/// Looks up each room the dropper opened once the seat grace and a margin
/// have passed, from the harness's own address.
async fn check_rooms(
    ctx: Arc<Ctx>,
    mut opened: mpsc::UnboundedReceiver<(String, Instant)>,
    mut stop: watch::Receiver<bool>,
) {
    let from = source(Group::Checker, 0);
    let bound = ctx.plan.arena_grace + Duration::from_secs(15);
    while let Some(Some((code, at))) = unless_stopped(&mut stop, opened.recv()).await {
        let due = at + bound;
        if unless_stopped(&mut stop, tokio::time::sleep_until(due.into()))
            .await
            .is_none()
        {
            return;
        }
        let path = format!("/api/rooms/{code}");
        let outcome = match wire::http_status(ctx.server, from, &path).await {
            Ok(404) => Outcome::Closed("room closed".into(), at.elapsed().as_secs_f64()),
            Ok(200) => Outcome::Open(format!(
                "room {code} still open {:.0} s after its creator dropped",
                at.elapsed().as_secs_f64()
            )),
            // Not known either way (e.g. the checker's own budget): skip.
            Ok(_) | Err(_) => continue,
        };
        ctx.tally.abuse(ROOM_DROPPER, outcome);
    }
}

/// Holds `plan.half_open` raw TCP connections from one address, each
/// having sent half an HTTP request; as each ends, opens another a second
/// later. Contained: the server closes each within
/// `plan.half_open_bound` (an idle or header timeout), or refuses it at
/// once (the per-address limit).
pub async fn half_open_http(ctx: Arc<Ctx>, stop: watch::Receiver<bool>) {
    let mut slots = Vec::new();
    for _ in 0..ctx.plan.half_open {
        slots.push(tokio::spawn(half_open_slot(ctx.clone(), stop.clone())));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for slot in slots {
        let _ = slot.await;
    }
}

async fn half_open_slot(ctx: Arc<Ctx>, mut stop: watch::Receiver<bool>) {
    let from = source(Group::Abuser, 4);
    loop {
        let outcome = match tcp(ctx.server, from, None).await {
            Err(e) => Outcome::Refused(format!("connect: {}", e.kind())),
            Ok(mut stream) => {
                let half = format!("GET /health HTTP/1.1\r\nHost: {}\r\nUser-Agent: soak\r\n", ctx.server);
                let opened = Instant::now();
                if stream.write_all(half.as_bytes()).await.is_err() {
                    Outcome::Refused("closed at once".into())
                } else {
                    let mut buf = [0u8; 512];
                    let read = unless_stopped(
                        &mut stop,
                        tokio::time::timeout(ctx.plan.half_open_bound, stream.read(&mut buf)),
                    )
                    .await;
                    let secs = opened.elapsed().as_secs_f64();
                    match read {
                        None => return,
                        Some(Err(_)) => Outcome::Open(format!(
                            "half a request held open {:.0} s",
                            ctx.plan.half_open_bound.as_secs_f64()
                        )),
                        Some(Ok(Ok(0))) | Some(Ok(Err(_))) if secs < 1.0 => Outcome::Refused("closed at once".into()),
                        Some(Ok(Ok(0))) | Some(Ok(Err(_))) => Outcome::Closed("closed".into(), secs),
                        // The server answered the half request (e.g. 408 or 429).
                        Some(Ok(Ok(n))) => {
                            let status = String::from_utf8_lossy(&buf[..n.min(12)]).to_string();
                            match status.get(9..12).unwrap_or("?") {
                                "429" => Outcome::Refused("http 429".into()),
                                code => Outcome::Closed(format!("http {code}"), secs),
                            }
                        }
                    }
                }
            }
        };
        ctx.tally.abuse(HALF_OPEN_HTTP, outcome);
        if !pause(&mut stop, Duration::from_secs(1)).await {
            return;
        }
    }
}
