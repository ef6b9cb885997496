#!/usr/bin/env python3
"""Recomputes a Crazy Eights deal from the match's revealed seed, without
any of Parlor's code, as docs/games.md states it: the ids 0..51 shuffled
once (shuffle.py), n players in seat order, h cards each (7 for 2 players,
5 for more), player k gets deck[k + j*n]; then the top card and the pile.
Usage: eights_deal.py SEED_HEX N -> JSON {hands, top, pile}.
"""
import json
import sys

from shuffle import shuffle

seed, n = bytes.fromhex(sys.argv[1]), int(sys.argv[2])
deck = shuffle(seed, range(52))
h = 7 if n == 2 else 5
print(json.dumps({
    "hands": [[deck[k + j * n] for j in range(h)] for k in range(n)],
    "top": deck[h * n],
    "pile": deck[h * n + 1:],
}))
