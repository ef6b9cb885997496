// The SDK following `redirect` between two real `parlor serve` nodes that
// share Redis (a cluster): a quick match, a join by code on the wrong
// node, and a held seat resumed through the wrong node. Skipped without the
// binary (see scripts/server.mjs) or without Redis at
// $PARLOR_TEST_REDIS_URL (default redis://127.0.0.1:6379).
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { Parlor } from "../dist/parlor.js";
import { binary, haveBinary } from "../scripts/server.mjs";
import { next, until } from "./helpers.mjs";

const REDIS = process.env.PARLOR_TEST_REDIS_URL || "redis://127.0.0.1:6379";

/** Whether something listens at the Redis URL's host and port. */
function redisUp() {
  const { hostname, port } = new URL(REDIS);
  return new Promise((resolve) => {
    const socket = tcpConnect(Number(port || 6379), hostname || "127.0.0.1");
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

const skip = !haveBinary()
  ? `no parlor binary at ${binary()} (cargo build, or set PARLOR_BIN)`
  : !(await redisUp())
    ? `no Redis at ${REDIS} (set PARLOR_TEST_REDIS_URL)`
    : false;

/**
 * Starts one node of the cluster `prefix` (Redis keys), sharing the
 * session key file `key` and the ledger in `dir` with the others; resolves once it logs its
 * address, with its websocket URL and `stop()`.
 */
function startNode(dir, id, prefix, key) {
  const data = join(dir, id);
  const args = ["serve", "--bind", "127.0.0.1:0", "--data-dir", data, "--redis", REDIS];
  args.push("--redis-prefix", prefix, "--node-id", id, "--session-key", key);
  // One ledger for the cluster, as in production (docs/operations.md): the
  // sessions' token generations are in it, so a token one node issued is
  // good on the other.
  args.push("--database", `sqlite://${join(dir, "ledger.db")}`);
  const child = spawn(binary(), args, { stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  let log = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`node ${id} did not log its address within 20 s:\n${log}`));
    }, 20_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`node ${id} exited with ${code} before serving:\n${log}`));
    });
    // Keep reading the log so the node never blocks on a full pipe.
    createInterface({ input: child.stderr }).on("line", (line) => {
      log = (log + line + "\n").slice(-4096);
      const at = line.indexOf("serving on ");
      if (at < 0) return;
      clearTimeout(timer);
      const http = line.slice(at + "serving on ".length).trim().replace(/\/$/, "");
      resolve({
        url: `${http.replace(/^http/, "ws")}/ws`,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
          await exited;
        },
      });
    });
  });
}

/** Deletes the cluster's Redis keys (best effort: needs redis-cli). */
function dropKeys(prefix) {
  try {
    const keys = execFileSync("redis-cli", ["-u", REDIS, "--scan", "--pattern", `${prefix}*`], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean);
    if (keys.length > 0) execFileSync("redis-cli", ["-u", REDIS, "del", ...keys], { stdio: "ignore" });
  } catch {
    // No redis-cli: the keys expire with the nodes' heartbeats.
  }
}

describe("a cluster of two parlor serve nodes", { skip }, () => {
  const prefix = `sdktest${process.pid}x${randomBytes(4).toString("hex")}`;
  let dir;
  let a;
  let b;
  const clients = [];
  const connect = async (url, guest, options = {}) => {
    const client = await Parlor.connect(url, {
      WebSocket,
      guest,
      reconnect: { minDelay: 20, maxDelay: 200 },
      ...options,
    });
    clients.push(client);
    return client;
  };
  /** Resolves once `room`'s mirror holds a player named `name`. */
  const sees = (room, name) => until(() => [...room.state.entities.values()].some((e) => e.Player?.name === name), 10_000);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "parlor-sdk-cluster-"));
    const key = join(dir, "session.key");
    writeFileSync(key, randomBytes(32));
    a = await startNode(dir, "a", prefix, key);
    b = await startNode(dir, "b", prefix, key);
  });
  after(async () => {
    for (const c of clients) c.close();
    await a?.stop();
    await b?.stop();
    dropKeys(prefix);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("a quick match on node B follows the redirect into node A's room", async () => {
    const anna = await connect(a.url, "Anna");
    const annaRoom = await anna.quick("arena");
    const boris = await connect(b.url, "Boris");
    const token = boris.session;
    const redirected = next(boris, "redirect", 10_000);
    const room = await boris.quick("arena");
    assert.deepEqual(await redirected, { url: a.url, room: annaRoom.code });
    assert.equal(room.code, annaRoom.code, "the room of the player already on A");
    assert.equal(boris.url, a.url);
    assert.equal(boris.room, room);
    assert.notEqual(boris.session, token, "the new node's welcome brought the next token");
    // The Room's state arrived: both players, on both sides.
    assert.equal(room.me.Player.name, "Boris");
    await sees(room, "Anna");
    await sees(annaRoom, "Boris");
    // And the room plays: an input is acknowledged.
    assert.ok(room.send({ dx: 1, dy: 0 }));
    await until(() => room.ack >= room.seq, 10_000);
    await room.leave();
  });

  test("a join by code sent to the wrong node is followed", async () => {
    const host = await connect(a.url, "Host");
    const hosted = await host.create("tictactoe");
    const guest = await connect(b.url, "Guest");
    const redirected = next(guest, "redirect", 10_000);
    const room = await guest.join(hosted.code.toLowerCase());
    assert.equal((await redirected).url, a.url);
    assert.equal(room.code, hosted.code);
    assert.equal(room.game, "tictactoe");
    assert.equal(guest.url, a.url);
    await sees(room, "Host");
    await sees(hosted, "Guest");
  });

  test("a seat held on node A is resumed through node B: the redirect after welcome is followed", async () => {
    const keeper = await connect(a.url, "Keeper");
    const kept = await keeper.create("arena", { private: true }); // keeps the room open
    const paul = await connect(a.url, "Paul");
    const room = await paul.join(kept.invite);
    const seat = room.you;
    const token = paul.session;
    const offline = until(
      () => [...kept.state.entities.values()].some((e) => e.Player?.name === "Paul" && e.Player.online === false),
      10_000,
    );
    paul["socket"].terminate(); // the page goes away without leaving: the seat is held
    paul.close();
    await offline;

    const again = await connect(b.url, "Paul (reloaded)", { session: token });
    assert.equal(again.player.id, paul.player.id);
    // Signed in on B, which sends redirect right after welcome: the client
    // moves to A, where the held seat comes back (a `room` event).
    const back = again.room ?? (await next(again, "room", 10_000));
    assert.equal(back.code, kept.code);
    assert.equal(back.you, seat, "the same seat");
    assert.equal(again.url, a.url);
    assert.equal(again.room, back);
    assert.equal(back.me.Player.name, "Paul");
    await until(() => kept.state.entities.get(seat)?.Player?.online === true, 10_000);
    assert.ok(back.send({ dx: 0, dy: 1 }));
    await until(() => back.ack >= back.seq, 10_000);
  });
});
