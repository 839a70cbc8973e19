"""Fake cgroup trees in a temporary directory, with the mountinfo and /proc/self/cgroup text
that describe them, so the managers run unchanged against plain files.

The kernel fills a new cgroup directory with its files; a plain mkdir does not, so a test calls
`populate()` for the directories the manager will use, as the kernel would have.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dockyard.runtime.cgroups import Hierarchies

UNLIMITED = "9223372036854771712"

# Files (with their initial values) the kernel puts in every cgroup of each v1 controller.
V1_FILES: dict[str, dict[str, str]] = {
    "cpu": {
        "cpu.shares": "1024",
        "cpu.cfs_period_us": "100000",
        "cpu.cfs_quota_us": "-1",
        "cpu.cfs_burst_us": "0",
        "cpu.idle": "0",
        "cpu.rt_period_us": "1000000",
        "cpu.rt_runtime_us": "0",
    },
    "cpuacct": {"cpuacct.usage": "0"},
    "cpuset": {"cpuset.cpus": "", "cpuset.mems": ""},
    "memory": {
        "memory.limit_in_bytes": UNLIMITED,
        "memory.memsw.limit_in_bytes": UNLIMITED,
        "memory.soft_limit_in_bytes": UNLIMITED,
        "memory.swappiness": "60",
        "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0",
        "memory.usage_in_bytes": "1234",
        "memory.max_usage_in_bytes": "5678",
    },
    "devices": {"devices.allow": "", "devices.deny": "", "devices.list": "a *:* rwm"},
    "freezer": {"freezer.state": "THAWED", "freezer.self_freezing": "0"},
    "blkio": {
        "blkio.weight": "500",
        "blkio.weight_device": "",
        "blkio.leaf_weight": "500",
        "blkio.leaf_weight_device": "",
        "blkio.throttle.read_bps_device": "",
        "blkio.throttle.write_bps_device": "",
        "blkio.throttle.read_iops_device": "",
        "blkio.throttle.write_iops_device": "",
    },
    "pids": {"pids.max": "max"},
    "hugetlb": {"hugetlb.2MB.limit_in_bytes": UNLIMITED},
    "net_cls": {"net_cls.classid": "0"},
    "net_prio": {"net_prio.ifpriomap": ""},
    "name=systemd": {},
}

# Directory name -> controllers, as a typical v1 host mounts them.
V1_LAYOUT: dict[str, tuple[str, ...]] = {
    "cpu,cpuacct": ("cpu", "cpuacct"),
    "cpuset": ("cpuset",),
    "memory": ("memory",),
    "devices": ("devices",),
    "freezer": ("freezer",),
    "blkio": ("blkio",),
    "pids": ("pids",),
    "hugetlb": ("hugetlb",),
    "net_cls,net_prio": ("net_cls", "net_prio"),
    "systemd": ("name=systemd",),
}

V2_CONTROLLERS = ("cpuset", "cpu", "io", "memory", "hugetlb", "pids")
V2_FILES: dict[str, str] = {
    "cgroup.procs": "",
    "cgroup.freeze": "0",
    "cgroup.events": "populated 0\nfrozen 0",
    "cgroup.subtree_control": "",
    "cpu.weight": "100",
    "cpu.max": "max 100000",
    "cpu.max.burst": "0",
    "cpu.idle": "0",
    "cpuset.cpus": "",
    "cpuset.mems": "",
    "io.weight": "default 100",
    "io.max": "",
    "memory.max": "max",
    "memory.low": "0",
    "memory.swap.max": "max",
    "pids.max": "max",
    "hugetlb.2MB.max": "max",
}


def _write_files(d: Path, files: dict[str, str]) -> None:
    d.mkdir(parents=True, exist_ok=True)
    for name, value in files.items():
        path = d / name
        if not path.exists():
            path.write_text(value)


@dataclass
class FakeV1:
    """A v1 (optionally hybrid) tree under `root`; `hierarchies` is what the manager gets."""

    root: Path
    layout: dict[str, tuple[str, ...]]
    hierarchies: Hierarchies
    unified: bool
    memsw: bool = True

    def dir(self, name: str, inner: str = "") -> Path:
        """The directory of cgroup `inner` (relative to the hierarchy root) under dir `name`."""
        return self.root / name / inner.strip("/") if inner else self.root / name

    def populate(self, inner: str) -> None:
        """Create cgroup `inner` and its ancestors in every hierarchy, with the kernel's files."""
        parts = [p for p in inner.strip("/").split("/") if p]
        for name, controllers in self.layout.items():
            for i in range(1, len(parts) + 1):
                d = self.dir(name, "/".join(parts[:i]))
                _write_files(d, {"cgroup.procs": ""})
                for c in controllers:
                    _write_files(d, V1_FILES[c])
                if "memory" in controllers and not self.memsw:
                    # Without swap accounting the kernel makes no memory.memsw.* files.
                    (d / "memory.memsw.limit_in_bytes").unlink()
        if self.unified:
            for i in range(1, len(parts) + 1):
                _write_files(self.dir("unified", "/".join(parts[:i])), dict(V2_FILES))


