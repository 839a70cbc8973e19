"""`dockyard container port`: list port mappings or a specific mapping for the container."""

from __future__ import annotations

from dockyard.cli.command import Command, Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def join_host_port(host: str, port: str) -> str:
    """Go's net.JoinHostPort: IPv6 hosts in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def natural_key(text: str) -> list[tuple[int, int | str]]:
    """fvbommel/sortorder.NaturalLess as a sort key: digit runs compare as numbers."""
    key: list[tuple[int, int | str]] = []
    i = 0
    while i < len(text):
        j = i
        digits = text[i].isdigit()
        while j < len(text) and text[j].isdigit() == digits:
            j += 1
        chunk = text[i:j]
        key.append((0, int(chunk)) if digits else (1, chunk))
        i = j
    return key


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
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
