"""Device cgroup rules: the defaults every container keeps, and the v1 write sequence.

runc's specconv appends its AllowedDevices to the spec's rules, so a container always reaches
/dev/null, /dev/zero, /dev/tty... and may mknod any device (the "m" rules) even when the spec
lists no rules; its devices emulator starts from deny-all (a whitelist). We write the same
final state directly: deny everything, then the spec's rules in order, then the defaults.
"""

from __future__ import annotations

from collections.abc import Sequence

from dockyard.runtime.cgroups.resources import DeviceRule

DEFAULT_ALLOWED: tuple[DeviceRule, ...] = (
    DeviceRule(allow=True, type="c", access="m"),  # mknod of any char device
    DeviceRule(allow=True, type="b", access="m"),  # mknod of any block device
    DeviceRule(allow=True, type="c", major=1, minor=3, access="rwm"),  # /dev/null
    DeviceRule(allow=True, type="c", major=1, minor=8, access="rwm"),  # /dev/random
    DeviceRule(allow=True, type="c", major=1, minor=7, access="rwm"),  # /dev/full
    DeviceRule(allow=True, type="c", major=5, minor=0, access="rwm"),  # /dev/tty
    DeviceRule(allow=True, type="c", major=1, minor=5, access="rwm"),  # /dev/zero
    DeviceRule(allow=True, type="c", major=1, minor=9, access="rwm"),  # /dev/urandom
    DeviceRule(allow=True, type="c", major=136, access="rwm"),  # /dev/pts/*
    DeviceRule(allow=True, type="c", major=5, minor=2, access="rwm"),  # /dev/ptmx
    DeviceRule(allow=True, type="c", major=10, minor=200, access="rwm"),  # /dev/net/tun
)


def v1_writes(rules: Sequence[DeviceRule]) -> list[tuple[str, str]]:
    """The (file, line) writes that give a v1 devices cgroup exactly `rules` plus defaults.

    The leading "a" deny resets the cgroup (inherited from its parent, usually allow-all) to
    an empty whitelist. The kernel refuses an "a" rule once the cgroup has children, so this
    is for a cgroup the container has not populated yet.
    """
    writes = [("devices.deny", "a")]
    for rule in (*rules, *DEFAULT_ALLOWED):
        writes.append(("devices.allow" if rule.allow else "devices.deny", rule.cgroup_string()))
    return writes


def allows_everything(rules: Sequence[DeviceRule]) -> bool:
    """True when the rules end in "allow every device rwm" with no deny after it.

    Such a list (a privileged container's) restricts nothing, so applying it needs no
    program on cgroup v2.
    """
    last_all = -1
    for i, rule in enumerate(rules):
        if rule.type == "a" and rule.major is None and rule.minor is None:
            last_all = i if rule.allow and set(rule.access) == set("rwm") else -1
    return last_all >= 0 and all(r.allow for r in rules[last_all:])
