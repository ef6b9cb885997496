// What every Parlor page shares: Telegram's WebApp object where the page
// runs inside Telegram (theme, viewport, MainButton, haptics), the
// connection to the server through the SDK, and the connection banner.
// Plain ES module, no build step.

import { Parlor } from '/sdk/parlor.js';

export { Parlor };

/** Telegram's WebApp object, or null in a plain browser. */
export let tg = null;

const TELEGRAM_SCRIPT = 'https://telegram.org/js/telegram-web-app.js';

/** Whether Telegram opened this page (it passes its launch parameters in
 * the URL's hash, and its script keeps them in sessionStorage on reload). */
function launchedByTelegram() {
  if (/tgWebApp(Data|Version)=/.test(location.hash)) return true;
  try {
    return sessionStorage.getItem('__telegram__initParams') !== null;
  } catch {
    return false;
  }
}

/** Loads Telegram's script only when Telegram opened the page, so a page
 * opened in a browser (or offline) never waits for telegram.org. */
function loadTelegram() {
  if (window.Telegram?.WebApp || !launchedByTelegram()) return Promise.resolve();
  return new Promise((resolve) => {
    const script = document.createElement('script');
    script.src = TELEGRAM_SCRIPT;
    script.onload = script.onerror = () => resolve();
    setTimeout(resolve, 4000);
    document.head.append(script);
  });
}

const THEME_KEYS = [
  'bg_color', 'text_color', 'hint_color', 'link_color', 'button_color', 'button_text_color',
  'secondary_bg_color', 'accent_text_color', 'destructive_text_color',
];

function applyTheme() {
  const params = tg?.themeParams ?? {};
  for (const key of THEME_KEYS) {
    if (params[key]) {
      document.documentElement.style.setProperty(`--tg-theme-${key.replaceAll('_', '-')}`, params[key]);
    }
  }
  if (tg?.colorScheme) document.documentElement.dataset.scheme = tg.colorScheme;
}

/** Sets up the page: Telegram if present (ready, expand, theme, back
 * button), the connection banner. Call once, first. */
export async function setupPage({ back = null } = {}) {
  await loadTelegram();
  tg = window.Telegram?.WebApp ?? null;
  if (tg) {
    tg.ready?.();
    tg.expand?.();
    applyTheme();
    tg.onEvent?.('themeChanged', applyTheme);
    if (back && tg.BackButton) {
      tg.BackButton.onClick(() => { location.href = back; });
      tg.BackButton.show();
    }
  }
  document.documentElement.dataset.telegram = tg ? 'yes' : 'no';
}

/** Haptic feedback inside Telegram; nothing elsewhere.
 * kind: 'success' | 'error' | 'warning' | 'light' | 'medium' | 'heavy' | 'select'. */
export function haptic(kind) {
  const h = tg?.HapticFeedback;
  if (!h) return;
  if (kind === 'success' || kind === 'error' || kind === 'warning') h.notificationOccurred(kind);
  else if (kind === 'select') h.selectionChanged();
  else h.impactOccurred(kind);
}

let mainAction = null;

/** The page's main action: Telegram's MainButton inside Telegram, the
 * page's own `#primary` button elsewhere. `null` hides it. */
export function primaryAction(text, onClick) {
  const button = document.getElementById('primary');
  const main = tg?.MainButton;
  if (main && mainAction) main.offClick(mainAction);
  mainAction = onClick;
  if (button) {
    button.onclick = onClick;
    button.textContent = text ?? '';
    button.classList.toggle('hidden', !onClick || !!main);
  }
  if (main) {
    if (onClick) {
      main.setText(text);
      main.onClick(onClick);
      main.show();
    } else {
      main.hide();
    }
  }
}

const NAME_KEY = 'parlor.name';

/** The guest name this browser plays under (kept in localStorage). */
export function guestName() {
  let name = null;
  try {
    name = localStorage.getItem(NAME_KEY);
  } catch { /* storage may be off */ }
  if (!name) {
    const user = tg?.initDataUnsafe?.user;
    name = user?.first_name || `Guest ${Math.floor(1000 + Math.random() * 9000)}`;
    setGuestName(name);
  }
  return name;
}

export function setGuestName(name) {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch { /* storage may be off */ }
}

/** The websocket URL of the server that served this page. */
export function serverUrl() {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}

/** Connects to the server that served the page: the SDK signs in with
 * Telegram's initData inside Telegram, as a guest elsewhere. Wires the
 * connection pill and banner to the client's reconnection events. */
