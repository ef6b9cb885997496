// The SDK against a real `parlor serve` (skipped when the binary is not
// built; see scripts/server.mjs for where it is looked for): rooms,
// spectators, reconnection, replays of recorded matches, compact patches.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Parlor, encodeFrame } from "../dist/parlor.js";
import { binary, haveBinary, startServer } from "../scripts/server.mjs";
import { decode, next, snapshot, until } from "./helpers.mjs";

const skip = haveBinary() ? false : `no parlor binary at ${binary()} (cargo build, or set PARLOR_BIN)`;

/** Sends `cell` from `room` and waits until the room applied it. */
async function move(room, cell) {
  const seq = room.seq + 1;
  assert.ok(room.send({ cell }));
  await until(() => room.ack >= seq);
}

/** After X's first move: O and X take `cells` in turn, then X plays 6 (X's 2-4-6 with [0, 2, 1, 6]). */
async function win(x, o, cells) {
  for (let i = 0; i < cells.length - 1; i++) await move(i % 2 === 0 ? o : x, cells[i]);
  assert.ok(x.send({ cell: cells.at(-1) }));
}

describe("against parlor serve", { skip }, () => {
  let server;
  const clients = [];
  const connect = async (guest, options = {}) => {
    const client = await Parlor.connect(server.url, {
      ...options,
      WebSocket,
      guest,
      reconnect: { minDelay: 20, maxDelay: 200 },
    });
    clients.push(client);
    return client;
  };

  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const c of clients) c.close();
    await server?.stop();
  });

  test("arena: steer, see another player come and go, ping", async () => {
    const anna = await connect("Anna");
    assert.equal(anna.player.name, "Anna");
    const room = await anna.quick("arena");
    assert.equal(room.game, "arena");
    await until(() => room.me?.Position !== undefined);
    const start = { ...room.me.Position };
    assert.ok(room.send({ dx: 1, dy: 0 }));
    await until(() => room.ack >= 1 && room.me.Position.x > start.x);
    assert.equal(room.me.Player.name, "Anna");

    const boris = await connect("Boris");
    const spawned = new Promise((resolve) =>
      room.on("change", (c) => c.spawned.length > 0 && resolve(c.spawned[0])),
    );
    const borisRoom = await boris.quick("arena");
    assert.equal(borisRoom.code, room.code);
    const id = await spawned;
    assert.equal(id, borisRoom.you);
    await until(() => room.state.entities.get(id)?.Player?.name === "Boris");
    const gone = new Promise((resolve) => room.on("change", (c) => c.gone.includes(id) && resolve()));
    await borisRoom.leave();
    await gone;
    assert.equal(room.state.entities.has(id), false);
    assert.ok((await room.ping()) >= 0);
    await room.leave();
  });

  test("tictactoe: private room by invite, a refused move, a result", async () => {
    const xavier = await connect("Xavier");
    const olga = await connect("Olga");
    const x = await xavier.create("tictactoe", { private: true });
    const o = await olga.join(x.invite.toLowerCase());
    assert.equal(o.code, x.code);
    await until(() => x.state.entities.size === 2);
    const moves = async (room, cell) => {
      const seq = room.seq + 1;
      assert.ok(room.send({ cell }));
      await until(() => room.ack >= seq);
    };
    const refused = next(x, "error");
    await moves(x, 4);
    await moves(o, 0);
    x.send({ cell: 0 });
    assert.equal((await refused).code, "illegal_input");
    await moves(x, 2);
    await moves(o, 1);
    const result = next(x, "result");
    const left = next(x, "left");
    x.send({ cell: 6 });
    const r = await result;
    assert.equal(r.ranking.find((l) => l.rank === 1).name, "Xavier");
    assert.deepEqual(await left, { reason: "finished" });
    assert.deepEqual(x.state.resources.Board, [2, 2, 1, 0, 1, 0, 1, 0, 0]);
  });

  test("tictactoe: a spectator watches by code, sees the moves and the end; its inputs are refused", async () => {
    const xavier = await connect("Xavier W");
    const olga = await connect("Olga W");
    const vera = await connect("Vera (watching)");
    const x = await xavier.create("tictactoe");
    const o = await olga.join(x.code);
    const v = await vera.watch(x.code.toLowerCase());
    assert.equal(v.code, x.code);
    assert.equal(v.watching, true);
    assert.equal(v.you, null);
    assert.equal(x.watching, false);
    await until(() => v.state.entities.size === 2);
    assert.deepEqual(
      [...v.state.entities.values()].map((e) => e.Player.name).sort(),
      ["Olga W", "Xavier W"],
    );
    // Everyone in the room has the same commitment to the match's seed.
    assert.match(v.fair, /^[0-9a-f]{64}$/);
    assert.equal(x.fair, v.fair);

    // The SDK refuses locally; the server refuses an input sent anyway.
    assert.throws(() => v.send({ cell: 4 }), { code: "spectator" });
    const refused = next(v, "error");
    v["link"].write(encodeFrame({ t: "input", seq: 1, d: { cell: 4 }, rid: 4242 }));
    assert.equal((await refused).code, "spectator");
    assert.deepEqual(v.state.resources.Board, [0, 0, 0, 0, 0, 0, 0, 0, 0]);

    await move(x, 4);
    await until(() => v.state.resources.Board[4] === 1);
    const result = next(x, "result");
    const left = next(v, "left");
    await win(x, o, [0, 2, 1, 6]);
    const r = await result;
    assert.equal(r.ranking.find((l) => l.rank === 1).name, "Xavier W");
    assert.equal(createHash("sha256").update(Buffer.from(r.seed, "hex")).digest("hex"), v.fair);
    assert.deepEqual(await left, { reason: "finished" });
    assert.deepEqual(v.state.resources.Board, [2, 2, 1, 0, 1, 0, 1, 0, 0]);
  });

  test(
    "a spectator gets the result of a match whose room then closes",
    async () => {
      const x = await (await connect("Xena R")).create("tictactoe");
      const o = await (await connect("Omar R")).join(x.code);
      const v = await (await connect("Val (watching)")).watch(x.code);
      const results = [];
      v.on("result", (r) => results.push(r));
      const left = next(v, "left");
      await move(x, 4);
      await win(x, o, [0, 2, 1, 6]);
      await left;
      assert.equal(results.length, 1, "a result before left");
    },
  );

  test("watch: a private room by its invite only; no room, no watching", async () => {
    const keeper = await connect("Keeper W");
    const kept = await keeper.create("arena", { private: true });
    const viewer = await connect("Viewer");
    await assert.rejects(viewer.watch(kept.code), { code: "no_such_room" });
    await assert.rejects(viewer.watch("ZZZZZZ"), { code: "no_such_room" });
    const v = await viewer.watch(kept.invite);
    assert.equal(v.watching, true);
    assert.equal(v.invite, kept.invite);
    await until(() => v.state.entities.has(kept.you));
    // The keeper's moves reach the spectator.
    const start = v.state.entities.get(kept.you).Position.x;
    assert.ok(kept.send({ dx: 1, dy: 0 }));
    await until(() => v.state.entities.get(kept.you).Position.x > start);
    assert.equal(kept.state.entities.size, v.state.entities.size, "a spectator has no entity");
  });

  test("a dropped connection gets the same Room back", async () => {
    const keeper = await connect("Keeper");
    // A private room of its own: a quick match could pick the closing room of
    // the first test (the server lets quick land in a room that is closing).
    const kept = await keeper.create("arena", { private: true }); // keeps the room open
    const rita = await connect("Rita");
    const room = await rita.join(kept.invite);
    const seat = room.you;
    const reconnected = next(rita, "reconnected", 10_000);
    const resync = new Promise((resolve) => room.on("change", (c) => c.resync && resolve(c)));
    rita["socket"].terminate(); // a network failure, as far as the client can tell
    assert.equal((await reconnected).room, room);
    await resync;
    assert.equal(rita.room, room);
    assert.equal(room.status, "active");
    assert.equal(room.me.Player.name, "Rita");
    assert.ok(room.send({ dx: 0, dy: 1 }));
    await until(() => room.ack >= room.seq);
    if (rita.session !== "") {
      // A server that resumes sessions kept the seat: the same entity.
      assert.equal(room.you, seat);
      await until(() => room.me.Player.online === true);
    }
  });

  test("a reloaded page with the session token gets its seat back", async (t) => {
    const keeper = await connect("Keeper2");
    const kept = await keeper.create("arena", { private: true });
    const first = await connect("Paul");
    if (first.session === "") return t.skip("this server gives no session tokens");
    const room = await first.join(kept.invite);
    const token = first.session;
    first["socket"].terminate(); // the page goes away without leaving
    first.close();
    const again = await connect("Paul (reloaded)", { session: token });
    assert.equal(again.player.id, first.player.id);
    assert.ok(again.room, "connect resolves in the held room");
    assert.equal(again.room.code, kept.code);
    assert.equal(again.room.you, room.you);
    assert.equal(await again.play("arena"), again.room);
  });

  test("a second page resuming the session closes the first for good (4001)", async () => {
    const first = await connect("Rita");
    const room = await first.create("arena", { private: true });
    let reconnecting = 0;
    first.on("reconnecting", () => reconnecting++);
    const closed = next(first, "close");
    const second = await connect("Rita (second tab)", { session: first.session });
    assert.equal(second.player.id, first.player.id);
    assert.equal(second.room?.code, room.code, "the seat moved to the second page");
    const { code } = await closed;
    assert.equal(code, 4001);
    assert.equal(first.status, "closed");
    assert.equal(reconnecting, 0);
  });
});

