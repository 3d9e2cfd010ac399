"""Site folders: listing them, and replacing a file without touching the copy another folder links."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from disclosure._internal import tree
from disclosure._internal.tree import (
    LISTING_FORK_AT,
    TreeListing,
    Unchanged,
    link_file,
    link_files,
    mirror_tree,
    remove_empty_folders,
    remove_files,
    replace_file,
    rewrite_file,
)


def test_replace_file_leaves_a_hard_linked_twin_as_it_was(tmp_path: Path) -> None:
    served, spare = tmp_path / "served.html", tmp_path / "spare.html"
    served.write_text("公示中的页面")
    os.link(served, spare)
    replace_file(spare, "新的页面".encode())
    assert spare.read_text() == "新的页面"
    assert served.read_text() == "公示中的页面"
    assert os.stat(served).st_ino != os.stat(spare).st_ino
    replace_file(tmp_path / "fresh.html", b"x")
    assert (tmp_path / "fresh.html").read_bytes() == b"x"
    parts = (part for part in ["处罚,".encode(), b"", "许可\r\n".encode()])  # a data file, in parts
    replace_file(spare, parts)
    assert spare.read_bytes() == "处罚,许可\r\n".encode()


def test_rewrite_file_writes_in_place_only_what_no_other_path_links(tmp_path: Path) -> None:
    alone = tmp_path / "0.json"
    alone.write_text('{"福州":"3"}' * 100)
    # An open descriptor keeps the old inode (its number is not reused) and reads what it holds.
    held = os.open(alone, os.O_RDONLY)
    try:
        rewrite_file(alone, '{"鼓楼":"1"}'.encode())
        assert alone.read_text() == '{"鼓楼":"1"}'  # shorter: truncated, nothing of the old left
        assert os.pread(held, 1000, 0).decode() == '{"鼓楼":"1"}'  # the same inode, written in place
        rewrite_file(alone, [("{" + "福州" * 300).encode(), b"}"])  # longer, in parts
        assert os.pread(held, 10_000, 0).decode() == "{" + "福州" * 300 + "}"
    finally:
        os.close(held)
    outside = tmp_path / "outside.json"
    outside.write_text("别处的文件")
    linked = tmp_path / "linked.json"
    linked.symlink_to(outside)  # a spare changed by hand: the link goes, what it names stays
    rewrite_file(linked, b"{}")
    assert (linked.is_symlink(), linked.read_bytes(), outside.read_text()) == (False, b"{}", "别处的文件")
    served, spare = tmp_path / "served.json", tmp_path / "spare.json"
    served.write_text("公示中的路由")
    os.link(served, spare)  # a snapshot's hard link (scripts/replay_build.py --link)
    rewrite_file(spare, "新的路由".encode())
    assert (spare.read_text(), served.read_text()) == ("新的路由", "公示中的路由")
    parts = iter([b"{", b"}"])
    with pytest.raises(FileNotFoundError):
        rewrite_file(tmp_path / "new-folder" / "0.json", parts)
    assert list(parts) == [b"{", b"}"]  # nothing taken: the caller makes the folder and tries again
    rewrite_file(tmp_path / "fresh.json", b"x")
    assert (tmp_path / "fresh.json").read_bytes() == b"x"


def test_link_file_replaces_what_was_there(tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    source.write_text("新")
    target.write_text("旧")
    link_file(str(source), str(target))
    assert os.stat(target).st_ino == os.stat(source).st_ino
    link_file(str(source), str(tmp_path / "other"))
    assert (tmp_path / "other").read_text() == "新"


def test_link_files_links_into_new_folders_and_leaves_what_is_there(tmp_path: Path) -> None:
    source, target = tmp_path / "site", tmp_path / "staging"
    (source / "penalty" / "a1").mkdir(parents=True)
    (source / "penalty" / "a1" / "index.html").write_text("处罚决定")
    (source / "index.html").write_text("首页")
    (target / "penalty" / "a1").mkdir(parents=True)
    (target / "penalty" / "a1" / "record.json").write_text("本次构建已写")  # newer: left alone
    (source / "penalty" / "a1" / "record.json").write_text("上次构建")
    relatives = ["penalty/a1/index.html", "index.html", "penalty/a1/record.json", "gone/x/index.html"]
    assert link_files(source, target, relatives) == 2
    for relative in ("penalty/a1/index.html", "index.html"):
        assert os.stat(target / relative).st_ino == os.stat(source / relative).st_ino
    assert (target / "penalty" / "a1" / "record.json").read_text() == "本次构建已写"
    assert not (target / "gone").exists()  # no folder for a file that is not there


def test_mirror_tree_links_what_differs_and_removes_the_rest(tmp_path: Path) -> None:
    """A spare's older search bundle made the previous site's: its files that are the previous
    site's stay the same inodes, untouched; the others go, and what is missing is linked."""
    site, spare = tmp_path / "site" / "2026-03", tmp_path / "spare" / "2026-03"
    for relative, text in {
        "pagefind-entry.json": '{"version":"1.5.2"}',
        "fragment/zh-cn_2026031abc.pf_fragment": "福州榕祥",
        "fragment/zh-cn_2026032def.pf_fragment": "鼓楼区",
        "index/zh-cn_9f8e7d6.pf_index": "新索引",
        "filter/zh-cn_1a2b3c.pf_filter": "类别",
    }.items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text(text)
    shared = ["fragment/zh-cn_2026031abc.pf_fragment", "filter/zh-cn_1a2b3c.pf_filter"]
    for relative in shared:
        (spare / relative).parent.mkdir(parents=True, exist_ok=True)
        os.link(site / relative, spare / relative)
    (spare / "pagefind-entry.json").write_text('{"version":"1.5.2","old":1}')  # same name, another file
    (spare / "index").mkdir()
    (spare / "index" / "zh-cn_0000000.pf_index").write_text("旧索引")  # not in the site's
    (spare / "fragment" / "zh-cn_2026039zzz.pf_fragment").write_text("已移出的页面")
    (spare / "old-folder" / "deep").mkdir(parents=True)
    (spare / "old-folder" / "deep" / "x").write_text("旧")
    (spare / "fragment" / "zh-cn_2026032def.pf_fragment").mkdir()  # a folder where the site has a file
    stamps = {relative: os.stat(spare / relative).st_mtime_ns for relative in shared}
    assert mirror_tree(site, spare) == 3  # the entry, the other fragment and the index chunk

    def files(root: Path) -> dict[str, int]:
        return {str(p.relative_to(root)): os.stat(p).st_ino for p in root.rglob("*") if not p.is_dir()}

    assert files(spare) == files(site)
    assert sorted(str(p.relative_to(spare)) for p in spare.rglob("*") if p.is_dir()) == [
        "filter",
        "fragment",
        "index",
    ]
    assert {relative: os.stat(spare / relative).st_mtime_ns for relative in shared} == stamps
    assert (site / "pagefind-entry.json").read_text() == '{"version":"1.5.2"}'  # the site's untouched
    fresh = tmp_path / "fresh" / "2026-03"  # no older version: every file linked
    assert mirror_tree(site, fresh) == 5
    assert files(fresh) == files(site)
    outside = tmp_path / "outside"  # a spare changed by hand: its bundle a link to another folder
    (outside / "fragment").mkdir(parents=True)
    (outside / "fragment" / "别处.txt").write_text("别处的文件")
    linked = tmp_path / "linked" / "2026-03"
    linked.parent.mkdir()
    linked.symlink_to(outside, target_is_directory=True)
    assert mirror_tree(site, linked) == 5
    assert not linked.is_symlink() and files(linked) == files(site)
    assert [p.name for p in outside.rglob("*")] == ["fragment", "别处.txt"]


