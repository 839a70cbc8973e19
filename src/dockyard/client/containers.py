"""The Engine API's /containers endpoints (docker-py's low-level container calls).

One function per endpoint, the Client first and options keyword-only, answering the decoded
JSON or, for streams, the open Response. Query values are spelled as the docker CLI's Go
client sends them ("1"/"true" where it does, parameters left out where it leaves them out),
so the daemon sees the same requests from `dockyard` as from `docker`.
"""

from __future__ import annotations

import builtins

from dockyard.utils import jsonfast  # `json` imports re and enum: ~3 ms of `dockyard ps`

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any, BinaryIO

    from dockyard.client.transport import Client, Hijacked, Response

    Filters = Mapping[str, Iterable[str]]

STAT_HEADER = "x-docker-container-path-stat"


def quote(text: str) -> str:
    """Percent-encode `text` for a path segment (Go's url.PathEscape)."""
    from dockyard.client.transport import quote as _quote

    return _quote(text, plus=False)


def encode_filters(filters: Filters | None) -> str | None:
    """The `filters` query value as the Go client sends it (`{"name":{"x":true}}`), None
    when there are none (the parameter is then left out)."""
    if not filters:
        return None
    return jsonfast.dumps({k: {v: True for v in values} for k, values in filters.items()})


def _c(ref: str) -> str:
    return "/containers/" + quote(ref)


# -- listing and inspection -------------------------------------------------------------------


def list(  # docker-py's name for GET /containers/json
    c: Client,
    *,
    all: bool = False,  # the API's parameter name
    limit: int = -1,
    size: bool = False,
    filters: Filters | None = None,
) -> builtins.list[dict[str, Any]]:
    """GET /containers/json (`docker ps`)."""
    query: dict[str, object] = {}
    if all:
        query["all"] = "1"
    if limit > 0:
        query["limit"] = str(limit)
    if size:
        query["size"] = "1"
    encoded = encode_filters(filters)
    if encoded is not None:
        query["filters"] = encoded
    found: builtins.list[dict[str, Any]] = c.get("/containers/json", query=query).json() or []
    return found


def inspect(c: Client, ref: str, *, size: bool = False) -> dict[str, Any]:
    """GET /containers/{id}/json (`docker container inspect`)."""
    query = {"size": "1"} if size else None
    found: dict[str, Any] = c.get(_c(ref) + "/json", query=query).json()
    return found


def top(c: Client, ref: str, *, ps_args: str = "") -> dict[str, Any]:
    """GET /containers/{id}/top (`docker top`): {"Titles": [...], "Processes": [[...]]}."""
    query = {"ps_args": ps_args} if ps_args else None
    found: dict[str, Any] = c.get(_c(ref) + "/top", query=query).json()
    return found


def changes(c: Client, ref: str) -> builtins.list[dict[str, Any]]:
    """GET /containers/{id}/changes (`docker diff`): [{"Kind": 0|1|2, "Path": ...}]."""
    found: builtins.list[dict[str, Any]] = c.get(_c(ref) + "/changes").json() or []
    return found


def logs(
    c: Client,
    ref: str,
    *,
    follow: bool = False,
    stdout: bool = True,
    stderr: bool = True,
    since: str = "",
    until: str = "",
    timestamps: bool = False,
    tail: str = "",
    details: bool = False,
) -> Response:
    """GET /containers/{id}/logs (`docker logs`): the raw stream (8-byte frames unless the
    container has a TTY). `since`/`until` are sent as given: the CLI turns docker's time
    forms into Unix timestamps first (`timetypes.get_timestamp`), as the Go client does."""
    query: dict[str, object] = {}
    if stdout:
        query["stdout"] = "1"
    if stderr:
        query["stderr"] = "1"
    if since:
        query["since"] = since
    if until:
        query["until"] = until
    if timestamps:
        query["timestamps"] = "1"
    if details:
        query["details"] = "1"
    if follow:
        query["follow"] = "1"
    if tail:
        query["tail"] = tail
    return c.get(_c(ref) + "/logs", query=query)


