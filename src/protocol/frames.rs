//! Every frame the server sends, assembled in one place.
//!
//! Plain messages are [`ServerMessage`]s serialized as they are. `joined`,
//! `patch`, `p` and `event` carry game values that replication encoded once
//! per tick; their envelopes are written here around those bytes with
//! [`FrameWriter`] instead of decoding and encoding the values again. A
//! patch is shared by a room's members up to its last entry, the ack, which
//! each client's connection appends ([`patch_with_ack`]).

use bytes::Bytes;

use super::{ErrorCode, LeftReason, PatchForm, PlayerRef, RankLine, Rid, ServerMessage, Value};

/// Appends MessagePack values to a buffer. Writing to a `Vec` cannot fail,
/// so the methods do not return errors.
#[derive(Default)]
pub struct FrameWriter {
    pub buf: Vec<u8>,
}

impl FrameWriter {
    pub fn with_capacity(n: usize) -> Self {
        FrameWriter {
            buf: Vec::with_capacity(n),
        }
    }

    pub fn map(&mut self, len: u32) -> &mut Self {
        let _ = rmp::encode::write_map_len(&mut self.buf, len);
        self
    }

    pub fn array(&mut self, len: u32) -> &mut Self {
        let _ = rmp::encode::write_array_len(&mut self.buf, len);
        self
    }

    pub fn str(&mut self, s: &str) -> &mut Self {
        let _ = rmp::encode::write_str(&mut self.buf, s);
        self
    }

    pub fn uint(&mut self, v: u64) -> &mut Self {
        let _ = rmp::encode::write_uint(&mut self.buf, v);
        self
    }

    /// A signed integer, in its shortest form.
    pub fn int(&mut self, v: i64) -> &mut Self {
        let _ = rmp::encode::write_sint(&mut self.buf, v);
        self
    }

    pub fn bool(&mut self, v: bool) -> &mut Self {
        let _ = rmp::encode::write_bool(&mut self.buf, v);
        self
    }

    pub fn nil(&mut self) -> &mut Self {
        let _ = rmp::encode::write_nil(&mut self.buf);
        self
    }

    /// Appends bytes that already hold one encoded value (or, inside an
    /// array whose length counts them, several).
    pub fn raw(&mut self, encoded: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(encoded);
        self
    }

    pub fn finish(self) -> Bytes {
        Bytes::from(self.buf)
    }
}

fn plain(message: &ServerMessage<Value>) -> Bytes {
    Bytes::from(rmp_serde::to_vec_named(message).expect("server messages serialize"))
}

/// `welcome`: signed in as `player`; `room` names a held seat.
pub fn welcome(player: &PlayerRef, session: &str, room: Option<&str>, rid: Option<Rid>) -> Bytes {
    plain(&ServerMessage::Welcome {
        player: player.clone(),
        session: session.to_owned(),
        room: room.map(str::to_owned),
        rid,
    })
}

/// `error`, echoing `rid` when it answers a request that carried one.
pub fn error(code: ErrorCode, message: &str, rid: Option<Rid>) -> Bytes {
    plain(&ServerMessage::Error {
        code,
        message: message.to_owned(),
        rid,
    })
}

/// `redirect`: the room lives on the node at `url`; the client connects
/// there and joins `room`.
pub fn redirect(url: &str, room: &str, rid: Option<Rid>) -> Bytes {
    plain(&ServerMessage::Redirect {
        url: url.to_owned(),
        room: room.to_owned(),
        rid,
    })
}

/// `left`.
pub fn left(reason: LeftReason, rid: Option<Rid>) -> Bytes {
    plain(&ServerMessage::Left { reason, rid })
}

/// `pong`.
pub fn pong(n: u32, rid: Option<Rid>) -> Bytes {
    plain(&ServerMessage::Pong { n, rid })
}

/// `result` of a recorded match.
pub fn result(match_id: &str, ranking: &[RankLine], aborted: bool, seed: Option<&str>) -> Bytes {
    plain(&ServerMessage::Result {
        match_id: match_id.to_owned(),
        ranking: ranking.to_vec(),
        aborted,
        seed: seed.map(str::to_owned),
    })
}

