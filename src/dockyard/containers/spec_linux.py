"""The `linux` section of a container's OCI spec, as moby's createSpec fills it (oci_linux.go).

Namespaces (WithNamespaces), devices and their cgroup rules (WithDevices), resources
(WithResources), the cgroups path, sysctls, masked and read-only paths, the rootfs propagation
a shared or slave bind needs (withMounts) and the seccomp profile (WithSeccomp).
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from collections.abc import Mapping, Sequence
from typing import Any

from dockyard import errdefs
from dockyard.containers import mounts, seccomp_default, security
from dockyard.containers.container import Container
from dockyard.containers.deps import Defaults

_CGROUP_RULE = re.compile(r"^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$")


def _namespaces(hc: Mapping[str, Any], netns_path: str | None) -> list[dict[str, Any]]:
    """DefaultLinuxSpec's namespaces, changed as WithNamespaces does."""
    namespaces: list[dict[str, Any]] = [
        {"type": t} for t in ("mount", "network", "uts", "pid", "ipc")
    ]

    def remove(kind: str) -> None:
        namespaces[:] = [n for n in namespaces if n["type"] != kind]

    def set_ns(ns: dict[str, Any]) -> None:
        for i, n in enumerate(namespaces):
            if n["type"] == ns["type"]:
                namespaces[i] = ns
                return
        namespaces.append(ns)

    if hc.get("NetworkMode") == "host":
        remove("network")
    elif netns_path:
        set_ns({"type": "network", "path": netns_path})
    if hc.get("IpcMode") == "host":
        remove("ipc")
    if hc.get("PidMode") == "host":
        remove("pid")
    if hc.get("UTSMode") == "host":
        remove("uts")
    if hc.get("CgroupnsMode") == "private":
        set_ns({"type": "cgroup"})
    return namespaces


