// Following `redirect` (a cluster's room on another node) against scripted
// local websocket servers standing in for the nodes. The same against two
// real `parlor serve` nodes sharing Redis is in cluster.test.mjs.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import WebSocket from "ws";
import { ParlorError } from "../dist/parlor.js";
import { next, scripted } from "./helpers.mjs";

const { servers, serve, connect } = scripted({ guest: "Ann" });

function joined(room, you = 7) {
  return {
    t: "joined",
    room,
    game: "arena",
    you,
    tick: 3,
    schema: [["Player", ["id", "name", "slot", "online"]]],
    state: { e: [[you, [[0, ["guest:a", "Ann", 0, true]]]]], r: [] },
  };
}

/**
 * A node: welcomes (session token `<name>-N` per welcome), answers `join`
 * of `rooms` with joined, and hands every other message to `extra`.
 */
function node(name, { rooms = [], held = null, extra = () => false } = {}) {
  let welcomes = 0;
  return (conn, m) => {
    if (extra(conn, m)) return;
    if (m.t === "hello") {
      welcomes += 1;
      const seat = held?.(m) ?? null;
      conn.reply(m, { t: "welcome", player: { id: "guest:a", name: "Ann" }, session: `${name}-${welcomes}`, room: seat });
      if (seat !== null) conn.send(joined(seat, 9));
    } else if (m.t === "join" && rooms.includes(m.room)) {
      conn.reply(m, joined(m.room));
    } else if (m.t === "join") {
      conn.reply(m, { t: "error", code: "no_such_room", message: "no such room" });
    } else if (m.t === "ping") {
      conn.reply(m, { t: "pong", n: m.n });
    }
  };
}

