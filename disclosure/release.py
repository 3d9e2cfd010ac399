"""The on-disk release format: ``data_releases/NNNNNN/{records.jsonl,manifest.json,manifest.sig}``.

A release is written once, into a temporary directory that is renamed into
place, so a reader sees either no release or a whole one.  Its manifest is the
only thing signed; it names the sha256 of records.jsonl, of every entry line,
and of the previous release's manifest, which chains the releases together.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from disclosure.canonical import JSONValue, canonical_bytes, sha256_hex
from disclosure.model import Entry, entry_from_json, entry_to_json

FORMAT_VERSION = 1
RECORDS_FILE = "records.jsonl"
MANIFEST_FILE = "manifest.json"
SIGNATURE_FILE = "manifest.sig"
SSH_SIGNATURE_FILE = "manifest.sshsig"
RELEASE_FILES = frozenset({RECORDS_FILE, MANIFEST_FILE, SIGNATURE_FILE, SSH_SIGNATURE_FILE})
_RELEASE_DIR = re.compile(r"[0-9]{6}")


class ReleaseFormatError(ValueError):
    """A release directory whose files are not in the release format."""


@dataclass(frozen=True)
class FileDigest:
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """What the signature covers.  ``key`` is None until the release is signed."""

    sequence: int
    published: dt.date
    previous: str | None
    key: str | None
    files: dict[str, FileDigest]
    entries: tuple[str, ...]
    counts: dict[str, dict[str, int]]
    format: int = FORMAT_VERSION

    def to_json(self) -> dict[str, JSONValue]:
        counts: dict[str, JSONValue] = {op: dict(kinds) for op, kinds in self.counts.items()}
        files: dict[str, JSONValue] = {
            name: {"sha256": digest.sha256, "size": digest.size} for name, digest in self.files.items()
        }
        return {
            "format": self.format,
            "sequence": self.sequence,
            "published": self.published.isoformat(),
            "previous": self.previous,
            "key": self.key,
            "files": files,
            "entries": list(self.entries),
            "counts": counts,
        }

    def to_bytes(self) -> bytes:
        return canonical_bytes(self.to_json())

    @classmethod
    def from_bytes(cls, data: bytes, source: str) -> Manifest:
        try:
            obj = orjson.loads(data)
            if canonical_bytes(obj) != data:
                raise ReleaseFormatError(f"{source}: manifest.json is not in canonical form (RFC 8785)")
            return cls(
                format=_int(obj["format"]),
                sequence=_int(obj["sequence"]),
                published=dt.date.fromisoformat(obj["published"]),
                previous=obj["previous"],
                key=obj["key"],
                files={
                    name: FileDigest(sha256=str(d["sha256"]), size=_int(d["size"]))
                    for name, d in obj["files"].items()
                },
                entries=tuple(str(digest) for digest in obj["entries"]),
                counts={op: {k: _int(n) for k, n in kinds.items()} for op, kinds in obj["counts"].items()},
            )
        except ReleaseFormatError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ReleaseFormatError(f"{source}: manifest.json is malformed: {exc!r}") from exc


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ReleaseFormatError(f"expected an integer, got {value!r}")
    return value


def release_name(sequence: int) -> str:
    return f"{sequence:06d}"


def release_dirs(root: Path) -> list[Path]:
    """The release directories under ``root`` in sequence order (names are zero-padded)."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and _RELEASE_DIR.fullmatch(p.name))


@dataclass(frozen=True)
class Release:
    """A release directory on disk; entries are re-read on each pass, never all held."""

    path: Path
    manifest: Manifest
    manifest_bytes: bytes

    @property
    def sequence(self) -> int:
        return self.manifest.sequence

    @property
    def published(self) -> dt.date:
        return self.manifest.published

    @property
    def manifest_sha256(self) -> str:
        return sha256_hex(self.manifest_bytes)

    @property
    def entry_digests(self) -> Sequence[str]:
        """The manifest's digest of each line (verification checks that they match)."""
        return self.manifest.entries

    def lines(self) -> Iterator[bytes]:
        """Each entry's canonical bytes, without the newline."""
        with open(self.path / RECORDS_FILE, "rb") as handle:
            for line in handle:
                yield line.rstrip(b"\n")

    def entries(self) -> Iterator[tuple[bytes, Entry]]:
        for number, line in enumerate(self.lines(), start=1):
            try:
                yield line, entry_from_json(orjson.loads(line))
            except ValueError as exc:
                raise ReleaseFormatError(f"{self.path.name}/{RECORDS_FILE}:{number}: {exc}") from exc

    @classmethod
    def open(cls, path: Path) -> Release:
        try:
            data = (path / MANIFEST_FILE).read_bytes()
        except FileNotFoundError as exc:
            raise ReleaseFormatError(f"{path.name}: manifest.json is missing") from exc
        return cls(path=path, manifest=Manifest.from_bytes(data, path.name), manifest_bytes=data)


def open_releases(root: Path) -> list[Release]:
    return [Release.open(path) for path in release_dirs(root)]


def count_entries(entries: Iterable[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """Counts per operation and kind, from (op, kind) pairs."""
    counts: dict[str, dict[str, int]] = {}
    for op, kind in entries:
        per_kind = counts.setdefault(op, {})
        per_kind[kind] = per_kind.get(kind, 0) + 1
    return counts


def write_release(
    root: Path,
    *,
    sequence: int,
    published: dt.date,
    previous: str | None,
    entries: Iterable[Entry],
    counts: dict[str, dict[str, int]],
) -> Path:
    """Write an unsigned release atomically; refuses if that sequence exists."""
    target = root / release_name(sequence)
    if target.exists():
        raise FileExistsError(f"{target} already exists")
    root.mkdir(parents=True, exist_ok=True)
    remove_interrupted_writes(root)
    staging = Path(tempfile.mkdtemp(prefix=f".{release_name(sequence)}.", dir=root))
    try:
        digests: list[str] = []
        with open(staging / RECORDS_FILE, "wb") as handle:
            for entry in entries:
                line = canonical_bytes(entry_to_json(entry))
                digests.append(sha256_hex(line))
                handle.write(line + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        records = (staging / RECORDS_FILE).read_bytes()
        manifest = Manifest(
            sequence=sequence,
            published=published,
            previous=previous,
            key=None,
            files={RECORDS_FILE: FileDigest(sha256=sha256_hex(records), size=len(records))},
            entries=tuple(digests),
            counts=counts,
        )
        write_file_atomic(staging / MANIFEST_FILE, manifest.to_bytes())
        os.chmod(staging, 0o755)
        os.rename(staging, target)
        fsync_dir(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def remove_interrupted_writes(directory: Path) -> None:
    """Delete the temporary files and folders a killed stage or sign left in ``directory``.

    They never count (a release or file only exists once renamed into place), but verification
    refuses unexpected files, so the next stage or sign clears them first.
    """
    temporary = re.compile(r"\.(?:[0-9]{6}|" + "|".join(map(re.escape, RELEASE_FILES)) + r")\..+")
    for path in directory.iterdir():
        if temporary.fullmatch(path.name):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


def write_file_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Temp file in the same directory, fsync, rename: readers see old or new bytes."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
