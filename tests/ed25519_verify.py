"""Checks Ed25519 signatures with PyNaCl (libsodium), independently of the
server's own code. Reads one JSON object per line on standard input,
{"public_key": hex, "message": text, "signature": hex}, and prints "true"
or "false" per line. Used by tests/signed_results.rs."""

import json
import sys

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

for line in sys.stdin:
    query = json.loads(line)
    key = VerifyKey(bytes.fromhex(query["public_key"]))
    try:
        key.verify(query["message"].encode("utf-8"), bytes.fromhex(query["signature"]))
        print("true")
    except BadSignatureError:
        print("false")
