"""The demo releases shipped in data_releases/ verify, and show what the portal is for."""

from __future__ import annotations

from pathlib import Path

from disclosure.trust import TrustStore
from disclosure.verify import verify_releases

DEMO = Path(__file__).parent.parent / "data_releases"


def test_demo_releases_verify_and_cover_every_operation() -> None:
    releases = verify_releases(DEMO)
    assert len(releases) >= 8
    ops = {op for release in releases for op in release.manifest.counts}
    assert ops == {"publish", "amend", "repair", "withdraw"}
    kinds = {kind for release in releases for counts in release.manifest.counts.values() for kind in counts}
    assert kinds == {"licensing", "penalty", "redlist", "blacklist", "case"}
    assert len(TrustStore.load(DEMO).keys) == 2  # the demo shows a key rotation
