"""Downloads: one download per blob in this process, however many pulls want it.

Two pulls that need the same layer share one download: the first starts it (a task owned by
this object, so that it survives the cancellation of any one pull while another still waits
for it) and later ones join it, each watching its progress. Across processes the content
store's ingest lock does the same job: a writer for a ref another process holds waits, and
finds the blob committed (AlreadyExists) once the other side is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from dockyard import errdefs
from dockyard.content.store import Store, Writer
from dockyard.distribution.manifests import Descriptor
from dockyard.images.reference import Reference

if TYPE_CHECKING:
    from dockyard.distribution.client import RegistryClient

log = logging.getLogger(__name__)

LOCK_POLL = 1.0  # seconds a writer() call may wait for another process's lock at a time
Progress = Callable[[int], None]


class _Inflight:
    """One download in progress: its task, who watches it, how many wait for it."""

    def __init__(self) -> None:
        self.task: asyncio.Task[bool] | None = None
        self.watchers: list[Progress] = []
        self.waiters = 0
        self.current = 0

    def report(self, current: int) -> None:
        self.current = current
        for watch in list(self.watchers):
            watch(current)


class Downloads:
    """The in-process map digest -> download; owned by a RegistryClient."""

    def __init__(self, client: RegistryClient) -> None:
        self._client = client
        self._inflight: dict[str, _Inflight] = {}

    async def fetch(
        self,
        repo: Reference,
        desc: Descriptor,
        content: Store,
        *,
        progress: Progress | None = None,
    ) -> bool:
        """Make sure blob `desc` is in `content`; True if it was downloaded (by this process,
        for this or a concurrent caller), False if it was there already."""
        if await asyncio.to_thread(content.exists, desc.digest):
            return False
        entry = self._inflight.get(desc.digest)
        if entry is None:
            entry = _Inflight()
            entry.task = asyncio.create_task(
                self._download(repo, desc, content, entry), name=f"download {desc.digest}"
            )
            entry.task.add_done_callback(lambda t: self._finished(desc.digest, entry, t))
            self._inflight[desc.digest] = entry
        elif progress is not None and entry.current:
            progress(entry.current)
        assert entry.task is not None
        if progress is not None:
            entry.watchers.append(progress)
        entry.waiters += 1
        try:
            return await asyncio.shield(entry.task)
        except asyncio.CancelledError:
            if entry.waiters == 1 and not entry.task.done():
                entry.task.cancel()  # nobody else wants it any more
            raise
        finally:
            entry.waiters -= 1
            if progress is not None:
                entry.watchers.remove(progress)

    async def close(self) -> None:
        """Cancel what is still downloading and wait for it to stop."""
        tasks = [e.task for e in self._inflight.values() if e.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, errdefs.DockyardError):
                await task

    def _finished(self, digest: str, entry: _Inflight, task: asyncio.Task[bool]) -> None:
        if self._inflight.get(digest) is entry:
            del self._inflight[digest]
        if not task.cancelled() and task.exception() is not None and entry.waiters == 0:
            log.debug("download of %s failed unwatched: %s", digest, task.exception())

    async def _download(
        self, repo: Reference, desc: Descriptor, content: Store, entry: _Inflight
    ) -> bool:
        writer = await self._open_writer(content, desc)
        if writer is None:
            return False  # another process committed it while we waited for its lock
        try:
            await self._client.fetch_blob(repo, desc, writer, progress=entry.report)
        finally:
            writer.close()  # after a failure the partial data stays, for a resume
        return True

    async def _open_writer(self, content: Store, desc: Descriptor) -> Writer | None:
        # Short waits in a loop, so that a cancelled pull does not leave a thread blocked on
        # another process's lock for as long as that process keeps it.
        while True:
            try:
                return await asyncio.to_thread(
                    content.writer,
                    desc.digest,
                    expected=desc.digest,
                    size=desc.size,
                    timeout=LOCK_POLL,
                )
            except errdefs.AlreadyExists:
                return None
            except errdefs.Unavailable:
                continue
