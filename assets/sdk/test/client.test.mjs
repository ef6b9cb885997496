// The client against a scripted local websocket server (the SDK's test
// double for the network): sign-in, requests, inputs, pings, and
// reconnection. The full reconnection against a real server is covered by
// the browser end-to-end tests.
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { ParlorError, Room, decodeFrame } from "../dist/parlor.js";
import { frame, loadFixture, next, scripted, until } from "./helpers.mjs";

const { servers, serve, connect } = scripted();

afterEach(() => {
  delete globalThis.Telegram;
});

const SCHEMA = [
  ["Player", ["id", "name", "slot", "online"]],
  ["Position", ["x", "y"]],
];

function joinedFrame(room, you, tick = 0, x = 0) {
  return {
    t: "joined",
    room,
    game: "arena",
    you,
    tick,
    schema: SCHEMA,
    state: {
      e: [[you, [[0, ["guest:a", "Ann", 0, true]], [1, [x, 0]]]]],
      r: [],
    },
  };
}

/**
 * A server that welcomes guests (session token `tok-N` per connection),
 * answers quick/create/chat with room ABCDEF and join with the code asked
 * (or no_such_room for ZZZZZZ), and answers pings and leaves. It echoes
 * request ids on its replies, as a server of protocol 1.1 does, unless
 * `echo` is false (a 1.0 server, which ignores them).
 */
function standard(extra = () => false, { echo = true } = {}) {
  let connections = 0;
  let entity = 10;
  return (conn, m) => {
    if (extra(conn, m)) return;
    const answer = (message) => (echo ? conn.reply(m, message) : conn.send(message));
    if (m.t === "hello") {
      connections += 1;
      answer({ t: "welcome", player: { id: "guest:a", name: m.guest ?? "tg" }, session: `tok-${connections}` });
    } else if (m.t === "quick" || m.t === "create" || m.t === "chat") {
      if (m.game === "nope") answer({ t: "error", code: "no_such_game", message: "no game named nope" });
      else answer(joinedFrame("ABCDEF", ++entity));
    } else if (m.t === "join") {
      if (m.room === "ZZZZZZ") answer({ t: "error", code: "no_such_room", message: "gone" });
      else answer(joinedFrame(m.room, ++entity));
    } else if (m.t === "ping") {
      answer({ t: "pong", n: m.n });
    } else if (m.t === "leave") {
      answer({ t: "left", reason: "leave" });
    }
  };
}

describe("sign-in", () => {
  test("a guest name, given or generated", async () => {
    const server = await serve(standard());
    const named = await connect(server.url, { guest: "Zoe" });
    assert.equal(named.player.name, "Zoe");
    assert.equal(named.session, "tok-1");
    assert.deepEqual(server.conns[0].bare[0], { t: "hello", v: 1, guest: "Zoe", compact: true, lean: true });
    const anonymous = await connect(server.url);
    assert.match(anonymous.player.name, /^Guest \d{4}$/);
    assert.equal(anonymous.status, "open");
  });

  test("inside Telegram: initData and a start_param room code", async () => {
    globalThis.Telegram = {
      WebApp: { initData: "query_id=1&user=%7B%7D&hash=abc", initDataUnsafe: { start_param: "abcdef" } },
    };
    const server = await serve(standard());
    const client = await connect(server.url);
    assert.deepEqual(server.conns[0].bare[0], {
      t: "hello",
      v: 1,
      init_data: "query_id=1&user=%7B%7D&hash=abc",
      compact: true,
      lean: true,
    });
    assert.equal(client.startParam, "abcdef");
    assert.equal(client.startRoom, "ABCDEF");
    const room = await client.play("arena");
    assert.equal(room.code, "ABCDEF");
    assert.deepEqual(server.conns[0].bare[1], { t: "join", room: "ABCDEF" });
    // In a room of the game, play returns it; the start room is used once.
    assert.equal(await client.play("arena"), room);
    await room.leave();
    await client.play("arena");
    assert.equal(server.conns[0].got.at(-1).t, "quick");
  });

  test("play falls back to a quick match when the start room is gone", async () => {
    const server = await serve(standard());
    const client = await connect(server.url, { startParam: "zzzzzz" });
    assert.equal(client.startRoom, "ZZZZZZ");
    const room = await client.play("arena");
    assert.deepEqual(
      server.conns[0].got.slice(1).map((m) => m.t),
      ["join", "quick"],
    );
    assert.equal(room.code, "ABCDEF");
  });

  test("a start parameter that is no room code is ignored by play", async () => {
    const server = await serve(standard());
    const client = await connect(server.url, { startParam: "ref_campaign_1" });
    assert.equal(client.startRoom, null);
    await client.play("arena");
    assert.equal(server.conns[0].got[1].t, "quick");
  });

  test("a session token from an earlier page signs in, or is dropped if refused", async () => {
    const server = await serve(
      standard((conn, m) => {
        if (m.t === "hello" && m.session === "good") {
          conn.send({ t: "welcome", player: { id: "guest:a", name: "Ann" }, session: "next", room: null });
          return true;
        }
        if (m.t === "hello" && m.session) {
          conn.send({ t: "error", code: "auth_expired", message: "expired" });
          conn.ws.close(1008, "hello refused");
          return true;
        }
        return false;
      }),
    );
    const good = await connect(server.url, { session: "good" });
    assert.equal(good.session, "next");
    assert.deepEqual(server.conns[0].bare, [{ t: "hello", v: 1, session: "good", compact: true, lean: true }]);
    const stale = await connect(server.url, { session: "stale", guest: "Ann" });
    assert.equal(stale.session, "tok-1");
    assert.deepEqual(server.conns[1].bare, [{ t: "hello", v: 1, session: "stale", compact: true, lean: true }]);
    assert.deepEqual(server.conns[2].bare, [{ t: "hello", v: 1, guest: "Ann", compact: true, lean: true }]);
  });

  test("a refused hello rejects connect", async () => {
    const server = await serve((conn, m) => {
      if (m.t === "hello") conn.send({ t: "error", code: "guest_disabled", message: "sign in with Telegram" });
    });
    await assert.rejects(connect(server.url), (e) => e instanceof ParlorError && e.code === "guest_disabled");
  });

  test("an unreachable server rejects connect", async () => {
    const server = await serve(() => {});
    const url = server.url;
    await server.close();
    servers.length = 0;
    await assert.rejects(connect(url), (e) => e instanceof ParlorError && e.code === "disconnected");
  });
});

