"""Forked work: shares of a range, a task run beside the caller, tasks handed over as they come."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from disclosure._internal.forks import (
    Beside,
    Primed,
    SharesBeside,
    TaskPool,
    WorkerLost,
    balanced_shares,
    collector_paused,
    split_over_forks,
)


def wait_for(path: Path) -> None:
    """Until the forked task has written ``path`` (it started), for 30 s at most."""
    deadline = time.monotonic() + 30
    while not path.exists():
        assert time.monotonic() < deadline, "the task did not start"
        time.sleep(0.01)


def test_split_over_forks_covers_the_range_once_in_other_processes(tmp_path: Path) -> None:
    def task(start: int, stop: int) -> str:
        (tmp_path / f"{start}-{stop}").write_text(str(os.getpid()))
        return f"{start}-{stop}"

    assert split_over_forks(10, 2, task) == ["0-5", "5-10"]  # what each share returned, in order
    shares = sorted(tmp_path.iterdir(), key=lambda p: int(p.name.split("-")[0]))
    assert [p.name for p in shares] == ["0-5", "5-10"]
    assert str(os.getpid()) not in {p.read_text() for p in shares}  # (a pool may give both to one child)


def test_more_shares_than_workers_go_to_whichever_worker_is_free() -> None:
    def task(start: int, stop: int) -> tuple[int, int, int]:
        if start == 0:
            time.sleep(1.0)  # one slow share: the other worker takes every other one meanwhile
        return start, stop, os.getpid()

    results = split_over_forks(80, 2, task, shares=40)
    assert [(start, stop) for start, stop, _ in results] == [(2 * i, 2 * i + 2) for i in range(40)]
    slow = results[0][2]
    assert [pid for _, _, pid in results[1:]].count(slow) == 0
    assert split_over_forks(80, 1, task, shares=40) == [(0, 80, os.getpid())]  # one worker: here, whole


def test_a_task_beside_runs_in_another_process_while_the_caller_works(tmp_path: Path) -> None:
    started = tmp_path / "started"

    def task() -> tuple[int, list[str]]:
        started.write_text("")
        return os.getpid(), ["结果", "result"]

    with Beside(task) as routing:
        wait_for(started)  # the child runs before anyone asks for its result
        pid, value = routing.result()
        assert routing.result() == (pid, value)  # asked again: the same result, not another run
    assert pid != os.getpid() and value == ["结果", "result"]


def test_a_failing_task_beside_raises_in_the_caller() -> None:
    def task() -> None:
        raise ValueError("路由表写不出来")

    with pytest.raises(ValueError, match="路由表"), Beside(task) as routing:
        routing.result()


def test_a_task_beside_is_stopped_when_the_caller_fails(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"

    def task() -> None:
        # Whole or not at all: killed between creating the file and writing it, the child would
        # leave an empty file for the test to read.
        pid_file.with_suffix(".part").write_text(str(os.getpid()))
        pid_file.with_suffix(".part").rename(pid_file)
        time.sleep(60)

    with pytest.raises(RuntimeError, match="caller"), Beside(task):
        wait_for(pid_file)
        raise RuntimeError("the caller failed")
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # joined and reaped: no such process any more
        os.kill(pid, 0)
    # Held without a block, it is stopped by whoever started it.
    pid_file.unlink()
    routing = Beside(task)
    wait_for(pid_file)
    routing.stop()
    routing.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


def test_a_primed_task_prepares_before_it_is_given_its_argument(tmp_path: Path) -> None:
    """The preparation runs at once in the child; a large argument given meanwhile does not wait
    for it (it is read beside the preparation), and the task gets both."""
    prepared, go = tmp_path / "prepared", tmp_path / "go"

    def prepare() -> int:
        prepared.write_text(str(os.getpid()))
        deadline = time.monotonic() + 20
        while not go.exists():  # made only once give() has returned
            if time.monotonic() > deadline:
                raise TimeoutError("give() waited for the preparation")
            time.sleep(0.01)
        return os.getpid()

    def task(pid: int, argument: list[str]) -> tuple[int, int, str]:
        return pid, len(argument), argument[-1]

    argument = [f"摘要{n}" * 30 for n in range(20_000)] + ["最后"]  # 4 MB pickled: beyond a pipe's buffer
    with Primed(prepare, task) as routing:
        wait_for(prepared)  # before any argument: the preparation runs on its own
        routing.give(argument)
        go.write_text("")
        pid, count, last = routing.result()
    assert pid == int(prepared.read_text()) != os.getpid()
    assert (count, last) == (20_001, "最后")


def test_a_primed_task_reports_a_failure_of_either_part() -> None:
    def failing_prepare() -> int:
        raise ValueError("路由缓存读不出来")

    def task(prepared: int, argument: int) -> int:
        if argument < 0:
            raise ArithmeticError("负数")
        return prepared + argument

    with pytest.raises(ValueError, match="路由缓存"), Primed(failing_prepare, task) as routing:
        time.sleep(0.2)  # the child has failed and ended: giving must not raise
        routing.give(1)
        routing.result()
    with pytest.raises(ArithmeticError, match="负数"), Primed(lambda: 1, task) as routing:
        routing.give(-1)
        routing.result()
    with Primed(lambda: 1, task) as routing:
        routing.give(41)
        assert routing.result() == 42


def test_a_primed_task_never_given_its_argument_ends_when_stopped(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"

    def prepare() -> None:
        pid_file.with_suffix(".part").write_text(str(os.getpid()))
        pid_file.with_suffix(".part").rename(pid_file)

    routing: Primed[None, int, int] = Primed(prepare, lambda _prepared, argument: argument)
    wait_for(pid_file)
    routing.stop()
    routing.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


def test_without_fork_a_primed_task_runs_here_when_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("multiprocessing.get_all_start_methods", lambda: ["spawn"])
    calls: list[str] = []

    def prepare() -> int:
        calls.append("prepare")
        return os.getpid()

    routing: Primed[int, str, tuple[int, str]] = Primed(prepare, lambda pid, argument: (pid, argument))
    assert calls == []  # nothing runs before the argument is there
    routing.give("计划")
    assert routing.result() == (os.getpid(), "计划") and calls == ["prepare"]
    routing.stop()


def test_shares_beside_run_while_the_caller_works_and_come_back_in_order(tmp_path: Path) -> None:
    def task(start: int, stop: int) -> tuple[int, int, int]:
        (tmp_path / f"{start}").write_text("")
        return start, stop, os.getpid()

    with SharesBeside(9, 3, task) as shares:
        for start in (0, 3, 6):
            wait_for(tmp_path / f"{start}")  # every share ran before anyone asked for the results
        results = shares.result()
    assert [(start, stop) for start, stop, _ in results] == [(0, 3), (3, 6), (6, 9)]
    assert os.getpid() not in {pid for _, _, pid in results}
    assert SharesBeside(1, 3, task).result() == [(0, 1, os.getpid())]  # too little to fork: here


def test_a_failing_share_raises_in_the_caller_and_stopping_reaps_the_workers(tmp_path: Path) -> None:
    def task(start: int, stop: int) -> None:
        if start == 0:
            raise ValueError("列不出文件夹")
        (tmp_path / f"{os.getpid()}").write_text("")
        if start > 1:
            time.sleep(60)

    with pytest.raises(ValueError, match="列不出"):  # once every share has ended
        SharesBeside(2, 2, task).result()
    shares = SharesBeside(2, 2, lambda start, stop: task(start + 2, stop))
    deadline = time.monotonic() + 30
    while len(list(tmp_path.iterdir())) < 3:
        assert time.monotonic() < deadline, "the shares did not start"
        time.sleep(0.01)
    shares.stop()
    for pid_file in tmp_path.iterdir():
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid_file.name), 0)


def test_a_caller_that_takes_part_runs_shares_itself_beside_one_worker_fewer() -> None:
    """A full build's flush: the main process renders shares too, where it only waited, so that
    one process fewer copies its heap (docs/benchmarks.md, session 33)."""

    def task(start: int, stop: int) -> tuple[int, int, int, bool]:
        time.sleep(0.02)  # long enough that neither side takes every share before the other starts
        return start, stop, os.getpid(), gc.isenabled()

    with collector_paused():
        with SharesBeside(40, 2, task, shares=20, caller_takes_part=True) as shares:
            results: list[tuple[int, int, int, bool]] = []
            assert _raised_within(lambda: results.extend(shares.result()), 30) is None
        assert not gc.isenabled()  # the caller's collector is off again after its shares
    assert [(start, stop) for start, stop, _, _ in results] == [(2 * i, 2 * i + 2) for i in range(20)]
    pids = {pid for _, _, pid, _ in results}
    assert os.getpid() in pids and len(pids) == 2  # the caller and one forked worker, no more
    assert all(collecting for _, _, _, collecting in results)  # Jinja's cycles are collected in both
    # One worker in all: the caller runs everything, at once, as without taking part.
    assert SharesBeside(4, 1, task, shares=4, caller_takes_part=True).result() == [(0, 4, os.getpid(), True)]


def test_a_caller_that_takes_part_raises_its_own_failure_and_reaps_the_worker(tmp_path: Path) -> None:
    def task(start: int, stop: int) -> None:
        if os.getpid() == caller:
            while not any(tmp_path.iterdir()):  # the worker is in its share
                time.sleep(0.01)
            raise ValueError("渲染失败")
        (tmp_path / f"{os.getpid()}").write_text("")
        time.sleep(60)

    caller = os.getpid()
    shares = SharesBeside(8, 2, task, shares=8, caller_takes_part=True)
    raised = _raised_within(shares.result, 30)  # at once, not after the worker's 60 s
    assert isinstance(raised, ValueError) and "渲染失败" in str(raised)
    [pid_file] = tmp_path.iterdir()
    with pytest.raises(ProcessLookupError):  # killed and reaped
        os.kill(int(pid_file.name), 0)


def test_a_worker_beside_a_caller_that_takes_part_killed_fails_the_wait() -> None:
    def share(start: int, stop: int) -> int:
        if os.getpid() != caller:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.05)
        return start

    caller = os.getpid()
    lost = _raised_within(SharesBeside(8, 2, share, shares=8, caller_takes_part=True).result, 30)
    assert isinstance(lost, WorkerLost) and "killed by SIGKILL" in str(lost)


def test_balanced_shares_deal_the_costliest_first_to_the_least_loaded_share() -> None:
    costs = [1.0] * 40 + [30.0, 30.0, 5.0]
    shares = balanced_shares(list(enumerate(costs)), 2, cost=lambda item: item[1])
    assert sorted(item for share in shares for item in share) == list(enumerate(costs))  # each once
    loads = [sum(c for _, c in share) for share in shares]
    assert sorted(loads) == [52.0, 53.0]
    assert [sum(index in (40, 41) for index, _ in share) for share in shares] == [1, 1]  # big ones apart
    assert balanced_shares([], 3, cost=float) == [[], [], []]


def test_a_task_pool_runs_tasks_handed_over_later_and_returns_them_in_order(tmp_path: Path) -> None:
    def task(name: str) -> tuple[str, int]:
        (tmp_path / name).write_text("")
        return name, os.getpid()

    with TaskPool(2, task) as pool:
        pool.submit("甲")
        wait_for(tmp_path / "甲")  # running before the rest is handed over
        for name in ("乙", "丙", "丁"):
            pool.submit(name)
        results = pool.results()
    assert [name for name, _ in results] == ["甲", "乙", "丙", "丁"]
    assert os.getpid() not in {pid for _, pid in results}
    inline = TaskPool(1, task)
    inline.submit("戊")
    assert (tmp_path / "戊").exists()  # one worker: run here, as it is handed over
    assert inline.results() == [("戊", os.getpid())]


def test_a_failing_task_in_a_pool_raises_in_the_caller_and_stops_the_workers(tmp_path: Path) -> None:
    def task(number: int) -> None:
        if number == 0:
            raise ValueError("写不出索引")
        (tmp_path / f"{os.getpid()}").write_text("")
        time.sleep(60)

    pool = TaskPool(2, task)
    for number in (1, 0):
        pool.submit(number)
    with pytest.raises(ValueError, match="写不出索引"):
        pool.results()
    for pid_file in tmp_path.iterdir():
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid_file.name), 0)


def _raised_within(wait: Callable[[], object], seconds: float) -> BaseException | None:
    """What ``wait()`` raised, run in a thread so that a wait that never ends fails the test."""
    raised: list[BaseException | None] = []

    def run() -> None:
        try:
            wait()
            raised.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            raised.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert raised, f"still waiting after {seconds} s for work a dead worker held"
    return raised[0]


def test_a_worker_killed_while_it_works_fails_the_wait_instead_of_hanging_it() -> None:
    """The out-of-memory killer ended a full build's flush workers at 10^6 records; the Pool forked
    others in their place and the build waited for ever."""

    def share(start: int, stop: int) -> int:
        if start == 0:
            os.kill(os.getpid(), signal.SIGKILL)
        return start

    def task(number: int) -> int:
        if number == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        return number

    shares = SharesBeside(4, 2, share, shares=4)
    lost = _raised_within(shares.result, 30)
    assert isinstance(lost, WorkerLost) and "killed by SIGKILL" in str(lost)
    pool = TaskPool(2, task)
    for number in range(4):
        pool.submit(number)
    lost = _raised_within(pool.results, 30)
    assert isinstance(lost, WorkerLost) and "killed by SIGKILL" in str(lost)
    # ...while workers that live return their work (the check can pass).
    assert SharesBeside(4, 2, lambda start, stop: start, shares=4).result() == [0, 1, 2, 3]


def test_forked_workers_die_with_the_process_that_forked_them(tmp_path: Path) -> None:
    """A build killed outright (``kill -9``) must not leave its workers, or a command it started as
    Pagefind is started (``module_dying_with_this_process``), writing into its folders."""
    pids = tmp_path / "pids"
    script = f"""
