"""Ed25519 keys: generation, key ids, encrypted key files, signature checks.

Private keys are written in the OpenSSH private-key format (PEM-armoured,
aes256-ctr under a bcrypt KDF): unlike PKCS#8 as ``cryptography`` writes it
(PBKDF2 with 2048 iterations) the KDF cost is tunable, and ``ssh-keygen -Y
sign`` can use the same file.  Public keys are PEM SubjectPublicKeyInfo, the
form ``openssl pkeyutl -verify -pubin`` reads.  A key id is the sha256 of the
raw 32-byte public key, so anyone can recompute it from the .pub file.
"""

from __future__ import annotations

import getpass
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PASSPHRASE_ENV = "DISCLOSURE_PASSPHRASE"
# bcrypt rounds: 64 took about half a second on the 2-core reference machine.
DEFAULT_KDF_ROUNDS = 64


class KeyFileError(Exception):
    pass


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    return hashlib.sha256(raw_public_bytes(public_key)).hexdigest()


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_from_pem(data: bytes, *, source: str = "public key") -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise KeyFileError(f"{source}: not a PEM public key ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{source}: not an Ed25519 public key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"{path}: {exc.strerror}") from exc
    return public_key_from_pem(data, source=str(path))


def write_key_pair(
    path: Path, private_key: Ed25519PrivateKey, passphrase: bytes, kdf_rounds: int = DEFAULT_KDF_ROUNDS
) -> str:
    """Write PATH (encrypted, 0600 from creation) and PATH.pub; returns the key id."""
    if not passphrase:
        raise KeyFileError("an empty passphrase is not allowed: private keys are always encrypted")
    if kdf_rounds < 1:
        raise KeyFileError("--kdf-rounds must be at least 1")
    public_path = Path(f"{path}.pub")
    for target in (path, public_path):
        if target.exists() or target.is_symlink():
            raise KeyFileError(f"{target} exists; refusing to overwrite a key")
    encryption = (
        serialization.PrivateFormat.OpenSSH.encryption_builder().kdf_rounds(kdf_rounds).build(passphrase)
    )
    private_bytes = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise KeyFileError(f"{path}: {exc.strerror}") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_bytes)
        handle.flush()
        os.fsync(handle.fileno())
    public = private_key.public_key()
    with open(public_path, "xb") as handle:
        handle.write(public_key_pem(public))
    return key_id(public)


def load_private_key(path: Path, passphrase: bytes) -> Ed25519PrivateKey:
    """Load an encrypted private key; an unencrypted one is refused, not used."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"{path}: {exc.strerror}") from exc
    try:
        serialization.load_ssh_private_key(data, password=None)
    except (ValueError, TypeError):
        pass  # encrypted (or not a key at all): checked below
    else:
        raise KeyFileError(f"{path}: private key is not encrypted; refusing to use it")
    try:
        key = serialization.load_ssh_private_key(data, password=passphrase)
    except ValueError as exc:
        raise KeyFileError(f"{path}: cannot decrypt the private key (wrong passphrase?)") from exc
    except TypeError as exc:
        raise KeyFileError(f"{path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 private key")
    return key


def read_passphrase(*, confirm: bool = False) -> bytes:
    """The passphrase from $DISCLOSURE_PASSPHRASE, else asked on the terminal."""
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env is not None:
        return from_env.encode("utf-8")
    first = getpass.getpass("passphrase: ")
    if confirm and getpass.getpass("passphrase again: ") != first:
        raise KeyFileError("the passphrases differ")
    return first.encode("utf-8")


def verify_signature(public_key: Ed25519PublicKey, data: bytes, signature: bytes) -> bool:
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True