export async function connect() {
  setConnection('connecting');
  const client = await Parlor.connect(serverUrl(), { guest: guestName() });
  setConnection('online');
  let reconnects = 0;
  client.on('reconnecting', () => setConnection('reconnecting'));
  client.on('reconnected', () => {
    reconnects += 1;
    setConnection('reconnected', reconnects);
  });
  client.on('close', () => setConnection('offline'));
  showLatency(client);
  return client;
}

const PING_EVERY_MS = 5000;

/** Shows the round-trip time in the connection pill while online. */
function showLatency(client) {
  const pill = document.getElementById('conn');
  if (!pill) return;
  const probe = async () => {
    if (document.visibilityState !== 'visible' || pill.dataset.state !== 'online') return;
    try {
      const ms = await client.ping();
      if (pill.dataset.state === 'online') pill.textContent = `online · ${Math.round(ms)} ms`;
    } catch { /* the reconnection events say what matters */ }
  };
  probe();
  setInterval(probe, PING_EVERY_MS);
}

let bannerTimer = null;

/** Shows the connection state in `#conn` (a pill) and `#banner`. The
 * banner's data-reconnects counts successful reconnections. */
export function setConnection(state, reconnects) {
  const pill = document.getElementById('conn');
  const banner = document.getElementById('banner');
  const labels = {
    connecting: 'connecting…',
    online: 'online',
    reconnecting: 'reconnecting…',
    reconnected: 'online',
    offline: 'offline',
  };
  // Pages grey out their controls while inputs cannot be sent.
  document.documentElement.dataset.conn = state === 'reconnected' ? 'online' : state;
  if (pill) {
    pill.dataset.state = state === 'reconnected' ? 'online' : state;
    pill.textContent = labels[state];
  }
  if (!banner) return;
  clearTimeout(bannerTimer);
  banner.dataset.state = state;
  if (reconnects !== undefined) banner.dataset.reconnects = String(reconnects);
  banner.textContent = {
    reconnecting: 'Connection lost — reconnecting…',
    reconnected: 'Reconnected',
    offline: 'Disconnected. Reload the page to play again.',
  }[state] ?? '';
  if (state === 'reconnected') {
    bannerTimer = setTimeout(() => { banner.dataset.state = 'online'; }, 2500);
  }
}

/** Shows a message in `#notice` (kind: 'info' | 'error'); empty hides it. */
export function notice(text, kind = 'info') {
  const el = document.getElementById('notice');
  if (!el) return;
  el.textContent = text ?? '';
  el.dataset.kind = kind;
  el.classList.toggle('hidden', !text);
}

/** The web link to a room of a game. */
export function roomLink(game, code) {
  return `${location.origin}/play/${encodeURIComponent(game)}?room=${encodeURIComponent(code)}`;
}

/** `enter()`, or, when the room is full, `watch()` instead: a full
 * room's link still shows the match. Returns {room, how, full}: how is
 * `how`, or 'watch' for the fallback. */
async function orWatch(how, enter, watch) {
  try {
    return { room: await enter(), how, full: false };
  } catch (error) {
    if (error?.code !== 'room_full') throw error;
    return { room: await watch(), how: 'watch', full: true };
  }
}

/** Watches recorded match `id` played back (`client.watchReplay`); a
 * refusal is said in a replay's words. */
async function watchReplay(client, id) {
  try {
    return await client.watchReplay(id);
  } catch (error) {
    const text = {
      no_such_room: `This server has no recording of match ${id}.`,
      rate_limited: 'The server is playing as many replays as it can; try again in a moment.',
    }[error?.code];
    throw text ? new Error(text) : error;
  }
}

/** Enters the room this page's URL asks for: `?replay=MATCH` watches that
 * recorded match played back, `?watch=CODE` watches a room without a seat,
 * `?room=CODE` joins it, `?private=1` opens a private room, `?chat=1`
 * enters the Telegram chat's room of the game, anything else plays
 * (Telegram's start_param room, or a quick match). A room that is full (by
 * code, by the start_param, or the chat's) is watched instead. The URL
 * then names the room (`?room=`, or `?watch=` while watching; a replay
 * keeps `?replay=`), so a reload comes back to it (a replay, from its
 * beginning). Returns {room, how, full}: how is 'replay', 'watch', 'join',
 * 'private', 'chat' or 'play'; full says a full room made it 'watch'. */