import multiprocessing, subprocess, time
from disclosure._internal.forks import Beside, SharesBeside, TaskPool, module_dying_with_this_process
beside = Beside(lambda: time.sleep(60))
shares = SharesBeside(2, 2, lambda start, stop: time.sleep(60))
pool = TaskPool(2, time.sleep)
pool.submit(60)
server = subprocess.Popen(
    module_dying_with_this_process("http.server", ["0", "--bind", "127.0.0.1"]),
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
time.sleep(1)
started = [p.pid for p in multiprocessing.active_children()] + [server.pid]
open({str(pids)!r}, "w").write(" ".join(map(str, started)))
time.sleep(60)
"""
    parent = subprocess.Popen([sys.executable, "-c", script])
    wait_for(pids)
    time.sleep(0.1)  # the file written whole
    children = [int(pid) for pid in pids.read_text().split()]
    assert len(children) == 6 and all(map(_running, children))
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while (alive := [pid for pid in children if _running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive == []


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, ended but not yet reaped, does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def _collector_in_child(made: int) -> str:
    """How a child forked now finds the collector: on or off, and whether all the ``made``
    objects it inherits are out of its reach (frozen)."""

    def task(_start: int, _stop: int) -> str:
        return f"{gc.isenabled()} {gc.get_freeze_count() >= made}"

    (answer,) = SharesBeside(1, 2, task, at_least=1, shares=1).result()
    return answer


def test_the_collector_is_paused_here_and_back_in_children_forked_meanwhile() -> None:
    assert gc.isenabled()  # as pytest runs the test
    gc.collect()
    frozen_before = gc.get_freeze_count()
    with collector_paused():
        assert not gc.isenabled()
        kept = [[number] for number in range(50_000)]  # tracked objects, made while paused
        # A forked worker collects again, over what it makes itself: what it inherits is frozen.
        assert _collector_in_child(len(kept)) == "True True"
        assert not gc.isenabled()  # the fork left this process as it was
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen_before  # nothing left frozen here
    oldest = {id(held) for held in gc.get_objects(generation=2)}
    assert id(kept[0]) in oldest and id(kept[-1]) in oldest  # the block's objects are not young
    assert _collector_in_child(len(kept)) == "True False"  # a later fork: nothing frozen for it
    del kept


def test_a_paused_collector_stays_off_where_it_was_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