describe("rooms", () => {
  test("requests resolve with rooms and reject with the server's code", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const room = await client.quick("arena");
    assert.ok(room instanceof Room);
    assert.equal(client.room, room);
    assert.equal(room.code, "ABCDEF");
    assert.equal(room.game, "arena");
    assert.deepEqual(room.me.Position, { x: 0, y: 0 });
    assert.deepEqual(room.me.Player, { id: "guest:a", name: "Ann", slot: 0, online: true });
    const error = await client.quick("nope").catch((e) => e);
    assert.ok(error instanceof ParlorError);
    assert.equal(error.code, "no_such_game");
    await client.create("arena", { private: true });
    assert.deepEqual(server.conns[0].bare.at(-1), { t: "create", game: "arena", private: true });
    await client.join("qrstuv");
    assert.deepEqual(server.conns[0].bare.at(-1), { t: "join", room: "QRSTUV" });
  });

  test("entering another room leaves the current one (switched)", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const first = await client.quick("arena");
    const left = next(first, "left");
    const second = await client.join("QRSTUV");
    assert.deepEqual(await left, { reason: "switched" });
    assert.equal(first.status, "left");
    assert.equal(client.room, second);
  });

  test("inputs get increasing seq; patches, events, results and acks reach the room", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const room = await client.quick("arena");
    assert.equal(room.send({ dx: 1, dy: 0 }), true);
    assert.equal(room.send({ dx: 0, dy: 1 }), true);
    await until(() => server.conns[0].got.filter((m) => m.t === "input").length === 2);
    const inputs = server.conns[0].bare.filter((m) => m.t === "input");
    assert.deepEqual(inputs, [
      { t: "input", seq: 1, d: { dx: 1, dy: 0 } },
      { t: "input", seq: 2, d: { dx: 0, dy: 1 } },
    ]);
    const changed = next(room, "change");
    server.conns[0].send({ t: "patch", tick: 1, ch: [[room.you, [[1, [5, 6]]]]], rm: [], gone: [], ack: 2 });
    const change = await changed;
    assert.equal(change.ack, 2);
    assert.equal(room.ack, 2);
    assert.deepEqual(change.changed.get(room.you), ["Position"]);
    assert.deepEqual(room.me.Position, { x: 5, y: 6 });
    const event = next(room, "event");
    server.conns[0].send({ t: "event", name: "boom", d: { at: 3 } });
    assert.deepEqual(await event, { name: "boom", d: { at: 3 } });
    const result = next(room, "result");
    const ranking = [{ player: "guest:a", name: "Ann", rank: 1, score: 3 }];
    server.conns[0].send({ t: "result", match: "m1", ranking });
    assert.deepEqual(await result, { match: "m1", ranking, seed: null });
    const error = next(room, "error");
    server.conns[0].send({ t: "error", code: "illegal_input", message: "not your turn" });
    assert.equal((await error).code, "illegal_input");
  });

  test("an input over the frame limit throws too_big", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const room = await client.quick("arena");
    assert.throws(() => room.send({ blob: "x".repeat(20_000) }), { code: "too_big" });
    assert.equal(room.seq, 0);
  });

  test("a resync joined of the same seat keeps the Room object", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const room = await client.quick("arena");
    const changed = next(room, "change");
    server.conns[0].send(joinedFrame("ABCDEF", room.you, 40, 9));
    const change = await changed;
    assert.equal(change.resync, true);
    assert.equal(client.room, room);
    assert.deepEqual(room.me.Position, { x: 9, y: 0 });
    assert.equal(room.state.tick, 40);
  });

  test("leave resolves on the server's left", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const room = await client.quick("arena");
    const left = next(room, "left");
    await room.leave();
    assert.deepEqual(await left, { reason: "leave" });
    assert.equal(client.room, null);
    assert.equal(room.send({}), false);
  });

  test("ping measures a round trip", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const room = await client.quick("arena");
    const ms = await room.ping();
    assert.equal(typeof ms, "number");
    assert.ok(ms >= 0 && ms < 2000);
  });

  test("recorded tictactoe frames through a client", async () => {
    // The server replays Xavier's recorded frames: welcome, joined after
    // his create, the rest after his first input.
    const fixture = loadFixture("tictactoe-x.json");
    const [welcome, joined, ...rest] = fixture.frames;
    assert.deepEqual([welcome.t, joined.t], ["welcome", "joined"]);
    const server = await serve((conn, m) => {
      if (m.t === "hello") conn.send(welcome.bytes);
      if (m.t === "create") conn.send(joined.bytes);
      if (m.t === "input" && m.seq === 1) for (const f of rest) conn.send(f.bytes);
    });
    const client = await connect(server.url);
    assert.equal(client.player.name, "Xavier");
    const errors = [];
    client.on("error", (e) => errors.push(e.code));
    const room = await client.create("tictactoe", { private: true });
    const result = next(room, "result");
    const left = next(room, "left");
    let changes = 0;
    room.on("change", () => changes++);
    room.send({ cell: 4 });
    await left;
    assert.equal(changes, rest.filter((f) => f.t === "patch").length);
    assert.deepEqual(room.state.resources.Board, [2, 2, 1, 0, 1, 0, 1, 0, 0]);
    assert.equal((await result).ranking[0].name, "Xavier");
    assert.equal(room.leftReason, "finished");
    assert.equal(client.room, null);
    assert.deepEqual(errors, ["illegal_input"]); // no error listener on the room: the client gets it
  });
});

