// Tic-tac-toe as plain DOM: the Board and Turn resources drawn as nine
// buttons; a click on a free cell on your turn sends {cell}. A spectator
// (room.watching, room.you null) sees the same board, with no cell to click.

import {
  setupPage, start, showInvite, primaryAction, notice, haptic,
  resource, playerOf, players, describe, esc, leftMessage, showBoard,
} from '/web/app.js';

const GAME = 'tictactoe';
const LINES = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [0, 3, 6], [1, 4, 7], [2, 5, 8], [0, 4, 8], [2, 4, 6]];
const MARKS = ['', 'X', 'O'];

const boardEl = document.getElementById('board');
const statusEl = document.getElementById('status');
const seatsEl = document.getElementById('seats');
const cells = [...boardEl.querySelectorAll('button')];

let room = null;
let outcome = null; // 'won' | 'lost' | 'draw', or a spectator's 'over', once the match has a result
let winner = null; // the winner's name, for a spectator
let pending = false;
let lastState = null;

function setStatus(state, text) {
  statusEl.dataset.state = state;
  statusEl.textContent = text;
  if (state === 'your-turn' && lastState !== 'your-turn') haptic('select');
  lastState = state;
}

function board() {
  const b = resource(room, 'Board');
  return Array.isArray(b) ? b : Array(9).fill(0);
}

function render() {
  const marks = board();
  const turn = resource(room, 'Turn') ?? 0;
  const seated = players(room);
  const me = playerOf(room, room.you);
  const winLine = LINES.find((l) => marks[l[0]] !== 0 && l.every((c) => marks[c] === marks[l[0]]));

  cells.forEach((cell, i) => {
    cell.dataset.mark = MARKS[marks[i]] ?? '';
    cell.textContent = cell.dataset.mark;
    cell.toggleAttribute('data-win', !!winLine?.includes(i));
    // A spectator's inputs would be refused: its board takes no clicks.
    cell.disabled = room.watching;
  });
  seatsEl.innerHTML = seated.map(([id, p]) => `
    <li data-seat="${p.slot}" data-online="${p.online !== false}" ${!outcome && seated.length === 2 && turn === p.slot ? 'data-turn' : ''}>
      ${MARKS[p.slot + 1]} · ${esc(p.name)}${id === room.you ? ' (you)' : ''}${p.online === false ? ' · away' : ''}
    </li>`).join('');

  // A boolean: toggleAttribute toggles on undefined (a spectator has no `me`).
  const myTurn = !room.watching && !outcome && seated.length === 2 && !!me && turn === me.slot;
  boardEl.toggleAttribute('data-active', myTurn && !pending);
  showInvite(GAME, room, !room.watching && !outcome && seated.length < 2);

  const mover = seated.find(([, p]) => p.slot === turn)?.[1];
  // A spectator reads the end off the board at once, without waiting for
  // the `result`, which comes after the ledger has recorded the match.
  let ended = outcome;
  let named = winner;
  if (room.watching && !ended && winLine) {
    ended = 'over';
    named = seated.find(([, p]) => p.slot + 1 === marks[winLine[0]])?.[1]?.name ?? null;
  } else if (room.watching && !ended && marks.every((m) => m !== 0)) {
    ended = 'draw';
  }
  if (ended === 'over') setStatus('over', named ? `${named} won.` : 'A draw.');
  else if (room.watching && ended === 'draw') setStatus('draw', 'A draw.');
  else if (room.watching && seated.length < 2) setStatus('waiting', 'Waiting for a second player…');
  else if (room.watching) setStatus('watching', `${MARKS[turn + 1]} to move: ${mover?.name ?? '…'}`);
  else if (outcome === 'won') setStatus('won', 'You won!');
  else if (outcome === 'lost') setStatus('lost', 'You lost.');
  else if (outcome === 'draw') setStatus('draw', 'A draw.');
  else if (seated.length < 2) setStatus('waiting', 'Waiting for an opponent…');
  else if (myTurn) setStatus('your-turn', `Your turn (${MARKS[me.slot + 1]})`);
  else setStatus('their-turn', "Opponent's turn…");
}

function onCell(i) {
  if (!room || room.watching || outcome || pending || !boardEl.hasAttribute('data-active')) return;
  if (board()[i] !== 0) return;
  pending = true;
  boardEl.removeAttribute('data-active');
  notice('');
  room.send({ cell: i });
}

function onResult(result) {
  const firsts = result.ranking.filter((r) => r.rank === 1);
  if (room.watching) {
    // Nobody here won or lost: say who did.
    outcome = firsts.length > 1 ? 'draw' : 'over';
    winner = firsts.length === 1 ? firsts[0].name : null;
  } else {
    const me = playerOf(room, room.you);
    const mine = result.ranking.find((r) => r.player === me?.id);
    outcome = firsts.length > 1 ? 'draw' : mine?.rank === 1 ? 'won' : 'lost';
    haptic(outcome === 'won' ? 'success' : outcome === 'lost' ? 'error' : 'warning');
  }
  render();
  showBoard(GAME, result);
  primaryAction(room.watching ? 'Play' : 'Play again', () => { location.href = `/play/${GAME}`; });
}

async function main() {
  await setupPage({ back: '/' });
  cells.forEach((cell, i) => cell.addEventListener('click', () => onCell(i)));
  const entered = await start(GAME, (text) => setStatus('error', text));
  if (!entered) return;
  ({ room } = entered);
  room.on('change', () => {
    pending = false;
    render();
  });
  room.on('result', onResult);
  room.on('error', (e) => {
    pending = false;
    notice(describe(e), 'error');
    render();
  });
  room.on('left', (left) => {
    const reason = left?.reason ?? left;
    if (room.watching && reason === 'finished') {
      primaryAction('Play', () => { location.href = `/play/${GAME}`; });
    } else if (reason !== 'finished' && !outcome) {
      setStatus('left', leftMessage(reason));
      primaryAction('Back to games', () => { location.href = '/'; });
    }
  });
  render();
}

main();
