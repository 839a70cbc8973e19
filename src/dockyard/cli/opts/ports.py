"""-p/--publish and --expose: go-connections/nat's ParsePortSpecs as `docker run` uses it.

Specs: `[ip:][hostPort:]containerPort[/proto]`, ranges (`8000-8010:80-90`), a host range for
one container port (`8000-8010:80`: the daemon picks one), an empty host port for a random
one (`127.0.0.1::80`), IPv6 addresses in brackets (`[::1]:80:80`), and the long syntax
`published=80,target=8080,protocol=udp`.
"""

from __future__ import annotations

_PROTOS = ("tcp", "udp", "sctp")


def parse_port_range(ports: str) -> tuple[int, int]:
    """nat.ParsePortRange: "80" -> (80, 80), "80-90" -> (80, 90); ValueError otherwise."""
    if not ports:
        raise ValueError("empty string specified for ports")
    if "-" not in ports:
        port = _uint16(ports)
        return port, port
    parts = ports.split("-")
    start, end = _uint16(parts[0]), _uint16(parts[1])
    if end < start:
        raise ValueError(f"invalid range specified for port: {ports}")
    return start, end


def _uint16(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise ValueError(f'strconv.ParseUint: parsing "{text}": invalid syntax')
    value = int(text)
    if value > 0xFFFF:
        raise ValueError(f'strconv.ParseUint: parsing "{text}": value out of range')
    return value


def split_proto_port(raw: str) -> tuple[str, str]:
    """nat.SplitProtoPort: "80/udp" -> ("udp", "80"), "80" -> ("tcp", "80")."""
    parts = raw.split("/")
    if not raw or not parts[0]:
        return "", ""
    if len(parts) == 1:
        return "tcp", raw
    if not parts[1]:
        return "tcp", parts[0]
    return parts[1], parts[0]


def _split_parts(raw: str) -> tuple[str, str, str]:
    parts = raw.split(":")
    n = len(parts)
    if n == 1:
        return "", "", parts[0]
    if n == 2:
        return "", parts[0], parts[1]
    if n == 3:
        return parts[0], parts[1], parts[2]
    return ":".join(parts[: n - 2]), parts[n - 2], parts[n - 1]


def _parse_ip(text: str) -> bool:
    import ipaddress  # only when a spec names a host address

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def parse_port_spec(raw: str) -> list[tuple[str, dict[str, str]]]:
    """nat.ParsePortSpec: [(port "80/tcp", {"HostIp": ..., "HostPort": ...}), ...]."""
    ip, host_port, container_port = _split_parts(raw)
    proto, container_port = split_proto_port(container_port)
    if ip and ip[0] == "[":
        if not ip.endswith("]") or ip.count("[") != 1:
            raise ValueError(f"invalid IP address {ip}: address {ip}:: missing ']' in address")
        ip = ip[1:-1]
    if ip and not _parse_ip(ip):
        raise ValueError(f"invalid IP address: {ip}")
    if not container_port:
        raise ValueError(f"no port specified: {raw}<empty>")
    try:
        start, end = parse_port_range(container_port)
    except ValueError:
        raise ValueError(f"invalid containerPort: {container_port}") from None
    host_start = host_end = 0
    if host_port:
        try:
            host_start, host_end = parse_port_range(host_port)
        except ValueError:
            raise ValueError(f"invalid hostPort: {host_port}") from None
    if host_port and (end - start) != (host_end - host_start) and end != start:
        raise ValueError(
            "invalid ranges specified for container and host Ports: "
            f"{container_port} and {host_port}"
        )
    if proto.lower() not in _PROTOS:
        raise ValueError(f"invalid proto: {proto}")
    out = []
    for i in range(end - start + 1):
        if host_port:
            host_port = str(host_start + i)
        if start == end and host_start != host_end:
            host_port = f"{host_port}-{host_end}"
        port = f"{start + i}/{proto.lower()}"
        out.append((port, {"HostIp": ip, "HostPort": host_port}))
    return out


def to_standard_notation(specs: list[str]) -> list[str]:
    """docker's convertToStandardNotation: `published=80,target=8080,protocol=udp` ->
    `80:8080/udp`."""
    out = []
    for spec in specs:
        if "=" not in spec:
            out.append(spec)
            continue
        params = {"protocol": "tcp"}
        for param in spec.split(","):
            key, eq, value = param.partition("=")
            if not eq or not key:
                raise ValueError(
                    f"invalid publish opts format (should be name=value but got '{param}')"
                )
            params[key] = value
        published = params.get("published", "")
        out.append(f"{published}:{params.get('target', '')}/{params['protocol']}")
    return out


def parse_publish(
    specs: list[str],
) -> tuple[dict[str, dict[str, object]], dict[str, list[dict[str, str]]]]:
    """nat.ParsePortSpecs over the standard notation: (ExposedPorts, PortBindings)."""
    exposed: dict[str, dict[str, object]] = {}
    bindings: dict[str, list[dict[str, str]]] = {}
    for raw in to_standard_notation(specs):
        for port, binding in parse_port_spec(raw):
            exposed.setdefault(port, {})
            bindings.setdefault(port, []).append(binding)
    return exposed, bindings


def parse_expose(specs: list[str], exposed: dict[str, dict[str, object]]) -> None:
    """--expose `port[/proto]` or `start-end[/proto]`, merged into `exposed`."""
    for spec in specs:
        if ":" in spec:
            raise ValueError(f"invalid port format for --expose: {spec}")
        proto, port = split_proto_port(spec)
        try:
            start, end = parse_port_range(port)
        except ValueError as err:
            raise ValueError(f"invalid range format for --expose: {spec}, error: {err}") from None
        for number in range(start, end + 1):
            exposed.setdefault(f"{number}/{proto}", {})