describe("compact patches", () => {
  test("every hello asks for them, lean, unless compact or lean is false", async () => {
    const server = await serve(standard());
    const on = await connect(server.url, { guest: "Ann" });
    assert.equal(on.compact, true);
    assert.deepEqual(server.conns[0].bare[0], { t: "hello", v: 1, guest: "Ann", compact: true, lean: true });
    const off = await connect(server.url, { guest: "Bob", compact: false });
    assert.equal(off.compact, false);
    assert.deepEqual(server.conns[1].bare[0], { t: "hello", v: 1, guest: "Bob" });
    // The session hello after a dropped connection too.
    const room = await off.quick("arena");
    const reconnected = next(off, "reconnected");
    server.conns[1].ws.terminate();
    assert.equal((await reconnected).room, room);
    assert.deepEqual(server.conns[2].bare[0], { t: "hello", v: 1, session: "tok-2" });
    const full = await connect(server.url, { guest: "Cy", lean: false });
    assert.deepEqual([full.compact, full.lean], [true, false]);
    assert.deepEqual(server.conns[3].bare[0], { t: "hello", v: 1, guest: "Cy", compact: true });
  });

  test("a p reaches the room like a patch: state, change, ack, tick", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const room = await client.quick("arena");
    assert.ok(room.send({ dx: 1, dy: 0 }));
    const changed = next(room, "change");
    // Position {x, y} of this player inline, and a second player spawned.
    server.conns[0].send({
      t: "p",
      k: 5,
      a: 1,
      c: [0, 1, 77, "guest:b", "Bob", 1, true, 1, 2, room.you, 5, 6, 77, 1, 2],
    });
    const change = await changed;
    assert.equal(change.tick, 5);
    assert.equal(change.ack, 1);
    assert.equal(room.ack, 1);
    assert.equal(room.state.tick, 5);
    assert.deepEqual(change.spawned, [77]);
    assert.deepEqual(change.changed.get(room.you), ["Position"]);
    assert.deepEqual(change.changed.get(77), ["Player", "Position"]);
    assert.deepEqual(room.me.Position, { x: 5, y: 6 });
    assert.deepEqual(room.state.entities.get(77), {
      Player: { id: "guest:b", name: "Bob", slot: 1, online: true },
      Position: { x: 1, y: 2 },
    });
    // A plain patch still applies (a server that ignores hello.compact).
    const again = next(room, "change");
    server.conns[0].send({ t: "patch", tick: 6, ch: [], rm: [], gone: [77], ack: 1 });
    assert.deepEqual((await again).gone, [77]);
    const empty = next(room, "change");
    server.conns[0].send({ t: "p", k: 7, a: 1 });
    assert.equal((await empty).tick, 7);
    assert.equal(room.state.tick, 7);
  });

  test("a malformed p is an error on the room; nothing is applied or asked for", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const clientErrors = [];
    client.on("error", (e) => clientErrors.push(e));
    const room = await client.quick("arena");
    let changes = 0;
    room.on("change", () => changes++);
    const sent = server.conns[0].got.length;
    const error = next(room, "error");
    // Two Positions announced, one there; the first would move this player.
    server.conns[0].send({ t: "p", k: 3, a: 0, c: [1, 2, room.you, 40, 50] });
    const e = await error;
    assert.equal(e.code, "bad_frame");
    assert.match(e.message, /^malformed p at tick 3: c ends inside Position 2 of 2/);
    assert.deepEqual(room.me.Position, { x: 0, y: 0 });
    assert.equal(room.state.tick, 0);
    assert.equal(changes, 0);
    // The next good one applies; the client sent nothing in between.
    const changed = next(room, "change");
    server.conns[0].send({ t: "p", k: 4, a: 0, c: [1, 1, room.you, 8, 9] });
    await changed;
    assert.deepEqual(room.me.Position, { x: 8, y: 9 });
    assert.equal(server.conns[0].got.length, sent);
    assert.deepEqual(clientErrors, []);
    assert.equal(client.status, "open");
  });

  test("without a room error listener the client gets it", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    await client.quick("arena");
    const error = next(client, "error");
    server.conns[0].send({ t: "p", k: 3, a: 0, c: [9, 1, 1, 1] });
    const e = await error;
    assert.equal(e.code, "bad_frame");
    assert.match(e.message, /type index 9 is not in the schema \(2 types\)/);
  });
});

