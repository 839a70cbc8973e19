"""Engine API classic-builder endpoints: POST /build and POST /build/prune (docker's
client/image_build.go and build_prune.go).

`build` sends the context tar as the request body (streamed, chunked) with the options as
query parameters, mapped exactly as docker's imageBuildOptionsToQuery does (only values that
differ from the daemon's defaults are sent; `rm=0` only when opting out), and the registry
credentials as base64url JSON in X-Registry-Config.
"""

from __future__ import annotations

import json

from dockyard.utils.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any, BinaryIO

    from dockyard.client.transport import Client, Response

    Filters = Mapping[str, Mapping[str, bool]]


@record(frozen=True)
class BuildOptions:
    """docker's build.ImageBuildOptions, the fields the classic builder reads."""

    tags: tuple[str, ...] = ()
    dockerfile: str = ""
    suppress_output: bool = False
    remote_context: str = ""
    no_cache: bool = False
    remove: bool = True
    force_remove: bool = False
    pull_parent: bool = False
    squash: bool = False
    isolation: str = ""
    cpuset_cpus: str = ""
    cpuset_mems: str = ""
    cpu_shares: int = 0
    cpu_quota: int = 0
    cpu_period: int = 0
    memory: int = 0
    memory_swap: int = 0
    cgroup_parent: str = ""
    network_mode: str = ""
    shm_size: int = 0
    ulimits: tuple[Mapping[str, Any], ...] = ()
    build_args: Mapping[str, str | None] | None = None
    labels: Mapping[str, str] | None = None
    cache_from: tuple[str, ...] = ()
    security_opt: tuple[str, ...] = ()
    extra_hosts: tuple[str, ...] = ()
    target: str = ""
    platform: str = ""
    version: str = "1"  # the classic builder (BuilderV1); "2" is BuildKit


def build_query(options: BuildOptions) -> list[tuple[str, str]]:
    """imageBuildOptionsToQuery, in docker's order."""
    o = options
    pairs: list[tuple[str, str]] = [("t", t) for t in o.tags]
    pairs += [("securityopt", s) for s in o.security_opt]
    pairs += [("extrahosts", h) for h in o.extra_hosts]
    if o.suppress_output:
        pairs.append(("q", "1"))
    if o.remote_context:
        pairs.append(("remote", o.remote_context))
    if o.no_cache:
        pairs.append(("nocache", "1"))
    if not o.remove:
        pairs.append(("rm", "0"))
    if o.force_remove:
        pairs.append(("forcerm", "1"))
    if o.pull_parent:
        pairs.append(("pull", "1"))
    if o.squash:
        pairs.append(("squash", "1"))
    if o.isolation and o.isolation != "default":
        pairs.append(("isolation", o.isolation))
    if o.cpuset_cpus:
        pairs.append(("cpusetcpus", o.cpuset_cpus))
    if o.network_mode and o.network_mode != "default":
        pairs.append(("networkmode", o.network_mode))
    if o.cpuset_mems:
        pairs.append(("cpusetmems", o.cpuset_mems))
    for key, value in (
        ("cpushares", o.cpu_shares),
        ("cpuquota", o.cpu_quota),
        ("cpuperiod", o.cpu_period),
        ("memory", o.memory),
        ("memswap", o.memory_swap),
    ):
        if value:
            pairs.append((key, str(value)))
    if o.cgroup_parent:
        pairs.append(("cgroupparent", o.cgroup_parent))
    if o.shm_size:
        pairs.append(("shmsize", str(o.shm_size)))
    if o.dockerfile:
        pairs.append(("dockerfile", o.dockerfile))
    if o.target:
        pairs.append(("target", o.target))
    if o.ulimits:
        pairs.append(("ulimits", _json([dict(u) for u in o.ulimits])))
    if o.build_args:
        pairs.append(("buildargs", _json(dict(o.build_args))))
    if o.labels:
        pairs.append(("labels", _json(dict(o.labels))))
    if o.cache_from:
        pairs.append(("cachefrom", _json(list(o.cache_from))))
    if o.platform:
        pairs.append(("platform", o.platform.lower()))
    if o.version:
        pairs.append(("version", o.version))
    return pairs


def _json(value: object) -> str:
    # Go's json.Marshal: compact, and maps with sorted keys.
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def registry_config_header(auth_configs: Mapping[str, Mapping[str, Any]]) -> str:
    """X-Registry-Config: base64url of the JSON map registry -> AuthConfig."""
    import base64

    return base64.urlsafe_b64encode(_json(dict(auth_configs)).encode()).decode()


def build(
    client: Client,
    body: bytes | Iterable[bytes] | BinaryIO | None,
    options: BuildOptions,
    *,
    auth_configs: Mapping[str, Mapping[str, Any]] | None = None,
) -> Response:
    """POST /build (`docker build`): the daemon's JSON message stream."""
    headers = {
        "X-Registry-Config": registry_config_header(auth_configs or {}),
        "Content-Type": "application/x-tar",
    }
    return client.post("/build", query=build_query(options), body=body, headers=headers)


def prune(
    client: Client,
    *,
    all: bool = False,
    keep_storage: int = 0,
    filters: Filters | None = None,
) -> dict[str, Any]:
    """POST /build/prune (`docker builder prune`): CachesDeleted and SpaceReclaimed."""
    query: dict[str, object] = {}
    if all:
        query["all"] = "1"
    if keep_storage:
        query["keep-storage"] = str(keep_storage)
    query["filters"] = dict(filters or {})
    result: dict[str, Any] = client.post("/build/prune", query=query).json()
    return result
