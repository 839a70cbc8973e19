"""A container's files from the outside: cp (archive), export, changes (docker diff), commit.

They all need the container's rootfs mounted; a stopped container's rw snapshot is mounted
for the duration of the operation (counted, so two at once share one mount and a start in
between is not disturbed). `docker cp` sees what the container sees: it runs in a cpview
(the rootfs with the container's volumes, binds and /etc files bound on it, in a private
mount namespace of one thread); its volumes are mounted for it under the reference
"<id>-cp", counted like the rootfs. `docker export` reads the bare rootfs (Docker's export
leaves volumes out).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar

from dockyard import errdefs
from dockyard.containers import archive, changes, commit, cpview, volumeuse
from dockyard.containers.container import Container
from dockyard.containers.deps import ContainerDeps
from dockyard.containers.lifecycle import Lifecycle
from dockyard.volumes.volume import DEFAULT_DRIVER

log = logging.getLogger(__name__)

_DONE = object()
T = TypeVar("T")


class FileOps:
    """cp, export, diff and commit over the container's (temporarily) mounted rootfs."""

    def __init__(
        self,
        *,
        deps: ContainerDeps,
        lifecycle: Lifecycle,
        publish: Callable[[Container, str, dict[str, str]], None],
    ) -> None:
        self.deps = deps
        self.lifecycle = lifecycle
        self._publish = publish
        self._users: dict[str, int] = {}
        self._volume_users: dict[str, int] = {}
        self._volume_paths: dict[str, dict[str, str]] = {}

    @contextlib.asynccontextmanager
    async def mounted(self, c: Container) -> AsyncIterator[str]:
        """The container's rootfs path, mounted for as long as the block runs."""
        async with _held(self._mount_rootfs(c), lambda: self._unmount_rootfs(c)) as path:
            yield path

    async def _mount_rootfs(self, c: Container) -> str:
        async with c.lock:
            path = c.rootfs or await asyncio.to_thread(self.lifecycle.mount_rootfs, c)
            self._users[c.id] = self._users.get(c.id, 0) + 1
            return path

    async def _unmount_rootfs(self, c: Container) -> None:
        async with c.lock:
            self._users[c.id] -= 1
            if not self._users[c.id]:
                del self._users[c.id]
                if not c.running:
                    await asyncio.to_thread(self.lifecycle.unmount_rootfs, c)

    @contextlib.asynccontextmanager
    async def view(self, c: Container) -> AsyncIterator[cpview.ContainerView]:
        """The container's filesystem as it sees it (cpview), for as long as the block runs;
        whatever happens to the caller, the view and what was mounted for it go away."""
        async with (
            self.mounted(c) as rootfs,
            _held(self._acquire_volumes(c), lambda: self._release_volumes(c)) as sources,
        ):
            view = cpview.ContainerView(rootfs, cpview.view_mounts(c, sources))
            async with _held(asyncio.to_thread(view.start), lambda: asyncio.to_thread(view.close)):
                yield view

    async def _acquire_volumes(self, c: Container) -> dict[str, str]:
        """Host paths of the container's volumes by name, mounted under "<id>-cp" by the
        first cp of the container and let go by the last; Docker's volume `mount` events."""
        volumes = self.deps.volumes
        docs = volumeuse.volume_docs(c) if volumes is not None else []
        async with c.lock:
            if not self._volume_users.get(c.id):
                paths: dict[str, str] = {}
                try:
                    for m in docs:
                        assert volumes is not None  # no volumes service: no docs
                        path = await asyncio.to_thread(volumes.mount, m["Name"], _ref(c))
                        paths[m["Name"]] = path
                except BaseException:
                    await self._unmount_volumes(c, list(paths))
                    raise
                self._volume_paths[c.id] = paths
            self._volume_users[c.id] = self._volume_users.get(c.id, 0) + 1
            paths = self._volume_paths[c.id]
        for m in docs:
            self._volume_event(c, m, "mount")
        return dict(paths)

    async def _release_volumes(self, c: Container) -> None:
        async with c.lock:
            self._volume_users[c.id] -= 1
            if not self._volume_users[c.id]:
                del self._volume_users[c.id]
                await self._unmount_volumes(c, list(self._volume_paths.pop(c.id, {})))
        for m in volumeuse.volume_docs(c) if self.deps.volumes is not None else []:
            self._volume_event(c, m, "unmount")

    async def _unmount_volumes(self, c: Container, names: list[str]) -> None:
        volumes = self.deps.volumes
        if volumes is None:
            return
        for name in names:
            try:
                await asyncio.to_thread(volumes.unmount, name, _ref(c))
            except errdefs.DockyardError as err:
                log.warning("failed to unmount volume %s after a cp: %s", name, err)

    def _volume_event(self, c: Container, m: dict[str, Any], action: str) -> None:
        attrs = {"driver": m.get("Driver") or DEFAULT_DRIVER, "container": c.id}
        if action == "mount":
            attrs |= {
                "destination": m["Destination"],
                "read/write": "true" if m.get("RW") else "false",
                "propagation": m.get("Propagation") or "",
            }
        self.deps.events.publish("volume", action, m["Name"], attrs)

    async def stat(self, c: Container, path: str) -> dict[str, Any]:
        async with self.view(c) as view:
            return await view.run(archive.stat, view.rootfs, path, container_name=c.name)

    async def get(self, c: Container, path: str) -> tuple[dict[str, Any], AsyncIterator[bytes]]:
        """(stat, tar stream); the view stays open until the stream is consumed or closed."""
        ctx = self.view(c)
        view = await ctx.__aenter__()
        try:
            stat, chunks = await view.run(archive.get, view.rootfs, path, container_name=c.name)
        except BaseException:
            await ctx.__aexit__(None, None, None)
            raise
        self._publish(c, "archive-path", {"path": path})
        return stat, _stream(chunks, ctx, view.run)

    async def put(
        self,
        c: Container,
        path: str,
        body: AsyncIterator[bytes],
        *,
        no_overwrite_dir_non_dir: bool,
        copy_uid_gid: bool,
    ) -> None:
        loop = asyncio.get_running_loop()

        def chunks() -> Iterator[bytes]:
            while True:
                item = asyncio.run_coroutine_threadsafe(_next(body), loop).result()
                if item is _DONE:
                    return
                assert isinstance(item, bytes)
                yield item

        async with self.view(c) as view:
            await view.run(
                archive.put,
                view.rootfs,
                path,
                chunks(),
                no_overwrite_dir_non_dir=no_overwrite_dir_non_dir,
                copy_uid_gid=copy_uid_gid,
                container_name=c.name,
                user=c.config.get("User") or "",
                read_only=bool(c.host_config.get("ReadonlyRootfs")),
                mounts=cpview.mount_modes(c),
            )
        self._publish(c, "extract-to-dir", {"path": path})

    def export(self, c: Container) -> AsyncIterator[bytes]:
        async def generate() -> AsyncIterator[bytes]:
            async with self.mounted(c) as rootfs:
                chunks = await asyncio.to_thread(archive.export, rootfs)
                self._publish(c, "export", {})
                async for chunk in _iterate(chunks):
                    yield chunk

        return generate()

    async def changes(self, c: Container) -> list[dict[str, Any]]:
        sn = self.deps.snapshotter
        upper, lowers = sn.upper_dir(c.id), sn.lower_dirs(c.id)
        return await asyncio.to_thread(changes.changes, upper_dir=upper, lower_dirs=lowers)

    async def commit(
        self,
        c: Container,
        *,
        repo: str,
        tag: str,
        comment: str,
        author: str,
        pause: bool,
        changes: list[str],
        config: dict[str, Any] | None,
    ) -> str:
        paused_here = False
        if pause and c.running and not c.paused:
            await self.lifecycle.pause(c)
            paused_here = True
        try:
            sn = self.deps.snapshotter
            image_id = await asyncio.to_thread(
                commit.commit,
                container=c,
                deps=self.deps,
                upper_dir=sn.upper_dir(c.id),
                lower_dirs=sn.lower_dirs(c.id),
                repo=repo,
                tag=tag,
                comment=comment,
                author=author,
                changes=changes,
                config=config,
            )
        finally:
            if paused_here:
                await self.lifecycle.unpause(c)
        self._publish(c, "commit", {"comment": comment, "imageID": image_id})
        return image_id


