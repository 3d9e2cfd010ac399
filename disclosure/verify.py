"""Verification of a releases tree: trust store, signatures, hashes, chain, entries.

Fails loudly and completely: every fault found is reported with the release it
concerns, and nothing downstream (fold, build) runs on a tree with a fault.
Keys are judged by their validity on each release's publication date, so an
old release never fails only because time has passed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from disclosure.canonical import canonical_bytes, sha256_hex
from disclosure.fold import EntryState, FoldError, apply_entry
from disclosure.keys import verify_signature
from disclosure.model import Decision, Entry, EntryFormatError, entry_from_json
from disclosure.release import (
    FORMAT_VERSION,
    MANIFEST_FILE,
    RECORDS_FILE,
    RELEASE_FILES,
    SIGNATURE_FILE,
    Release,
    ReleaseFormatError,
    count_entries,
    release_dirs,
    release_name,
)
from disclosure.trust import TrustError, TrustStore

KEYS_DIR = "keys"


@dataclass(frozen=True, order=True)
class Fault:
    where: str  # a release name such as 000003, or "keys"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class VerificationError(Exception):
    def __init__(self, faults: list[Fault]) -> None:
        super().__init__("\n".join(map(str, faults)))
        self.faults = faults


EntryObserver = Callable[[Release, Entry], None]


@dataclass
class Verification:
    """The outcome: the releases that were opened, in order, and every fault."""

    releases: list[Release] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    trust: TrustStore | None = None
    unsigned_tip: Release | None = None
    states: dict[str, EntryState] = field(default_factory=dict)  # the history after the last release
    reused: int = 0  # releases whose lines were not parsed again (covered by a known history)

    def history(self) -> VerifiedHistory:
        return VerifiedHistory(tuple(r.manifest_sha256 for r in self.releases), self.states)


@dataclass(frozen=True)
class VerifiedHistory:
    """What a complete check of releases 1..k established, so that a build checks only what is new.

    Given one, :func:`check_releases` still checks every manifest, signature and
    records.jsonl hash, but does not parse the lines of releases 1..k again when
    their manifests are the ones listed here: the entries' checks are a function
    of those bytes, which the hashes pin.  Only builds use it (cached beside the
    site); ``disclosure verify`` always checks every line.
    """

    manifests: tuple[str, ...]  # sha256 of each release's manifest.json, in sequence
    states: dict[str, EntryState]  # after release k

    def to_json(self) -> dict[str, Any]:
        return {"manifests": list(self.manifests), "states": {i: s.to_json() for i, s in self.states.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VerifiedHistory:
        states = {i: EntryState.from_json(s) for i, s in data["states"].items()}
        return cls(tuple(data["manifests"]), states)


def verify_releases(root: Path) -> list[Release]:
    """All releases, verified; raises :class:`VerificationError` listing every fault."""
    result = check_releases(root)
    if result.faults:
        raise VerificationError(result.faults)
    return result.releases


def check_releases(
    root: Path,
    *,
    allow_unsigned_tip: bool = False,
    known: VerifiedHistory | None = None,
    on_entry: EntryObserver | None = None,
) -> Verification:
    """Check everything; with ``allow_unsigned_tip`` the last release may await its signature.

    ``on_entry`` sees every entry whose line was parsed, in order; with ``known``, the lines of the
    releases it covers are hashed, not parsed (see :class:`VerifiedHistory`).
    """
    result = Verification()
    if not root.is_dir():
        result.faults.append(Fault(str(root), "releases directory does not exist"))
        return result
    try:
        result.trust = TrustStore.load(root)
    except TrustError as exc:
        result.faults.append(Fault(KEYS_DIR, str(exc)))
    _check_tree_contents(root, result)
    states: dict[str, EntryState] = {}
    previous: Release | None = None
    dirs = release_dirs(root)
    reusable = known_prefix(root, known)  # releases 1..reusable were checked before
    for position, path in enumerate(dirs, start=1):
        try:
            release = Release.open(path)
        except ReleaseFormatError as exc:
            result.faults.append(Fault(path.name, str(exc)))
            return result  # the chain cannot be followed past a release we cannot read
        is_tip = position == len(dirs)
        signed = _check_manifest(
            release, position, previous, result, allow_unsigned=allow_unsigned_tip and is_tip
        )
        if not signed:
            result.unsigned_tip = release
        if position <= reusable and known is not None:
            _check_records_hash(release, result)
            if position == reusable:
                states = dict(known.states)  # states are frozen: the fold replaces, never edits one
        else:
            _check_records(release, states, result, on_entry)
        result.releases.append(release)
        previous = release
    result.states, result.reused = states, reusable
    return result


def _check_tree_contents(root: Path, result: Verification) -> None:
    """Refuse private keys anywhere in the tree and unknown files in a release."""
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name == RECORDS_FILE:
            continue
        with open(path, "rb") as handle:
            head = handle.read(1 << 16)
        if b"PRIVATE KEY" in head:
            where = path.relative_to(root).parts[0]
            result.faults.append(
                Fault(where, f"{path.relative_to(root)} looks like a private key: remove it")
            )
    for path in release_dirs(root):
        for child in sorted(path.iterdir()):
            if child.name not in RELEASE_FILES:
                result.faults.append(Fault(path.name, f"unexpected file {child.name}"))


def _check_manifest(
    release: Release, position: int, previous: Release | None, result: Verification, *, allow_unsigned: bool
) -> bool:
    """Chain and signature checks; returns whether the release is signed."""
    name, manifest = release.path.name, release.manifest

    def fault(message: str) -> None:
        result.faults.append(Fault(name, message))

    if manifest.format != FORMAT_VERSION:
        fault(f"unknown format version {manifest.format}")
    if manifest.sequence != position:
        fault(
            f"manifest sequence is {manifest.sequence}, expected {position} (a release is missing, "
            "swapped or replayed)"
        )
    if name != release_name(manifest.sequence):
        fault(f"directory name does not match manifest sequence {manifest.sequence}")
    expected_previous = None if previous is None else previous.manifest_sha256
    if manifest.previous != expected_previous:
        fault(f"previous manifest hash is {manifest.previous}, expected {expected_previous} (chain broken)")
    if previous is not None and manifest.published < previous.published:
        fault(f"published {manifest.published} is earlier than release {previous.path.name}")
    signature_path = release.path / SIGNATURE_FILE
    if manifest.key is None or not signature_path.exists():
        if not allow_unsigned:
            fault("not signed (manifest.sig missing): an unsigned release is never published")
        return False
    signature = signature_path.read_bytes()
    if len(signature) != 64:
        fault(f"manifest.sig is {len(signature)} bytes, expected a raw 64-byte Ed25519 signature")
        return True
    if result.trust is None:
        fault("signature not checked: the trust store is invalid")
        return True
    try:
        public_key = result.trust.key_for(manifest.key, manifest.published).public_key
    except TrustError as exc:
        fault(f"signing key refused: {exc}")
        return True
    if not verify_signature(public_key, release.manifest_bytes, signature):
        fault(f"bad signature on manifest.json (key {manifest.key[:16]})")
    return True


def known_prefix(root: Path, known: VerifiedHistory | None) -> int:
    """len(known.manifests) if they are exactly the first releases' manifests, else 0."""
    dirs = release_dirs(root)
    if known is None or not known.manifests or len(known.manifests) > len(dirs):
        return 0
    try:  # the manifests' hashes only: parsing release 1's (10^5 digests) took 60 ms a time
        current = [sha256_hex((path / MANIFEST_FILE).read_bytes()) for path in dirs[: len(known.manifests)]]
    except OSError:
        return 0
    return len(current) if tuple(current) == known.manifests else 0


