// The state mirror against frames recorded from a real `parlor serve`
// (scripts/record.mjs): after every frame, StateMirror must equal an
// independent reference model of what the frames say.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { StateMirror, decodeFrame } from "../dist/parlor.js";
import { Encoder } from "@msgpack/msgpack";
import { Reference, frame, loadFixture, snapshot } from "./helpers.mjs";

/** Encodes with bigints written as 64-bit integers. */
const frame64 = (message) => new Encoder({ useBigInt64: true }).encode(message);

/** Applies every frame of a fixture; checks the mirror against the reference after each. */
function replay(name, each = () => {}) {
  const fixture = loadFixture(name);
  const mirror = new StateMirror();
  const reference = new Reference();
  const changes = [];
  for (const f of fixture.frames) {
    if (f.skipped !== undefined) {
      each({ skipped: f.skipped }, mirror);
      continue;
    }
    const message = decodeFrame(f.bytes);
    assert.equal(message.t, f.t);
    let change = null;
    if (message.t === "joined") change = mirror.applyJoined(message);
    if (message.t === "patch") change = mirror.applyPatch(message);
    reference.apply(message);
    if (change !== null) {
      assert.deepEqual(snapshot(mirror), reference.expected(), `state after ${message.t} tick ${message.tick}`);
      assert.equal(mirror.tick, message.tick);
      changes.push(change);
    }
    each(message, mirror, change);
  }
  return { fixture, mirror, changes };
}

