"""Layers that arrive as tar streams (import, load): one pass to blob and snapshot.

A rootfs tar (plain, gzip or zstd) is read once. On the way it is unpacked into a new
snapshot (snapshots.unpack.apply_layer, which is safe against hostile entries and computes
the diff_id), and stored in the content store as the gzip blob a manifest can point at: a
gzip input is kept byte for byte, anything else is gzip-compressed as it streams past. The
snapshot is committed under its chain id, so a layer already unpacked (the same rootfs
imported twice) is dropped and the existing snapshot used.

    raw ─▶ [keep raw if gzip] ─▶ open_layer ─▶ [count; gzip if not gzip] ─▶ apply_layer

`schema2_manifest` is the Docker v2 schema 2 manifest every image gets, so push needs only a
manifest digest.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import threading
import zlib
from collections.abc import Sequence
from typing import BinaryIO

from dockyard import errdefs
from dockyard.content.store import Store, Writer
from dockyard.distribution.manifests import DOCKER_CONFIG, DOCKER_LAYER_GZIP, DOCKER_MANIFEST
from dockyard.images.store import LayerBlob
from dockyard.snapshots import unpack
from dockyard.snapshots.compression import GZIP_MAGIC, open_layer
from dockyard.snapshots.snapshotter import Snapshotter
from dockyard.utils.record import record

log = logging.getLogger(__name__)

CHUNK = 1 << 20
# zlib level 1 ("best speed"): on a 229 MB rootfs it compresses at ~65 MB/s against ~33 MB/s
# for level 6 (gzip's and `docker push`'s default), for 7% more bytes (ratio 0.45 vs 0.42).
# An import is bound by compression otherwise; pushes to a nearby registry hardly notice.
GZIP_LEVEL = 1


@record(frozen=True)
class Ingested:
    """A layer stored and unpacked: its blob and the committed snapshot's chain id."""

    blob: LayerBlob
    chain_id: str
    created_snapshot: bool  # False when the chain was unpacked already


def ingest_layer(
    *,
    content: Store,
    snapshotter: Snapshotter | None,
    source: BinaryIO,
    parent_diff_ids: Sequence[str] = (),
    expected_diff_id: str | None = None,
    stored: LayerBlob | None = None,
) -> Ingested:
    """Store (unless `stored` says the blob is in content already) and unpack one layer.

    `snapshotter` None skips unpacking (the chain exists; only the blob was missing).
    InvalidArgument when the stream is not a valid layer or its diff_id is not
    `expected_diff_id`; nothing is left behind then (no blob, no snapshot).
    """
    raw = _Prefixed(source)
    gzipped = raw.head.startswith(GZIP_MAGIC)
    writer = None
    if stored is None:
        writer = content.writer(f"layer-ingest-{os.urandom(8).hex()}")
    compressor = _Compressor(writer) if writer is not None and not gzipped else None
    raw_tee = _Tee(raw, copy_into=writer if gzipped else None)
    plain = _Tee(open_layer(raw_tee), compressor=compressor)
    key = f"extract-{os.urandom(8).hex()}"
    try:
        if snapshotter is not None:
            parent = unpack.chain_ids(parent_diff_ids)[-1] if parent_diff_ids else ""
            snapshotter.prepare(key, parent=parent)
            diff_id = unpack.apply_layer(snapshotter.upper_dir(key), plain).diff_id
        else:
            _drain(plain)
            diff_id = plain.digest()
        _drain(raw_tee)
        if compressor is not None:
            compressor.finish()
        if diff_id != plain.digest():  # our count and the unpacker's saw different bytes
            raise errdefs.Unknown(f"layer digest disagreement: {diff_id} != {plain.digest()}")
        if expected_diff_id is not None and diff_id != expected_diff_id:
            raise errdefs.InvalidArgument(
                f"invalid diffID for layer: expected {expected_diff_id!r}, got {diff_id!r}"
            )
        blob = _commit(writer, stored, diff_id, plain.count, gzipped, raw_tee.count)
        chain_id = unpack.chain_ids([*parent_diff_ids, diff_id])[-1]
        created = snapshotter is not None and _commit_snapshot(snapshotter, chain_id, key)
        return Ingested(blob=blob, chain_id=chain_id, created_snapshot=created)
    except BaseException:
        if compressor is not None:
            compressor.abandon()
        if writer is not None:
            _abort(content, writer)
        if snapshotter is not None:
            _remove_quietly(snapshotter, key)
        raise


def _commit(
    writer: Writer | None,
    stored: LayerBlob | None,
    diff_id: str,
    diff_size: int,
    gzipped: bool,
    raw_size: int,
) -> LayerBlob:
    if writer is None:
        assert stored is not None
        return LayerBlob(diff_id, stored.digest, stored.media_type, stored.size, diff_size)
    size = writer.offset if not gzipped else raw_size
    digest = writer.commit()
    return LayerBlob(diff_id, digest, DOCKER_LAYER_GZIP, size, diff_size)


