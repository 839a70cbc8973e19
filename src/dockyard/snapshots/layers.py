"""An image's layers unpacked into committed snapshots named by chain id.

    chain = unpack_chain(sn, blob_paths, diff_ids)       # every layer, bottom first
    done = unpack_layer(sn, path, parent=chain_id, diff_id=d)   # one step, for a pull that
                                                         # extracts each layer once its
                                                         # parent is done

A layer whose chain id is committed already is skipped without opening its blob (images
that share layers unpack them once: Docker's "Already exists"). Otherwise it is applied into
a fresh active snapshot "extract-<random>-<chain id>" on its parent, its diff_id checked,
and the snapshot committed as the chain id. Two unpackers of the same layer may race: the
commit that loses (AlreadyExists) drops its own snapshot and uses the winner's. Whatever
fails (a hostile entry, a corrupt blob, a diff_id mismatch) removes the half-written
snapshot before the error goes up.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from dockyard import errdefs
from dockyard.snapshots.snapshotter import Kind, Snapshotter
from dockyard.snapshots.unpack import apply_layer, chain_ids
from dockyard.utils.record import record

log = logging.getLogger(__name__)


@record(frozen=True)
class Unpacked:
    """One layer's outcome."""

    chain_id: str
    diff_id: str
    created: bool  # False: the chain id was committed already (by us earlier, or a racer)
    size: int  # bytes of file content written (0 when not created)


def unpack_chain(
    sn: Snapshotter,
    layer_paths: list[str],
    diff_ids: list[str] | None = None,
    *,
    allow_devices: bool | None = None,
) -> list[str]:
    """Unpack layer blobs `layer_paths` (bottom first) and return their chain ids.

    `diff_ids` (from the image config's rootfs) are verified when given; without them the
    chain ids come from what the blobs turn out to hold.
    """
    if diff_ids is not None and len(diff_ids) != len(layer_paths):
        raise errdefs.InvalidArgument(
            f"{len(layer_paths)} layers but {len(diff_ids)} diff_ids in the image config"
        )
    chain: list[str] = []
    for i, path in enumerate(layer_paths):
        done = unpack_layer(
            sn,
            path,
            parent=chain[-1] if chain else "",
            diff_id=diff_ids[i] if diff_ids is not None else None,
            allow_devices=allow_devices,
        )
        chain.append(done.chain_id)
    return chain


def unpack_layer(
    sn: Snapshotter,
    path: str,
    *,
    parent: str = "",
    diff_id: str | None = None,
    allow_devices: bool | None = None,
    progress: Callable[[int], None] | None = None,
) -> Unpacked:
    """Unpack the layer blob at `path` on committed snapshot `parent` (a chain id, "" for
    the bottom layer); `progress` gets the blob bytes read so far."""
    if diff_id is not None:
        chain_id = _chain_id(parent, diff_id)
        if _committed(sn, chain_id):
            return Unpacked(chain_id=chain_id, diff_id=diff_id, created=False, size=0)
    extracted = extract_layer(
        sn, path, diff_id=diff_id, allow_devices=allow_devices, progress=progress
    )
    return commit_layer(sn, extracted, parent=parent)


@record(frozen=True)
class Extracted:
    """A layer applied into an active snapshot of its own, not yet chained (commit_layer)."""

    key: str
    diff_id: str
    size: int


def extract_layer(
    sn: Snapshotter,
    path: str,
    *,
    diff_id: str | None = None,
    allow_devices: bool | None = None,
    progress: Callable[[int], None] | None = None,
) -> Extracted:
    """Apply the layer blob at `path` into a fresh parentless active snapshot, so several
    layers of one image can be extracted at once; commit_layer() chains them in order."""
    key = f"extract-{secrets.token_hex(6)}"
    sn.prepare(key)
    try:
        with open(path, "rb") as blob:
            applied = apply_layer(
                sn.upper_dir(key), blob, allow_devices=allow_devices, progress=progress
            )
        if diff_id is not None and applied.diff_id != diff_id:
            raise errdefs.InvalidArgument(
                f"layer {path}: diff_id mismatch: the image config says {diff_id}, "
                f"the layer holds {applied.diff_id}"
            )
    except BaseException:
        _remove_quietly(sn, key)
        raise
    return Extracted(key=key, diff_id=applied.diff_id, size=applied.size)


def commit_layer(sn: Snapshotter, extracted: Extracted, *, parent: str = "") -> Unpacked:
    """Commit an extracted layer as the chain id it has on `parent` (a committed chain id,
    "" for the bottom layer). If another unpacker got there first, theirs is kept."""
    chain_id = _chain_id(parent, extracted.diff_id)
    try:
        sn.commit(chain_id, extracted.key, parent=parent)
    except errdefs.AlreadyExists:
        log.debug("layer %s was unpacked concurrently; using that one", chain_id)
        _remove_quietly(sn, extracted.key)
        return Unpacked(chain_id=chain_id, diff_id=extracted.diff_id, created=False, size=0)
    except BaseException:
        _remove_quietly(sn, extracted.key)
        raise
    return Unpacked(chain_id=chain_id, diff_id=extracted.diff_id, created=True, size=extracted.size)


def discard(sn: Snapshotter, extracted: Extracted) -> None:
    """Drop an extracted layer that will not be committed (a failed pull)."""
    _remove_quietly(sn, extracted.key)


def _chain_id(parent: str, diff_id: str) -> str:
    return chain_ids([parent, diff_id])[-1] if parent else diff_id


def _committed(sn: Snapshotter, key: str) -> bool:
    try:
        info = sn.stat(key)
    except errdefs.NotFound:
        return False
    if info.kind != Kind.COMMITTED:
        raise errdefs.FailedPrecondition(f"snapshot {key!r} exists but is {info.kind}")
    return True


def _remove_quietly(sn: Snapshotter, key: str) -> None:
    try:
        sn.remove(key)
    except errdefs.NotFound:
        pass
    except errdefs.DockyardError as err:
        log.warning("failed to remove snapshot %s: %s", key, err)