// The bundled tic-tac-toe, recorded: each match's inputs are kept with its
// result, so it can be watched played back (`watchReplay`). Top-level keys
// come before any table, so `record` goes first.
const RECORDED_TICTACTOE =
  "record = true\n" + readFileSync(new URL("../../../games/manifests/tictactoe.toml", import.meta.url), "utf8");

/** The distinct boards `room` shows, in order, from now on (the current one first). */
function boards(room) {
  const seen = [];
  const look = () => {
    const board = JSON.stringify(room.state.resources.Board ?? null);
    if (seen.at(-1) !== board) seen.push(board);
  };
  look();
  room.on("change", look);
  return seen;
}

describe("replays against parlor serve", { skip }, () => {
  let server;
  const clients = [];
  const connect = async (guest) => {
    const client = await Parlor.connect(server.url, { WebSocket, guest, reconnect: { minDelay: 20, maxDelay: 200 } });
    clients.push(client);
    return client;
  };

  /**
   * A private tic-tac-toe match X wins (2-4-6), `pause` ms before each move:
   * the pace the replay plays it back at, so that a spectator's listeners,
   * added once `watchReplay` resolves, are there before the first move.
   * Resolves with its result, X's commitment and the boards X saw.
   */
  async function recordedMatch(names, pause = 100) {
    const x = await (await connect(names[0])).create("tictactoe", { private: true });
    const seen = boards(x);
    const o = await (await connect(names[1])).join(x.invite);
    await until(() => x.state.entities.size === 2);
    const result = next(x, "result");
    // Not a wait for anything: it spaces the moves out in the recording.
    const pace = () => new Promise((resolve) => setTimeout(resolve, pause));
    for (const [room, cell] of [[x, 4], [o, 0], [x, 2], [o, 1]]) {
      await pace();
      await move(room, cell);
    }
    await pace();
    assert.ok(x.send({ cell: 6 }));
    return { result: await result, boards: seen, fair: x.fair };
  }

  before(async () => {
    server = await startServer({ tictactoe: RECORDED_TICTACTOE });
  });
  after(async () => {
    for (const c of clients) c.close();
    await server?.stop();
  });

  test("a third client watches a recorded match played back: the moves, the same result, then left", async () => {
    const played = await recordedMatch(["Xavier R", "Olga R"]);
    const vera = await connect("Vera (replay)");
    const v = await vera.watchReplay(played.result.match);
    assert.equal(v.replay, played.result.match);
    assert.equal(v.watching, true);
    assert.equal(v.you, null);
    assert.equal(v.game, "tictactoe");
    assert.equal(vera.room, v);
    const seen = boards(v);
    const result = next(v, "result");
    const left = next(v, "left");
    const r = await result;
    assert.deepEqual(r, played.result, "the recorded result: the same match id, ranking and seed");
    assert.deepEqual(await left, { reason: "finished" });
    assert.equal(vera.room, null);
    // Every board of the match, in order, as the players saw it.
    assert.deepEqual(seen, played.boards);
    assert.deepEqual(v.state.resources.Board, [2, 2, 1, 0, 1, 0, 1, 0, 0]);
    assert.deepEqual(
      [...v.state.entities.values()].map((e) => e.Player.name).sort(),
      ["Olga R", "Xavier R"],
    );
    // The replay commits to the seed the match revealed.
    assert.equal(v.fair, played.fair);
    assert.equal(createHash("sha256").update(Buffer.from(r.seed, "hex")).digest("hex"), v.fair);
    // A spectator of a replay sends no inputs.
    assert.throws(() => v.send({ cell: 3 }), { code: "spectator" });
  });

  test("a replay's dropped connection watches it again from the beginning, to the same result", async () => {
    const played = await recordedMatch(["Xena R", "Omar R"], 250);
    const vik = await connect("Vik (replay)");
    const v = await vik.watchReplay(played.result.match);
    // Dropped once the first move is shown: the replay starts over.
    await until(() => v.state.resources.Board?.[4] === 1);
    const reconnected = next(vik, "reconnected", 10_000);
    const resync = new Promise((resolve) => v.on("change", (c) => c.resync && resolve(c)));
    const results = [];
    v.on("result", (r) => results.push(r));
    const left = next(v, "left", 10_000);
    const seen = boards(v);
    vik["socket"].terminate(); // a network failure, as far as the client can tell
    assert.equal((await reconnected).room, v);
    await resync;
    assert.equal(vik.room, v);
    assert.equal(v.replay, played.result.match);
    assert.deepEqual(await left, { reason: "finished" });
    assert.deepEqual(results, [played.result]);
    // From the first move's board back to the empty one, then the whole match.
    assert.deepEqual(seen, [played.boards[1], ...played.boards]);
  });

  test("an unknown match id is refused with no_such_room", async () => {
    const viewer = await connect("Val (replay)");
    await assert.rejects(
      viewer.watchReplay("0000nope"),
      (e) => e.code === "no_such_room" && /no signed match 0000nope/.test(e.message),
    );
    assert.equal(viewer.room, null);
  });
});