def stats(c: Client, ref: str, *, stream: bool = True, one_shot: bool = False) -> Response:
    """GET /containers/{id}/stats (`docker stats`): one JSON document per second, or one."""
    query: dict[str, object] = {"stream": "1" if stream else "0"}
    if one_shot:
        query["one-shot"] = "1"
    return c.get(_c(ref) + "/stats", query=query)


def export(c: Client, ref: str) -> Response:
    """GET /containers/{id}/export (`docker export`): the filesystem as a tar stream."""
    return c.get(_c(ref) + "/export")


# -- lifecycle --------------------------------------------------------------------------------


def create(
    c: Client, config: Mapping[str, Any], *, name: str = "", platform: str = ""
) -> dict[str, Any]:
    """POST /containers/create (`docker create`): {"Id": ..., "Warnings": [...]}."""
    query: dict[str, object] = {}
    if name:
        query["name"] = name
    if platform:
        query["platform"] = platform
    made: dict[str, Any] = c.post("/containers/create", query=query, json=config).json()
    return made


def start(c: Client, ref: str, *, detach_keys: str = "") -> None:
    """POST /containers/{id}/start (`docker start`)."""
    query = {"detachKeys": detach_keys} if detach_keys else None
    c.post(_c(ref) + "/start", query=query).close()


def _stop_query(timeout: int | None, signal: str) -> dict[str, object]:
    query: dict[str, object] = {}
    if signal:
        query["signal"] = signal
    if timeout is not None:
        query["t"] = str(timeout)
    return query


def stop(c: Client, ref: str, *, timeout: int | None = None, signal: str = "") -> None:
    """POST /containers/{id}/stop (`docker stop`); the daemon waits up to `timeout` seconds
    (its default, the container's StopTimeout or 10, when None) before SIGKILL."""
    c.post(_c(ref) + "/stop", query=_stop_query(timeout, signal), timeout=None).close()


def restart(c: Client, ref: str, *, timeout: int | None = None, signal: str = "") -> None:
    """POST /containers/{id}/restart (`docker restart`)."""
    c.post(_c(ref) + "/restart", query=_stop_query(timeout, signal), timeout=None).close()


def kill(c: Client, ref: str, *, signal: str = "") -> None:
    """POST /containers/{id}/kill (`docker kill`); the daemon sends SIGKILL when no signal."""
    query = {"signal": signal} if signal else None
    c.post(_c(ref) + "/kill", query=query).close()


def remove(
    c: Client, ref: str, *, force: bool = False, volumes: bool = False, link: bool = False
) -> None:
    """DELETE /containers/{id} (`docker rm`)."""
    query: dict[str, object] = {}
    if volumes:
        query["v"] = "1"
    if link:
        query["link"] = "1"
    if force:
        query["force"] = "1"
    c.delete(_c(ref), query=query).close()


def pause(c: Client, ref: str) -> None:
    """POST /containers/{id}/pause (`docker pause`)."""
    c.post(_c(ref) + "/pause").close()


def unpause(c: Client, ref: str) -> None:
    """POST /containers/{id}/unpause (`docker unpause`)."""
    c.post(_c(ref) + "/unpause").close()


def wait(c: Client, ref: str, *, condition: str = "") -> dict[str, Any]:
    """POST /containers/{id}/wait (`docker wait`): blocks until the condition ("" is the
    daemon's "not-running"; "next-exit", "removed") and answers {"StatusCode": n, "Error"?}."""
    query = {"condition": condition} if condition else None
    answer: dict[str, Any] = c.post(_c(ref) + "/wait", query=query, timeout=None).json()
    return answer


def rename(c: Client, ref: str, name: str) -> None:
    """POST /containers/{id}/rename (`docker rename`)."""
    c.post(_c(ref) + "/rename", query={"name": name}).close()


