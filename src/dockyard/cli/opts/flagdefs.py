"""The flags `run` and `create` share (docker's addFlags), with docker 28's names, types,
help texts and defaults, in the order docker declares them."""

from __future__ import annotations

from dockyard.cli.command import Flag

_CGROUPNS_HELP = """Cgroup namespace to use (host|private)
'host':    Run the container in the Docker host's cgroup namespace
'private': Run the container in its own private cgroup namespace
'':        Use the cgroup namespace as configured by the
           default-cgroupns-mode option on the daemon (default)"""


def _f(name: str, type: str = "bool", help: str = "", **kw: object) -> Flag:
    return Flag(name=name, type=type, help=help, **kw)  # type: ignore[arg-type]


CONTAINER_FLAGS: tuple[Flag, ...] = (
    # General purpose
    _f("attach", "list", "Attach to STDIN, STDOUT or STDERR", short="a"),
    _f("device-cgroup-rule", "list", "Add a rule to the cgroup allowed devices list"),
    _f("device", "list", "Add a host device to the container"),
    _f("gpus", "gpu-request", "GPU devices to add to the container ('all' to pass all GPUs)"),
    _f("env", "list", "Set environment variables", short="e"),
    _f("env-file", "list", "Read in a file of environment variables"),
    _f("entrypoint", "string", "Overwrite the default ENTRYPOINT of the image"),
    _f("group-add", "list", "Add additional groups to join"),
    _f("hostname", "string", "Container host name", short="h"),
    _f("domainname", "string", "Container NIS domain name"),
    _f("interactive", "bool", "Keep STDIN open even if not attached", short="i"),
    _f("label", "list", "Set meta data on a container", short="l"),
    _f("label-file", "list", "Read in a line delimited file of labels"),
    _f("read-only", "bool", "Mount the container's root filesystem as read only"),
    _f(
        "restart",
        "string",
        "Restart policy to apply when a container exits",
        default="no",
        help_default='"no"',
    ),
    _f("stop-signal", "string", "Signal to stop the container"),
    _f("stop-timeout", "int", "Timeout (in seconds) to stop a container"),
    _f("sysctl", "map", "Sysctl options", help_default="map[]"),
    _f("tty", "bool", "Allocate a pseudo-TTY", short="t"),
    _f("ulimit", "ulimit", "Ulimit options", help_default="[]"),
    _f("user", "string", "Username or UID (format: <name|uid>[:<group|gid>])", short="u"),
    _f("workdir", "string", "Working directory inside the container", short="w"),
    _f(
        "rm",
        "bool",
        "Automatically remove the container and its associated anonymous volumes when it exits",
    ),
    # Security
    _f("cap-add", "list", "Add Linux capabilities"),
    _f("cap-drop", "list", "Drop Linux capabilities"),
    _f("privileged", "bool", "Give extended privileges to this container"),
    _f("security-opt", "list", "Security Options"),
    _f("userns", "string", "User namespace to use"),
    _f("cgroupns", "string", _CGROUPNS_HELP),
    # Network and port publishing
    _f("add-host", "list", "Add a custom host-to-IP mapping (host:ip)"),
    _f("dns", "list", "Set custom DNS servers"),
    _f("dns-opt", "list", "Set DNS options", hidden=True),
    _f("dns-option", "list", "Set DNS options"),
    _f("dns-search", "list", "Set custom DNS search domains"),
    _f("expose", "list", "Expose a port or a range of ports"),
    _f("ip", "string", "IPv4 address (e.g., 172.30.100.104)"),
    _f("ip6", "string", "IPv6 address (e.g., 2001:db8::33)"),
    _f("link", "list", "Add link to another container"),
    _f("link-local-ip", "list", "Container IPv4/IPv6 link-local addresses"),
    _f("mac-address", "string", "Container MAC address (e.g., 92:d0:c6:0a:29:33)"),
    _f("publish", "list", "Publish a container's port(s) to the host", short="p"),
    _f("publish-all", "bool", "Publish all exposed ports to random ports", short="P"),
    _f("net", "network", "Connect a container to a network", hidden=True),
    _f("network", "network", "Connect a container to a network"),
    _f("net-alias", "list", "Add network-scoped alias for the container", hidden=True),
    _f("network-alias", "list", "Add network-scoped alias for the container"),
    # Logging and storage
    _f("log-driver", "string", "Logging driver for the container"),
    _f("volume-driver", "string", "Optional volume driver for the container"),
    _f("log-opt", "list", "Log driver options"),
    _f("storage-opt", "list", "Storage driver options for the container"),
    _f("tmpfs", "list", "Mount a tmpfs directory"),
    _f("volumes-from", "list", "Mount volumes from the specified container(s)"),
    _f("volume", "list", "Bind mount a volume", short="v"),
    _f("mount", "mount", "Attach a filesystem mount to the container"),
    # Health-checking
    _f("health-cmd", "string", "Command to run to check health"),
    _f("health-interval", "duration", "Time between running the check (ms|s|m|h) (default 0s)"),
    _f("health-retries", "int", "Consecutive failures needed to report unhealthy"),
    _f(
        "health-timeout",
        "duration",
        "Maximum time to allow one check to run (ms|s|m|h) (default 0s)",
    ),
    _f(
        "health-start-period",
        "duration",
        "Start period for the container to initialize before starting health-retries "
        "countdown (ms|s|m|h) (default 0s)",
    ),
    _f(
        "health-start-interval",
        "duration",
        "Time between running the check during the start period (ms|s|m|h) (default 0s)",
    ),
    _f("no-healthcheck", "bool", "Disable any container-specified HEALTHCHECK"),
    # Resource management
    _f(
        "blkio-weight",
        "uint16",
        "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)",
    ),
    _f(
        "blkio-weight-device",
        "list",
        "Block IO weight (relative device weight)",
        help_default="[]",
    ),
    _f("cidfile", "string", "Write the container ID to the file"),
    _f("cpuset-cpus", "string", "CPUs in which to allow execution (0-3, 0,1)"),
    _f("cpuset-mems", "string", "MEMs in which to allow execution (0-3, 0,1)"),
    _f("cpu-count", "int", "CPU count (Windows only)"),
    _f("cpu-percent", "int", "CPU percent (Windows only)"),
    _f("cpu-period", "int", "Limit CPU CFS (Completely Fair Scheduler) period"),
    _f("cpu-quota", "int", "Limit CPU CFS (Completely Fair Scheduler) quota"),
    _f("cpu-rt-period", "int", "Limit CPU real-time period in microseconds"),
    _f("cpu-rt-runtime", "int", "Limit CPU real-time runtime in microseconds"),
    _f("cpu-shares", "int", "CPU shares (relative weight)", short="c"),
    _f("cpus", "decimal", "Number of CPUs"),
    _f(
        "device-read-bps",
        "list",
        "Limit read rate (bytes per second) from a device",
        help_default="[]",
    ),
    _f(
        "device-read-iops",
        "list",
        "Limit read rate (IO per second) from a device",
        help_default="[]",
    ),
    _f(
        "device-write-bps",
        "list",
        "Limit write rate (bytes per second) to a device",
        help_default="[]",
    ),
    _f(
        "device-write-iops",
        "list",
        "Limit write rate (IO per second) to a device",
        help_default="[]",
    ),
    _f(
        "io-maxbandwidth", "bytes", "Maximum IO bandwidth limit for the system drive (Windows only)"
    ),
    _f("io-maxiops", "uint", "Maximum IOps limit for the system drive (Windows only)"),
    _f("kernel-memory", "bytes", "Kernel memory limit"),
    _f("memory", "bytes", "Memory limit", short="m"),
    _f("memory-reservation", "bytes", "Memory soft limit"),
    _f(
        "memory-swap",
        "bytes",
        "Swap limit equal to memory plus swap: '-1' to enable unlimited swap",
    ),
    _f(
        "memory-swappiness",
        "int",
        "Tune container memory swappiness (0 to 100)",
        default=-1,
        help_default="-1",
    ),
    _f("oom-kill-disable", "bool", "Disable OOM Killer"),
    _f("oom-score-adj", "int", "Tune host's OOM preferences (-1000 to 1000)"),
    _f("pids-limit", "int", "Tune container pids limit (set -1 for unlimited)"),
    # Low-level execution (cgroups, namespaces, ...)
    _f("cgroup-parent", "string", "Optional parent cgroup for the container"),
    _f("ipc", "string", "IPC mode to use"),
    _f("isolation", "string", "Container isolation technology"),
    _f("pid", "string", "PID namespace to use"),
    _f("shm-size", "bytes", "Size of /dev/shm"),
    _f("uts", "string", "UTS namespace to use"),
    _f("runtime", "string", "Runtime to use for this container"),
    _f(
        "init", "bool", "Run an init inside the container that forwards signals and reaps processes"
    ),
    _f(
        "annotation",
        "map",
        "Add an annotation to the container (passed through to the OCI runtime)",
        help_default="map[]",
    ),
)


def image_flags(pull_help: str) -> tuple[Flag, ...]:
    """The flags `run` and `create` add before addFlags: name, pull, quiet, platform, trust."""
    return (
        _f("name", "string", "Assign a name to the container"),
        _f("pull", "string", pull_help, default="missing", help_default='"missing"'),
        _f("quiet", "bool", "Suppress the pull output", short="q"),
        _f("use-api-socket", "bool", "Bind mount Docker API socket and required auth"),
        _f("platform", "string", "Set platform if server is multi-platform capable"),
        _f(
            "disable-content-trust",
            "bool",
            "Skip image verification",
            default=True,
            help_default="true",
        ),
    )
