"""Engine API distribution endpoint: GET /distribution/{name}/json (docker's
DistributionInspect): the registry's descriptor and platforms of a reference, asked of the
registry by the daemon."""

from __future__ import annotations

from dockyard import errdefs
from dockyard.client.images import AUTH_HEADER, path_quote

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.client.transport import Client


def inspect(client: Client, ref: str, *, auth: str = "") -> dict[str, Any]:
    """{"Descriptor": {...}, "Platforms": [...]} for `ref` (`docker manifest`, `buildx`)."""
    if not ref:
        raise errdefs.NotFound("Error: No such distribution: ")
    headers = {AUTH_HEADER: auth} if auth else None
    result: dict[str, Any] = client.get(
        f"/distribution/{path_quote(ref)}/json", headers=headers
    ).json()
    return result
