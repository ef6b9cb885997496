// Crazy Eights as plain DOM. Public state: the Table resource and each
// dealt player's HandSize; private: your own Hand (only your client gets
// it). A spectator (room.watching, no `you`) sees the public part only and
// has no controls. Moves: "start", "draw", "pass", {play: {card, suit}}.

import {
  setupPage, start, showInvite, primaryAction, notice, haptic,
  resource, playerOf, players, describe, esc, leftMessage, showBoard,
} from '/web/app.js';

const GAME = 'eights';
const SUITS = ['♣', '♦', '♥', '♠'];
const SUIT_NAMES = ['clubs', 'diamonds', 'hearts', 'spades'];
const RANKS = ['A', '2', '3', '4', '5', '6', '7', '8', '9', '10', 'J', 'Q', 'K'];
const EIGHT = 7;

const $ = (id) => document.getElementById(id);
const statusEl = $('status');
const topEl = $('top');
const suitEl = $('suit');
const pileEl = $('pile');
const handEl = $('hand');
const seatsEl = $('seats');
const pickerEl = $('picker');
const fairEl = $('fair');
const buttons = { start: $('start'), draw: $('draw'), pass: $('pass') };

let room = null;
let pending = false;
/** The 8 waiting for a suit from the picker, or null. */
let eight = null;
/** {text, state} once the result is in. */
let outcome = null;
/** The seed `result.seed` revealed, once it has. */
let seed = null;
let lastState = null;

const suitOf = (card) => Math.floor(card / 13);
const rankOf = (card) => card % 13;
const isRed = (card) => suitOf(card) === 1 || suitOf(card) === 2;
const label = (card) => `${RANKS[rankOf(card)]}${SUITS[suitOf(card)]}`;

function setStatus(state, text) {
  statusEl.dataset.state = state;
  statusEl.textContent = text;
  if (state === 'your-turn' && lastState !== 'your-turn') haptic('select');
  lastState = state;
}

/** A spectator's room has no `you` (the SDK may also say `watching`). */
function watching() {
  return room.watching === true || room.you === null || room.you === undefined;
}

function table() {
  return resource(room, 'Table') ?? { phase: 'lobby', top: null, suit: null, turn: null, drew: false, draw_pile: 0, winner: null };
}

function myHand() {
  if (watching()) return [];
  const hand = room.state.entities.get(room.you)?.Hand;
  return Array.isArray(hand) ? hand : [];
}

function isMyTurn(t) {
  return !watching() && !outcome && t.phase === 'play' && t.turn === room.you;
}

function legal(card, t) {
  return rankOf(card) === EIGHT || suitOf(card) === t.suit || (t.top !== null && rankOf(card) === rankOf(t.top));
}

function send(move) {
  if (pending || !room) return;
  pending = true;
  notice('');
  if (room.send(move) === false) pending = false;
  render();
}

function nameOf(id) {
  return playerOf(room, id)?.name ?? 'someone';
}

