"""`dockyard network create`: create a network.

The IPAM flags are paired as docker pairs them (createIPAMConfig): every --ip-range,
--gateway and --aux-address goes to the --subnet that contains it, at most one range and
one gateway per subnet, and subnets must not overlap.
"""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.app import Cli


def _network(text: str) -> Any:
    import ipaddress

    from dockyard import errdefs

    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise errdefs.InvalidArgument(f"invalid CIDR address: {text}") from None


def _contains(subnet: str, data: str) -> bool:
    """subnetMatches: whether `data` (an address or a CIDR's address) lies in `subnet`."""
    import ipaddress

    from dockyard import errdefs

    try:
        net = ipaddress.ip_network(subnet, strict=False)
    except ValueError:
        raise errdefs.InvalidArgument(f"invalid subnet: invalid CIDR address: {subnet}") from None
    try:
        address = ipaddress.ip_interface(data).ip if "/" in data else ipaddress.ip_address(data)
    except ValueError:
        if "/" in data:
            raise errdefs.InvalidArgument(f"invalid CIDR address: {data}") from None
        return False
    return address.version == net.version and address in net


def ipam_config(
    subnets: list[str],
    ranges: list[str],
    gateways: list[str],
    aux: dict[str, str],
) -> list[dict[str, Any]]:
    """createIPAMConfig's consolidation, with docker's messages."""
    from dockyard import errdefs

    if len(subnets) < len(ranges) or len(subnets) < len(gateways):
        raise errdefs.InvalidArgument("every ip-range or gateway must have a corresponding subnet")
    data: dict[str, dict[str, Any]] = {}
    for subnet in subnets:
        for known in data:
            if _contains(subnet, known) or _contains(known, subnet):
                raise errdefs.InvalidArgument(
                    "multiple overlapping subnet configuration is not supported"
                )
        data[subnet] = {"Subnet": subnet, "AuxiliaryAddresses": {}}
    for ip_range in ranges:
        matched = False
        for subnet in subnets:
            _network(ip_range)
            if not _contains(subnet, ip_range):
                continue
            if data[subnet].get("IPRange"):
                raise errdefs.InvalidArgument(
                    f"cannot configure multiple ranges ({ip_range}, {data[subnet]['IPRange']}) "
                    f"on the same subnet ({subnet})"
                )
            data[subnet]["IPRange"] = ip_range
            matched = True
        if not matched:
            raise errdefs.InvalidArgument(f"no matching subnet for range {ip_range}")
    for gateway in gateways:
        matched = False
        for subnet in subnets:
            if not _contains(subnet, gateway):
                continue
            if data[subnet].get("Gateway"):
                raise errdefs.InvalidArgument(
                    f"cannot configure multiple gateways ({gateway}, {data[subnet]['Gateway']}) "
                    f"for the same subnet ({subnet})"
                )
            data[subnet]["Gateway"] = gateway
            matched = True
        if not matched:
            raise errdefs.InvalidArgument(f"no matching subnet for gateway {gateway}")
    for key, address in aux.items():
        matched = False
        for subnet in subnets:
            if _contains(subnet, address):
                data[subnet]["AuxiliaryAddresses"][key] = address
                matched = True
        if not matched:
            raise errdefs.InvalidArgument(f"no matching subnet for aux-address {address}")
    return list(data.values())


def map_opt(values: list[str]) -> dict[str, str]:
    """opts.MapOpts: "k=v" -> v, a bare "k" -> ""."""
    result: dict[str, str] = {}
    for value in values:
        key, _, val = value.partition("=")
        result[key] = val
    return result


def labels_of(cli: Cli, values: list[str], usage: str) -> dict[str, str]:
    from dockyard.cli.opts.errors import FlagValueError, flag_status
    from dockyard.cli.opts.kv import kv_to_map, validate_label

    for value in values:
        try:
            validate_label(value)
        except ValueError as err:
            raise flag_status(cli, usage, FlagValueError("--label", value, str(err))) from err
    return kv_to_map(values)


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.client import networks

    ipam = {
        "Driver": opts.string("ipam-driver"),
        "Config": ipam_config(
            opts.strings("subnet"),
            opts.strings("ip-range"),
            opts.strings("gateway"),
            map_opt(opts.strings("aux-address")),
        ),
        "Options": map_opt(opts.strings("ipam-opt")),
    }
    config: dict[str, Any] = {
        "Driver": opts.string("driver"),
        "Scope": opts.string("scope"),
        "Internal": opts.boolean("internal"),
        "Attachable": opts.boolean("attachable"),
        "Ingress": opts.boolean("ingress"),
        "ConfigOnly": opts.boolean("config-only"),
        "IPAM": ipam,
        "Options": map_opt(opts.strings("opt")),
        "Labels": labels_of(cli, opts.strings("label"), COMMAND.usage),
    }
    if opts.changed("ipv4"):
        config["EnableIPv4"] = opts.boolean("ipv4")
    if opts.changed("ipv6"):
        config["EnableIPv6"] = opts.boolean("ipv6")
    if opts.string("config-from"):
        config["ConfigFrom"] = {"Network": opts.string("config-from")}
    created = networks.create(cli.client, args[0], config)
    cli.out.write(f"{created.get('Id', '')}\n")
    return 0


COMMAND = Command(
    name="create",
    usage="[OPTIONS] NETWORK",
    short="Create a network",
    run=run,
    min_args=1,
    max_args=1,
    flags=flags(
        Flag(name="attachable", help="Enable manual container attachment"),
        Flag(
            name="aux-address",
            type="map",
            help="Auxiliary IPv4 or IPv6 addresses used by Network driver",
            help_default="map[]",
        ),
        Flag(
            name="config-from",
            type="string",
            help="The network from which to copy the configuration",
        ),
        Flag(name="config-only", help="Create a configuration only network"),
        Flag(
            name="driver",
            short="d",
            type="string",
            default="bridge",
            help="Driver to manage the Network",
        ),
        Flag(
            name="gateway",
            type="stringSlice",
            help="IPv4 or IPv6 Gateway for the master subnet",
        ),
        Flag(name="ingress", help="Create swarm routing-mesh network"),
        Flag(name="internal", help="Restrict external access to the network"),
        Flag(name="ip-range", type="stringSlice", help="Allocate container ip from a sub-range"),
        Flag(
            name="ipam-driver",
            type="string",
            default="default",
            help="IP Address Management Driver",
        ),
        Flag(
            name="ipam-opt",
            type="map",
            help="Set IPAM driver specific options",
            help_default="map[]",
        ),
        Flag(
            name="ipv4",
            default=True,
            help="Enable or disable IPv4 address assignment",
        ),
        Flag(name="ipv6", help="Enable or disable IPv6 address assignment"),
        Flag(name="label", type="list", help="Set metadata on a network"),
        Flag(
            name="opt",
            short="o",
            type="map",
            help="Set driver specific options",
            help_default="map[]",
        ),
        Flag(name="scope", type="string", help="Control the network's scope"),
        Flag(
            name="subnet",
            type="stringSlice",
            help="Subnet in CIDR format that represents a network segment",
        ),
    ),
)
