// Orb Arena on a canvas. The server sends a patch every tick (20 Hz); the
// page keeps the last second of positions and draws the world as it was
// ~100 ms ago, interpolating each entity between the two snapshots around
// that moment, so motion is smooth between ticks and through jitter.

import {
  setupPage, start, gameInfo, showInvite, notice, haptic, primaryAction,
  resource, players, describe, esc, leftMessage, showBoard,
} from '/web/app.js';

const GAME = 'arena';
/** How far behind the newest snapshot the page draws. */
const RENDER_DELAY_MS = 100;
/** Snapshots older than this are dropped. */
const KEEP_MS = 1000;
/** A move longer than this between two ticks is a teleport (a respawned
 * orb, a new player): drawn at once, never slid. */
const TELEPORT = 100;
/** Fewest milliseconds between two steering inputs. */
const SEND_EVERY_MS = 80;

const canvas = document.getElementById('field');
const ctx = canvas.getContext('2d');
const roundEl = document.getElementById('round');
const scoresEl = document.getElementById('scores');
const toastEl = document.getElementById('toast');

let room = null;
let field = 1000;
let tickMs = 50;
let reach = 20;

// ---- snapshots and interpolation ------------------------------------

/** [{t, pos: Map<id, {x, y}>}], oldest first; t is server time in ms. */
const snapshots = [];
/** Local clock minus server clock, as the lowest delay seen: a late
 * patch only raises it slowly, an early one lowers it at once. */
let offset = null;
let lastTick = null;

function serverTime(now) {
  const tick = room.state.tick ?? room.tick;
  if (typeof tick === 'number' || typeof tick === 'bigint') return Number(tick) * tickMs;
  return now;
}

function takeSnapshot() {
  const now = performance.now();
  const t = serverTime(now);
  if (t === lastTick) return; // a change without a new tick (e.g. a resource)
  lastTick = t;
  const sample = now - t;
  offset = offset === null || sample < offset ? sample : offset + (sample - offset) * 0.05;

  const pos = new Map();
  for (const [id, c] of room.state.entities) {
    if (c.Position) pos.set(id, { x: c.Position.x, y: c.Position.y, orb: 'Orb' in c });
  }
  const previous = snapshots[snapshots.length - 1];
  if (previous && t - previous.t > 1.5 * tickMs && t > previous.t) {
    // Nothing moved for a while (or patches were skipped): hold the old
    // positions until one tick before this one, then move.
    snapshots.push({ t: t - tickMs, pos: previous.pos });
  }
  if (previous && t < previous.t) snapshots.length = 0; // a new room or a resync
  snapshots.push({ t, pos });
  while (snapshots.length > 2 && snapshots[1].t < t - KEEP_MS) snapshots.shift();
}

const lerp = (a, b, k) => a + (b - a) * k;

/** Positions at server time `t`. */
function positionsAt(t) {
  if (snapshots.length === 0) return new Map();
  let i = snapshots.findIndex((s) => s.t > t);
  if (i === -1) return snapshots[snapshots.length - 1].pos; // hold the newest
  if (i === 0) return snapshots[0].pos;
  const a = snapshots[i - 1];
  const b = snapshots[i];
  const k = (t - a.t) / (b.t - a.t);
  const out = new Map();
  for (const [id, pb] of b.pos) {
    const pa = a.pos.get(id);
    if (!pa || Math.hypot(pb.x - pa.x, pb.y - pa.y) > TELEPORT) out.set(id, pb);
    else out.set(id, { x: lerp(pa.x, pb.x, k), y: lerp(pa.y, pb.y, k), orb: pb.orb });
  }
  return out;
}

// ---- drawing ---------------------------------------------------------

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

let colours = {};
function readColours() {
  colours = {
    text: cssVar('--text') || '#222',
    hint: cssVar('--hint') || '#888',
    me: cssVar('--button') || '#2a8bd6',
    other: cssVar('--danger') || '#d6403a',
    orb: '#f0b429',
  };
}

function resize() {
  const ratio = window.devicePixelRatio || 1;
  const { width, height } = canvas.getBoundingClientRect();
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
}

/** What was drawn last frame, for tests and debugging. */
const drawn = new Map();