function render() {
  const t = table();
  const seated = players(room);
  const spectator = watching();
  const hand = myHand();
  const mine = isMyTurn(t);
  document.body.dataset.phase = t.phase;

  // The table: top card, the suit to follow, the draw pile.
  if (t.top === null || t.top === undefined) {
    topEl.textContent = '–';
    topEl.removeAttribute('data-red');
  } else {
    topEl.textContent = label(t.top);
    topEl.toggleAttribute('data-red', isRed(t.top));
  }
  suitEl.textContent = t.suit === null || t.suit === undefined ? '' : `follow ${SUITS[t.suit]} ${SUIT_NAMES[t.suit]}`;
  pileEl.textContent = t.phase === 'lobby' ? '' : `${t.draw_pile} to draw`;

  // Your hand, grouped by suit then rank; the cards you may play are
  // enabled on your turn.
  $('mine').classList.toggle('hidden', spectator || t.phase === 'lobby');
  const sorted = [...hand].sort((a, b) => suitOf(a) - suitOf(b) || rankOf(a) - rankOf(b));
  handEl.innerHTML = sorted.map((card) => `
    <button class="playing-card" data-card="${card}" ${isRed(card) ? 'data-red' : ''}
      ${mine && legal(card, t) ? 'data-legal' : ''} ${mine && !pending && legal(card, t) ? '' : 'disabled'}
      aria-label="${RANKS[rankOf(card)]} of ${SUIT_NAMES[suitOf(card)]}">${label(card)}</button>`).join('');
  if (!spectator && t.phase === 'play' && hand.length === 0 && !room.state.entities.get(room.you)?.HandSize) {
    handEl.innerHTML = '<span class="hint">You sat down after the deal: you are out of this match.</span>';
  }

  // Controls: none for a spectator; Deal in the lobby; Draw and Pass on
  // your turn, as the rules allow them.
  $('actions').classList.toggle('hidden', spectator || !!outcome || t.phase === 'over');
  buttons.start.classList.toggle('hidden', t.phase !== 'lobby');
  buttons.start.disabled = pending || seated.length < 2;
  buttons.draw.classList.toggle('hidden', t.phase !== 'play');
  buttons.pass.classList.toggle('hidden', t.phase !== 'play');
  buttons.draw.disabled = !mine || pending || t.drew || t.draw_pile === 0;
  buttons.pass.disabled = !mine || pending || !(t.drew || t.draw_pile === 0);
  if (!mine) eight = null;
  pickerEl.classList.toggle('hidden', eight === null);

  // Players, in seat order, with their hand sizes.
  seatsEl.innerHTML = seated.map(([id, p]) => {
    const size = room.state.entities.get(id)?.HandSize;
    const cards = size === undefined ? (t.phase === 'lobby' ? '' : 'sitting out') : `${size} card${size === 1 ? '' : 's'}`;
    return `
    <li ${t.turn === id ? 'data-turn' : ''} data-online="${p.online !== false}">
      <span>${t.turn === id ? '▶ ' : ''}${esc(p.name)}${id === room.you ? ' (you)' : ''}${p.online === false ? ' · away' : ''}${t.winner === id ? ' · winner' : ''}</span>
      <span>${cards}</span>
    </li>`;
  }).join('');

  showInvite(GAME, room, !spectator && t.phase === 'lobby' && !outcome);
  renderFair();

  if (outcome) setStatus(outcome.state, outcome.text);
  else if (t.phase === 'lobby') {
    if (seated.length < 2) setStatus('waiting', 'Waiting for players…');
    else setStatus('lobby', `${seated.length} seated · ${spectator ? 'waiting for the deal' : 'deal when everyone is here'}`);
  } else if (t.phase === 'over') setStatus('over', t.winner != null ? `${nameOf(t.winner)} won.` : 'The game is over.');
  else if (mine) setStatus('your-turn', t.drew ? 'Your turn: play a card or pass' : 'Your turn: play a card or draw');
  else if (spectator) setStatus('watching', `${nameOf(t.turn)} to play`);
  else setStatus('their-turn', `${nameOf(t.turn)} to play…`);
}

/** The commitment to the shuffle before the result, the seed after. */
function renderFair() {
  const commit = typeof room.fair === 'string' ? room.fair : null;
  const parts = [];
  if (commit) parts.push(`Shuffle commitment (SHA-256 of the seed): ${commit.slice(0, 16)}…`);
  if (typeof seed === 'string') parts.push(`Seed: ${seed}`);
  fairEl.textContent = parts.join(' · ');
  fairEl.title = commit ?? '';
}

function onHand(event) {
  const button = event.target.closest('button[data-card]');
  if (!button || button.disabled) return;
  const card = Number(button.dataset.card);
  if (rankOf(card) === EIGHT) {
    eight = card;
    render();
    return;
  }
  send({ play: { card, suit: null } });
}

function onSuit(event) {
  const button = event.target.closest('button[data-suit]');
  if (!button || eight === null) return;
  const card = eight;
  eight = null;
  send({ play: { card, suit: Number(button.dataset.suit) } });
}

function onResult(result) {
  seed = typeof result?.seed === 'string' ? result.seed : null;
  const id = playerOf(room, room.you)?.id;
  const line = watching() ? null : result.ranking.find((r) => r.player === id);
  const first = result.ranking.find((r) => r.rank === 1);
  if (line?.rank === 1) {
    outcome = { state: 'won', text: `You won ${line.score} points!` };
    haptic('success');
  } else if (line) {
    outcome = { state: 'lost', text: `${first ? first.name : 'Someone'} won.` };
    haptic('error');
  } else {
    outcome = { state: 'over', text: first ? `${first.name} won ${first.score} points.` : 'The game is over.' };
  }
  render();
  showBoard(GAME, result);
  primaryAction('Play again', () => { location.href = `/play/${GAME}`; });
}

async function main() {
  await setupPage({ back: '/' });
  handEl.addEventListener('click', onHand);
  pickerEl.querySelector('.suits').addEventListener('click', onSuit);
  $('cancel').addEventListener('click', () => { eight = null; render(); });
  buttons.start.addEventListener('click', () => send('start'));
  buttons.draw.addEventListener('click', () => send('draw'));
  buttons.pass.addEventListener('click', () => send('pass'));
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
    if (reason !== 'finished' && !outcome) {
      setStatus('left', leftMessage(reason));
      primaryAction('Back to games', () => { location.href = '/'; });
    }
  });
  render();
}

main();
