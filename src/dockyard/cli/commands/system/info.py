"""`dockyard info` / `dockyard system info`: system-wide information in docker 28's layout."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, flags
from dockyard.cli.flags import INSPECT_FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options

INDEX_SERVER = "https://index.docker.io/v1/"


def go(value: object) -> str:
    """Go's %v for the scalars docker's info prints."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    return str(value)


def client_section(client: dict[str, Any]) -> list[str]:
    lines = []
    if client.get("Version"):
        lines.append(f" Version:    {client['Version']}")
    lines.append(f" Context:    {client['Context']}")
    lines.append(f" Debug Mode: {go(client['Debug'])}")
    return lines


def server_section(info: dict[str, Any], *, username: str = "", debug: bool = False) -> list[str]:
    """docker's prettyPrintServerInfo, field for field (Swarm and Windows parts omitted)."""
    out: list[str] = []

    def g(key: str, default: Any = None) -> Any:
        return info.get(key, default)

    def line(label: str, value: object) -> None:
        out.append(f"{label} {go(value)}")

    def nonempty(label: str, value: object) -> None:
        if value:
            out.append(f"{label} {value}")

    line(" Containers:", g("Containers", 0))
    line("  Running:", g("ContainersRunning", 0))
    line("  Paused:", g("ContainersPaused", 0))
    line("  Stopped:", g("ContainersStopped", 0))
    line(" Images:", g("Images", 0))
    nonempty(" Server Version:", g("ServerVersion"))
    nonempty(" Storage Driver:", g("Driver"))
    out += [f"  {k}: {v}" for k, v in g("DriverStatus") or []]
    out += [f" {k}: {v}" for k, v in g("SystemStatus") or []]
    nonempty(" Logging Driver:", g("LoggingDriver"))
    nonempty(" Cgroup Driver:", g("CgroupDriver"))
    nonempty(" Cgroup Version:", g("CgroupVersion"))
    plugins = g("Plugins") or {}
    out.append(" Plugins:")
    out.append("  Volume: " + " ".join(plugins.get("Volume") or []))
    out.append("  Network: " + " ".join(plugins.get("Network") or []))
    if plugins.get("Authorization"):
        out.append("  Authorization: " + " ".join(plugins["Authorization"]))
    out.append("  Log: " + " ".join(plugins.get("Log") or []))
    if g("CDISpecDirs"):
        out.append(" CDI spec directories:")
        out += [f"  {d}" for d in g("CDISpecDirs")]
    if g("DiscoveredDevices"):
        out.append(" Discovered Devices:")
        out += [f"  {d.get('Source')}: {d.get('ID')}" for d in g("DiscoveredDevices")]
    swarm = g("Swarm") or {}
    out.append(" Swarm: " + str(swarm.get("LocalNodeState", "")))
    if g("Runtimes"):
        out.append(" Runtimes: " + " ".join(sorted(g("Runtimes"))))
        out.append(" Default Runtime: " + str(g("DefaultRuntime", "")))
    if g("OSType") == "linux":
        out.append(" Init Binary: " + str(g("InitBinary", "")))
        out.append(" containerd version: " + str((g("ContainerdCommit") or {}).get("ID", "")))
        out.append(" runc version: " + str((g("RuncCommit") or {}).get("ID", "")))
        out.append(" init version: " + str((g("InitCommit") or {}).get("ID", "")))
        if g("SecurityOptions"):
            out.append(" Security Options:")
            for name, options in security_options(g("SecurityOptions")):
                out.append("  " + name)
                out += [f"   Profile: {v}" for k, v in options if k == "profile"]
    nonempty(" Kernel Version:", g("KernelVersion"))
    nonempty(" Operating System:", g("OperatingSystem"))
    nonempty(" OSType:", g("OSType"))
    nonempty(" Architecture:", g("Architecture"))
    line(" CPUs:", g("NCPU", 0))
    from dockyard.cli.format.units import bytes_size

    out.append(" Total Memory: " + bytes_size(float(g("MemTotal") or 0)))
    nonempty(" Name:", g("Name"))
    nonempty(" ID:", g("ID"))
    out.append(" Docker Root Dir: " + str(g("DockerRootDir", "")))
    line(" Debug Mode:", bool(g("Debug")))
    if g("Debug") or debug:
        line("  File Descriptors:", g("NFd", 0))
        line("  Goroutines:", g("NGoroutines", 0))
        line("  System Time:", g("SystemTime", ""))
        line("  EventsListeners:", g("NEventsListener", 0))
    nonempty(" HTTP Proxy:", g("HttpProxy"))
    nonempty(" HTTPS Proxy:", g("HttpsProxy"))
    nonempty(" No Proxy:", g("NoProxy"))
    nonempty(" Username:", username)
    if g("Labels"):
        out.append(" Labels:")
        out += [f"  {label}" for label in g("Labels")]
    line(" Experimental:", bool(g("ExperimentalBuild")))
    out += _registries(g("RegistryConfig"))
    line(" Live Restore Enabled:", bool(g("LiveRestoreEnabled")))
    if g("ProductLicense"):
        out.append(" Product License: " + str(g("ProductLicense")))
    if g("DefaultAddressPools"):
        out.append(" Default Address Pools:")
        out += [
            f"   Base: {p.get('Base')}, Size: {p.get('Size')}" for p in g("DefaultAddressPools")
        ]
    out.append("")
    return out


