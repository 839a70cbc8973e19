"""OCI bundles for tests, made offline from Debian's busybox-static (DESIGN.md §6).

`busybox_rootfs()` lays a minimal root filesystem down once; `make_bundle()` gives each test its
own bundle directory (a hard-linked copy of that rootfs, so tests cannot disturb each other) with
a config.json shaped like `runc spec`'s, changed by the test's overrides.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

BUSYBOX = "/bin/busybox"

PASSWD = """root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
tester:x:1000:1000:tester:/home/tester:/bin/sh
"""
GROUP = """root:x:0:
daemon:x:1:
tty:x:5:
audio:x:29:
nogroup:x:65534:
tester:x:1000:
"""


def busybox_rootfs(dest: Path) -> Path:
    """Make (once) a busybox root filesystem at `dest` and return it."""
    if (dest / "bin" / "busybox").exists():
        return dest
    if not os.path.exists(BUSYBOX):
        raise RuntimeError(f"{BUSYBOX} is missing: apt-get install busybox-static")
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for d in ("bin", "proc", "sys", "dev", "etc", "tmp", "root", "home/tester", "var", "run"):
        (tmp / d).mkdir(parents=True, exist_ok=True)
    os.chmod(tmp / "tmp", 0o1777)
    shutil.copy2(BUSYBOX, tmp / "bin" / "busybox")
    applets = subprocess.run(
        [BUSYBOX, "--list"], check=True, capture_output=True, text=True
    ).stdout.split()
    for applet in applets:
        link = tmp / "bin" / applet
        if applet != "busybox" and not link.exists():
            link.symlink_to("busybox")
    (tmp / "etc" / "passwd").write_text(PASSWD)
    (tmp / "etc" / "group").write_text(GROUP)
    (tmp / "etc" / "hostname").write_text("busybox\n")
    os.rename(tmp, dest)
    return dest


BASE_CONFIG: dict[str, Any] = {
    "ociVersion": "1.0.2",
    "process": {
        "terminal": False,
        "user": {"uid": 0, "gid": 0},
        "args": ["true"],
        "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
        "cwd": "/",
        "capabilities": {
            k: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
            for k in ("bounding", "effective", "permitted", "ambient")
        },
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
        "noNewPrivileges": True,
    },
    "root": {"path": "rootfs", "readonly": True},
    "hostname": "dockyard",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {
            "destination": "/dev",
            "type": "tmpfs",
            "source": "tmpfs",
            "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
        },
        {
            "destination": "/dev/pts",
            "type": "devpts",
            "source": "devpts",
            "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
        },
        {
            "destination": "/dev/shm",
            "type": "tmpfs",
            "source": "shm",
            "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
        },
        {
            "destination": "/dev/mqueue",
            "type": "mqueue",
            "source": "mqueue",
            "options": ["nosuid", "noexec", "nodev"],
        },
        {
            "destination": "/sys",
            "type": "sysfs",
            "source": "sysfs",
            "options": ["nosuid", "noexec", "nodev", "ro"],
        },
        {
            "destination": "/sys/fs/cgroup",
            "type": "cgroup",
            "source": "cgroup",
            "options": ["nosuid", "noexec", "nodev", "relatime", "ro"],
        },
    ],
    "linux": {
        "resources": {"devices": [{"allow": False, "access": "rwm"}]},
        "namespaces": [
            {"type": "pid"},
            {"type": "network"},
            {"type": "ipc"},
            {"type": "uts"},
            {"type": "mount"},
        ],
        "maskedPaths": [
            "/proc/acpi",
            "/proc/asound",
            "/proc/kcore",
            "/proc/keys",
            "/proc/latency_stats",
            "/proc/timer_list",
            "/proc/timer_stats",
            "/proc/sched_debug",
            "/sys/firmware",
            "/proc/scsi",
        ],
        "readonlyPaths": [
            "/proc/bus",
            "/proc/fs",
            "/proc/irq",
            "/proc/sys",
            "/proc/sysrq-trigger",
        ],
    },
}


def base_config(args: list[str] | None = None) -> dict[str, Any]:
    """A deep copy of the base config.json, with process.args set when given."""
    cfg = copy.deepcopy(BASE_CONFIG)
    if args is not None:
        cfg["process"]["args"] = args
    return cfg


def make_bundle(parent: Path, rootfs: Path, config: dict[str, Any], name: str = "bundle") -> Path:
    """Write a bundle under `parent`: a hard-linked copy of `rootfs` plus `config`."""
    bundle = parent / name
    bundle.mkdir(parents=True)
    subprocess.run(["cp", "-al", str(rootfs), str(bundle / "rootfs")], check=True)
    (bundle / "config.json").write_text(json.dumps(config, indent=2))
    return bundle
