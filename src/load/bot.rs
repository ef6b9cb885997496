//! One load bot: a protocol v1 client over tokio-tungstenite.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::stats::BotSample;
use super::{Grouping, LoadConfig, Shared};
use crate::client::{Client, ClientError};
use crate::protocol::ClientMessage;

/// How often a bot hands its sample to the aggregate.
const REPORT_EVERY: Duration = Duration::from_millis(250);
/// Inputs awaiting their ack, at most.
const IN_FLIGHT: usize = 256;

/// The room codes of `per_room` groups, published by each group's first bot.
#[derive(Clone)]
pub struct Groups {
    codes: Arc<Vec<watch::Sender<Option<String>>>>,
    per_room: Option<usize>,
}

impl Groups {
    pub fn new(config: &LoadConfig) -> Groups {
        let per_room = match config.grouping {
            Grouping::PerRoom(n) => Some(n.max(1) as usize),
            Grouping::Quick => None,
        };
        let groups = per_room.map_or(0, |n| config.clients.div_ceil(n));
        Groups {
            codes: Arc::new((0..groups).map(|_| watch::channel(None).0).collect()),
            per_room,
        }
    }
}

/// The fields of a server frame a bot looks at; the rest is skipped.
#[derive(Deserialize)]
pub(super) struct Peek<'a> {
    pub t: &'a str,
    #[serde(default)]
    ack: Option<u32>,
    /// The ack of a compact patch.
    #[serde(default)]
    a: Option<u32>,
    #[serde(default)]
    room: Option<String>,
    /// A private room's invite, in `joined`.
    #[serde(default)]
    invite: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    /// The session token in `welcome`.
    #[serde(default)]
    session: Option<String>,
    /// Where a `redirect` sends the client.
    #[serde(default)]
    url: Option<String>,
}

/// What a seat request was answered with.
enum Answer {
    /// `joined`: what joins the room (its invite, else its code).
    Joined(Option<String>),
    /// `redirect`: the node's URL and the room.
    Redirect(String, String),
}

/// The arena's steering input, as the bots send it.
#[derive(Serialize)]
pub(super) struct Steer {
    pub dx: f32,
    pub dy: f32,
}

/// A message without an input, as the bots send before they steer.
pub(super) type Request = ClientMessage<()>;

/// Runs bot `i` until `stop`; errors are reported, never panicked on.
pub async fn run(i: usize, shared: Arc<Shared>, groups: Groups, mut stop: watch::Receiver<bool>) {
    let mut sample = BotSample::default();
    // A small read buffer: tungstenite zero-fills all of it on every read.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let url = shared.config.node_url(i);
    let mut socket = match Client::connect_with(url, config).await {
        Ok(socket) => socket,
        Err(ClientError::Socket(tungstenite::Error::Http(response))) if response.status() == 429 => {
            sample.errors.push(
                "connect: HTTP 429, the server's per-address connection limit; raise [limits] \
                     connections_per_ip in the server's config"
                    .to_owned(),
            );
            shared.stats.report(&sample);
            return;
        }
        Err(e) => {
            sample.errors.push(format!("connect: {e}"));
            shared.stats.report(&sample);
            return;
        }
    };
    let outcome = play(i, &shared, &groups, &mut socket, &mut sample, &mut stop).await;
    if let Err(e) = outcome {
        sample.errors.push(e);
    }
    shared.stats.report(&sample);
    socket.close().await;
}

async fn send<D: Serialize>(socket: &mut Client, message: &ClientMessage<D>) -> Result<(), String> {
    socket.send(message).await.map_err(|e| format!("send: {e}"))
}

/// Reads `welcome`; returns its session token.
async fn welcome(socket: &mut Client, stop: &mut watch::Receiver<bool>) -> Result<String, String> {
    loop {
        let frame = next_frame(socket, "welcome", stop).await?;
        let peek: Peek = rmp_serde::from_slice(&frame).map_err(|e| format!("undecodable frame: {e}"))?;
        match peek.t {
            "welcome" => return Ok(peek.session.unwrap_or_default()),
            "error" => return Err(refused(peek, "welcome")),
            _ => {}
        }
    }
}

/// Reads until the seat request's answer: `joined` or `redirect`.
async fn seated(socket: &mut Client, stop: &mut watch::Receiver<bool>) -> Result<Answer, String> {
    loop {
        let frame = next_frame(socket, "joined", stop).await?;
        let peek: Peek = rmp_serde::from_slice(&frame).map_err(|e| format!("undecodable frame: {e}"))?;
        match peek.t {
            "joined" => return Ok(Answer::Joined(peek.invite.or(peek.room))),
            "redirect" => {
                return Ok(Answer::Redirect(
                    peek.url.unwrap_or_default(),
                    peek.room.unwrap_or_default(),
                ))
            }
            "error" => return Err(refused(peek, "joined")),
            _ => {}
        }
    }
}

async fn next_frame(socket: &mut Client, t: &str, stop: &mut watch::Receiver<bool>) -> Result<bytes::Bytes, String> {
    tokio::select! {
        frame = socket.recv_frame() => frame.map_err(|e| format!("while waiting for {t}: {e}")),
        _ = stop.changed() => Err(format!("stopped while waiting for {t}")),
    }
}

fn refused(peek: Peek, t: &str) -> String {
    format!(
        "error {} while waiting for {t}: {}",
        peek.code.unwrap_or_default(),
        peek.message.unwrap_or_default()
    )
}