def _registries(config: dict[str, Any] | None) -> list[str]:
    if not config:
        return []
    out = []
    indexes = config.get("IndexConfigs") or {}
    cidrs = config.get("InsecureRegistryCIDRs") or []
    if indexes or cidrs:
        out.append(" Insecure Registries:")
        out += [f"  {name}" for name in sorted(indexes) if not indexes[name].get("Secure")]
        out += [f"  {cidr}" for cidr in cidrs]
    if config.get("Mirrors"):
        out.append(" Registry Mirrors:")
        out += [f"  {m}" for m in config["Mirrors"]]
    return out


def security_options(items: list[str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The daemon's "name=seccomp,profile=builtin" entries (system.DecodeSecurityOptions);
    old daemons send a bare name."""
    decoded: list[tuple[str, list[tuple[str, str]]]] = []
    for item in items:
        if "=" not in item:
            decoded.append((item, []))
            continue
        name = ""
        options: list[tuple[str, str]] = []
        for part in item.split(","):
            key, _, value = part.partition("=")
            if key == "name":
                name = value
            else:
                options.append((key, value))
        decoded.append((name, options))
    return decoded


def login_name(cli: Cli) -> str:
    """The Docker Hub user config.json remembers (docker prints it as Username)."""
    import base64

    auths = cli.config.auths or {}
    entry = auths.get(INDEX_SERVER) or {}
    if entry.get("username"):
        return str(entry["username"])
    try:
        raw = base64.b64decode(entry.get("auth", "")).decode()
    except (ValueError, UnicodeDecodeError):
        return ""
    return raw.partition(":")[0]


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.command import StatusError
    from dockyard.cli.commands.context.show import current_context
    from dockyard.cli.commands.system.templating import compile_format, execute
    from dockyard.cli.commands.system.version import dockyard_version
    from dockyard.client import system
    from dockyard.client.errors import ConnectionFailed

    fmt = opts.string("format")
    template = compile_format(fmt) if fmt else None
    client = {
        "Debug": cli.options.debug,
        "Version": dockyard_version(),
        "Context": current_context(cli),
        "Plugins": [],
        "Warnings": None,
    }
    server: dict[str, Any] | None = None
    connect_error: errdefs.DockyardError | None = None
    server_errors: list[str] = []
    try:
        server = system.info(cli.client)
    except ConnectionFailed as err:
        connect_error = err
    except errdefs.DockyardError as err:
        from dockyard.cli.main import error_text

        server_errors.append(error_text(err))
    if template is not None:
        data: dict[str, Any] = dict(server or {})
        if server_errors:
            data["ServerErrors"] = server_errors
            for message in server_errors:
                cli.err.write(message + "\n")
        data["ClientInfo"] = client
        if connect_error is not None:
            raise connect_error
        cli.out.write(execute(template, data) + "\n")
        return 0
    out = ["Client:", *client_section(client), "", "Server:"]
    if server is not None:
        out += server_section(server, username=login_name(cli), debug=cli.options.debug)
    cli.out.write("\n".join(out) + "\n")
    for warning in (server or {}).get("Warnings") or []:
        cli.err.write(f"{warning}\n")
    for message in server_errors:
        cli.err.write(f"ERROR: {message}\n")
    if connect_error is not None:
        raise connect_error
    if server_errors:
        raise StatusError("errors pretty printing info", 1)
    return 0


COMMAND = Command(
    name="info",
    usage="[OPTIONS]",
    short="Display system-wide information",
    run=run,
    max_args=0,
    flags=flags(Flag(name="format", short="f", type="string", help=INSPECT_FORMAT_HELP)),
)
