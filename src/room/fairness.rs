//! The seed of a room's current match: drawn from the operating system,
//! committed to (SHA-256) before the match is played, revealed when it ends
//! (docs/fairness.md).

use sha2::{Digest, Sha256};

/// One match's seed and the commitment players get before it is played.
pub struct MatchSeed {
    seed: [u8; 32],
    commit: String,
}

impl MatchSeed {
    /// A fresh seed from the operating system's generator (through rand's
    /// thread generator, a CSPRNG seeded by the OS).
    pub fn draw() -> MatchSeed {
        MatchSeed::from_bytes(rand::random())
    }

    /// The seed `seed` (a replay's).
    pub fn from_bytes(seed: [u8; 32]) -> MatchSeed {
        MatchSeed {
            seed,
            commit: hex::encode(Sha256::digest(seed)),
        }
    }

    /// The seed, for the game's `MatchRng`.
    pub fn bytes(&self) -> [u8; 32] {
        self.seed
    }

    /// SHA-256 of the seed, hex: what `joined.fair` and `fair` carry.
    pub fn commit(&self) -> &str {
        &self.commit
    }

    /// The seed, hex: what `result.seed` and the match record carry.
    pub fn reveal(&self) -> String {
        hex::encode(self.seed)
    }

    /// A revealed seed read back: 32 bytes from hex; `None` if it is not.
    pub fn parse(revealed: &str) -> Option<[u8; 32]> {
        hex::decode(revealed).ok()?.try_into().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commitment_is_sha256_of_the_revealed_seed() {
        // sha256 of 32 zero bytes, a published value.
        let zero = MatchSeed::from_bytes([0; 32]);
        assert_eq!(
            zero.commit(),
            "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
        );
        assert_eq!(zero.reveal(), "00".repeat(32));
        assert_eq!(MatchSeed::parse(&zero.reveal()), Some([0; 32]));
        assert_eq!(MatchSeed::parse("00"), None);
        assert_eq!(MatchSeed::parse("zz"), None);
        let drawn = MatchSeed::draw();
        assert_ne!(drawn.bytes(), MatchSeed::draw().bytes());
    }
}
