"""ContainerService: the container operations of the Engine API, with Docker's semantics.

    svc = ContainerService(deps=deps)          # built in daemon/wiring.py
    await svc.restore()                        # at daemon start: re-attach to live shims
    cid, warnings = await svc.create(name="web", body=create_body)
    await svc.start("web"); await svc.stop("web", timeout=3); await svc.remove("web", force=True)
    await svc.shutdown()                       # at daemon stop

`ref` arguments are a full id, a unique id prefix or a name (with or without "/"); an unknown
ref is NotFound "No such container: <ref>". Methods raise errdefs kinds that api/errors.py maps
to Docker's status codes. Output streams (logs, attach, exec) are Docker wire bytes.

This is the one backend the API's container and exec routers ask for, so it lists every
operation; each is a lookup plus a call into the module that does the work (create.py,
lifecycle.py, attach.py, execs.py, fileops.py, ...), which is why it is longer than most.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from dockyard import errdefs
from dockyard.containers import attach as attaching
from dockyard.containers import docs, names, netuse, rwlayer, stats, top, volumeuse
from dockyard.containers import logs as logreading
from dockyard.containers.cgroups import apply_update, merge_update
from dockyard.containers.container import Container
from dockyard.containers.create import build
from dockyard.containers.createconfig import validate_update
from dockyard.containers.deps import ContainerDeps
from dockyard.containers.execs import Execs
from dockyard.containers.fileops import FileOps
from dockyard.containers.health import HealthMonitor
from dockyard.containers.lifecycle import Lifecycle
from dockyard.containers.state import Status
from dockyard.containers.store import ContainerStore, name_conflict
from dockyard.containers.streams import Conn
from dockyard.images import timefmt
from dockyard.images.delete import ImageUser
from dockyard.images.filters import Filters
from dockyard.shim.client import ShimStream
from dockyard.snapshots.graphdriver import graph_driver

log = logging.getLogger(__name__)

Filters_ = dict[str, list[str]]
_WAIT_CONDITIONS = ("", "not-running", "next-exit", "removed")


class ContainerService:
    """All containers of one daemon."""

    def __init__(self, *, deps: ContainerDeps, store: ContainerStore | None = None) -> None:
        self.deps = deps
        self.store = store or ContainerStore(os.path.join(deps.data_root, "metadata.db"))
        self._by_id: dict[str, Container] = {}
        self._by_name: dict[str, str] = {}
        self._removed: dict[str, list[asyncio.Future[int]]] = {}
        self.execs = Execs(deps)
        self.health = HealthMonitor(deps, self.execs, self._save)
        self.lifecycle = Lifecycle(
            deps=deps,
            save=self._save,
            publish=self._publish,
            execs=self.execs,
            health=self.health,
            auto_remove=self._auto_remove,
            lookup=self.get,
        )
        self.files = FileOps(deps=deps, lifecycle=self.lifecycle, publish=self._publish)

    # -- daemon start and stop ----------------------------------------------------------------

    async def restore(self) -> None:
        """Load every container and re-attach to the live ones (live restore)."""
        for c in self.store.load_all():
            self._by_id[c.id] = c
            self._by_name[c.name] = c.id
            if self.deps.volumes is not None:
                volumeuse.restore_refs(self.deps.volumes, c)
        await self.lifecycle.restore(builtins.list(self._by_id.values()))

    async def shutdown(self) -> None:
        containers = builtins.list(self._by_id.values())
        await self.lifecycle.shutdown(containers, live_restore=self.deps.live_restore)
        await self.health.close()
        await self.execs.close()
        self.store.close()

    # -- lookups ------------------------------------------------------------------------------

    def get(self, ref: str) -> Container:
        """The container for an id, unique id prefix or name; NotFound otherwise."""
        key = ref.lstrip("/") if ref else ""
        c = self._by_id.get(key)
        if c is None and key in self._by_name:
            c = self._by_id.get(self._by_name[key])
        if c is None and key:
            found = [x for x in self._by_id.values() if x.id.startswith(key)]
            if len(found) > 1:
                raise errdefs.InvalidArgument(f"multiple IDs found with provided prefix: {key}")
            c = found[0] if found else None
        if c is None:
            raise errdefs.NotFound(f"No such container: {ref}")
        return c

    def all(self) -> builtins.list[Container]:
        return builtins.list(self._by_id.values())

    def image_users(self, image_id: str) -> builtins.list[ImageUser]:
        """Containers created from image_id (images' InUse for rmi and prune)."""
        return [
            ImageUser(id=c.id, running=c.running)
            for c in self._by_id.values()
            if c.image_id == image_id
        ]

    def inspect(self, ref: str, *, size: bool = False) -> dict[str, Any]:
        """ContainerInspectResponse (GET /containers/{id}/json)."""
        c = self.get(ref)
        return docs.inspect_doc(
            c,
            graph_driver=graph_driver(self.deps.snapshotter, c.id),
            sizes=self._sizes(c) if size else None,
        )

    def list(
        self,
        *,
        all: bool = False,
        limit: int = -1,
        size: bool = False,
        filters: Filters_ | None = None,
    ) -> builtins.list[dict[str, Any]]:
        """ContainerSummary list (GET /containers/json), newest first."""
        wanted = docs.ListFilter(filters, self.get)
        everything = all or limit > 0 or wanted.implies_all
        ancestors = self._ancestor_ids(wanted.ancestors)
        rows = sorted(self._by_id.values(), key=lambda c: c.created, reverse=True)
        out = []
        for c in rows:
            if not everything and not c.state.status.is_live():
                continue
            if c.state.status is Status.REMOVING and not everything:
                continue
            if not wanted.match(c, ancestors):
                continue
            out.append(docs.summary_doc(c, sizes=self._sizes(c) if size else None))
            if 0 < limit <= len(out):
                break
        return out

    # -- lifecycle ----------------------------------------------------------------------------

    async def create(
        self, *, name: str, body: dict[str, Any], platform: str = "", api_version: str = "1.51"
    ) -> tuple[str, builtins.list[str]]:
        """POST /containers/create: (id, warnings). name "" generates adjective_surname."""
        c, warnings = build(
            self.deps,
            name=name,
            body=body,
            api_version=api_version,
            taken=self._by_name,
            ids=self._by_id,
            lookup=self.get,
        )
        attached = await self._attach_volumes(c)
        try:
            await asyncio.to_thread(rwlayer.create, self.deps, c)
            try:
                if attached is not None and attached.copies:
                    await self._populate(c, attached)
                self.store.add(c)
            except BaseException:
                await asyncio.to_thread(rwlayer.remove, self.deps, c)
                raise
        except BaseException:
            if attached is not None and self.deps.volumes is not None:
                await asyncio.to_thread(volumeuse.undo, self.deps.volumes, c.id, attached)
            raise
        self._by_id[c.id] = c
        self._by_name[c.name] = c.id
        self._publish(c, "create", {})
        return c.id, warnings

    async def _attach_volumes(self, c: Container) -> volumeuse.Attached | None:
        """Make and reference the container's volumes (c.mounts become their documents)."""
        volumes = self.deps.volumes
        if volumes is None:
            if any(m.get("Type") == "volume" for m in c.mounts):
                raise errdefs.Unimplemented("volumes are not available in this daemon")
            return None
        attached = await asyncio.to_thread(volumeuse.attach, volumes, c, lookup=self.get)
        c.mounts = attached.docs
        return attached

    async def _populate(self, c: Container, attached: volumeuse.Attached) -> None:
        """Copy-up at create, with the new rw layer mounted (moby createContainerVolumesOS)."""
        volumes = self.deps.volumes
        assert volumes is not None
        rootfs = await asyncio.to_thread(self.lifecycle.mount_rootfs, c)
        try:
            await asyncio.to_thread(volumeuse.populate, volumes, c, attached.copies, rootfs)
        finally:
            await asyncio.to_thread(self.lifecycle.unmount_rootfs, c)

    async def start(self, ref: str) -> bool:
        """POST /containers/{id}/start; False when it was already running (Docker's 304)."""
        c = self.get(ref)
        try:
            return await self.lifecycle.start(c)
        except errdefs.DockyardError:
            if c.host_config.get("AutoRemove") and not c.has_been_started:
                await self._auto_remove(c)
            raise

    async def stop(self, ref: str, *, signal: str = "", timeout: int | None = None) -> bool:
        """StopSignal, SIGKILL after the timeout (StopTimeout, else 10 s); False if not running."""
        return await self.lifecycle.stop(self.get(ref), signal=signal, timeout=timeout)

    async def kill(self, ref: str, *, signal: str = "KILL") -> None:
        """POST /containers/{id}/kill; Conflict "Container <id> is not running" when stopped."""
        await self.lifecycle.kill(self.get(ref), signal=signal)

    async def restart(self, ref: str, *, signal: str = "", timeout: int | None = None) -> None:
        c = self.get(ref)
        await self.lifecycle.stop(c, signal=signal, timeout=timeout)
        await self.lifecycle.start(c)
        self._publish(c, "restart", {})

    async def pause(self, ref: str) -> None:
        await self.lifecycle.pause(self.get(ref))

    async def unpause(self, ref: str) -> None:
        await self.lifecycle.unpause(self.get(ref))

    async def remove(
        self, ref: str, *, force: bool = False, volumes: bool = False, link: bool = False
    ) -> None:
        """DELETE /containers/{id}; Conflict for a running container without force."""
        c = self.get(ref)
        if link:
            raise errdefs.InvalidArgument("legacy links are not supported")
        if c.state.status is Status.REMOVING:
            raise errdefs.Conflict(f"removal of container {c.id} is already in progress")
        if not force:
            _refuse_live(c)
        else:
            await self.lifecycle.kill_and_wait(c)
        async with c.lock:
            if c.id not in self._by_id:
                return  # removed meanwhile (AutoRemove)
            _refuse_live(c)
            c.state.move(Status.REMOVING)
            self.lifecycle.forget(c)
            try:
                await asyncio.to_thread(rwlayer.remove, self.deps, c)
            except BaseException:
                c.state.move(Status.DEAD)
                self._save(c)
                raise
            self.store.delete(c.id)
            self._drop(c)
        if self.deps.volumes is not None:
            await asyncio.to_thread(
                volumeuse.release, self.deps.volumes, c, remove_anonymous=volumes
            )
        self._publish(c, "destroy", {})
        for fut in self._removed.pop(c.id, []):
            if not fut.done():
                fut.set_result(c.state.exit_code)

    def _drop(self, c: Container) -> None:
        self._by_id.pop(c.id, None)
        if self._by_name.get(c.name) == c.id:
            del self._by_name[c.name]
        self.execs.forget(c.id)

    async def _auto_remove(self, c: Container) -> None:
        try:
            await self.remove(c.id, force=True, volumes=True)  # moby: RemoveVolume for --rm
        except errdefs.NotFound:
            pass
        except errdefs.DockyardError as err:
            log.warning("failed to remove container %s: %s", c.id[:12], err)

    async def waiter(
        self, ref: str, *, condition: str = "not-running"
    ) -> Callable[[], Awaitable[dict[str, Any]]]:
        """POST /containers/{id}/wait in two steps: validate and register now (so `next-exit`
        registered before start sees that start's exit), then await the returned callable
        for {"StatusCode": n, "Error": null | {"Message": ...}}."""
        c = self.get(ref)
        if condition not in _WAIT_CONDITIONS:
            raise errdefs.InvalidArgument(f'invalid condition: "{condition}"')
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any]
        if condition == "removed":
            fut = loop.create_future()
            self._removed.setdefault(c.id, []).append(fut)
        elif condition == "next-exit" or c.state.status.is_live():
            fut = self.lifecycle.exit_future(c)
        else:
            fut = loop.create_future()
            fut.set_result(c.state.exit_code)

        async def wait() -> dict[str, Any]:
            result = await fut
            code = result if isinstance(result, int) else result.exit_code
            error = {"Message": c.state.error} if c.state.error else None
            return {"StatusCode": code, "Error": error}

        return wait

    async def rename(self, ref: str, new_name: str) -> None:
        c = self.get(ref)
        new = names.validate(new_name) if new_name else ""
        if not new:
            raise errdefs.InvalidArgument("Neither old nor new names may be empty")
        if new == c.name:
            raise errdefs.InvalidArgument(
                "Renaming a container with the same name as its current name"
            )
        async with c.lock:
            if new in self._by_name:
                raise name_conflict(new, self._by_name[new])
            old = c.name
            c.name = new
            try:
                self.store.save(c)
            except errdefs.DockyardError:
                c.name = old
                raise
            del self._by_name[old]
            self._by_name[new] = c.id
        self._publish(c, "rename", {"oldName": "/" + old})

    async def update(self, ref: str, body: dict[str, Any]) -> builtins.list[str]:
        """POST /containers/{id}/update (resources, RestartPolicy): warnings."""
        c = self.get(ref)
        changes = validate_update(body)
        async with c.lock:
            policy = changes.get("RestartPolicy")
            if (
                policy
                and policy.get("Name", "no") not in ("", "no")
                and c.host_config.get("AutoRemove")
            ):
                raise errdefs.InvalidArgument(
                    "Restart policy cannot be updated because AutoRemove is enabled for the "
                    "container"
                )
            resources = {k: v for k, v in changes.items() if k != "RestartPolicy"}
            if resources:
                await asyncio.to_thread(apply_update, c, resources, defaults=self.deps.defaults)
                c.host_config.update(merge_update(c, resources))
            if policy:
                c.host_config["RestartPolicy"] = policy
            self._save(c)
        self._publish(c, "update", {})
        return []

    async def prune(self, *, filters: Filters_ | None = None) -> dict[str, Any]:
        """{"ContainersDeleted": [...], "SpaceReclaimed": n}."""
        f = Filters(filters, accepted=frozenset({"until", "label", "label!"}))
        until = f.until()
        deleted, reclaimed = [], 0
        for c in builtins.list(self._by_id.values()):
            if c.state.status.is_live() or c.state.status is Status.RESTARTING:
                continue
            if until is not None and timefmt.to_ns(c.created) >= until:
                continue
            if not f.match_labels(c.config.get("Labels")):
                continue
            size = self._sizes(c)[0]
            try:
                await self.remove(c.id)
            except errdefs.DockyardError as err:
                log.warning("prune: failed to remove %s: %s", c.id[:12], err)
                continue
            deleted.append(c.id)
            reclaimed += size
        self.deps.events.publish("container", "prune", "", {"reclaimed": str(reclaimed)})
        return {"ContainersDeleted": deleted or None, "SpaceReclaimed": reclaimed}

    async def connect_network(
        self, network: str, ref: str, endpoint_config: dict[str, Any] | None
    ) -> None:
        """POST /networks/{id}/connect (docker network connect)."""
        c = self.get(ref)
        async with c.lock:
            await netuse.connect(self.deps, c, network, endpoint_config)
            self._save(c)

    async def disconnect_network(self, network: str, ref: str, *, force: bool = False) -> None:
        """POST /networks/{id}/disconnect (docker network disconnect)."""
        c = self.get(ref)
        async with c.lock:
            await netuse.disconnect(self.deps, c, network, force=force)
            self._save(c)

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
        c = self.get(ref)
        if c.paused:
            raise errdefs.Conflict(
                f"container {ref} is paused, unpause the container before attach."
            )
        keys = attaching.parse_detach_keys(detach_keys)
        if logs:
            async for chunk in self.logs(c.id, stdout=stdout, stderr=stderr):
                await conn.write(chunk)
        if not stream:
            await conn.close_write()
            return
        use_stdin = stdin and bool(c.config.get("OpenStdin"))
        shim_stream = await self._attach_stream(c, stdin=use_stdin, stdout=stdout, stderr=stderr)
        if shim_stream is None:
            await conn.close_write()
            return
        self._publish(c, "attach", {})
        detached = await attaching.pump(
            conn, shim_stream, tty=c.tty, stdin=use_stdin, detach_keys=keys if use_stdin else None
        )
        if detached:
            self._publish(c, "detach", {})

    async def _attach_stream(
        self, c: Container, *, stdin: bool, stdout: bool, stderr: bool
    ) -> ShimStream | None:
        """The shim stream now, or (not running) at the next start; None if removed first."""
        removed: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._removed.setdefault(c.id, []).append(removed)
        try:
            return await attaching.join(
                c, self.lifecycle, removed, stdin=stdin, stdout=stdout, stderr=stderr
            )
        finally:
            if not removed.done():
                removed.cancel()

    async def resize(self, ref: str, *, height: int, width: int) -> None:
        c = self.get(ref)
        await self.lifecycle.shim(c).resize(height=height, width=width)
        self._publish(c, "resize", {"height": str(height), "width": str(width)})

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
        c = self.get(ref)
        if not (stdout or stderr):
            raise errdefs.InvalidArgument("You must choose at least one stream")
        return logreading.logs(
            c,
            follow=follow,
            stdout=stdout,
            stderr=stderr,
            since=since,
            until=until,
            timestamps=timestamps,
            tail=tail or "all",
            running=lambda: c.state.status.is_live() or c.state.status is Status.RESTARTING,
        )

    # -- exec ---------------------------------------------------------------------------------

    async def exec_create(self, ref: str, body: dict[str, Any]) -> str:
        c = self.get(ref)
        exec_id = self.execs.create(c, body)
        c.exec_ids.add(exec_id)
        return exec_id

    async def exec_start(
        self, exec_id: str, *, detach: bool, tty: bool | None = None, conn: Conn | None = None
    ) -> None:
        container_id = self.execs.container_of(exec_id)
        c = self.get(container_id)
        await self.execs.start(exec_id, container=c, detach=detach, tty=tty, conn=conn)

    def exec_inspect(self, exec_id: str) -> dict[str, Any]:
        return self.execs.inspect(exec_id)

    async def exec_resize(self, exec_id: str, *, height: int, width: int) -> None:
        c = self.get(self.execs.container_of(exec_id))
        await self.execs.resize(exec_id, container=c, height=height, width=width)

    # -- inspection and files -----------------------------------------------------------------

    async def top(self, ref: str, *, ps_args: str = "-ef") -> dict[str, Any]:
        c = self.get(ref)
        if not c.running:
            raise errdefs.Conflict(f"Container {c.id} is not running")
        result = await top.top(c, ps_args=ps_args, defaults=self.deps.defaults)
        self._publish(c, "top", {})
        return result

    def stats(
        self, ref: str, *, stream: bool = True, one_shot: bool = False
    ) -> AsyncIterator[dict[str, Any]]:
        c = self.get(ref)
        return stats.stats(
            c, stream=stream, one_shot=one_shot, defaults=self.deps.defaults,
            running=lambda: c.running,
        )  # fmt: skip

    async def changes(self, ref: str) -> builtins.list[dict[str, Any]]:
        return await self.files.changes(self.get(ref))

    def export(self, ref: str) -> AsyncIterator[bytes]:
        return self.files.export(self.get(ref))

    async def archive_stat(self, ref: str, path: str) -> dict[str, Any]:
        """HEAD /containers/{id}/archive: the X-Docker-Container-Path-Stat document."""
        return await self.files.stat(self.get(ref), path)

    async def archive_get(self, ref: str, path: str) -> tuple[dict[str, Any], AsyncIterator[bytes]]:
        return await self.files.get(self.get(ref), path)

    async def archive_put(
        self,
        ref: str,
        path: str,
        body: AsyncIterator[bytes],
        *,
        no_overwrite_dir_non_dir: bool = False,
        copy_uid_gid: bool = False,
    ) -> None:
        c = self.get(ref)
        await self.files.put(
            c, path, body, no_overwrite_dir_non_dir=no_overwrite_dir_non_dir,
            copy_uid_gid=copy_uid_gid,
        )  # fmt: skip

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
        return await self.files.commit(
            self.get(ref), repo=repo, tag=tag, comment=comment, author=author, pause=pause,
            changes=changes or [], config=config,
        )  # fmt: skip

    # -- helpers ------------------------------------------------------------------------------

    def _save(self, c: Container) -> None:
        if c.id in self._by_id:  # a removed container has nothing left to save
            self.store.save(c)

    def _publish(self, c: Container, action: str, extra: dict[str, str]) -> None:
        attributes = {"image": c.config.get("Image") or c.image_id, "name": c.name}
        attributes.update(c.config.get("Labels") or {})
        attributes.update(extra)
        self.deps.events.publish("container", action, c.id, attributes)

    def _sizes(self, c: Container) -> tuple[int, int]:
        """(SizeRw, SizeRootFs)."""
        try:
            rw = self.deps.snapshotter.usage(c.id).size
        except errdefs.DockyardError:
            rw = 0
        try:
            image = self.deps.images.get(c.image_id).size
        except errdefs.DockyardError:
            image = 0
        return rw, rw + image

    def _ancestor_ids(self, refs: builtins.list[str]) -> set[str]:
        ids = set()
        for ref in refs:
            try:
                ids.add(self.deps.images.get(ref).id)
            except errdefs.NotFound:
                continue
        return ids


def _refuse_live(c: Container) -> None:
    if c.paused:
        raise errdefs.Conflict(
            f"You cannot remove a paused container {c.id}. Unpause and then stop the container "
            "before attempting removal or force remove"
        )
    if c.state.status.is_live() or c.state.status is Status.RESTARTING:
        raise errdefs.Conflict(
            f"You cannot remove a running container {c.id}. Stop the container before "
            "attempting removal or force remove"
        )
