"""Finding hierarchies in mountinfo and resolving a container's cgroup path (runc's rules)."""

from __future__ import annotations

import pytest

from dockyard import errdefs
from dockyard.runtime.cgroups import Hierarchies, Hierarchy
from dockyard.runtime.cgroups.paths import clean_path, inner_path

HYBRID_MOUNTINFO = """\
22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
31 22 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,xattr,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
77 31 0:32 /docker /mnt/memory-again rw,relatime - cgroup cgroup rw,memory
"""
HYBRID_CGROUP = """\
9:name=systemd:/user.slice/session-1.scope
4:memory:/user.slice
3:cpuset:/
2:cpu,cpuacct:/user.slice
5:devices:/user.slice
0::/user.slice/session-1.scope
"""


def test_parse_finds_v1_hierarchies_with_controllers_only_from_proc_cgroup() -> None:
    h = Hierarchies.parse(mountinfo=HYBRID_MOUNTINFO, cgroup=HYBRID_CGROUP)
    names = [(x.name, x.controllers) for x in h.v1]
    # xattr and clone_children are mount options, not controllers; the second memory mount is
    # the same hierarchy (same device) and does not count.
    assert names == [
        ("cpu,cpuacct", ("cpu", "cpuacct")),
        ("cpuset", ("cpuset",)),
        ("memory", ("memory",)),
        ("devices", ("devices",)),
        ("systemd", ("name=systemd",)),
    ]
    assert h.find("cpuacct") is h.v1[0]
    assert h.find("hugetlb") is None
    assert h.v1[4].named and not h.v1[2].named
    assert h.unified is not None
    assert h.unified.mountpoint == "/sys/fs/cgroup/unified"
    assert h.unified.own == "/user.slice/session-1.scope"
    assert not h.unified_mode


def test_parse_pure_v2_is_unified_mode() -> None:
    h = Hierarchies.parse(
        mountinfo="30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n",
        cgroup="0::/init.scope\n",
    )
    assert h.v1 == ()
    assert h.unified_mode
    assert h.unified == Hierarchy("/sys/fs/cgroup", "/", (), "/init.scope", 2)


def test_parse_unescapes_mountpoints() -> None:
    h = Hierarchies.parse(
        mountinfo="1 0 0:5 / /a\\040b/mem rw - cgroup cgroup rw,memory\n",
        cgroup="1:memory:/\n",
    )
    assert h.v1[0].mountpoint == "/a b/mem"


def test_own_dir_subtracts_the_mount_root() -> None:
    # Inside a container that got a bind of /docker/abc as its memory hierarchy.
    h = Hierarchy("/sys/fs/cgroup/memory", "/docker/abc", ("memory",), "/docker/abc/sub", 1)
    assert h.own_dir() == "/sys/fs/cgroup/memory/sub"
    outside = Hierarchy("/sys/fs/cgroup/memory", "/docker/abc", ("memory",), "/other", 1)
    with pytest.raises(errdefs.FailedPrecondition, match="outside"):
        outside.own_dir()


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("", ""),
        ("/a/b/", "/a/b"),
        ("/a/../../b", "/b"),
        ("//a", "/a"),
        ("../../x", "x"),
        ("a/./b/../c", "a/c"),
    ],
)
def test_clean_path_matches_runc(raw: str, clean: str) -> None:
    assert clean_path(raw) == clean


def test_inner_path_defaults_to_container_id() -> None:
    assert inner_path(cgroups_path="", container_id="c1") == "c1"
    assert inner_path(cgroups_path="/x/y", container_id="c1") == "/x/y"
    with pytest.raises(errdefs.InvalidArgument):
        inner_path(cgroups_path="", container_id="")


def test_container_dir_absolute_relative_and_v2_sibling() -> None:
    v1 = Hierarchy("/cg/memory", "/", ("memory",), "/user.slice", 1)
    assert v1.container_dir("/docker/c1") == "/cg/memory/docker/c1"
    assert v1.container_dir("c1") == "/cg/memory/user.slice/c1"
    v2 = Hierarchy("/cg", "/", (), "/user.slice/session.scope", 2)
    # runc's fs2: relative paths go beside the runtime's own (leaf) cgroup.
    assert v2.container_dir("c1", beside_own=True) == "/cg/user.slice/c1"
    root = Hierarchy("/cg", "/", (), "/", 2)
    assert root.container_dir("c1", beside_own=True) == "/cg/c1"


def test_container_dir_refuses_the_hierarchy_root() -> None:
    h = Hierarchy("/cg/memory", "/", ("memory",), "/", 1)
    with pytest.raises(errdefs.InvalidArgument, match="root of the cgroup hierarchy"):
        h.container_dir("/")
