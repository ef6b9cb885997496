// Compact patches (`p`): each frame here is built with @msgpack/msgpack
// next to the `patch` that says the same, and both are applied to mirrors
// loaded from the same recorded arena `joined`. The mirrors, and the
// `change` each message produced, must be equal.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { StateMirror, decodeFrame } from "../dist/parlor.js";
import { frame, loadFixture, snapshot } from "./helpers.mjs";

const arena = loadFixture("arena.json");
const joined = decodeFrame(arena.frames.find((f) => f.t === "joined").bytes);
// [Player {id, name, slot, online}, Position {x, y}, Score (newtype), Orb (unit), Round {number, ends_at_tick}]
const schema = joined.schema;
const ty = (name) => schema.findIndex(([n]) => n === name);
const PLAYER = ty("Player");
const POSITION = ty("Position");
const SCORE = ty("Score");
const ORB = ty("Orb");
const ROUND = ty("Round");
const you = joined.you;
const orbs = joined.state.e.filter(([, comps]) => comps.some(([t]) => t === ORB)).map(([id]) => id);

test("the recorded arena schema is the one these frames are written for", () => {
  assert.deepEqual(schema, [
    ["Player", ["id", "name", "slot", "online"]],
    ["Position", ["x", "y"]],
    ["Score", null],
    ["Orb", null],
    ["Round", ["number", "ends_at_tick"]],
  ]);
  assert.ok(orbs.length >= 3);
});

function loaded() {
  const mirror = new StateMirror();
  mirror.applyJoined(decodeFrame(frame(joined)));
  return mirror;
}

/** A StateChange with its lists sorted, since `p` groups by type and `patch` by entity. */
function normal(change) {
  const sorted = (list) => [...list].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const names = (map) => new Map([...map].map(([id, n]) => [id, sorted(n)]));
  return {
    tick: change.tick,
    resync: change.resync,
    ack: change.ack,
    spawned: sorted(change.spawned),
    changed: names(change.changed),
    removed: names(change.removed),
    gone: sorted(change.gone),
    resources: sorted(change.resources),
  };
}

/**
 * Applies `patches` to one mirror and the `p` frames to another (both
 * encoded and decoded as on the wire), checking after each pair that the
 * mirrors and the changes are equal. Returns the compact side.
 */
function both(pairs) {
  const viaPatch = loaded();
  const viaP = loaded();
  const changes = [];
  for (const [patch, p] of pairs) {
    const a = viaPatch.applyPatch(decodeFrame(frame(patch)));
    const b = viaP.applyCompact(decodeFrame(frame(p)));
    assert.deepEqual(normal(b), normal(a), `change at tick ${patch.tick}`);
    assert.deepEqual(snapshot(viaP), snapshot(viaPatch), `state at tick ${patch.tick}`);
    assert.equal(viaP.tick, viaPatch.tick);
    changes.push(b);
  }
  return { mirror: viaP, changes };
}

const patch = (tick, fields) => ({ t: "patch", tick, ch: [], rm: [], gone: [], ack: 0, ...fields });

