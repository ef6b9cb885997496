//! TON: linking a player's wallet with TON Connect.
//!
//! - [`check_proof`] verifies a wallet's `ton_proof` (pure: the time is an
//!   argument; cells, bags of cells and wallet contracts come from
//!   tonlib-core).
//! - [`PayloadKey`] issues the payloads proofs sign and checks them
//!   without storing them; the ledger makes each one single use.
//! - [`VoucherCell`] is the cell a claim voucher signs: what a claim
//!   contract pays out against.
//! - [`PayoutWallet`] signs, offline, the message that pays a batch of
//!   claims from the operator's wallet v5r1.
//!
//! The HTTP side is `net::ton` (`GET /api/ton/payload`, `POST
//! /api/ton/link`); the rules are in docs/rewards.md.

mod payload;
mod payout;
mod proof;
mod voucher;

pub use payload::{Payload, PayloadError, PayloadKey, PAYLOAD_CHARS, PAYLOAD_TTL_SECS};
pub use payout::{PayoutError, PayoutWallet, Transfer, MAX_TRANSFERS};
pub use proof::{
    check as check_proof, Network, ProofBody, ProofDomain, ProofError, ProofPolicy, ProofRequest, ProvenWallet,
    MAX_DOMAIN_BYTES, MAX_FUTURE_SKEW_SECS, MAX_PAYLOAD_CHARS, MAX_STATE_INIT_CHARS,
};
pub use voucher::{VoucherCell, VoucherError};