// An arena with short rounds on a small field, so that in a few seconds
// orbs are collected (orb Position and Score changes), a round ends (the
// Round resource, Scores reset) and a player comes and goes.
const BUSY_ARENA = `
name = "arena"
title = "Orb Arena (compact live test)"
min_players = 1
max_players = 8
tick_rate = 20
match_seconds = 2
continuous = true

[settings]
field = 300.0
speed = 200.0
orbs = 40
reach = 40.0
`;

/**
 * A WebSocket that counts the frames it receives by type tag, and the `p`
 * frames with a tick (`p.k`) and with an ack (`p.a`).
 */
function counting(counts) {
  const count = (key) => (counts[key] = (counts[key] ?? 0) + 1);
  return class extends WebSocket {
    constructor(url) {
      super(url);
      this.addEventListener("message", (event) => {
        let message;
        try {
          message = decode(event.data);
        } catch {
          message = { t: "undecodable" };
        }
        count(message.t);
        if (message.t === "p" && "k" in message) count("p.k");
        if (message.t === "p" && "a" in message) count("p.a");
      });
    }
  };
}

/** Steers `room`'s player toward the nearest orb. */
function chase(room) {
  const me = room.me?.Position;
  if (me === undefined) return;
  let best = null;
  for (const e of room.state.entities.values()) {
    if (!("Orb" in e) || e.Position === undefined) continue;
    const d = (e.Position.x - me.x) ** 2 + (e.Position.y - me.y) ** 2;
    if (best === null || d < best.d) best = { d, dx: e.Position.x - me.x, dy: e.Position.y - me.y };
  }
  if (best !== null) room.send({ dx: best.dx, dy: best.dy });
}

