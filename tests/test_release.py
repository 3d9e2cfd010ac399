"""The release format: manifests in canonical form, atomic writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from disclosure.canonical import canonical_bytes, sha256_hex
from disclosure.model import Op, Removal, entry_from_json, entry_to_json
from disclosure.release import Manifest, Release, ReleaseFormatError, release_dirs, write_release


def removal(n: int) -> Removal:
    return Removal(
        op=Op.WITHDRAW,
        id=f"id{n}",
        salt="c2FsdA",
        date=dt.date(2026, 11, 2),
        reason="error",
        basis="数据错误",
    )


def test_write_release_hashes_every_line(tmp_path: Path) -> None:
    path = write_release(
        tmp_path,
        sequence=1,
        published=dt.date(2026, 11, 2),
        previous=None,
        entries=[removal(1), removal(2)],
        counts={"withdraw": {"penalty": 2}},
    )
    release = Release.open(path)
    lines = (path / "records.jsonl").read_bytes().splitlines()
    assert release.manifest.entries == tuple(sha256_hex(line) for line in lines)
    assert release.manifest.files["records.jsonl"].sha256 == sha256_hex((path / "records.jsonl").read_bytes())
    assert release.manifest.key is None
    assert [e for _, e in release.entries()] == [removal(1), removal(2)]
    assert (path / "manifest.json").read_bytes() == release.manifest.to_bytes()
    assert release_dirs(tmp_path) == [path]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_existing_release_is_never_overwritten(tmp_path: Path) -> None:
    write_release(
        tmp_path, sequence=1, published=dt.date(2026, 11, 2), previous=None, entries=[removal(1)], counts={}
    )
    with pytest.raises(FileExistsError):
        write_release(
            tmp_path, sequence=1, published=dt.date(2026, 11, 2), previous=None, entries=[], counts={}
        )


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    def entries() -> Iterator[Removal]:
        yield removal(1)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_release(
            tmp_path, sequence=1, published=dt.date(2026, 11, 2), previous=None, entries=entries(), counts={}
        )
    assert list(tmp_path.iterdir()) == []


def test_manifest_must_be_canonical(tmp_path: Path) -> None:
    manifest = Manifest(
        sequence=1, published=dt.date(2026, 11, 2), previous=None, key=None, files={}, entries=(), counts={}
    )
    assert Manifest.from_bytes(manifest.to_bytes(), "x") == manifest
    with pytest.raises(ReleaseFormatError, match="canonical"):
        Manifest.from_bytes(manifest.to_bytes().replace(b",", b", "), "x")
    with pytest.raises(ReleaseFormatError, match="malformed"):
        Manifest.from_bytes(canonical_bytes({"format": 1}), "x")


def test_entries_round_trip_through_json() -> None:
    entry = removal(3)
    assert entry_from_json(entry_to_json(entry)) == entry


def test_floats_are_refused_in_canonical_data() -> None:
    with pytest.raises(TypeError, match="floats"):
        canonical_bytes({"fine": 1.5})