describe("reconnection", () => {
  test("a session resume restores the same Room", async () => {
    let resumeWith = "ABCDEF";
    const server = await serve(
      standard((conn, m) => {
        if (m.t === "hello" && m.session) {
          conn.send({ t: "welcome", player: { id: "guest:a", name: "Ann" }, session: "tok-2", room: resumeWith });
          conn.send(joinedFrame("ABCDEF", 11, 50, 7));
          return true;
        }
        return false;
      }),
    );
    const client = await connect(server.url, { guest: "Ann" });
    const room = await client.quick("arena");
    const reconnecting = next(client, "reconnecting");
    const reconnected = next(client, "reconnected");
    const resynced = next(room, "change");
    server.dropAll();
    const attempt = await reconnecting;
    assert.equal(attempt.attempt, 1);
    assert.equal(client.status, "reconnecting");
    assert.equal(room.send({ dx: 1 }), false, "inputs are dropped while disconnected");
    assert.equal(room.connected, false);
    assert.equal((await reconnected).room, room);
    assert.equal((await resynced).resync, true);
    assert.deepEqual(server.conns[1].bare[0], { t: "hello", v: 1, session: "tok-1", compact: true, lean: true });
    assert.equal(client.room, room);
    assert.equal(room.status, "active");
    assert.deepEqual(room.me.Position, { x: 7, y: 0 });
    assert.equal(client.session, "tok-2");
    assert.equal(room.send({ dx: 1 }), true);
    await until(() => server.conns[1].got.some((m) => m.t === "input"));
    assert.equal(server.conns[1].got.find((m) => m.t === "input").seq, 1);
    resumeWith = null;
  });

  test("without a held seat the old code is joined once", async () => {
    const server = await serve(
      standard((conn, m) => {
        if (m.t === "hello" && m.session) {
          conn.send({ t: "welcome", player: { id: "guest:a", name: "Ann" }, session: "tok-9", room: null });
          return true;
        }
        return false;
      }),
    );
    const client = await connect(server.url);
    const room = await client.quick("arena");
    const oldYou = room.you;
    const reconnected = next(client, "reconnected");
    server.dropAll();
    assert.equal((await reconnected).room, room);
    assert.deepEqual(server.conns[1].bare.slice(1), [{ t: "join", room: "ABCDEF" }]);
    assert.notEqual(room.you, oldYou, "a new seat");
    assert.equal(client.room, room);
    assert.equal(room.status, "active");
  });

  test("a room that cannot be joined again is left as expired", async () => {
    let gone = false;
    const server = await serve(
      standard((conn, m) => {
        if (m.t === "join" && gone) {
          conn.send({ t: "error", code: "no_such_room", message: "closed" });
          return true;
        }
        return false;
      }),
    );
    const client = await connect(server.url);
    const room = await client.quick("arena");
    gone = true;
    const left = next(room, "left");
    const reconnected = next(client, "reconnected");
    server.dropAll();
    assert.deepEqual(await left, { reason: "expired" });
    assert.equal((await reconnected).room, null);
    assert.equal(client.room, null);
    assert.equal(client.status, "open");
  });

  test("an expired session signs in afresh with the same credentials", async () => {
    const server = await serve(
      standard((conn, m) => {
        if (m.t === "hello" && m.session) {
          // As the server does: one error, then the socket closes with 1008.
          conn.send({ t: "error", code: "auth_expired", message: "session expired" });
          conn.ws.close(1008, "hello refused");
          return true;
        }
        return false;
      }),
    );
    const client = await connect(server.url, { guest: "Ann" });
    const room = await client.quick("arena");
    const reconnected = next(client, "reconnected");
    server.dropAll();
    assert.equal((await reconnected).room, room);
    assert.deepEqual(server.conns[1].bare, [{ t: "hello", v: 1, session: "tok-1", compact: true, lean: true }]);
    assert.deepEqual(server.conns[2].bare, [
      { t: "hello", v: 1, guest: "Ann", compact: true, lean: true },
      { t: "join", room: "ABCDEF" },
    ]);
    assert.equal(client.session, "tok-2");
    assert.equal(client.room, room);
  });

  test("a refused fresh sign-in while reconnecting closes the client", async () => {
    let guestsOff = false;
    const server = await serve(
      standard((conn, m) => {
        if (m.t === "hello" && guestsOff) {
          conn.send({ t: "error", code: "guest_disabled", message: "guests are off" });
          conn.ws.close(1008, "hello refused");
          return true;
        }
        return false;
      }),
    );
    const client = await connect(server.url, { guest: "Ann" });
    const room = await client.quick("arena");
    guestsOff = true;
    const error = next(client, "error");
    const closed = next(client, "close");
    const left = next(room, "left");
    server.dropAll();
    assert.equal((await error).code, "guest_disabled");
    await closed;
    assert.deepEqual(await left, { reason: "disconnected" });
    assert.equal(client.status, "closed");
    // The session hello, then one fresh hello: no more attempts.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(server.conns.length, 3);
  });

  test("a held seat released at sign-in (left: expired): the code is joined once", async () => {
    const server = await serve(
      standard((conn, m) => {
        if (m.t === "hello" && m.session) {
          conn.send({ t: "welcome", player: { id: "guest:a", name: "Ann" }, session: "tok-5", room: "ABCDEF" });
          conn.send({ t: "left", reason: "expired" });
          return true;
        }
        return false;
      }),
    );
    const client = await connect(server.url);
    const room = await client.quick("arena");
    const left = [];
    room.on("left", (e) => left.push(e));
    const reconnected = next(client, "reconnected");
    server.dropAll();
    assert.equal((await reconnected).room, room);
    assert.deepEqual(server.conns[1].bare.slice(1), [{ t: "join", room: "ABCDEF" }]);
    assert.deepEqual(left, []);
    assert.equal(room.status, "active");
  });

  test("a seat held at the first sign-in (a reloaded page) is the client's room", async () => {
    const server = await serve(
      standard((conn, m) => {
        if (m.t === "hello") {
          conn.send({ t: "welcome", player: { id: "tg:1", name: "Ann" }, session: "tok", room: "HELDXX" });
          setTimeout(() => conn.send(joinedFrame("HELDXX", 77)), 20);
          return true;
        }
        return false;
      }),
    );
    const client = await connect(server.url);
    assert.ok(client.room);
    assert.equal(client.room.code, "HELDXX");
    assert.equal(client.room.you, 77);
    const room = await client.play("arena");
    assert.equal(room, client.room, "play returns the held room of the same game");
    assert.equal(server.conns[0].got.length, 1, "and sends nothing");
  });

  test("an empty session token means a fresh hello, then a join", async () => {
    const server = await serve((conn, m) => {
      if (m.t === "hello") conn.send({ t: "welcome", player: { id: `guest:${server.conns.length}`, name: m.guest }, session: "" });
      else standard()(conn, m);
    });
    const client = await connect(server.url, { guest: "Ann" });
    const room = await client.quick("arena");
    const reconnected = next(client, "reconnected");
    server.dropAll();
    assert.equal((await reconnected).room, room);
    assert.deepEqual(server.conns[1].bare, [
      { t: "hello", v: 1, guest: "Ann", compact: true, lean: true },
      { t: "join", room: "ABCDEF" },
    ]);
    assert.equal(client.player.id, "guest:2");
  });

  test("backoff doubles with jitter up to the cap, then gives up", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const room = await client.quick("arena");
    const delays = [];
    client.on("reconnecting", (e) => delays.push(e));
    const closed = next(client, "close");
    const left = next(room, "left");
    await server.close();
    servers.length = 0;
    await closed;
    assert.deepEqual(await left, { reason: "disconnected" });
    assert.equal(client.status, "closed");
    assert.deepEqual(
      delays.map((d) => d.attempt),
      [1, 2, 3, 4, 5],
    );
    const caps = [10, 20, 40, 40, 40];
    delays.forEach((d, i) => {
      assert.ok(d.delay >= caps[i] / 2 && d.delay <= caps[i], `attempt ${i + 1}: ${d.delay} ms within cap ${caps[i]}`);
    });
  });

  test("no reconnection after close() or leave()", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const room = await client.quick("arena");
    let reconnecting = 0;
    client.on("reconnecting", () => reconnecting++);
    const left = next(room, "left");
    const closed = next(client, "close");
    client.close();
    assert.deepEqual(await left, { reason: "closed" });
    assert.deepEqual(await closed, { code: 1000, reason: "closed by the app" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(reconnecting, 0);
    await assert.rejects(client.quick("arena"), { code: "disconnected" });

    // After leave(), a drop reconnects the client but not the room.
    const other = await connect(server.url);
    const room2 = await other.quick("arena");
    await room2.leave();
    const back = next(other, "reconnected");
    server.dropAll();
    assert.equal((await back).room, null);
    assert.equal(server.last.got.some((m) => m.t === "join"), false);
  });

  test("reconnection can be turned off", async () => {
    const server = await serve(standard());
    const client = await connect(server.url, { reconnect: false });
    const room = await client.quick("arena");
    const closed = next(client, "close");
    const left = next(room, "left");
    server.dropAll();
    await closed;
    assert.deepEqual(await left, { reason: "disconnected" });
  });

  test("requests and pings waiting when the socket drops are rejected", async () => {
    const server = await serve((conn, m) => {
      if (m.t === "hello") conn.send({ t: "welcome", player: { id: "g", name: "n" }, session: "" });
      // quick and ping get no answer
    });
    const client = await connect(server.url);
    const quick = client.quick("arena");
    const ping = client.ping();
    await until(() => server.conns[0].got.length === 3);
    server.dropAll();
    await assert.rejects(quick, { code: "disconnected" });
    await assert.rejects(ping, { code: "disconnected" });
  });
});