describe("compact patches (p) against the equivalent patch", () => {
  test("a struct component travels inline: Position {x, y}", () => {
    const { mirror, changes } = both([
      [
        patch(1, { ack: 3, ch: [[you, [[POSITION, [10.5, 20.25]]]], [orbs[0], [[POSITION, [1, 2]]]]] }),
        { t: "p", k: 1, a: 3, c: [POSITION, 2, you, 10.5, 20.25, orbs[0], 1, 2] },
      ],
    ]);
    assert.deepEqual(mirror.entities.get(you).Position, { x: 10.5, y: 20.25 });
    assert.deepEqual(mirror.entities.get(orbs[0]).Position, { x: 1, y: 2 });
    assert.deepEqual(changes[0].changed.get(you), ["Position"]);
    assert.equal(changes[0].ack, 3);
    assert.equal(changes[0].tick, 1);
  });

  test("non-struct components: Score (a newtype number) and Orb (a unit, [])", () => {
    const fresh = 900;
    const { mirror, changes } = both([
      [
        patch(2, { ch: [[you, [[SCORE, 7]]], [fresh, [[ORB, []]]]] }),
        { t: "p", k: 2, a: 0, c: [SCORE, 1, you, 7, ORB, 1, fresh, []] },
      ],
    ]);
    assert.equal(mirror.entities.get(you).Score, 7);
    assert.deepEqual(mirror.entities.get(fresh), { Orb: [] });
    assert.deepEqual(changes[0].spawned, [fresh]);
  });

  test("several types in one frame, an entity under several of them", () => {
    const boris = 4294967333; // generation 1: above 2^32, below 2^53
    const { mirror, changes } = both([
      [
        patch(3, {
          ch: [
            [boris, [[PLAYER, ["guest:b", "Boris", 1, true]], [POSITION, [5, 6]], [SCORE, 0]]],
            [you, [[POSITION, [7, 8]], [SCORE, 2]]],
            [orbs[1], [[POSITION, [9, 10]]]],
          ],
        }),
        {
          t: "p",
          k: 3,
          a: 0,
          c: [
            PLAYER, 1, boris, "guest:b", "Boris", 1, true,
            POSITION, 3, boris, 5, 6, you, 7, 8, orbs[1], 9, 10,
            SCORE, 2, boris, 0, you, 2,
          ],
        },
      ],
    ]);
    assert.deepEqual(mirror.entities.get(boris), {
      Player: { id: "guest:b", name: "Boris", slot: 1, online: true },
      Position: { x: 5, y: 6 },
      Score: 0,
    });
    assert.deepEqual(changes[0].spawned, [boris]);
    assert.deepEqual(changes[0].changed.get(boris), ["Player", "Position", "Score"]);
    assert.deepEqual(changes[0].changed.get(you), ["Position", "Score"]);
  });

  test("removals (m): flat id and type pairs", () => {
    const { mirror, changes } = both([
      [patch(4, { ch: [[you, [[SCORE, 4]]]] }), { t: "p", k: 4, a: 0, c: [SCORE, 1, you, 4] }],
      [
        patch(5, {
          rm: [
            [you, [SCORE]],
            [orbs[0], [POSITION, ORB]],
            [12345, [SCORE]], // not in the mirror: ignored, as in a patch
          ],
        }),
        { t: "p", k: 5, a: 0, m: [you, SCORE, orbs[0], POSITION, orbs[0], ORB, 12345, SCORE] },
      ],
    ]);
    assert.equal("Score" in mirror.entities.get(you), false);
    assert.ok("Player" in mirror.entities.get(you));
    assert.equal(mirror.entities.has(orbs[0]), false, "an entity with no components left leaves the mirror");
    assert.deepEqual(changes[1].removed.get(you), ["Score"]);
    assert.deepEqual(changes[1].removed.get(orbs[0]), ["Position", "Orb"]);
    assert.equal(changes[1].removed.has(12345), false);
    assert.deepEqual(changes[1].gone, []);
  });

  test("despawns (g)", () => {
    const { mirror, changes } = both([
      [patch(6, { gone: [orbs[1], orbs[2], 99999] }), { t: "p", k: 6, a: 0, g: [orbs[1], orbs[2], 99999] }],
    ]);
    assert.equal(mirror.entities.has(orbs[1]), false);
    assert.equal(mirror.entities.has(orbs[2]), false);
    assert.deepEqual(changes[0].gone, [orbs[1], orbs[2]]);
  });

  test("private values: rm and gone of what this client never had are ignored, not reported", () => {
    // A server sends some components to one player only; another client's
    // patch may still remove them, or despawn an entity it never saw.
    const hidden = 777777;
    const before = snapshot(loaded());
    const { mirror, changes } = both([
      [
        patch(7, {
          rm: [
            [orbs[0], [SCORE]], // an orb never had a Score here
            [hidden, [SCORE, POSITION]],
          ],
          gone: [hidden + 1],
        }),
        { t: "p", k: 7, a: 0, m: [orbs[0], SCORE, hidden, SCORE, hidden, POSITION], g: [hidden + 1] },
      ],
    ]);
    assert.deepEqual(snapshot(mirror), before);
    assert.deepEqual(changes[0].removed, new Map());
    assert.deepEqual(changes[0].gone, []);
    // Only what the entity had is reported, when a removal names both.
    const { changes: mixed } = both([
      [patch(8, { ch: [[you, [[SCORE, 1]]]] }), { t: "p", k: 8, a: 0, c: [SCORE, 1, you, 1] }],
      [patch(9, { rm: [[you, [SCORE, ORB]]] }), { t: "p", k: 9, a: 0, m: [you, SCORE, you, ORB] }],
    ]);
    assert.deepEqual(mixed[1].removed.get(you), ["Score"]);
  });

  test("resources (r): flat type and value pairs, a struct value whole", () => {
    const { mirror, changes } = both([
      [
        patch(7, { r: [[ROUND, [2, 2400]]] }),
        { t: "p", k: 7, a: 0, r: [ROUND, [2, 2400]] },
      ],
    ]);
    assert.deepEqual(mirror.resources.Round, { number: 2, ends_at_tick: 2400 });
    assert.deepEqual(changes[0].resources, ["Round"]);
  });

  test("an empty p (only t, k, a) moves the tick and the ack", () => {
    const { mirror, changes } = both([[patch(8, { ack: 5 }), { t: "p", k: 8, a: 5 }]]);
    assert.equal(mirror.tick, 8);
    assert.deepEqual(changes[0], {
      tick: 8,
      resync: false,
      ack: 5,
      spawned: [],
      changed: new Map(),
      removed: new Map(),
      gone: [],
      resources: [],
    });
    assert.deepEqual(snapshot(mirror), snapshot(loaded()));
  });

  test("a lean p: no k is the tick after the last, no a leaves the ack, 100 is 100.0", () => {
    const mirror = loaded();
    const start = mirror.tick;
    const lean = (p) => mirror.applyCompact(decodeFrame(frame({ t: "p", ...p })));
    const first = lean({ c: [POSITION, 1, you, 100, 5.5], a: 3 });
    assert.equal(first.tick, start + 1);
    assert.equal(first.ack, 3);
    assert.deepEqual(mirror.entities.get(you).Position, { x: 100.0, y: 5.5 });
    const second = lean({ c: [POSITION, 1, you, 100, 6] });
    assert.equal(second.tick, start + 2);
    assert.equal(mirror.tick, start + 2);
    assert.equal(second.ack, undefined, "no a: the ack did not change");
    assert.deepEqual(mirror.entities.get(you).Position, { x: 100, y: 6 });
    // A k, when there is one, is the tick.
    assert.equal(lean({ k: start + 10, a: 4 }).tick, start + 10);
    assert.equal(lean({}).tick, start + 11);
    // Changed fields only: -(id + 1), a mask of the fields, those fields.
    const only = lean({ c: [POSITION, 2, -(you + 1), 0b10, 9, orbs[0], 1, 2] });
    assert.deepEqual(mirror.entities.get(you).Position, { x: 100, y: 9 });
    assert.deepEqual(mirror.entities.get(orbs[0]).Position, { x: 1, y: 2 });
    assert.deepEqual([...only.changed.keys()].sort(), [you, orbs[0]].sort());
    lean({ c: [POSITION, 1, -(you + 1), 0b01, 50] });
    assert.deepEqual(mirror.entities.get(you).Position, { x: 50, y: 9 });
  });

  test("everything at once, in the order patch applies it: c, m, g, r", () => {
    both([
      [
        patch(9, {
          ack: 2,
          ch: [[orbs[0], [[POSITION, [3, 4]]]], [777, [[POSITION, [0, 0]], [ORB, []]]]],
          rm: [[you, [SCORE]]],
          gone: [orbs[0], orbs[1]],
          r: [[ROUND, [1, 99]]],
        }),
        {
          t: "p",
          k: 9,
          a: 2,
          c: [POSITION, 2, orbs[0], 3, 4, 777, 0, 0, ORB, 1, 777, []],
          m: [you, SCORE],
          g: [orbs[0], orbs[1]],
          r: [ROUND, [1, 99]],
        },
      ],
    ]);
  });

  test("the recorded arena match, every patch re-encoded as p", () => {
    const pairs = arena.frames
      .filter((f) => f.t === "patch")
      .map((f) => {
        const message = decodeFrame(f.bytes);
        return [message, toCompact(message)];
      });
    assert.ok(pairs.length > 10);
    const { mirror } = both(pairs);
    assert.ok([...mirror.entities.values()].some((e) => "Orb" in e));
  });
});

