"""`features`: what this runtime implements (runtime-spec features.md)."""

from __future__ import annotations

import json
import sys

from dockyard.runtime import capabilities, namespaces, rootfs
from dockyard.runtime.commands._common import parse_or_help
from dockyard.runtime.config import HOOK_KINDS
from dockyard.runtime.main import Context
from dockyard.runtime.security import apparmor_enabled, selinux_enabled


def features() -> dict[str, object]:
    from dockyard.runtime import seccomp

    last = capabilities.last_cap()
    return {
        "ociVersionMin": "1.0.0",
        "ociVersionMax": "1.2.0",
        "hooks": list(HOOK_KINDS),
        "mountOptions": sorted([*rootfs.FLAGS, *rootfs.PROPAGATION, "tmpcopyup"]),
        "linux": {
            "namespaces": sorted(k for k in namespaces.KINDS),
            "capabilities": [c for i, c in enumerate(capabilities.NAMES) if i <= last],
            "cgroup": {"v1": True, "v2": True, "systemd": False, "systemdUser": False},
            "seccomp": seccomp.features(),
            "apparmor": {"enabled": apparmor_enabled()},
            "selinux": {"enabled": selinux_enabled()},
        },
        "annotations": {"org.opencontainers.runc.version": "dockyard"},
    }


def run(ctx: Context, argv: list[str]) -> int:
    p = parse_or_help("features", "", (), argv)
    if p is None:
        return 0
    sys.stdout.write(json.dumps(features(), indent=4) + "\n")
    return 0
