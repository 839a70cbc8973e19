"""The `run` / `create` flag values, read and checked as pflag reads them.

Each list or unit flag goes through its pflag Value's Set check in flag order, so a bad
value is reported as pflag reports it (`FlagValueError`: `invalid argument "x" for "-e,
--env" flag: ...`) before `container.py` looks at how the flags combine.
"""

from __future__ import annotations

from dockyard.cli.opts import kv, mounts, units, validate
from dockyard.cli.opts.errors import FlagValueError
from dockyard.cli.opts.flagdefs import CONTAINER_FLAGS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from dockyard.cli.command import Options

_SHORTS = {f.name: f.short for f in CONTAINER_FLAGS if f.short}


def _label(name: str) -> str:
    """The flag's spelling in pflag's messages: "-e, --env", "--ulimit"."""
    short = _SHORTS.get(name, "")
    return f"-{short}, --{name}" if short else f"--{name}"


def _each(opts: Options, name: str, check: Callable[[str], object]) -> list[object]:
    out = []
    for value in opts.strings(name):
        try:
            out.append(check(value))
        except ValueError as err:
            raise FlagValueError(_label(name), value, str(err)) from None
    return out


def _strs(opts: Options, name: str, check: Callable[[str], str]) -> list[str]:
    return [str(v) for v in _each(opts, name, check)]


def _one(opts: Options, name: str, parse: Callable[[str], int]) -> int:
    if not opts.changed(name):
        return 0
    value = opts.string(name)
    try:
        return parse(value)
    except ValueError as err:
        raise FlagValueError(_label(name), value, str(err)) from None


def _map(values: list[str]) -> dict[str, str]:
    """opts.MapOpts: `k=v` -> {k: v}, `k` -> {k: ""}."""
    return kv.kv_to_map(values)


class FlagValues:
    """The flag values, checked the way each pflag Value's Set checks them."""

    def __init__(self, opts: Options, environ: Mapping[str, str]) -> None:
        o = opts
        self.attach = _strs(o, "attach", validate.validate_attach)
        self.cgroup_rules = _strs(o, "device-cgroup-rule", validate.validate_device_cgroup_rule)
        self.env = _strs(o, "env", lambda v: kv.validate_env(v, environ))
        self.labels = _strs(o, "label", kv.validate_label)
        self.sysctls = _map(_strs(o, "sysctl", validate.validate_sysctl))
        self.ulimits = sorted(_each(o, "ulimit", validate.parse_ulimit), key=_name)
        self.extra_hosts = _strs(o, "add-host", validate.validate_extra_host)
        self.dns = _strs(o, "dns", validate.validate_ip)
        self.dns_search = _strs(o, "dns-search", validate.validate_dns_search)
        self.links = _strs(o, "link", validate.validate_link)
        self.networks = _each(o, "net", validate.parse_network)
        self.networks += _each(o, "network", validate.parse_network)
        self.mounts = _each(o, "mount", mounts.parse_mount)
        self.weight_devices = _each(o, "blkio-weight-device", validate.parse_weight_device)
        self.read_bps = _each(o, "device-read-bps", validate.parse_throttle_bps)
        self.read_iops = _each(o, "device-read-iops", validate.parse_throttle_iops)
        self.write_bps = _each(o, "device-write-bps", validate.parse_throttle_bps)
        self.write_iops = _each(o, "device-write-iops", validate.parse_throttle_iops)
        self.memory = _one(o, "memory", units.ram_in_bytes)
        self.memory_reservation = _one(o, "memory-reservation", units.ram_in_bytes)
        self.memory_swap = _one(o, "memory-swap", units.mem_swap_bytes)
        self.kernel_memory = _one(o, "kernel-memory", units.ram_in_bytes)
        self.shm_size = _one(o, "shm-size", units.ram_in_bytes)
        self.io_max_bandwidth = _one(o, "io-maxbandwidth", units.ram_in_bytes)
        self.nano_cpus = _one(o, "cpus", units.nano_cpus)
        self.health = {
            key: _one(o, f"health-{name}", units.duration_ns)
            for key, name in (
                ("Interval", "interval"),
                ("Timeout", "timeout"),
                ("StartPeriod", "start-period"),
                ("StartInterval", "start-interval"),
            )
        }
        if o.strings("gpus"):
            raise FlagValueError(
                "--gpus", o.strings("gpus")[0], "GPU device requests are not supported by dockyard"
            )


def _name(ulimit: object) -> str:
    assert isinstance(ulimit, dict)
    return str(ulimit["Name"])
