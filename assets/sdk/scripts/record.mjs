// Records real server frames into test/fixtures/ for the state-mirror tests.
//
//   node scripts/record.mjs [--bin PATH/TO/parlor]
//
// The binary defaults to $PARLOR_BIN, else $CARGO_TARGET_DIR/debug/parlor,
// else <repo>/target/debug/parlor (build it with `cargo build`). The script
// starts `parlor serve` on a free loopback port with a temporary data
// directory, drives guest clients through scripted games, stops the server,
// and writes one JSON file per scenario: every frame the recorded client
// received, in order, base64-encoded exactly as it came off the socket,
// with its type tag beside it for readers.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { decode, encode } from "@msgpack/msgpack";
import WebSocket from "ws";
import { startServer } from "./server.mjs";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A guest connection that keeps every frame it receives. */
class Recorder {
  constructor(name) {
    this.name = name;
    this.frames = [];
    this.waiters = [];
    this.seq = 0;
    this.keep = true;
    // Frames are kept while `budget` lasts; then counted in `dropped` until
    // one passes `keepFrom`, which puts a {skipped} marker and keeps
    // `budgetAfter` frames more.
    this.budget = Infinity;
    this.dropped = 0;
    this.keepFrom = null;
    this.budgetAfter = Infinity;
    // Received messages; `next` reads them in order from `cursor` on.
    this.log = [];
    this.cursor = 0;
  }

  async open(url) {
    this.ws = new WebSocket(url);
    this.ws.binaryType = "nodebuffer";
    this.ws.on("message", (data) => {
      const message = decode(data);
      const frame = { t: message.t, b64: Buffer.from(data).toString("base64") };
      if (!this.keep && this.keepFrom?.(message)) {
        this.frames.push({ skipped: this.dropped });
        this.keep = true;
        this.budget = this.budgetAfter;
      }
      if (this.keep && this.budget > 0) {
        this.frames.push(frame);
        this.budget -= 1;
      } else {
        this.keep = false;
        this.dropped += 1;
      }
      this.log.push(message);
      const waiter = this.waiters[0];
      if (waiter !== undefined && waiter.test(message)) {
        this.waiters.shift();
        this.cursor = this.log.length;
        waiter.resolve(message);
      }
    });
    await new Promise((resolve, reject) => {
      this.ws.once("open", resolve);
      this.ws.once("error", reject);
    });
    this.send({ t: "hello", v: 1, guest: this.name });
    this.welcome = await this.next((m) => m.t === "welcome");
    return this;
  }

  send(message) {
    this.ws.send(encode(message));
  }

  input(d) {
    this.seq += 1;
    this.send({ t: "input", seq: this.seq, d });
    return this.seq;
  }

  /** Resolves with the first message past the cursor that passes `test`. */
  next(test, ms = 10_000) {
    for (let i = this.cursor; i < this.log.length; i++) {
      if (test(this.log[i])) {
        this.cursor = i + 1;
        return Promise.resolve(this.log[i]);
      }
    }
    this.cursor = this.log.length;
    return new Promise((resolve, reject) => {
      const waiter = { test, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) {
          this.waiters.splice(at, 1);
          reject(new Error(`${this.name}: timed out waiting (${test})`));
        }
      }, ms);
    });
  }

  async patches(n) {
    for (let i = 0; i < n; i++) await this.next((m) => m.t === "patch");
  }

  close() {
    this.ws.close();
  }
}

function save(file, scenario, recorder, notes) {
  const fixture = {
    scenario,
    notes,
    player: recorder.welcome.player,
    frames: recorder.frames.map(({ t, b64, skipped }) => (skipped ? { skipped } : { t, b64 })),
  };
  writeFileSync(join(out, file), `${JSON.stringify(fixture, null, 1)}\n`);
  const types = {};
  for (const f of recorder.frames) types[f.t ?? "skipped"] = (types[f.t ?? "skipped"] ?? 0) + 1;
  console.log(`${file}: ${JSON.stringify(types)}`);
}

