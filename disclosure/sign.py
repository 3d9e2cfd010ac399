"""Signing a staged release: the only step that needs the private key.

Signing re-checks the whole tree first (the staged records must still match
the hashes staging wrote, and the release must follow the signed tip), fills
the key id into the manifest, then writes the raw Ed25519 signature that
``openssl pkeyutl -verify -rawin`` checks, and an SSH signature of the same
bytes for ``ssh-keygen -Y verify``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from disclosure._internal.sshsig import sign_sshsig
from disclosure.keys import key_id
from disclosure.release import (
    MANIFEST_FILE,
    SIGNATURE_FILE,
    SSH_SIGNATURE_FILE,
    Release,
    remove_interrupted_writes,
    write_file_atomic,
)
from disclosure.trust import TrustError
from disclosure.verify import Fault, VerificationError, check_releases

SSH_NAMESPACE = "disclosure-release"


class SigningError(Exception):
    pass


def sign_release(release_dir: Path, private_key: Ed25519PrivateKey, *, releases_root: Path) -> str:
    """Sign the unsigned tip release; returns the key id.  Never re-signs a signed release."""
    release_dir = release_dir.resolve()
    if release_dir.parent != releases_root.resolve():
        raise SigningError(f"{release_dir} is not a release of {releases_root}")
    if not (release_dir / SIGNATURE_FILE).exists():
        remove_interrupted_writes(release_dir)  # a signing that was killed half-way
    result = check_releases(releases_root, allow_unsigned_tip=True)
    if result.faults:
        raise VerificationError(result.faults)
    tip = result.unsigned_tip
    if tip is None or tip.path.resolve() != release_dir:
        raise SigningError(
            f"{release_dir.name} is not an unsigned release awaiting its signature "
            "(releases are never re-signed)"
        )
    kid = key_id(private_key.public_key())
    assert result.trust is not None
    try:
        result.trust.key_for(kid, tip.published)
    except TrustError as exc:
        raise VerificationError([Fault(tip.path.name, f"cannot sign: {exc}")]) from exc
    manifest_bytes = dataclasses.replace(tip.manifest, key=kid).to_bytes()
    # manifest.sig goes last: until it exists the release is unsigned, and signing can simply run again.
    write_file_atomic(tip.path / MANIFEST_FILE, manifest_bytes)
    armoured = sign_sshsig(private_key, manifest_bytes, namespace=SSH_NAMESPACE)
    write_file_atomic(tip.path / SSH_SIGNATURE_FILE, armoured.encode("ascii"))
    write_file_atomic(tip.path / SIGNATURE_FILE, private_key.sign(manifest_bytes))
    Release.open(tip.path)  # re-read: fails loudly if what we wrote does not parse
    return kid
