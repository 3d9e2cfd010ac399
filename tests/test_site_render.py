"""The renderer's keys: what a new or removed record makes the next build render again."""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path

import pytest

from disclosure.site import render
from disclosure.site.render import Output, Reusable, list_pages
from disclosure.site.views import RecordView
from tests.site_tree import SiteTree
from tests.test_site_views import many_views


def list_keys(records: list[RecordView]) -> dict[str, str]:
    return {page.url: key for page, _nav, key in list_pages(records)}


def test_one_record_more_or_less_changes_a_few_list_pages(site_tree: SiteTree) -> None:
    records = many_views(site_tree, 100)  # 600 records, newest first
    before = list_keys(records)
    assert len(before) > 60
    for position in (3, len(records) // 3, len(records) - 2):
        removed = records[position]
        after = list_keys(records[:position] + records[position + 1 :])
        changed = {url for url in before.keys() | after.keys() if before.get(url) != after.get(url)}
        # Each list holding the record: its front, its stretch, and at most one merged or renamed
        # stretch with the two neighbours that link to it.  Not every page after it.
        lists = 4  # by kind, and by its district, department and year
        assert len(changed) <= lists * 5, (position, sorted(changed))
        assert f"/{removed.kind.value}/" in changed


def test_unchanged_files_are_linked_by_the_workers_and_a_changed_one_is_made_again(tmp_path: Path) -> None:
    previous, root = tmp_path / "previous", tmp_path / "root"
    reusable = {}
    for i in range(2500):  # enough for flush to share the links between two forked workers
        old = previous / "penalty" / f"{i:04d}" / "index.html"
        old.parent.mkdir(parents=True)
        old.write_text(f"第{i}页")
        stat = old.stat()
        reusable[f"penalty/{i:04d}/index.html"] = Reusable(f"key{i}", stat.st_size, stat.st_mtime_ns)
    edited = previous / "penalty" / "2400" / "index.html"  # on the second worker's share
    edited.write_text("被改过的第2400页")
    root.mkdir()
    output = Output(root=root, previous=previous, reusable=reusable)
    for i in range(2500):
        output.page(f"/penalty/{i:04d}/", functools.partial("第{}页".format, i), key=f"key{i}")
    output.page("/penalty/new/", lambda: "新的一页", key="fresh")
    assert output.flush(workers=2) == 2  # the new page, and the edited one made again
    assert set(output.reused) == set(reusable) - {"penalty/2400/index.html"}
    assert (root / "penalty" / "2400" / "index.html").read_text() == "第2400页"
    assert (root / "penalty" / "new" / "index.html").read_text() == "新的一页"
    for relative in ("penalty/0000/index.html", "penalty/2499/index.html"):
        assert os.stat(root / relative).st_ino == os.stat(previous / relative).st_ino


def test_costly_files_are_made_by_different_workers(tmp_path: Path) -> None:
    """The data files come last and cost seconds each: dealt by count, one worker made them all.
    Dealt by cost, each goes in a share of its own, handed out first; a process busy with one (the
    forked worker, or the caller, which takes shares too), the other takes the next."""
    output = Output(root=tmp_path)
    for i in range(300):
        output.page(f"/penalty/{i:03d}/", lambda: f"{os.getpid()}")

    def costly() -> str:
        time.sleep(1.0)
        return f"{os.getpid()}"

    for name in ("penalty.csv", "license.csv"):
        output.write(f"data/{name}", costly, cost=1000)
    assert output.flush(workers=2) == 302
    makers = {(tmp_path / "data" / name).read_text() for name in ("penalty.csv", "license.csv")}
    assert len(makers) == 2


def test_a_page_the_spare_holds_alone_is_written_over_and_a_shared_one_replaced(tmp_path: Path) -> None:
    """The spare (``root``) shares most files with the site being served: those are made anew and
    the served copy keeps its bytes.  A file it holds alone keeps its inode (tree.rewrite_file)."""
    served, root = tmp_path / "served", tmp_path / "root"
    for folder in (served / "penalty" / "a", root / "penalty" / "a", root / "penalty" / "b"):
        folder.mkdir(parents=True)
    (served / "penalty" / "a" / "index.html").write_text("公示中的第一页")
    os.link(served / "penalty" / "a" / "index.html", root / "penalty" / "a" / "index.html")
    (root / "penalty" / "b" / "index.html").write_text("上上次构建的第二页，比新的长")
    # An open descriptor keeps the old inode (its number is not reused) and reads what it holds.
    alone = os.open(root / "penalty" / "b" / "index.html", os.O_RDONLY)
    output = Output(root=root)
    output.page("/penalty/a/", lambda: "新的第一页")
    output.page("/penalty/b/", lambda: "新的第二页")
    output.page("/penalty/c/", lambda: "新的第三页")  # a folder made on demand
    output.flush(workers=1)
    assert (served / "penalty" / "a" / "index.html").read_text() == "公示中的第一页"
    assert (root / "penalty" / "a" / "index.html").read_text() == "新的第一页"
    assert (root / "penalty" / "b" / "index.html").read_text() == "新的第二页"
    try:
        assert os.pread(alone, 100, 0).decode() == "新的第二页"  # written over, not replaced
    finally:
        os.close(alone)
    assert (root / "penalty" / "c" / "index.html").read_text() == "新的第三页"


def count_reuse_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the flush checks by their stat from now on (in this process), in order."""
    checked: list[str] = []
    made_as = render._made_as

    def counted(path: str, known: Reusable) -> bool:
        checked.append(path)
        return made_as(path, known)

    monkeypatch.setattr(render, "_made_as", counted)
    return checked


def test_files_a_listing_vouched_for_are_kept_without_a_stat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file in ``vouched`` (tree.Vouched: its folder and its own ctime unchanged since its build)
    is kept as the state says; any other is checked by its size and modification time."""
    base = {}
    for name in ("a", "b"):
        path = tmp_path / "penalty" / name / "index.html"
        path.parent.mkdir(parents=True)
        path.write_text(f"第{name}页")
        stat = path.stat()
        base[f"penalty/{name}/index.html"] = Reusable(f"key-{name}", stat.st_size, stat.st_mtime_ns)
    checked = count_reuse_checks(monkeypatch)
    output = Output(root=tmp_path, base=base, vouched=frozenset({"penalty/a/index.html"}))
    for name in ("a", "b"):
        output.page(f"/penalty/{name}/", lambda: "不该再渲染", key=f"key-{name}")
    # Kept as declared: nothing of it is left for the flush's workers to look up.
    assert output.reused == {"penalty/a/index.html": base["penalty/a/index.html"]}
    assert [relative for relative, _ in output.unchanged] == ["penalty/b/index.html"]
    assert output.flush(workers=1) == 0
    assert checked == [f"{tmp_path}/penalty/b/index.html"]
    assert output.reused == base
