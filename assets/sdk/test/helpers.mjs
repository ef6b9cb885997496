// Shared by the tests: recorded fixtures, an independent reference model of
// the replicated state, and a scripted websocket server.
import { readFileSync } from "node:fs";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach } from "node:test";
import { decode, encode } from "@msgpack/msgpack";
import WebSocket, { WebSocketServer } from "ws";
import { Parlor } from "../dist/parlor.js";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures");

/**
 * A recorded scenario: `frames` holds `{t, bytes}` for each frame as it
 * came off the socket, and `{skipped: n}` where the recorder left frames
 * out.
 */
export function loadFixture(name) {
  const fixture = JSON.parse(readFileSync(join(fixtures, name), "utf8"));
  fixture.frames = fixture.frames.map((f) =>
    f.b64 === undefined ? f : { t: f.t, bytes: new Uint8Array(Buffer.from(f.b64, "base64")) },
  );
  return fixture;
}

/**
 * The reference: the replicated state kept from raw decoded messages with
 * none of the SDK's code, as `{entities: Map<id, Map<typeIndex, raw>>,
 * resources: Map<typeIndex, raw>}`, plus the schema.
 */
export class Reference {
  constructor() {
    this.schema = [];
    this.entities = new Map();
    this.resources = new Map();
  }

  apply(message) {
    if (message.t === "joined") {
      this.schema = message.schema;
      this.entities = new Map(message.state.e.map(([id, comps]) => [id, new Map(comps)]));
      this.resources = new Map(message.state.r);
    } else if (message.t === "patch") {
      for (const [id, comps] of message.ch) {
        const entity = this.entities.get(id) ?? new Map();
        for (const [ty, value] of comps) entity.set(ty, value);
        this.entities.set(id, entity);
      }
      for (const [id, types] of message.rm) {
        const entity = this.entities.get(id);
        if (!entity) continue;
        for (const ty of types) entity.delete(ty);
        if (entity.size === 0) this.entities.delete(id);
      }
      for (const id of message.gone) this.entities.delete(id);
      for (const [ty, value] of message.r ?? []) this.resources.set(ty, value);
    }
  }

  /** A value in the mirror's form: structs as objects by field name. */
  named(ty, value) {
    const fields = this.schema[ty][1];
    if (!fields || !Array.isArray(value) || value.length !== fields.length) return value;
    return Object.fromEntries(fields.map((f, i) => [f, value[i]]));
  }

  /** The expected `{entities, resources}` of a StateMirror. */
  expected() {
    const entities = new Map();
    for (const [id, comps] of this.entities) {
      const entity = {};
      for (const [ty, value] of comps) entity[this.schema[ty][0]] = this.named(ty, value);
      entities.set(id, entity);
    }
    const resources = {};
    for (const [ty, value] of this.resources) resources[this.schema[ty][0]] = this.named(ty, value);
    return { entities, resources };
  }
}

/** The mirror's state as plain values, to compare with `Reference.expected()`. */
export function snapshot(mirror) {
  return {
    entities: new Map([...mirror.entities].map(([id, e]) => [id, { ...e }])),
    resources: { ...mirror.resources },
  };
}

/** Encodes a message as the server would (independently of the SDK). */
export const frame = (message) => encode(message);
export { decode };

/**
 * A scripted websocket server: `onMessage(conn, message)` answers each
 * client message. `conns` lists the connections, each with `got` (the
 * messages received), `bare` (the same without their request ids `rid`),
 * `send(message)` and `reply(request, message)` (sends `message` with the
 * request's `rid`, as a server of protocol 1.1 does).
 */
export async function fakeServer(onMessage) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await once(wss, "listening");
  const conns = [];
  wss.on("connection", (ws) => {
    const conn = {
      ws,
      got: [],
      send: (message) => ws.send(message instanceof Uint8Array ? message : encode(message)),
      reply: (request, message) =>
        conn.send(request.rid === undefined ? message : { ...message, rid: request.rid }),
      get bare() {
        return conn.got.map(({ rid, ...message }) => message);
      },
    };
    conns.push(conn);
    ws.on("message", (data) => {
      const message = decode(data);
      conn.got.push(message);
      onMessage(conn, message);
    });
  });
  return {
    url: `ws://127.0.0.1:${wss.address().port}/ws`,
    conns,
    get last() {
      return conns[conns.length - 1];
    },
    /** Drops every connection without a close handshake, as a network failure would. */
    dropAll() {
      for (const c of wss.clients) c.terminate();
    },
    close() {
      for (const c of wss.clients) c.terminate();
      return new Promise((resolve) => wss.close(resolve));
    },
  };
}

/**
 * The scripted-server harness of a test file: `serve(onMessage)` starts a
 * `fakeServer`, `connect(url, options)` a client of it with fast
 * reconnection, a 2 s request timeout and `defaults`; both are closed after
 * each test. `servers` lists the servers still to close (a test that closes
 * one itself takes it out).
 */
export function scripted(defaults = {}) {
  const servers = [];
  const clients = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const s of servers.splice(0)) await s.close();
  });
  return {
    servers,
    async serve(onMessage) {
      const server = await fakeServer(onMessage);
      servers.push(server);
      return server;
    },
    async connect(url, options = {}) {
      const client = await Parlor.connect(url, {
        WebSocket,
        reconnect: { minDelay: 10, maxDelay: 40, attempts: 5 },
        requestTimeout: 2000,
        ...defaults,
        ...options,
      });
      clients.push(client);
      return client;
    },
  };
}

/** Resolves with the next `name` event of an SDK emitter. */
export function next(emitter, name, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${name} event within ${ms} ms`));
    }, ms);
    const off = emitter.once(name, (payload) => {
      clearTimeout(timer);
      resolve(payload);
    });
  });
}

/** Polls `test` until it is truthy. */
export async function until(test, ms = 5000) {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms: ${test}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