export async function enterRoom(client, game) {
  const params = new URLSearchParams(location.search);
  const code = params.get('room')?.toUpperCase();
  const watch = params.get('watch');
  const replay = params.get('replay');
  let entered;
  if (replay) {
    entered = { room: await watchReplay(client, replay), how: 'replay', full: false };
  } else if (watch) {
    entered = { room: await client.watch(watch.toUpperCase()), how: 'watch', full: false };
  } else if (code) {
    entered = await orWatch('join', () => client.join(code), () => client.watch(code));
  } else if (params.get('private')) {
    entered = { room: await client.create(game, { private: true }), how: 'private', full: false };
  } else if (params.get('chat')) {
    entered = await orWatch('chat', () => client.chat(game), () => client.watchChat(game));
  } else if (client.startRoom && !(client.room?.game === game && !client.room.watching)) {
    // Opened from an invite link (start_param): that room, watched if it
    // is full; a room that is gone falls back to a quick match, as in play.
    const start = client.startRoom;
    try {
      entered = await orWatch('play', () => client.play(game, { fallback: false }), () => client.watch(start));
    } catch (error) {
      if (error?.code !== 'no_such_room') throw error;
      entered = { room: await client.play(game), how: 'play', full: false };
    }
  } else {
    entered = { room: await client.play(game), how: 'play', full: false };
  }
  const url = new URL(location.href);
  for (const key of ['private', 'chat', 'room', 'watch', 'replay']) url.searchParams.delete(key);
  if (entered.room.replay) url.searchParams.set('replay', entered.room.replay);
  else url.searchParams.set(entered.room.watching ? 'watch' : 'room', roomRef(entered.room));
  history.replaceState(null, '', url);
  return entered;
}

/** Marks the page as a spectator's: a "Watching" badge in the header
 * ("Replay" for a recorded match played back, which also sets
 * `data-replay` on <html>) and `data-watching` on <html>, which style.css
 * uses to take the controls away (a spectator's inputs would be refused). */
export function showWatching(room) {
  const watching = !!room?.watching;
  const replay = watching && typeof room.replay === 'string';
  document.documentElement.toggleAttribute('data-watching', watching);
  document.documentElement.toggleAttribute('data-replay', replay);
  let badge = document.getElementById('watching');
  if (!watching) {
    badge?.remove();
    return;
  }
  if (!badge) {
    badge = document.createElement('span');
    badge.id = 'watching';
    badge.className = 'pill watching';
    const bar = document.querySelector('header.bar');
    const pill = document.getElementById('conn');
    if (pill?.parentElement === bar) bar.insertBefore(badge, pill);
    else (bar ?? document.body).prepend(badge);
  }
  badge.classList.toggle('replay', replay);
  badge.textContent = replay ? 'Replay' : 'Watching';
  badge.title = replay
    ? 'A recorded match, played back at the pace it was played'
    : 'You are watching this room without a seat';
}

/** The game's entry in GET /api/games, or null. */
export async function gameInfo(game) {
  try {
    const games = await (await fetch('/api/games')).json();
    return games.find((g) => g.name === game) ?? null;
  } catch {
    return null;
  }
}

/** Connects and enters the room the page's address asks for (see
 * enterRoom). On failure, shows why through `showError(text)`, offers the
 * way back to the lobby, and returns null. */
export async function start(game, showError) {
  try {
    const client = await connect();
    const entered = await enterRoom(client, game);
    showWatching(entered.room);
    if (entered.full) notice('That room is full, so you are watching it.');
    return entered;
  } catch (e) {
    showError(describe(e));
    primaryAction('Back to games', () => { location.href = '/'; });
    return null;
  }
}

/** A room's code. */
export function roomCode(room) {
  return room.code ?? room.room;
}

/** What joins a room: a private room's invite (code and secret), else its code. */
export function roomRef(room) {
  return room.invite ?? roomCode(room);
}

/** Fills the invite panel `#invite` (its `data-title` heads it) with the
 * room's code and links, and shows or hides it. */
