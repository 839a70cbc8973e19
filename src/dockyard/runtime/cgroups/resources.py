"""The OCI `linux.resources` object as typed, validated records.

runtime-spec config-linux.md ("Control groups"); field names follow the spec's JSON. Parsing
checks types and ranges only; whether the host can apply a value is the managers' business.
A field that is absent is None (or empty): nothing is written for it, as in runc, where an
unset value is the zero value. Memory `kernel` / `kernelTCP` and `useHierarchy` /
`checkBeforeUpdate` are accepted and ignored, as newer runc does (kernel memory accounting is
deprecated upstream).
"""

from __future__ import annotations

from dockyard import errdefs
from dockyard.runtime.runlog import get_logger
from dockyard.utils.record import record

TYPE_CHECKING = False  # true for mypy; typing costs start-up time at run time
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


log = get_logger(__name__)

_INT64 = (-(2**63), 2**63 - 1)
_UINT64 = (0, 2**64 - 1)
_UINT32 = (0, 2**32 - 1)
_UINT16 = (0, 2**16 - 1)


@record(frozen=True)
class Memory:
    """linux.resources.memory (bytes; -1 means unlimited)."""

    limit: int | None = None
    reservation: int | None = None
    swap: int | None = None
    swappiness: int | None = None
    disable_oom_killer: bool = False


@record(frozen=True)
class Cpu:
    """linux.resources.cpu; cpus and mems are cpuset lists ("0-3,6"), "" when unset."""

    shares: int | None = None
    quota: int | None = None
    burst: int | None = None
    period: int | None = None
    realtime_runtime: int | None = None
    realtime_period: int | None = None
    cpus: str = ""
    mems: str = ""
    idle: int | None = None


@record(frozen=True)
class WeightDevice:
    """A per-device block IO weight (blockIO.weightDevice[])."""

    major: int
    minor: int
    weight: int | None = None
    leaf_weight: int | None = None


@record(frozen=True)
class ThrottleDevice:
    """A per-device rate limit (blockIO.throttle*Device[]): bytes or IO operations per second."""

    major: int
    minor: int
    rate: int


@record(frozen=True)
class BlockIO:
    """linux.resources.blockIO."""

    weight: int | None = None
    leaf_weight: int | None = None
    weight_device: tuple[WeightDevice, ...] = ()
    throttle_read_bps: tuple[ThrottleDevice, ...] = ()
    throttle_write_bps: tuple[ThrottleDevice, ...] = ()
    throttle_read_iops: tuple[ThrottleDevice, ...] = ()
    throttle_write_iops: tuple[ThrottleDevice, ...] = ()


@record(frozen=True)
class HugepageLimit:
    """hugepageLimits[]: `page_size` as the kernel names it ("2MB"), limit in bytes."""

    page_size: str
    limit: int


@record(frozen=True)
class InterfacePriority:
    """network.priorities[]: a net_prio priority for one interface."""

    name: str
    priority: int


@record(frozen=True)
class Network:
    """linux.resources.network (cgroup v1 net_cls / net_prio)."""

    class_id: int | None = None
    priorities: tuple[InterfacePriority, ...] = ()


@record(frozen=True)
class DeviceRule:
    """A devices cgroup rule; major/minor None means any ('*'), type "a" means every device."""

    allow: bool
    type: str = "a"
    major: int | None = None
    minor: int | None = None
    access: str = "rwm"

    def cgroup_string(self) -> str:
        """The rule as the v1 devices.allow / devices.deny files take it: "c 1:3 rwm"."""
        major = "*" if self.major is None else str(self.major)
        minor = "*" if self.minor is None else str(self.minor)
        return f"{self.type} {major}:{minor} {self.access}"


