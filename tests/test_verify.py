"""Verification refuses every kind of tampering, naming the release and the fault."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from disclosure.canonical import sha256_hex
from disclosure.keys import generate_private_key, key_id
from disclosure.release import FileDigest, Release
from disclosure.trust import revoke_key, rotate_key
from disclosure.verify import VerificationError, VerifiedHistory, check_releases, verify_releases
from tests.conftest import SignedTree


def faults(root: Path) -> list[str]:
    return [str(f) for f in check_releases(root).faults]


def assert_refused(root: Path, *fragments: str) -> None:
    found = faults(root)
    assert found, "tampering went unnoticed"
    text = "\n".join(found)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"


def test_clean_tree_verifies(signed_releases: SignedTree) -> None:
    releases = verify_releases(signed_releases.root)
    assert [r.sequence for r in releases] == [1, 2, 3, 4]
    assert [r.published for r in releases] == list(signed_releases.weeks)


def test_flipped_byte_in_records(releases_copy: Path) -> None:
    path = releases_copy / "000002" / "records.jsonl"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert_refused(releases_copy, "000002: records.jsonl:")


def test_flipped_byte_in_manifest(releases_copy: Path) -> None:
    path = releases_copy / "000003" / "manifest.json"
    text = path.read_bytes().replace(b'"published":"2026-11-09"', b'"published":"2026-11-08"')
    path.write_bytes(text)
    assert_refused(releases_copy, "000003: bad signature on manifest.json")


def test_release_missing_from_chain(releases_copy: Path) -> None:
    shutil.rmtree(releases_copy / "000002")
    assert_refused(releases_copy, "000003: manifest sequence is 3, expected 2", "chain broken")


def test_two_releases_swapped(releases_copy: Path) -> None:
    (releases_copy / "000002").rename(releases_copy / "tmp")
    (releases_copy / "000003").rename(releases_copy / "000002")
    (releases_copy / "tmp").rename(releases_copy / "000003")
    assert_refused(releases_copy, "000002: manifest sequence is 3", "000003: manifest sequence is 2")


def test_old_release_replayed_under_new_number(releases_copy: Path) -> None:
    shutil.copytree(releases_copy / "000001", releases_copy / "000005")
    assert_refused(releases_copy, "000005: manifest sequence is 1, expected 5")


def test_records_under_another_manifest(releases_copy: Path) -> None:
    shutil.copy(releases_copy / "000002" / "records.jsonl", releases_copy / "000003" / "records.jsonl")
    assert_refused(releases_copy, "000003: records.jsonl sha256 or size does not match the manifest")


def test_truncated_and_missing_signature(releases_copy: Path) -> None:
    sig = releases_copy / "000004" / "manifest.sig"
    sig.write_bytes(sig.read_bytes()[:40])
    (releases_copy / "000003" / "manifest.sig").unlink()
    assert_refused(releases_copy, "000004: manifest.sig is 40 bytes", "000003: not signed")


def test_key_not_in_trust_store(releases_copy: Path) -> None:
    foreign = generate_private_key()
    release = Release.open(releases_copy / "000004")
    forged = dataclasses.replace(release.manifest, key=key_id(foreign.public_key())).to_bytes()
    (release.path / "manifest.json").write_bytes(forged)
    (release.path / "manifest.sig").write_bytes(foreign.sign(forged))
    assert_refused(releases_copy, "000004: signing key refused", "not in the trust store")


def test_key_revoked_before_the_signing_date(releases_copy: Path, signed_releases: SignedTree) -> None:
    revoke_key(
        releases_copy, key_id(signed_releases.key.public_key()), signed_releases.key, dt.date(2026, 11, 10)
    )
    found = faults(releases_copy)
    assert [f.split(":")[0] for f in found] == ["000004"], found
    assert "revoked" in found[0]


def test_old_releases_stay_valid_after_rotation(releases_copy: Path, signed_releases: SignedTree) -> None:
    rotate_key(releases_copy, generate_private_key().public_key(), signed_releases.key, dt.date(2026, 11, 20))
    assert faults(releases_copy) == []


def test_trust_change_not_signed_by_trusted_key(releases_copy: Path) -> None:
    outsider = generate_private_key()
    rotate_key_error = None
    try:
        rotate_key(releases_copy, generate_private_key().public_key(), outsider, dt.date(2026, 11, 20))
    except Exception as exc:  # the library refuses to write it...
        rotate_key_error = exc
    assert rotate_key_error is not None
    # ...so forge one by hand: a statement signed by a key nobody trusts.
    statements = releases_copy / "keys" / "statements"
    last = sorted(statements.glob("*.json"))[-1]
    forged = json.loads(last.read_bytes())
    assert forged["sequence"] == 1
    body = {
        **forged,
        "sequence": 2,
        "action": "rotate",
        "date": "2026-11-20",
        "key": key_id(outsider.public_key()),
        "signer": key_id(outsider.public_key()),
    }
    from disclosure.canonical import canonical_bytes, sha256_hex

    body["previous"] = sha256_hex(last.read_bytes())
    data = canonical_bytes(body)
    (statements / "0002.json").write_bytes(data)
    (statements / "0002.sig").write_bytes(outsider.sign(data))
    assert_refused(releases_copy, "keys:")


def test_private_key_in_tree_is_refused(releases_copy: Path) -> None:
    (releases_copy / "keys" / "office.key").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n...\n")
    assert_refused(releases_copy, "looks like a private key")


def test_unexpected_file_in_a_release(releases_copy: Path) -> None:
    (releases_copy / "000001" / "notes.txt").write_text("改过")
    assert_refused(releases_copy, "000001: unexpected file notes.txt")


def test_verify_releases_raises_with_every_fault(releases_copy: Path) -> None:
    (releases_copy / "000001" / "notes.txt").write_text("x")
    (releases_copy / "000002" / "manifest.sig").unlink()
    with pytest.raises(VerificationError) as exc:
        verify_releases(releases_copy)
    assert len(exc.value.faults) == 2


def test_known_history_skips_parsing_but_not_hashes(releases_copy: Path) -> None:
    full = check_releases(releases_copy)
    known = check_releases_upto(releases_copy, 3)
    assert known.manifests == tuple(r.manifest_sha256 for r in full.releases[:3])
    seen: list[int] = []
    resumed = check_releases(releases_copy, known=known, on_entry=lambda r, _e: seen.append(r.sequence))
    assert resumed.faults == [] and set(seen) == {4}  # only the new release's lines are parsed
    assert resumed.states == full.states  # the same history as parsing every line
    # Releases 1-3 are hashed: a flipped byte is still caught, though its line is not parsed.
    path = releases_copy / "000002" / "records.jsonl"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert [str(f) for f in check_releases(releases_copy, known=known).faults] == [
        "000002: records.jsonl sha256 or size does not match the manifest"
    ]


def test_known_history_of_another_tree_is_ignored(releases_copy: Path, tmp_path: Path) -> None:
    known = check_releases_upto(releases_copy, 3)
    seen: list[int] = []
    stale = dataclasses.replace(known, manifests=("0" * 64, *known.manifests[1:]))
    result = check_releases(releases_copy, known=stale, on_entry=lambda r, _e: seen.append(r.sequence))
    assert result.faults == [] and result.states == check_releases(releases_copy).states
    assert sorted(set(seen)) == [1, 2, 3, 4]  # every line parsed again
    shutil.rmtree(releases_copy / "000004")
    shutil.rmtree(releases_copy / "000003")  # the tree is now shorter than what is known
    seen.clear()
    result = check_releases(releases_copy, known=known, on_entry=lambda r, _e: seen.append(r.sequence))
    assert result.faults == [] and sorted(set(seen)) == [1, 2]


def check_releases_upto(root: Path, count: int) -> VerifiedHistory:
    """The history of the first ``count`` releases, as an earlier build would have cached it."""
    partial = root.parent / f"{root.name}-first-{count}"
    shutil.copytree(root, partial)
    for path in sorted(partial.glob("0*"))[count:]:
        shutil.rmtree(path)
    history = check_releases(partial).history()
    return VerifiedHistory.from_json(json.loads(json.dumps(history.to_json())))  # as stored


def resign_tip(root: Path, key: Ed25519PrivateKey, lines: list[bytes]) -> None:
    """Replace the tip's records with ``lines`` under a manifest that lists them, newly signed:
    what a faulty tool with the office's key would publish.  Only the line checks can catch it."""
    tip = sorted(root.glob("0*"))[-1]
    records = b"".join(line + b"\n" for line in lines)
    (tip / "records.jsonl").write_bytes(records)
    manifest = dataclasses.replace(
        Release.open(tip).manifest,
        files={"records.jsonl": FileDigest(sha256_hex(records), len(records))},
        entries=tuple(sha256_hex(line) for line in lines),
    )
    (tip / "manifest.json").write_bytes(manifest.to_bytes())
    (tip / "manifest.sig").write_bytes(key.sign(manifest.to_bytes()))
    (tip / "manifest.sshsig").unlink(missing_ok=True)