/** Writes a patch as the p that says the same (independently of the SDK). */
function toCompact(message) {
  const byType = new Map();
  for (const [id, comps] of message.ch) {
    for (const [t, value] of comps) {
      if (!byType.has(t)) byType.set(t, []);
      byType.get(t).push([id, value]);
    }
  }
  const p = { t: "p", k: message.tick, a: message.ack };
  const c = [];
  for (const [t, items] of byType) {
    c.push(t, items.length);
    for (const [id, value] of items) {
      if (schema[t][1] === null) c.push(id, value);
      else c.push(id, ...value);
    }
  }
  if (c.length > 0) p.c = c;
  const m = message.rm.flatMap(([id, types]) => types.flatMap((t) => [id, t]));
  if (m.length > 0) p.m = m;
  if (message.gone.length > 0) p.g = message.gone;
  const r = (message.r ?? []).flat(1);
  if (r.length > 0) p.r = r;
  return p;
}

describe("malformed p frames", () => {
  const cases = [
    ["a count past the end of c", { c: [POSITION, 2, you, 1, 2] }, /c ends inside Position 2 of 2/],
    ["a struct cut short", { c: [POSITION, 1, you, 1] }, /c ends inside Position 1 of 1/],
    ["a count too small leaves a value read as a type", { c: [SCORE, 1, you, 3, you, 4] }, /type index/],
    ["an unknown type index in c", { c: [42, 1, you, 0] }, /type index 42 is not in the schema \(5 types\)/],
    ["a count that is no count", { c: [SCORE, -1] }, /count of Score/],
    ["a missing count", { c: [SCORE] }, /count of Score/],
    ["an id that is no number", { c: [SCORE, 1, "x", 3] }, /entity id is not a number/],
    ["an unknown type index in m", { m: [you, 9] }, /type index 9/],
    ["m of odd length", { m: [you, SCORE, you] }, /m has an odd length/],
    ["r of odd length", { r: [ROUND] }, /r has an odd length/],
    ["an unknown resource type", { r: [17, 0] }, /type index 17/],
    ["g that is no array", { g: 5 }, /g is not an array/],
    ["c that is no array", { c: { 0: 1 } }, /c is not an array/],
    ["a tick that is no number", { k: "7" }, /k \(the tick\)/],
    ["changed fields of a value the entity lacks", { c: [SCORE, 1, you, 1, POSITION, 1, -(9999 + 1), 1, 5] }, /entity 9999, which has none/],
    ["a field mask beyond the fields", { c: [POSITION, 1, -(you + 1), 4, 5] }, /not a mask of its fields/],
    ["changed fields cut short", { c: [POSITION, 1, -(you + 1), 3, 5] }, /c ends inside Position/],
    ["no ack", { a: "0" }, /a \(the ack\)/],
  ];
  for (const [name, fields, message] of cases) {
    test(`${name}: bad_frame, and nothing applied`, () => {
      const mirror = loaded();
      mirror.applyCompact(decodeFrame(frame({ t: "p", k: 1, a: 0, c: [SCORE, 1, you, 1] })));
      const before = structuredClone(snapshot(mirror));
      // A good part first, so a half-applied frame would show.
      const p = { t: "p", k: 2, a: 1, c: [POSITION, 1, orbs[0], 50, 60], g: [orbs[1]], ...fields };
      assert.throws(
        () => mirror.applyCompact(decodeFrame(frame(p))),
        (error) => {
          assert.equal(error.code, "bad_frame");
          assert.match(error.message, /^malformed p at tick/);
          assert.match(error.message, message);
          assert.match(error.message, /it was not applied$/);
          return true;
        },
      );
      assert.deepEqual(snapshot(mirror), before);
      assert.equal(mirror.tick, 1);
    });
  }

  test("a malformed patch is not half-applied either", () => {
    const mirror = loaded();
    const before = structuredClone(snapshot(mirror));
    const bad = patch(3, { ch: [[orbs[0], [[POSITION, [50, 60]]]], [you, [[42, 0]]]], gone: [orbs[1]] });
    assert.throws(() => mirror.applyPatch(decodeFrame(frame(bad))), {
      code: "bad_frame",
      message: /^malformed patch at tick 3: type index 42/,
    });
    assert.deepEqual(snapshot(mirror), before);
  });

  test("a p before joined", () => {
    assert.throws(() => new StateMirror().applyCompact({ t: "p", k: 1, a: 0 }), { code: "bad_frame" });
  });
});