@record(frozen=True)
class Resources:
    """A whole linux.resources object."""

    memory: Memory | None = None
    cpu: Cpu | None = None
    pids_limit: int | None = None
    block_io: BlockIO | None = None
    hugepage_limits: tuple[HugepageLimit, ...] = ()
    network: Network | None = None
    devices: tuple[DeviceRule, ...] = ()
    unified: tuple[tuple[str, str], ...] = ()
    rdma: tuple[str, ...] = ()


class _Obj:
    """One JSON object being read, with the dotted name its errors use."""

    def __init__(self, raw: object, where: str) -> None:
        if not isinstance(raw, dict):
            raise errdefs.InvalidArgument(f"invalid {where}: expected an object, got {raw!r}")
        self.raw: Mapping[str, Any] = raw
        self.where = where

    def _bad(self, key: str, what: str) -> errdefs.InvalidArgument:
        return errdefs.InvalidArgument(
            f"invalid {self.where}.{key}: expected {what}, got {self.raw[key]!r}"
        )

    def integer(self, key: str, bounds: tuple[int, int] = _INT64) -> int | None:
        value = self.raw.get(key)
        if value is None:
            return None
        # bool is an int in Python but never one in JSON.
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._bad(key, "an integer")
        if not bounds[0] <= value <= bounds[1]:
            raise self._bad(key, f"an integer in {bounds[0]}..{bounds[1]}")
        return value

    def required_integer(self, key: str, bounds: tuple[int, int] = _INT64) -> int:
        value = self.integer(key, bounds)
        if value is None:
            raise errdefs.InvalidArgument(f"invalid {self.where}: {key} is required")
        return value

    def boolean(self, key: str) -> bool | None:
        value = self.raw.get(key)
        if value is not None and not isinstance(value, bool):
            raise self._bad(key, "true or false")
        return value

    def string(self, key: str) -> str | None:
        value = self.raw.get(key)
        if value is not None and not isinstance(value, str):
            raise self._bad(key, "a string")
        return value

    def obj(self, key: str) -> _Obj | None:
        value = self.raw.get(key)
        return None if value is None else _Obj(value, f"{self.where}.{key}")

    def objs(self, key: str) -> list[_Obj]:
        value = self.raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._bad(key, "an array")
        return [_Obj(item, f"{self.where}.{key}[{i}]") for i, item in enumerate(value)]


def parse_resources(raw: Mapping[str, Any]) -> Resources:
    """Validate a linux.resources object from config.json into a `Resources` record."""
    r = _Obj(raw, "linux.resources")
    pids = r.obj("pids")
    unified = r.obj("unified")
    rdma = r.obj("rdma")
    return Resources(
        memory=_memory(r.obj("memory")),
        cpu=_cpu(r.obj("cpu")),
        pids_limit=None if pids is None else pids.required_integer("limit"),
        block_io=_block_io(r.obj("blockIO")),
        hugepage_limits=tuple(_hugepage(h) for h in r.objs("hugepageLimits")),
        network=_network(r.obj("network")),
        devices=tuple(_device(d) for d in r.objs("devices")),
        unified=() if unified is None else _string_map(unified),
        rdma=() if rdma is None else tuple(rdma.raw),
    )


def _memory(m: _Obj | None) -> Memory | None:
    if m is None:
        return None
    if m.integer("kernel") is not None or m.integer("kernelTCP") is not None:
        # runc 1.1+: "Kernel memory settings are ignored and will be removed".
        log.warning("linux.resources.memory.kernel and kernelTCP are ignored")
    return Memory(
        limit=m.integer("limit"),
        reservation=m.integer("reservation"),
        swap=m.integer("swap"),
        # uint64 in the spec, but some callers send -1 for "unset" and runc accepts it.
        swappiness=m.integer("swappiness", (-1, _UINT64[1])),
        disable_oom_killer=bool(m.boolean("disableOOMKiller")),
    )


