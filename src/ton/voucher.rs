//! Claim vouchers: the server's signed word that a wallet may take a
//! claim's amount from a claim contract, which checks the signature and
//! pays (the player sends the message, and pays its gas).
//!
//! A voucher is one cell, exactly
//! `claim_id:uint64 recipient:MsgAddress amount:Coins expires_at:uint32`,
//! and an Ed25519 signature of that cell's representation hash, which is
//! what a contract's `check_signature(cell_hash(voucher), signature, key)`
//! verifies (docs/rewards.md has a sketch of such a contract).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use num_bigint::BigUint;
use tonlib_core::cell::{BagOfCells, Cell, CellBuilder, TonCellError};
use tonlib_core::types::TonAddress;

/// A voucher's cell, before it is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherCell {
    pub claim_id: u64,
    /// The linked wallet, raw form `<workchain>:<hex>`.
    pub recipient: String,
    /// In the claim's currency's smallest unit.
    pub amount: u64,
    /// Unix seconds; a contract refuses the voucher after it.
    pub expires_at: u32,
}

/// Why a voucher cell could not be built.
#[derive(Debug, thiserror::Error)]
pub enum VoucherError {
    #[error("the recipient {0:?} is not a raw TON address")]
    Recipient(String),
    #[error("building the cell failed: {0}")]
    Cell(#[from] TonCellError),
}

impl VoucherCell {
    /// The cell.
    pub fn cell(&self) -> Result<Cell, VoucherError> {
        let recipient =
            TonAddress::from_hex_str(&self.recipient).map_err(|_| VoucherError::Recipient(self.recipient.clone()))?;
        let mut builder = CellBuilder::new();
        builder
            .store_u64(64, self.claim_id)?
            .store_address(&recipient)?
            .store_coins(&BigUint::from(self.amount))?
            .store_u32(32, self.expires_at)?;
        Ok(builder.build()?)
    }

    /// The cell as a base64 bag of cells, and its representation hash (the
    /// 32 bytes to sign).
    pub fn boc_and_hash(&self) -> Result<(String, [u8; 32]), VoucherError> {
        let cell = self.cell()?;
        let hash: [u8; 32] = cell.cell_hash().as_slice().try_into().expect("a cell hash is 32 bytes");
        let boc = BagOfCells::from_root(cell).serialize(true)?;
        Ok((STANDARD.encode(boc), hash))
    }
}
