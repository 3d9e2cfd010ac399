"""Files of a site folder: listing them, and replacing one without touching another folder's copy.

Why: a build starts from the spare, the site it replaced one build earlier, and changes only what
differs (disclosure/build.py).  The spare shares inodes (hard links) with the site being served, so
no file in it is ever written in place: it is unlinked and created anew, and the served site keeps
the old inode and its bytes.  What the spare holds that the new build does not declare is removed,
folders left empty included, so the result equals a build into an empty folder.
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Iterable
from pathlib import Path

# Threads that list a site folder (list_tree): cold metadata makes each folder a wait on the disk.
LISTING_THREADS = 4
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC


def replace_file(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a new inode at ``path``; a file already there is unlinked, not truncated."""
    try:
        fd = os.open(path, _CREATE, 0o666)
    except FileExistsError:
        os.unlink(path)
        fd = os.open(path, _CREATE, 0o666)
    with open(fd, "wb") as handle:
        handle.write(data)


def link_file(source: str, target: str) -> None:
    """Hard-link ``source`` at ``target``, unlinking whatever ``target`` was."""
    try:
        os.link(source, target)
    except FileExistsError:
        os.unlink(target)
        os.link(source, target)


def list_tree(
    root: Path, *, skip: frozenset[str] = frozenset(), threads: int = LISTING_THREADS
) -> tuple[list[str], list[str]]:
    """Every file (symlinks included) and every folder under ``root``, as relative paths, in no
    particular order.  Top-level entries named in ``skip`` are left out.

    One scandir per folder: about 1 s for a 10^5-record site's 250,000 files and 146,000 folders
    when the filesystem's metadata is cached.  When it is not (a daily build a day after the
    last), each scandir waits on the disk, 12-18 s in all on one thread; so the folders two levels
    down (a record's, an entity's: nearly all of them) are walked by ``threads`` threads, whose
    waits overlap (5.6-5.7 s with 4).  Cached, the threads cost time for the GIL: 2.7 s.
    """
    files, folders, deeper = _walk(str(root), [""], skip, depth=2)
    count = max(1, threads)
    shares = [deeper[number::count] for number in range(count)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(shares)) as pool:
        for share_files, share_folders, _ in pool.map(lambda share: _walk(str(root), share), shares):
            files += share_files
            folders += share_folders
    return files, folders


def _walk(
    root: str, start: list[str], skip: frozenset[str] = frozenset(), depth: int | None = None
) -> tuple[list[str], list[str], list[str]]:
    """The files and folders under the folders ``start`` (relative to ``root``, "" for itself);
    folders ``depth`` levels down are listed but not walked, and returned apart as well."""
    files: list[str] = []
    folders: list[str] = []
    deeper: list[str] = []
    pending = list(start)
    while pending:
        folder = pending.pop()
        with os.scandir(f"{root}/{folder}" if folder else root) as entries:
            for entry in entries:
                if not folder and entry.name in skip:
                    continue
                relative = f"{folder}/{entry.name}" if folder else entry.name
                if entry.is_dir(follow_symlinks=False):
                    folders.append(relative)
                    if depth is not None and relative.count("/") + 1 >= depth:
                        deeper.append(relative)
                    else:
                        pending.append(relative)
                else:
                    files.append(relative)
    return files, folders, deeper


def remove_files(root: Path, relatives: Iterable[str]) -> set[str]:
    """Unlink the files (those already gone are skipped); returns their folders, for
    ``remove_empty_folders``."""
    folders = set()
    for relative in relatives:
        try:
            os.unlink(f"{root}/{relative}")
        except FileNotFoundError:
            continue
        folders.add(os.path.dirname(relative))
    return folders


def remove_empty_folders(root: Path, folders: Iterable[str]) -> None:
    """Remove each folder that is empty, deepest first, and then its parents that became empty."""
    for folder in sorted({f for f in folders if f}, key=lambda f: f.count("/"), reverse=True):
        while folder:
            try:
                os.rmdir(f"{root}/{folder}")
            except OSError:  # not empty, or already removed as a parent
                break
            folder = os.path.dirname(folder)
