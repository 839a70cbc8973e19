"""ContainerService: the container operations of the Engine API, with Docker's semantics.

    svc = ContainerService(deps=deps)          # built in daemon/wiring.py
    await svc.restore()                        # at daemon start: re-attach to live shims
    cid, warnings = await svc.create(name="web", body=create_body)
    await svc.start("web"); await svc.stop("web", timeout=3); await svc.remove("web", force=True)

`ref` arguments are a full id, a unique id prefix or a name (with or without "/"); an unknown
ref is NotFound "No such container: <ref>". Methods raise errdefs kinds that api/errors.py maps
to Docker's status codes. Output streams (logs, attach, exec) are Docker wire bytes.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from dockyard.containers.container import Container
from dockyard.containers.streams import Conn
from dockyard.images.delete import ImageUser

Filters = dict[str, list[str]]


class ContainerService:
    """All containers of one daemon. (Interface first; bodies land with issue 4.)"""

    # -- lookups ------------------------------------------------------------------------------

    def get(self, ref: str) -> Container:
        """The container for an id, unique id prefix or name; NotFound otherwise."""
        raise NotImplementedError

    def image_users(self, image_id: str) -> builtins.list[ImageUser]:
        """Containers created from image_id (images' InUse for rmi and prune)."""
        raise NotImplementedError

    def inspect(self, ref: str, *, size: bool = False) -> dict[str, Any]:
        """ContainerInspectResponse (GET /containers/{id}/json)."""
        raise NotImplementedError

    def list(
        self,
        *,
        all: bool = False,
        limit: int = -1,
        size: bool = False,
        filters: Filters | None = None,
    ) -> builtins.list[dict[str, Any]]:
        """ContainerSummary list (GET /containers/json), newest first."""
        raise NotImplementedError

    # -- lifecycle ----------------------------------------------------------------------------

    async def create(
        self, *, name: str, body: dict[str, Any], platform: str = "", api_version: str = "1.51"
    ) -> tuple[str, builtins.list[str]]:
        """POST /containers/create: (id, warnings). name "" generates adjective_surname."""
        raise NotImplementedError

    async def start(self, ref: str) -> bool:
        """POST /containers/{id}/start; False when it was already running (Docker's 304)."""
        raise NotImplementedError

    async def stop(self, ref: str, *, signal: str = "", timeout: int | None = None) -> bool:
        """StopSignal, SIGKILL after timeout (StopTimeout, else 10 s); False if not running (304)."""
        raise NotImplementedError

    async def kill(self, ref: str, *, signal: str = "KILL") -> None:
        """POST /containers/{id}/kill; Conflict "Container <id> is not running" when stopped."""
        raise NotImplementedError

    async def restart(self, ref: str, *, signal: str = "", timeout: int | None = None) -> None:
        raise NotImplementedError

    async def pause(self, ref: str) -> None:
        raise NotImplementedError

    async def unpause(self, ref: str) -> None:
        raise NotImplementedError

    async def remove(
        self, ref: str, *, force: bool = False, volumes: bool = False, link: bool = False
    ) -> None:
        """DELETE /containers/{id}; Conflict for a running container without force."""
        raise NotImplementedError

    async def waiter(
        self, ref: str, *, condition: str = "not-running"
    ) -> Callable[[], Awaitable[dict[str, Any]]]:
        """POST /containers/{id}/wait in two steps: validate and register now (so `next-exit`
        registered before start sees that start's exit), then await the returned callable
        for {"StatusCode": n, "Error": null | {"Message": ...}}."""
        raise NotImplementedError

    async def rename(self, ref: str, new_name: str) -> None:
        raise NotImplementedError

    async def update(self, ref: str, body: dict[str, Any]) -> builtins.list[str]:
        """POST /containers/{id}/update (resources, RestartPolicy): warnings."""
        raise NotImplementedError

    async def prune(self, *, filters: Filters | None = None) -> dict[str, Any]:
        """{"ContainersDeleted": [...], "SpaceReclaimed": n}."""
        raise NotImplementedError

    # -- I/O ----------------------------------------------------------------------------------

    async def attach(
        self,
        ref: str,
        conn: Conn,
        *,
        stdin: bool,
        stdout: bool,
        stderr: bool,
        stream: bool,
        logs: bool,
        detach_keys: str = "",
    ) -> None:
        """Serve an attach on a hijacked connection until the container exits, the client
        detaches (detach keys, default ctrl-p ctrl-q) or goes away."""
        raise NotImplementedError

    async def resize(self, ref: str, *, height: int, width: int) -> None:
        raise NotImplementedError

    def logs(
        self,
        ref: str,
        *,
        follow: bool = False,
        stdout: bool = True,
        stderr: bool = True,
        since: str = "",
        until: str = "",
        timestamps: bool = False,
        tail: str = "all",
    ) -> AsyncIterator[bytes]:
        """GET /containers/{id}/logs as wire bytes (framed unless Tty)."""
        raise NotImplementedError

    # -- exec ---------------------------------------------------------------------------------

    async def exec_create(self, ref: str, body: dict[str, Any]) -> str:
        raise NotImplementedError

    async def exec_start(
        self, exec_id: str, *, detach: bool, tty: bool | None = None, conn: Conn | None = None
    ) -> None:
        raise NotImplementedError

    def exec_inspect(self, exec_id: str) -> dict[str, Any]:
        raise NotImplementedError

    async def exec_resize(self, exec_id: str, *, height: int, width: int) -> None:
        raise NotImplementedError

    # -- inspection and files -----------------------------------------------------------------

    async def top(self, ref: str, *, ps_args: str = "-ef") -> dict[str, Any]:
        raise NotImplementedError

    def stats(
        self, ref: str, *, stream: bool = True, one_shot: bool = False
    ) -> AsyncIterator[dict[str, Any]]:
        raise NotImplementedError

    async def changes(self, ref: str) -> builtins.list[dict[str, Any]]:
        raise NotImplementedError

    def export(self, ref: str) -> AsyncIterator[bytes]:
        raise NotImplementedError

    async def archive_stat(self, ref: str, path: str) -> dict[str, Any]:
        """HEAD /containers/{id}/archive: the X-Docker-Container-Path-Stat document."""
        raise NotImplementedError

    async def archive_get(self, ref: str, path: str) -> tuple[dict[str, Any], AsyncIterator[bytes]]:
        raise NotImplementedError

    async def archive_put(
        self,
        ref: str,
        path: str,
        body: AsyncIterator[bytes],
        *,
        no_overwrite_dir_non_dir: bool = False,
        copy_uid_gid: bool = False,
    ) -> None:
        raise NotImplementedError

    async def commit(
        self,
        ref: str,
        *,
        repo: str = "",
        tag: str = "",
        comment: str = "",
        author: str = "",
        pause: bool = True,
        changes: builtins.list[str] | None = None,
        config: dict[str, Any] | None = None,
    ) -> str:
        """POST /commit: the new image id."""
        raise NotImplementedError
