// The SDK against a real `parlor serve` (skipped when the binary is not
// built; see scripts/server.mjs for where it is looked for).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { Parlor } from "../dist/parlor.js";
import { binary, haveBinary, startServer } from "../scripts/server.mjs";
import { next, until } from "./helpers.mjs";

const skip = haveBinary() ? false : `no parlor binary at ${binary()} (cargo build, or set PARLOR_BIN)`;

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

  test("tictactoe: private room by code, a refused move, a result", async () => {
    const xavier = await connect("Xavier");
    const olga = await connect("Olga");
    const x = await xavier.create("tictactoe", { private: true });
    const o = await olga.join(x.code.toLowerCase());
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

  test("a dropped connection gets the same Room back", async () => {
    const keeper = await connect("Keeper");
    // A private room of its own: a quick match could pick the closing room of
    // the first test (the server lets quick land in a room that is closing).
    const kept = await keeper.create("arena", { private: true }); // keeps the room open
    const rita = await connect("Rita");
    const room = await rita.join(kept.code);
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
    const room = await first.join(kept.code);
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
});