def list_tree(root: Path, **options: Any) -> tuple[list[str], list[str]]:
    """A ``TreeListing``'s result, waited for."""
    with TreeListing(root, **options) as listing:
        return listing.result()


def test_list_tree_gives_files_and_folders_and_skips_top_level_names(tmp_path: Path) -> None:
    for relative in ("a/b/index.html", "a/record.json", "top.html", "pagefind/x/y.pf_fragment"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("")
    (tmp_path / "empty").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "a")
    files, folders = list_tree(tmp_path, skip=frozenset({"pagefind"}))
    assert sorted(files) == ["a/b/index.html", "a/record.json", "link", "top.html"]
    assert sorted(folders) == ["a", "a/b", "empty"]


@pytest.mark.parametrize("processes", [1, 3])
def test_list_tree_finds_what_os_walk_finds_at_every_depth(tmp_path: Path, processes: int) -> None:
    for number in range(LISTING_FORK_AT + 100):  # a site's shape: kinds, a folder per record, some deeper
        relative = f"{('penalty', 'entity', 'list')[number % 3]}/{number}/index.html"
        if number % 7 == 0:
            relative = f"list/{number}/page/{number % 4}/深/index.html"
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("")
    (tmp_path / "entity" / "空").mkdir()
    expected_files, expected_folders = set(), set()
    for folder, names, file_names in os.walk(tmp_path):
        relative = os.path.relpath(folder, tmp_path)
        expected_folders |= {os.path.normpath(f"{relative}/{name}") for name in names}
        expected_files |= {os.path.normpath(f"{relative}/{name}") for name in file_names}
    files, folders = list_tree(tmp_path, processes=processes)
    assert sorted(files) == sorted(expected_files) and len(files) == len(set(files))
    assert sorted(folders) == sorted(expected_folders) and len(folders) == len(set(folders))


