"""Linux security modules and sysctls: applied where the host has them, refused where not.

AppArmor and SELinux are host features; a config that asks for a profile or label on a host
without that LSM gets a clear error instead of a silently unconfined container.
"""

from __future__ import annotations

import os

from dockyard import errdefs
from dockyard.runtime.config import Process, Spec

# Sysctls that live in a namespace (runc's validator): anything else would change the host.
_IPC_SYSCTLS = (
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
)


def apparmor_enabled() -> bool:
    try:
        with open("/sys/module/apparmor/parameters/enabled") as f:
            return f.read().strip() == "Y"
    except OSError:
        return False


def selinux_enabled() -> bool:
    return os.path.exists("/sys/fs/selinux/enforce")


def check(spec: Spec, process: Process) -> None:
    """Refuse, before anything is made, an LSM setting the host cannot honour."""
    if process.apparmor_profile and not apparmor_enabled():
        raise errdefs.FailedPrecondition(
            f'apparmor profile "{process.apparmor_profile}" is set but AppArmor is not '
            "enabled on this host"
        )
    if (process.selinux_label or spec.mount_label) and not selinux_enabled():
        raise errdefs.FailedPrecondition(
            "an SELinux label is set but SELinux is not enabled on this host"
        )


def apply_labels(process: Process) -> None:
    """Ask the kernel to switch LSM context at our next execve."""
    if process.apparmor_profile:
        path = "/proc/self/attr/apparmor/exec"
        if not os.path.exists(path):
            path = "/proc/self/attr/exec"
        with open(path, "w") as f:
            f.write(f"exec {process.apparmor_profile}")
    if process.selinux_label:
        with open("/proc/self/attr/exec", "w") as f:
            f.write(process.selinux_label)


def check_sysctls(spec: Spec) -> None:
    for key in spec.sysctl:
        if key in _IPC_SYSCTLS or key.startswith("fs.mqueue."):
            if not spec.has_namespace("ipc"):
                raise errdefs.InvalidArgument(f"sysctl {key!r} needs an ipc namespace")
        elif key.startswith("net."):
            if not spec.has_namespace("network"):
                raise errdefs.InvalidArgument(f"sysctl {key!r} needs a network namespace")
        elif key in ("kernel.hostname", "kernel.domainname"):
            if not spec.has_namespace("uts"):
                raise errdefs.InvalidArgument(f"sysctl {key!r} needs a uts namespace")
        else:
            raise errdefs.InvalidArgument(f"sysctl {key!r} is not in a separate kernel namespace")
        if "/" in key or ".." in key:
            raise errdefs.InvalidArgument(f"invalid sysctl name {key!r}")


def apply_sysctls(spec: Spec) -> None:
    for key, value in spec.sysctl.items():
        path = "/proc/sys/" + key.replace(".", "/")
        try:
            with open(path, "w") as f:
                f.write(value)
        except OSError as err:
            raise errdefs.InvalidArgument(
                f"failed to set sysctl {key}={value}: {err.strerror}"
            ) from None
