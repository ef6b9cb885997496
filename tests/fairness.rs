//! The match generator against independent implementations: ChaCha20's
//! published keystream for the all-zero key, and a Python script on the
//! `cryptography` package's ChaCha20 (tests/fairness/shuffle.py, the check
//! docs/fairness.md shows) recomputing shuffles from seeds.

use std::process::Command;

use parlor::prelude::MatchRng;

/// The shuffle of 0..n that tests/fairness/shuffle.py computes from `seed`.
fn python_shuffle(seed: &[u8; 32], n: usize) -> Vec<usize> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fairness/shuffle.py");
    let out = Command::new("python3")
        .args([script, &hex::encode(seed), &n.to_string()])
        .output()
        .expect("python3 runs (tests/requirements.txt)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .map(|card| card.parse().unwrap())
        .collect()
}

#[test]
fn the_generator_is_chacha20_with_the_seed_as_key() {
    // The first 16 bytes of ChaCha20's keystream for the all-zero key and
    // nonce, as published with the algorithm's test vectors.
    let mut rng = MatchRng::from_seed([0; 32]);
    let expected = hex::decode("76b8e0ada0f13d90405d6ae55386bd28").unwrap();
    let first = [rng.next_u64().to_le_bytes(), rng.next_u64().to_le_bytes()].concat();
    assert_eq!(first, expected);
}

#[test]
fn shuffles_match_an_independent_implementation() {
    let mut seeds: Vec<[u8; 32]> = vec![[0; 32], [7; 32], [0xff; 32]];
    seeds.extend((0..5).map(|_| rand::random::<[u8; 32]>()));
    for seed in &seeds {
        for n in [1, 2, 13, 52, 1000] {
            let mut ours: Vec<usize> = (0..n).collect();
            MatchRng::from_seed(*seed).shuffle(&mut ours);
            assert_eq!(ours, python_shuffle(seed, n), "seed {} n {n}", hex::encode(seed));
        }
    }
}
