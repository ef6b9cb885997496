// Parlor's pages and SDK in a real browser: headless Chromium (Debian's,
// driven by playwright-core) against a real `parlor serve` on a free port
// with a temporary data directory.
//
//   PARLOR_BIN      the server binary (default: target/debug/parlor)
//   RPS_BIN         a publisher's binary: the rock_paper_scissors example
//                   (default: target/debug/examples/rock_paper_scissors)
//   NEW_CRATE       a crate written by `parlor new tap-race` and built, its
//                   binary at NEW_CRATE_BIN (.ci/run sets both; without
//                   them that test is skipped)
//   CHROMIUM        the browser (default: /usr/bin/chromium)
//   SCREENSHOTS     where screenshots go (default: docs/screenshots/)
//
// The wallet test makes its ton_proof with the TON npm packages
// (tests/ton/wallet.mjs: `npm ci` in tests/ton first) and serves TON
// Connect UI from this package's own copy of @tonconnect/ui.
//
// Every wait is on a DOM state the page shows; nothing sleeps to
// synchronise.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = resolve(ROOT, process.env.PARLOR_BIN ?? 'target/debug/parlor');
const RPS_BIN = resolve(ROOT, process.env.RPS_BIN ?? 'target/debug/examples/rock_paper_scissors');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = resolve(ROOT, process.env.SCREENSHOTS ?? 'docs/screenshots');
/** A guard against a hung wait; never a way to wait for something. */
const PATIENCE = 20_000;
/** A phone-sized viewport: the pages are made for Telegram's webview. */
const PHONE = { viewport: { width: 400, height: 760 }, deviceScaleFactor: 1 };

let server;
let baseUrl;
let dataDir;
let browser;

/** A short trivia match for the tests: it starts when two are seated. A
 * server that does not host trivia ignores the file. */
const TRIVIA_MANIFEST = `name = "trivia"
title = "Chat Trivia"
min_players = 2
max_players = 2

[settings]
rounds = 2
question_seconds = 30
reveal_seconds = 3
lobby_seconds = 0
`;

/** Starts `parlor serve` on a free port; resolves with its base URL. */
async function serve() {
  dataDir = mkdtempSync(join(tmpdir(), 'parlor-browser-'));
  const manifests = join(dataDir, 'manifests');
  mkdirSync(manifests);
  writeFileSync(join(manifests, 'trivia.toml'), TRIVIA_MANIFEST);
  ({ process: server, url: baseUrl } = await start(BIN, dataDir, ['--manifests', manifests]));
  return baseUrl;
}

/** Starts `bin serve` on a free port with its data in `dir`, run from
 * `cwd` (default `dir`); resolves with the process and its base URL. */
function start(bin, dir, extra = [], cwd = dir) {
  const args = ['serve', '--bind', '127.0.0.1:0', '--data-dir', join(dir, 'data'), ...extra];
  const child = spawn(bin, args, {
    cwd,
    env: { ...process.env, PARLOR_LOG: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolveStarted, reject) => {
    const timer = setTimeout(() => reject(new Error(`${bin} serve did not log its URL in time`)), PATIENCE);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`${bin} serve exited with ${code} before serving`)));
    // Keep reading the log so the server never blocks on a full pipe.
    createInterface({ input: child.stderr }).on('line', (line) => {
      const at = line.indexOf('serving on ');
      if (at >= 0) {
        clearTimeout(timer);
        resolveStarted({ process: child, url: line.slice(at + 'serving on '.length).trim().replace(/\/$/, '') });
      }
    });
  });
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  baseUrl = await serve();
  browser = await chromium.launch({ executablePath: CHROMIUM });
});