def _cpu(c: _Obj | None) -> Cpu | None:
    if c is None:
        return None
    return Cpu(
        shares=c.integer("shares", _UINT64),
        quota=c.integer("quota"),
        burst=c.integer("burst", _UINT64),
        period=c.integer("period", _UINT64),
        realtime_runtime=c.integer("realtimeRuntime"),
        realtime_period=c.integer("realtimePeriod", _UINT64),
        cpus=c.string("cpus") or "",
        mems=c.string("mems") or "",
        idle=c.integer("idle"),
    )


def _block_io(b: _Obj | None) -> BlockIO | None:
    if b is None:
        return None

    def throttles(key: str) -> tuple[ThrottleDevice, ...]:
        return tuple(
            ThrottleDevice(
                d.required_integer("major"),
                d.required_integer("minor"),
                d.integer("rate", _UINT64) or 0,
            )
            for d in b.objs(key)
        )

    return BlockIO(
        weight=b.integer("weight", _UINT16),
        leaf_weight=b.integer("leafWeight", _UINT16),
        weight_device=tuple(
            WeightDevice(
                d.required_integer("major"),
                d.required_integer("minor"),
                d.integer("weight", _UINT16),
                d.integer("leafWeight", _UINT16),
            )
            for d in b.objs("weightDevice")
        ),
        throttle_read_bps=throttles("throttleReadBpsDevice"),
        throttle_write_bps=throttles("throttleWriteBpsDevice"),
        throttle_read_iops=throttles("throttleReadIOPSDevice"),
        throttle_write_iops=throttles("throttleWriteIOPSDevice"),
    )


def _hugepage(h: _Obj) -> HugepageLimit:
    size = h.string("pageSize")
    # The size becomes part of a file name (hugetlb.<size>.limit_in_bytes): check it strictly.
    if size is None or not _is_page_size(size):
        raise errdefs.InvalidArgument(
            f"invalid {h.where}.pageSize: expected a size like 2MB or 1GB, got {size!r}"
        )
    return HugepageLimit(size, h.required_integer("limit", _UINT64))


def _network(n: _Obj | None) -> Network | None:
    if n is None:
        return None
    priorities = []
    for p in n.objs("priorities"):
        name = p.string("name")
        if not name:
            raise errdefs.InvalidArgument(f"invalid {p.where}: name is required")
        priorities.append(InterfacePriority(name, p.required_integer("priority", _UINT32)))
    return Network(class_id=n.integer("classID", _UINT32), priorities=tuple(priorities))


def _device(d: _Obj) -> DeviceRule:
    allow = d.boolean("allow")
    if allow is None:
        raise errdefs.InvalidArgument(f"invalid {d.where}: allow is required")
    kind = d.string("type") or "a"
    if kind not in ("a", "b", "c"):
        raise errdefs.InvalidArgument(f"invalid {d.where}.type: expected a, b or c, got {kind!r}")
    access = d.string("access") or ""
    # runc refuses an empty access ("device access at %d field cannot be empty").
    if not access or set(access) - set("rwm"):
        raise errdefs.InvalidArgument(
            f"invalid {d.where}.access: expected letters from rwm, got {access!r}"
        )
    major, minor = d.integer("major"), d.integer("minor")
    # The spec's -1 and an absent number both mean any device ('*'), as in runc's specconv.
    return DeviceRule(
        allow=allow,
        type=kind,
        major=None if major is None or major < 0 else major,
        minor=None if minor is None or minor < 0 else minor,
        access=access,
    )


def _string_map(m: _Obj) -> tuple[tuple[str, str], ...]:
    pairs = []
    for key in m.raw:
        value = m.string(key)
        if value is None:
            raise errdefs.InvalidArgument(f"invalid {m.where}.{key}: expected a string, got null")
        pairs.append((str(key), value))
    return tuple(pairs)


def _is_page_size(size: str) -> bool:
    """runc's [1-9][0-9]*[KMG]B, without importing re (start-up time)."""
    digits, unit = size[:-2], size[-2:]
    return unit in ("KB", "MB", "GB") and digits.isdigit() and digits[0] != "0" and digits.isascii()