def fake_v1(
    root: Path,
    *,
    own: str = "/",
    unified: bool = True,
    layout: dict[str, tuple[str, ...]] | None = None,
    memsw: bool = True,
) -> FakeV1:
    """A v1 host: every hierarchy in `layout` mounted under root, our cgroup `own` in each."""
    layout = dict(V1_LAYOUT if layout is None else layout)
    mountinfo = [f"20 1 0:20 / {root} rw,relatime - tmpfs tmpfs rw,mode=755"]
    cgroup = []
    for i, (name, controllers) in enumerate(layout.items(), start=1):
        d = root / name
        _write_files(d, {"cgroup.procs": "1"})
        for c in controllers:
            files = dict(V1_FILES[c])
            if c == "cpuset":
                files = {"cpuset.cpus": "0-3", "cpuset.mems": "0"}
            if c == "memory" and not memsw:
                files.pop("memory.memsw.limit_in_bytes")
            _write_files(d, files)
        opts = ",".join(controllers)
        mountinfo.append(f"{20 + i} 20 0:{20 + i} / {d} rw,relatime - cgroup cgroup rw,{opts}")
        cgroup.append(f"{i}:{opts}:{own}")
    if unified:
        d = root / "unified"
        _write_files(
            d, {"cgroup.procs": "", "cgroup.controllers": "", "cgroup.subtree_control": ""}
        )
        mountinfo.append(f"99 20 0:99 / {d} rw,relatime - cgroup2 cgroup2 rw")
    cgroup.append(f"0::{own}")
    hierarchies = Hierarchies.parse(mountinfo="\n".join(mountinfo), cgroup="\n".join(cgroup))
    return FakeV1(root, layout, hierarchies, unified, memsw)


@dataclass
class FakeV2:
    """A pure cgroup v2 tree at `root`; `hierarchies` is what the manager gets."""

    root: Path
    hierarchies: Hierarchies

    def dir(self, inner: str = "") -> Path:
        return self.root / inner.strip("/") if inner else self.root

    def populate(self, inner: str, *, controllers: tuple[str, ...] = V2_CONTROLLERS) -> None:
        """Create cgroup `inner` and its ancestors with the kernel's files."""
        parts = [p for p in inner.strip("/").split("/") if p]
        for i in range(1, len(parts) + 1):
            d = self.dir("/".join(parts[:i]))
            _write_files(d, {**V2_FILES, "cgroup.controllers": " ".join(controllers)})


def fake_v2(root: Path, *, own: str = "/") -> FakeV2:
    """A pure v2 host: cgroup2 mounted at root (which exists), our cgroup `own`."""
    _write_files(
        root,
        {
            "cgroup.procs": "1",
            "cgroup.controllers": " ".join(V2_CONTROLLERS),
            "cgroup.subtree_control": "",
        },
    )
    mountinfo = f"30 1 0:30 / {root} rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw"
    return FakeV2(root, Hierarchies.parse(mountinfo=mountinfo, cgroup=f"0::{own}"))
