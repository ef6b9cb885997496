// Spectators and fairness against a scripted local websocket server:
// watch and watchChat, inputs refused locally while watching, a spectator's
// resync and reconnection, replays (watchReplay, room.replay, a replay
// watched again after a reconnection), and the seed commitment
// (joined.fair, fair) with its reveal (result.seed).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { ParlorError, Room } from "../dist/parlor.js";
import { next, scripted, until } from "./helpers.mjs";

const { serve, connect } = scripted();

const SCHEMA = [
  ["Player", ["id", "name", "slot", "online"]],
  ["Position", ["x", "y"]],
];
const PLAYER = 7;

const sha256 = (hex) => createHash("sha256").update(Buffer.from(hex, "hex")).digest("hex");
const SEED_1 = "11".repeat(32);
const SEED_2 = "22".repeat(32);

/** A `joined` with one player (entity 7) at x; a spectator's has `you: nil` and `watching: true`. */
function joinedFrame(room, { you = null, tick = 0, x = 0, fair = sha256(SEED_1) } = {}) {
  return {
    t: "joined",
    room,
    game: "arena",
    you,
    ...(you === null ? { watching: true } : {}),
    ...(fair === null ? {} : { fair }),
    tick,
    schema: SCHEMA,
    state: { e: [[PLAYER, [[0, ["guest:p", "Pia", 0, true]], [1, [x, 0]]]]], r: [] },
  };
}

/**
 * A 1.1 server (it echoes request ids) where `watch` of a code sees that
 * room (ZZZZZZ does not exist, FULLXX is full), `watch` of a game sees
 * ABCDEF (the game "nope" has no room in the chat), and `quick` seats the
 * player as entity 11. A hello with a session is welcomed without a held
 * seat, as for a spectator.
 */
function standard(extra = () => false) {
  let connections = 0;
  return (conn, m) => {
    if (extra(conn, m)) return;
    if (m.t === "hello") {
      connections += 1;
      conn.reply(m, { t: "welcome", player: { id: "guest:a", name: "Ann" }, session: `tok-${connections}`, room: null });
    } else if (m.t === "watch") {
      const code = m.room ?? (m.game === "nope" ? null : "ABCDEF");
      if (code === null || code === "ZZZZZZ") conn.reply(m, { t: "error", code: "no_such_room", message: "none" });
      else if (code === "FULLXX") conn.reply(m, { t: "error", code: "room_full", message: "full" });
      else conn.reply(m, joinedFrame(code));
    } else if (m.t === "quick") {
      conn.reply(m, joinedFrame("ABCDEF", { you: 11 }));
    } else if (m.t === "leave") {
      conn.reply(m, { t: "left", reason: "leave" });
    }
  };
}

