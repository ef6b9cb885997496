// A cluster in a real browser: two `parlor serve` nodes sharing Redis (one
// session key, one ledger), headless Chromium on the built-in arena page.
// A first player sits in a room on node A; a second opens the page served by
// node B, whose quick match is answered with `redirect`: the SDK follows it
// and the page ends up in node A's room.
//
//   PARLOR_BIN             the server binary (default: target/debug/parlor)
//   PARLOR_TEST_REDIS_URL  the Redis (default: redis://127.0.0.1:6379)
//   CHROMIUM               the browser (default: /usr/bin/chromium)
//   SCREENSHOTS            where the screenshot goes (none when unset)
//
// Skipped when nothing listens at the Redis address. Every wait is on a DOM
// state the page shows or a websocket the page opens; nothing sleeps.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = resolve(ROOT, process.env.PARLOR_BIN ?? 'target/debug/parlor');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const REDIS = process.env.PARLOR_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const SHOTS = process.env.SCREENSHOTS ? resolve(ROOT, process.env.SCREENSHOTS) : null;
/** A guard against a hung wait; never a way to wait for something. */
const PATIENCE = 20_000;
const PHONE = { viewport: { width: 400, height: 760 }, deviceScaleFactor: 1 };

/** Whether something listens at the Redis URL's host and port. */
function redisUp() {
  const { hostname, port } = new URL(REDIS);
  return new Promise((resolveUp) => {
    const socket = tcpConnect(Number(port || 6379), hostname || '127.0.0.1');
    socket.setTimeout(2000, () => { socket.destroy(); resolveUp(false); });
    socket.once('connect', () => { socket.destroy(); resolveUp(true); });
    socket.once('error', () => resolveUp(false));
  });
}

const skip = (await redisUp()) ? false : `no Redis at ${REDIS} (set PARLOR_TEST_REDIS_URL)`;

const prefix = `browsertest${process.pid}x${randomBytes(4).toString('hex')}`;
let dir;
let browser;
const nodes = [];

/** Starts node `id` of the cluster; resolves with its base URL once it logs it. */
function startNode(id, key, extra = [], cluster = prefix) {
  const args = [
    'serve', '--bind', '127.0.0.1:0', '--data-dir', join(dir, id),
    '--redis', REDIS, '--redis-prefix', cluster, '--node-id', id, '--session-key', key,
    // One ledger for the cluster, as in production: session tokens issued
    // by one node are good on the other.
    '--database', `sqlite://${join(dir, 'ledger.db')}`,
    ...extra,
  ];
  const child = spawn(BIN, args, { env: { ...process.env, PARLOR_LOG: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] });
  nodes.push(child);
  return new Promise((started, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${id} did not log its URL in time`)), PATIENCE);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`node ${id} exited with ${code} before serving`)));
    // Keep reading the log so the node never blocks on a full pipe.
    createInterface({ input: child.stderr }).on('line', (line) => {
      const at = line.indexOf('serving on ');
      if (at >= 0) {
        clearTimeout(timer);
        started(line.slice(at + 'serving on '.length).trim().replace(/\/$/, ''));
      }
    });
  });
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'parlor-browser-cluster-'));
  const key = join(dir, 'session.key');
  writeFileSync(key, randomBytes(32));
  browser = await chromium.launch({ executablePath: CHROMIUM });
});

after(async () => {
  await browser?.close();
  for (const child of nodes) child.kill();
  try {
    const keys = execFileSync('redis-cli', ['-u', REDIS, '--scan', '--pattern', `${prefix}*`], { encoding: 'utf8' })
      .split('\n').filter(Boolean);
    if (keys.length > 0) execFileSync('redis-cli', ['-u', REDIS, 'del', ...keys], { stdio: 'ignore' });
  } catch { /* no redis-cli: the keys expire with the nodes' heartbeats */ }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A player: a browser context of its own, one page, its errors and the
 * websockets it opens. */
async function player(name) {
  const context = await browser.newContext(PHONE);
  await context.addInitScript((guest) => localStorage.setItem('parlor.name', guest), name);
  const page = await context.newPage();
  page.setDefaultTimeout(PATIENCE);
  const errors = [];
  const sockets = [];
  page.on('pageerror', (e) => errors.push(e));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(new Error(m.text()));
  });
  page.on('websocket', (ws) => sockets.push(ws.url()));
  return { name, context, page, errors, sockets };
}

/** The players the page's canvas draws, by entity id. */
const drawn = (p) => p.page.evaluate(() => JSON.parse(document.querySelector('canvas').dataset.drawn ?? '{}'));

test('a quick match on a page served by node B lands in the room of a player on node A', { skip }, async () => {
  const a = await startNode('a', join(dir, 'session.key'));
  const b = await startNode('b', join(dir, 'session.key'));

  // The first player: the arena page of node A opens a room there.
  const ada = await player('Ada');
  await ada.page.goto(`${a}/play/arena`);
  await ada.page.locator('canvas[data-drawn]').waitFor();
  await ada.page.waitForURL(/[?&]room=/);
  const code = new URL(ada.page.url()).searchParams.get('room');
  assert.match(code, /^[23456789A-HJ-NP-Z]{6}$/);

  // The second: the same page, served by node B. Its quick match is
  // answered with redirect; the SDK signs in on node A and joins.
  const ben = await player('Ben');
  await ben.page.goto(`${b}/play/arena`);
  await ben.page.waitForURL(new RegExp(`[?&]room=${code}$`));
  const seated = (p, n) => p.page.waitForFunction(
    (count) => Object.keys(JSON.parse(document.querySelector('canvas').dataset.drawn ?? '{}')).length === count, n);
  await seated(ben, 2);
  await seated(ada, 2);
  // The page's socket went to B first, then to A's websocket.
  assert.deepEqual(ben.sockets, [`${b.replace(/^http/, 'ws')}/ws`, `${a.replace(/^http/, 'ws')}/ws`]);
  assert.equal(await ben.page.locator('#conn').getAttribute('data-state'), 'online');
  // Both pages draw the same two players: one room.
  assert.deepEqual(Object.keys(await drawn(ben)).sort(), Object.keys(await drawn(ada)).sort());
  const benId = await ben.page.locator('canvas').getAttribute('data-me');
  assert.ok(benId in (await drawn(ada)), "Ada's page draws Ben");
  if (SHOTS) {
    mkdirSync(SHOTS, { recursive: true });
    await ben.page.screenshot({ path: join(SHOTS, 'cluster-redirect.png') });
  }
  for (const p of [ada, ben]) {
    assert.deepEqual(p.errors.map(String), [], `${p.name}'s page had errors`);
    await p.context.close();
  }
});

