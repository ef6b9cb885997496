// Rewards in the lobby, on a server that links TON wallets (its
// /tonconnect-manifest.json answers, docs/rewards.md): the player's linked
// wallet and claims, and a "Link wallet" button. The button asks the server
// for a payload, then opens TON Connect UI (the @tonconnect/ui package
// from the npm registry) with a ton_proof request of it; the wallet's
// answer goes to POST /api/ton/link.

import { Parlor, guestName, esc, notice } from '/web/app.js';

/** TON Connect UI's browser build, the npm package as unpkg serves it. */
export const TON_CONNECT_UI = 'https://unpkg.com/@tonconnect/ui@2.4.4/dist/tonconnect-ui.min.js';

let ui = null;

/** Loads TON Connect UI once; resolves with its instance. */
function tonConnectUI() {
  if (ui) return Promise.resolve(ui);
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = TON_CONNECT_UI;
    script.onload = () => {
      ui = new window.TON_CONNECT_UI.TonConnectUI({ manifestUrl: `${location.origin}/tonconnect-manifest.json` });
      ui.onStatusChange((wallet) => window.parlorLinkWallet(wallet));
      resolve(ui);
    };
    script.onerror = () => reject(new Error('TON Connect could not be loaded'));
    document.head.append(script);
  });
}

/** Shows the rewards section if the server links wallets. `client` is
 * signed in lazily: the lobby itself needs no websocket. */
export async function setupWallet() {
  const manifest = await fetch('/tonconnect-manifest.json').catch(() => null);
  if (!manifest?.ok) return;
  const section = document.getElementById('rewards');
  section.classList.remove('hidden');
  let client = null;
  const signedIn = async () => {
    client ??= await Parlor.connect(`${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`, {
      guest: guestName(),
    });
    return client;
  };
  const auth = async () => ({ Authorization: `Bearer ${(await signedIn()).session}` });

  async function refresh() {
    const c = await signedIn();
    const [wallets, claims] = await Promise.all([
      fetch('/api/ton/wallets', { headers: await auth() }).then((r) => r.json()),
      fetch(`/api/players/${encodeURIComponent(c.player.id)}/claims`).then((r) => r.json()),
    ]);
    const linked = wallets.wallets?.[0];
    document.getElementById('wallet').textContent = linked
      ? `Wallet ${linked.address.slice(0, 8)}…${linked.address.slice(-6)} (${linked.contract})`
      : 'No wallet linked yet.';
    document.getElementById('wallet').dataset.address = linked?.address ?? '';
    document.getElementById('link-wallet').textContent = linked ? 'Link another wallet' : 'Link wallet';
    const list = claims.claims ?? [];
    document.getElementById('claims').innerHTML = list.length === 0
      ? '<li class="hint">No rewards yet: win a match of a game that pays.</li>'
      : list.map((c) => `<li class="row"><span class="grow">${esc(c.currency === 'ton' ? `${c.amount / 1e9} TON` : `${c.amount} ${c.currency}`)}</span>
          <span class="hint">${esc(c.status)}</span></li>`).join('');
    return linked;
  }

  /** TON Connect's status handler: a wallet that answered the ton_proof
   * request is linked. Also reachable as `window.parlorLinkWallet`, so a
   * test can hand it a wallet's answer. */
  window.parlorLinkWallet = async (wallet) => {
    const proof = wallet?.connectItems?.tonProof;
    if (!proof || !('proof' in proof)) return;
    const account = wallet.account;
    const hadOne = Boolean(document.getElementById('wallet').dataset.address);
    const response = await fetch('/api/ton/link', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(await auth()) },
      body: JSON.stringify({
        address: account.address,
        network: account.chain,
        public_key: account.publicKey,
        proof: { ...proof.proof, state_init: account.walletStateInit },
        replace: hadOne,
      }),
    });
    const answer = await response.json();
    if (!response.ok) notice(`The wallet was not linked: ${answer.message}`, 'error');
    else notice('Wallet linked.');
    await refresh();
  };

  document.getElementById('link-wallet').addEventListener('click', async () => {
    try {
      const { payload } = await fetch('/api/ton/payload', { headers: await auth() }).then((r) => r.json());
      const tc = await tonConnectUI();
      tc.setConnectRequestParameters({ state: 'ready', value: { tonProof: payload } });
      await tc.openModal();
    } catch (error) {
      notice(`The wallet could not be linked: ${error.message}`, 'error');
    }
  });
  await refresh();
}
