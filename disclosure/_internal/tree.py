"""Files of a site folder: listing them, and replacing one without touching another folder's copy.

Why: a build starts from the spare, the site it replaced one build earlier, and changes only what
differs (disclosure/build.py).  The spare shares inodes (hard links) with the site being served, so
no file in it is ever written in place: it is unlinked and created anew, and the served site keeps
the old inode and its bytes.  What the spare holds that the new build does not declare is removed,
folders left empty included, so the result equals a build into an empty folder.
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISDIR, S_ISREG

from disclosure._internal.forks import SharesBeside, StoppedOnExit

# Processes that list a site folder (TreeListing): cold metadata makes each folder a wait on the
# disk, and only processes overlap those waits without taking turns for one interpreter.
LISTING_PROCESSES = 8
# Below this many folders two levels down, a tree is listed here: forking costs more (10^5
# records make 146,000 of them; a few thousand list in a few hundredths of a second).
LISTING_FORK_AT = 2000
# The forked listers' niceness: they check some 250,000 files while the build's main process reads
# its states, and eight of them at the main process's priority took most of its core (the state
# step 0.7 s without them checking files, 1.0-1.1 s with; session 28).  Waiting on the disk, as
# with cold metadata, is not slowed by it.
LISTING_NICENESS = 10
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
_REWRITE = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC


def replace_file(path: str | Path, data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` (or its parts) to a new inode at ``path``; a file already there is unlinked,
    not truncated."""
    try:
        fd = os.open(path, _CREATE, 0o666)
    except FileExistsError:
        os.unlink(path)
        fd = os.open(path, _CREATE, 0o666)
    write_all(fd, data)


