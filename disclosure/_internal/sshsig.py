"""SSH signatures (the SSHSIG format of OpenSSH's PROTOCOL.sshsig) for ``ssh-keygen -Y verify``.

A second, independent way for archivists to check a manifest: ssh-keygen
honours the validity windows written into ``keys/allowed_signers``.  Only
Ed25519 and sha512 are produced; nothing here parses signatures.
"""

from __future__ import annotations

import base64
import hashlib
import struct

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

_MAGIC = b"SSHSIG"
_VERSION = 1
_HASH = "sha512"
_KEY_TYPE = b"ssh-ed25519"


def _string(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def _public_blob(public_key: Ed25519PublicKey) -> bytes:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _string(_KEY_TYPE) + _string(raw)


def ssh_public_key_line(public_key: Ed25519PublicKey) -> str:
    """``ssh-ed25519 AAAA...``, as in authorized_keys and allowed_signers."""
    return f"{_KEY_TYPE.decode()} {base64.b64encode(_public_blob(public_key)).decode('ascii')}"


def sign_sshsig(private_key: Ed25519PrivateKey, data: bytes, *, namespace: str) -> str:
    """The armoured signature ``ssh-keygen -Y sign -n NAMESPACE`` would make of ``data``."""
    ns = namespace.encode("ascii")
    to_sign = (
        _MAGIC + _string(ns) + _string(b"") + _string(_HASH.encode()) + _string(hashlib.sha512(data).digest())
    )
    signature = _string(_KEY_TYPE) + _string(private_key.sign(to_sign))
    blob = (
        _MAGIC
        + struct.pack(">I", _VERSION)
        + _string(_public_blob(private_key.public_key()))
        + _string(ns)
        + _string(b"")
        + _string(_HASH.encode())
        + _string(signature)
    )
    encoded = base64.b64encode(blob).decode("ascii")
    lines = [encoded[i : i + 70] for i in range(0, len(encoded), 70)]
    return "-----BEGIN SSH SIGNATURE-----\n" + "\n".join(lines) + "\n-----END SSH SIGNATURE-----\n"