describe("watching", () => {
  test("watch by code: a Room without a seat that sees the public state, events and results", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const room = await client.watch("abcdef");
    assert.deepEqual(server.conns[0].bare.at(-1), { t: "watch", room: "ABCDEF" });
    assert.ok(room instanceof Room);
    assert.equal(client.room, room);
    assert.equal(room.code, "ABCDEF");
    assert.equal(room.watching, true);
    assert.equal(room.you, null);
    assert.equal(room.me, undefined);
    assert.equal(room.connected, false, "a spectator sends no inputs");
    assert.deepEqual(room.state.entities.get(PLAYER).Position, { x: 0, y: 0 });

    const changed = next(room, "change");
    server.conns[0].send({ t: "p", k: 1, a: 0, c: [1, 1, PLAYER, 4, 5] });
    const change = await changed;
    assert.deepEqual(change.changed.get(PLAYER), ["Position"]);
    assert.deepEqual(room.state.entities.get(PLAYER).Position, { x: 4, y: 5 });
    assert.equal(room.ack, 0);
    const event = next(room, "event");
    server.conns[0].send({ t: "event", name: "orb", d: 1 });
    assert.deepEqual(await event, { name: "orb", d: 1 });
    const left = next(room, "left");
    await room.leave();
    assert.deepEqual(await left, { reason: "leave" });
    assert.equal(client.room, null);
  });

  test("watchChat sends the game; refusals reject with the server's code", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const room = await client.watchChat("arena");
    assert.deepEqual(server.conns[0].bare.at(-1), { t: "watch", game: "arena" });
    assert.equal(room.watching, true);
    assert.equal(room.code, "ABCDEF");
    for (const [call, code] of [
      [() => client.watch("ZZZZZZ"), "no_such_room"],
      [() => client.watch("FULLXX"), "room_full"],
      [() => client.watchChat("nope"), "no_such_room"],
    ]) {
      await assert.rejects(call(), (e) => e instanceof ParlorError && e.code === code);
    }
    // A refused watch leaves the client where it was.
    assert.equal(client.room, room);
    assert.equal(room.status, "active");
  });

  test("an input while watching throws spectator and sends nothing", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const room = await client.watch("ABCDEF");
    const sent = server.conns[0].got.length;
    assert.throws(
      () => room.send({ dx: 1 }),
      (e) => e instanceof ParlorError && e.code === "spectator",
    );
    assert.equal(room.seq, 0);
    // The leave's answer comes after the server read all sent before it.
    await room.leave();
    assert.deepEqual(
      server.conns[0].got.slice(sent).map((m) => m.t),
      ["leave"],
    );
  });

  test("the server's spectator error about an input goes to the room", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const room = await client.watch("ABCDEF");
    const error = next(room, "error");
    server.conns[0].send({ t: "error", code: "spectator", message: "spectators send no inputs", rid: 999 });
    assert.equal((await error).code, "spectator");
  });

  test("a spectator's resync (a fresh joined, you nil) keeps the Room object", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const rooms = [];
    client.on("room", (r) => rooms.push(r));
    const room = await client.watch("ABCDEF");
    const changed = next(room, "change");
    server.conns[0].send(joinedFrame("ABCDEF", { tick: 40, x: 9 }));
    const change = await changed;
    assert.equal(change.resync, true);
    assert.equal(client.room, room);
    assert.deepEqual(room.state.entities.get(PLAYER).Position, { x: 9, y: 0 });
    assert.deepEqual(rooms, []);
  });

  test("play takes a seat even while watching a room of the game", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const watched = await client.watch("ABCDEF");
    const left = next(watched, "left");
    const room = await client.play("arena");
    assert.notEqual(room, watched);
    assert.equal(server.conns[0].bare.at(-1).t, "quick");
    assert.equal(room.watching, false);
    assert.equal(room.you, 11);
    assert.deepEqual(await left, { reason: "switched" });
  });
});

describe("a spectator reconnects", () => {
  test("after hello it watches the same room again: the same Room, still watching", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const room = await client.watch("ABCDEF");
    const reconnected = next(client, "reconnected");
    const resynced = next(room, "change");
    server.dropAll();
    assert.equal((await reconnected).room, room);
    assert.equal((await resynced).resync, true);
    assert.deepEqual(server.conns[1].bare, [
      { t: "hello", v: 1, session: "tok-1", compact: true, lean: true },
      { t: "watch", room: "ABCDEF" },
    ]);
    assert.equal(client.room, room);
    assert.equal(room.status, "active");
    assert.equal(room.watching, true);
    assert.equal(room.you, null);
  });

  test("a room watched from a chat is watched again by its code", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const room = await client.watchChat("arena");
    const reconnected = next(client, "reconnected");
    server.dropAll();
    assert.equal((await reconnected).room, room);
    assert.deepEqual(server.conns[1].bare.at(-1), { t: "watch", room: "ABCDEF" });
  });

  test("a watched room that is gone meanwhile is left as expired", async () => {
    let gone = false;
    const server = await serve(
      standard((conn, m) => {
        if (m.t === "watch" && gone) {
          conn.reply(m, { t: "error", code: "no_such_room", message: "closed" });
          return true;
        }
        return false;
      }),
    );
    const client = await connect(server.url);
    const room = await client.watch("ABCDEF");
    gone = true;
    const left = next(room, "left");
    const reconnected = next(client, "reconnected");
    server.dropAll();
    assert.deepEqual(await left, { reason: "expired" });
    assert.equal((await reconnected).room, null);
    assert.equal(client.room, null);
  });
});

