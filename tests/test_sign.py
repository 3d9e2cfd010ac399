"""Signing, checked with independent tools: openssl and ssh-keygen."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from disclosure.keys import generate_private_key, key_id, public_key_pem
from disclosure.sign import SigningError, sign_release
from disclosure.trust import rotate_key
from disclosure.verify import VerificationError, check_releases
from tests.conftest import SignedTree, stage_and_sign, stage_only
from tests.factories import penalty_row, write_csv

OPENSSL = shutil.which("openssl")
SSH_KEYGEN = shutil.which("ssh-keygen")


@pytest.mark.skipif(OPENSSL is None, reason="openssl is installed by .ci/run")
def test_openssl_verifies_every_release(signed_releases: SignedTree) -> None:
    for release in sorted(signed_releases.root.glob("0*")):
        manifest = json.loads((release / "manifest.json").read_bytes())
        pubkey = signed_releases.root / "keys" / f"{manifest['key']}.pub"
        result = subprocess.run(
            [
                str(OPENSSL),
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                str(pubkey),
                "-rawin",
                "-in",
                str(release / "manifest.json"),
                "-sigfile",
                str(release / "manifest.sig"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0 and "Signature Verified Successfully" in result.stdout, result


@pytest.mark.skipif(OPENSSL is None, reason="openssl is installed by .ci/run")
def test_openssl_refuses_a_flipped_byte(releases_copy: Path) -> None:
    release = releases_copy / "000001"
    manifest = bytearray((release / "manifest.json").read_bytes())
    manifest[10] ^= 0x01
    (release / "manifest.json").write_bytes(bytes(manifest))
    key = next((releases_copy / "keys").glob("*.pub"))
    result = subprocess.run(
        [
            str(OPENSSL),
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            str(key),
            "-rawin",
            "-in",
            str(release / "manifest.json"),
            "-sigfile",
            str(release / "manifest.sig"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0


@pytest.mark.skipif(SSH_KEYGEN is None, reason="ssh-keygen is installed by .ci/run")
def test_ssh_keygen_verifies_with_validity_window(signed_releases: SignedTree) -> None:
    release = signed_releases.root / "000002"
    kid = key_id(signed_releases.key.public_key())

    def verify(day: str) -> int:
        with open(release / "manifest.json", "rb") as data:
            return subprocess.run(
                [
                    str(SSH_KEYGEN),
                    "-Y",
                    "verify",
                    "-f",
                    str(signed_releases.root / "keys" / "allowed_signers"),
                    "-I",
                    f"disclosure-{kid[:16]}",
                    "-n",
                    "disclosure-release",
                    "-s",
                    str(release / "manifest.sshsig"),
                    "-O",
                    f"verify-time={day}",
                ],
                stdin=data,
                capture_output=True,
                check=False,
            ).returncode

    assert verify("20261102") == 0
    assert verify("20251231") != 0  # before the key's window


def test_sha256sum_of_records_matches_manifest(signed_releases: SignedTree) -> None:
    release = signed_releases.root / "000003"
    out = subprocess.run(
        ["sha256sum", str(release / "records.jsonl")], capture_output=True, text=True, check=True
    )
    manifest = json.loads((release / "manifest.json").read_bytes())
    assert out.stdout.split()[0] == manifest["files"]["records.jsonl"]["sha256"]


def test_public_key_file_is_the_pem_openssl_reads(signed_releases: SignedTree) -> None:
    kid = key_id(signed_releases.key.public_key())
    pem = (signed_releases.root / "keys" / f"{kid}.pub").read_bytes()
    assert pem == public_key_pem(signed_releases.key.public_key())


def staged(root: Path, tmp_path: Path, number: str = "榕市监处罚〔2026〕7001号") -> Path:
    path, result = stage_only(
        root, [write_csv(tmp_path / "p.csv", [penalty_row(number)])], dt.date(2026, 11, 23)
    )
    assert path is not None, result.errors
    return path


def test_never_re_signs(releases_copy: Path, office_key: Ed25519PrivateKey, tmp_path: Path) -> None:
    path = staged(releases_copy, tmp_path)
    sign_release(path, office_key, releases_root=releases_copy)
    with pytest.raises(SigningError, match="never re-signed"):
        sign_release(path, office_key, releases_root=releases_copy)
    assert check_releases(releases_copy).faults == []


def test_refuses_untrusted_key(releases_copy: Path, tmp_path: Path) -> None:
    path = staged(releases_copy, tmp_path)
    with pytest.raises(VerificationError, match="not in the trust store"):
        sign_release(path, generate_private_key(), releases_root=releases_copy)
    assert not (path / "manifest.sig").exists()


def test_refuses_records_edited_after_staging(
    releases_copy: Path, office_key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    path = staged(releases_copy, tmp_path)
    records = path / "records.jsonl"
    records.write_bytes(records.read_bytes().replace("福州鑫源".encode(), "福州鑫隆".encode()))
    with pytest.raises(VerificationError, match="000005"):
        sign_release(path, office_key, releases_root=releases_copy)


def test_unsigned_release_blocks_verification_and_staging(releases_copy: Path, tmp_path: Path) -> None:
    staged(releases_copy, tmp_path)
    assert any("000005: not signed" in str(f) for f in check_releases(releases_copy).faults)
    with pytest.raises(VerificationError):
        staged(releases_copy, tmp_path, "榕市监处罚〔2026〕7002号")


def test_rotated_key_signs_and_old_key_is_retired(
    releases_copy: Path, office_key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    new_key = generate_private_key()
    rotate_key(releases_copy, new_key.public_key(), office_key, dt.date(2026, 11, 20))
    path = staged(releases_copy, tmp_path)
    with pytest.raises(VerificationError, match="retired"):
        sign_release(path, office_key, releases_root=releases_copy)
    sign_release(path, new_key, releases_root=releases_copy)
    assert check_releases(releases_copy).faults == []
    stage_and_sign(
        releases_copy,
        [write_csv(tmp_path / "q.csv", [penalty_row("榕市监处罚〔2026〕7003号")])],
        dt.date(2026, 11, 24),
        new_key,
    )
    assert check_releases(releases_copy).faults == []