/// `fair`: the commitment to the seed of the match that begins.
pub fn fair(commit: &str) -> Bytes {
    plain(&ServerMessage::Fair {
        commit: commit.to_owned(),
    })
}

/// The parts of a `joined` that are not plain values.
pub struct Joined<'a> {
    pub room: &'a str,
    /// A private room's invite, for its members to pass on.
    pub invite: Option<&'a str>,
    pub game: &'a str,
    /// This player's entity id; `None` for a spectator, who is sent
    /// `you: nil` and `watching: true`.
    pub you: Option<u64>,
    /// SHA-256 of the running match's seed, hex (docs/fairness.md).
    pub fair: Option<&'a str>,
    pub tick: u64,
    /// The encoded `schema` array, the same for every room of a game.
    pub schema: &'a [u8],
    /// The encoded `state` map.
    pub state: &'a [u8],
    pub rid: Option<Rid>,
}

/// `joined` around an encoded schema and state.
pub fn joined(j: &Joined) -> Bytes {
    let mut w = FrameWriter::with_capacity(64 + j.room.len() + j.game.len() + j.schema.len() + j.state.len());
    let fields = 7
        + u32::from(j.rid.is_some())
        + u32::from(j.invite.is_some())
        + u32::from(j.you.is_none())
        + u32::from(j.fair.is_some());
    w.map(fields).str("t").str("joined").str("room").str(j.room);
    if let Some(invite) = j.invite {
        w.str("invite").str(invite);
    }
    w.str("game").str(j.game).str("you");
    match j.you {
        Some(you) => w.uint(you),
        None => w.nil().str("watching").bool(true),
    };
    if let Some(fair) = j.fair {
        w.str("fair").str(fair);
    }
    w.str("tick")
        .uint(j.tick)
        .str("schema")
        .raw(j.schema)
        .str("state")
        .raw(j.state);
    if let Some(rid) = j.rid {
        w.str("rid").uint(rid.0 as u64);
    }
    w.finish()
}

/// `event` around an encoded value.
pub fn event(name: &str, data: &[u8]) -> Bytes {
    let mut w = FrameWriter::with_capacity(16 + name.len() + data.len());
    w.map(3).str("t").str("event").str("name").str(name).str("d").raw(data);
    w.finish()
}

/// The lists of a `patch`, each one encoded array.
pub struct PatchLists<'a> {
    pub ch: &'a [u8],
    pub rm: &'a [u8],
    pub gone: &'a [u8],
    /// Changed resources, when there are any.
    pub r: Option<&'a [u8]>,
}

/// The shared part of a `patch`: everything but the `ack`, its last entry.
pub fn patch_prefix(tick: u64, lists: &PatchLists) -> Bytes {
    let r_len = lists.r.map_or(0, <[u8]>::len);
    let mut w = FrameWriter::with_capacity(40 + lists.ch.len() + lists.rm.len() + lists.gone.len() + r_len);
    w.map(if lists.r.is_some() { 7 } else { 6 })
        .str("t")
        .str("patch")
        .str("tick")
        .uint(tick)
        .str("ch")
        .raw(lists.ch)
        .str("rm")
        .raw(lists.rm)
        .str("gone")
        .raw(lists.gone);
    if let Some(r) = lists.r {
        w.str("r").raw(r);
    }
    w.finish()
}

/// The lists of a compact patch (`p`), each one encoded array, present
/// only when not empty.
#[derive(Default)]
pub struct CompactLists<'a> {
    pub c: Option<&'a [u8]>,
    pub m: Option<&'a [u8]>,
    pub g: Option<&'a [u8]>,
    pub r: Option<&'a [u8]>,
}

