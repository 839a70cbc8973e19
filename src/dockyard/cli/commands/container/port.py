"""`dockyard container port`: list port mappings or a specific mapping for the container."""

from __future__ import annotations

from dockyard.cli.command import Command, Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.format.display import natural_key
    from dockyard.cli.format.ports import join_host_port
    from dockyard.client import containers

    name = args[0]
    info = containers.inspect(cli.client, name)
    ports: dict[str, list[dict[str, str]] | None] = (info.get("NetworkSettings") or {}).get(
        "Ports"
    ) or {}
    out: list[str] = []
    if len(args) > 1:
        wanted = args[1]
        port, _, proto = wanted.partition("/")
        proto = proto or "tcp"
        if not (port.isascii() and port.isdigit()):
            raise errdefs.InvalidArgument(
                f'Error: invalid port ({port}): strconv.ParseUint: parsing "{port}": invalid syntax'
            )
        if int(port) > 65535:
            raise errdefs.InvalidArgument(
                f"Error: invalid port ({port}): strconv.ParseUint: parsing"
                f' "{port}": value out of range'
            )
        found = ports.get(f"{port}/{proto}") or []
        if not found:
            raise errdefs.NotFound(f"Error: No public port '{wanted}' published for {name}")
        out = [join_host_port(f.get("HostIp", ""), f.get("HostPort", "")) for f in found]
    else:
        for private, frontends in ports.items():
            for f in frontends or []:
                out.append(
                    f"{private} -> {join_host_port(f.get('HostIp', ''), f.get('HostPort', ''))}"
                )
    if out:
        out.sort(key=natural_key)
        cli.out.write("\n".join(out) + "\n")
    return 0


COMMAND = Command(
    name="port",
    usage="CONTAINER [PRIVATE_PORT[/PROTO]]",
    short="List port mappings or a specific mapping for the container",
    run=run,
    min_args=1,
    max_args=2,
)
