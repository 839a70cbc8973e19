"""Device cgroup rules: the defaults every container keeps, and the v1 writes that apply them.

runc's specconv appends its AllowedDevices to the spec's rules, so a container always reaches
/dev/null, /dev/zero, /dev/tty... and may mknod any device (the "m" rules) even when the spec
lists no rules. runc then does not write the rules one by one: its devices emulator (a model
of the kernel's v1 devices cgroup: a default policy plus exact-match exceptions) computes the
final state from deny-all, and writes the transition from what devices.list shows now. We do
the same, so devices.list reads exactly as under runc, and an update of a cgroup that is
already a whitelist needs no disruptive "a" rule (which the kernel refuses once the cgroup has
children).
"""

from __future__ import annotations

from dockyard import errdefs
from dockyard.runtime.cgroups.resources import DeviceRule

TYPE_CHECKING = False  # true for mypy; typing costs start-up time at run time
if TYPE_CHECKING:
    from collections.abc import Sequence


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

_Meta = tuple[int, int, str]
"""(major, minor, type), -1 for '*': the order runc writes exceptions in."""


def _perms(chars: set[str] | str) -> str:
    return "".join(c for c in "rwm" if c in chars)


def _line(meta: _Meta, perms: str) -> str:
    major, minor, kind = meta
    return f"{kind} {'*' if major < 0 else major}:{'*' if minor < 0 else minor} {perms}"


class Emulator:
    """A v1 devices cgroup as the kernel keeps it: a default policy and exact exceptions.

    With `default_allow` False (a whitelist) exceptions are what is allowed; with True (a
    blacklist) what is denied. A rule of type "a" resets both, whatever its numbers and access.
    """

    def __init__(self, *, default_allow: bool = False) -> None:
        self.default_allow = default_allow
        self.exceptions: dict[_Meta, str] = {}

    @classmethod
    def from_rules(cls, rules: Sequence[DeviceRule]) -> Emulator:
        """The state `rules` give when applied in order to a deny-all cgroup (runc's start)."""
        e = cls()
        for rule in rules:
            e.apply(rule)
        return e

    @classmethod
    def from_list(cls, text: str) -> Emulator:
        """The state a devices.list shows ("a *:* rwm" for allow-all, else the exceptions)."""
        e = cls()
        for line in text.splitlines():
            fields = line.replace(":", " ").split()
            if not fields:
                continue
            if len(fields) != 4 or fields[0] not in ("a", "b", "c"):
                raise errdefs.FailedPrecondition(f"malformed devices.list line {line!r}")
            kind, major, minor, access = fields
            e.apply(
                DeviceRule(
                    allow=True,
                    type=kind,
                    major=None if major == "*" else int(major),
                    minor=None if minor == "*" else int(minor),
                    access=access,
                )
            )
        return e

    def apply(self, rule: DeviceRule) -> None:
        """Apply one rule the way the kernel would (runc's Emulator.Apply)."""
        if rule.type == "a":
            self.default_allow = rule.allow
            self.exceptions = {}
            return
        meta = (
            -1 if rule.major is None else rule.major,
            -1 if rule.minor is None else rule.minor,
            rule.type,
        )
        if rule.allow != self.default_allow:
            self.exceptions[meta] = _perms(self.exceptions.get(meta, "") + rule.access)
        else:
            self._remove(meta, rule.access)

    def _remove(self, meta: _Meta, access: str) -> None:
        major, minor, kind = meta
        # The kernel removes exceptions by exact match only: a rule inside a wildcard
        # exception would be silently ignored, so refuse it as runc does.
        for partial in ((-1, minor, kind), (major, -1, kind), (-1, -1, kind)):
            if partial != meta and set(self.exceptions.get(partial, "")) & set(access):
                raise errdefs.InvalidArgument(
                    f"invalid device rule {_line(meta, _perms(access))}: cgroup v1 cannot "
                    f"punch a hole in the wildcard rule {_line(partial, self.exceptions[partial])}"
                )
        left = _perms(set(self.exceptions.get(meta, "")) - set(access))
        if left:
            self.exceptions[meta] = left
        else:
            self.exceptions.pop(meta, None)

    def transition(self, target: Emulator) -> list[tuple[str, str]]:
        """The (file, line) writes that take a cgroup in this state to `target`.

        runc's Emulator.Transition: from a blacklist (whose denies devices.list cannot show)
        or across policies, a disruptive "a" rule first; then the dropped permissions of old
        exceptions, then the gained ones of new exceptions, each sorted.
        """
        writes = []
        old = self.exceptions
        if self.default_allow or self.default_allow != target.default_allow:
            writes.append(
                ("devices.allow" if target.default_allow else "devices.deny", "a *:* rwm")
            )
            old = {}
        grant = "devices.deny" if target.default_allow else "devices.allow"
        revoke = "devices.allow" if target.default_allow else "devices.deny"
        for meta in sorted(old):
            dropped = _perms(set(old[meta]) - set(target.exceptions.get(meta, "")))
            if dropped:
                writes.append((revoke, _line(meta, dropped)))
        for meta in sorted(target.exceptions):
            gained = _perms(set(target.exceptions[meta]) - set(old.get(meta, "")))
            if gained:
                writes.append((grant, _line(meta, gained)))
        return writes


def v1_writes(rules: Sequence[DeviceRule], current_list: str) -> list[tuple[str, str]]:
    """The writes that give a v1 devices cgroup showing `current_list` the spec's `rules`
    followed by the defaults."""
    target = Emulator.from_rules([*rules, *DEFAULT_ALLOWED])
    return Emulator.from_list(current_list).transition(target)


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
