// The lobby: the server's games (GET /api/games), its public rooms
// (GET /api/rooms: Join where a seat is free, Watch where the match is
// running or the room is full), a quick match or a private room for each game, and
// the leaderboards (GET /api/leaderboard/<game>): everyone or, inside
// Telegram, this chat; all time, this week or today; and, where the server
// links TON wallets, the player's wallet and rewards (wallet.js).

import { setupPage, guestName, setGuestName, tg, esc, primaryAction, notice, Parlor } from '/web/app.js';
import { setupWallet } from '/web/wallet.js';

const ROOMS_EVERY_MS = 5000;

await setupPage();

/** Opened from `t.me/<bot>/<app>?startapp=<code>` with the lobby as the
 * Mini App: go to that room's game page. Resolves false if there is none. */
async function followStartRoom() {
  const code = Parlor.telegramLaunch().startParam;
  if (!Parlor.isRoomCode(code)) return false;
  try {
    const response = await fetch(`/api/rooms/${encodeURIComponent(code)}`);
    const room = response.ok ? await response.json() : null;
    if (room?.page) {
      // The start parameter itself: for a private room, its invite.
      location.replace(`${room.page}?room=${encodeURIComponent(code.toUpperCase())}`);
      return true;
    }
  } catch { /* fall through to the lobby */ }
  notice(`Room ${code.toUpperCase()} is no longer open; pick a game below.`);
  return false;
}

if (await followStartRoom()) await new Promise(() => {}); // leaving the page

const nameInput = document.getElementById('name');
if (tg?.initData) {
  document.getElementById('you').classList.add('hidden');
} else {
  nameInput.value = guestName();
  nameInput.addEventListener('change', () => {
    const name = nameInput.value.trim();
    if (name) setGuestName(name);
    else nameInput.value = guestName();
  });
}

let games = [];

function describeSeats(g) {
  return g.min_players === g.max_players ? `${g.max_players} players` : `${g.min_players}–${g.max_players} players`;
}

function describePace(g) {
  return g.turn_based ? 'turn-based' : `real-time${g.match_seconds ? `, ${g.match_seconds} s rounds` : ''}`;
}

function renderGames() {
  const list = document.getElementById('games');
  if (games.length === 0) {
    list.innerHTML = '<li class="hint">This server hosts no games.</li>';
    return;
  }
  list.innerHTML = games.map((g) => `
    <li class="card" data-game="${esc(g.name)}">
      <h3>${esc(g.title)}</h3>
      <div class="hint">${esc(describeSeats(g))} · ${esc(describePace(g))}</div>
      <div class="row" style="margin-top:10px">
        <a class="button play" href="${esc(g.page)}">Play</a>
        <a class="button secondary private" href="${esc(g.page)}?private=1">Private room</a>
      </div>
    </li>`).join('');
}

async function loadGames() {
  try {
    const response = await fetch('/api/games');
    games = await response.json();
    renderGames();
  } catch {
    document.getElementById('games').innerHTML = '<li class="notice" data-kind="error">Could not load the games.</li>';
  }
  // Every game has a page (its own, or the live state page).
  const first = games[0];
  if (tg && first) primaryAction(`Play ${first.title}`, () => { location.href = first.page; });
}

async function loadRooms() {
  const list = document.getElementById('rooms');
  let rooms;
  try {
    rooms = await (await fetch('/api/rooms')).json();
  } catch {
    list.innerHTML = '<li class="hint">Could not load the rooms.</li>';
    return;
  }
  const titles = new Map(games.map((g) => [g.name, g]));
  // A room with a free seat can be joined; one whose match is running, or
  // that is full, can be watched (the game page opens as a spectator).
  const listed = rooms
    .filter((r) => titles.get(r.game)?.page)
    .map((r) => ({ ...r, joinable: r.players < r.max_players, watchable: r.running === true || r.players >= r.max_players }))
    .filter((r) => r.joinable || r.watchable);
  if (listed.length === 0) {
    list.innerHTML = '<li class="hint">No open rooms right now: press Play to open one.</li>';
    return;
  }
  const page = (r, key) => `/play/${encodeURIComponent(r.game)}?${key}=${encodeURIComponent(r.code)}`;
  list.innerHTML = listed.map((r) => `
    <li class="card row" data-room="${esc(r.code)}" data-running="${r.running === true}">
      <div class="grow">
        <strong>${esc(titles.get(r.game).title)}</strong>
        <div class="hint">Room ${esc(r.code)} · ${r.players} of ${r.max_players} seats taken${r.running ? ' · playing' : ''}</div>
      </div>
      ${r.joinable ? `<a class="button secondary join" href="${page(r, 'room')}">Join</a>` : ''}
      ${r.watchable ? `<a class="button secondary watch" href="${page(r, 'watch')}">Watch</a>` : ''}
    </li>`).join('');
}

/** The board the controls pick: its top 10 by best score. */
async function loadBoard() {
  const list = document.getElementById('leaders');
  const game = document.getElementById('board-game').value;
  if (!game) {
    list.innerHTML = '';
    return;
  }
  const params = new URLSearchParams({ limit: '10', period: document.getElementById('board-period').value });
  const chat = tg?.initDataUnsafe?.chat_instance;
  if (chat && document.getElementById('board-scope').value === 'chat') {
    params.set('scope', 'chat');
    params.set('chat', chat);
  }
  let board;
  try {
    board = await (await fetch(`/api/leaderboard/${encodeURIComponent(game)}?${params}`)).json();
  } catch {
    list.innerHTML = '<li class="hint">Could not load the leaderboard.</li>';
    return;
  }
  list.innerHTML = (board.entries ?? []).length === 0
    ? '<li class="hint">No results yet: the first match puts someone here.</li>'
    : board.entries.map((e) => `
    <li class="card row" data-player="${esc(e.player)}" data-rank="${e.rank}">
      <strong>${e.rank}.</strong>
      <span class="grow">${esc(e.name)}</span>
      <span class="hint">best ${e.best} · ${e.matches} ${e.matches === 1 ? 'match' : 'matches'}</span>
    </li>`).join('');
  list.dataset.game = game;
  list.dataset.period = params.get('period');
}

function setupBoard() {
  const select = document.getElementById('board-game');
  select.innerHTML = games.map((g) => `<option value="${esc(g.name)}">${esc(g.title)}</option>`).join('');
  // A chat's own board only where Telegram says which chat this is.
  if (tg?.initDataUnsafe?.chat_instance) document.getElementById('board-scope').classList.remove('hidden');
  for (const id of ['board-game', 'board-period', 'board-scope']) {
    document.getElementById(id).addEventListener('change', loadBoard);
  }
}

await loadGames();
await loadRooms();
setupBoard();
await loadBoard();
setupWallet().catch((error) => notice(`Rewards are unavailable: ${error.message}`, 'error'));
setInterval(() => {
  if (document.visibilityState === 'visible') loadRooms();
}, ROOMS_EVERY_MS);
document.body.dataset.ready = 'true';
