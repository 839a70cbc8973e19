"""The cgroup manager on this host's real cgroupfs: create, limit, freeze, mount, destroy.

Every test works in its own /dockyard-test-<uuid> cgroup and removes it (and asserts that it
is gone) even when the test fails. Processes are `sleep` children of the test, killed by pid.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dockyard import errdefs
from dockyard.runtime import syscalls as sc
from dockyard.runtime.cgroups import Hierarchies, files, new_manager

pytestmark = [pytest.mark.root, pytest.mark.integration]

if TYPE_CHECKING:
    from dockyard.runtime.cgroups.manager import Manager


RO = sc.MS_RDONLY | sc.MS_NOSUID | sc.MS_NODEV | sc.MS_NOEXEC
MiB = 1 << 20


@pytest.fixture
def manager() -> Iterator[Manager]:
    m = new_manager(cgroups_path=f"/dockyard-test-{uuid.uuid4().hex[:12]}", container_id="t")
    try:
        yield m
    finally:
        dirs = set(m.paths().values())
        try:
            m.destroy()
        finally:
            for d in dirs:  # belt and braces: never leave a test cgroup behind
                files.remove_tree(d)
        assert not [d for d in dirs if os.path.exists(d)]


@pytest.fixture
def sleeper(manager: Manager) -> Iterator[subprocess.Popen[bytes]]:
    """A `sleep` child; torn down before `manager`, thawed first so SIGKILL can land."""
    proc = subprocess.Popen(["sleep", "60"])
    try:
        yield proc
    finally:
        try:
            manager.thaw()
        except errdefs.DockyardError:
            pass
        proc.kill()
        proc.wait(timeout=10)


def _task_state(pid: int) -> str:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0]


def test_relative_paths_resolve_under_our_own_cgroups() -> None:
    h = Hierarchies.discover()
    m = new_manager(cgroups_path="", container_id="dockyard-rel")
    memory = h.find("memory")
    assert memory is not None
    assert m.paths()["memory"] == os.path.join(memory.own_dir(), "dockyard-rel")


def test_create_add_set_and_read_back(manager: Manager, sleeper: subprocess.Popen[bytes]) -> None:
    manager.create()
    assert manager.exists()
    manager.add(sleeper.pid)
    manager.set(
        {
            "memory": {"limit": 64 * MiB},
            "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"},
            "pids": {"limit": 10},
            "devices": [
                {"allow": False, "access": "rwm"},
                {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rw"},
            ],
        }
    )
    p = manager.paths()
    assert files.read(p["memory"], "memory.limit_in_bytes") == str(64 * MiB)
    assert files.read(p["cpu"], "cpu.shares") == "512"
    assert files.read(p["cpu"], "cpu.cfs_quota_us") == "50000"
    assert files.read(p["cpu"], "cpu.cfs_period_us") == "100000"
    assert files.read(p["cpuset"], "cpuset.cpus") == "0"
    assert files.read(p["pids"], "pids.max") == "10"
    devices = files.read(p["devices"], "devices.list").splitlines()
    assert "a *:* rwm" not in devices
    assert {"c 1:3 rwm", "c 136:* rwm", "c *:* m"} <= set(devices)  # spec rule + defaults
    assert os.sched_getaffinity(sleeper.pid) == {0}
    assert manager.pids() == [sleeper.pid]
    own = Path(f"/proc/{sleeper.pid}/cgroup").read_text()
    assert f"memory:/{os.path.basename(p['memory'])}" in own


def test_freeze_and_thaw(manager: Manager, sleeper: subprocess.Popen[bytes]) -> None:
    manager.create()
    manager.add(sleeper.pid)
    manager.freeze()
    assert files.read(manager.paths()["freezer"], "freezer.state") == "FROZEN"
    assert manager.frozen()
    # Frozen tasks sleep uninterruptibly ('D' since Linux 6.1's TASK_FROZEN; older: 'D'/'T').
    assert _task_state(sleeper.pid) in ("D", "T")
    manager.thaw()
    assert files.read(manager.paths()["freezer"], "freezer.state") == "THAWED"
    assert not manager.frozen()
    assert _task_state(sleeper.pid) == "S"


def test_bad_values_are_clear_errors_and_destroy_still_cleans_up(manager: Manager) -> None:
    manager.create()
    with pytest.raises(
        errdefs.InvalidArgument, match=r"memory\.limit: expected an integer, got 'abc'"
    ):
        manager.set({"memory": {"limit": "abc"}})
    with pytest.raises(errdefs.InvalidArgument) as exc:
        manager.set({"cpu": {"cpus": "99"}})
    path = os.path.join(manager.paths()["cpuset"], "cpuset.cpus")
    assert str(exc.value) == f"failed to write 99 to {path}: Numerical result out of range"
    # the fixture asserts destroy() removed every directory


def _in_new_mount_ns(work: Callable[[], object]) -> object:
    """Run `work` in a forked child with a private mount namespace; return its result."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            os.close(r)
            sc.unshare(sc.CLONE_NEWNS)
            sc.mount(None, "/", None, sc.MS_REC | sc.MS_SLAVE, None)
            os.write(w, json.dumps({"ok": work()}).encode())
            code = 0
        except BaseException as err:
            os.write(w, json.dumps({"error": repr(err)}).encode())
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        out = json.loads(f.read() or b"{}")
    os.waitpid(pid, 0)
    assert "error" not in out, out.get("error")
    return out["ok"]


