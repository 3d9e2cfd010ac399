"""Canonical JSON (RFC 8785) and the hashes that releases are built on.

Every byte that is signed or hashed goes through here, so that two machines
that hold the same data compute the same digests.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any, TypeAlias

import orjson
import rfc8785

JSONValue: TypeAlias = "str | int | bool | None | list[JSONValue] | dict[str, JSONValue]"


def canonical_bytes(obj: Any) -> bytes:
    """RFC 8785 bytes of ``obj``; floats are refused to keep amounts exact.

    Without floats, RFC 8785 and orjson with sorted keys write the same bytes as long as no key
    holds a character from U+E000 up (where UTF-16 and code-point order part) and every integer is
    exact in a double; orjson is then used, being some hundred times faster than the pure-Python
    rfc8785 (tests/test_canonical.py checks the two agree).  Only plain JSON types take that path:
    orjson would also write dates and dataclasses, which RFC 8785 refuses.
    """
    if _check(obj):
        try:
            return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass  # a lone surrogate: let rfc8785 say so
    return rfc8785.dumps(obj)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_salt() -> str:
    """16 random bytes, base64url without padding: makes each digest unguessable."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode("ascii")


_MAX_EXACT = 2**53


def _check(obj: Any) -> bool:
    """Refuse floats; say whether the fast encoder gives RFC 8785 bytes for ``obj``.

    A string value is passed over without a call, and a dictionary's keys are looked at together:
    most values are strings, most keys ASCII, and every line of every release is checked at each
    full build.
    """
    if isinstance(obj, dict):
        try:
            keys = "".join(obj)
        except TypeError:  # a key that is not a string
            fast = False
        else:
            fast = keys.isascii() or max(keys) < "\ue000"
        for value in obj.values():
            if type(value) is not str and not _check(value):
                fast = False
        return fast
    if isinstance(obj, list | tuple):
        fast = True
        for value in obj:
            if type(value) is not str and not _check(value):
                fast = False
        return fast
    if isinstance(obj, float):
        raise TypeError("floats are not allowed in canonical data; use decimal strings")
    if isinstance(obj, int) and not isinstance(obj, bool):
        return -_MAX_EXACT < obj < _MAX_EXACT
    return obj is None or isinstance(obj, str | bool)