export function showInvite(game, room, visible) {
  const panel = document.getElementById('invite');
  if (!panel) return;
  panel.classList.toggle('hidden', !visible);
  if (!visible) return;
  if (!panel.firstElementChild) {
    panel.innerHTML = `
      <div class="hint">${esc(panel.dataset.title ?? '')} <span class="what"></span></div>
      <code></code>
      <div class="hint" style="margin-top:6px">Send this link:</div>
      <a class="link"></a>
      <div class="row" style="margin-top:8px">
        <button class="secondary copy">Copy link</button>
        <button class="secondary share hidden">Share in Telegram</button>
      </div>`;
  }
  const code = roomCode(room);
  // A private room is joined by its invite only; the code alone would not.
  const ref = roomRef(room);
  const link = roomLink(game, ref);
  panel.querySelector('.what').textContent = room.invite ? 'Invite (private room)' : 'Room code';
  panel.querySelector('code').textContent = ref;
  const a = panel.querySelector('a.link');
  a.href = link;
  a.textContent = link;
  const copy = panel.querySelector('button.copy');
  copy.onclick = async () => {
    try {
      await navigator.clipboard.writeText(link);
      copy.textContent = 'Copied';
    } catch {
      copy.textContent = 'Copy failed';
    }
  };
  const share = panel.querySelector('button.share');
  if (share) {
    share.classList.toggle('hidden', !tg?.openTelegramLink);
    share.onclick = () => {
      const text = `Play ${game} with me: room ${code}`;
      tg.openTelegramLink(`https://t.me/share/url?url=${encodeURIComponent(link)}&text=${encodeURIComponent(text)}`);
    };
  }
}

/** Reads a resource of the room's state by type name. */
export function resource(room, name) {
  const r = room.state.resources;
  return r instanceof Map ? r.get(name) : r?.[name];
}

/** The engine's Player component of an entity. */
export function playerOf(room, id) {
  return room.state.entities.get(id)?.Player;
}

/** [entity id, Player] of every seated player, by seat. */
export function players(room) {
  const seated = [];
  for (const [id, components] of room.state.entities) {
    if (components.Player) seated.push([id, components.Player]);
  }
  return seated.sort((a, b) => a[1].slot - b[1].slot);
}

/** After a match: today's top five of `game` (this chat's, inside a
 * Telegram chat), in a section at the end of the page's main, and, when
 * the game records its matches, a link to play `result`'s match back
 * (`/replay/<match>`). The `result` frame comes once the match is
 * recorded, so it is on the board and its recording is stored. */
export async function showBoard(game, result = null) {
  let section = document.getElementById('after-board');
  if (!section) {
    section = document.createElement('section');
    section.id = 'after-board';
    section.innerHTML = '<h2></h2><ol class="plain"></ol><p class="replay-link" hidden><a></a></p>';
    document.querySelector('main').append(section);
  }
  const replay = section.querySelector('.replay-link');
  replay.hidden = true;
  if (typeof result?.match === 'string' && (await gameInfo(game))?.record) {
    const link = replay.querySelector('a');
    link.href = `/replay/${encodeURIComponent(result.match)}`;
    link.textContent = 'Watch the replay';
    replay.hidden = false;
  }
  const params = new URLSearchParams({ period: 'day', limit: '5' });
  const chat = tg?.initDataUnsafe?.chat_instance;
  if (chat) {
    params.set('scope', 'chat');
    params.set('chat', chat);
  }
  section.querySelector('h2').textContent = chat ? 'Today in this chat' : 'Today\'s best';
  try {
    const board = await (await fetch(`/api/leaderboard/${encodeURIComponent(game)}?${params}`)).json();
    section.querySelector('ol').innerHTML = (board.entries ?? []).map((e) => `
      <li class="row" data-rank="${e.rank}"><strong>${e.rank}.</strong>
        <span class="grow">${esc(e.name)}</span><span class="hint">${e.best}</span></li>`).join('');
  } catch {
    section.querySelector('ol').innerHTML = '<li class="hint">Could not load the leaderboard.</li>';
  }
}

/** Escapes text for innerHTML. */
export function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Describes an SDK or server error for a person. */
export function describe(error) {
  const code = error?.code;
  const known = {
    no_such_room: 'That room does not exist any more.',
    room_full: 'That room is full.',
    no_such_game: 'This server does not host that game.',
    server_full: 'The server is full right now; try again in a moment.',
    guest_disabled: 'This server only lets Telegram users play.',
    spectator: 'You are watching this room; spectators cannot play.',
  };
  return known[code] ?? error?.message ?? String(error);
}

/** Says why a room was left (the `left` event's reason) to a person. */
export function leftMessage(reason) {
  return {
    replaced: 'You opened this room in another window.',
    expired: 'Your seat was lost while reconnecting.',
    error: 'The game stopped with an error; nothing was recorded.',
    disconnected: 'Disconnected from the server.',
    leave: 'You left the room.',
  }[reason] ?? 'The room closed.';
}