/** The scripted server's room code for the replay of match `id`. */
const replayCode = (id) => `REPLAY-${id}`;

/**
 * `standard`, plus `watch {replay}`: match "0000nope" is not in the ledger
 * (`no_such_room`), "busy" is refused with `rate_limited`, any other id is
 * played back from the start (a `joined` of its own room, x at 0).
 * `refuse(id)` may refuse a replay with another code (for a reconnection).
 */
function replays(refuse = () => null) {
  return standard((conn, m) => {
    if (m.t !== "watch" || m.replay === undefined) return false;
    const code = m.replay === "0000nope" ? "no_such_room" : m.replay === "busy" ? "rate_limited" : refuse(m.replay);
    if (code !== null) conn.reply(m, { t: "error", code, message: `refused: ${m.replay}` });
    else conn.reply(m, joinedFrame(replayCode(m.replay)));
    return true;
  });
}

describe("replays", () => {
  test("watchReplay sends the match id as it is; a watched Room that plays back to the result and left", async () => {
    const server = await serve(replays());
    const client = await connect(server.url);
    const id = "9f3a0c11d2e4b5a6";
    const room = await client.watchReplay(id);
    const sent = server.conns[0].got.at(-1);
    assert.deepEqual(server.conns[0].bare.at(-1), { t: "watch", replay: id }, "the id as given, not upper-cased");
    assert.equal(typeof sent.rid, "number");
    assert.ok(room instanceof Room);
    assert.equal(client.room, room);
    assert.equal(room.replay, id);
    assert.equal(room.code, replayCode(id));
    assert.equal(room.watching, true);
    assert.equal(room.you, null);
    assert.equal(room.me, undefined);
    assert.equal(room.connected, false);
    assert.throws(
      () => room.send({ dx: 1 }),
      (e) => e instanceof ParlorError && e.code === "spectator",
    );

    // The match as it was played, then its recorded result, then left.
    const changed = next(room, "change");
    server.conns[0].send({ t: "p", k: 1, a: 0, c: [1, 1, PLAYER, 4, 5] });
    assert.deepEqual((await changed).changed.get(PLAYER), ["Position"]);
    const ranking = [{ player: "guest:p", name: "Pia", rank: 1, score: 4 }];
    const result = next(room, "result");
    const left = next(room, "left");
    server.conns[0].send({ t: "result", match: id, ranking, seed: SEED_1 });
    server.conns[0].send({ t: "left", reason: "finished" });
    assert.deepEqual(await result, { match: id, ranking, seed: SEED_1 });
    assert.deepEqual(await left, { reason: "finished" });
    assert.equal(room.status, "left");
    assert.equal(room.leftReason, "finished");
    assert.equal(client.room, null);
    // The final state stays readable, and the Room says what it was.
    assert.deepEqual(room.state.entities.get(PLAYER).Position, { x: 4, y: 5 });
    assert.equal(room.replay, id);
  });

  test("rooms entered otherwise are no replays; refusals reject with the server's code", async () => {
    const server = await serve(replays());
    const client = await connect(server.url);
    const watched = await client.watch("ABCDEF");
    assert.equal(watched.replay, null);
    const played = await client.quick("arena");
    assert.equal(played.replay, null);
    for (const [id, code] of [
      ["0000nope", "no_such_room"],
      ["busy", "rate_limited"],
    ]) {
      await assert.rejects(client.watchReplay(id), (e) => e instanceof ParlorError && e.code === code);
    }
    // A refused replay leaves the client where it was.
    assert.equal(client.room, played);
    assert.equal(played.status, "active");
    assert.throws(() => client.watchReplay(""), TypeError);
    // A replay, entered from a room, leaves it; a room entered from a replay leaves that.
    const left = next(played, "left");
    const replay = await client.watchReplay("abc");
    assert.deepEqual(await left, { reason: "switched" });
    const ended = next(replay, "left");
    await client.watch("ABCDEF");
    assert.deepEqual(await ended, { reason: "switched" });
  });

  test("after a dropped connection a replay is watched again by its id, from the beginning, as the same Room", async () => {
    const server = await serve(replays());
    const client = await connect(server.url);
    const room = await client.watchReplay("abc");
    const changed = next(room, "change");
    server.conns[0].send({ t: "p", k: 1, a: 0, c: [1, 1, PLAYER, 4, 5] });
    await changed;
    const reconnected = next(client, "reconnected");
    const resynced = next(room, "change");
    server.dropAll();
    assert.equal((await reconnected).room, room);
    assert.deepEqual(server.conns[1].bare, [
      { t: "hello", v: 1, session: "tok-1", compact: true, lean: true },
      { t: "watch", replay: "abc" },
    ]);
    // The state of the match's start again: x back at 0.
    assert.equal((await resynced).resync, true);
    assert.deepEqual(room.state.entities.get(PLAYER).Position, { x: 0, y: 0 });
    assert.equal(client.room, room);
    assert.equal(room.status, "active");
    assert.equal(room.replay, "abc");
    assert.equal(room.watching, true);
  });

  test("a replay refused after a reconnection is left as expired", async () => {
    let busy = false;
    const server = await serve(replays(() => (busy ? "rate_limited" : null)));
    const client = await connect(server.url);
    const room = await client.watchReplay("abc");
    busy = true;
    const left = next(room, "left");
    const reconnected = next(client, "reconnected");
    server.dropAll();
    assert.deepEqual(await left, { reason: "expired" });
    assert.equal((await reconnected).room, null);
    assert.deepEqual(server.conns[1].bare.at(-1), { t: "watch", replay: "abc" });
    assert.equal(client.room, null);
  });

  test("a replay that ended is not watched again after a reconnection", async () => {
    const server = await serve(replays());
    const client = await connect(server.url);
    const room = await client.watchReplay("abc");
    const left = next(room, "left");
    server.conns[0].send({ t: "left", reason: "finished" });
    await left;
    const reconnected = next(client, "reconnected");
    server.dropAll();
    assert.equal((await reconnected).room, null);
    assert.deepEqual(server.conns[1].bare.map((m) => m.t), ["hello"]);
  });
});