def _device(
    path: str, container_path: str, permissions: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    if stat.S_ISCHR(st.st_mode):
        kind = "c"
    elif stat.S_ISBLK(st.st_mode):
        kind = "b"
    else:
        return None
    major, minor = os.major(st.st_rdev), os.minor(st.st_rdev)
    device = {
        "path": container_path, "type": kind, "major": major, "minor": minor,
        "fileMode": stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid,
    }  # fmt: skip
    rule = {"allow": True, "type": kind, "major": major, "minor": minor, "access": permissions}
    return device, rule


def host_devices() -> list[dict[str, Any]]:
    """containerd's HostDevices: every device node under /dev but pts, shm, mqueue, console."""
    skip_dirs = {"pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"}
    found: list[dict[str, Any]] = []
    for dirpath, dirnames, filenames in os.walk("/dev"):
        dirnames[:] = [d for d in dirnames if d not in skip_dirs]
        for name in filenames:
            path = os.path.join(dirpath, name)
            if name == "console" or os.path.islink(path):
                continue
            made = _device(path, path, "rwm")
            if made is not None:
                found.append(made[0])
    return found


def _devices(hc: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """WithDevices: (linux.devices, linux.resources.devices)."""
    devices: list[dict[str, Any]] = []
    if hc.get("Privileged"):
        devices = host_devices()
        rules: list[dict[str, Any]] = [{"allow": True, "access": "rwm"}]
    else:
        rules = security.default_device_rules()
    for mapping in hc.get("Devices") or []:
        host = mapping.get("PathOnHost", "")
        inside = mapping.get("PathInContainer") or host
        if hc.get("Privileged") and inside == host:
            continue
        resolved = os.path.realpath(host)
        made = _device(resolved, inside, mapping.get("CgroupPermissions") or "rwm")
        if made is None:
            raise errdefs.InvalidArgument(
                f'error gathering device information while adding custom device "{host}": '
                "not a device node"
            )
        devices.append(made[0])
        if not hc.get("Privileged"):
            rules.append(made[1])
    if not hc.get("Privileged"):
        for text in hc.get("DeviceCgroupRules") or []:
            match = _CGROUP_RULE.match(text)
            if match is None:
                raise errdefs.InvalidArgument(f"invalid device cgroup rule format: '{text}'")
            kind, major, minor, access = match.groups()
            rule: dict[str, Any] = {"allow": True, "type": kind, "access": access}
            rule["major"] = -1 if major == "*" else int(major)
            rule["minor"] = -1 if minor == "*" else int(minor)
            rules.append(rule)
    return devices, rules


def _throttle(entries: Sequence[Mapping[str, Any]] | None, key: str) -> list[dict[str, Any]]:
    out = []
    for entry in entries or []:
        try:
            st = os.stat(entry["Path"])
        except OSError as err:
            raise errdefs.InvalidArgument(f"stat {entry['Path']}: {err.strerror}") from None
        out.append(
            {
                "major": os.major(st.st_rdev),
                "minor": os.minor(st.st_rdev),
                key: int(entry[key.title()]),
            }
        )
    return out


def _resources(hc: Mapping[str, Any]) -> dict[str, Any]:
    """WithResources (daemon_unix.go getMemoryResources, getCPUResources, getPidsLimit)."""
    memory: dict[str, Any] = {}
    for key, name in (("Memory", "limit"), ("MemoryReservation", "reservation"),
                      ("MemorySwap", "swap")):  # fmt: skip
        if (hc.get(key) or 0) > 0:
            memory[name] = hc[key]
    if hc.get("MemorySwappiness") is not None:
        memory["swappiness"] = hc["MemorySwappiness"]
    if hc.get("OomKillDisable") is not None:
        memory["disableOOMKiller"] = hc["OomKillDisable"]
    cpu: dict[str, Any] = {}
    if hc.get("CpuShares"):
        cpu["shares"] = hc["CpuShares"]
    if hc.get("CpusetCpus"):
        cpu["cpus"] = hc["CpusetCpus"]
    if hc.get("CpusetMems"):
        cpu["mems"] = hc["CpusetMems"]
    if (hc.get("NanoCpus") or 0) > 0:
        cpu["period"] = 100_000  # 100ms in µs, sched-bwc.txt
        cpu["quota"] = hc["NanoCpus"] * 100_000 // 1_000_000_000
    for key, name in (("CpuPeriod", "period"), ("CpuQuota", "quota"),
                      ("CpuRealtimePeriod", "realtimePeriod"),
                      ("CpuRealtimeRuntime", "realtimeRuntime")):  # fmt: skip
        if hc.get(key):
            cpu[name] = hc[key]
    block_io: dict[str, Any] = {}
    if hc.get("BlkioWeight"):
        block_io["weight"] = hc["BlkioWeight"]
    for key, name, field in (
        ("BlkioWeightDevice", "weightDevice", "weight"),
        ("BlkioDeviceReadBps", "throttleReadBpsDevice", "rate"),
        ("BlkioDeviceWriteBps", "throttleWriteBpsDevice", "rate"),
        ("BlkioDeviceReadIOps", "throttleReadIOPSDevice", "rate"),
        ("BlkioDeviceWriteIOps", "throttleWriteIOPSDevice", "rate"),
    ):
        if hc.get(key):
            block_io[name] = _throttle(hc[key], field)
    out: dict[str, Any] = {"blockIO": block_io}
    if memory:
        out["memory"] = memory
    if cpu:
        out["cpu"] = cpu
    if hc.get("PidsLimit") is not None:
        out["pids"] = {"limit": hc["PidsLimit"] if hc["PidsLimit"] > 0 else -1}
    return out


def _sysctl_exists(name: str) -> bool:
    return os.path.exists(posixpath.join("/proc/sys", name.replace(".", "/")))


def _sysctls(hc: Mapping[str, Any]) -> dict[str, str]:
    """Docker's safe defaults for a new network namespace, then HostConfig.Sysctls."""
    sysctls: dict[str, str] = {}
    mode = hc.get("NetworkMode", "")
    if mode != "host" and not mode.startswith("container:"):
        if _sysctl_exists("net.ipv4.ping_group_range"):
            sysctls["net.ipv4.ping_group_range"] = "0 2147483647"
        if _sysctl_exists("net.ipv4.ip_unprivileged_port_start"):
            sysctls["net.ipv4.ip_unprivileged_port_start"] = "0"
    sysctls.update(hc.get("Sysctls") or {})
    return sysctls


def _seccomp(hc: Mapping[str, Any], caps: list[str]) -> dict[str, Any] | None:
    """WithSeccomp: unconfined, the default profile, or the JSON profile in SecurityOpt."""
    profile = security.parse_security_opt(hc.get("SecurityOpt") or []).seccomp_profile
    if profile == "unconfined":
        return None
    if profile in ("", "builtin"):
        if hc.get("Privileged") and profile == "":
            return None
        return seccomp_default.to_oci(seccomp_default.default_profile(), bounding_caps=caps)
    return seccomp_default.load_profile(profile, bounding_caps=caps)


def linux_spec(
    container: Container, *, defaults: Defaults, netns_path: str | None, caps: list[str]
) -> dict[str, Any]:
    """The spec's `linux`; `caps` bound the seccomp profile's capability rules."""
    hc = container.host_config
    devices, rules = _devices(hc)
    resources = _resources(hc)
    resources["devices"] = rules
    parent = hc.get("CgroupParent") or defaults.cgroup_parent
    linux: dict[str, Any] = {
        "resources": resources,
        "cgroupsPath": posixpath.join(parent, container.id),
        "namespaces": _namespaces(hc, netns_path),
        "devices": devices,
        "sysctl": _sysctls(hc),
    }
    if hc.get("MaskedPaths") is not None:
        linux["maskedPaths"] = list(hc["MaskedPaths"])
    elif not hc.get("Privileged"):
        linux["maskedPaths"] = security.masked_paths()
    if hc.get("ReadonlyPaths") is not None:
        linux["readonlyPaths"] = list(hc["ReadonlyPaths"])
    elif not hc.get("Privileged"):
        linux["readonlyPaths"] = list(security.READONLY_PATHS)
    propagation = _rootfs_propagation(hc)
    if propagation:
        linux["rootfsPropagation"] = propagation
    seccomp = _seccomp(hc, caps)
    if seccomp is not None:
        linux["seccomp"] = seccomp
    return linux


def _rootfs_propagation(hc: Mapping[str, Any]) -> str:
    """withMounts: a shared bind needs a shared rootfs, a slave one at least rslave."""
    props = {mp.propagation for mp in mounts.mount_points(hc) if mp.type == "bind"}
    if props & {"shared", "rshared"}:
        return "shared"
    if props & {"slave", "rslave"}:
        return "rslave"
    return ""
