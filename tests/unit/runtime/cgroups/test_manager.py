"""The factory's choices, the systemd driver refusal, and errno -> error kind mapping."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.runtime.cgroups import Hierarchies, check_systemd_driver, files, new_manager
from dockyard.runtime.cgroups.v1 import V1Manager
from dockyard.runtime.cgroups.v2 import V2Manager

from .faketree import fake_v1, fake_v2


def test_factory_picks_v1_for_hybrid_and_v2_for_unified(cgroot: Path) -> None:
    hybrid = fake_v1(cgroot / "hybrid").hierarchies
    unified = fake_v2(cgroot / "v2").hierarchies
    assert isinstance(new_manager(cgroups_path="", container_id="c", hierarchies=hybrid), V1Manager)
    assert isinstance(
        new_manager(cgroups_path="", container_id="c", hierarchies=unified), V2Manager
    )


def test_only_a_named_v1_hierarchy_beside_cgroup2_is_still_unified_mode() -> None:
    h = Hierarchies.parse(
        mountinfo=(
            "1 0 0:1 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
            "2 0 0:2 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n"
        ),
        cgroup="1:name=systemd:/\n0::/\n",
    )
    assert h.unified_mode


def test_no_hierarchy_at_all_is_a_failed_precondition() -> None:
    with pytest.raises(errdefs.FailedPrecondition, match="no cgroup hierarchy"):
        new_manager(cgroups_path="", container_id="c", hierarchies=Hierarchies(v1=(), unified=None))


def test_systemd_driver_is_refused_honestly(tmp_path: Path) -> None:
    with pytest.raises(errdefs.FailedPrecondition, match="systemd is not running on this host"):
        check_systemd_driver(str(tmp_path / "absent"))
    with pytest.raises(errdefs.FailedPrecondition, match="not supported yet"):
        check_systemd_driver(str(tmp_path))
    with pytest.raises(errdefs.FailedPrecondition, match="systemd cgroup driver"):
        new_manager(cgroups_path="system.slice:docker:c", container_id="c", systemd=True)


@pytest.mark.parametrize(
    ("err", "kind"),
    [
        (errno.EINVAL, errdefs.InvalidArgument),
        (errno.EBUSY, errdefs.InvalidArgument),
        (errno.ERANGE, errdefs.InvalidArgument),
        (errno.ENODEV, errdefs.InvalidArgument),
        (errno.EPERM, errdefs.FailedPrecondition),
        (errno.ENOENT, errdefs.FailedPrecondition),
    ],
)
def test_write_errors_become_kinds_with_file_and_value(
    tmp_path: Path, err: int, kind: type[errdefs.DockyardError]
) -> None:
    path = str(tmp_path / "memory.limit_in_bytes")
    got = files.path_error(path, "100", OSError(err, "x"))
    assert isinstance(got, kind)
    assert str(got).startswith(f"failed to write 100 to {path}: ")


def test_busy_memory_limit_message() -> None:
    got = files.path_error(
        "/sys/fs/cgroup/memory/x/memory.limit_in_bytes", "100", OSError(errno.EBUSY, "busy")
    )
    assert str(got) == (
        "failed to write 100 to /sys/fs/cgroup/memory/x/memory.limit_in_bytes: "
        "Device or resource busy"
    )


def test_write_into_a_missing_cgroup_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(errdefs.NotFound, match="does not exist"):
        files.write(str(tmp_path / "gone"), "pids.max", "5")
