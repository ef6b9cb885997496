// Load client for the Colyseus arena peer, built on @colyseus/sdk.
//
//   node load.mjs --url ws://127.0.0.1:2567 --clients N --ramp SECONDS \
//                 --duration SECONDS --per-room 8 --input-hz 10
//
// Clients start evenly over the ramp. The first client of each group of
// `per-room` creates a room, the rest join it by id. Every client steers with a
// random walk at `input-hz` (random phase). After the ramp, a window of
// `duration` seconds is measured:
//  - patches: websocket messages whose protocol code is ROOM_STATE_PATCH,
//  - bytes: the payload size of every websocket message received,
//  - RTT: time from sending "steer" with seq S until a decoded state shows this
//    client's own `ack` >= S.
// One JSON object is printed to stdout at the end; progress goes to stderr.

import { Client, Protocol } from "@colyseus/sdk";

// The low five bits of a frame's first byte are the protocol code; the high
// bits are modifiers (see @colyseus/shared-types PROTOCOL_CODE_MASK).
const PROTOCOL_CODE_MASK = 0x1f;
const PATCH = Protocol.ROOM_STATE_PATCH;
const TICK_HZ = 20;

function parseArgs(argv) {
  const opts = {
    url: "ws://127.0.0.1:2567",
    clients: 80,
    ramp: 2,
    duration: 5,
    "per-room": 8,
    "input-hz": 10,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) throw new Error(`unexpected argument ${arg}`);
    let key = arg.slice(2);
    let value;
    const eq = key.indexOf("=");
    if (eq >= 0) {
      value = key.slice(eq + 1);
      key = key.slice(0, eq);
    } else {
      value = argv[++i];
    }
    if (!(key in opts)) throw new Error(`unknown option --${key}`);
    if (value === undefined) throw new Error(`--${key} needs a value`);
    opts[key] = key === "url" ? value : Number(value);
    if (key !== "url" && !(Number.isFinite(opts[key]) && opts[key] >= 0)) {
      throw new Error(`--${key} must be a non-negative number`);
    }
  }
  opts.clients = Math.floor(opts.clients);
  opts["per-room"] = Math.max(1, Math.floor(opts["per-room"]));
  if (!(opts["input-hz"] > 0)) throw new Error("--input-hz must be positive");
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const log = (...a) => console.error("[load]", ...a);

const MAX_ERROR_SAMPLES = 10;
let errors = 0;
const errorSamples = [];
function recordError(what, err) {
  errors++;
  if (errorSamples.length < MAX_ERROR_SAMPLES) {
    const msg = err instanceof Error ? err.message : String(err ?? "");
    errorSamples.push(`${what}: ${msg}`.slice(0, 300));
  }
}

// measurement state
let measuring = false;
let stopping = false;
let windowPatches = 0;
let windowBytes = 0;
const rtts = [];
const joinMs = []; // time from a client's start to being in its room

const sims = [];
const roomIdOfGroup = new Map(); // group -> Promise<roomId>

class SimClient {
  constructor(index) {
    this.index = index;
    this.client = new Client(opts.url);
    this.room = null;
    this.inRoom = false;
    this.seq = 0;
    this.pending = []; // [seq, sentAt] in send order
    this.acked = 0;
    this.angle = Math.random() * 2 * Math.PI;
    this.phaseTimer = null;
    this.inputTimer = null;
  }

  async start() {
    const group = Math.floor(this.index / opts["per-room"]);
    const first = this.index % opts["per-room"] === 0;
    let room;
    const began = performance.now();
    try {
      if (first) {
        const created = this.client.create("arena");
        roomIdOfGroup.set(group, created.then((r) => r.roomId));
        room = await created;
      } else {
        const roomIdPromise = roomIdOfGroup.get(group);
        if (!roomIdPromise) throw new Error("the group's first client never started");
        const roomId = await roomIdPromise;
        room = await this.client.joinById(roomId);
      }
    } catch (e) {
      if (!stopping) recordError(first ? "create" : "joinById", e);
      return;
    }
    joinMs.push(performance.now() - began);
    if (stopping) {
      room.leave(true).catch(() => {});
      return;
    }
    this.attach(room);
  }

  attach(room) {
    this.room = room;
    this.inRoom = true;

    // Count patches and bytes at the websocket level: every frame the server
    // sends arrives here, after the SDK's own handler has decoded it.
    const ws = room.connection?.transport?.ws;
    if (!ws || typeof ws.on !== "function") {
      recordError("attach", new Error("no websocket on the room connection"));
    } else {
      ws.on("message", (data) => {
        if (!measuring) return;
        const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
        windowBytes += bytes.byteLength;
        if (bytes.byteLength > 0 && (bytes[0] & PROTOCOL_CODE_MASK) === PATCH) {
          windowPatches++;
        }
      });
    }

    room.onStateChange((state) => this.checkAck(state));
    room.onError((code, message) => recordError("room error", `${code} ${message ?? ""}`));
    // A dropped connection is a failure here, not something to paper over:
    // with reconnection off, every drop ends in onLeave below.
    room.reconnection.enabled = false;
    room.onDrop(() => {
      this.inRoom = false;
    });
    room.onLeave((code, reason) => {
      this.inRoom = false;
      this.stopInput();
      if (!stopping) recordError("left", `${code} ${reason ?? ""}`);
    });

    const period = 1000 / opts["input-hz"];
    this.phaseTimer = setTimeout(() => {
      this.phaseTimer = null;
      this.sendInput();
      this.inputTimer = setInterval(() => this.sendInput(), period);
    }, Math.random() * period);
  }

