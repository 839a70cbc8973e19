"""docker ps's PORTS column: DisplayablePorts (docker/cli cli/command/formatter/container.go).

Ports are the container summary's `Ports` entries ({"IP", "PrivatePort", "PublicPort",
"Type"}). Consecutive private ports with the same type (and the same host IP when published
on the same port number) group into ranges ("0.0.0.0:8000-8002->8000-8002/tcp"); published
ports mapped to another number are listed after the groups ("0.0.0.0:80->8080/tcp").
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


def join_host_port(host: str, port: str | int) -> str:
    """net.JoinHostPort: IPv6 hosts in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _sort_key(port: Mapping[str, object]) -> tuple[int, str, int, str]:
    return (
        int(port.get("PrivatePort") or 0),  # type: ignore[call-overload]  # JSON numbers
        str(port.get("IP") or ""),
        int(port.get("PublicPort") or 0),  # type: ignore[call-overload]  # JSON numbers
        str(port.get("Type") or ""),
    )


def displayable_ports(ports: Iterable[Mapping[str, object]] | None) -> str:
    """ "0.0.0.0:80->8080/tcp, 9988/tcp" as docker ps prints them."""
    if not ports:
        return ""
    groups: dict[str, list[int]] = {}
    order: list[str] = []
    result: list[str] = []
    mappings: list[str] = []
    for port in sorted(ports, key=_sort_key):
        private, ip, public, kind = _sort_key(port)
        key = kind
        if ip:
            if public != private:
                mappings.append(f"{join_host_port(ip, public)}->{private}/{kind}")
                continue
            key = ip + "/" + kind
        group = groups.get(key)
        if group is None:
            groups[key] = [private, private]
            order.append(key)
            continue
        if private == group[1] + 1:
            group[1] = private
            continue
        result.append(_form_group(key, group[0], group[1]))
        groups[key] = [private, private]
    for key in order:
        first, last = groups[key]
        result.append(_form_group(key, first, last))
    result.extend(mappings)
    return ", ".join(result)


def _form_group(key: str, first: int, last: int) -> str:
    parts = key.split("/")
    kind = parts[-1] if len(parts) > 1 else parts[0]
    ip = "/".join(parts[:-1]) if len(parts) > 1 else ""
    group = str(first) if first == last else f"{first}-{last}"
    if ip:
        group = f"{join_host_port(ip, group)}->{group}"
    return f"{group}/{kind}"
