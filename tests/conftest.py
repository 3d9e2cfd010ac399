"""Shared fixtures: real keys and real signed releases, made on the fly.

``signed_releases`` is a session-wide releases tree made the way the office
makes one: sample spreadsheets -> stage -> sign, week after week, with the
later weeks amending, repairing and withdrawing earlier entries.  Tests that
tamper with a tree take a copy (``releases_copy``).
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from disclosure.build import build_site
from disclosure.keys import generate_private_key
from disclosure.rules import load_rules
from disclosure.sign import sign_release
from disclosure.stage import StageResult, currently_published, stage_files
from disclosure.trust import init_trust_store
from disclosure.verify import verify_releases
from tests.pagefind_pages import Built, build_indexes
from tests.site_tree import AS_OF as SITE_AS_OF
from tests.site_tree import SiteTree, make_site_tree

TRUST_START = dt.date(2026, 1, 1)
WEEKS = (dt.date(2026, 10, 26), dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16))


@dataclass(frozen=True)
class SignedTree:
    root: Path
    key: Ed25519PrivateKey
    weeks: tuple[dt.date, ...]


def new_tree(root: Path, key: Ed25519PrivateKey, day: dt.date = TRUST_START) -> Path:
    init_trust_store(root, key.public_key(), day)
    return root


def stage_and_sign(root: Path, files: list[Path], day: dt.date, key: Ed25519PrivateKey) -> Path:
    path, result = stage_files(files, releases_root=root, release_date=day, rules=load_rules())
    assert path is not None, "\n".join(map(str, result.errors))
    sign_release(path, key, releases_root=root)
    return path


def stage_only(root: Path, files: list[Path], day: dt.date) -> tuple[Path | None, StageResult]:
    return stage_files(files, releases_root=root, release_date=day, rules=load_rules())


def add_sample_week(
    root: Path, inbox: Path, key: Ed25519PrivateKey, week: dt.date, records: int, seed: int
) -> Path:
    """One week of the office's work, with follow-ups of what is published."""
    from disclosure.sample import write_sample

    published = (
        list(currently_published(verify_releases(root), week).values()) if any(root.glob("0*")) else []
    )
    files = write_sample(inbox, records=records, seed=seed, week=week, published=published)
    return stage_and_sign(root, files, week, key)


@pytest.fixture(scope="session")
def office_key() -> Ed25519PrivateKey:
    return generate_private_key()


@pytest.fixture(scope="session")
def signed_releases(tmp_path_factory: pytest.TempPathFactory, office_key: Ed25519PrivateKey) -> SignedTree:
    base = tmp_path_factory.mktemp("signed")
    root = new_tree(base / "data_releases", office_key)
    for number, week in enumerate(WEEKS, start=1):
        add_sample_week(root, base / f"inbox-{number}", office_key, week, records=80, seed=number)
    return SignedTree(root=root, key=office_key, weeks=WEEKS)


@pytest.fixture
def releases_copy(signed_releases: SignedTree, tmp_path: Path) -> Path:
    """A private copy of the shared tree, for tests that tamper with it."""
    target = tmp_path / "data_releases"
    shutil.copytree(signed_releases.root, target)
    return target


@pytest.fixture
def empty_tree(tmp_path: Path, office_key: Ed25519PrivateKey) -> Path:
    return new_tree(tmp_path / "data_releases", office_key)


# --- the site ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def site_tree(tmp_path_factory: pytest.TempPathFactory, office_key: Ed25519PrivateKey) -> SiteTree:
    return make_site_tree(tmp_path_factory.mktemp("site"), office_key)


@pytest.fixture(scope="session")
def built_site(site_tree: SiteTree, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small tree built once as of its AS_OF date; tests must not modify it."""
    out = tmp_path_factory.mktemp("built") / "build"
    build_site(site_tree.root, SITE_AS_OF, out)
    return out


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Pagefind's index of the sample entries, and canonical bundles written from it (pagefind_pages)."""
    return build_indexes(tmp_path_factory.mktemp("pagefind_index"))
