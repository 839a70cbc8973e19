"""`dockyard network connect`: connect a container to a network."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.app import Cli


def driver_opts(values: list[str]) -> dict[str, str]:
    """convertDriverOpt: "k=v" pairs, keys and values trimmed."""
    from dockyard import errdefs

    result: dict[str, str] = {}
    for value in values:
        key, sep, val = value.partition("=")
        key = key.strip()
        if not sep or not key:
            raise errdefs.InvalidArgument("invalid key/value pair format in driver options")
        result[key] = val.strip()
    return result


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.client import networks

    endpoint: dict[str, Any] = {
        "IPAMConfig": {
            "IPv4Address": opts.string("ip"),
            "IPv6Address": opts.string("ip6"),
            "LinkLocalIPs": opts.strings("link-local-ip") or None,
        },
        "Links": opts.strings("link") or None,
        "Aliases": opts.strings("alias") or None,
        "DriverOpts": driver_opts(opts.strings("driver-opt")),
        "GwPriority": opts.integer("gw-priority"),
    }
    networks.connect(cli.client, args[0], args[1], endpoint=endpoint)
    return 0


COMMAND = Command(
    name="connect",
    usage="[OPTIONS] NETWORK CONTAINER",
    short="Connect a container to a network",
    run=run,
    min_args=2,
    max_args=2,
    flags=flags(
        Flag(name="alias", type="stringSlice", help="Add network-scoped alias for the container"),
        Flag(name="driver-opt", type="stringSlice", help="driver options for the network"),
        Flag(
            name="gw-priority",
            type="int",
            help="Highest gw-priority provides the default gateway. Accepts positive and "
            "negative values.",
        ),
        Flag(name="ip", type="string", help='IPv4 address (e.g., "172.30.100.104")'),
        Flag(name="ip6", type="string", help='IPv6 address (e.g., "2001:db8::33")'),
        Flag(name="link", type="list", help="Add link to another container"),
        Flag(
            name="link-local-ip",
            type="stringSlice",
            help="Add a link-local address for the container",
        ),
    ),
)