async fn play(
    i: usize,
    shared: &Shared,
    groups: &Groups,
    socket: &mut Client,
    sample: &mut BotSample,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), String> {
    let config = &shared.config;
    send(socket, &Request::hello(Some(format!("bot{i}")), None, config.form)).await?;
    let mut session = welcome(socket, stop).await?;
    let game = config.game.clone();
    match groups.per_room {
        None => send(socket, &Request::Quick { game, rid: None }).await?,
        Some(n) if i.is_multiple_of(n) => {
            let create = Request::Create {
                game,
                private: true,
                rid: None,
            };
            send(socket, &create).await?
        }
        Some(n) => {
            let mut code = groups.codes[i / n].subscribe();
            let code = tokio::select! {
                code = code.wait_for(Option::is_some) => code.map_err(|_| "room leader gone".to_string())?.clone(),
                _ = stop.changed() => return Err("stopped while waiting for the room code".into()),
            };
            let room = code.unwrap_or_default();
            send(socket, &Request::Join { room, rid: None }).await?;
        }
    }
    // A room on another node: sign in there as the same player (the
    // session token) and join, as the SDK does; a few times at most.
    let mut room = None;
    for redirects in 0.. {
        match seated(socket, stop).await? {
            Answer::Joined(joined) => {
                room = joined;
                break;
            }
            Answer::Redirect(_, _) if redirects >= 3 => return Err("redirected more than 3 times".into()),
            Answer::Redirect(url, code) => {
                let there = Client::connect_with(&url, WebSocketConfig::default().read_buffer_size(4096))
                    .await
                    .map_err(|e| format!("connect to {url} after redirect: {e}"))?;
                socket.close().await;
                *socket = there;
                send(socket, &Request::hello(None, Some(session.clone()), shared.config.form)).await?;
                session = welcome(socket, stop).await?;
                send(socket, &Request::Join { room: code, rid: None }).await?;
            }
        }
    }
    if let (Some(n), Some(room)) = (groups.per_room, room) {
        if i.is_multiple_of(n) {
            groups.codes[i / n].send_replace(Some(room));
        }
    }
    shared.in_room.fetch_add(1, Ordering::Relaxed);
    let result = steady(socket, shared, sample, stop).await;
    shared.in_room.fetch_sub(1, Ordering::Relaxed);
    result
}

/// The measured part: read frames, send inputs, report.
async fn steady(
    socket: &mut Client,
    shared: &Shared,
    sample: &mut BotSample,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), String> {
    let config = &shared.config;
    let period = Duration::from_secs_f64(1.0 / config.tick_hz);
    let mut rng = SmallRng::from_rng(&mut rand::rng());
    let input_every = (config.input_hz > 0.0).then(|| Duration::from_secs_f64(1.0 / config.input_hz));
    // A random phase, so bots do not send in lockstep.
    let mut next_input = input_every.map(|p| tokio::time::Instant::now() + p.mul_f64(rng.random_range(0.0..1.0)));
    let mut next_report = tokio::time::Instant::now() + REPORT_EVERY;
    let mut in_flight: VecDeque<(u32, Instant)> = VecDeque::with_capacity(IN_FLIGHT);
    let mut seq = 0u32;
    let mut last_patch: Option<Instant> = None;
    let mut angle: f32 = rng.random_range(0.0..std::f32::consts::TAU);
    loop {
        tokio::select! {
            _ = stop.changed() => return Ok(()),
            _ = tokio::time::sleep_until(next_report) => {
                shared.stats.report(sample);
                *sample = BotSample::default();
                next_report += REPORT_EVERY;
            }
            _ = tokio::time::sleep_until(next_input.unwrap_or(next_report)), if next_input.is_some() => {
                seq += 1;
                angle += rng.random_range(-0.5..0.5);
                let steer = Steer { dx: angle.cos(), dy: angle.sin() };
                send(socket, &ClientMessage::Input { seq, d: steer, rid: None }).await?;
                if in_flight.len() == IN_FLIGHT {
                    in_flight.pop_front();
                }
                in_flight.push_back((seq, Instant::now()));
                next_input = next_input.zip(input_every).map(|(at, every)| at + every);
            }
            frame = socket.recv_frame() => match frame {
                Ok(b) => {
                    let now = Instant::now();
                    sample.bytes += b.len() as u64;
                    let peek: Peek = rmp_serde::from_slice(&b).map_err(|e| format!("undecodable frame: {e}"))?;
                    match peek.t {
                        "patch" | "p" => {
                            sample.patches += 1;
                            if let Some(prev) = last_patch.replace(now) {
                                let gap = now.duration_since(prev);
                                sample.jitter_us.push(gap.abs_diff(period).as_micros() as u64);
                            }
                            // A lean `p` carries the ack only when it changed.
                            let ack = peek.ack.or(peek.a).unwrap_or(0);
                            while in_flight.front().is_some_and(|(s, _)| *s <= ack) {
                                let (_, sent) = in_flight.pop_front().expect("checked");
                                sample.rtt_us.push(now.duration_since(sent).as_micros() as u64);
                            }
                        }
                        "error" => sample.errors.push(format!(
                            "{}: {}",
                            peek.code.unwrap_or_default(),
                            peek.message.unwrap_or_default()
                        )),
                        "left" => return Err(format!("left the room: {}", peek.reason.unwrap_or_default())),
                        _ => {}
                    }
                }
                Err(e) => return Err(format!("read: {e}")),
            }
        }
    }
}
