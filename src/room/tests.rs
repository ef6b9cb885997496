//! The room driven in-process, without sockets or a task: real rooms of
//! the test games (src/test_games.rs), real outbound queues, the real directory and a real
//! SQLite ledger in a temporary directory.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::*;
use crate::ledger::SqliteLedger;
use crate::lifecycle::Lifecycle;
use crate::matchmaking::LocalDirectory;

struct Bench {
    room: Room,
    _dir: tempfile::TempDir,
}

async fn room_of(game: &str, reserve: usize) -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let ledger = SqliteLedger::open(dir.path()).await.unwrap();
    let ctx = RoomContext {
        ledger: Arc::new(ledger),
        directory: Arc::new(LocalDirectory::default()),
        lifecycle: Lifecycle::new(),
        inbox: 64,
        outbound_reserve: reserve,
        unclaimed_grace: Duration::from_secs(30),
        shutdown_grace: Duration::from_secs(10),
        metrics: Arc::default(),
    };
    let catalog = crate::test_games::catalog();
    let game = catalog.get(game).unwrap().clone();
    Bench {
        room: Room::new(ctx, game, "ROOM22".into()),
        _dir: dir,
    }
}

fn player(name: &str) -> PlayerInfo {
    PlayerInfo {
        id: format!("guest:{name}").into(),
        name: name.into(),
    }
}

fn client(queue: usize) -> (ClientHandle, mpsc::Receiver<Outbound>) {
    ClientHandle::queue(queue, 1, crate::protocol::PatchForm::Patch)
}

fn join(room: &mut Room, who: &PlayerInfo, client: &ClientHandle, resume: bool) -> Result<(), ErrorCode> {
    let (reply, mut answer) = oneshot::channel();
    room.handle(RoomCommand::Join(Box::new(Join {
        player: who.clone(),
        client: client.clone(),
        resume,
        rid: Some(Rid(5)),
        reply,
    })));
    answer.try_recv().expect("a join is answered at once")
}

/// The kinds of what is queued, in order (`joined`, `patch`, `left:reason`).
fn drain(rx: &mut mpsc::Receiver<Outbound>) -> Vec<String> {
    let mut kinds = Vec::new();
    while let Ok(item) = rx.try_recv() {
        kinds.push(match item {
            Outbound::Frame(f) | Outbound::RoomFrame { frame: f, .. } => {
                let v: serde_json::Value = rmp_serde::from_slice(&f).unwrap();
                v["t"].as_str().unwrap().to_owned()
            }
            Outbound::Patch { .. } => "patch".into(),
            Outbound::Left { reason, .. } => format!("left:{}", reason.as_str()),
        });
    }
    kinds
}

/// Every client's outbound queue holds these; the idle-room memory figure
/// in docs/benchmarks.md depends on their size.
#[cfg(target_pointer_width = "64")]
#[test]
fn an_outbound_slot_is_40_bytes() {
    assert_eq!(std::mem::size_of::<Outbound>(), 40);
}

#[tokio::test]
async fn the_same_player_from_a_new_connection_takes_the_seat_over() {
    let mut b = room_of("pair", 2).await;
    let ann = player("ann");
    let (first, mut first_rx) = client(8);
    let (second, mut second_rx) = client(8);
    join(&mut b.room, &ann, &first, false).unwrap();
    let entity = b.room.members[0].entity;
    join(&mut b.room, &ann, &second, false).unwrap();
    assert_eq!(b.room.members.len(), 1);
    assert_eq!(b.room.members[0].entity, entity, "the same seat");
    assert_eq!(drain(&mut first_rx), ["joined", "left:replaced"]);
    assert_eq!(drain(&mut second_rx), ["joined"]);
}

#[tokio::test]
async fn a_full_room_refuses_and_a_resume_never_opens_a_seat() {
    let mut b = room_of("pair", 2).await;
    let (c, _rx) = client(8);
    join(&mut b.room, &player("ann"), &c, false).unwrap();
    join(&mut b.room, &player("bob"), &c, false).unwrap();
    assert_eq!(join(&mut b.room, &player("cy"), &c, false), Err(ErrorCode::RoomFull));
    let mut fresh = room_of("pair", 2).await;
    assert_eq!(
        join(&mut fresh.room, &player("cy"), &c, true),
        Err(ErrorCode::NoSuchRoom)
    );
}

#[tokio::test]
async fn a_dropped_connection_holds_the_seat_and_only_its_own_notice_counts() {
    let mut b = room_of("pair", 2).await;
    let ann = player("ann");
    let (old, _old_rx) = client(8);
    let (new, _new_rx) = client(8);
    join(&mut b.room, &ann, &old, false).unwrap();
    join(&mut b.room, &ann, &new, true).unwrap();
    // The old connection's late notice does not mark the new one offline.
    b.room.handle(RoomCommand::Disconnect {
        player: ann.id.clone(),
        client: old.tx.clone(),
    });
    assert!(b.room.members[0].offline_until.is_none());
    b.room.handle(RoomCommand::Disconnect {
        player: ann.id.clone(),
        client: new.tx.clone(),
    });
    assert!(b.room.members[0].offline_until.is_some(), "held for the grace");
    // Taking it back by resume brings the player online.
    let (back, mut back_rx) = client(8);
    join(&mut b.room, &ann, &back, true).unwrap();
    assert!(b.room.members[0].offline_until.is_none());
    assert_eq!(drain(&mut back_rx), ["joined"]);
}

#[tokio::test]
async fn a_member_without_room_for_patches_is_resynced_with_joined() {
    let mut b = room_of("drift", 2).await;
    let (c, mut rx) = client(4);
    join(&mut b.room, &player("ann"), &c, false).unwrap();
    // joined took a slot; fill the queue to its reserve.
    b.room.tick();
    assert_eq!(rx.len(), 2);
    b.room.tick();
    assert_eq!(rx.len(), 2, "no patch while only the reserve is free");
    assert!(b.room.members[0].lagging);
    drain(&mut rx);
    b.room.tick();
    assert_eq!(drain(&mut rx), ["joined"], "a fresh joined instead of the missed patch");
    b.room.tick();
    assert_eq!(drain(&mut rx), ["patch"]);
}

#[tokio::test]
async fn a_stop_closes_a_waiting_room_at_once_and_gives_a_match_its_grace() {
    let mut waiting = room_of("pair", 2).await;
    let (c, mut rx) = client(8);
    join(&mut waiting.room, &player("ann"), &c, false).unwrap();
    waiting.room.begin_stop();
    assert!(waiting.room.is_closed());
    assert_eq!(drain(&mut rx), ["joined", "left:shutdown"]);

    let mut playing = room_of("pair", 2).await;
    join(&mut playing.room, &player("ann"), &c, false).unwrap();
    join(&mut playing.room, &player("bob"), &c, false).unwrap();
    playing.room.begin_stop();
    assert!(!playing.room.is_closed(), "the match goes on within the grace");
    let (late, _late_rx) = client(8);
    assert_eq!(
        join(&mut playing.room, &player("cy"), &late, false),
        Err(ErrorCode::NoSuchRoom),
        "a stopping room seats nobody new"
    );
}

/// Every slot of every room's inbox is this size: a recorded input's frame
/// travels inside the input's box, not beside it.
#[test]
fn an_inbox_slot_stays_at_40_bytes() {
    assert_eq!(std::mem::size_of::<super::RoomCommand>(), 40);
}
