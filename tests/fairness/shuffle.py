#!/usr/bin/env python3
"""Recomputes a Parlor match's shuffle from its revealed seed, without any
of Parlor's code (docs/fairness.md). MatchRng is ChaCha20 keyed by the
32-byte seed, nonce and counter 0; each draw is the next 8 bytes of its
keystream, little-endian. Usage: shuffle.py SEED_HEX N -> the shuffled 0..N.
"""
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms


def draws(seed):
    stream = Cipher(algorithms.ChaCha20(seed, bytes(16)), mode=None).encryptor()
    while True:
        yield int.from_bytes(stream.update(bytes(8)), "little")


def below(rng, n):
    limit = 2**64 - 2**64 % n  # draws at or above it are drawn again
    while (x := next(rng)) >= limit:
        pass
    return x % n


def shuffle(seed, items):
    items, rng = list(items), draws(seed)
    for i in range(len(items) - 1, 0, -1):
        j = below(rng, i + 1)
        items[i], items[j] = items[j], items[i]
    return items


if __name__ == "__main__":
    seed, n = bytes.fromhex(sys.argv[1]), int(sys.argv[2])
    print(" ".join(str(card) for card in shuffle(seed, range(n))))