function frame() {
  requestAnimationFrame(frame);
  if (!room) return;
  const scale = canvas.width / field;
  const t = offset === null ? 0 : performance.now() - offset - RENDER_DELAY_MS;
  const positions = positionsAt(t);
  ctx.clearRect(0, 0, canvas.width, canvas.height);

  ctx.fillStyle = colours.orb;
  for (const [, p] of positions) {
    if (!p.orb) continue;
    ctx.beginPath();
    ctx.arc(p.x * scale, p.y * scale, Math.max(3, 7 * scale), 0, Math.PI * 2);
    ctx.fill();
  }

  drawn.clear();
  const radius = Math.max(8, reach * scale);
  ctx.font = `${Math.round(12 * (window.devicePixelRatio || 1))}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  for (const [id, player] of players(room)) {
    const p = positions.get(id);
    if (!p) continue;
    drawn.set(id, p);
    const mine = id === room.you;
    ctx.globalAlpha = player.online === false ? 0.4 : 1;
    ctx.fillStyle = mine ? colours.me : colours.other;
    ctx.beginPath();
    ctx.arc(p.x * scale, p.y * scale, radius, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = colours.text;
    ctx.fillText(mine ? `${player.name} (you)` : player.name, p.x * scale, p.y * scale - radius - 4);
    ctx.globalAlpha = 1;
  }
  canvas.dataset.drawn = JSON.stringify(Object.fromEntries(
    [...drawn].map(([id, p]) => [String(id), [Math.round(p.x * 10) / 10, Math.round(p.y * 10) / 10]]),
  ));
  steerTowardsPointer();
}

// ---- the scoreboard and rounds ---------------------------------------

let myScore = 0;

function renderScores() {
  const rows = players(room)
    .map(([id, p]) => ({ id, name: p.name, score: Number(room.state.entities.get(id)?.Score ?? 0), online: p.online }))
    .sort((a, b) => b.score - a.score);
  scoresEl.innerHTML = rows.map((r) => `
    <li ${r.id === room.you ? 'data-me' : ''} data-player="${esc(String(r.id))}">
      <span>${esc(r.name)}${r.id === room.you ? ' (you)' : ''}${r.online === false ? ' · away' : ''}</span><span>${r.score}</span>
    </li>`).join('');
  const mine = rows.find((r) => r.id === room.you)?.score ?? 0;
  if (mine > myScore) haptic('light');
  myScore = mine;

  const round = resource(room, 'Round');
  const tick = room.state.tick ?? room.tick;
  if (!round || !round.number) {
    roundEl.textContent = 'Waiting for the round to start…';
  } else if (tick !== undefined) {
    const left = Math.max(0, Math.ceil((Number(round.ends_at_tick) - Number(tick)) * tickMs / 1000));
    roundEl.textContent = `Round ${round.number} · ${left} s left · ${rows.length} playing`;
  } else {
    roundEl.textContent = `Round ${round.number} · ${rows.length} playing`;
  }
}

let toastTimer = null;
function toast(text) {
  toastEl.textContent = text;
  toastEl.classList.remove('hidden');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => toastEl.classList.add('hidden'), 3000);
}

function onResult(result) {
  const best = result.ranking.find((r) => r.rank === 1);
  const me = room.state.entities.get(room.you)?.Player;
  const mine = result.ranking.find((r) => r.player === me?.id);
  if (mine?.rank === 1) haptic('success');
  toast(best ? `Round over: ${best.name} wins with ${best.score}` : 'Round over');
  showBoard(GAME, result);
}

// ---- steering --------------------------------------------------------

const keys = new Set();
let pointer = null; // {x, y} in field units while held
let sent = { dx: 0, dy: 0 };
let lastSend = 0;

function steer(dx, dy) {
  // A spectator steers nothing (room.send would throw `spectator`).
  if (room.watching) return;
  const length = Math.hypot(dx, dy);
  if (length > 1) {
    dx /= length;
    dy /= length;
  }
  dx = Math.round(dx * 100) / 100;
  dy = Math.round(dy * 100) / 100;
  if (dx === sent.dx && dy === sent.dy) return;
  const now = performance.now();
  const stopping = dx === 0 && dy === 0;
  if (!stopping && now - lastSend < SEND_EVERY_MS) return;
  lastSend = now;
  sent = { dx, dy };
  room.send({ dx, dy });
}

function steerTowardsPointer() {
  if (!pointer) return;
  const me = drawn.get(room.you);
  if (!me) return;
  const dx = pointer.x - me.x;
  const dy = pointer.y - me.y;
  const distance = Math.hypot(dx, dy);
  if (distance < reach / 2) steer(0, 0);
  else steer(dx / distance, dy / distance);
}

function steerByKeys() {
  const dx = (keys.has('right') ? 1 : 0) - (keys.has('left') ? 1 : 0);
  const dy = (keys.has('down') ? 1 : 0) - (keys.has('up') ? 1 : 0);
  steer(dx, dy);
}

const KEY_DIRECTIONS = {
  ArrowLeft: 'left', ArrowRight: 'right', ArrowUp: 'up', ArrowDown: 'down',
  KeyA: 'left', KeyD: 'right', KeyW: 'up', KeyS: 'down',
};

function pointerAt(event) {
  const box = canvas.getBoundingClientRect();
  return { x: ((event.clientX - box.left) / box.width) * field, y: ((event.clientY - box.top) / box.height) * field };
}

function bindControls() {
  window.addEventListener('keydown', (e) => {
    const d = KEY_DIRECTIONS[e.code];
    if (!d || !room) return;
    e.preventDefault();
    keys.add(d);
    steerByKeys();
  });
  window.addEventListener('keyup', (e) => {
    const d = KEY_DIRECTIONS[e.code];
    if (!d || !room) return;
    keys.delete(d);
    steerByKeys();
  });
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    pointer = pointerAt(e);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (pointer) pointer = pointerAt(e);
  });
  const release = () => {
    pointer = null;
    if (room) steer(0, 0);
  };
  canvas.addEventListener('pointerup', release);
  canvas.addEventListener('pointercancel', release);
}

// ---- start -----------------------------------------------------------

async function main() {
  await setupPage({ back: '/' });
  readColours();
  resize();
  new ResizeObserver(resize).observe(canvas);
  const info = await gameInfo(GAME);
  if (info?.tick_rate) tickMs = 1000 / info.tick_rate;
  const entered = await start(GAME, (text) => { roundEl.textContent = text; });
  if (!entered) return;
  room = entered.room;
  showInvite(GAME, room, entered.how === 'private');
  window.parlorArena = { room, drawn, snapshots };
  room.on('change', () => {
    canvas.dataset.me = String(room.you ?? '');
    takeSnapshot();
    renderScores();
  });
  room.on('result', onResult);
  room.on('error', (e) => notice(describe(e), 'error'));
  room.on('left', (left) => {
    const reason = left?.reason ?? left;
    roundEl.textContent = leftMessage(reason);
    primaryAction(room.watching ? 'Play' : 'Play again', () => { location.href = `/play/${GAME}`; });
  });
  bindControls();
  canvas.dataset.me = String(room.you ?? '');
  takeSnapshot();
  renderScores();
  requestAnimationFrame(frame);
}

main();