def _writable(path: Path) -> bool:
    try:
        path.write_text("1")
    except OSError:
        return False
    return True


def test_mount_binds_the_container_cgroups_read_only(manager: Manager, tmp_path: Path) -> None:
    manager.create()
    manager.set({"memory": {"limit": 64 * MiB}})
    dest = tmp_path / "sys-fs-cgroup"
    dest.mkdir()

    def work() -> object:
        manager.mount(str(dest), flags=RO, cgroupns=False)
        return {
            "names": sorted(os.listdir(dest)),
            "limit": (dest / "memory" / "memory.limit_in_bytes").read_text().strip(),
            "limit_writable": _writable(dest / "memory" / "memory.limit_in_bytes"),
            "tmpfs_writable": _writable(dest / "new-file"),
        }

    got = _in_new_mount_ns(work)
    assert isinstance(got, dict)
    assert got["names"] == sorted(h.name for h in Hierarchies.discover().v1)  # cpu, systemd...
    assert got["limit"] == str(64 * MiB)  # the container's own cgroup, not the host root
    assert not got["limit_writable"]
    assert got["tmpfs_writable"]  # like runc: only the hierarchies in the tmpfs get the flags
    assert os.listdir(dest) == []  # the mounts stayed in the child's namespace


def test_mount_with_cgroupns_shows_the_container_cgroup_as_root(
    manager: Manager, tmp_path: Path
) -> None:
    manager.create()
    manager.set({"pids": {"limit": 7}})
    dest = tmp_path / "cg"
    dest.mkdir()

    def work() -> object:
        # As the runtime does: move into the cgroup first, then unshare the cgroup namespace,
        # whose root is the cgroup we are in at that moment.
        manager.add(os.getpid())
        sc.unshare(sc.CLONE_NEWCGROUP)
        manager.mount(str(dest), flags=RO, cgroupns=True)
        own = dict(line.split(":", 2)[1:] for line in Path("/proc/self/cgroup").read_text().split())
        return {
            "pids_max": (dest / "pids" / "pids.max").read_text().strip(),
            "procs": (dest / "pids" / "cgroup.procs").read_text().split(),
            "own_pids_cgroup": own["pids"],
        }

    got = _in_new_mount_ns(work)
    assert isinstance(got, dict)
    assert got["pids_max"] == "7"  # the hierarchy root has no pids.max: this is the container's
    assert got["own_pids_cgroup"] == "/"
    assert len(got["procs"]) == 1
