"""Canonical JSON (RFC 8785) and the hashes that releases are built on.

Every byte that is signed or hashed goes through here, so that two machines
that hold the same data compute the same digests.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any, TypeAlias

import rfc8785

JSONValue: TypeAlias = "str | int | bool | None | list[JSONValue] | dict[str, JSONValue]"


def canonical_bytes(obj: Any) -> bytes:
    """RFC 8785 bytes of ``obj``; floats are refused to keep amounts exact."""
    _refuse_floats(obj)
    return rfc8785.dumps(obj)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_salt() -> str:
    """16 random bytes, base64url without padding: makes each digest unguessable."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode("ascii")


def _refuse_floats(obj: Any) -> None:
    if isinstance(obj, float):
        raise TypeError("floats are not allowed in canonical data; use decimal strings")
    if isinstance(obj, dict):
        for value in obj.values():
            _refuse_floats(value)
    elif isinstance(obj, list | tuple):
        for value in obj:
            _refuse_floats(value)
