//! Payouts from the operator's own wallet: one external message to a
//! wallet v5r1 that sends each payment as an internal transfer, signed
//! offline with the wallet's key (`parlor rewards payout`). Nothing here
//! touches the network: the operator sends the bag of cells with any TON
//! HTTP API.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use num_bigint::BigUint;
use tonlib_core::cell::{BagOfCells, CellBuilder, TonCellError};
use tonlib_core::message::{CommonMsgInfo, InternalMessage, TonMessage, TransferMessage};
use tonlib_core::types::TonAddress;
use tonlib_core::wallet::mnemonic::KeyPair;
use tonlib_core::wallet::ton_wallet::TonWallet;
use tonlib_core::wallet::wallet_version::WalletVersion;

use super::Network;

/// Most transfers one wallet v5r1 message carries (its action list).
pub const MAX_TRANSFERS: usize = 255;

/// One transfer: a claim paid to a wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub claim: i64,
    /// Raw form, `<workchain>:<hex>`.
    pub to: String,
    /// Nanotons.
    pub amount: u64,
}

/// Why a payout message could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PayoutError {
    #[error("a payout message carries 1 to {MAX_TRANSFERS} transfers, not {0}")]
    Count(usize),
    #[error("{0:?} is not a raw TON address")]
    Address(String),
    #[error("building the message failed: {0}")]
    Cell(String),
}

impl From<TonCellError> for PayoutError {
    fn from(e: TonCellError) -> Self {
        PayoutError::Cell(e.to_string())
    }
}

/// The operator's wallet v5r1 (workchain 0, subwallet 0), from its
/// Ed25519 seed.
///
/// ```
/// use parlor::ton::{Network, PayoutWallet};
/// let wallet = PayoutWallet::from_seed([1; 32], Network::Mainnet);
/// assert!(wallet.address().starts_with("0:"));
/// assert_eq!(wallet.address(), PayoutWallet::from_seed([1; 32], Network::Mainnet).address());
/// assert_ne!(wallet.address(), PayoutWallet::from_seed([1; 32], Network::Testnet).address());
/// ```
pub struct PayoutWallet {
    wallet: TonWallet,
}

impl std::fmt::Debug for PayoutWallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PayoutWallet({})", self.address())
    }
}

impl PayoutWallet {
    /// The wallet v5r1 of this seed on `network`: its wallet id is the
    /// network's global id (-239, -3) XOR 2^31, as wallets make it for
    /// workchain 0, subwallet 0.
    pub fn from_seed(seed: [u8; 32], network: Network) -> PayoutWallet {
        let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
        let public = signing.verifying_key().to_bytes().to_vec();
        // NaCl's secret key: the seed, then the public key.
        let mut secret = seed.to_vec();
        secret.extend_from_slice(&public);
        let global_id: i32 = match network {
            Network::Mainnet => -239,
            Network::Testnet => -3,
        };
        let wallet_id = global_id ^ i32::MIN;
        let keys = KeyPair {
            public_key: public,
            secret_key: secret,
        };
        let wallet = TonWallet::new_with_params(WalletVersion::V5R1, keys, 0, wallet_id)
            .expect("tonlib-core has the wallet v5r1 code");
        PayoutWallet { wallet }
    }

    /// The wallet's raw address.
    pub fn address(&self) -> String {
        format!("0:{}", self.wallet.address.hash_part.to_hex())
    }

    /// The wallet's public key, hex.
    pub fn public_key(&self) -> String {
        hex::encode(&self.wallet.key_pair.public_key)
    }

    /// The signed external message paying `transfers`, as a base64 bag of
    /// cells: message `seqno`, good until `valid_until` (unix seconds),
    /// each transfer non-bounceable with the comment `parlor claim <id>`,
    /// send mode 3 (fees paid apart, errors ignored). With `seqno` 0 the
    /// wallet's state init rides along, to deploy it. Ed25519 is
    /// deterministic: the same batch signs to the same bytes.
    pub fn external_message(
        &self,
        seqno: u32,
        valid_until: u32,
        transfers: &[Transfer],
    ) -> Result<String, PayoutError> {
        if transfers.is_empty() || transfers.len() > MAX_TRANSFERS {
            return Err(PayoutError::Count(transfers.len()));
        }
        let mut messages = Vec::with_capacity(transfers.len());
        for transfer in transfers {
            let dest = TonAddress::from_hex_str(&transfer.to).map_err(|_| PayoutError::Address(transfer.to.clone()))?;
            let mut comment = CellBuilder::new();
            comment
                .store_u32(32, 0)?
                .store_slice(format!("parlor claim {}", transfer.claim).as_bytes())?;
            let info = CommonMsgInfo::InternalMessage(InternalMessage {
                ihr_disabled: true,
                bounce: false,
                bounced: false,
                src: TonAddress::NULL,
                dest,
                value: BigUint::from(transfer.amount),
                ihr_fee: BigUint::ZERO,
                fwd_fee: BigUint::ZERO,
                created_lt: 0,
                created_at: 0,
            });
            let message = TransferMessage::new(info, comment.build()?.to_arc())
                .build()
                .map_err(|e| PayoutError::Cell(e.to_string()))?;
            messages.push(message.to_arc());
        }
        let external = self
            .wallet
            .create_external_msg(valid_until, seqno, seqno == 0, messages)
            .map_err(|e| PayoutError::Cell(e.to_string()))?;
        let boc = BagOfCells::from_root(external).serialize(true)?;
        Ok(STANDARD.encode(boc))
    }
}