  sendInput() {
    if (!this.inRoom || stopping) return;
    this.angle += Math.random() - 0.5;
    const seq = ++this.seq;
    try {
      this.room.send("steer", { seq, dx: Math.cos(this.angle), dy: Math.sin(this.angle) });
      this.pending.push([seq, performance.now()]);
      // keep memory bounded if acks stop arriving
      if (this.pending.length > 1000) this.pending.splice(0, this.pending.length - 1000);
    } catch (e) {
      recordError("send", e);
    }
  }

  checkAck(state) {
    const me = state?.players?.get?.(this.room.sessionId);
    if (!me) return;
    const ack = me.ack;
    if (!(ack > this.acked)) return;
    this.acked = ack;
    const now = performance.now();
    let n = 0;
    while (n < this.pending.length && this.pending[n][0] <= ack) {
      if (measuring) rtts.push(now - this.pending[n][1]);
      n++;
    }
    if (n > 0) this.pending.splice(0, n);
  }

  stopInput() {
    if (this.phaseTimer) clearTimeout(this.phaseTimer);
    if (this.inputTimer) clearInterval(this.inputTimer);
    this.phaseTimer = this.inputTimer = null;
  }

  async stop() {
    this.stopInput();
    const room = this.room;
    if (!room) return;
    try {
      await settleWithin(room.leave(true), 2000);
    } catch {
      // ignore
    }
    try {
      room.connection?.close?.();
    } catch {
      // ignore
    }
    this.inRoom = false;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Wait for `promise`, but at most `ms`; the timer is cleared either way so it
// does not keep the process alive.
function settleWithin(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([Promise.resolve(promise).catch(() => {}), timeout]).finally(() => clearTimeout(timer));
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
const round2 = (v) => (v === null ? null : Math.round(v * 100) / 100);

process.on("unhandledRejection", (e) => recordError("unhandled rejection", e));

async function main() {
  log(`${opts.clients} clients over ${opts.ramp}s, ${opts.duration}s window, ${opts["per-room"]} per room, ${opts["input-hz"]} Hz input, ${opts.url}`);
  const t0 = performance.now();
  const rampMs = opts.ramp * 1000;
  const starts = [];
  for (let i = 0; i < opts.clients; i++) {
    const at = opts.clients > 0 ? (i * rampMs) / opts.clients : 0;
    const sim = new SimClient(i);
    sims.push(sim);
    starts.push(sleep(at).then(() => sim.start()));
  }

  await sleep(Math.max(0, t0 + rampMs - performance.now()));
  const joined = sims.filter((s) => s.inRoom).length;
  const js = [...joinMs].sort((a, b) => a - b);
  log(`ramp done: ${joined}/${opts.clients} in rooms (join ms p50 ${round2(percentile(js, 50))}, max ${round2(js[js.length - 1] ?? null)}), ${errors} errors; measuring ${opts.duration}s`);

  measuring = true;
  const w0 = performance.now();
  const windowMs = opts.duration * 1000;
  const progressEvery = 5000;
  for (;;) {
    const left = windowMs - (performance.now() - w0);
    if (left <= 0) break;
    const chunk = Math.min(progressEvery, left);
    await sleep(chunk);
    if (chunk === left) break;
    const el = (performance.now() - w0) / 1000;
    log(`${el.toFixed(0)}s: ${sims.filter((s) => s.inRoom).length} in rooms, ${(windowPatches / el).toFixed(0)} patches/s, ${rtts.length} rtt samples, ${errors} errors`);
  }
  measuring = false;
  const windowSecs = (performance.now() - w0) / 1000;
  const connected = sims.filter((s) => s.inRoom).length;

  stopping = true;
  await settleWithin(Promise.allSettled(starts), 5000);
  await Promise.allSettled(sims.map((s) => s.stop()));

  rtts.sort((a, b) => a - b);
  const patchesPerSec = windowPatches / windowSecs;
  const expected = connected * TICK_HZ;
  const result = {
    connected,
    window_secs: round2(windowSecs),
    patches_per_sec: round2(patchesPerSec),
    expected_patches_per_sec: expected,
    delivered: expected > 0 ? Math.round((patchesPerSec / expected) * 10000) / 10000 : 0,
    rtt_ms: {
      p50: round2(percentile(rtts, 50)),
      p95: round2(percentile(rtts, 95)),
      p99: round2(percentile(rtts, 99)),
      max: round2(rtts.length ? rtts[rtts.length - 1] : null),
      samples: rtts.length,
    },
    bytes_per_client_sec: connected > 0 ? Math.round(windowBytes / connected / windowSecs) : 0,
    errors,
    error_samples: errorSamples,
  };
  process.stdout.write(JSON.stringify(result) + "\n");
  log("done");
  // Everything is closed; if a stray handle lingers, don't hang forever.
  setTimeout(() => process.exit(0), 3000).unref();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