/// The shared part of a compact patch: everything but the ack `a`, which
/// [`compact_patch_with_ack`] adds last. `tick` is `None` for a lean `p`,
/// which leaves `k` out.
pub fn compact_patch_prefix(tick: Option<u64>, lists: &CompactLists) -> Bytes {
    let parts = [("c", lists.c), ("m", lists.m), ("g", lists.g), ("r", lists.r)];
    let present = parts.iter().filter(|(_, l)| l.is_some()).count() as u32;
    let len: usize = parts.iter().filter_map(|(_, l)| l.map(<[u8]>::len)).sum();
    let mut w = FrameWriter::with_capacity(16 + len);
    w.map(1 + tick.is_some() as u32 + present).str("t").str("p");
    if let Some(tick) = tick {
        w.str("k").uint(tick);
    }
    for (key, list) in parts {
        if let Some(list) = list {
            w.str(key).raw(list);
        }
    }
    w.finish()
}

/// Completes a shared `patch` prefix with one client's `ack`.
pub fn patch_with_ack(prefix: &[u8], ack: u32) -> Bytes {
    let mut w = FrameWriter::with_capacity(prefix.len() + 9);
    w.raw(prefix).str("ack").uint(ack as u64);
    w.finish()
}

/// Completes a compact patch prefix with one client's ack `a`. (A lean
/// `p` whose ack did not change is the prefix alone, a whole frame.)
pub fn compact_patch_with_ack(prefix: &[u8], ack: u32) -> Bytes {
    let mut w = FrameWriter::with_capacity(prefix.len() + 7);
    w.raw(prefix).str("a").uint(ack as u64);
    // One more entry in the map: a prefix has at most six (t, k, c, m, g,
    // r), so its header is the one-byte fixmap.
    debug_assert!(w.buf[0] & 0xf0 == 0x80 && w.buf[0] < 0x8f);
    w.buf[0] += 1;
    w.finish()
}

/// One client's patch as pieces that leave the room's shared prefix
/// uncopied: `lead` (the prefix's first byte, where the ack adds an entry to
/// its map), `rest` of the prefix, and the ack. Written one after another
/// they are the frame [`patch_with_ack`] or [`compact_patch_with_ack`]
/// builds, or the prefix alone without an ack; the room writes them to a
/// socket in one vectored write.
///
/// ```
/// use parlor::protocol::frames::{compact_patch_with_ack, AckedPatch};
/// use parlor::protocol::PatchForm;
///
/// let prefix = [0x81, 0xa1, b't', 0xa1, b'p']; // {"t": "p"}
/// let patch = AckedPatch::new(PatchForm::Lean, &prefix, Some(7));
/// let mut frame: Vec<u8> = patch.lead.into_iter().collect();
/// frame.extend_from_slice(patch.rest);
/// frame.extend_from_slice(patch.ack());
/// assert_eq!(frame, &compact_patch_with_ack(&prefix, 7)[..]);
/// ```
pub struct AckedPatch<'a> {
    pub lead: Option<u8>,
    pub rest: &'a [u8],
    ack: [u8; 9],
    ack_len: u8,
}

impl<'a> AckedPatch<'a> {
    /// The pieces of `prefix` completed with `ack` for a client of `form`;
    /// `None` is a lean `p` whose ack did not change.
    pub fn new(form: PatchForm, prefix: &'a [u8], ack: Option<u32>) -> Self {
        let mut patch = AckedPatch {
            lead: None,
            rest: prefix,
            ack: [0; 9],
            ack_len: 0,
        };
        let Some(ack) = ack else { return patch };
        let key = match form {
            // The plain prefix counts the ack in its map already.
            PatchForm::Patch => "ack",
            PatchForm::Compact | PatchForm::Lean => {
                debug_assert!(prefix[0] & 0xf0 == 0x80 && prefix[0] < 0x8f);
                patch.lead = Some(prefix[0] + 1);
                patch.rest = &prefix[1..];
                "a"
            }
        };
        let mut out = &mut patch.ack[..];
        // 4 bytes of key at most and 5 of a u32: the buffer always fits.
        let _ = rmp::encode::write_str(&mut out, key);
        let _ = rmp::encode::write_uint(&mut out, ack as u64);
        patch.ack_len = (9 - out.len()) as u8;
        patch
    }

