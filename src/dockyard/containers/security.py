"""A container's security settings as Docker computes them: capabilities, security options,
masked and read-only paths, and the device cgroup allow-list.

Sources: moby's oci/defaults.go (DefaultCapabilities, DefaultLinuxSpec), oci/caps (the CapAdd /
CapDrop arithmetic, "ALL", "CAP_X" or "X" spellings) and daemon_unix.go parseSecurityOpt.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from dockyard import errdefs
from dockyard.runtime.capabilities import NAMES, last_cap
from dockyard.utils.record import record

# moby oci.DefaultCapabilities(), in Docker's order.
DEFAULT_CAPS: tuple[str, ...] = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
)  # fmt: skip

# Docker 28's defaultLinuxMaskedPaths; the thermal_throttle dirs are added per CPU where they
# exist (GHSA-6fw5-f8r9-fgfm), /sys/devices/virtual/powercap for GHSA-jq35-85cj-fj4p.
BASE_MASKED_PATHS: tuple[str, ...] = (
    "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
)  # fmt: skip
READONLY_PATHS: tuple[str, ...] = (
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
)  # fmt: skip


def masked_paths() -> list[str]:
    """Docker's default masked paths on this host."""
    paths = list(BASE_MASKED_PATHS)
    for cpu in _possible_cpus():
        throttle = f"/sys/devices/system/cpu/cpu{cpu}/thermal_throttle"
        if os.path.exists(throttle):
            paths.append(throttle)
    return paths


def _possible_cpus() -> list[int]:
    try:
        with open("/sys/devices/system/cpu/possible") as f:
            text = f.read().strip()
    except OSError:
        return []
    cpus: list[int] = []
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        cpus.extend(range(int(lo), int(hi or lo) + 1))
    return cpus


def all_caps() -> list[str]:
    """Every capability the daemon itself holds (Docker 28 caps.GetAllCapabilities reads the
    current process's effective set: a capability the daemon lacks cannot be granted)."""
    known = list(NAMES[: last_cap() + 1])
    try:
        with open("/proc/self/status") as f:
            line = next(ln for ln in f if ln.startswith("CapEff:"))
    except (OSError, StopIteration):
        return known
    effective = int(line.split()[1], 16)
    return [name for bit, name in enumerate(known) if effective & (1 << bit)]


def normalize_caps(caps: Sequence[str]) -> list[str]:
    """Upper-case, "CAP_" prefixed names; "ALL" kept; InvalidArgument for unknown ones."""
    known = set(NAMES)
    available = set(all_caps())
    out = []
    for cap in caps:
        name = cap.upper()
        if name != "ALL":
            if not name.startswith("CAP_"):
                name = "CAP_" + name
            if name not in known:
                raise errdefs.InvalidArgument(f'unknown capability: "{name}"')
            if name not in available:
                raise errdefs.InvalidArgument(
                    "capability not supported by your kernel or not available in the "
                    f'current environment: "{name}"'
                )
        out.append(name)
    return out


def validate_caps(cap_add: Sequence[str], cap_drop: Sequence[str]) -> None:
    """moby validateCapabilities: the messages carry "invalid CapAdd: " / "invalid CapDrop: "."""
    for what, caps in (("CapAdd", cap_add), ("CapDrop", cap_drop)):
        try:
            normalize_caps(caps)
        except errdefs.InvalidArgument as err:
            raise errdefs.InvalidArgument(f"invalid {what}: {err}") from None


def capabilities(*, cap_add: Sequence[str], cap_drop: Sequence[str], privileged: bool) -> list[str]:
    """The container's capability set (moby caps.TweakCapabilities)."""
    if privileged:
        return all_caps()
    if not cap_add and not cap_drop:
        return list(DEFAULT_CAPS)
    drops, adds = normalize_caps(cap_drop), normalize_caps(cap_add)
    if "ALL" in adds:
        return [c for c in all_caps() if c not in drops]
    if "ALL" in drops:
        return [c for c in adds if c != "ALL"]
    caps = [c for c in DEFAULT_CAPS if c not in drops]
    return caps + [c for c in adds if c not in caps]


def process_capabilities(caps: Sequence[str]) -> dict[str, list[str]]:
    """OCI process.capabilities as Docker writes them: no inheritable set (CVE-2022-24769)."""
    return {k: list(caps) for k in ("bounding", "effective", "permitted")}


@record(frozen=True)
class SecurityOptions:
    """HostConfig.SecurityOpt, parsed (moby container.SecurityOptions)."""

    no_new_privileges: bool = False
    seccomp_profile: str = ""  # "", "unconfined", "builtin" or the profile JSON itself
    apparmor_profile: str = ""
    writable_cgroups: bool | None = None
    labels: tuple[str, ...] = ()


def parse_security_opt(opts: Sequence[str], *, default_nnp: bool = False) -> SecurityOptions:
    """Parse SecurityOpt as moby parseSecurityOpt does (with its error messages)."""
    nnp, seccomp, apparmor = default_nnp, "", ""
    writable: bool | None = None
    labels: list[str] = []
    for opt in opts:
        if opt == "no-new-privileges":
            nnp = True
            continue
        if opt == "writable-cgroups":
            writable = True
            continue
        if opt == "disable":
            labels.append("disable")
            continue
        if "=" in opt:
            key, _, value = opt.partition("=")
        elif ":" in opt:
            key, _, value = opt.partition(":")  # deprecated separator Docker still accepts
        else:
            raise errdefs.InvalidArgument(f"invalid --security-opt 1: {_go_quote(opt)}")
        if key == "label":
            labels.append(value)
        elif key == "apparmor":
            apparmor = value
        elif key == "seccomp":
            seccomp = value
        elif key in ("no-new-privileges", "writable-cgroups"):
            flag = _parse_bool(value)
            if flag is None:
                raise errdefs.InvalidArgument(f"invalid --security-opt 2: {_go_quote(opt)}")
            if key == "no-new-privileges":
                nnp = flag
            else:
                writable = flag
        else:
            raise errdefs.InvalidArgument(f"invalid --security-opt 2: {_go_quote(opt)}")
    return SecurityOptions(
        no_new_privileges=nnp,
        seccomp_profile=seccomp,
        apparmor_profile=apparmor,
        writable_cgroups=writable,
        labels=tuple(labels),
    )


def _parse_bool(value: str) -> bool | None:
    """Go's strconv.ParseBool."""
    if value in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if value in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None


def _go_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def default_device_rules() -> list[dict[str, Any]]:
    """moby DefaultLinuxSpec linux.resources.devices: deny all, then the usual char devices."""
    rules: list[dict[str, Any]] = [{"allow": False, "access": "rwm"}]
    for major, minor in ((1, 5), (1, 3), (1, 9), (1, 8), (5, 0), (5, 1)):
        rules.append({"allow": True, "type": "c", "major": major, "minor": minor, "access": "rwm"})
    rules.append({"allow": False, "type": "c", "major": 10, "minor": 229, "access": "rwm"})
    return rules
