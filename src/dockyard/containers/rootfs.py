"""A container's root filesystem: its rw snapshot mounted at `<snapshot dir>/merged` (the
MergedDir of inspect's GraphDriver) while it runs, and during cp, export and commit."""

from __future__ import annotations

import logging
import os

from dockyard import errdefs
from dockyard.containers.container import Container
from dockyard.snapshots import mount as snapmount
from dockyard.snapshots.snapshotter import Snapshotter

log = logging.getLogger(__name__)


def path(sn: Snapshotter, c: Container) -> str:
    return os.path.join(os.path.dirname(sn.upper_dir(c.id)), "merged")


def mount(sn: Snapshotter, c: Container) -> str:
    """Mount the rw snapshot (idempotent: a live-restored container is still mounted)."""
    target = path(sn, c)
    os.makedirs(target, mode=0o755, exist_ok=True)
    if not os.path.ismount(target):
        snapmount.mount_all(sn.mounts(c.id), target)
    c.rootfs = target
    return target


def unmount(sn: Snapshotter, c: Container) -> None:
    """Unmount; a snapshot that is gone is fine."""
    try:
        target = path(sn, c)
    except errdefs.NotFound:
        return
    try:
        snapmount.unmount(target)
    except errdefs.FailedPrecondition as err:
        # something still has a file open in it (a `docker cp` client gone mid-way):
        # detach it now; the kernel frees it when the last user lets go
        log.warning("container %s: %s; detaching the mount", c.id[:12], err)
        snapmount.detach(target)
    c.rootfs = ""