    /// The encoded ack entry (key and value), empty without an ack.
    pub fn ack(&self) -> &[u8] {
        &self.ack[..self.ack_len as usize]
    }

    /// The frame's length.
    pub fn len(&self) -> usize {
        usize::from(self.lead.is_some()) + self.rest.len() + self.ack().len()
    }

    /// Never empty: a prefix holds at least the message type.
    pub fn is_empty(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    //! Every frame written here decodes as the [`ServerMessage`] a client
    //! expects: the typed definitions and the hand-assembled envelopes
    //! cannot drift apart.

    use serde_json::json;

    use super::*;

    fn encoded(v: serde_json::Value) -> Vec<u8> {
        rmp_serde::to_vec(&v).unwrap()
    }

    fn decode(frame: &[u8]) -> ServerMessage {
        ServerMessage::decode(frame).unwrap()
    }

    #[test]
    fn joined_decodes_with_and_without_rid_and_invite() {
        let schema = encoded(json!([["Player", ["id", "name", "slot", "online"]], ["Score", null]]));
        let state =
            rmp_serde::to_vec_named(&json!({"e": [[5, [[0, ["guest:a", "Ann", 0, true]]]]], "r": [[1, 3]]})).unwrap();
        let cases = [
            (None, None, Some(5), None),
            (Some(Rid(9)), Some("ABCDEF-23456789ABCDEFGH"), None, Some("ab12")),
        ];
        for (rid, invite, you_sent, fair_sent) in cases {
            let frame = joined(&Joined {
                room: "ABCDEF",
                invite,
                game: "clicker",
                you: you_sent,
                fair: fair_sent,
                tick: 2,
                schema: &schema,
                state: &state,
                rid,
            });
            let ServerMessage::Joined {
                room,
                invite: sent,
                you,
                watching,
                fair,
                schema,
                state,
                rid: echoed,
                ..
            } = decode(&frame)
            else {
                panic!("not joined");
            };
            assert_eq!((room.as_str(), you, echoed), ("ABCDEF", you_sent, rid));
            assert_eq!((watching, fair.as_deref()), (you_sent.is_none(), fair_sent));
            assert_eq!(sent.as_deref(), invite);
            assert_eq!(schema[1], ("Score".to_owned(), None));
            assert_eq!(state.r, vec![(1, json!(3))]);
            assert_eq!(state.e[0].1[0].1, json!(["guest:a", "Ann", 0, true]));
        }
    }

    #[test]
    fn patches_decode_with_their_ack_last() {
        let ch = encoded(json!([[5, [[1, 7]]]]));
        let rm = encoded(json!([[5, [2]]]));
        let gone = encoded(json!([6]));
        let r = encoded(json!([[3, "x"]]));
        let prefix = patch_prefix(
            9,
            &PatchLists {
                ch: &ch,
                rm: &rm,
                gone: &gone,
                r: Some(&r),
            },
        );
        let message = decode(&patch_with_ack(&prefix, 41));
        assert_eq!(
            message,
            ServerMessage::Patch {
                tick: 9,
                ch: vec![(5, vec![(1, json!(7))])],
                rm: vec![(5, vec![2])],
                gone: vec![6],
                r: Some(vec![(3, json!("x"))]),
                ack: 41,
            }
        );
        let c = encoded(json!([1, 1, 5, 7]));
        let prefix = compact_patch_prefix(
            Some(9),
            &CompactLists {
                c: Some(&c),
                ..CompactLists::default()
            },
        );
        let compact = |k, a| ServerMessage::CompactPatch {
            k,
            c: vec![json!(1), json!(1), json!(5), json!(7)],
            m: vec![],
            g: vec![],
            r: vec![],
            a,
        };
        assert_eq!(decode(&compact_patch_with_ack(&prefix, 41)), compact(Some(9), Some(41)));
        // Lean: no k, and a only when appended; without, the prefix is whole.
        let lean = compact_patch_prefix(
            None,
            &CompactLists {
                c: Some(&c),
                ..CompactLists::default()
            },
        );
        assert_eq!(decode(&compact_patch_with_ack(&lean, 41)), compact(None, Some(41)));
        assert_eq!(decode(&lean), compact(None, None));
        // Every list present and the ack: the fixmap still counts them.
        let all = compact_patch_prefix(
            Some(9),
            &CompactLists {
                c: Some(&c),
                m: Some(&encoded(json!([5, 2]))),
                g: Some(&encoded(json!([6]))),
                r: Some(&encoded(json!([3, "x"]))),
            },
        );
        let ServerMessage::CompactPatch { k, m, g, r, a, .. } = decode(&compact_patch_with_ack(&all, 1)) else {
            panic!("not a p");
        };
        assert_eq!(
            (k, m, g, r, a),
            (Some(9), vec![5, 2], vec![6], vec![json!(3), json!("x")], Some(1))
        );
    }

    /// The pieces a room writes to a socket are, one after another, the
    /// frame the connection would have built.
    #[test]
    fn an_acked_patch_in_pieces_is_the_whole_frame() {
        fn joined(p: &AckedPatch) -> Vec<u8> {
            let mut out: Vec<u8> = p.lead.into_iter().collect();
            out.extend_from_slice(p.rest);
            out.extend_from_slice(p.ack());
            assert_eq!(out.len(), p.len());
            out
        }
        let lists = PatchLists {
            ch: &encoded(json!([[5, [[1, 7]]]])),
            rm: &encoded(json!([])),
            gone: &encoded(json!([])),
            r: None,
        };
        let plain = patch_prefix(3, &lists);
        let c = encoded(json!([1, 1, 5, 7]));
        let compact = compact_patch_prefix(
            Some(3),
            &CompactLists {
                c: Some(&c),
                ..CompactLists::default()
            },
        );
        for ack in [0, 127, 128, 70_000, u32::MAX] {
            let whole = joined(&AckedPatch::new(PatchForm::Patch, &plain, Some(ack)));
            assert_eq!(whole, &patch_with_ack(&plain, ack)[..]);
            for form in [PatchForm::Compact, PatchForm::Lean] {
                let whole = joined(&AckedPatch::new(form, &compact, Some(ack)));
                assert_eq!(whole, &compact_patch_with_ack(&compact, ack)[..]);
            }
        }
        assert_eq!(joined(&AckedPatch::new(PatchForm::Lean, &compact, None)), &compact[..]);
    }

    #[test]
    fn plain_frames_decode() {
        let player = PlayerRef {
            id: "guest:a".into(),
            name: "Ann".into(),
        };
        assert_eq!(decode(&welcome(&player, "tok", None, Some(Rid(1)))).rid(), Some(Rid(1)));
        assert_eq!(
            decode(&error(ErrorCode::RoomFull, "full", None)),
            ServerMessage::Error {
                code: ErrorCode::RoomFull,
                message: "full".into(),
                rid: None
            }
        );
        assert_eq!(
            decode(&left(LeftReason::Shutdown, None)),
            ServerMessage::Left {
                reason: LeftReason::Shutdown,
                rid: None
            }
        );
        assert_eq!(decode(&pong(3, Some(Rid(4)))).rid(), Some(Rid(4)));
        assert_eq!(decode(&event("boom", &encoded(json!({"x": 1})))).kind(), "event");
        let ranking = [RankLine {
            player: "guest:a".into(),
            name: "Ann".into(),
            rank: 1,
            score: 10,
        }];
        assert!(
            matches!(decode(&result("m1", &ranking, false, Some("00"))), ServerMessage::Result { ranking: r, .. } if r == ranking)
        );
    }

    #[test]
    fn a_frame_without_rid_has_no_rid_key() {
        let frame = left(LeftReason::Leave, None);
        let value: serde_json::Value = rmp_serde::from_slice(&frame).unwrap();
        assert_eq!(value, json!({"t": "left", "reason": "leave"}));
    }
}