def _check_records_hash(release: Release, result: Verification) -> None:
    """Only the records file's hash and size against the manifest: the lines were checked before."""
    digest, size = hashlib.sha256(), 0
    with open(release.path / RECORDS_FILE, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    if not _records_match(release, digest.hexdigest(), size):
        result.faults.append(Fault(release.path.name, _RECORDS_MISMATCH))


_RECORDS_MISMATCH = "records.jsonl sha256 or size does not match the manifest"


def _records_match(release: Release, sha256: str, size: int) -> bool:
    expected = release.manifest.files.get(RECORDS_FILE)
    return expected is not None and (expected.sha256, expected.size) == (sha256, size)


def _check_records(
    release: Release, states: dict[str, EntryState], result: Verification, on_entry: EntryObserver | None
) -> None:
    """File hash, per-line canonical form and digest, entry format, history, counts."""
    name, manifest = release.path.name, release.manifest

    def fault(message: str) -> None:
        result.faults.append(Fault(name, message))

    expected = manifest.files.get(RECORDS_FILE)
    if expected is None or set(manifest.files) != {RECORDS_FILE}:
        fault("manifest must list exactly records.jsonl under files")
        return
    file_hash, size, index = hashlib.sha256(), 0, 0
    kinds: list[tuple[str, str]] = []
    faults_before = len(result.faults)
    with open(release.path / RECORDS_FILE, "rb") as handle:
        for index, raw in enumerate(handle):
            file_hash.update(raw)
            size += len(raw)
            if len(result.faults) - faults_before >= 20:
                continue  # keep hashing; enough detail for one release
            line = raw.rstrip(b"\n")
            where = f"{RECORDS_FILE}:{index + 1}"
            if index >= len(manifest.entries) or sha256_hex(line) != manifest.entries[index]:
                fault(f"{where}: entry digest does not match the manifest")
                continue
            try:
                obj = orjson.loads(line)
                if _canonical(obj) != line:
                    fault(f"{where}: not in canonical form")
                entry = entry_from_json(obj)
                kind = entry.kind if isinstance(entry, Decision) else states[entry.id].kind
                kinds.append((entry.op.value, kind.value))
                apply_entry(states, entry, manifest.sequence, manifest.published, index)
                if on_entry is not None:
                    on_entry(release, entry)
            except (ValueError, EntryFormatError, FoldError, KeyError) as exc:
                fault(f"{where}: {exc if not isinstance(exc, KeyError) else f'unknown entry {exc}'}")
    count = index + 1 if size else 0
    if count != len(manifest.entries):
        fault(f"records.jsonl has {count} entries, manifest lists {len(manifest.entries)}")
    if not _records_match(release, file_hash.hexdigest(), size):
        fault(_RECORDS_MISMATCH)
    if len(result.faults) == faults_before and count_entries(kinds) != manifest.counts:
        fault("counts in the manifest do not match the entries")


def _canonical(obj: Any) -> bytes:
    """``canonical_bytes``, its refusal of a float (a TypeError, as for a caller's bug) made a
    ValueError: here it is a fault of the line (a signed float, or an integer past 2^64, which
    orjson reads as one), reported like the others."""
    try:
        return canonical_bytes(obj)
    except TypeError as exc:
        raise ValueError(str(exc)) from exc


def latest_published_date(releases: list[Release]) -> dt.date | None:
    return releases[-1].published if releases else None