describe("request ids", () => {
  /** A server that answers what `standard` does, but holds room requests and pings until `flush`. */
  function holding({ echo = true } = {}) {
    const held = [];
    const handler = standard(
      (conn, m) => {
        if (["quick", "create", "join", "chat", "ping"].includes(m.t)) {
          held.push(m);
          return true;
        }
        return false;
      },
      { echo },
    );
    return { held, handler };
  }

  test("every request carries a fresh rid, a u32 that wraps", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const room = await client.quick("arena");
    await client.create("arena");
    await client.chat("arena");
    const joined = await client.join("QRSTUV");
    await client.ping();
    assert.equal(joined.send({ dx: 1 }), true);
    await joined.leave();
    assert.equal(room.status, "left");
    const got = server.conns[0].got;
    assert.deepEqual(
      got.map((m) => m.t),
      ["hello", "quick", "create", "chat", "join", "ping", "input", "leave"],
    );
    const rids = got.map((m) => m.rid);
    for (const rid of rids) assert.ok(Number.isInteger(rid) && rid >= 0 && rid <= 0xffffffff, `rid ${rid}`);
    assert.equal(new Set(rids).size, rids.length, "all different");
    assert.deepEqual(rids, [...rids].sort((a, b) => a - b), "counting up");
    const ping = got.find((m) => m.t === "ping");
    assert.equal(ping.n, ping.rid, "a ping's n is its rid");

    // After 2^32 - 1 the counter wraps to 0 (a u32 on the wire).
    client.ridCounter = 0xfffffffe;
    await client.quick("arena");
    await client.quick("arena");
    assert.deepEqual(
      server.conns[0].got.slice(-2).map((m) => m.rid),
      [0xffffffff, 0],
    );

    // A new socket's hello has one too.
    const back = next(client, "reconnected");
    server.dropAll();
    await back;
    assert.equal(typeof server.conns[1].got[0].rid, "number");
  });

  test("replies out of order settle the requests they name", async () => {
    const { held, handler } = holding();
    const server = await serve(handler);
    const client = await connect(server.url);
    const a = client.join("AAAAAA");
    const b = client.join("BBBBBB");
    const nope = client.quick("nope").catch((e) => e);
    const ping1 = client.ping();
    const ping2 = client.ping();
    await until(() => held.length === 5);
    const [ja, jb, q, p1, p2] = held;
    const conn = server.conns[0];
    // Last first: a 1.0 client, matching by order, would reject the join of
    // AAAAAA with no_such_game and give it the room BBBBBB.
    conn.reply(p2, { t: "pong", n: p2.n });
    conn.reply(q, { t: "error", code: "no_such_game", message: "no game named nope" });
    conn.reply(jb, joinedFrame("BBBBBB", 21));
    conn.reply(ja, joinedFrame("AAAAAA", 22));
    conn.reply(p1, { t: "pong", n: p1.n });
    const error = await nope;
    assert.ok(error instanceof ParlorError);
    assert.equal(error.code, "no_such_game");
    const roomB = await b;
    const roomA = await a;
    assert.equal(roomB.code, "BBBBBB");
    assert.equal(roomB.you, 21);
    assert.equal(roomA.code, "AAAAAA");
    assert.equal(roomA.you, 22);
    assert.equal(client.room, roomA, "the last joined is the client's room");
    assert.equal(roomB.leftReason, "switched");
    assert.equal(typeof (await ping1), "number");
    assert.equal(typeof (await ping2), "number");
  });

  test("with a 1.1 server an error without rid answers no request", async () => {
    const { held, handler } = holding();
    const server = await serve(handler);
    const client = await connect(server.url);
    const conn = server.conns[0];
    const first = client.quick("arena");
    await until(() => held.length === 1);
    conn.reply(held.shift(), joinedFrame("ABCDEF", 11));
    const room = await first;
    const roomErrors = [];
    room.on("error", (e) => roomErrors.push(e.code));
    const clientErrors = [];
    client.on("error", (e) => clientErrors.push(e.code));

    let settled = false;
    const waiting = client.join("QRSTUV").finally(() => (settled = true));
    assert.equal(room.send({ dx: 1 }), true);
    await until(() => held.length === 1 && conn.got.some((m) => m.t === "input"));
    const input = conn.got.find((m) => m.t === "input");
    // Not answers: a failed ledger write (no rid), an illegal input (no rid),
    // and the input's rate_limited (the input's rid).
    conn.send({ t: "error", code: "internal", message: "the result could not be recorded" });
    conn.send({ t: "error", code: "illegal_input", message: "not your turn" });
    conn.reply(input, { t: "error", code: "rate_limited", message: "too many inputs" });
    // A late answer with a rid nobody waits for is not one either.
    conn.send({ ...joinedFrame("LATEXX", 12), rid: 424242 });
    const late = await next(client, "room");
    assert.equal(late.code, "LATEXX");
    assert.equal(settled, false, "the join still waits");
    assert.deepEqual(clientErrors, ["internal"]);
    assert.deepEqual(roomErrors, ["illegal_input", "rate_limited"]);
    // Its own answer settles it.
    conn.reply(held.shift(), { t: "error", code: "room_full", message: "full" });
    await assert.rejects(waiting, { code: "room_full" });
    assert.equal(client.status, "open");
  });

  test("a leave answered with not_in_room is done at once", async () => {
    const server = await serve(
      standard((conn, m) => {
        if (m.t === "leave") {
          conn.reply(m, { t: "error", code: "not_in_room", message: "not in a room" });
          return true;
        }
        return false;
      }),
    );
    const client = await connect(server.url, { requestTimeout: 5000 });
    const errors = [];
    client.on("error", (e) => errors.push(e.code));
    const room = await client.quick("arena");
    const started = Date.now();
    await room.leave();
    assert.ok(Date.now() - started < 1000, "without waiting for the timeout");
    assert.equal(room.leftReason, "leave");
    assert.equal(client.room, null);
    assert.deepEqual(errors, []);
  });

  test("a server that does not echo rids gets answers matched in order", async () => {
    const { held, handler } = holding({ echo: false });
    const server = await serve(handler);
    const client = await connect(server.url);
    const conn = server.conns[0];
    const a = client.quick("arena");
    const b = client.join("QRSTUV");
    const nope = client.quick("nope").catch((e) => e);
    const ping = client.ping();
    await until(() => held.length === 4);
    assert.ok(held.every((m) => typeof m.rid === "number"), "rids are sent all the same");
    // A 1.0 server answers in the order asked, without rids.
    conn.send(joinedFrame("ABCDEF", 11));
    conn.send(joinedFrame("QRSTUV", 12));
    conn.send({ t: "error", code: "no_such_game", message: "no game named nope" });
    conn.send({ t: "pong", n: held[3].n });
    assert.equal((await a).code, "ABCDEF");
    assert.equal((await b).code, "QRSTUV");
    assert.equal((await nope).code, "no_such_game");
    assert.equal(typeof (await ping), "number");
    // As in protocol 1.0, a request error without rid answers the oldest request.
    const c = client.quick("arena");
    await until(() => held.length === 5);
    conn.send({ t: "error", code: "internal", message: "trouble" });
    await assert.rejects(c, { code: "internal" });
  });
});

