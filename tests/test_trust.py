"""The trust store: a signed chain of key statements, judged by date, checked by ssh-keygen too."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from disclosure._internal.sshsig import sign_sshsig
from disclosure.keys import generate_private_key, key_id
from disclosure.trust import TrustError, TrustStore, init_trust_store, revoke_key, rotate_key

D = dt.date


@pytest.fixture
def root_key() -> Ed25519PrivateKey:
    return generate_private_key()


@pytest.fixture
def tree(tmp_path: Path, root_key: Ed25519PrivateKey) -> Path:
    init_trust_store(tmp_path / "r", root_key.public_key(), D(2026, 1, 1))
    return tmp_path / "r"


def test_root_key_window(tree: Path, root_key: Ed25519PrivateKey) -> None:
    store = TrustStore.load(tree)
    kid = key_id(root_key.public_key())
    assert store.root_key_id == kid and list(store.keys) == [kid]
    assert (
        store.key_for(kid, D(2026, 1, 1)).public_key.public_bytes_raw()
        == root_key.public_key().public_bytes_raw()
    )
    with pytest.raises(TrustError, match="not valid before 2026-01-01"):
        store.key_for(kid, D(2025, 12, 31))
    with pytest.raises(TrustError, match="not in the trust store"):
        store.key_for("00" * 32, D(2026, 6, 1))


def test_init_refuses_an_existing_store(tree: Path, root_key: Ed25519PrivateKey) -> None:
    with pytest.raises(TrustError, match="already has a trust store"):
        init_trust_store(tree, root_key.public_key(), D(2026, 1, 1))


def test_rotation_retires_the_old_key_on_its_date(tree: Path, root_key: Ed25519PrivateKey) -> None:
    new = generate_private_key()
    statement = rotate_key(tree, new.public_key(), root_key, D(2026, 6, 1))
    assert statement.name == "0002.json" and statement.with_suffix(".sig").exists()
    store = TrustStore.load(tree)
    old_id, new_id = key_id(root_key.public_key()), key_id(new.public_key())
    assert store.key_for(old_id, D(2026, 5, 31))
    with pytest.raises(TrustError, match="retired on 2026-06-01"):
        store.key_for(old_id, D(2026, 6, 1))
    assert store.key_for(new_id, D(2026, 6, 1))
    # The retired key can no longer change the store.
    with pytest.raises(TrustError, match="not signed by a trusted key"):
        rotate_key(tree, generate_private_key().public_key(), root_key, D(2026, 7, 1))
    assert len(list((tree / "keys" / "statements").glob("*.json"))) == 2


def test_revocation_refuses_later_signatures_only(tree: Path, root_key: Ed25519PrivateKey) -> None:
    kid = key_id(root_key.public_key())
    revoke_key(tree, kid, root_key, D(2026, 3, 1))
    store = TrustStore.load(tree)
    assert store.key_for(kid, D(2026, 2, 28))
    with pytest.raises(TrustError, match="revoked on 2026-03-01"):
        store.key_for(kid, D(2026, 3, 1))


def test_statements_cannot_be_dropped_edited_or_reordered(tree: Path, root_key: Ed25519PrivateKey) -> None:
    second = generate_private_key()
    rotate_key(tree, second.public_key(), root_key, D(2026, 6, 1))
    third = generate_private_key()
    rotate_key(tree, third.public_key(), second, D(2026, 9, 1))
    statements = tree / "keys" / "statements"

    edited = tree.parent / "edited"
    shutil.copytree(tree, edited)
    path = edited / "keys" / "statements" / "0002.json"
    path.write_bytes(path.read_bytes().replace(b"2026-06-01", b"2026-05-01"))
    with pytest.raises(TrustError, match="0002.json: missing or bad signature"):
        TrustStore.load(edited)

    dropped = tree.parent / "dropped"
    shutil.copytree(tree, dropped)
    (dropped / "keys" / "statements" / "0002.json").unlink()
    (dropped / "keys" / "statements" / "0002.sig").unlink()
    with pytest.raises(TrustError, match="a statement is missing"):
        TrustStore.load(dropped)

    unsigned = tree.parent / "unsigned"
    shutil.copytree(tree, unsigned)
    (unsigned / "keys" / "statements" / "0003.sig").unlink()
    with pytest.raises(TrustError, match="0003.json: missing or bad signature"):
        TrustStore.load(unsigned)
    assert TrustStore.load(tree).head  # the original still loads
    assert sorted(p.name for p in statements.iterdir()) == [
        "0001.json",
        "0002.json",
        "0002.sig",
        "0003.json",
        "0003.sig",
    ]


def test_swapped_public_key_file_is_refused(tree: Path, root_key: Ed25519PrivateKey) -> None:
    kid = key_id(root_key.public_key())
    other = generate_private_key().public_key()
    from disclosure.keys import public_key_pem

    (tree / "keys" / f"{kid}.pub").write_bytes(public_key_pem(other))
    with pytest.raises(TrustError, match="holds a different key"):
        TrustStore.load(tree)


def test_stray_file_in_keys_is_refused(tree: Path) -> None:
    (tree / "keys" / "extra.pub").write_text("x")
    with pytest.raises(TrustError, match="unexpected file keys/extra.pub"):
        TrustStore.load(tree)


def test_a_crash_before_the_statement_lands_leaves_the_old_store(
    tree: Path, root_key: Ed25519PrivateKey
) -> None:
    # rotate_key writes the .sig first: an orphan .sig without its .json means the statement never happened.
    (tree / "keys" / "statements" / "0002.sig").write_bytes(b"\0" * 64)
    with pytest.raises(TrustError, match="unexpected file keys/statements/0002.sig"):
        TrustStore.load(tree)


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is installed by .ci/run")
def test_allowed_signers_windows_match_for_ssh_keygen(
    tree: Path, root_key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    new = generate_private_key()
    rotate_key(tree, new.public_key(), root_key, D(2026, 6, 1))
    data = b'{"published":"2026-05-04"}'
    signature = tmp_path / "m.sshsig"
    signature.write_text(sign_sshsig(root_key, data, namespace="disclosure-release"))

    def verify(day: str, principal: str) -> int:
        return subprocess.run(
            ["ssh-keygen", "-Y", "verify", "-f", str(tree / "keys" / "allowed_signers"), "-I", principal,
             "-n", "disclosure-release", "-s", str(signature), "-O", f"verify-time={day}"],
            input=data, capture_output=True, check=False,
        ).returncode  # fmt: skip

    old = f"disclosure-{key_id(root_key.public_key())[:16]}"
    assert verify("20260504", old) == 0
    assert verify("20260601", old) != 0  # retired
    assert verify("20260504", f"disclosure-{key_id(new.public_key())[:16]}") != 0  # another key's name