test('the operator page refuses a missing token, lists the cluster and its rooms, and drains a node', { skip }, async () => {
  const token = randomBytes(12).toString('hex');
  const config = join(dir, 'short-grace.toml');
  writeFileSync(config, '[shutdown]\ngrace_secs = 2\n');
  // A cluster of its own (its own key prefix), so the rooms of the test
  // above are not where its quick match goes.
  const ops = { url: await startNode('ops', join(dir, 'session.key'), ['--admin-token', token, '--config', config], `${prefix}ops`) };
  ops.child = nodes[nodes.length - 1];

  // Without the token: refused, with a Basic challenge.
  // The browser, with no credentials to offer, gives up on the page.
  const stranger = await browser.newContext(PHONE);
  await assert.rejects((await stranger.newPage()).goto(`${ops.url}/admin`), /ERR_INVALID_AUTH_CREDENTIALS/);
  const refused = await stranger.request.get(`${ops.url}/admin`);
  assert.equal(refused.status(), 401);
  assert.match(refused.headers()['www-authenticate'] ?? '', /^Basic /);
  await stranger.close();

  // A player in an arena room on that node.
  const cleo = await player('Cleo');
  await cleo.page.goto(`${ops.url}/play/arena`);
  await cleo.page.waitForURL(/[?&]room=/);
  const code = new URL(cleo.page.url()).searchParams.get('room');

  // With the token, as the browser's Basic credentials.
  const operator = await browser.newContext({ ...PHONE, viewport: { width: 1100, height: 800 }, httpCredentials: { username: 'ops', password: token } });
  const page = await operator.newPage();
  page.setDefaultTimeout(PATIENCE);
  const shown = await page.goto(`${ops.url}/admin`);
  assert.equal(shown.status(), 200);
  await page.locator('#nodes tr[data-node="ops"]').waitFor();
  await page.locator(`#rooms tr[data-room="${code}"]`).waitFor();
  assert.match(await page.locator(`#rooms tr[data-room="${code}"]`).innerText(), /arena/);
  if (SHOTS) {
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'admin.png') });
  }

  // Drain: confirmed in the dialog; the page says so, and the node exits 0
  // once Cleo's match has had its grace.
  page.once('dialog', (dialog) => dialog.accept());
  const exited = new Promise((resolveExit) => ops.child.once('exit', (code) => resolveExit(code)));
  await page.locator('#drain').click();
  await page.locator('#status.draining').waitFor();
  assert.match(await page.locator('#status').innerText(), /draining/);
  assert.equal(await exited, 0, 'the drained node exits 0');
  await operator.close();
  await cleo.context.close();
});
