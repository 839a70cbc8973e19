"""`dockyard container update`: update configuration of one or more containers."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, StatusError, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from dockyard.cli.app import Cli

USAGE = "[OPTIONS] CONTAINER [CONTAINER...]"

# Resources fields set from integer flags: (flag, field)
_INTS = (
    ("blkio-weight", "BlkioWeight"),
    ("cpu-period", "CpuPeriod"),
    ("cpu-quota", "CpuQuota"),
    ("cpu-rt-period", "CpuRealtimePeriod"),
    ("cpu-rt-runtime", "CpuRealtimeRuntime"),
    ("cpu-shares", "CpuShares"),
)
_BYTES = (
    ("memory", "-m, --memory", "Memory"),
    ("memory-reservation", "--memory-reservation", "MemoryReservation"),
    ("memory-swap", "--memory-swap", "MemorySwap"),
    ("kernel-memory", "--kernel-memory", "KernelMemory"),
)


def _parsed(cli: Cli, opts: Options, name: str, label: str, parse: Callable[[str], int]) -> int:
    """A flag's value through docker's parser; its error is pflag's flag error (125)."""
    from dockyard.cli.opts.errors import FlagValueError, flag_status

    text = opts.string(name)
    try:
        return parse(text)
    except ValueError as err:
        raise flag_status(cli, USAGE, FlagValueError(label, text, str(err))) from None


def restart_policy(value: str) -> dict[str, Any]:
    """docker's opts.ParseRestartPolicy: "no", "always", "unless-stopped", "on-failure[:N]"."""
    from dockyard import errdefs

    name, sep, count = value.partition(":")
    if not name:
        raise errdefs.InvalidArgument(
            "invalid restart policy format: no policy provided before colon"
        )
    policy: dict[str, Any] = {"Name": name}
    if sep:
        if not (count.isascii() and count.lstrip("-").isdigit()):
            raise errdefs.InvalidArgument(
                "invalid restart policy format: maximum retry count must be an integer"
            )
        policy["MaximumRetryCount"] = int(count)
    return policy


def build(cli: Cli, opts: Options) -> dict[str, Any]:
    """The UpdateConfig body: every Resources field (zero = unchanged, as the Go struct
    marshals them) plus RestartPolicy."""
    from dockyard.cli.opts import units

    config: dict[str, Any] = {
        "CpusetCpus": opts.string("cpuset-cpus"),
        "CpusetMems": opts.string("cpuset-mems"),
    }
    for name, field in _INTS:
        config[field] = opts.integer(name)
    for name, label, field in _BYTES:
        parse = units.mem_swap_bytes if name == "memory-swap" else units.ram_in_bytes
        config[field] = _parsed(cli, opts, name, label, parse) if opts.changed(name) else 0
    config["NanoCpus"] = (
        _parsed(cli, opts, "cpus", "--cpus", units.nano_cpus) if opts.changed("cpus") else 0
    )
    if opts.integer("pids-limit") != 0:
        config["PidsLimit"] = opts.integer("pids-limit")
    policy = opts.string("restart")
    config["RestartPolicy"] = restart_policy(policy) if policy else {"Name": ""}
    return config


_FLAG_NAMES = (
    "blkio-weight",
    "cpu-period",
    "cpu-quota",
    "cpu-rt-period",
    "cpu-rt-runtime",
    "cpu-shares",
    "cpus",
    "cpuset-cpus",
    "cpuset-mems",
    "kernel-memory",
    "memory",
    "memory-reservation",
    "memory-swap",
    "pids-limit",
    "restart",
)


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.errors import describe
    from dockyard.client import containers

    if not any(opts.changed(name) for name in _FLAG_NAMES):
        raise errdefs.InvalidArgument("you must provide one or more flags when using this command")
    config = build(cli, opts)
    warnings: list[str] = []
    failures: list[str] = []
    for ref in args:
        try:
            answer = containers.update(cli.client, ref, config)
        except errdefs.DockyardError as err:
            failures.append(describe(err))
            continue
        cli.out.write(ref + "\n")
        warnings += answer.get("Warnings") or []
    if warnings:
        cli.out.write("\n".join(warnings) + "\n")
    if failures:
        raise StatusError("\n".join(failures), 1)
    return 0


COMMAND = Command(
    name="update",
    usage=USAGE,
    short="Update configuration of one or more containers",
    run=run,
    min_args=1,
    flags=flags(
        Flag(
            name="blkio-weight",
            type="uint16",
            help="Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)",
        ),
        Flag(
            name="cpu-period",
            type="int",
            help="Limit CPU CFS (Completely Fair Scheduler) period",
        ),
        Flag(
            name="cpu-quota",
            type="int",
            help="Limit CPU CFS (Completely Fair Scheduler) quota",
        ),
        Flag(
            name="cpu-rt-period",
            type="int",
            help="Limit the CPU real-time period in microseconds",
        ),
        Flag(
            name="cpu-rt-runtime",
            type="int",
            help="Limit the CPU real-time runtime in microseconds",
        ),
        Flag(name="cpu-shares", short="c", type="int", help="CPU shares (relative weight)"),
        Flag(name="cpus", type="decimal", help="Number of CPUs"),
        Flag(
            name="cpuset-cpus",
            type="string",
            help="CPUs in which to allow execution (0-3, 0,1)",
        ),
        Flag(
            name="cpuset-mems",
            type="string",
            help="MEMs in which to allow execution (0-3, 0,1)",
        ),
        Flag(
            name="kernel-memory", type="bytes", help="Kernel memory limit (deprecated)", hidden=True
        ),
        Flag(name="memory", short="m", type="bytes", help="Memory limit"),
        Flag(name="memory-reservation", type="bytes", help="Memory soft limit"),
        Flag(
            name="memory-swap",
            type="bytes",
            help="Swap limit equal to memory plus swap: -1 to enable unlimited swap",
        ),
        Flag(
            name="pids-limit",
            type="int",
            help="Tune container pids limit (set -1 for unlimited)",
        ),
        Flag(
            name="restart",
            type="string",
            help="Restart policy to apply when a container exits",
        ),
    ),
)