async def _next(body: AsyncIterator[bytes]) -> object:
    try:
        return await body.__anext__()
    except StopAsyncIteration:
        return _DONE


async def _iterate(
    chunks: Iterator[bytes], run: Callable[..., Awaitable[Any]] = asyncio.to_thread
) -> AsyncIterator[bytes]:
    """A blocking iterator, pulled one chunk at a time through `run` (a thread, or a cp
    view's thread). A client that stops reading early closes it, so its open directories
    do not keep the rootfs busy."""
    try:
        while True:
            chunk = await run(next, chunks, None)
            if chunk is None:
                return
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            await _shielded(run(close))


async def _stream(
    chunks: Iterator[bytes],
    ctx: contextlib.AbstractAsyncContextManager[Any],
    run: Callable[..., Awaitable[Any]],
) -> AsyncIterator[bytes]:
    try:
        async for chunk in _iterate(chunks, run):
            yield chunk
    finally:
        await ctx.__aexit__(None, None, None)


@contextlib.asynccontextmanager
async def _held(acquire: Awaitable[T], release: Callable[[], Awaitable[None]]) -> AsyncIterator[T]:
    """`acquire` run to its end and, once it succeeded, `release` run to its end, whatever
    cancellation (a client gone) hits the caller in between: a mount is never left behind."""
    task = asyncio.ensure_future(acquire)
    try:
        yield await asyncio.shield(task)
    finally:
        await _shielded(_release_if_acquired(task, release))


async def _release_if_acquired(
    task: asyncio.Future[Any], release: Callable[[], Awaitable[None]]
) -> None:
    await asyncio.wait([task])
    if not task.cancelled() and task.exception() is None:
        await release()


async def _shielded(aw: Awaitable[T]) -> T:
    """Await `aw` to its end even when the caller is cancelled meanwhile (the cancellation
    is raised afterwards): setup and cleanup of mounts must not stop half-way."""
    task = asyncio.ensure_future(aw)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise


def _ref(c: Container) -> str:
    return f"{c.id}-cp"