describe("compact patches against parlor serve", { skip }, () => {
  let server;
  const clients = [];
  const connect = async (guest, counts, options = {}) => {
    const client = await Parlor.connect(server.url, {
      WebSocket: counting(counts),
      guest,
      reconnect: false,
      ...options,
    });
    clients.push(client);
    return client;
  };

  before(async () => {
    server = await startServer({ arena: BUSY_ARENA });
  });
  after(async () => {
    for (const c of clients) c.close();
    await server?.stop();
  });

  test("compact, lean and plain clients in one room keep identical mirrors", async () => {
    const compactFrames = {};
    const plainFrames = {};
    const leanFrames = {};
    const ada = await connect("Ada", compactFrames, { lean: false });
    const ben = await connect("Ben", plainFrames, { compact: false });
    const lea = await connect("Lea", leanFrames);
    assert.deepEqual([ada.compact, ada.lean], [true, false]);
    assert.deepEqual([ben.compact, ben.lean], [false, false]);
    assert.deepEqual([lea.compact, lea.lean], [true, true], "lean is the default");
    const a = await ada.create("arena", { private: true });
    const b = await ben.join(a.invite);
    const l = await lea.join(a.invite);
    assert.equal(b.code, a.code);

    // The state after each tick's message, by tick, on both sides.
    const seen = (room) => {
      const states = new Map();
      const changes = [];
      room.on("change", (change) => {
        states.set(change.tick, structuredClone(snapshot(room.state)));
        changes.push(change);
      });
      return { states, changes };
    };
    const sa = seen(a);
    const sb = seen(b);
    const sl = seen(l);
    const errors = [];
    for (const target of [ada, ben, lea, a, b, l]) target.on("error", (e) => errors.push(e));

    const steering = setInterval(() => {
      chase(a);
      chase(b);
      chase(l);
    }, 100);
    try {
      // A third player comes and goes: a spawn in c, a despawn in g.
      await until(() => a.ack >= 1 && b.ack >= 1, 5000);
      const cid = await connect("Cid", {});
      const c = await cid.join(a.invite);
      await until(() => a.state.entities.has(c.you) && b.state.entities.has(c.you), 5000);
      await c.leave();
      await until(() => !a.state.entities.has(c.you) && !b.state.entities.has(c.you), 5000);
      // Orbs collected and a round over, on both sides, in patches: the
      // change a `joined` makes lists every component and resource, so it
      // would pass at once and leave too few ticks to compare.
      const patches = (changes) => changes.filter((ch) => ch.ack !== undefined && !ch.resync);
      const scored = (changes) =>
        patches(changes).some((ch) => [...ch.changed.values()].some((n) => n.includes("Score")));
      const rounds = (changes) => patches(changes).some((ch) => ch.resources.includes("Round"));
      await until(() => scored(sa.changes) && scored(sb.changes) && rounds(sa.changes) && rounds(sb.changes), 15_000);
    } finally {
      clearInterval(steering);
    }

    // The end: the three mirrors at one tick, equal.
    let final = null;
    await until(() => {
      if (a.state.tick !== b.state.tick || l.state.tick !== b.state.tick) return false;
      final = { tick: a.state.tick, a: snapshot(a.state), b: snapshot(b.state), l: snapshot(l.state) };
      return true;
    }, 5000);
    assert.deepEqual(final.a, final.b, `the mirrors at tick ${final.tick}`);
    assert.deepEqual(final.l, final.b, `the lean mirror at tick ${final.tick}`);

    // And after every tick both applied since Ben's first patch.
    const from = sb.changes.find((ch) => !ch.resync && ch.ack !== undefined).tick;
    const common = [...sb.states.keys()].filter((tick) => tick >= from && sa.states.has(tick));
    assert.ok(common.length >= 20, `${common.length} ticks seen by both`);
    for (const tick of common) assert.deepEqual(sa.states.get(tick), sb.states.get(tick), `the mirrors at tick ${tick}`);
    // The lean client's ticks are derived (no k): at each, the same state.
    const leanCommon = [...sb.states.keys()].filter((tick) => tick >= from && sl.states.has(tick));
    assert.ok(leanCommon.length >= 20, `${leanCommon.length} ticks seen by Ben and Lea`);
    for (const tick of leanCommon) {
      assert.deepEqual(sl.states.get(tick), sb.states.get(tick), `the lean mirror at tick ${tick}`);
    }

    // Ada got compact patches only, Ben plain ones only.
    assert.ok((compactFrames.p ?? 0) >= 20, `Ada got ${compactFrames.p ?? 0} p frames`);
    assert.equal(compactFrames.patch ?? 0, 0);
    assert.ok((plainFrames.patch ?? 0) >= 20, `Ben got ${plainFrames.patch ?? 0} patch frames`);
    assert.equal(plainFrames.p ?? 0, 0);
    assert.equal(compactFrames["p.k"], compactFrames.p, "every compact p has its tick");
    assert.equal(compactFrames["p.a"], compactFrames.p, "and its ack");
    // Lea got lean ones: no tick, and the ack only when it changed (she
    // steers at 10 Hz against 20 ticks a second).
    assert.ok((leanFrames.p ?? 0) >= 20, `Lea got ${leanFrames.p ?? 0} p frames`);
    assert.equal(leanFrames["p.k"] ?? 0, 0);
    assert.ok((leanFrames["p.a"] ?? 0) < leanFrames.p, `${leanFrames["p.a"]} of ${leanFrames.p} lean p carried an ack`);
    assert.equal(compactFrames.undecodable ?? 0, 0);
    assert.deepEqual(errors, []);
  });

  test("a continuous room: result.seed matches the commitment, then fair commits to the next match", { timeout: 20_000 }, async () => {
    const host = await connect("Hana", {});
    const viewer = await connect("Vik", {});
    const h = await host.create("arena", { private: true });
    const v = await viewer.watch(h.invite);
    assert.equal(v.fair, h.fair);
    assert.match(h.fair, /^[0-9a-f]{64}$/);
    const sha256 = (hex) => createHash("sha256").update(Buffer.from(hex, "hex")).digest("hex");
    // room.fair changes only with a `fair`, which follows the result: at the
    // result it is still the commitment to the match that ended.
    const round = (room) =>
      new Promise((resolve) => {
        const off = room.on("result", ({ seed }) => {
          off();
          const committed = room.fair;
          room.once("fair", ({ commit }) => resolve({ seed, committed, commit }));
        });
      });
    for (const { seed, committed, commit } of await Promise.all([round(h), round(v)])) {
      assert.equal(sha256(seed), committed, "the seed revealed is the one committed to");
      assert.notEqual(commit, committed, "the next match draws a new seed");
    }
    assert.equal(v.fair, h.fair);
  });
});
