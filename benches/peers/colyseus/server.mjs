// Colyseus 0.18 peer for Parlor's benchmark comparison: the "arena" game.
//
// The rules mirror Parlor's games/arena.rs: a 1000x1000 field, speed 200
// units/s, 30 orbs, reach 20, 20 Hz fixed step of 0.05 s, rounds of 60 s
// (1200 ticks) after which every score resets, 8 players per room.
// Positions are kept as f32 values (Math.fround) like Parlor's, and a field is
// only written when its value really changes, so a player at rest or pinned
// against a wall costs nothing on the wire.

import { Server, Room } from "@colyseus/core";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { schema, t } from "@colyseus/schema";

const FIELD = 1000;
const SPEED = 200;
const REACH = 20;
const ORBS = 30;
const TICK_HZ = 20;
const DT = 1 / TICK_HZ; // fixed step, seconds
const TICK_MS = 1000 / TICK_HZ;
const ROUND_TICKS = 60 * TICK_HZ;
const MAX_PLAYERS = 8;

const f32 = Math.fround;
const STEP = f32(f32(SPEED) * f32(DT));
const REACH2 = f32(REACH * REACH);

const Player = schema({
  x: t.float32(),
  y: t.float32(),
  score: t.uint32(),
  ack: t.uint32(),
}, "Player");

const Orb = schema({
  x: t.float32(),
  y: t.float32(),
}, "Orb");

const ArenaState = schema({
  players: t.map(Player),
  orbs: t.array(Orb),
  round: t.uint32(),
}, "ArenaState");

function randomCoord() {
  // uniform in [0, FIELD), as an f32
  const v = f32(Math.random() * FIELD);
  return v < FIELD ? v : 0;
}

function toF32(v) {
  const n = typeof v === "number" ? f32(v) : NaN;
  return n;
}

function clampField(v) {
  return v < 0 ? 0 : v > FIELD ? FIELD : v;
}

class ArenaRoom extends Room {
  maxClients = MAX_PLAYERS;
  patchRate = TICK_MS; // a state patch every tick (20 Hz)
  autoDispose = true;

  onCreate() {
    const state = new ArenaState();
    for (let i = 0; i < ORBS; i++) {
      state.orbs.push(new Orb({ x: randomCoord(), y: randomCoord() }));
    }
    this.state = state;

    /** steering per sessionId (not replicated) */
    this.steer = new Map();
    this.tick = 0;
    this.roundEndsAt = 0;

    this.onMessage("steer", (client, msg) => {
      const player = this.state.players.get(client.sessionId);
      if (!player || msg === null || typeof msg !== "object") return;
      let dx = toF32(msg.dx);
      let dy = toF32(msg.dy);
      if (!Number.isFinite(dx) || !Number.isFinite(dy)) {
        dx = 0;
        dy = 0;
      }
      const length = f32(Math.sqrt(f32(f32(dx * dx) + f32(dy * dy))));
      if (length > 1) {
        const scale = f32(1 / length);
        dx = f32(dx * scale);
        dy = f32(dy * scale);
      }
      const s = this.steer.get(client.sessionId);
      if (s) {
        s.dx = dx;
        s.dy = dy;
      }
      const seq = Number(msg.seq);
      if (Number.isInteger(seq) && seq > player.ack && seq <= 0xffffffff) {
        player.ack = seq;
      }
    });

    this.setSimulationInterval(() => this.step(), TICK_MS);
  }

  onJoin(client) {
    this.state.players.set(client.sessionId, new Player({
      x: randomCoord(),
      y: randomCoord(),
      score: 0,
      ack: 0,
    }));
    this.steer.set(client.sessionId, { dx: 0, dy: 0 });
  }

  onLeave(client) {
    this.state.players.delete(client.sessionId);
    this.steer.delete(client.sessionId);
  }

  step() {
    this.tick++;
    const players = this.state.players;
    const orbs = this.state.orbs;

    // movement
    players.forEach((p, sessionId) => {
      const s = this.steer.get(sessionId);
      if (!s || (s.dx === 0 && s.dy === 0)) return;
      const nx = clampField(f32(p.x + f32(s.dx * STEP)));
      const ny = clampField(f32(p.y + f32(s.dy * STEP)));
      if (nx !== p.x) p.x = nx;
      if (ny !== p.y) p.y = ny;
    });

    // collection
    players.forEach((p) => {
      for (let i = 0; i < orbs.length; i++) {
        const orb = orbs[i];
        const ox = f32(orb.x - p.x);
        const oy = f32(orb.y - p.y);
        if (f32(f32(ox * ox) + f32(oy * oy)) <= REACH2) {
          p.score += 1;
          orb.x = randomCoord();
          orb.y = randomCoord();
        }
      }
    });

    // rounds
    if (this.state.round === 0) {
      this.state.round = 1;
      this.roundEndsAt = this.tick + ROUND_TICKS;
    } else if (this.tick >= this.roundEndsAt) {
      players.forEach((p) => {
        if (p.score !== 0) p.score = 0;
      });
      this.state.round += 1;
      this.roundEndsAt = this.tick + ROUND_TICKS;
    }
  }
}

const port = Number(process.env.PORT || 2567);

const server = new Server({
  transport: new WebSocketTransport(),
  gracefullyShutdown: false, // signals are handled below
  greet: false,
  devMode: false,
});
server.define("arena", ArenaRoom);

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  const forced = setTimeout(() => process.exit(0), 3000);
  forced.unref();
  try {
    await server.gracefullyShutdown(false);
  } catch (e) {
    console.error("shutdown:", e);
  }
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

await server.listen(port, "127.0.0.1");
console.log(`listening on ${port}`);
