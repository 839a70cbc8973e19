"""ImageOps: the image endpoints' backend, ImageService plus Docker's image events.

    ops = ImageOps(images=svc, events=bus, registry=client, in_use=containers.image_users)
    await ops.pull("busybox", tag="latest", auth=None, progress=sink)   # docker pull
    await ops.tag("busybox", repo="me/box", tag="1")                     # docker tag
    await ops.remove("me/box:1")                                         # docker rmi

Events are moby's (daemon/images/image_events.go): Type "image", Actor.Attributes the
image's labels plus `name`; pull and push name the reference (Actor.ID "busybox:latest",
name "busybox"), tag names the new tag, untag and delete name the image id, and prune ends
with an actor-less `prune` event carrying `reclaimed`. ImageService is synchronous (SQLite,
the filesystem), so its calls run in threads; archives cross between the loop and those
threads through the small adapters at the bottom.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, Protocol

from dockyard import errdefs
from dockyard.containers.events import EventSink
from dockyard.distribution.client import RegistryClient
from dockyard.distribution.credentials import AuthConfig
from dockyard.distribution.inspect import distribution_inspect
from dockyard.images import reference as refs
from dockyard.images import transfer
from dockyard.images.delete import InUse
from dockyard.images.filters import FilterArgs
from dockyard.images.reference import Reference
from dockyard.images.service import ImageService

Sink = Callable[[dict[str, Any]], None]
CHUNK = 1 << 16


class ByteSource(Protocol):
    """A request body (aiohttp's StreamReader): b"" at its end."""

    async def read(self, n: int = -1) -> bytes: ...


class ImageOps:
    """Image operations with events, for the API's image and distribution routes."""

    def __init__(
        self,
        *,
        images: ImageService,
        events: EventSink,
        registry: RegistryClient,
        in_use: InUse,
        max_concurrent_downloads: int = 3,
    ) -> None:
        self.images = images
        self.events = events
        self.registry = registry
        self.in_use = in_use
        self.max_concurrent_downloads = max_concurrent_downloads

    # -- reads ----------------------------------------------------------------------------

    async def list(
        self,
        *,
        all: bool = False,
        filters: FilterArgs | None = None,
        shared_size: bool = False,
        api_version: str = "1.51",
    ) -> builtins.list[dict[str, Any]]:
        return await asyncio.to_thread(
            self.images.list,
            all=all,
            filters=filters,
            shared_size=shared_size,
            in_use=self.in_use,
            api_version=api_version,
        )

    async def inspect(self, name: str, *, api_version: str = "1.51") -> dict[str, Any]:
        return await asyncio.to_thread(self.images.inspect, name, api_version=api_version)

    async def history(self, name: str) -> builtins.list[dict[str, Any]]:
        return await asyncio.to_thread(self.images.history, name)

    async def distribution_inspect(self, name: str, *, auth: AuthConfig | None) -> dict[str, Any]:
        """GET /distribution/{name}/json: the registry's descriptor and platforms."""
        parsed = refs.parse_any(name)
        if not isinstance(parsed, Reference):
            raise errdefs.Unknown("no manifest found for full image ID")
        ref = parsed if parsed.tag or parsed.digest else parsed.with_tag("latest")
        return await distribution_inspect(ref, client=self._client(auth))

    # -- registry -------------------------------------------------------------------------

    async def pull(
        self,
        name: str,
        *,
        tag: str = "",
        platform: str = "",
        auth: AuthConfig | None = None,
        progress: Sink,
    ) -> None:
        """POST /images/create?fromImage: a name without tag or digest (and no `tag`) pulls
        every tag of the repository, as moby does (`docker pull -a`)."""
        ref = _pull_reference(name.removesuffix(":"), tag)
        all_tags = not ref.tag and not ref.digest
        if ref.familiar_name() == "scratch":
            raise errdefs.InvalidArgument("'scratch' is a reserved name")
        await transfer.pull_image(
            self.images,
            str(ref),
            client=self._client(auth),
            platform=platform,
            all_tags=all_tags,
            progress=_HoldPullingFrom(progress),
            max_concurrent_downloads=self.max_concurrent_downloads,
        )
        self._log(ref.familiar(), "pull", name=ref.familiar_name(), labels_of=ref.familiar())

    async def push(
        self, name: str, *, tag: str = "", auth: AuthConfig | None = None, progress: Sink
    ) -> None:
        """POST /images/{name}/push: one tag, or every tag of the repository without one."""
        base = refs.parse(name)
        if tag:
            targets = [base.with_tag(tag)]
        elif base.tag or base.digest:
            targets = [base]
        else:
            tagged = await asyncio.to_thread(self.images.store.references_by_name, base)
            targets = [r for r, _ in tagged if r.tag and not r.digest]
            if not targets:
                raise errdefs.NotFound(
                    f"An image does not exist locally with the tag: {base.familiar_name()}"
                )
        client = self._client(auth)
        for target in targets:
            await transfer.push_image(self.images, str(target), client=client, progress=progress)
            self._log(target.familiar(), "push", name=target.familiar_name(), labels_of=str(target))

    def _client(self, auth: AuthConfig | None) -> RegistryClient:
        if auth is None:
            return self.registry

        async def credentials(domain: str) -> AuthConfig | None:
            return auth  # X-Registry-Auth is for the registry this request talks to

        return self.registry.with_credentials(credentials)

    # -- names ----------------------------------------------------------------------------

    async def tag(self, source: str, *, repo: str, tag: str = "") -> None:
        """POST /images/{name}/tag?repo&tag (`tag` defaults to latest)."""
        if not repo:
            raise errdefs.InvalidArgument("repository name must have at least one component")
        target = str(refs.parse(repo).with_tag(tag)) if tag else repo

        def run() -> tuple[str, Reference]:
            image_id = self.images.get(source).id
            return image_id, self.images.tag(source, target)

        image_id, ref = await asyncio.to_thread(run)
        self._log(image_id, "tag", name=ref.familiar(), labels_of=image_id)

    async def remove(
        self, name: str, *, force: bool = False, noprune: bool = False
    ) -> builtins.list[dict[str, str]]:
        """DELETE /images/{name}: [{"Untagged": ...}, {"Deleted": ...}], with untag and
        delete events."""

        def run() -> tuple[_Before, builtins.list[dict[str, str]]]:
            before = _Before.of(self.images)
            records = self.images.remove(name, force=force, noprune=noprune, in_use=self.in_use)
            return before, records

        before, records = await asyncio.to_thread(run)
        self._log_deletions(before, records)
        return records

    async def prune(self, *, filters: FilterArgs | None = None) -> dict[str, Any]:
        """POST /images/prune: ImagesDeleted and SpaceReclaimed, then a `prune` event."""

        def run() -> tuple[_Before, dict[str, Any]]:
            before = _Before.of(self.images)
            return before, self.images.prune(filters=filters, in_use=self.in_use)

        before, report = await asyncio.to_thread(run)
        self._log_deletions(before, report.get("ImagesDeleted") or [])
        reclaimed = str(report.get("SpaceReclaimed", 0))
        self.events.publish("image", "prune", "", {"reclaimed": reclaimed})
        return report

    # -- archives -------------------------------------------------------------------------

    async def import_image(
        self,
        body: ByteSource,
        *,
        repo: str = "",
        tag: str = "",
        changes: Sequence[str] = (),
        message: str = "",
        source: str = "-",
        platform: str = "",
        progress: Sink,
    ) -> str:
        """POST /images/create?fromSrc=-: the body is a rootfs tar; the stream says its id."""
        if source != "-":
            raise errdefs.Unimplemented("importing from a URL is not supported; use fromSrc=-")
        repo_tag = repo
        if repo and tag:
            repo_tag = str(refs.parse(repo).with_tag(tag))
        reader = _SyncReader(body, asyncio.get_running_loop())
        image_id = await asyncio.to_thread(
            self.images.import_image,
            reader,  # type: ignore[arg-type]  # a readable stream is all BinaryIO is used as
            repo_tag=repo_tag or None,
            changes=changes,
            message=message,
            source=source,
            platform=platform or None,
        )
        progress({"status": image_id})
        self._log(image_id, "import", name=image_id, labels_of=image_id)
        return image_id

    async def load(self, body: ByteSource, *, quiet: bool, progress: Sink) -> None:
        """POST /images/load: {"stream": "Loaded image: busybox:latest\\n"} per image."""
        reader = _SyncReader(body, asyncio.get_running_loop())
        lines = await asyncio.to_thread(self.images.load, reader)  # type: ignore[arg-type]
        for line in lines:
            progress({"stream": line + "\n"})
            name = line.split(": ", 1)[-1]
            image_id = await asyncio.to_thread(_id_or_empty, self.images, name)
            if image_id:
                self._log(image_id, "load", name=image_id, labels_of=image_id)

    async def save(self, names: Sequence[str]) -> AsyncIterator[bytes]:
        """GET /images/get: the tar `docker save` writes, chunk by chunk. Errors about the
        names come before the first chunk."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=8)
        writer = _QueueWriter(queue, loop)

        def run() -> None:
            try:
                self.images.save(names, writer)  # type: ignore[arg-type]  # write() is enough
                writer.flush()
            finally:
                writer.finish()

        task = asyncio.ensure_future(asyncio.to_thread(run))
        try:
            while (chunk := await queue.get()) is not None:
                yield chunk
            await task
            for name in names:
                image_id = await asyncio.to_thread(_id_or_empty, self.images, name)
                if image_id:
                    self._log(image_id, "save", name=image_id, labels_of=image_id)
        finally:
            writer.closed = True
            while not queue.empty():
                queue.get_nowait()
            with contextlib.suppress(BrokenPipeError, asyncio.CancelledError):
                await task

    # -- events ---------------------------------------------------------------------------

    def _log(self, actor_id: str, action: str, *, name: str, labels_of: str) -> None:
        """LogImageEvent: the image's labels (while it exists) plus `name`."""
        attributes = dict(_labels(self.images, labels_of))
        attributes["name"] = name
        self.events.publish("image", action, actor_id, attributes)

    def _log_deletions(self, before: _Before, records: Sequence[Mapping[str, str]]) -> None:
        for record in records:
            if "Untagged" in record:
                image_id = before.by_reference.get(record["Untagged"], "")
                attributes = dict(before.labels.get(image_id, {}))
                attributes["name"] = image_id
                self.events.publish("image", "untag", image_id, attributes)
            elif record.get("Deleted", "") in before.labels:
                image_id = record["Deleted"]
                self.events.publish("image", "delete", image_id, {"name": image_id})


class _Before:
    """What the events of an rm or prune need from before it: who each name pointed at,
    and the labels of every image (gone afterwards)."""

    def __init__(self, by_reference: dict[str, str], labels: dict[str, dict[str, str]]) -> None:
        self.by_reference = by_reference
        self.labels = labels

    @classmethod
    def of(cls, images: ImageService) -> _Before:
        by_reference = {
            ref.familiar(): image_id
            for image_id, references in images.store.all_references().items()
            for ref in references
        }
        labels = {r.id: _labels(images, r.id) for r in images.store.list()}
        return cls(by_reference, labels)


def _labels(images: ImageService, name: str) -> dict[str, str]:
    try:
        return dict(images.image(images.get(name).id).config.labels or {})
    except errdefs.DockyardError:
        return {}


def _id_or_empty(images: ImageService, name: str) -> str:
    try:
        return images.get(name).id
    except errdefs.DockyardError:
        return ""


def _pull_reference(name: str, tag: str) -> Reference:
    """moby's postImagesCreate: `tag` may be a tag or a digest."""
    ref = refs.parse(name)
    if not tag:
        return ref
    if ":" in tag:
        return ref.repository().with_digest(tag)
    return ref.with_tag(tag)


class _HoldPullingFrom:
    """moby writes "Pulling from <repo>" only once the manifest is fetched, so a pull that
    cannot start (no such image, no access) fails before the first byte, as an HTTP error.
    distribution.pull says it first: hold it back until the next message."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self._held: dict[str, Any] | None = None
        self._first = True

    def __call__(self, message: dict[str, Any]) -> None:
        if self._first:
            self._first = False
            if str(message.get("status", "")).startswith("Pulling from "):
                self._held = message
                return
        if self._held is not None:
            held, self._held = self._held, None
            self._sink(held)
        self._sink(message)


class _SyncReader:
    """A blocking read() for a thread over an async body on the loop."""

    def __init__(self, source: ByteSource, loop: asyncio.AbstractEventLoop) -> None:
        self._source = source
        self._loop = loop

    def read(self, n: int = -1) -> bytes:
        return asyncio.run_coroutine_threadsafe(self._source.read(n), self._loop).result()

    def readable(self) -> bool:
        return True


class _QueueWriter:
    """A blocking write() for a thread, feeding an asyncio queue in CHUNK-sized pieces;
    once the reader went away (`closed`), writes fail with BrokenPipeError."""

    def __init__(self, queue: asyncio.Queue[bytes | None], loop: asyncio.AbstractEventLoop) -> None:
        self._queue = queue
        self._loop = loop
        self._buffer = bytearray()
        self.closed = False

    def write(self, data: bytes) -> int:
        self._buffer += data
        if len(self._buffer) >= CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._buffer:
            chunk, self._buffer = bytes(self._buffer), bytearray()
            self._put(chunk)

    def finish(self) -> None:
        if not self.closed:
            self._put(None)

    def _put(self, item: bytes | None) -> None:
        if self.closed:
            raise BrokenPipeError("the client stopped reading")
        future = asyncio.run_coroutine_threadsafe(self._queue.put(item), self._loop)
        while True:
            try:
                future.result(timeout=0.5)
                return
            except TimeoutError:
                if self.closed:
                    future.cancel()
                    raise BrokenPipeError("the client stopped reading") from None
