// The page of a game that has none of its own: the room's replicated
// state shown live as JSON, the seats, and a box that sends an input
// typed as JSON. A new game is visible in a browser from its first build.

import {
  setupPage, start, showInvite, primaryAction, notice, gameInfo,
  players, describe, esc, leftMessage,
} from '/web/app.js';

const GAME = decodeURIComponent(location.pathname.split('/').pop() ?? '');

const statusEl = document.getElementById('status');
const seatsEl = document.getElementById('seats');
const stateEl = document.getElementById('state');
const inputEl = document.getElementById('input');

let room = null;
let finished = false;

function setStatus(state, text) {
  statusEl.dataset.state = state;
  statusEl.textContent = text;
}

/** The room's state as plain JSON: Maps become objects. */
function plain(value) {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, plain(v)]));
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

function render() {
  const seated = players(room);
  seatsEl.innerHTML = seated.map(([id, p]) => `
    <li data-seat="${p.slot}" data-online="${p.online !== false}">
      ${esc(p.name)}${id === room.you ? ' (you)' : ''}${p.online === false ? ' · away' : ''}
    </li>`).join('');
  const { entities, resources, tick } = room.state;
  stateEl.textContent = JSON.stringify(plain({ you: room.you, tick, resources, entities }), null, 2);
  stateEl.dataset.tick = String(tick ?? 0);
  showInvite(GAME, room, !room.watching && !finished);
  if (!finished) setStatus('playing', `Room ${room.code ?? ''} · ${seated.length} seated`);
}

async function main() {
  await setupPage({ back: '/' });
  const info = await gameInfo(GAME);
  document.getElementById('title').textContent = info?.title || GAME;
  document.title = `${info?.title || GAME} · Parlor`;
  const entered = await start(GAME, (text) => setStatus('error', text));
  if (!entered) return;
  ({ room } = entered);
  room.on('change', render);
  room.on('result', (result) => {
    finished = true;
    setStatus('over', `Result: ${result.ranking.map((r) => `${r.rank}. ${r.name ?? r.player}`).join(', ')}`);
    render();
    primaryAction('Play again', () => { location.href = `/play/${encodeURIComponent(GAME)}`; });
  });
  room.on('error', (e) => notice(describe(e), 'error'));
  room.on('left', (left) => {
    const reason = left?.reason ?? left;
    if (reason !== 'finished' && !finished) setStatus('left', leftMessage(reason));
  });
  document.getElementById('send').addEventListener('submit', (event) => {
    event.preventDefault();
    let input;
    try {
      input = inputEl.value.trim() === '' ? null : JSON.parse(inputEl.value);
    } catch {
      notice('That is not JSON: write e.g. {"move": 1}, 3 or "left".', 'error');
      return;
    }
    if (room.watching) {
      notice('You are watching this room: spectators send no inputs.', 'error');
      return;
    }
    notice('');
    room.send(input);
  });
  render();
}

main();
