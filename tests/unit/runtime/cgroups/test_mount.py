"""The container's cgroup mount, with mount(2) recorded instead of called."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.runtime import syscalls as sc
from dockyard.runtime.cgroups.mount import V1Bind, mount_v1, mount_v2

DEFAULT = sc.MS_NOSUID | sc.MS_NODEV | sc.MS_NOEXEC
RO = sc.MS_RDONLY | DEFAULT

Call = tuple[str | None, str, str | None, int, str | None]


class Recorder:
    """Stands in for syscalls.mount; can fail one fstype with an errno."""

    def __init__(self, fail: tuple[str, int] | None = None) -> None:
        self.calls: list[Call] = []
        self.fail = fail

    def __call__(
        self, source: str | None, target: str, fstype: str | None, flags: int, data: str | None
    ) -> None:
        if self.fail and fstype == self.fail[0]:
            raise OSError(self.fail[1], "refused")
        self.calls.append((source, target, fstype, flags, data))


BINDS = [
    V1Bind("cpu,cpuacct", ("cpu", "cpuacct"), "/sys/fs/cgroup/cpu,cpuacct/c1"),
    V1Bind("memory", ("memory",), "/sys/fs/cgroup/memory/c1"),
    V1Bind("systemd", ("name=systemd",), "/sys/fs/cgroup/systemd/c1"),
]


def test_v1_without_cgroupns_binds_the_container_cgroups_read_only(tmp_path: Path) -> None:
    rec = Recorder()
    dest = str(tmp_path)
    mount_v1(dest, BINDS, flags=RO | sc.MS_REC, cgroupns=False, sys_mount=rec)
    assert rec.calls == [
        ("tmpfs", dest, "tmpfs", DEFAULT, "mode=755"),
        (
            "/sys/fs/cgroup/cpu,cpuacct/c1",
            f"{dest}/cpu,cpuacct",
            None,
            sc.MS_BIND | sc.MS_REC,
            None,
        ),
        (None, f"{dest}/cpu,cpuacct", None, sc.MS_BIND | sc.MS_REMOUNT | RO, None),
        ("/sys/fs/cgroup/memory/c1", f"{dest}/memory", None, sc.MS_BIND | sc.MS_REC, None),
        (None, f"{dest}/memory", None, sc.MS_BIND | sc.MS_REMOUNT | RO, None),
        ("/sys/fs/cgroup/systemd/c1", f"{dest}/systemd", None, sc.MS_BIND | sc.MS_REC, None),
        (None, f"{dest}/systemd", None, sc.MS_BIND | sc.MS_REMOUNT | RO, None),
    ]  # the tmpfs itself stays read-write, as runc leaves it
    # Co-mounted controllers get links, as on the host.
    assert (tmp_path / "cpu").readlink() == Path("cpu,cpuacct")
    assert (tmp_path / "cpuacct").readlink() == Path("cpu,cpuacct")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cpu",
        "cpu,cpuacct",
        "cpuacct",
        "memory",
        "systemd",
    ]


def test_v1_with_cgroupns_mounts_fresh_hierarchies(tmp_path: Path) -> None:
    rec = Recorder()
    dest = str(tmp_path)
    mount_v1(dest, BINDS, flags=DEFAULT | sc.MS_PRIVATE, cgroupns=True, sys_mount=rec)
    assert rec.calls == [
        ("tmpfs", dest, "tmpfs", DEFAULT, "mode=755"),
        ("cgroup", f"{dest}/cpu,cpuacct", "cgroup", DEFAULT, "cpu,cpuacct"),
        ("cgroup", f"{dest}/memory", "cgroup", DEFAULT, "memory"),
        ("systemd", f"{dest}/systemd", "cgroup", DEFAULT, "name=systemd"),
        # no remount: nothing beyond the defaults was asked; propagation last, recursive
        (None, dest, None, sc.MS_PRIVATE | sc.MS_REC, None),
    ]


def test_v2_with_cgroupns_mounts_cgroup2(tmp_path: Path) -> None:
    rec = Recorder()
    mount_v2(str(tmp_path), "/sys/fs/cgroup/c1", flags=RO, cgroupns=True, sys_mount=rec)
    assert rec.calls == [("cgroup2", str(tmp_path), "cgroup2", RO, None)]


def test_v2_falls_back_to_a_bind_when_cgroup2_is_refused(tmp_path: Path) -> None:
    rec = Recorder(fail=("cgroup2", errno.EPERM))
    dest = str(tmp_path)
    mount_v2(dest, "/sys/fs/cgroup/c1", flags=RO, cgroupns=True, sys_mount=rec)
    assert rec.calls == [
        ("/sys/fs/cgroup/c1", dest, None, sc.MS_BIND | sc.MS_REC, None),
        (None, dest, None, sc.MS_BIND | sc.MS_REMOUNT | RO, None),
    ]


def test_v2_without_cgroupns_binds_the_container_cgroup(tmp_path: Path) -> None:
    rec = Recorder()
    mount_v2(str(tmp_path), "/sys/fs/cgroup/c1", flags=0, cgroupns=False, sys_mount=rec)
    assert rec.calls[0] == ("/sys/fs/cgroup/c1", str(tmp_path), None, sc.MS_BIND | sc.MS_REC, None)


def test_mount_failure_names_what_and_where(tmp_path: Path) -> None:
    rec = Recorder(fail=("cgroup", errno.EINVAL))
    with pytest.raises(errdefs.FailedPrecondition) as exc:
        mount_v1(str(tmp_path), BINDS[1:2], flags=0, cgroupns=True, sys_mount=rec)
    assert str(exc.value) == (
        f"failed to mount cgroup (memory) on {tmp_path}/memory: Invalid argument"
    )


def test_unknown_flags_are_refused(tmp_path: Path) -> None:
    with pytest.raises(errdefs.InvalidArgument, match="flags"):
        mount_v2(str(tmp_path), "/x", flags=sc.MS_MOVE, cgroupns=False, sys_mount=Recorder())
