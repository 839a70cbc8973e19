"""A container's files from the outside: cp (archive), export, changes (docker diff), commit.

They all need the container's rootfs mounted; a stopped container's rw snapshot is mounted
for the duration of the operation (counted, so two at once share one mount and a start in
between is not disturbed).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from dockyard.containers import archive, changes, commit
from dockyard.containers.container import Container
from dockyard.containers.deps import ContainerDeps
from dockyard.containers.lifecycle import Lifecycle

_DONE = object()


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

    @contextlib.asynccontextmanager
    async def mounted(self, c: Container) -> AsyncIterator[str]:
        """The container's rootfs path, mounted for as long as the block runs."""
        async with c.lock:
            self._users[c.id] = self._users.get(c.id, 0) + 1
            path = c.rootfs or await asyncio.to_thread(self.lifecycle.mount_rootfs, c)
        try:
            yield path
        finally:
            async with c.lock:
                self._users[c.id] -= 1
                if not self._users[c.id]:
                    del self._users[c.id]
                    if not c.running:
                        await asyncio.to_thread(self.lifecycle.unmount_rootfs, c)

    async def stat(self, c: Container, path: str) -> dict[str, Any]:
        async with self.mounted(c) as rootfs:
            return await asyncio.to_thread(archive.stat, rootfs, path, container_name=c.name)

    async def get(self, c: Container, path: str) -> tuple[dict[str, Any], AsyncIterator[bytes]]:
        """(stat, tar stream); the rootfs stays mounted until the stream is consumed."""
        ctx = self.mounted(c)
        rootfs = await ctx.__aenter__()
        try:
            stat, chunks = await asyncio.to_thread(archive.get, rootfs, path, container_name=c.name)
        except BaseException:
            await ctx.__aexit__(None, None, None)
            raise
        self._publish(c, "archive-path", {"path": path})
        return stat, _stream(chunks, ctx)

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

        async with self.mounted(c) as rootfs:
            await asyncio.to_thread(
                archive.put,
                rootfs,
                path,
                chunks(),
                no_overwrite_dir_non_dir=no_overwrite_dir_non_dir,
                copy_uid_gid=copy_uid_gid,
                container_name=c.name,
                user=c.config.get("User") or "",
                read_only=bool(c.host_config.get("ReadonlyRootfs")),
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


async def _iterate(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """A blocking iterator, pulled from a thread one chunk at a time. A client that stops
    reading early closes it, so its open directories do not keep the rootfs busy."""
    try:
        while True:
            chunk = await asyncio.to_thread(next, chunks, None)
            if chunk is None:
                return
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            await asyncio.to_thread(close)


async def _stream(
    chunks: Iterator[bytes], ctx: contextlib.AbstractAsyncContextManager[str]
) -> AsyncIterator[bytes]:
    try:
        async for chunk in _iterate(chunks):
            yield chunk
    finally:
        await ctx.__aexit__(None, None, None)
