from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.runtime.config import Hook
from dockyard.runtime.hooks import run_hook
from dockyard.runtime.state import State, Status, Store, proc_start_time


def _state(cid: str, pid: int) -> State:
    return State(
        id=cid,
        bundle="/b",
        rootfs="/b/rootfs",
        pid=pid,
        pid_start=proc_start_time(pid) or 0,
        created="2026-01-01T00:00:00Z",
        cgroups_path="",
    )


def test_store_reserves_ids_once_and_validates_them(tmp_path: Path) -> None:
    store = Store(str(tmp_path))
    store.reserve("abc")
    with pytest.raises(errdefs.AlreadyExists):
        store.reserve("abc")
    for bad in ("", "..", "a/b", "x y"):
        with pytest.raises(errdefs.InvalidArgument):
            store.reserve(bad)


def test_status_is_derived_from_the_process_and_the_fifo(tmp_path: Path) -> None:
    store = Store(str(tmp_path))
    store.reserve("c1")
    state = _state("c1", os.getpid())
    store.save(state)
    assert store.load("c1") == state
    assert store.status(state) == Status.RUNNING
    assert store.status(state, frozen=True) == Status.PAUSED
    os.mkfifo(store.fifo("c1"))
    assert store.status(state) == Status.CREATED
    recycled = _state("c1", os.getpid())
    recycled.pid_start += 1  # same pid, another process: must not count as ours
    assert store.status(recycled) == Status.STOPPED
    assert state.public(Status.STOPPED)["pid"] == 0
    store.remove("c1")
    with pytest.raises(errdefs.NotFound):
        store.load("c1")


def test_hook_gets_state_on_stdin(tmp_path: Path) -> None:
    out = tmp_path / "out"
    hook = Hook(path="/bin/sh", args=("sh", "-c", f"cat > {out}"))
    run_hook("prestart", hook, {"id": "x", "status": "creating"})
    assert '"status": "creating"' in out.read_text()


def test_failing_and_slow_hooks_fail_with_the_hook_named() -> None:
    with pytest.raises(
        errdefs.InvalidArgument, match=r"prestart hook /bin/sh failed with status 3"
    ):
        run_hook("prestart", Hook(path="/bin/sh", args=("sh", "-c", "exit 3")), {})
    slow = Hook(path="/bin/sh", args=("sh", "-c", "sleep 5"), timeout=1)
    with pytest.raises(errdefs.InvalidArgument, match="timeout of 1s"):
        run_hook("createRuntime", slow, {})