def test_signed_lines_that_are_not_canonical_data_are_faults(
    releases_copy: Path, signed_releases: SignedTree
) -> None:
    good = (releases_copy / "000004" / "records.jsonl").read_bytes().splitlines()
    entry = json.loads(good[0])
    bad = {
        "a float": dict(entry, fields=dict(entry["fields"], 罚款金额=1.5)),
        "an integer past 2**64 (a float to orjson)": dict(entry, fields=dict(entry["fields"], n=2**64)),
    }
    lines = [good[0]]
    lines += [
        json.dumps(v, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
        for v in bad.values()
    ]
    lines.append(good[0].replace(b'"op":', b'"op" :'))  # valid JSON, not canonical
    lines.append(good[0].replace(b'"salt":"', b'"salt":"\\ud800'))  # a lone surrogate
    lines.append(good[0].replace(b'{"decided"', b'{"decided":NaN,"decided"'))
    resign_tip(releases_copy, signed_releases.key, lines)
    found = faults(releases_copy)
    expected = {2: "floats are not allowed", 3: "floats are not allowed", 4: "not in canonical form"}
    expected |= {5: "surrogate", 6: ""}  # NaN: orjson's own words
    for number, fragment in expected.items():
        prefix = f"000004: records.jsonl:{number}: "
        assert any(f.startswith(prefix) and fragment in f for f in found), (number, found)
    assert not any(f.startswith("000004: records.jsonl:1: ") for f in found)
