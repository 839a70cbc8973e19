"""GET /networks filters (moby daemon/network/filter.go): driver, id, label, name, scope,
type, dangling."""

from __future__ import annotations

from dockyard import errdefs
from dockyard.images.filters import Filters
from dockyard.network.model import Network

ACCEPTED = frozenset({"driver", "id", "label", "name", "scope", "type", "dangling"})


def parse(filters: dict[str, list[str]] | None) -> Filters:
    f = Filters(filters, accepted=ACCEPTED)
    for t in f.get("type"):
        if t not in ("custom", "builtin"):
            raise errdefs.InvalidArgument(f"invalid filter: 'type'='{t}'")
    return f


def matches(n: Network, f: Filters, *, in_use: bool) -> bool:
    """Whether `n` passes every filter (`in_use`: it has endpoints, for dangling)."""
    if "driver" in f and n.driver not in f.get("driver"):
        return False
    if "id" in f and not any(n.id.startswith(v) for v in f.get("id")):
        return False
    if "name" in f and not any(v in n.name for v in f.get("name")):
        return False
    if "scope" in f and "local" not in f.get("scope"):
        return False
    if "type" in f and ("builtin" if n.predefined else "custom") not in f.get("type"):
        return False
    if not f.match_labels(n.labels):
        return False
    if "dangling" in f:
        dangling = not n.predefined and not in_use
        if str(dangling).lower() not in [v.lower() for v in f.get("dangling")]:
            return False
    return True