@pytest.mark.parametrize("records", [3, LISTING_FORK_AT + 10])
def test_a_listing_passes_over_folders_unchanged_since_the_build_ended(tmp_path: Path, records: int) -> None:
    """Record and entity folders without subfolders whose inode has not changed since the build's
    end are passed over (in forked listers too); any other folder is listed."""
    made = [f"penalty/{number}/index.html" for number in range(records)]
    made += [
        "penalty/district/350102/index.html",
        "entity/91350100M000100Y43/index.html",
        "theme/css/site.css",
        "penalty/0/notes.txt",  # in a folder passed over, but not a name to vouch for
    ]
    for relative in made:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("公示")
    ended = time.time_ns()
    time.sleep(0.05)  # past the file system's coarse clock
    (tmp_path / "penalty" / "1" / "stray.html").write_text("不该出现")  # a folder changed by hand
    (tmp_path / "penalty" / "2" / "index.html").touch()  # a file's own times: not its folder's
    unchanged = Unchanged(ended, frozenset({"penalty", "entity"}))
    with TreeListing(
        tmp_path, unchanged=unchanged, vouch=frozenset({"index.html", "record.json"})
    ) as listing:
        files, folders = listing.result()
    assert sorted(files) == [
        "penalty/1/index.html",
        "penalty/1/stray.html",
        "penalty/district/350102/index.html",  # penalty/district has a subfolder: walked
        "theme/css/site.css",  # not a top the build vouched for
    ]
    assert sorted(folders) == ["entity", "penalty", "penalty/1", "penalty/district", "penalty/district/350102",
                               "theme", "theme/css"]  # fmt: skip
    assert len(list_tree(tmp_path)[0]) == len(made) + 1  # without it, everything
    # The files of the folders passed over, by their own ctime: the one touched since is not vouched for.
    vouched = [relative for relative in made if relative in listing.vouched]
    assert vouched == [f"penalty/{n}/index.html" for n in range(records) if n not in (1, 2)] + [
        "entity/91350100M000100Y43/index.html"
    ]
    assert listing.vouched.touched == {"penalty/2/index.html"}


def test_removing_files_then_empty_folders_leaves_only_what_holds_files(tmp_path: Path) -> None:
    for relative in ("penalty/1/index.html", "penalty/1/record.json", "penalty/2/index.html", "x/y/z/f"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("")
    folders = remove_files(tmp_path, ["penalty/1/index.html", "penalty/1/record.json", "x/y/z/f", "gone"])
    assert folders == {"penalty/1", "x/y/z"}  # "gone" was not there
    remove_empty_folders(tmp_path, folders | {"penalty/2"})
    files, remaining = list_tree(tmp_path)
    assert files == ["penalty/2/index.html"]
    assert remaining == ["penalty", "penalty/2"]  # x/y/z, x/y and x went as their last file did


def test_forked_listers_run_niced_and_the_caller_keeps_its_priority(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listers check files while the build reads its states: they yield the core to it."""
    for number in range(LISTING_FORK_AT + 10):
        (tmp_path / "penalty" / str(number)).mkdir(parents=True)
    walk = tree._walk_changed

    def noted(root: str, *args: Any) -> Any:
        (tmp_path / f"nice-{os.getpid()}").write_text(str(os.getpriority(os.PRIO_PROCESS, 0)))
        return walk(root, *args)

    monkeypatch.setattr(tree, "_walk_changed", noted)
    before = os.getpriority(os.PRIO_PROCESS, 0)
    files, folders = list_tree(tmp_path, processes=2)
    assert len(folders) == LISTING_FORK_AT + 11 and not files
    niceness = {path.read_text() for path in tmp_path.glob("nice-*")}
    assert (
        niceness == {str(max(before, tree.LISTING_NICENESS))}
        and not (tmp_path / f"nice-{os.getpid()}").exists()
    )
    assert os.getpriority(os.PRIO_PROCESS, 0) == before
    (tmp_path / "small" / "penalty" / "1").mkdir(parents=True)
    assert list_tree(tmp_path / "small") == ([], ["penalty", "penalty/1"])  # listed here, not forked
    assert os.getpriority(os.PRIO_PROCESS, 0) == before
