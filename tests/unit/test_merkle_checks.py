"""The product's own proof checks (``merkle.root_from_path``, ``merkle.consistent``) agree
with the auditor's verifier (tests/ledger_verifier.py, RFC 9162's iterative algorithms) on
every proof of trees up to 40 leaves, and reject every proof with one hash changed."""

from __future__ import annotations

import hashlib

from projections import merkle
from tests import ledger_verifier as lv

LEAVES = [hashlib.sha256(bytes([n])).digest() for n in range(40)]


def _changed(hashes: list[bytes], n: int) -> list[bytes]:
    return [*hashes[:n], bytes([hashes[n][0] ^ 1]) + hashes[n][1:], *hashes[n + 1 :]]


def test_inclusion_paths_rebuild_the_root() -> None:
    for size in range(1, len(LEAVES) + 1):
        leaves, root = LEAVES[:size], merkle.mth(LEAVES[:size])
        for index in range(size):
            path = merkle.inclusion_path(index, leaves)
            assert merkle.root_from_path(index, size, leaves[index], path) == root
            assert lv.verify_inclusion(index, size, leaves[index], path, root)
            for n in range(len(path)):
                assert merkle.root_from_path(index, size, leaves[index], _changed(path, n)) != root
            assert merkle.root_from_path(index, size, leaves[index], [*path, root]) is None
            if path:
                assert merkle.root_from_path(index, size, leaves[index], path[:-1]) is None
        assert merkle.root_from_path(size, size, leaves[0], []) is None


def test_consistency_proofs_check_both_roots() -> None:
    for second in range(1, len(LEAVES) + 1):
        leaves, new = LEAVES[:second], merkle.mth(LEAVES[:second])
        for first in range(1, second + 1):
            old = merkle.mth(leaves[:first])
            proof = merkle.consistency_proof(first, leaves)
            assert merkle.consistent(first, second, old, new, proof)
            assert lv.verify_consistency(first, second, old, new, proof)
            assert not merkle.consistent(
                first, second, merkle.mth(LEAVES[1 : first + 1]), new, proof
            )
            assert not merkle.consistent(
                first, second, old, merkle.mth(LEAVES[1 : second + 1]), proof
            )
            for n in range(len(proof)):
                assert not merkle.consistent(first, second, old, new, _changed(proof, n))
            assert not merkle.consistent(first, second, old, new, [*proof, new])
    assert not merkle.consistent(0, 1, merkle.EMPTY_ROOT, LEAVES[0], [])
