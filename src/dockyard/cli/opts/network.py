"""--network / --network-alias / --link / --ip / --ip6 / --mac-address / --link-local-ip ->
NetworkingConfig.EndpointsConfig (docker's parseNetworkOpts)."""

from __future__ import annotations

from dockyard.cli.opts import validate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.command import Options

_NOT_USER_DEFINED = ("default", "bridge", "host", "none")


def is_user_defined(mode: str) -> bool:
    """NetworkMode.IsUserDefined on Linux: anything but default/bridge/host/none/container:."""
    return mode not in _NOT_USER_DEFINED and not mode.startswith("container:")


def endpoints(o: Options, networks: list[object], links: list[str]) -> dict[str, dict[str, object]]:
    """EndpointsConfig: one entry per --network; the first also takes the legacy flags. A
    single network without any endpoint option is left out (the daemon makes it), except
    the implicit "default" one, which docker always sends."""
    out: dict[str, dict[str, object]] = {}
    has_user, has_other = False, False
    if not networks:
        attachment: dict[str, object] = {"Target": "default"}
        _apply_container_options(attachment, o, links)
        out["default"] = _endpoint(attachment)
    for i, raw in enumerate(networks):
        assert isinstance(raw, dict)
        net: dict[str, object] = dict(raw)
        target = str(net["Target"])
        if is_user_defined(target):
            has_user = True
        else:
            has_other = True
        if i == 0:
            _apply_container_options(net, o, links)
        endpoint = _endpoint(net)
        if target in out:
            raise ValueError(f'network "{target}" is specified multiple times')
        if i == 0 and len(networks) == 1 and _is_zero(endpoint):
            continue
        out[target] = endpoint
    if has_user and has_other:
        raise ValueError(
            "conflicting options: cannot attach both user-defined and non-user-defined "
            "network-modes"
        )
    return out


def _apply_container_options(net: dict[str, object], o: Options, links: list[str]) -> None:
    aliases = o.strings("net-alias") + o.strings("network-alias")
    local_ips = o.strings("link-local-ip")
    ip, ip6, mac = o.string("ip"), o.string("ip6"), o.string("mac-address")
    for present, flag_set, message in (
        (net.get("Aliases"), aliases, "--network-alias and per-network alias"),
        (net.get("Links"), links, "--link and per-network links"),
        (net.get("IPv4Address"), ip, "--ip and per-network IPv4 address"),
        (net.get("IPv6Address"), ip6, "--ip6 and per-network IPv6 address"),
        (net.get("MacAddress"), mac, "--mac-address and per-network MAC address"),
        (
            net.get("LinkLocalIPs"),
            local_ips,
            "--link-local-ip and per-network link-local IP addresses",
        ),
    ):
        if present and flag_set:
            raise ValueError(f"conflicting options: cannot specify both {message}")
    if aliases:
        net["Aliases"] = list(aliases)
    if is_user_defined(str(net["Target"])) and links:
        net["Links"] = list(links)
    if ip:
        net["IPv4Address"] = ip
    if ip6:
        net["IPv6Address"] = ip6
    if mac:
        net["MacAddress"] = mac
    if local_ips:
        net["LinkLocalIPs"] = list(local_ips)


def _endpoint(net: dict[str, object]) -> dict[str, object]:
    """parseNetworkAttachmentOpt -> an EndpointSettings as Go marshals it."""
    target = str(net["Target"])
    if not target.strip():
        raise ValueError("no name set for network")
    aliases = list(net.get("Aliases") or [])  # type: ignore[call-overload]
    links = list(net.get("Links") or [])  # type: ignore[call-overload]
    if not is_user_defined(target):
        if aliases:
            raise ValueError("network-scoped aliases are only supported for user-defined networks")
        if links:
            raise ValueError("links are only supported for user-defined networks")
    ipam: dict[str, object] | None = None
    ip4, ip6 = str(net.get("IPv4Address") or ""), str(net.get("IPv6Address") or "")
    local_ips = list(net.get("LinkLocalIPs") or [])  # type: ignore[call-overload]
    if ip4 or ip6 or local_ips:
        ipam = {}
        if ip4:
            ipam["IPv4Address"] = ip4
        if ip6:
            ipam["IPv6Address"] = ip6
        if local_ips:
            ipam["LinkLocalIPs"] = local_ips
    mac = str(net.get("MacAddress") or "")
    if mac and not validate.parse_mac(mac):
        raise ValueError(f"{mac} is not a valid mac address")
    return {
        "IPAMConfig": ipam,
        "Links": links or None,
        "Aliases": aliases or None,
        "MacAddress": mac,
        "DriverOpts": net.get("DriverOpts") or None,
        "GwPriority": net.get("GwPriority", 0),
        "NetworkID": "",
        "EndpointID": "",
        "Gateway": "",
        "IPAddress": "",
        "IPPrefixLen": 0,
        "IPv6Gateway": "",
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "DNSNames": None,
    }


def _is_zero(endpoint: dict[str, object]) -> bool:
    return not any(endpoint.values())