def rewrite_file(path: str | Path, data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` (or its parts) at ``path``: over the bytes of the file there when no other
    path links it (no other folder has a copy to keep), else as ``replace_file`` does.

    Why: the file system keeps the file's blocks, where making a new inode, or truncating the old
    one to nothing first, frees them and allocates others (and ext4 then forces the new blocks out
    when the file is closed).  65,536 files of about 2 KB, as the routing table's shards: written
    over in 0.42-0.44 s, truncated first 6.5-7.2 s, replaced 5.1-5.6 s (docs/benchmarks.md,
    session 23).  A symbolic link is replaced, never written through.  FileNotFoundError where
    the folder is not there, before any of ``data`` is taken.
    """
    try:
        fd = os.open(path, _REWRITE, 0o666)
    except FileNotFoundError:
        raise
    except OSError:  # ELOOP: a symbolic link
        replace_file(path, data)
        return
    try:
        stat = os.fstat(fd)
        alone = stat.st_nlink == 1 and S_ISREG(stat.st_mode)
        if alone:
            size = _write_parts(fd, data)
            if stat.st_size > size:
                os.ftruncate(fd, size)
    finally:
        os.close(fd)
    if not alone:
        replace_file(path, data)


def write_all(fd: int, data: bytes | Iterable[bytes]) -> None:
    """Write ``data``, or each of its parts in turn, to the open file ``fd`` and close it: os.write,
    as a file object costs as much again, and a build writes some 10^5 files."""
    try:
        _write_parts(fd, data)
    finally:
        os.close(fd)


def _write_parts(fd: int, data: bytes | Iterable[bytes]) -> int:
    """Write ``data`` or its parts at ``fd``'s offset; returns how many bytes."""
    size = 0
    for part in (data,) if isinstance(data, bytes) else data:
        view = memoryview(part)
        size += len(view)
        while view:
            view = view[os.write(fd, view) :]
    return size


def link_file(source: str, target: str) -> None:
    """Hard-link ``source`` at ``target``, unlinking whatever ``target`` was."""
    try:
        os.link(source, target)
    except FileExistsError:
        os.unlink(target)
        os.link(source, target)


def link_files(source: Path, target: Path, relatives: Iterable[str]) -> int:
    """Hard-link each of ``relatives`` from ``source`` at the same path under ``target``, making
    folders as needed; returns how many were linked.  A file missing under ``source`` or already
    at ``target`` is left as it is: the caller may be writing ``target`` meanwhile, and what it
    writes is newer.

    Why: a build without a spare starts from an empty folder, and making some 150,000 folders and
    linking 250,000 unchanged files there took its render workers about 8 s of CPU at 10^5
    records, mostly in the kernel (docs/benchmarks.md, session 15).  Done in a process of its own
    beside the build's first steps, the same work uses the core those steps leave idle.
    """
    linked = 0
    for relative in relatives:
        existing, path = f"{source}/{relative}", f"{target}/{relative}"
        try:
            os.link(existing, path)
        except FileExistsError:
            continue
        except FileNotFoundError:  # the folder is not there yet, or the file is gone
            if not os.path.exists(existing):
                continue  # no folder is made for it: it would stay empty
            os.makedirs(os.path.dirname(path), exist_ok=True)
            try:
                os.link(existing, path)
            except FileExistsError:
                continue
        linked += 1
    return linked


def mirror_tree(source: Path, target: Path) -> int:
    """Make ``target`` hold what ``source`` holds, each file a hard link to ``source``'s; returns
    how many files were linked.  A file already at ``target`` under the same name as the same
    inode stays, everything else there is unlinked or removed: no file there is written into.

    Why not link every file anew: a weekly build reuses some 40 search bundles of the previous
    site where the spare holds an older version of each, which shares nine files in ten with it
    (all but the index chunks and the changed pages'): at 10^5 records 1,240 links and as many
    unlinks instead of 15,250 links, 0.05 s against 0.26 s on their own (docs/benchmarks.md,
    session 31).  Files are compared by name and by the inode their folder lists, with no stat.
    A symbolic link is replaced, never followed (a spare changed by hand).
    """
    if target.is_symlink():
        target.unlink()
    linked = 0
    for folder, folders, files in os.walk(source):
        mirror = target / os.path.relpath(folder, source)
        try:
            there = list(os.scandir(mirror))
        except FileNotFoundError:
            mirror.mkdir(parents=True)
            there = []
        wanted = {entry.name: entry.inode() for entry in os.scandir(folder) if entry.name in files}
        for entry in there:
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in folders:
                    shutil.rmtree(entry.path)
            elif wanted.get(entry.name) == entry.inode():
                del wanted[entry.name]
            else:
                os.unlink(entry.path)
        for name in wanted:
            os.link(f"{folder}/{name}", f"{mirror}/{name}")
            linked += 1
    return linked


@dataclass(frozen=True)
class Unchanged:
    """What a listing may pass over: a folder two levels down, under one of ``tops``, with no
    subfolder (a link count of 2) and an inode unchanged (ctime) since ``since_ns``, the end of the
    build that made the tree.  Its files are then exactly those that build left there, which its
    state lists: under ``tops`` a build writes no file without a key.

    Why: a spare's 146,000 such folders took eight processes 1.3 s to list, and the states step
    waited for them; a stat costs a third of a listing or less (session 27).  The ctime, not the
    modification time: no file operation sets it back, and a file added, removed or renamed in the
    folder changes it.
    """

    since_ns: int
    tops: frozenset[str]

    def passes(self, path: str, folder: str) -> bool:
        if folder.split("/", 1)[0] not in self.tops:
            return False
        try:
            stat = os.lstat(path)
        except OSError:
            return False
        return S_ISDIR(stat.st_mode) and stat.st_nlink == 2 and stat.st_ctime_ns <= self.since_ns

    def touched(self, path: str, folder: str, names: Iterable[str]) -> list[str]:
        """Of the files ``names`` in a folder passed over, those whose inode changed (ctime) since
        ``since_ns``: written in place, or only linked or unlinked elsewhere (a later build's
        links to them change it too), and so not known unchanged.  A name the folder lacks is not
        there: it was not when the build ended either, as the folder has not changed."""
        changed = []
        for name in names:
            try:
                if os.lstat(f"{path}/{name}").st_ctime_ns > self.since_ns:
                    changed.append(f"{folder}/{name}")
            except FileNotFoundError:
                continue
        return changed


@dataclass(frozen=True)
class Vouched:
    """Files of a listed tree known to be as its build left them without a stat of their own: the
    files named ``names`` in the ``folders`` a listing passed over (``Unchanged``), but for those
    ``touched`` since.  A build checks the rest by their size and modification time."""

    names: frozenset[str] = frozenset()
    folders: frozenset[str] = frozenset()
    touched: frozenset[str] = frozenset()

    def __contains__(self, relative: object) -> bool:
        if not isinstance(relative, str):
            return False
        folder, _, name = relative.rpartition("/")
        return name in self.names and folder in self.folders and relative not in self.touched


class TreeListing(StoppedOnExit):
    """Every file (symlinks included) and every folder under ``root``, as relative paths, in no
    particular order, listed in forked processes while the caller goes on; ``result()`` gives
    them.  Top-level entries named in ``skip`` are left out.

    The folders two levels down (a record's, an entity's: nearly all of them) are dealt out to
    ``processes`` forked workers.  For the spare of a 10^5-record site (247,000 files, 146,000
    folders; docs/benchmarks.md, session 13): cached, one thread took 1.0 s, the four
    threads used until session 13 4.1-5.5 s (they took turns for the interpreter), eight
    processes 1.3 s; with the page cache dropped, one thread 7.8 s, four threads 5.5 s, eight
    processes 3.3 s.  Use it as a context manager, or ``stop()`` it on giving up.
    """

    def __init__(
        self,
        root: Path,
        *,
        skip: frozenset[str] = frozenset(),
        processes: int = LISTING_PROCESSES,
        unchanged: Unchanged | None = None,
        vouch: frozenset[str] = frozenset(),
    ):
        self._vouch = vouch
        self._files, self._folders, deeper = _walk(str(root), [""], skip, depth=2)
        caller = os.getpid()

        def share(start: int, stop: int) -> tuple[list[str], list[str], list[str], list[str]]:
            # A forked lister, not the caller listing a small tree itself; never made less nice
            # (which only a privileged process may do).
            if os.getpid() != caller and os.getpriority(os.PRIO_PROCESS, 0) < LISTING_NICENESS:
                os.setpriority(os.PRIO_PROCESS, 0, LISTING_NICENESS)
            return _walk_changed(str(root), deeper[start:stop], unchanged, vouch)

        self._shares = SharesBeside(len(deeper), processes, share, at_least=LISTING_FORK_AT)
        self.vouched = Vouched()  # filled in by result()

    def result(self) -> tuple[list[str], list[str]]:
        """The files and folders, but for what ``unchanged`` passed over: neither the folders nor
        their files.  Of those files, the ones named in ``vouch`` are then in ``vouched`` unless
        their own ctime says they changed: the listers check them while the caller is busy, where
        the build's reuse check would stat each of them later (some 230,000 at 10^5 records)."""
        files, folders, passed_lists, touched = list(self._files), list(self._folders), [], []
        for share_files, share_folders, share_passed, share_touched in self._shares.result():
            files += share_files
            folders += share_folders
            passed_lists += share_passed
            touched += share_touched
        passed = frozenset(passed_lists)  # one set, for the filter and for ``vouched``
        if passed:
            folders = [folder for folder in folders if folder not in passed]
        self.vouched = Vouched(self._vouch, passed, frozenset(touched))
        return files, folders

    def stop(self) -> None:
        self._shares.stop()


def _walk_changed(
    root: str, folders: list[str], unchanged: Unchanged | None, vouch: frozenset[str]
) -> tuple[list[str], list[str], list[str], list[str]]:
    """``_walk`` of the ``folders`` that ``unchanged`` does not pass over; returns their files,
    the folders below them, the folders passed over, and the files named in ``vouch`` there
    that changed since (``Unchanged.touched``)."""
    changed: list[str] = []
    passed: list[str] = []
    touched: list[str] = []
    for folder in folders:
        path = f"{root}/{folder}"
        if unchanged is not None and unchanged.passes(path, folder):
            passed.append(folder)
            touched += unchanged.touched(path, folder, vouch)
        else:
            changed.append(folder)
    files, found, _ = _walk(root, changed)
    return files, found, passed, touched


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


def list_files(root: Path) -> list[str]:
    """Every file (symlinks included) under ``root``, relative to it, in no particular order."""
    return _walk(str(root), [""])[0]


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


@functools.cache
def libc_syncfs() -> Callable[[int], int] | None:
    """libc's syncfs(2), or None where it has none."""
    return getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)


def sync_filesystem(root: Path) -> None:
    """Flush everything written under ``root`` (before a swap or a rename makes it visible).

    One syncfs(2) on the filesystem costs far less than an fsync per file (tens of thousands
    of them); where syncfs is missing, sync(2) does the same for every filesystem.
    """
    syncfs = libc_syncfs()
    fd = os.open(root, os.O_RDONLY)
    try:
        if syncfs is None or syncfs(fd) != 0:
            os.sync()
    finally:
        os.close(fd)