def _commit_snapshot(snapshotter: Snapshotter, chain_id: str, key: str) -> bool:
    """Commit under the chain id; False (and the new one dropped) when it exists already."""
    try:
        snapshotter.stat(chain_id)
    except errdefs.NotFound:
        pass
    else:
        snapshotter.remove(key)
        return False
    try:
        snapshotter.commit(chain_id, key)
    except errdefs.AlreadyExists:
        snapshotter.remove(key)  # another ingest of the same layer won the race
        return False
    return True


def _abort(content: Store, writer: Writer) -> None:
    ref = getattr(writer, "ref", None)
    writer.close()
    if isinstance(ref, str):
        try:
            content.abort(ref)
        except errdefs.DockyardError:
            log.debug("failed to abort ingest %s", ref, exc_info=True)


def _remove_quietly(snapshotter: Snapshotter, key: str) -> None:
    try:
        snapshotter.remove(key)
    except errdefs.NotFound:
        pass
    except errdefs.DockyardError:
        log.warning("failed to remove snapshot %s", key, exc_info=True)


def _drain(stream: BinaryIO | _Tee) -> None:
    while stream.read(CHUNK):
        pass


class _Prefixed:
    """A stream whose first bytes have been looked at (`head`) and are replayed."""

    def __init__(self, src: BinaryIO) -> None:
        self._src = src
        head = b""
        while len(head) < 6:
            more = src.read(6 - len(head))
            if not more:
                break
            head += more
        self.head = head
        self._pending = head

    def read(self, n: int = -1, /) -> bytes:
        if self._pending:
            if n < 0:
                data, self._pending = self._pending + self._src.read(), b""
                return data
            data, self._pending = self._pending[:n], self._pending[n:]
            return data
        return self._src.read(n)


class _Tee:
    """Reads pass through, hashed and counted; copied to a content writer, or handed to a
    compressor, on the way."""

    def __init__(
        self,
        src: BinaryIO | _Prefixed,
        *,
        copy_into: Writer | None = None,
        compressor: _Compressor | None = None,
    ) -> None:
        self._src = src
        self._copy = copy_into
        self._compressor = compressor
        self._sha = hashlib.sha256()
        self.count = 0

    def read(self, n: int = -1, /) -> bytes:
        data = self._src.read(n)
        if data:
            self.count += len(data)
            self._sha.update(data)
            if self._copy is not None:
                self._copy.write(data)
            if self._compressor is not None:
                self._compressor.feed(data)
        return data

    def digest(self) -> str:
        return "sha256:" + self._sha.hexdigest()


class _Compressor:
    """gzip into a content writer on a thread of its own: zlib and the writes release the
    GIL, so compressing overlaps unpacking (about halving an import's time on two cores)."""

    def __init__(self, writer: Writer) -> None:
        self._writer = writer
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=16)  # None: the end
        self._error: BaseException | None = None
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="layer-gzip", daemon=True)
        self._thread.start()

    def feed(self, data: bytes) -> None:
        self._raise()
        self._queue.put(data)

    def finish(self) -> None:
        """Flush and wait: the writer then holds the whole gzip stream."""
        self._queue.put(None)
        self._thread.join()
        self._raise()

    def abandon(self) -> None:
        """Stop without finishing (the ingest is being thrown away); never blocks for long."""
        self._stop = True
        while self._thread.is_alive():
            try:
                self._queue.put(None, timeout=0.1)
                break
            except queue.Full:
                continue  # the thread is still draining; it makes room
        self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise errdefs.Unknown(f"failed to compress layer: {self._error}") from self._error

    def _run(self) -> None:
        z = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        ended = False
        try:
            while (chunk := self._queue.get()) is not None:
                if not self._stop:
                    out = z.compress(chunk)
                    if out:
                        self._writer.write(out)
            ended = True
            if not self._stop:
                self._writer.write(z.flush())
        except BaseException as err:  # handed to the feeding thread, which raises it
            self._error = err
            while not ended and self._queue.get() is not None:
                pass  # keep the feeder from blocking on a full queue until it stops


def schema2_manifest(*, config_digest: str, config_size: int, layers: Sequence[LayerBlob]) -> bytes:
    """A Docker v2 schema 2 manifest, serialised as Docker's distribution package does
    (3-space indent, descriptors as mediaType, size, digest)."""
    doc = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": DOCKER_CONFIG, "size": config_size, "digest": config_digest},
        "layers": [
            {"mediaType": layer.media_type, "size": layer.size, "digest": layer.digest}
            for layer in layers
        ],
    }
    return json.dumps(doc, indent=3).encode()