after(async () => {
  await browser?.close();
  server?.kill();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A player: a browser context of its own (its own storage), one page.
 * `telegram` ({themeParams, startParam}) fakes Telegram's WebApp object
 * and records what the page asks of it in `window.telegramCalls`. */
async function player(name, { telegram = null } = {}) {
  const context = await browser.newContext(PHONE);
  await context.addInitScript((guest) => localStorage.setItem('parlor.name', guest), name);
  if (telegram) await context.addInitScript(fakeTelegram, telegram);
  const page = await context.newPage();
  page.setDefaultTimeout(PATIENCE);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  page.on('console', (m) => {
    // A 404 the page expects (a closed room) is logged by Chromium too.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(new Error(m.text()));
  });
  return { name, context, page, errors };
}

/** Runs in the page before its scripts: a stand-in for telegram-web-app.js. */
function fakeTelegram({ themeParams = {}, startParam = undefined }) {
  const calls = [];
  window.telegramCalls = calls;
  const button = (which) => ({
    text: '',
    isVisible: false,
    setText(text) { this.text = text; calls.push([which, 'setText', text]); return this; },
    onClick(fn) { this.handler = fn; return this; },
    offClick() { this.handler = null; return this; },
    show() { this.isVisible = true; calls.push([which, 'show']); return this; },
    hide() { this.isVisible = false; calls.push([which, 'hide']); return this; },
  });
  window.Telegram = {
    WebApp: {
      initData: '',
      initDataUnsafe: startParam ? { start_param: startParam } : {},
      colorScheme: 'dark',
      themeParams,
      ready() { calls.push(['ready']); },
      expand() { calls.push(['expand']); },
      onEvent() {},
      openTelegramLink(url) { calls.push(['openTelegramLink', url]); },
      MainButton: button('MainButton'),
      BackButton: button('BackButton'),
      HapticFeedback: {
        notificationOccurred(kind) { calls.push(['haptic', kind]); },
        impactOccurred(kind) { calls.push(['haptic', kind]); },
        selectionChanged() { calls.push(['haptic', 'select']); },
      },
    },
  };
}

const TELEGRAM_DARK = {
  bg_color: '#17212b',
  text_color: '#f5f5f5',
  hint_color: '#708499',
  link_color: '#6ab3f3',
  button_color: '#5288c1',
  button_text_color: '#ffffff',
  secondary_bg_color: '#232e3c',
};

async function done(...players) {
  for (const p of players) {
    assert.deepEqual(p.errors.map(String), [], `${p.name}'s page had errors`);
    await p.context.close();
  }
}

/** Opens a private room of `game` as `host`, then has `guest` follow the
 * invite link the host's page shows; returns the invite. */
async function privateRoom(game, host, guest) {
  await host.page.goto(`${baseUrl}/play/${game}?private=1`);
  const invite = host.page.locator('#invite');
  await invite.waitFor({ state: 'visible' });
  // A private room's invite: its code and a secret; the code alone joins nothing.
  const shown = (await invite.locator('code').textContent()).trim();
  assert.match(shown, /^[23456789A-HJ-NP-Z]{6}-[23456789A-HJ-NP-Z]{16}$/);
  const link = await invite.locator('a.link').getAttribute('href');
  assert.equal(link, `${baseUrl}/play/${game}?room=${shown}`);
  // A reload of the host's page comes back to the same room.
  assert.equal(new URL(host.page.url()).searchParams.get('room'), shown);
  await guest.page.goto(link);
  return shown;
}

const status = (p) => p.page.locator('#status');

async function waitStatus(p, state) {
  await p.page.locator(`#status[data-state="${state}"]`).waitFor();
}

/** The seat to move clicks `cell`; both pages then show the mark. */
async function move(mover, other, cell) {
  await waitStatus(mover, 'your-turn');
  await waitStatus(other, 'their-turn');
  const mark = await mover.page.evaluate(() => document.querySelector('#status').textContent.match(/\((X|O)\)/)[1]);
  await mover.page.click(`#board button[data-cell="${cell}"]`);
  for (const p of [mover, other]) {
    await p.page.locator(`#board button[data-cell="${cell}"][data-mark="${mark}"]`).waitFor();
  }
}

/** Plays `cells` in turn, `first` moving first. */
async function moves(first, second, cells) {
  let [mover, other] = [first, second];
  for (const cell of cells) {
    await move(mover, other, cell);
    [mover, other] = [other, mover];
  }
}

test('the lobby lists the games and the open rooms', async () => {
  const host = await player('Ada');
  await host.page.goto(`${baseUrl}/play/arena`);
  await host.page.locator('canvas[data-drawn]').waitFor();
  const code = new URL(host.page.url()).searchParams.get('room');

  const visitor = await player('Lin');
  await visitor.page.goto(`${baseUrl}/`);
  await visitor.page.locator('body[data-ready="true"]').waitFor();
  for (const game of ['tictactoe', 'arena']) {
    const card = visitor.page.locator(`#games [data-game="${game}"]`);
    assert.equal(await card.locator('a.play').getAttribute('href'), `/play/${game}`);
    assert.equal(await card.locator('a.private').getAttribute('href'), `/play/${game}?private=1`);
  }
  const room = visitor.page.locator(`#rooms [data-room="${code}"]`);
  await room.waitFor();
  assert.match(await room.textContent(), /Orb Arena[\s\S]*1 of 8/);
  assert.equal(await visitor.page.inputValue('#name'), 'Lin');
  await visitor.page.screenshot({ path: join(SHOTS, 'lobby.png') });

  // The arena's match runs with one player: the room offers Watch too.
  assert.equal(await room.locator('a.watch').getAttribute('href'), `/play/arena?watch=${code}`);
  // "Join" takes the visitor into the host's room.
  await room.locator('a.join').click();
  await visitor.page.waitForURL(`**/play/arena?room=${code}`);
  const seated = (n) => visitor.page.waitForFunction((count) => Object.keys(JSON.parse(document.querySelector('canvas').dataset.drawn ?? '{}')).length === count, n);
  await seated(2);

  // The lobby as a Mini App opened from t.me/<bot>/<app>?startapp=<code>
  // goes to that room's page; an unknown code stays in the lobby.
  const invited = await player('Kim', { telegram: { startParam: code.toLowerCase() } });
  await invited.page.goto(`${baseUrl}/`);
  await invited.page.waitForURL(`**/play/arena?room=${code}`);
  await seated(3);
  const stale = await player('Max', { telegram: { startParam: 'ZZZZZZ' } });
  await stale.page.goto(`${baseUrl}/`);
  await stale.page.locator('#notice:not(.hidden)', { hasText: 'ZZZZZZ is no longer open' }).waitFor();
  await done(host, visitor, invited, stale);
});

test('two pages play tic-tac-toe to a win through clicks', async () => {
  const alice = await player('Alice');
  const bob = await player('Bob', { telegram: { themeParams: TELEGRAM_DARK } });
  await privateRoom('tictactoe', alice, bob);

  // Alice opened the room: seat 0, X, moves first.
  await moves(alice, bob, [4, 0]);
  // A taken cell takes no click: still Alice's turn.
  await waitStatus(alice, 'your-turn');
  await alice.page.click('#board button[data-cell="0"]');
  assert.equal(await alice.page.locator('#board button[data-cell="0"]').getAttribute('data-mark'), 'O');
  await moves(alice, bob, [2, 6, 3, 1, 5]); // Alice's 3-4-5: a row
  await waitStatus(alice, 'won');
  await waitStatus(bob, 'lost');
  assert.equal(await status(alice).textContent(), 'You won!');
  const winning = await alice.page.$$eval('#board button[data-win]', (cells) => cells.map((c) => c.dataset.cell));
  assert.deepEqual(winning, ['3', '4', '5']);
  await alice.page.locator('#primary:not(.hidden)', { hasText: 'Play again' }).waitFor();
  await alice.page.screenshot({ path: join(SHOTS, 'tictactoe-win.png') });

  // Bob's page ran "inside Telegram": theme, viewport, haptics, MainButton.
  const calls = await bob.page.evaluate(() => window.telegramCalls);
  const has = (...call) => calls.some((c) => JSON.stringify(c) === JSON.stringify(call));
  assert.ok(has('ready') && has('expand'), JSON.stringify(calls));
  assert.ok(has('haptic', 'select'), 'a haptic tick on his turn');
  assert.ok(has('haptic', 'error'), 'a haptic on the loss');
  assert.ok(has('MainButton', 'setText', 'Play again') && has('MainButton', 'show'));
  assert.ok(await bob.page.locator('#primary').evaluate((b) => b.classList.contains('hidden')), 'the MainButton replaces the page button');
  const bg = await bob.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(23, 33, 43)', 'the Telegram theme colours the page');
  await bob.page.screenshot({ path: join(SHOTS, 'tictactoe-telegram-theme.png') });

  // The result is in the ledger: Alice leads the leaderboard, in the API
  // and in the lobby's board, today as all time.
  const board = await (await fetch(`${baseUrl}/api/leaderboard/tictactoe`)).json();
  assert.equal(board.entries[0].name, 'Alice');
  await alice.page.locator('#after-board li[data-rank="1"]', { hasText: 'Alice' }).waitFor();
  // This server's tic-tac-toe does not record: no replay to link to (the
  // link is decided before the board is filled).
  assert.equal(await alice.page.locator('#after-board .replay-link').isHidden(), true);
  await alice.page.goto(`${baseUrl}/`);
  await alice.page.locator('body[data-ready="true"]').waitFor();
  await alice.page.selectOption('#board-game', 'tictactoe');
  const first = alice.page.locator('#leaders[data-game="tictactoe"] li[data-rank="1"]');
  assert.match(await first.first().textContent(), /Alice/);
  await alice.page.selectOption('#board-period', 'day');
  await alice.page.locator('#leaders[data-period="day"] li[data-rank="1"]', { hasText: 'Alice' }).waitFor();
  await done(alice, bob);
});

test('a third page watches a tic-tac-toe match: it sees the moves and has no board to click', async () => {
  const alice = await player('Alice W');
  const bob = await player('Bob W');
  await alice.page.goto(`${baseUrl}/play/tictactoe`);
  await waitStatus(alice, 'waiting');
  const code = new URL(alice.page.url()).searchParams.get('room');
  await bob.page.goto(`${baseUrl}/play/tictactoe?room=${code}`);
  await waitStatus(alice, 'your-turn');

  // The lobby offers the full, running room to watch only.
  const lobby = await player('Lou');
  await lobby.page.goto(`${baseUrl}/`);
  const listed = lobby.page.locator(`#rooms [data-room="${code}"]`);
  await listed.waitFor();
  assert.equal(await listed.locator('a.join').count(), 0);
  await listed.locator('a.watch').click();
  await lobby.page.waitForURL(`**/play/tictactoe?watch=${code}`);
  const carol = lobby;
  await carol.page.locator('#watching', { hasText: 'Watching' }).waitFor();
  assert.equal(await carol.page.evaluate(() => document.documentElement.hasAttribute('data-watching')), true);
  await waitStatus(carol, 'watching');
  assert.match(await status(carol).textContent(), /X to move: Alice W/);

  await moves(alice, bob, [4, 0]);
  for (const cell of ['4', '0']) await carol.page.locator(`#board button[data-cell="${cell}"]:not([data-mark=""])`).waitFor();
  // No clickable cell: every button disabled, the board never active.
  assert.deepEqual(
    await carol.page.$$eval('#board button', (cells) => cells.map((c) => c.disabled)),
    Array(9).fill(true),
  );
  assert.equal(await carol.page.locator('#board').getAttribute('data-active'), null);
  assert.equal(await carol.page.locator('#invite').isVisible(), false);

  // A fourth page with the room's link finds it full and watches it instead.
  const dan = await player('Dan');
  await dan.page.goto(`${baseUrl}/play/tictactoe?room=${code}`);
  await dan.page.locator('#watching').waitFor();
  await dan.page.locator('#notice:not(.hidden)', { hasText: 'full' }).waitFor();
  await dan.page.waitForURL(`**/play/tictactoe?watch=${code}`);
  await dan.page.locator('#board button[data-cell="0"][data-mark="O"]').waitFor();

  await moves(alice, bob, [2, 6, 3, 1, 5]); // Alice's 3-4-5: a row
  for (const watcher of [carol, dan]) {
    await waitStatus(watcher, 'over');
    assert.equal(await status(watcher).textContent(), 'Alice W won.');
    assert.deepEqual(
      await watcher.page.$$eval('#board button[data-win]', (cells) => cells.map((c) => c.dataset.cell)),
      ['3', '4', '5'],
    );
  }
  await done(alice, bob, carol, dan);
});

/** Runs in a page before its scripts: records each distinct tic-tac-toe
 * board the page draws, as nine characters (the mark, or '-'), in
 * `window.boardsDrawn`. */
function recordBoards() {
  window.boardsDrawn = [];
  const look = () => {
    const marks = [...document.querySelectorAll('#board button')].map((b) => b.dataset.mark || '-').join('');
    if (window.boardsDrawn.at(-1) !== marks) window.boardsDrawn.push(marks);
  };
  document.addEventListener('DOMContentLoaded', () => {
    look();
    new MutationObserver(look).observe(document.getElementById('board'), { attributes: true, subtree: true });
  });
}

test('a recorded tic-tac-toe match plays back on /replay/<match>: a Replay badge, every move, the result', async () => {
  // A server of its own whose tic-tac-toe records its matches (the bundled
  // manifest with `record = true`; top-level keys go before any table).
  const dir = mkdtempSync(join(tmpdir(), 'parlor-replay-'));
  mkdirSync(join(dir, 'manifests'));
  const manifest = readFileSync(join(ROOT, 'games/manifests/tictactoe.toml'), 'utf8');
  writeFileSync(join(dir, 'manifests', 'tictactoe.toml'), `record = true\n${manifest}`);
  const { process: recorder, url } = await start(BIN, dir, ['--manifests', join(dir, 'manifests')]);
  try {
    const alice = await player('Alice R');
    const bob = await player('Bob R');
    await alice.page.goto(`${url}/play/tictactoe?private=1`);
    const link = await alice.page.locator('#invite a.link').getAttribute('href');
    await bob.page.goto(link);
    await moves(alice, bob, [4, 0, 2, 1, 6]); // Alice's 2-4-6
    await waitStatus(alice, 'won');
    await waitStatus(bob, 'lost');

    // The match's id, as an app would find it: the player's matches.
    const board = await (await fetch(`${url}/api/leaderboard/tictactoe`)).json();
    const winner = board.entries.find((e) => e.name === 'Alice R').player;
    const history = await (await fetch(`${url}/api/players/${encodeURIComponent(winner)}/matches`)).json();
    assert.equal(history.matches.length, 1);
    const { match } = history.matches[0];
    // The players' pages link to it once the result is in.
    const replayLink = alice.page.locator('#after-board .replay-link a');
    await replayLink.waitFor();
    assert.equal(await replayLink.getAttribute('href'), `/replay/${match}`);
    assert.equal(await replayLink.textContent(), 'Watch the replay');

    // /replay/<match> is the game's page, told which match to play back.
    const viewer = await player('Vic R');
    await viewer.context.addInitScript(recordBoards);
    await viewer.page.goto(`${url}/replay/${match}`);
    assert.equal(new URL(viewer.page.url()).pathname, '/play/tictactoe');
    assert.equal(new URL(viewer.page.url()).searchParams.get('replay'), match);
    await viewer.page.locator('#watching', { hasText: 'Replay' }).waitFor();
    assert.equal(await viewer.page.evaluate(() => document.documentElement.hasAttribute('data-replay')), true);
    assert.equal(await viewer.page.evaluate(() => document.documentElement.hasAttribute('data-watching')), true);

    // Played back: the moves in order, then the end as a spectator sees it.
    await waitStatus(viewer, 'over');
    assert.equal(await status(viewer).textContent(), 'Alice R won.');
    assert.deepEqual(
      await viewer.page.$$eval('#board button[data-win]', (cells) => cells.map((c) => c.dataset.cell)),
      ['2', '4', '6'],
    );
    assert.deepEqual(await viewer.page.evaluate(() => window.boardsDrawn), [
      '---------', '----X----', 'O---X----', 'O-X-X----', 'OOX-X----', 'OOX-X-X--',
    ]);
    // The recorded result came: the page's after-match board and button.
    await viewer.page.locator('#after-board li[data-rank="1"]', { hasText: 'Alice R' }).waitFor();
    await viewer.page.locator('#primary:not(.hidden)', { hasText: 'Play' }).waitFor();
    assert.deepEqual(
      await viewer.page.$$eval('#board button', (cells) => cells.map((c) => c.disabled)),
      Array(9).fill(true),
    );
    assert.equal(await viewer.page.locator('#invite').isVisible(), false);

    // A match the server has no recording of: a 404, and the page says so.
    assert.equal((await fetch(`${url}/replay/0000nope`)).status, 404);
    await viewer.page.goto(`${url}/play/tictactoe?replay=0000nope`);
    await viewer.page.locator('#status[data-state="error"]', { hasText: 'no recording of match 0000nope' }).waitFor();
    await done(alice, bob, viewer);
  } finally {
    recorder.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A player's eights hand as its page shows it: the card buttons in #hand. */
function handOf(p) {
  return p.page.$$eval('#hand button[data-card]', (cards) => cards.map((b) => ({
    card: Number(b.dataset.card), label: b.textContent.trim(), aria: b.getAttribute('aria-label'),
  })));
}

/** "N card(s)" as the players list words a hand size. */
const cards = (n) => `${n} card${n === 1 ? '' : 's'}`;

/** The row of `name` in an eights page's players list. */
const seatRow = (p, name) => p.page.locator('#seats li', { hasText: name });

/** `me`'s page shows its own hand and nothing of `other`'s: no card id
 * and no card name of `other`'s hand anywhere in its DOM, and no card
 * button outside its own hand. */
async function seesOnlyOwnHand(me, other) {
  const mine = await handOf(me);
  const theirs = await handOf(other);
  const html = await me.page.content();
  for (const { card, label, aria } of theirs) {
    assert.ok(!mine.some((c) => c.card === card), `${label} is in both hands`);
    assert.ok(!html.includes(`data-card="${card}"`), `${me.name}'s page has ${other.name}'s ${label}`);
    assert.ok(!html.includes(`"${aria}"`), `${me.name}'s page names ${other.name}'s ${aria}`);
  }
  assert.equal(await me.page.locator('[data-card]').count(), mine.length, 'card buttons only in the own hand');
  return mine;
}

/** The fairness line: {commit} from its title, the 16 hex digits it shows
 * and the seed once revealed. */
async function fairLine(p) {
  const el = p.page.locator('#fair');
  const text = await el.textContent();
  return {
    commit: await el.getAttribute('title'),
    shown: text.match(/Shuffle commitment \(SHA-256 of the seed\): ([0-9a-f]{16})…/)?.[1] ?? null,
    seed: text.match(/Seed: ([0-9a-f]+)/)?.[1] ?? null,
  };
}

/** The spectator's page: the table and both hand sizes, no hand, no
 * enabled control, the Watching badge. */
async function watcherSees(watcher, sizes) {
  for (const [name, n] of sizes) await seatRow(watcher, name).filter({ hasText: cards(n) }).waitFor();
  await watcher.page.locator('#watching', { hasText: 'Watching' }).waitFor();
  assert.equal(await watcher.page.locator('#status').getAttribute('data-state'), 'watching');
  assert.equal(await watcher.page.locator('#mine').isVisible(), false, 'no hand section');
  assert.equal(await watcher.page.locator('#hand button, [data-card]').count(), 0, 'no cards of a hand');
  assert.equal(await watcher.page.locator('button:visible:enabled').count(), 0, 'no control to use');
  assert.match(await watcher.page.locator('#top').textContent(), /^(A|[2-9]|10|J|Q|K)[♣♦♥♠]$/);
  assert.match(await watcher.page.locator('#pile').textContent(), /^\d+ to draw$/);
}

/** One turn of the page whose turn it is, through what it offers: the
 * first enabled card (a suit from the picker for an 8), else Draw and
 * then a card that became playable, else Pass. Returns what it did. */
async function eightsTurn(p) {
  const page = p.page;
  const playable = page.locator('#hand button[data-card]:enabled');
  let drew = false;
  if ((await playable.count()) === 0) {
    if (await page.locator('#draw:visible:enabled').count()) {
      const before = (await handOf(p)).length;
      await page.click('#draw');
      // The drawn card is in the hand and Pass is offered.
      await page.locator('#pass:enabled').waitFor();
      assert.equal((await handOf(p)).length, before + 1, 'a drawn card joins the hand');
      assert.equal(await page.locator('#draw').isDisabled(), true, 'one draw a turn');
      drew = true;
    } else {
      assert.equal(await page.locator('#pass:visible:enabled').count(), 1, 'no card, no draw: Pass is offered');
    }
  }
  let did;
  if ((await playable.count()) > 0) {
    const button = playable.first();
    const card = Number(await button.getAttribute('data-card'));
    const label = (await button.textContent()).trim();
    await button.click();
    if (card % 13 === 7) {
      // An 8: the page asks for the suit to follow; name the suit of the
      // first other card in hand (clubs with none).
      await page.locator('#picker').waitFor({ state: 'visible' });
      const rest = (await handOf(p)).filter((c) => c.card !== card);
      const suit = rest.length ? Math.floor(rest[0].card / 13) : 0;
      await page.click(`#picker button[data-suit="${suit}"]`);
      await page.locator('#suit', { hasText: ['clubs', 'diamonds', 'hearts', 'spades'][suit] }).waitFor();
      did = 'eight';
    } else {
      did = 'play';
    }
    await page.locator(`#hand button[data-card="${card}"]`).waitFor({ state: 'detached' });
    assert.equal((await page.locator('#top').textContent()).trim(), label, 'the card played is on top');
  } else {
    await page.click('#pass');
    did = 'pass';
  }
  await page.locator('#status:not([data-state="your-turn"])').waitFor();
  return drew ? `draw+${did}` : did;
}

test('two pages play Crazy Eights to the result, a third watches: hidden hands, a fair shuffle', async (t) => {
  const started = Date.now();
  const ava = await player('Ava E');
  const ben = await player('Ben E');
  const invite = await privateRoom('eights', ava, ben);
  // The third page watches the private room by its invite.
  const cal = await player('Cal E');
  await cal.page.goto(`${baseUrl}/play/eights?watch=${invite}`);
  await cal.page.locator('#watching', { hasText: 'Watching' }).waitFor();
  assert.equal(new URL(cal.page.url()).searchParams.get('watch'), invite);
  await cal.page.locator('#status[data-state="lobby"]', { hasText: 'waiting for the deal' }).waitFor();
  assert.equal(await cal.page.locator('button:visible:enabled').count(), 0);

  // Before the deal every page shows the commitment to the shuffle's seed, and no seed.
  const fair = await fairLine(ava);
  assert.match(fair.commit ?? '', /^[0-9a-f]{64}$/);
  for (const p of [ava, ben, cal]) {
    await p.page.locator('#fair', { hasText: 'Shuffle commitment' }).waitFor();
    assert.deepEqual(await fairLine(p), { commit: fair.commit, shown: fair.commit.slice(0, 16), seed: null }, p.name);
  }

  // Two seated: Ava deals.
  await ava.page.locator('#start:visible:enabled').click();
  for (const p of [ava, ben]) {
    await p.page.locator('#status[data-state="your-turn"], #status[data-state="their-turn"]').waitFor();
    await p.page.locator('#hand button[data-card]').nth(6).waitFor();
    assert.equal((await handOf(p)).length, 7, `${p.name} is dealt 7 cards`);
    assert.equal(await p.page.locator('#start').isVisible(), false);
  }
  await watcherSees(cal, [['Ava E', 7], ['Ben E', 7]]);
  // The lowest seat, Ava's (she opened the room), moves first.
  await waitStatus(ava, 'your-turn');
  await waitStatus(ben, 'their-turn');

  let [mover, other] = [ava, ben];
  const moves = [];
  for (;;) {
    assert.ok(moves.length < 300, 'the game ends');
    await mover.page.locator('#status[data-state="your-turn"], #status[data-state="won"], #status[data-state="lost"]').waitFor();
    if ((await status(mover).getAttribute('data-state')) !== 'your-turn') break;
    // The mover's page has every earlier move: hand sizes agree with what
    // each page shows of its own hand, and neither page shows the other's cards.
    const mine = await seesOnlyOwnHand(mover, other);
    const theirs = await seesOnlyOwnHand(other, mover);
    await seatRow(mover, `${mover.name} (you)`).filter({ hasText: cards(mine.length) }).waitFor();
    await seatRow(mover, other.name).filter({ hasText: cards(theirs.length) }).waitFor();
    await watcherSees(cal, [[mover.name, mine.length], [other.name, theirs.length]]);
    if (moves.length === 4) await cal.page.screenshot({ path: join(SHOTS, 'eights-watching.png') });
    moves.push(`${mover.name[0]}:${await eightsTurn(mover)}`);
    [mover, other] = [other, mover];
  }

  // The result on all three pages.
  const states = {};
  for (const p of [ava, ben]) {
    await p.page.locator('#status[data-state="won"], #status[data-state="lost"]').waitFor();
    states[p.name] = await status(p).getAttribute('data-state');
  }
  await waitStatus(cal, 'over');
  const winners = Object.keys(states).filter((name) => states[name] === 'won');
  assert.ok(winners.length >= 1, JSON.stringify(states));
  const announced = await status(cal).textContent();
  assert.match(announced, /^(Ava E|Ben E) won -?\d+ points?\.$/);
  assert.ok(winners.some((name) => announced.startsWith(name)), `${announced} names a winner of ${JSON.stringify(states)}`);
  for (const p of [ava, ben]) {
    if (states[p.name] === 'won') assert.match(await status(p).textContent(), /^You won -?\d+ points?!$/);
    else assert.match(await status(p).textContent(), new RegExp(`^${winners[0]} won\\.$`));
  }
  await seatRow(cal, winners[0]).filter({ hasText: 'winner' }).waitFor();

  // The seed is revealed on every page, and its SHA-256 is the commitment shown before the deal.
  for (const p of [ava, ben, cal]) await p.page.locator('#fair', { hasText: 'Seed: ' }).waitFor();
  const revealed = await fairLine(cal);
  assert.match(revealed.seed ?? '', /^[0-9a-f]{64}$/);
  for (const p of [ava, ben, cal]) assert.deepEqual(await fairLine(p), { ...fair, seed: revealed.seed }, p.name);
  assert.equal(createHash('sha256').update(Buffer.from(revealed.seed, 'hex')).digest('hex'), fair.commit);

  // At the result the spectator still has no hand.
  assert.equal(await cal.page.locator('[data-card]').count(), 0);
  await ava.page.locator('#primary:not(.hidden)', { hasText: 'Play again' }).waitFor();
  await ava.page.screenshot({ path: join(SHOTS, 'eights-result.png') });
  t.diagnostic(`${moves.length} turns in ${Date.now() - started} ms: ${JSON.stringify(states)}; ${moves.join(' ')}`);
  await done(ava, ben, cal);
});

test('an arena page draws the other player moving, interpolated between ticks', async () => {
  const ann = await player('Ann');
  const ben = await player('Ben');
  await privateRoom('arena', ann, ben);
  const drawnOn = (p) => p.page.evaluate(() => JSON.parse(document.querySelector('canvas').dataset.drawn ?? '{}'));
  const annId = await ann.page.locator('canvas').getAttribute('data-me');
  await ben.page.waitForFunction(
    (id) => id in JSON.parse(document.querySelector('canvas').dataset.drawn ?? '{}') && Object.keys(JSON.parse(document.querySelector('canvas').dataset.drawn)).length === 2,
    annId,
  );
  const [x0] = (await drawnOn(ben))[annId];
  // Steer Ann away from the nearer wall with the keyboard.
  const key = x0 < 500 ? 'ArrowRight' : 'ArrowLeft';
  const sign = x0 < 500 ? 1 : -1;
  await ann.page.keyboard.down(key);
  // Ben's page shows Ann moving that way...
  await ben.page.waitForFunction(
    ([id, from, s]) => (JSON.parse(document.querySelector('canvas').dataset.drawn)[id][0] - from) * s > 60,
    [annId, x0, sign],
  );
  // ...and draws her between ticks: positions no patch carried.
  const between = await ben.page.evaluate(
    (id) => new Promise((resolveFrames) => {
      const seen = [];
      const start = performance.now();
      const frame = () => {
        seen.push(JSON.parse(document.querySelector('canvas').dataset.drawn)[id][0]);
        if (performance.now() - start < 600) requestAnimationFrame(frame);
        else {
          // The page rounds drawn positions to 0.1 in data-drawn.
          const ticks = new Set(window.parlorArena.snapshots.map((s) => Math.round(s.pos.get(Number(id))?.x * 10) / 10));
          resolveFrames({ frames: seen.length, offTick: seen.filter((x) => !ticks.has(x)).length });
        }
      };
      requestAnimationFrame(frame);
    }),
    annId,
  );
  assert.ok(between.offTick > 0, `some drawn positions lie between ticks: ${JSON.stringify(between)}`);
  await ben.page.screenshot({ path: join(SHOTS, 'arena.png') });
  await ann.page.keyboard.up(key);
  await done(ann, ben);
});

test('two pages play a trivia quiz to its result', async (t) => {
  const games = await (await fetch(`${baseUrl}/api/games`)).json();
  if (!games.some((g) => g.name === 'trivia')) {
    t.skip('this server does not host trivia');
    return;
  }
  const eve = await player('Eve');
  const finn = await player('Finn');
  await privateRoom('trivia', eve, finn);
  for (const round of [1, 2]) {
    for (const p of [eve, finn]) {
      await p.page.locator(`body[data-phase="question"] #choices[data-round="${round}"] button:not([disabled])`).first().waitFor();
    }
    assert.ok((await eve.page.textContent('#question')).length > 0);
    // Eve answers first; Finn's answer, the last, brings the reveal at once.
    await eve.page.click('#choices button[data-choice="0"]');
    await eve.page.locator('#status[data-state="answered"]').waitFor();
    await finn.page.click('#choices button[data-choice="1"]');
    for (const [p, pick] of [[eve, 0], [finn, 1]]) {
      const correct = p.page.locator(`body[data-phase="reveal"] #choices[data-round="${round}"] button[data-correct]`);
      await correct.waitFor();
      const right = Number(await correct.getAttribute('data-choice'));
      await p.page.locator(`#status[data-state="${right === pick ? 'correct' : 'wrong'}"]`).waitFor();
    }
    if (round === 1) await eve.page.screenshot({ path: join(SHOTS, 'trivia.png') });
  }
  for (const p of [eve, finn]) {
    await p.page.locator('#status[data-state="won"], #status[data-state="placed"]').waitFor();
    await p.page.locator('#primary:not(.hidden)', { hasText: 'Play again' }).waitFor();
  }
  await done(eve, finn);
});

test('a page whose socket is killed reconnects and the game goes on', async () => {
  const carol = await player('Carol');
  const dave = await player('Dave');
  // Carol's websocket runs through a proxy the test controls.
  let live = null;
  let refuse = false;
  await carol.page.routeWebSocket(/\/ws$/, (ws) => {
    if (refuse) {
      ws.close({ code: 1013, reason: 'test: try again later' });
      return;
    }
    const upstream = ws.connectToServer();
    live = { ws, upstream };
  });
  await privateRoom('tictactoe', carol, dave);
  await moves(carol, dave, [0, 4]);

  // Kill Carol's connection from outside and refuse her first retries:
  // her page says it is reconnecting.
  refuse = true;
  const killed = live;
  killed.upstream.close({ code: 1001, reason: 'test: connection killed' });
  killed.ws.close({ code: 1001, reason: 'test: connection killed' });
  await carol.page.locator('#banner[data-state="reconnecting"]').waitFor();
  await carol.page.locator('#conn[data-state="reconnecting"]').waitFor();
  // The banner has slid in; the board takes no clicks meanwhile.
  await carol.page.waitForFunction(() => document.getElementById('banner').getBoundingClientRect().top >= 0);
  assert.equal(await carol.page.locator('#board').evaluate((b) => getComputedStyle(b).pointerEvents), 'none');
  await carol.page.screenshot({ path: join(SHOTS, 'reconnect.png') });

  // Let her back in: the page says so and the match continues.
  refuse = false;
  await carol.page.locator('#banner[data-reconnects="1"]').waitFor();
  assert.notEqual(live, killed, 'a new connection');
  await carol.page.locator('#conn[data-state="online"]').waitFor();
  await moves(carol, dave, [8, 2, 6, 3, 7]); // Carol's 6-7-8: a row
  await waitStatus(carol, 'won');
  await waitStatus(dave, 'lost');
  await done(carol, dave);
});

test('a page on another origin imports the SDK and plays through it', async () => {
  // A page served by another server (another port is another origin):
  // the browser fetches the module in CORS mode, so without
  // Access-Control-Allow-Origin on /sdk/ the import fails.
  const page = `<!doctype html><meta charset="utf-8"><title>elsewhere</title><body>
<script type="module">
  import { Parlor } from '${baseUrl}/sdk/parlor.js';
  const client = await Parlor.connect('${baseUrl}/ws', { guest: 'Faraway', reconnect: false });
  const room = await client.quick('tictactoe');
  document.body.dataset.seated = String(room.code.length > 0 && client.player.name === 'Faraway');
</script>`;
  const elsewhere = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(page);
  });
  await new Promise((ready) => elsewhere.listen(0, '127.0.0.1', ready));
  try {
    const visitor = await player('Faraway');
    // localhost, not 127.0.0.1: a different host as well as a port.
    await visitor.page.goto(`http://localhost:${elsewhere.address().port}/`);
    // An empty body has no size: wait for it in the DOM, not on screen.
    await visitor.page.locator('body[data-seated="true"]').waitFor({ state: 'attached' });
    await done(visitor);
  } finally {
    elsewhere.close();
  }
});

test("a publisher's game without a page is played on the live state page", async () => {
  // The rock_paper_scissors example: a game written on the public API,
  // served by its own binary (parlor::App), with no page of its own.
  const dir = mkdtempSync(join(tmpdir(), 'parlor-rps-'));
  const { process: rps, url } = await start(RPS_BIN, dir);
  try {
    const ann = await player('Ann');
    const ben = await player('Ben');
    await ann.page.goto(`${url}/play/rps`);
    await ann.page.locator('#title', { hasText: 'Rock, Paper, Scissors' }).waitFor();
    const invite = await ann.page.locator('#invite code').textContent();
    await ben.page.goto(`${url}/play/rps?room=${encodeURIComponent(invite)}`);
    const state = (p) => p.page.evaluate(() => JSON.parse(document.getElementById('state').textContent));
    const seated = (p) => p.page.waitForFunction(() => (document.getElementById('state').textContent.match(/"Player"/g) ?? []).length === 2);
    await seated(ann);
    await seated(ben);
    // Two rounds Ann wins: paper over rock. Each throw is typed as JSON.
    const throwHand = async (p, hand) => {
      await p.page.fill('#input', JSON.stringify({ hand }));
      await p.page.click('#send button');
    };
    for (const round of [1, 2]) {
      await throwHand(ann, 'paper');
      await throwHand(ben, 'rock');
      if (round === 1) {
        await ann.page.waitForFunction(() => JSON.parse(document.getElementById('state').textContent).resources?.LastRound?.number === 1);
        const seen = await state(ann);
        const you = String(seen.you);
        assert.equal(seen.entities[you].Hands.wins, 1);
        // Entity ids in replicated state are the ids of the entity state.
        assert.deepEqual(seen.resources.LastRound.shown.map(([id]) => String(id)).sort(), Object.keys(seen.entities).sort());
      }
    }
    await ann.page.locator('#status[data-state="over"]', { hasText: '1. Ann' }).waitFor();
    await ben.page.locator('#status[data-state="over"]', { hasText: '1. Ann' }).waitFor();
    await ann.page.screenshot({ path: join(SHOTS, 'state-page.png') });
    // Bad JSON is refused on the page, and nothing is sent.
    await ann.page.fill('#input', '{hand: rock');
    await ann.page.click('#send button');
    await ann.page.locator('#notice:not(.hidden)', { hasText: 'not JSON' }).waitFor();
    await done(ann, ben);
  } finally {
    rps.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("docs/sdk.md's complete game page plays a match in a plain browser", async () => {
  // The page exactly as the docs print it, served from a pages directory
  // as a publisher would serve it.
  const doc = readFileSync(join(ROOT, 'docs/sdk.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## A complete game page'));
  const html = section.slice(section.indexOf('```html\n') + 8, section.indexOf('\n```', section.indexOf('```html')));
  const dir = mkdtempSync(join(tmpdir(), 'parlor-sdk-page-'));
  mkdirSync(join(dir, 'pages', 'games'), { recursive: true });
  writeFileSync(join(dir, 'pages', 'games', 'tictactoe.html'), html);
  const { process: docServer, url } = await start(BIN, dir, ['--pages', join(dir, 'pages')]);
  try {
    const ann = await player('Ann');
    const ben = await player('Ben');
    // No request may go to telegram.org in a plain browser.
    const telegram = [];
    for (const p of [ann, ben]) p.page.on('request', (r) => { if (r.url().includes('telegram.org')) telegram.push(r.url()); });
    await ann.page.goto(`${url}/play/tictactoe`);
    await ann.page.locator('#status', { hasText: 'waiting for a second player' }).waitFor();
    await ben.page.goto(`${url}/play/tictactoe`);
    const status = (p) => p.page.locator('#status').textContent();
    await ann.page.waitForFunction(() => /move/.test(document.getElementById('status').textContent));
    await ben.page.waitForFunction(() => /move/.test(document.getElementById('status').textContent));
    const [first, second] = (await status(ann)) === 'your move' ? [ann, ben] : [ben, ann];
    // The first mover takes the top row; the other plays the middle row.
    const play = async (p, cell) => {
      await p.page.locator('#status', { hasText: 'your move' }).waitFor();
      await p.page.locator('#board button').nth(cell).click();
    };
    for (const [p, cell] of [[first, 0], [second, 3], [first, 1], [second, 4], [first, 2]]) await play(p, cell);
    await first.page.locator('#status', { hasText: 'you won' }).waitFor();
    await second.page.locator('#status', { hasText: 'you lost' }).waitFor();
    assert.deepEqual(telegram, []);
    await done(ann, ben);
  } finally {
    docServer.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a crate from `parlor new` serves its own page, and two players race to the result',
  { skip: process.env.NEW_CRATE ? false : 'NEW_CRATE is not set (.ci/run generates one)' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parlor-new-'));
  // Run from the crate's root, as `cargo run -- serve` does: its pages are ./web.
  const { process: child, url } = await start(resolve(process.env.NEW_CRATE_BIN), dir, [], process.env.NEW_CRATE);
  try {
    const ann = await player('Ann');
    const ben = await player('Ben');
    await ann.page.goto(`${url}/play/tap-race`);
    await ann.page.locator('#status[data-state="waiting"]').waitFor();
    await ben.page.goto(`${url}/play/tap-race`);
    await ann.page.locator('#status[data-state="racing"]').waitFor();
    for (let i = 0; i < 10; i += 1) {
      await ann.page.locator(`#players li[data-you]`, { hasText: `: ${i}` }).waitFor();
      await ann.page.click('#tap');
    }
    await ann.page.locator('#status[data-state="won"]').waitFor();
    await ben.page.locator('#status[data-state="lost"]').waitFor();
    // The template page signs in with the SDK's own guest name.
    const me = (await ann.page.locator('#players li[data-you]').textContent()).split(':')[0];
    const board = await (await fetch(`${url}/api/leaderboard/tap-race`)).json();
    assert.deepEqual([board.entries[0]?.name, board.entries[0]?.best], [me, 10]);
    await done(ann, ben);
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the lobby links a wallet through TON Connect UI, with a proof made by the TON npm packages', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parlor-ton-'));
  const config = join(dir, 'parlor.toml');
  writeFileSync(config, '[ton]\napp_url = "http://127.0.0.1"\nname = "Parlor browser test"\n');
  const { process: tonServer, url } = await start(BIN, dir, ['--config', config]);
  const ann = await player('Ann');
  try {
    // TON Connect UI as unpkg serves it: the npm registry's package.
    await ann.context.route('https://unpkg.com/@tonconnect/ui@2.4.4/dist/tonconnect-ui.min.js', (route) =>
      route.fulfill({ path: join(ROOT, 'tests/browser/node_modules/@tonconnect/ui/dist/tonconnect-ui.min.js'), contentType: 'text/javascript' }));
    // Nothing else leaves the machine (TON Connect UI asks for a wallet list).
    await ann.context.route((u) => !u.href.startsWith(url) && !u.href.startsWith('https://unpkg.com/'), (route) => route.abort());
    await ann.page.goto(`${url}/`);
    await ann.page.locator('#wallet', { hasText: 'No wallet linked yet.' }).waitFor();
    await ann.page.locator('#claims li', { hasText: 'No rewards yet' }).waitFor();

    const payloadAnswer = ann.page.waitForResponse((r) => r.url().endsWith('/api/ton/payload'));
    await ann.page.click('#link-wallet');
    const { payload } = await (await payloadAnswer).json();
    await ann.page.locator('[data-tc-modal="true"]').waitFor({ state: 'visible' });
    await ann.page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished)));
    await ann.page.screenshot({ path: join(SHOTS, 'link-wallet.png') });

    // The wallet's answer, as TON Connect hands it to the page: a v5r1
    // wallet of the TON npm packages signs the page's payload.
    const made = JSON.parse(execFileSync('node', ['wallet.mjs'], {
      cwd: join(ROOT, 'tests/ton'),
      input: JSON.stringify({
        op: 'proof', contract: 'v5r1', seed: '07'.repeat(32), network: '-239', domain: '127.0.0.1',
        timestamp: Math.floor(Date.now() / 1000), payload, library: false,
      }),
    }));
    const wallet = {
      account: { address: made.address, chain: made.network, publicKey: made.public_key, walletStateInit: made.proof.state_init },
      connectItems: { tonProof: { name: 'ton_proof', proof: { ...made.proof, state_init: undefined } } },
    };
    await ann.page.evaluate((w) => window.parlorLinkWallet(w), wallet);
    await ann.page.locator(`#wallet[data-address="${made.address}"]`).waitFor();
    assert.match(await ann.page.locator('#wallet').textContent(), /\(v5r1\)/);
    assert.equal(await ann.page.locator('#link-wallet').textContent(), 'Link another wallet');
    const errors = ann.errors.filter((e) => !/TON_CONNECT|tonconnect|wallets-v2/i.test(String(e)));
    assert.deepEqual(errors.map(String), [], "Ann's page had errors");
  } finally {
    await ann.context.close();
    tonServer.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
