"""Key files: encrypted, 0600, never overwritten; ids anyone can recompute."""

from __future__ import annotations

import hashlib
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from disclosure.keys import (
    KeyFileError,
    generate_private_key,
    key_id,
    load_private_key,
    load_public_key,
    public_key_pem,
    read_passphrase,
    verify_signature,
    write_key_pair,
)

FAST_KDF = 2  # bcrypt rounds for tests; the default is measured in docs/cli.md


def test_key_pair_round_trip(tmp_path: Path) -> None:
    key = generate_private_key()
    path = tmp_path / "office.key"
    kid = write_key_pair(path, key, b"\xe5\xaf\x86\xe7\xa0\x81", FAST_KDF)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"BEGIN OPENSSH PRIVATE KEY" in path.read_bytes()
    loaded = load_private_key(path, "密码".encode())
    assert key_id(loaded.public_key()) == kid
    assert load_public_key(Path(f"{path}.pub")).public_bytes_raw() == key.public_key().public_bytes_raw()


def test_key_id_is_sha256_of_the_raw_key_openssl_shows(tmp_path: Path) -> None:
    key = generate_private_key()
    raw = key.public_key().public_bytes_raw()
    assert key_id(key.public_key()) == hashlib.sha256(raw).hexdigest()
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is installed by .ci/run")
    pem = tmp_path / "k.pub"
    pem.write_bytes(public_key_pem(key.public_key()))
    der = subprocess.run(
        [openssl, "pkey", "-pubin", "-in", str(pem), "-outform", "DER"], capture_output=True, check=True
    ).stdout
    assert der[-32:] == raw  # the last 32 bytes of the SPKI DER are the raw key


def test_refuses_overwrite_and_empty_passphrase(tmp_path: Path) -> None:
    path = tmp_path / "office.key"
    with pytest.raises(KeyFileError, match="empty passphrase"):
        write_key_pair(path, generate_private_key(), b"", FAST_KDF)
    assert not path.exists()
    write_key_pair(path, generate_private_key(), b"pw", FAST_KDF)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        write_key_pair(path, generate_private_key(), b"pw", FAST_KDF)
    assert path.read_bytes() == before


def test_wrong_passphrase_and_unencrypted_keys_are_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    path = tmp_path / "office.key"
    write_key_pair(path, generate_private_key(), b"right", FAST_KDF)
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        load_private_key(path, b"wrong")
    plain = tmp_path / "plain.key"
    plain.write_bytes(
        generate_private_key().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        )
    )
    with pytest.raises(KeyFileError, match="not encrypted"):
        load_private_key(plain, b"anything")


def test_passphrase_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCLOSURE_PASSPHRASE", "口令")
    assert read_passphrase(confirm=True) == "口令".encode()


def test_verify_signature() -> None:
    key = generate_private_key()
    signature = key.sign(b"manifest")
    assert verify_signature(key.public_key(), b"manifest", signature)
    assert not verify_signature(key.public_key(), b"manifest!", signature)
    assert not verify_signature(generate_private_key().public_key(), b"manifest", signature)


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is installed by .ci/run")
def test_ssh_keygen_reads_the_private_key(tmp_path: Path) -> None:
    path = tmp_path / "office.key"
    kid = write_key_pair(path, generate_private_key(), b"pw", FAST_KDF)
    out = subprocess.run(
        ["ssh-keygen", "-y", "-P", "pw", "-f", str(path)], capture_output=True, text=True, check=True
    ).stdout
    from disclosure._internal.sshsig import ssh_public_key_line

    assert out.split()[:2] == ssh_public_key_line(load_public_key(Path(f"{path}.pub"))).split()
    assert len(kid) == 64