/** Tic-tac-toe: X opens a private room, O joins by code, X wins on the diagonal 2-4-6. */
async function tictactoe(url) {
  const x = await new Recorder("Xavier").open(url);
  const o = await new Recorder("Olga").open(url);
  x.send({ t: "create", game: "tictactoe", private: true });
  const joined = await x.next((m) => m.t === "joined");
  o.send({ t: "join", room: joined.room.toLowerCase() });
  await o.next((m) => m.t === "joined");
  await x.next((m) => m.t === "patch"); // Olga arrives
  const move = async (who, cell) => {
    const seq = who.input({ cell });
    await who.next((m) => (m.t === "patch" && m.ack >= seq) || (m.t === "error" && m.code === "illegal_input"));
  };
  await move(x, 4);
  await move(o, 0);
  await move(x, 0); // taken: illegal_input, the state is unchanged
  await move(x, 2);
  await move(o, 1);
  x.input({ cell: 6 });
  await x.next((m) => m.t === "left");
  await o.next((m) => m.t === "left");
  x.close();
  o.close();
  save("tictactoe-x.json", "tictactoe", x, [
    "Xavier creates a private tictactoe room; Olga joins it by code (lower case).",
    "Moves: X 4, O 0, X 0 (refused: illegal_input), X 2, O 1, X 6: X wins on 2-4-6.",
    "Then result and left (finished). Resources Board and Turn; Player entities.",
  ]);
  save("tictactoe-o.json", "tictactoe", o, ["Olga's side of tictactoe-x.json."]);
}

/** Arena: A plays alone, steers, B joins (spawn) and leaves (gone), A pings and leaves. */
async function arena(url) {
  const a = await new Recorder("Anna").open(url);
  a.send({ t: "quick", game: "arena" });
  const joined = await a.next((m) => m.t === "joined");
  await a.patches(3);
  const seq = a.input({ dx: 1, dy: 0.5 });
  await a.next((m) => m.t === "patch" && m.ack >= seq);
  await a.patches(5);
  const b = await new Recorder("Boris").open(url);
  b.send({ t: "quick", game: "arena" });
  const bJoined = await b.next((m) => m.t === "joined");
  if (bJoined.room !== joined.room) throw new Error("quick put Boris in another room");
  await a.next((m) => m.t === "patch" && m.ch.some(([id]) => id === bJoined.you));
  b.input({ dx: -1, dy: 0 });
  await a.patches(5);
  b.send({ t: "leave" });
  await b.next((m) => m.t === "left");
  await a.next((m) => m.t === "patch" && m.gone.includes(bJoined.you));
  a.send({ t: "ping", n: 7 });
  await a.next((m) => m.t === "pong");
  a.input({ dx: 0, dy: 0 });
  await a.patches(2);
  a.send({ t: "leave" });
  await a.next((m) => m.t === "left");
  a.close();
  b.close();
  save("arena.json", "arena", a, [
    "Anna quick-joins arena alone and steers (dx 1, dy 0.5); Boris quick-joins the same room",
    `(entity ${bJoined.you}: spawned in a patch's ch), steers, and leaves (his entity in a patch's gone).`,
    "Anna pings (pong n 7), stops, and leaves (left: leave).",
    "The Round resource changes in a patch's r when the first round starts.",
    "No bundled game removes a component, so no patch here has a non-empty rm.",
  ]);
}

/** A heavy arena that fills a paused client's queue, so the room resyncs it with a fresh joined. */
const HEAVY_ARENA = `
name = "arena"
title = "Orb Arena (resync recording)"
min_players = 1
max_players = 8
tick_rate = 120
match_seconds = 600
continuous = true

[settings]
field = 1000.0
speed = 200.0
orbs = 200
reach = 2000.0
`;

const PAUSE_MS = Number(process.env.PAUSE_MS ?? 30000);

async function resync(url) {
  const a = await new Recorder("Rita").open(url);
  // Keep joined and 3 patches; count the backlog; keep the fresh joined and
  // 3 patches after it.
  a.budget = 4;
  a.keepFrom = (m) => m.t === "joined";
  a.budgetAfter = 4;
  a.send({ t: "quick", game: "arena" });
  await a.next((m) => m.t === "joined");
  await a.patches(3);
  // Stop reading: the kernel buffers fill, then the server's queue for this
  // client, and the room marks it lagging.
  a.ws._socket.pause();
  await sleep(PAUSE_MS);
  a.ws._socket.resume();
  await a.next((m) => m.t === "joined", 30_000);
  await a.patches(3);
  a.close();
  return a;
}

async function main() {
  mkdirSync(out, { recursive: true });
  const server = await startServer();
  try {
    await tictactoe(server.url);
    await arena(server.url);
  } finally {
    await server.stop();
  }
  const heavy = await startServer({ arena: HEAVY_ARENA });
  try {
    const a = await resync(heavy.url);
    save("resync.json", "resync", a, [
      "Rita plays an arena of 200 orbs, all collected (moved) every tick at 120 ticks/s.",
      `After 3 patches she stops reading for ${PAUSE_MS / 1000} s; the room skips her patches and later sends a fresh joined.`,
      "Frames: joined, 3 patches, a {skipped: N} marker for the backlog not kept, the fresh joined, 3 patches.",
    ]);
  } finally {
    await heavy.stop();
  }
}

await main();
