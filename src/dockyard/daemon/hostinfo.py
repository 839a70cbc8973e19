"""Host facts for `docker info` / `docker version`, read from /proc, /sys and /etc.

Each function reads a handful of small files; none raises for a missing file (a fact the
host does not expose is reported as absent, as moby's sysinfo does).
"""

from __future__ import annotations

import os
import subprocess

import dockyard

CGROUP_ROOT = "/sys/fs/cgroup"
_BACKING_FS = {  # moby's fsmagic names, as overlay2's "Backing Filesystem" shows them
    "ext2": "extfs",
    "ext3": "extfs",
    "ext4": "extfs",
    "xfs": "xfs",
    "btrfs": "btrfs",
    "tmpfs": "tmpfs",
    "overlay": "overlayfs",
    "zfs": "zfs",
    "f2fs": "f2fs",
}


def read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return ""


def cgroup_version() -> str:
    """ "2" on a unified hierarchy, "1" otherwise (hybrid hosts count as v1, as Docker)."""
    return "2" if os.path.exists(f"{CGROUP_ROOT}/cgroup.controllers") else "1"


def cgroup_features() -> dict[str, bool]:
    """The resource-limit booleans of system.Info (moby pkg/sysinfo)."""
    if cgroup_version() == "2":
        controllers = set(read_text(f"{CGROUP_ROOT}/cgroup.controllers").split())
        memory = "memory" in controllers
        cpu = "cpu" in controllers
        return {
            "MemoryLimit": memory,
            "SwapLimit": memory,
            "CpuCfsPeriod": cpu,
            "CpuCfsQuota": cpu,
            "CPUShares": cpu,
            "CPUSet": "cpuset" in controllers,
            "PidsLimit": "pids" in controllers,
            "OomKillDisable": False,  # cgroup v2 has no memory.oom_control
        }

    def has(path: str) -> bool:
        return os.path.exists(f"{CGROUP_ROOT}/{path}")

    return {
        "MemoryLimit": has("memory/memory.limit_in_bytes"),
        "SwapLimit": has("memory/memory.memsw.limit_in_bytes"),
        "CpuCfsPeriod": has("cpu/cpu.cfs_period_us"),
        "CpuCfsQuota": has("cpu/cpu.cfs_quota_us"),
        "CPUShares": has("cpu/cpu.shares"),
        "CPUSet": has("cpuset/cpuset.cpus"),
        "PidsLimit": has("pids/pids.max") or has("pids"),
        "OomKillDisable": has("memory/memory.oom_control"),
    }


def driver_status(data_root: str) -> list[list[str]]:
    """overlay2's DriverStatus rows."""
    return [
        ["Backing Filesystem", backing_filesystem(data_root)],
        ["Supports d_type", "true"],
        ["Using metacopy", "false"],
        ["Native Overlay Diff", "true"],
        ["userxattr", "false"],
    ]


def backing_filesystem(path: str) -> str:
    """The filesystem type of the mount holding `path` (longest mount point prefix)."""
    path = os.path.realpath(path)
    best, fstype = "", ""
    for line in read_text("/proc/self/mountinfo").splitlines():
        fields = line.split()
        try:
            mount_point = fields[4]
            kind = fields[fields.index("-") + 1]
        except (IndexError, ValueError):
            continue
        inside = path == mount_point or path.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, fstype = mount_point, kind
    return _BACKING_FS.get(fstype, fstype or "<unknown>")


def os_release() -> dict[str, str]:
    """OperatingSystem and OSVersion from /etc/os-release."""
    values: dict[str, str] = {}
    for line in read_text("/etc/os-release").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key] = value.strip().strip('"')
    return {
        "OperatingSystem": values.get("PRETTY_NAME", "Linux"),
        "OSVersion": values.get("VERSION_ID", ""),
    }


def mem_total() -> int:
    for line in read_text("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return 0


def open_fds() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return 0


def proxies() -> dict[str, str]:
    """HttpProxy, HttpsProxy, NoProxy from the daemon's environment (upper or lower case)."""

    def env(name: str) -> str:
        return os.environ.get(name.upper()) or os.environ.get(name.lower()) or ""

    return {
        "HttpProxy": _mask(env("http_proxy")),
        "HttpsProxy": _mask(env("https_proxy")),
        "NoProxy": env("no_proxy"),
    }


def tini_version(path: str = "/usr/bin/tini-static") -> str:
    """`tini --version`'s version ("v0.19.0"); "N/A" without tini. Runs a process: cache it."""
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=2, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "N/A"
    words = out.split()  # "tini version 0.19.0"
    return words[2] if len(words) > 2 else "N/A"


def build_time_ns() -> int:
    """When this dockyard was installed: the package file's modification time."""
    try:
        return os.stat(dockyard.__file__).st_mtime_ns
    except OSError:
        return 0


def _mask(url: str) -> str:
    """moby's MaskCredentials: "http://user:pass@host" -> "http://xxxxx:xxxxx@host"."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    _, _, host = rest.rpartition("@")
    return f"{scheme}://xxxxx:xxxxx@{host}"