describe("tictactoe (recorded)", () => {
  test("resources and players follow joined and patches", () => {
    let you;
    const { mirror, changes } = replay("tictactoe-x.json", (m, mirror, change) => {
      if (m.t === "joined") {
        you = m.you;
        assert.deepEqual(mirror.schema.map((s) => s.name), ["Player", "Board", "Turn"]);
        assert.deepEqual(mirror.entities.get(you).Player, {
          id: m.state.e[0][1][0][1][0],
          name: "Xavier",
          slot: 0,
          online: true,
        });
        assert.deepEqual(mirror.resources.Board, [0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert.equal(mirror.resources.Turn, 0);
        assert.equal(change.resync, false);
      }
    });
    // Olga arrived in a patch: spawned, with her Player component.
    assert.deepEqual(changes[0].spawned, [you]); // the joined
    const arrival = changes.slice(1).find((c) => c.spawned.length > 0);
    assert.ok(arrival, "a patch spawns Olga's entity");
    const olga = mirror.entities.get(arrival.spawned[0]);
    assert.equal(olga.Player.name, "Olga");
    assert.equal(olga.Player.slot, 1);
    // X 4, O 0, X 0 refused, X 2, O 1, X 6: the final board, X to move next no more.
    assert.deepEqual(mirror.resources.Board, [2, 2, 1, 0, 1, 0, 1, 0, 0]);
    assert.equal(mirror.resources.Turn, 1);
    assert.equal(mirror.entities.size, 2);
    assert.ok(mirror.entities.has(you));
    // Patches report resource names and acks.
    const last = changes[changes.length - 1];
    assert.deepEqual(last.resources, ["Board", "Turn"]);
    assert.equal(typeof last.ack, "number");
  });

  test("the refused move leaves the state unchanged", () => {
    let boardBefore = null;
    let sawError = false;
    replay("tictactoe-x.json", (m, mirror) => {
      if (m.t === "error") {
        assert.equal(m.code, "illegal_input");
        boardBefore = [...mirror.resources.Board];
        sawError = true;
      } else if (m.t === "patch" && boardBefore !== null) {
        assert.deepEqual(mirror.resources.Board, boardBefore);
        boardBefore = null;
      }
    });
    assert.ok(sawError);
  });

  test("the other seat's recording ends in the same state", () => {
    const x = replay("tictactoe-x.json").mirror;
    const o = replay("tictactoe-o.json").mirror;
    assert.deepEqual(o.resources, x.resources);
    assert.deepEqual(
      [...o.entities.values()].map((e) => e.Player.name).sort(),
      [...x.entities.values()].map((e) => e.Player.name).sort(),
    );
  });
});

describe("arena (recorded)", () => {
  test("orbs, positions after patches, a spawn and a despawn", () => {
    const fixture = loadFixture("arena.json");
    let you;
    let boris;
    let lastPosition;
    const { mirror, changes } = replay("arena.json", (m, mirror, change) => {
      if (m.t === "joined") {
        you = m.you;
        const orbs = [...mirror.entities.values()].filter((e) => "Orb" in e);
        assert.equal(orbs.length, 30);
        for (const orb of orbs) {
          assert.equal(typeof orb.Position.x, "number");
          assert.equal(typeof orb.Position.y, "number");
          assert.deepEqual(orb.Orb, []); // a unit struct arrives as an empty array
        }
      }
      if (m.t === "patch") {
        const mine = m.ch.find(([id]) => id === you);
        const position = mine?.[1].find(([ty]) => ty === 1);
        if (position) {
          lastPosition = { x: position[1][0], y: position[1][1] };
          assert.deepEqual(mirror.entities.get(you).Position, lastPosition);
        }
        if (change.spawned.length > 0 && boris === undefined && m.tick > 1) {
          boris = change.spawned[0];
          const e = mirror.entities.get(boris);
          assert.equal(e.Player.name, "Boris");
          assert.equal(e.Score, 0); // a newtype arrives as its value
          assert.deepEqual(Object.keys(e.Position), ["x", "y"]);
        }
        if (boris !== undefined && m.gone.includes(boris)) {
          assert.equal(mirror.entities.has(boris), false);
          assert.deepEqual(change.gone, [boris]);
        }
      }
    });
    assert.ok(boris !== undefined, "Boris spawned in a patch");
    assert.equal(mirror.entities.has(boris), false, "Boris is gone after leaving");
    assert.ok(changes.some((c) => c.gone.includes(boris)));
    // Anna steered right and down: she moved that way.
    const start = changes.find((c) => c.changed.get(you)?.includes("Position"));
    assert.ok(start);
    assert.ok(lastPosition.x > 0 && lastPosition.y > 0);
    assert.deepEqual(mirror.entities.get(you).Position, lastPosition);
    // The Round resource: a struct turned into an object.
    assert.deepEqual(Object.keys(mirror.resources.Round), ["number", "ends_at_tick"]);
    assert.equal(mirror.resources.Round.number, 1);
    assert.ok(changes.some((c) => c.resources.includes("Round")));
    // Ids decode as numbers.
    for (const id of mirror.entities.keys()) assert.equal(typeof id, "number");
    assert.ok(fixture.frames.some((f) => f.t === "pong"));
  });

  test("component removals (rm): a patch in the recorded shape", () => {
    // No bundled game removes a component, so no recording has a non-empty
    // rm; this patch is built in the same shape on top of the recorded state.
    const fixture = loadFixture("arena.json");
    const mirror = new StateMirror();
    const joined = decodeFrame(fixture.frames.find((f) => f.t === "joined").bytes);
    mirror.applyJoined(joined);
    const [orb] = [...mirror.entities].find(([, e]) => "Orb" in e);
    const you = joined.you;
    const scoreIndex = mirror.schema.findIndex((s) => s.name === "Score");
    const orbIndex = mirror.schema.findIndex((s) => s.name === "Orb");
    const positionIndex = mirror.schema.findIndex((s) => s.name === "Position");
    mirror.applyPatch(
      decodeFrame(frame({ t: "patch", tick: 1, ch: [[you, [[scoreIndex, 4]]]], rm: [], gone: [], ack: 0 })),
    );
    assert.equal(mirror.entities.get(you).Score, 4);
    const change = mirror.applyPatch(
      decodeFrame(
        frame({
          t: "patch",
          tick: 2,
          ch: [],
          rm: [
            [you, [scoreIndex]],
            [orb, [positionIndex, orbIndex]],
          ],
          gone: [],
          ack: 0,
        }),
      ),
    );
    assert.equal("Score" in mirror.entities.get(you), false);
    assert.ok("Player" in mirror.entities.get(you));
    assert.deepEqual(change.removed.get(you), ["Score"]);
    // An entity without replicated components leaves the mirror, reported as removed, not gone.
    assert.equal(mirror.entities.has(orb), false);
    assert.deepEqual(change.removed.get(orb), ["Position", "Orb"]);
    assert.deepEqual(change.gone, []);
  });
});

describe("resync (recorded)", () => {
  test("a fresh joined to the same room replaces the state", () => {
    let beforeResync = null;
    let resync = null;
    let afterSkip = false;
    const { mirror, changes } = replay("resync.json", (m, mirror, change) => {
      if (m.skipped !== undefined) {
        assert.ok(m.skipped > 0);
        afterSkip = true;
        beforeResync = new Map([...mirror.entities].map(([id, e]) => [id, e.Position]));
        return;
      }
      if (m.t === "joined" && afterSkip) {
        resync = change;
        assert.equal(change.resync, true);
        // The mirror is exactly the fresh joined's state, whatever it held before.
        const fresh = new Reference();
        fresh.apply(m);
        assert.deepEqual(snapshot(mirror), fresh.expected());
        assert.equal(mirror.tick, m.tick);
        // The same room and seat: no entity came or went, but the orbs moved.
        assert.deepEqual(change.spawned, []);
        assert.deepEqual(change.gone, []);
        assert.equal(change.changed.size, mirror.entities.size);
        let moved = 0;
        for (const [id, position] of beforeResync) {
          if (position && JSON.stringify(mirror.entities.get(id).Position) !== JSON.stringify(position)) moved += 1;
        }
        assert.ok(moved > 100, `orbs moved during the skipped ticks (${moved})`);
      }
    });
    assert.ok(resync, "the recording has a fresh joined after the skipped frames");
    assert.equal(changes[0].resync, false);
    assert.equal([...mirror.entities.values()].filter((e) => "Orb" in e).length, 200);
  });

  test("a resync reports entities that are no longer there as gone", () => {
    const fixture = loadFixture("resync.json");
    const mirror = new StateMirror();
    const joined = decodeFrame(fixture.frames.find((f) => f.t === "joined").bytes);
    mirror.applyJoined(joined);
    mirror.entities.set(999999, { Position: { x: 1, y: 2 } });
    const change = mirror.applyJoined(joined);
    assert.deepEqual(change.gone, [999999]);
    assert.equal(mirror.entities.has(999999), false);
  });
});

describe("decoding", () => {
  test("map keys are strings and integers are numbers", () => {
    // {t: "event", name: "s", d: {7: "seven", true: "yes"}}, keys as a Rust map would write them.
    const text = (s) => [0xa0 + s.length, ...Buffer.from(s)];
    const bytes = new Uint8Array([
      0x83, ...text("t"), ...text("event"), ...text("name"), ...text("s"), ...text("d"),
      0x82, 0x07, ...text("seven"), 0xc3, ...text("yes"),
    ]);
    const message = decodeFrame(bytes);
    assert.deepEqual(message.d, { 7: "seven", true: "yes" });
    assert.deepEqual(Object.keys(message.d).sort(), ["7", "true"]);
    // A u64 the server writes in 8 bytes (uint64 format) still decodes as a number.
    const big = decodeFrame(
      frame64({ t: "patch", tick: 2n ** 40n, ch: [[2n ** 33n + 5n, []]], rm: [], gone: [], ack: 0 }),
    );
    assert.equal(big.tick, 2 ** 40);
    assert.equal(big.ch[0][0], 2 ** 33 + 5);
  });

  test("ids above 2^53 are flagged", () => {
    const mirror = new StateMirror();
    mirror.applyJoined({ t: "joined", room: "AAAAAA", game: "g", you: 1, tick: 0, schema: [["P", null]], state: { e: [], r: [] } });
    mirror.applyPatch(decodeFrame(frame64({ t: "patch", tick: 1, ch: [[2n ** 60n + 1n, [[0, 1]]]], rm: [], gone: [], ack: 0 })));
    assert.equal(mirror.unsafeIds, true);
  });

  test("malformed frames throw a ParlorError with code bad_frame", () => {
    const mirror = new StateMirror();
    assert.throws(() => mirror.applyPatch({ t: "patch", tick: 1, ch: [], rm: [], gone: [], ack: 0 }), { code: "bad_frame" });
    mirror.applyJoined({ t: "joined", room: "AAAAAA", game: "g", you: 1, tick: 0, schema: [["P", null]], state: { e: [], r: [] } });
    assert.throws(() => mirror.applyPatch({ t: "patch", tick: 1, ch: [[1, [[5, 0]]]], rm: [], gone: [], ack: 0 }), {
      code: "bad_frame",
    });
  });
});
