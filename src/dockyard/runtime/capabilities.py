"""Linux capabilities: names, masks and the order in which the five sets are applied.

The order matters (capabilities(7)): the bounding set is dropped while we still hold
CAP_SETPCAP; the uid switch happens with PR_SET_KEEPCAPS so permitted survives it; capset then
fixes effective/permitted/inheritable; ambient is raised last because it needs both permitted
and inheritable to hold the capability already.
"""

from __future__ import annotations

import os

from dockyard.runtime import syscalls
from dockyard.runtime.config import Capabilities
from dockyard.runtime.runlog import Log

NAMES = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
)  # fmt: skip
BY_NAME = {name: i for i, name in enumerate(NAMES)}


def last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return int(f.read())
    except OSError:
        return len(NAMES) - 1


def mask(names: tuple[str, ...], last: int, log: Log | None = None) -> int:
    """Bit mask of `names`; unknown or unavailable ones are skipped with a warning, as runc."""
    bits = 0
    for name in names:
        bit = BY_NAME.get(name.upper())
        if bit is None or bit > last:
            if log is not None:
                log.warning(f"ignoring unknown or unavailable capability {name}")
            continue
        bits |= 1 << bit
    return bits


def drop_bounding(caps: Capabilities) -> None:
    last = last_cap()
    keep = mask(caps.bounding, last)
    for bit in range(last + 1):
        if not keep & (1 << bit):
            syscalls.prctl(syscalls.PR_CAPBSET_DROP, bit)


def apply(caps: Capabilities, log: Log) -> None:
    """Set effective, permitted and inheritable, then raise ambient (after the uid switch)."""
    last = last_cap()
    syscalls.capset(
        mask(caps.effective, last, log),
        mask(caps.permitted, last, log),
        mask(caps.inheritable, last, log),
    )
    syscalls.prctl(syscalls.PR_CAP_AMBIENT, syscalls.PR_CAP_AMBIENT_CLEAR_ALL)
    for bit in range(last + 1):
        if mask(caps.ambient, last) & (1 << bit):
            try:
                syscalls.prctl(syscalls.PR_CAP_AMBIENT, syscalls.PR_CAP_AMBIENT_RAISE, bit)
            except OSError as err:
                # Ambient needs the bit in permitted and inheritable; runc warns and goes on.
                log.debug(f"failed to raise ambient capability {NAMES[bit]}: {err}")


def switch_user(uid: int, gid: int, groups: tuple[int, ...], *, setgroups: bool) -> None:
    """setgroups/setresgid/setresuid keeping the permitted set for apply()."""
    syscalls.prctl(syscalls.PR_SET_KEEPCAPS, 1)
    if setgroups:
        os.setgroups(list(groups))
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    syscalls.prctl(syscalls.PR_SET_KEEPCAPS, 0)
