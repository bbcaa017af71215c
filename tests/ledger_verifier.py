"""An auditor's verifier for the ledger, written from RFC 9162 and the documented leaf format.

Independent of the production code on purpose (it imports nothing from ``projections`` or
``ejournal``): the tests check the product's proofs with it, so a shared mistake cannot
hide. Hashing is SHA-256 (RFC 9162 §2.1):

* leaf: SHA-256(0x00 ‖ notification id (8 bytes BE) ‖ originator uuid (16 bytes) ‖
  version (8 bytes BE) ‖ topic length (4 bytes BE) ‖ topic (UTF-8) ‖ stored state bytes);
* node: SHA-256(0x01 ‖ left ‖ right).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

EMPTY_ROOT = hashlib.sha256(b"").digest()
CHECKPOINT_FORMAT = "ejournal-checkpoint/v1"


def _hash(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf(position: int, originator_id: UUID, version: int, topic: str, state: bytes) -> bytes:
    """The leaf hash of one stored event, from the documented format."""
    topic_bytes = topic.encode("utf-8")
    return _hash(
        b"\x00"
        + position.to_bytes(8, "big")
        + originator_id.bytes
        + version.to_bytes(8, "big")
        + len(topic_bytes).to_bytes(4, "big")
        + topic_bytes
        + bytes(state)
    )


def data_leaf(data: bytes) -> bytes:
    """RFC 9162's leaf hash of an arbitrary entry (for hand-built trees)."""
    return _hash(b"\x00" + data)


def node(left: bytes, right: bytes) -> bytes:
    """An interior node."""
    return _hash(b"\x01" + left + right)


def mth(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) by the recursive definition of RFC 9162 §2.1.1 (over leaf hashes)."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:  # the largest power of two smaller than n
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def _lsb(value: int) -> bool:
    return bool(value & 1)


def verify_inclusion(
    leaf_index: int, tree_size: int, leaf_hash: bytes, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does ``path`` prove ``leaf_hash`` at ``leaf_index`` in the tree
    of ``tree_size`` leaves with head ``root``?"""
    # 1. leaf_index must lie inside the tree.
    if not 0 <= leaf_index < tree_size:
        return False
    # 2. fn = leaf_index, sn = tree_size - 1.  3. r = hash.
    fn, sn = leaf_index, tree_size - 1
    r = leaf_hash
    # 4. For each value p in the inclusion_path array:
    for p in path:
        if sn == 0:  # a.
            return False
        if _lsb(fn) or fn == sn:  # b.
            r = node(p, r)
            if not _lsb(fn):
                while not _lsb(fn) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1  # c.
        sn >>= 1
    # 5. sn must be 0 and r the root.
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: does ``proof`` show the tree of ``second`` leaves (head
    ``second_hash``) extends the tree of ``first`` leaves (head ``first_hash``)?"""
    if not 0 < first <= second:
        return False
    if first == second:  # nothing to prove: the heads must be equal, the proof empty
        return not proof and first_hash == second_hash
    # 1. An empty path fails.
    if not proof:
        return False
    path = list(proof)
    # 2. If first is an exact power of 2, prepend first_hash.
    if first & (first - 1) == 0:
        path.insert(0, first_hash)
    # 3. fn = first - 1, sn = second - 1.
    fn, sn = first - 1, second - 1
    # 4. If LSB(fn) is set, right-shift fn and sn until it is not.
    while _lsb(fn):
        fn >>= 1
        sn >>= 1
    # 5. fr = sr = the first value of the path.
    fr = sr = path[0]
    # 6. For each subsequent value c:
    for c in path[1:]:
        if sn == 0:  # a.
            return False
        if _lsb(fn) or fn == sn:  # b.
            fr = node(c, fr)
            sr = node(c, sr)
            if not _lsb(fn):
                while not _lsb(fn) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1  # c.
        sn >>= 1
    # 7. fr must be first_hash, sr second_hash, and sn 0.
    return fr == first_hash and sr == second_hash and sn == 0


def checkpoint_signed(checkpoint: Mapping[str, Any], public_key_pem: str) -> bool:
    """Is an exported checkpoint signed by the school's Ed25519 key (given as PEM)?

    The signed message is ``format ‖ size ‖ root ‖ time ‖ key id``, each followed by a
    newline; the key id is the first 16 hex digits of SHA-256 of the raw public key."""
    public = serialization.load_pem_public_key(public_key_pem.encode())
    if not isinstance(public, Ed25519PublicKey):
        return False
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if checkpoint["key_id"] != hashlib.sha256(raw).hexdigest()[:16]:
        return False
    message = (
        f"{CHECKPOINT_FORMAT}\n{checkpoint['size']}\n{checkpoint['root']}\n"
        f"{checkpoint['time']}\n{checkpoint['key_id']}\n"
    ).encode()
    try:
        public.verify(base64.b64decode(checkpoint["signature"]), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def check_inclusion_proof(proof: Mapping[str, Any], expected_leaf: bytes) -> bool:
    """An inclusion proof as ``ejournal ledger prove`` prints it, checked against the
    checkpoint it names and the leaf the auditor computed from the event itself."""
    root = bytes.fromhex(proof["checkpoint"]["root"])
    return (
        bytes.fromhex(proof["leaf"]) == expected_leaf
        and proof["tree_size"] == proof["checkpoint"]["size"]
        and verify_inclusion(
            proof["leaf_index"],
            proof["tree_size"],
            expected_leaf,
            [bytes.fromhex(h) for h in proof["path"]],
            root,
        )
    )


def check_consistency_proof(proof: Mapping[str, Any]) -> bool:
    """A consistency proof as ``ejournal ledger consistency`` prints it."""
    old, new = proof["old"], proof["new"]
    return verify_consistency(
        old["size"],
        new["size"],
        bytes.fromhex(old["root"]),
        bytes.fromhex(new["root"]),
        [bytes.fromhex(h) for h in proof["proof"]],
    )