describe("server shutdown", () => {
  test("left: shutdown, then close 1001: the client reconnects without the room", async () => {
    const server = await serve(standard());
    const client = await connect(server.url, { guest: "Ann" });
    const room = await client.quick("arena");
    const left = next(room, "left");
    const reconnecting = next(client, "reconnecting");
    const reconnected = next(client, "reconnected");
    const clientClosed = [];
    client.on("close", (e) => clientClosed.push(e));
    // As the server does when it shuts down.
    server.conns[0].send({ t: "left", reason: "shutdown" });
    server.conns[0].ws.close(1001, "server shutting down");
    assert.deepEqual(await left, { reason: "shutdown" });
    assert.equal(room.leftReason, "shutdown");
    const attempt = await reconnecting;
    assert.equal(attempt.attempt, 1);
    assert.equal(attempt.code, 1001);
    assert.ok(attempt.delay >= 5 && attempt.delay <= 10, "the usual backoff");
    assert.equal((await reconnected).room, null);
    assert.equal(client.room, null);
    assert.equal(client.status, "open");
    assert.deepEqual(clientClosed, []);
    // The new connection signs in with the session and asks for no room.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(server.conns[1].bare, [{ t: "hello", v: 1, session: "tok-1", compact: true, lean: true }]);
    assert.equal((await client.quick("arena")).code, "ABCDEF");
  });

  test("a shutdown while a seat is being restored: the room is left, not joined", async () => {
    let shuttingDown = false;
    const server = await serve(
      standard((conn, m) => {
        if (m.t === "hello" && m.session && shuttingDown) {
          shuttingDown = false;
          conn.reply(m, { t: "welcome", player: { id: "guest:a", name: "Ann" }, session: "tok-9", room: "ABCDEF" });
          conn.send({ t: "left", reason: "shutdown" });
          conn.ws.close(1001, "server shutting down");
          return true;
        }
        return false;
      }),
    );
    const client = await connect(server.url);
    const room = await client.quick("arena");
    const left = next(room, "left");
    const reconnected = next(client, "reconnected");
    shuttingDown = true;
    server.dropAll();
    assert.deepEqual(await left, { reason: "shutdown" });
    assert.equal((await reconnected).room, null);
    // The next connection (after the 1001) restores nothing.
    await until(() => server.conns.length === 3 && server.conns[2].got.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(client.room, null);
    assert.equal(client.status, "open");
    assert.deepEqual(
      server.conns.flatMap((c) => c.got.filter((m) => m.t === "join")),
      [],
    );
  });
});

describe("bounds", () => {
  test("at most 8 requests and 16 pings wait at once", async () => {
    const server = await serve((conn, m) => {
      if (m.t === "hello") conn.send({ t: "welcome", player: { id: "g", name: "n" }, session: "" });
    });
    const client = await connect(server.url, { requestTimeout: 300 });
    const waiting = [];
    for (let i = 0; i < 8; i++) waiting.push(client.quick("arena").catch((e) => e.code));
    await assert.rejects(client.quick("arena"), { code: "busy" });
    for (let i = 0; i < 16; i++) waiting.push(client.ping().catch((e) => e.code));
    await assert.rejects(client.ping(), { code: "busy" });
    const codes = await Promise.all(waiting);
    assert.ok(codes.every((c) => c === "timeout"));
  });

  test("frames that do not decode are reported, not fatal", async () => {
    const server = await serve(standard());
    const client = await connect(server.url);
    const error = next(client, "error");
    server.conns[0].ws.send(new Uint8Array([0xc1]));
    assert.equal((await error).code, "bad_frame");
    const text = next(client, "error");
    server.conns[0].ws.send("hello");
    assert.equal((await text).code, "bad_frame");
    const room = await client.quick("arena");
    assert.equal(room.code, "ABCDEF");
    assert.ok(decodeFrame(frame({ t: "x" })).t === "x");
  });
});
