// A TON wallet made of the TON npm packages (@ton/core, @ton/crypto,
// @ton/ton), independent of Parlor's Rust: the tests drive it to make
// TON Connect proofs. One JSON request on stdin, one JSON answer on
// stdout.
//
//   {"op": "proof", "contract": "v4r2" | "v5r1" | "v3r2", "seed": <64 hex>,
//    "network": "-239" | "-3", "domain": "...", "timestamp": <unix s>,
//    "payload": "...", "library": false}
//
// answers with the body a TON Connect page posts to /api/ton/link: the
// wallet's raw address, network, public key and proof (its state init a
// base64 bag of cells; with "library": true the code is a library cell
// naming the contract's code, as wallets deployed from a library have).
//
//   {"op": "voucher", "boc": <base64>, "signature": <hex>, "public_key": <hex>}
//
// reads a claim voucher's cell as a claim contract would: claim_id:uint64
// recipient:MsgAddress amount:Coins expires_at:uint32 and nothing after;
// answers with those fields (numbers as strings), the cell's hash, and
// whether the signature verifies over that hash with the key.
//
//   {"op": "payout", "boc": <base64>, "seed": <64 hex>, "network": "-239" | "-3"}
//
// reads an external message to a wallet v5r1 as the chain would: whom it
// is for (and whether that is @ton/ton's WalletContractV5R1 of the seed),
// its state init, wallet id, seqno, expiry, whether its signature verifies
// with the seed's key, and each transfer: destination, amount, bounce
// flag, send mode and text comment.

import { Buffer } from 'node:buffer';
import { beginCell, BitBuilder, Cell, contractAddress, loadMessage, loadOutList, storeStateInit } from '@ton/core';
import { keyPairFromSeed, sha256_sync, sign, signVerify } from '@ton/crypto';
import { WalletContractV3R2, WalletContractV4, WalletContractV5R1 } from '@ton/ton';

function wallet(contract, publicKey, network) {
  switch (contract) {
    case 'v3r2':
      return WalletContractV3R2.create({ workchain: 0, publicKey });
    case 'v4r2':
      return WalletContractV4.create({ workchain: 0, publicKey });
    case 'v5r1':
      return WalletContractV5R1.create({
        workchain: 0,
        publicKey,
        walletId: { networkGlobalId: Number(network) },
      });
    default:
      throw new Error(`unknown contract ${contract}`);
  }
}

// A library cell: exotic, type byte 2, then the hash of the code it names.
function libraryOf(code) {
  const bits = new BitBuilder();
  bits.writeUint(2, 8);
  bits.writeBuffer(code.hash());
  return new Cell({ exotic: true, bits: bits.build(), refs: [] });
}

// TON Connect's ton_proof, as a wallet signs it.
function proofSignature(secretKey, address, domain, timestamp, payload) {
  const workchain = Buffer.alloc(4);
  workchain.writeInt32BE(address.workChain);
  const domainBytes = Buffer.from(domain, 'utf8');
  const domainLength = Buffer.alloc(4);
  domainLength.writeUInt32LE(domainBytes.length);
  const time = Buffer.alloc(8);
  time.writeBigUInt64LE(BigInt(timestamp));
  const message = Buffer.concat([
    Buffer.from('ton-proof-item-v2/', 'utf8'),
    workchain,
    address.hash,
    domainLength,
    domainBytes,
    time,
    Buffer.from(payload, 'utf8'),
  ]);
  const full = Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.from('ton-connect', 'utf8'), sha256_sync(message)]);
  return sign(sha256_sync(full), secretKey);
}

function proof(request) {
  const keys = keyPairFromSeed(Buffer.from(request.seed, 'hex'));
  const contract = wallet(request.contract, keys.publicKey, request.network);
  const init = request.library ? { code: libraryOf(contract.init.code), data: contract.init.data } : contract.init;
  const stateInit = beginCell().store(storeStateInit(init)).endCell();
  const address = contractAddress(0, init);
  const signature = proofSignature(keys.secretKey, address, request.domain, request.timestamp, request.payload);
  return {
    address: address.toRawString(),
    // Not part of what a page posts: the address as a wallet shows it.
    friendly: address.toString({ bounceable: false, testOnly: request.network === '-3', urlSafe: true }),
    network: request.network,
    public_key: keys.publicKey.toString('hex'),
    proof: {
      timestamp: request.timestamp,
      domain: { lengthBytes: Buffer.byteLength(request.domain, 'utf8'), value: request.domain },
      payload: request.payload,
      signature: signature.toString('base64'),
      state_init: stateInit.toBoc().toString('base64'),
    },
  };
}

function voucher(request) {
  const cell = Cell.fromBase64(request.boc);
  const slice = cell.beginParse();
  const claimId = slice.loadUintBig(64);
  const recipient = slice.loadAddress();
  const amount = slice.loadCoins();
  const expiresAt = slice.loadUint(32);
  return {
    claim_id: claimId.toString(),
    recipient: recipient.toRawString(),
    amount: amount.toString(),
    expires_at: expiresAt,
    bits_left: slice.remainingBits,
    refs_left: slice.remainingRefs,
    hash: cell.hash().toString('hex'),
    signature_ok: signVerify(cell.hash(), Buffer.from(request.signature, 'hex'), Buffer.from(request.public_key, 'hex')),
  };
}

function payout(request) {
  const keys = keyPairFromSeed(Buffer.from(request.seed, 'hex'));
  const wallet = WalletContractV5R1.create({
    workchain: 0,
    publicKey: keys.publicKey,
    walletId: { networkGlobalId: Number(request.network) },
  });
  const message = loadMessage(Cell.fromBase64(request.boc).beginParse());
  const body = message.body;
  const slice = body.beginParse();
  const op = slice.loadUint(32);
  const walletId = slice.loadInt(32);
  const validUntil = slice.loadUint(32);
  const seqno = slice.loadUint(32);
  const actions = slice.loadMaybeRef();
  const otherActions = slice.loadBit();
  const signature = slice.loadBuffer(64);
  slice.endParse();
  // The signature covers the body without its last 512 bits.
  const unsigned = beginCell().storeBits(body.bits.substring(0, body.bits.length - 512));
  for (const ref of body.refs) unsigned.storeRef(ref);
  const transfers = actions ? loadOutList(actions.beginParse()) : [];
  return {
    type: message.info.type,
    dest: message.info.dest.toRawString(),
    wallet: wallet.address.toRawString(),
    init_is_the_wallet: message.init ? contractAddress(0, message.init).equals(wallet.address) : null,
    op: op.toString(16),
    wallet_id: walletId,
    valid_until: validUntil,
    seqno,
    other_actions: otherActions,
    signature_ok: signVerify(unsigned.endCell().hash(), signature, keys.publicKey),
    transfers: transfers.map((action) => {
      const info = action.outMsg.info;
      const comment = action.outMsg.body.beginParse();
      return {
        type: action.type,
        mode: action.mode,
        to: info.dest.toRawString(),
        amount: info.value.coins.toString(),
        bounce: info.bounce,
        comment: comment.loadUint(32) === 0 ? comment.loadStringTail() : null,
      };
    }),
  };
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const ops = { proof, voucher, payout };
if (!ops[request.op]) throw new Error(`unknown op ${request.op}`);
process.stdout.write(JSON.stringify(ops[request.op](request)));