def update(c: Client, ref: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """POST /containers/{id}/update (`docker update`): {"Warnings": [...]}."""
    answer: dict[str, Any] = c.post(_c(ref) + "/update", json=config).json() or {}
    return answer


def prune(c: Client, *, filters: Filters | None = None) -> dict[str, Any]:
    """POST /containers/prune (`docker container prune`):
    {"ContainersDeleted": [...] | null, "SpaceReclaimed": n}."""
    encoded = encode_filters(filters)
    query = {"filters": encoded} if encoded is not None else None
    answer: dict[str, Any] = c.post("/containers/prune", query=query).json() or {}
    return answer


def commit(
    c: Client,
    ref: str,
    *,
    repo: str = "",
    tag: str = "",
    comment: str = "",
    author: str = "",
    changes: Sequence[str] = (),
    pause: bool = True,
    config: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """POST /commit (`docker commit`): {"Id": "sha256:..."}. `changes` repeats the
    `changes` parameter once per Dockerfile instruction (the daemon reads them all)."""
    query: dict[str, object] = {
        "container": ref,
        "repo": repo,
        "tag": tag,
        "comment": comment,
        "author": author,
    }
    if changes:
        query["changes"] = tuple(changes)
    if not pause:
        query["pause"] = "0"
    answer: dict[str, Any] = c.post("/commit", query=query, json=dict(config or {})).json()
    return answer


# -- attach -----------------------------------------------------------------------------------


def attach(
    c: Client,
    ref: str,
    *,
    stream: bool = True,
    stdin: bool = False,
    stdout: bool = True,
    stderr: bool = True,
    logs: bool = False,
    detach_keys: str = "",
) -> Hijacked:
    """POST /containers/{id}/attach, upgraded to a raw stream (`docker attach`)."""
    query: dict[str, object] = {}
    for key, value in (
        ("stream", stream),
        ("stdin", stdin),
        ("stdout", stdout),
        ("stderr", stderr),
        ("logs", logs),
    ):
        if value:
            query[key] = "1"
    if detach_keys:
        query["detachKeys"] = detach_keys
    return c.hijack("POST", _c(ref) + "/attach", query=query)


def resize(c: Client, ref: str, *, height: int, width: int) -> None:
    """POST /containers/{id}/resize: the container's TTY size (SIGWINCH, `docker attach`)."""
    c.post(_c(ref) + "/resize", query={"h": str(height), "w": str(width)}).close()


# -- files ------------------------------------------------------------------------------------


def _stat(response: Response) -> dict[str, Any]:
    """The base64 JSON of X-Docker-Container-Path-Stat (name, size, mode, mtime, linkTarget)."""
    import binascii

    header = response.headers.get(STAT_HEADER, "")
    if not header:
        return {}
    try:
        found: dict[str, Any] = jsonfast.loads(binascii.a2b_base64(header.encode()))
    except (ValueError, binascii.Error):
        return {}
    return found


def archive_head(c: Client, ref: str, path: str) -> dict[str, Any]:
    """HEAD /containers/{id}/archive: the stat of `path` in the container (`docker cp`)."""
    with c.head(_c(ref) + "/archive", query={"path": path}) as response:
        return _stat(response)


def archive_get(c: Client, ref: str, path: str) -> tuple[dict[str, Any], Response]:
    """GET /containers/{id}/archive: `path`'s stat and a tar stream of it (`docker cp`)."""
    response = c.get(_c(ref) + "/archive", query={"path": path})
    return _stat(response), response


def archive_put(
    c: Client,
    ref: str,
    path: str,
    body: bytes | Iterable[bytes] | BinaryIO,
    *,
    no_overwrite_dir_non_dir: bool = True,
    copy_uid_gid: bool = False,
) -> None:
    """PUT /containers/{id}/archive: extract the tar `body` into directory `path`."""
    query: dict[str, object] = {"path": path}
    if no_overwrite_dir_non_dir:
        query["noOverwriteDirNonDir"] = "true"
    if copy_uid_gid:
        query["copyUIDGID"] = "true"
    c.put(
        _c(ref) + "/archive",
        query=query,
        body=body,
        headers={"Content-Type": "application/x-tar"},
        timeout=None,
    ).close()