describe("fairness", () => {
  test("joined.fair, then fair for the next match; result reveals the seed", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const room = await client.quick("arena");
    assert.equal(room.fair, sha256(SEED_1));
    const result = next(room, "result");
    const ranking = [{ player: "guest:a", name: "Ann", rank: 1, score: 3 }];
    server.conns[0].send({ t: "result", match: "m1", ranking, seed: SEED_1 });
    const r = await result;
    assert.deepEqual(r, { match: "m1", ranking, seed: SEED_1 });
    assert.equal(sha256(r.seed), room.fair, "the seed is the one committed to");
    // A continuous room: the next match's commitment right after the result.
    const fair = next(room, "fair");
    server.conns[0].send({ t: "fair", commit: sha256(SEED_2) });
    assert.deepEqual(await fair, { commit: sha256(SEED_2) });
    assert.equal(room.fair, sha256(SEED_2));
  });

  test("a spectator gets the commitment too; a server without it gives null", async () => {
    const server = await serve(
      standard((conn, m) => {
        if (m.t === "watch" && m.room === "OLDSRV") {
          conn.reply(m, joinedFrame("OLDSRV", { fair: null }));
          return true;
        }
        return false;
      }),
    );
    const client = await connect(server.url);
    const watched = await client.watch("ABCDEF");
    assert.equal(watched.fair, sha256(SEED_1));
    const old = await client.watch("OLDSRV");
    assert.equal(old.fair, null);
    const result = next(old, "result");
    server.conns[0].send({ t: "result", match: "m2", ranking: [] });
    assert.equal((await result).seed, null);
  });
});

describe("bad frames", () => {
  test("a joined whose you is neither a number nor nil is reported, not adopted", async () => {
    const server = await serve(
      standard((conn, m) => {
        if (m.t === "watch") {
          conn.reply(m, { ...joinedFrame("ABCDEF"), you: "me" });
          return true;
        }
        return false;
      }),
    );
    const client = await connect(server.url, { requestTimeout: 300 });
    const error = next(client, "error");
    const watching = client.watch("ABCDEF").catch((e) => e);
    assert.equal((await error).code, "bad_frame");
    await until(() => client.room === null);
    assert.equal((await watching).code, "timeout");
  });
});
