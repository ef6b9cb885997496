//! Shared set-up for the benchmarks: real rooms with real outbound queues,
//! driven without sockets so the engine's own cost is what is measured;
//! and in [`server`], a release server as a child process.
#![allow(dead_code)]

pub mod server;

use std::sync::Arc;

use parlor::catalog::{Catalog, ManifestSource};
use parlor::ledger::SqliteLedger;
use parlor::lifecycle::Lifecycle;
use parlor::matchmaking::LocalDirectory;
use parlor::protocol::{ClientMessage, PatchForm};
use parlor::room::{ClientHandle, Join, Outbound, PlayerInfo, RecordedInput, Room, RoomCommand, RoomContext};
use parlor::simulation::AnyInput;
use tokio::sync::{mpsc, oneshot};

/// A room context with a SQLite ledger in a temporary directory.
pub fn context(rt: &tokio::runtime::Runtime, catalog: &Catalog) -> (RoomContext, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = rt.block_on(SqliteLedger::open(dir.path())).unwrap();
    let _ = catalog;
    let ctx = RoomContext {
        ledger: Arc::new(ledger),
        directory: Arc::new(LocalDirectory::default()),
        lifecycle: Lifecycle::new(),
        inbox: 1024,
        outbound_reserve: 8,
        unclaimed_grace: std::time::Duration::from_secs(30),
        shutdown_grace: std::time::Duration::from_secs(10),
        metrics: Arc::default(),
    };
    (ctx, dir)
}

pub fn bundled() -> Catalog {
    parlor_games::bundled(&ManifestSource::Bundled).unwrap()
}

/// A room of `game` with `players` seated, asking for `patch`; returns
/// their outbound queues.
pub fn seated_room(
    ctx: &RoomContext,
    catalog: &Catalog,
    game: &str,
    players: usize,
    queue: usize,
) -> (Room, Vec<mpsc::Receiver<Outbound>>) {
    seated_room_asking(ctx, catalog, game, players, queue, PatchForm::Patch)
}

/// [`seated_room`] with clients that asked for patches in `form`.
pub fn seated_room_asking(
    ctx: &RoomContext,
    catalog: &Catalog,
    game: &str,
    players: usize,
    queue: usize,
    form: PatchForm,
) -> (Room, Vec<mpsc::Receiver<Outbound>>) {
    let game = catalog.get(game).unwrap().clone();
    let mut room = Room::new(ctx.clone(), game, parlor::matchmaking::new_room_code().into());
    let mut queues = Vec::new();
    for i in 0..players {
        let (client, rx) = ClientHandle::queue(queue, 0, form);
        let (reply, _) = oneshot::channel();
        room.handle(RoomCommand::Join(Box::new(Join {
            player: player(i),
            client,
            resume: false,
            rid: None,
            reply,
        })));
        queues.push(rx);
    }
    (room, queues)
}

/// A player's real outbound queue of `capacity` messages, as a connection
/// holds it.
pub fn client_queue(capacity: usize) -> (ClientHandle, mpsc::Receiver<Outbound>) {
    ClientHandle::queue(capacity, 0, PatchForm::Patch)
}

pub fn player(i: usize) -> PlayerInfo {
    PlayerInfo {
        id: format!("bench:{i}").into(),
        name: format!("Bot {i}").into(),
    }
}

/// Empties the outbound queues, each item made the frame its connection
/// would write (a patch gets its ack); returns the bytes a client would
/// receive.
pub fn drain(queues: &mut [mpsc::Receiver<Outbound>]) -> usize {
    let mut bytes = 0;
    for q in queues {
        while let Ok(item) = q.try_recv() {
            bytes += item.into_frame().len();
        }
    }
    bytes
}

/// A steering input for the arena, as a room receives it from a session
/// (with its frame, if the catalog's arena records).
pub fn steer(catalog: &Catalog, player: usize, seq: u32) -> RoomCommand {
    let angle = (player as f32 * 0.7 + seq as f32 * 0.1).sin() * std::f32::consts::PI;
    let frame = rmp_serde::to_vec_named(&serde_json::json!({
        "t": "input", "seq": seq, "d": {"dx": angle.cos(), "dy": angle.sin()}
    }))
    .unwrap();
    let (seq, data) = decode_input(catalog, "arena", &frame);
    RoomCommand::Input {
        player: self::player(player).id,
        seq,
        data: RecordedInput::wrap(catalog.get("arena").unwrap(), data, &frame),
    }
}

/// An `input` frame decoded as the session does, for `game`'s room.
pub fn decode_input(catalog: &Catalog, game: &str, frame: &[u8]) -> (u32, AnyInput) {
    match catalog.get(game).unwrap().decode_client(frame).unwrap() {
        ClientMessage::Input { seq, d, .. } => (seq, d),
        _ => panic!("not an input"),
    }
}

/// CPU seconds this process has used (user + system), from /proc.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// The value after `flag` on the bench's command line (`-- --rooms 500`).
pub fn flag_value(flag: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned()
}
