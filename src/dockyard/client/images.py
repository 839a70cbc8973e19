"""Engine API image endpoints (docker-py's low-level ImageApiMixin, docker's client/image_*.go).

Each function takes the `Client` first and keyword-only options, returns the decoded JSON,
or a `Response` for the streaming endpoints (pull, push, import, load, save) whose body the
caller reads (`json_stream()` for the progress messages, `chunks()` for save's tar).
References are passed as the caller gives them; normalising `busybox` into
`docker.io/library/busybox:latest` is the command's business (docker's CLI does it too).
"""

from __future__ import annotations

import builtins

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any, BinaryIO

    from dockyard.client.transport import Client, Response

    Body = bytes | Iterable[bytes] | BinaryIO | None
    Filters = Mapping[str, Mapping[str, bool]]

AUTH_HEADER = "X-Registry-Auth"


_PATH_SAFE = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~/:@!$&'()*+,;="
)


def path_quote(name: str) -> str:
    """A name as a path segment: Go's URL.EscapedPath keeps "/", ":" and "@" as they are."""
    return "".join(
        chr(b) if b in _PATH_SAFE else f"%{b:02X}" for b in name.encode("utf-8", "surrogateescape")
    )


def _auth(auth: str) -> dict[str, str]:
    # docker sends the header even when empty: the daemon reads "" as anonymous.
    return {AUTH_HEADER: auth}


def list(
    client: Client,
    *,
    all: bool = False,
    filters: Filters | None = None,
    shared_size: bool = False,
    manifests: bool = False,
) -> builtins.list[dict[str, Any]]:
    """GET /images/json (`docker images`)."""
    query: dict[str, object] = {}
    if filters:
        query["filters"] = filters
    if all:
        query["all"] = "1"
    if shared_size:
        query["shared-size"] = "1"
    if manifests:
        query["manifests"] = "1"
    result: builtins.list[dict[str, Any]] = client.get("/images/json", query=query).json()
    return result


def inspect(client: Client, ref: str, *, platform: str = "") -> dict[str, Any]:
    """GET /images/{name}/json (`docker image inspect`)."""
    query = {"platform": platform} if platform else None
    result: dict[str, Any] = client.get(f"/images/{path_quote(ref)}/json", query=query).json()
    return result


def history(client: Client, ref: str, *, platform: str = "") -> builtins.list[dict[str, Any]]:
    """GET /images/{name}/history (`docker history`)."""
    query = {"platform": platform} if platform else None
    result: builtins.list[dict[str, Any]] = client.get(
        f"/images/{path_quote(ref)}/history", query=query
    ).json()
    return result


def create(
    client: Client, *, from_image: str, tag: str = "", platform: str = "", auth: str = ""
) -> Response:
    """POST /images/create?fromImage=&tag= (`docker pull`); the progress stream to read.
    `tag` may be a digest (docker's getAPITagFromNamedRef); "" with `-a` pulls every tag."""
    query: dict[str, object] = {"fromImage": from_image}
    if tag:
        query["tag"] = tag
    if platform:
        query["platform"] = platform.lower()
    return client.post("/images/create", query=query, headers=_auth(auth))


def push(
    client: Client, name: str, *, tag: str = "", platform: str = "", auth: str = ""
) -> Response:
    """POST /images/{name}/push?tag= (`docker push`); "" tag pushes every tag. `platform` is
    the JSON of an OCI platform (API 1.46)."""
    query: dict[str, object] = {}
    if tag:
        query["tag"] = tag
    if platform:
        query["platform"] = platform
    return client.post(f"/images/{path_quote(name)}/push", query=query, headers=_auth(auth))


def tag(client: Client, source: str, *, repo: str, tag: str = "") -> None:
    """POST /images/{name}/tag?repo=&tag= (`docker tag`)."""
    query = {"repo": repo}
    if tag:
        query["tag"] = tag
    client.post(f"/images/{path_quote(source)}/tag", query=query).close()


def remove(
    client: Client,
    ref: str,
    *,
    force: bool = False,
    noprune: bool = False,
    platforms: Sequence[str] = (),
) -> builtins.list[dict[str, str]]:
    """DELETE /images/{name} (`docker rmi`): the Untagged / Deleted entries."""
    pairs: builtins.list[tuple[str, str]] = []
    if force:
        pairs.append(("force", "1"))
    if noprune:
        pairs.append(("noprune", "1"))
    pairs += [("platforms", p) for p in platforms]
    result: builtins.list[dict[str, str]] = client.delete(
        f"/images/{path_quote(ref)}", query=pairs
    ).json()
    return result


def prune(client: Client, *, filters: Filters | None = None) -> dict[str, Any]:
    """POST /images/prune (`docker image prune`): ImagesDeleted and SpaceReclaimed."""
    query = {"filters": filters} if filters else None
    result: dict[str, Any] = client.post("/images/prune", query=query).json()
    return result


def import_(
    client: Client,
    body: Body,
    *,
    source: str = "-",
    repo: str = "",
    tag: str = "",
    message: str = "",
    changes: Sequence[str] = (),
    platform: str = "",
) -> Response:
    """POST /images/create?fromSrc= (`docker import`): `source` "-" reads the tar from the
    request body, a URL makes the daemon fetch it."""
    pairs = [("fromSrc", source)]
    if repo:
        pairs.append(("repo", repo))
    if tag:
        pairs.append(("tag", tag))
    if message:
        pairs.append(("message", message))
    if platform:
        pairs.append(("platform", platform.lower()))
    pairs += [("changes", change) for change in changes]
    return client.post("/images/create", query=pairs, body=body)


def load(
    client: Client, body: Body, *, quiet: bool = False, platforms: Sequence[str] = ()
) -> Response:
    """POST /images/load (`docker load`): JSON messages when the response says
    application/json."""
    pairs = [("quiet", "1" if quiet else "0")] + [("platform", p) for p in platforms]
    return client.post(
        "/images/load",
        query=pairs,
        body=body,
        headers={"Content-Type": "application/x-tar"},
    )


def save(client: Client, names: Sequence[str], *, platforms: Sequence[str] = ()) -> Response:
    """GET /images/get?names= (`docker save`): the tar, to copy out with `chunks()`."""
    pairs = [("names", n) for n in names] + [("platform", p) for p in platforms]
    return client.get("/images/get", query=pairs)


def search(
    client: Client,
    term: str,
    *,
    limit: int = 0,
    filters: Filters | None = None,
    auth: str = "",
) -> builtins.list[dict[str, Any]]:
    """GET /images/search (`docker search`)."""
    query: dict[str, object] = {"term": term}
    if limit > 0:
        query["limit"] = str(limit)
    if filters:
        query["filters"] = filters
    result: builtins.list[dict[str, Any]] = client.get(
        "/images/search", query=query, headers=_auth(auth)
    ).json()
    return result