describe("redirect", () => {
  test("a quick match answered with redirect: the client signs in on that node with its token and joins", async () => {
    const a = await serve(node("a", { rooms: ["ROOMAA"] }));
    const b = await serve(
      node("b", {
        extra: (conn, m) => {
          if (m.t !== "quick") return false;
          conn.reply(m, { t: "redirect", url: a.url, room: "ROOMAA" });
          return true;
        },
      }),
    );
    const client = await connect(b.url, { compact: false });
    assert.equal(client.session, "b-1");
    const redirected = next(client, "redirect");
    const room = await client.quick("arena");
    assert.deepEqual(await redirected, { url: a.url, room: "ROOMAA" });
    assert.equal(room.code, "ROOMAA");
    assert.equal(room.state.entities.get(7).Player.name, "Ann");
    assert.equal(client.room, room);
    assert.equal(client.url, a.url);
    assert.equal(client.session, "a-1", "the token of the new node's welcome");
    assert.equal(client.status, "open");
    // Signed in there with the latest token, the same options (no compact), then join.
    assert.deepEqual(a.last.bare, [
      { t: "hello", v: 1, session: "b-1" },
      { t: "join", room: "ROOMAA" },
    ]);
    // The old socket is closed.
    await new Promise((resolve) => (b.last.ws.readyState === WebSocket.CLOSED ? resolve() : b.last.ws.once("close", resolve)));
    assert.ok(room.send({ dx: 1 }));
    await new Promise((resolve) => (a.last.got.some((m) => m.t === "input") ? resolve() : a.last.ws.once("message", resolve)));
  });

  test("after a redirect, reconnection goes to the new node", async () => {
    const a = await serve(node("a", { rooms: ["ROOMAA"], held: (m) => (m.session ? "ROOMAA" : null) }));
    const b = await serve(
      node("b", {
        extra: (conn, m) => {
          if (m.t !== "join") return false;
          conn.reply(m, { t: "redirect", url: a.url, room: m.room });
          return true;
        },
      }),
    );
    const client = await connect(b.url);
    const room = await client.join("roomaa");
    assert.equal(room.code, "ROOMAA");
    assert.equal(b.conns.length, 1);
    const reconnected = next(client, "reconnected");
    a.dropAll();
    assert.equal((await reconnected).room, room, "the same Room, restored on the new node");
    assert.equal(a.conns.length, 2);
    assert.equal(b.conns.length, 1, "nothing went to the first node again");
    assert.equal(a.last.got[0].session, "a-1");
  });

  test("a seat held on another node: the redirect right after welcome is followed and the seat comes back", async () => {
    const a = await serve(node("a", { held: (m) => (m.session === "b-1" ? "HELDAA" : null) }));
    const b = await serve(
      node("b", {
        extra: (conn, m) => {
          if (m.t !== "hello" || m.session !== "old") return false;
          conn.reply(m, { t: "welcome", player: { id: "guest:a", name: "Ann" }, session: "b-1" });
          conn.send({ t: "redirect", url: a.url, room: "HELDAA" });
          return true;
        },
      }),
    );
    const client = await connect(b.url, { session: "old" });
    const room = client.room ?? (await next(client, "room"));
    assert.equal(room.code, "HELDAA");
    assert.equal(room.you, 9);
    assert.equal(client.url, a.url);
    assert.equal(client.session, "a-1");
    assert.deepEqual(a.last.bare, [{ t: "hello", v: 1, session: "b-1", compact: true, lean: true }], "no join: the seat comes back by itself");
  });

  test("more than 3 redirects in a row fail the request with redirect_loop", async () => {
    // Two nodes sending each other's address for every join.
    const urls = {};
    const pingPong = (other) =>
      node(other, {
        extra: (conn, m) => {
          if (m.t !== "join") return false;
          conn.reply(m, { t: "redirect", url: urls[other], room: m.room });
          return true;
        },
      });
    const a = await serve(pingPong("b"));
    const b = await serve(pingPong("a"));
    urls.a = a.url;
    urls.b = b.url;
    const client = await connect(a.url);
    const redirects = [];
    client.on("redirect", (r) => redirects.push(r.url));
    await assert.rejects(client.join("LOOPED"), (error) => error instanceof ParlorError && error.code === "redirect_loop");
    assert.deepEqual(redirects, [b.url, a.url, b.url, a.url]);
    // Three followed (to b, a, b); the fourth not: the client stays signed
    // in on the last node, outside any room.
    assert.equal(client.url, b.url);
    assert.equal(a.conns.length + b.conns.length, 4);
    assert.equal(client.status, "open");
    assert.equal(client.room, null);
    assert.ok((await client.ping()) >= 0);
  });

  test("a node that cannot be reached after a redirect: the request rejects and the client reconnects there", async () => {
    const gone = await serve(() => {});
    const goneUrl = gone.url;
    await gone.close();
    servers.splice(servers.indexOf(gone), 1);
    const b = await serve(
      node("b", {
        extra: (conn, m) => {
          if (m.t !== "quick") return false;
          conn.reply(m, { t: "redirect", url: goneUrl, room: "ROOMAA" });
          return true;
        },
      }),
    );
    const client = await connect(b.url);
    const reconnecting = next(client, "reconnecting");
    await assert.rejects(client.quick("arena"), (error) => error.code === "disconnected");
    await reconnecting;
    assert.equal(client.url, goneUrl);
    assert.equal(client.status, "reconnecting");
  });

  test("a redirect answering no request waiting (a late answer) is not followed", async () => {
    const b = await serve(
      node("b", {
        extra: (conn, m) => {
          if (m.t !== "ping") return false;
          conn.send({ t: "redirect", url: "ws://127.0.0.1:9/ws", room: "ROOMAA", rid: 999 });
          conn.reply(m, { t: "pong", n: m.n });
          return true;
        },
      }),
    );
    const client = await connect(b.url);
    const redirected = next(client, "redirect");
    await client.ping();
    await redirected;
    assert.equal(client.url, b.url);
    assert.equal(client.status, "open");
  });
});
