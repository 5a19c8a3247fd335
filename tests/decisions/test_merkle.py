"""RFC 6962 hashing against published vectors, and proofs under property tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeguard.decisions.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)


def _flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[(bit // 8) % len(out)] ^= 1 << (bit % 8)
    return bytes(out)


def test_all_nine_roots_match_the_published_vectors(
    shared_file: Callable[[str], Path],
) -> None:
    doc = json.loads(shared_file("rfc6962_vectors/vectors.json").read_text())
    leaves = [leaf_hash(bytes.fromhex(x)) for x in doc["leaf_inputs_hex"]]
    tree = MerkleTree(leaves)
    roots = [tree.root(size).hex() for size in range(len(leaves) + 1)]
    assert roots == doc["root_hash_by_tree_size_hex"]
    assert len(roots) == 9
    assert [root_hash(leaves[:n]).hex() for n in range(9)] == roots


def test_domain_separation_and_empty_tree() -> None:
    import hashlib

    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert (
        node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )
    # a two-leaf tree's root is not a valid leaf hash of the concatenation
    assert root_hash([leaf_hash(b"a"), leaf_hash(b"b")]) != leaf_hash(
        leaf_hash(b"a") + leaf_hash(b"b")
    )


def test_vector_tree_proofs_for_every_pair() -> None:
    leaves = [leaf_hash(bytes([i])) for i in range(8)]
    tree = MerkleTree(leaves)
    for n in range(1, 9):
        for i in range(n):
            assert verify_inclusion(leaves[i], i, n, tree.inclusion_proof(i, n), tree.root(n))
        for m in range(1, n + 1):
            assert verify_consistency(
                m, n, tree.root(m), tree.root(n), tree.consistency_proof(m, n)
            )


@st.composite
def trees(draw: st.DrawFn) -> tuple[MerkleTree, int, int]:
    n = draw(st.integers(min_value=1, max_value=70))
    data = draw(st.lists(st.binary(max_size=8), min_size=n, max_size=n))
    tree = MerkleTree([leaf_hash(d) for d in data])
    size = draw(st.integers(min_value=1, max_value=n))
    other = draw(st.integers(min_value=1, max_value=size))
    return tree, size, other


@settings(max_examples=60, deadline=None)
@given(trees())
def test_every_inclusion_proof_verifies(sample: tuple[MerkleTree, int, int]) -> None:
    tree, _, _ = sample
    for size in range(1, tree.size + 1):
        root = tree.root(size)
        for i in range(size):
            proof = tree.inclusion_proof(i, size)
            assert len(proof) <= size.bit_length()
            assert verify_inclusion(tree.leaf(i), i, size, proof, root)


@settings(max_examples=60, deadline=None)
@given(trees())
def test_every_consistency_proof_verifies(sample: tuple[MerkleTree, int, int]) -> None:
    tree, _, _ = sample
    for n in range(1, tree.size + 1):
        for m in range(1, n + 1):
            proof = tree.consistency_proof(m, n)
            assert len(proof) <= 2 * n.bit_length()
            assert verify_consistency(m, n, tree.root(m), tree.root(n), proof)


@settings(max_examples=300, deadline=None)
@given(trees(), st.data())
def test_tampered_inclusion_proofs_fail(
    sample: tuple[MerkleTree, int, int], data: st.DataObject
) -> None:
    tree, size, _ = sample
    i = data.draw(st.integers(min_value=0, max_value=size - 1))
    leaf, proof, root = tree.leaf(i), tree.inclusion_proof(i, size), tree.root(size)
    bit = data.draw(st.integers(min_value=0, max_value=255))
    assert not verify_inclusion(_flip(leaf, bit), i, size, proof, root)
    assert not verify_inclusion(leaf, i, size, proof, _flip(root, bit))
    if proof:
        k = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        bad = [*proof[:k], _flip(proof[k], bit), *proof[k + 1 :]]
        assert not verify_inclusion(leaf, i, size, bad, root)
        assert not verify_inclusion(leaf, i, size, proof[:-1], root)
    assert not verify_inclusion(leaf, i, size, [*proof, root], root)
    wrong_i = data.draw(st.integers(min_value=0, max_value=size))
    if wrong_i != i and tree.leaf(min(wrong_i, size - 1)) != leaf:
        assert not verify_inclusion(leaf, wrong_i, size, proof, root)
    # a size is only meaningful with its root (the signed head binds them): the proof must
    # not pass for the head of any other size of the same log
    wrong_size = data.draw(st.integers(min_value=i + 1, max_value=tree.size))
    if wrong_size != size:
        assert not verify_inclusion(leaf, i, wrong_size, proof, tree.root(wrong_size))


@settings(max_examples=300, deadline=None)
@given(trees(), st.data())
def test_tampered_consistency_proofs_fail(
    sample: tuple[MerkleTree, int, int], data: st.DataObject
) -> None:
    tree, n, m = sample
    proof, r1, r2 = tree.consistency_proof(m, n), tree.root(m), tree.root(n)
    bit = data.draw(st.integers(min_value=0, max_value=255))
    if m < n:
        assert not verify_consistency(m, n, _flip(r1, bit), r2, proof)
        assert not verify_consistency(m, n, r1, _flip(r2, bit), proof)
        k = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        bad = [*proof[:k], _flip(proof[k], bit), *proof[k + 1 :]]
        assert not verify_consistency(m, n, r1, r2, bad)
        assert not verify_consistency(m, n, r1, r2, proof[:-1])
    else:
        assert not verify_consistency(m, n, r1, _flip(r2, bit), proof)
        assert not verify_consistency(m, n, r1, r2, [r1])
    wrong_m = data.draw(st.integers(min_value=1, max_value=n))
    if wrong_m != m:
        assert not verify_consistency(wrong_m, n, tree.root(wrong_m), r2, proof)
    wrong_n = data.draw(st.integers(min_value=m, max_value=tree.size))
    if wrong_n != n:
        assert not verify_consistency(m, wrong_n, r1, tree.root(wrong_n), proof)


def test_bad_ranges_are_refused() -> None:
    tree = MerkleTree([leaf_hash(b"a"), leaf_hash(b"b")])
    with pytest.raises(ValueError):
        tree.inclusion_proof(2, 2)
    with pytest.raises(ValueError):
        tree.consistency_proof(2, 3)
    with pytest.raises(ValueError):
        tree.append(b"short")
    assert not verify_inclusion(tree.leaf(0), -1, 2, tree.inclusion_proof(0), tree.root())
    assert not verify_consistency(0, 2, tree.root(), tree.root(), [])
    assert verify_consistency(0, 2, EMPTY_ROOT, tree.root(), [])
