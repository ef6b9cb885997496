//! The protocol the two load baselines (raw-baseline and floor) speak:
//! the same answers and the same padded `patch` of no game, so
//! benches/compare.sh compares servers, not frames.

use bytes::Bytes;
use parlor::protocol::{frames, ClientMessage, PlayerRef, RoomState};
use serde::de::IgnoredAny;

/// The empty lists a patch of no game carries (also its `joined` schema).
pub const EMPTY: [u8; 1] = [0x90];

/// A patch map without its `ack`, padded so that the frame with a 5-byte
/// ack is `size` bytes.
pub fn patch_prefix(size: usize) -> Vec<u8> {
    let base = |pad: usize| {
        let lists = frames::PatchLists {
            ch: &EMPTY,
            rm: &EMPTY,
            gone: &EMPTY,
            r: None,
        };
        let mut w = frames::patch_prefix(1 << 20, &lists).to_vec();
        // The prefix's map already counts the "ack" the frame ends with;
        // one more entry for "pad".
        w[0] += 1;
        rmp::encode::write_str(&mut w, "pad").expect("vec");
        rmp::encode::write_bin(&mut w, &vec![0u8; pad]).expect("vec");
        w
    };
    let fixed = base(0).len() + 4 + 5; // "ack" key and a u32
    let mut pad = size.saturating_sub(fixed);
    // The bin header grows past 255 bytes; settle on the exact size.
    while base(pad).len() + 9 > size && pad > 0 {
        pad -= 1;
    }
    base(pad)
}

/// The answer to one client message (a binary frame's payload): `welcome`
/// to `hello`; `joined` (a room of no game: a `join`'s code, else room
/// `next_room()`) to `create`, `quick` and `join`, with `true` (the client
/// entered a room: its patches start); nothing to the rest. An `input`
/// raises `ack` to its `seq`; what does not decode is ignored.
pub fn answer(message: &[u8], ack: &mut u32, next_room: impl FnOnce() -> u64) -> (Option<Bytes>, bool) {
    let Ok(message) = ClientMessage::<IgnoredAny>::decode(message) else {
        return (None, false);
    };
    match message {
        ClientMessage::Hello { rid, .. } => {
            let player = PlayerRef {
                id: "raw".into(),
                name: "raw".into(),
            };
            (Some(frames::welcome(&player, "", None, rid)), false)
        }
        ClientMessage::Create { rid, .. } | ClientMessage::Quick { rid, .. } | ClientMessage::Join { rid, .. } => {
            let room = match message {
                ClientMessage::Join { room, .. } => room,
                _ => format!("R{:05}", next_room()),
            };
            let state = rmp_serde::to_vec_named(&RoomState::<()> { e: vec![], r: vec![] }).expect("encodes");
            let joined = frames::joined(&frames::Joined {
                room: &room,
                invite: None,
                game: "raw",
                you: Some(0),
                fair: None,
                tick: 0,
                schema: &EMPTY,
                state: &state,
                rid,
            });
            (Some(joined), true)
        }
        ClientMessage::Input { seq, .. } => {
            *ack = (*ack).max(seq);
            (None, false)
        }
        _ => (None, false),
    }
}
