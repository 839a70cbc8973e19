"""A container's files on disk: the init layer, its rw layer on top, and its data dir.

<id>-init   committed snapshot on the image's top layer: empty mount targets (initlayer.py)
<id>        the active rw snapshot the container's rootfs is mounted from
data-root/containers/<id>/, exec-root/containers/<id>/
"""

from __future__ import annotations

import contextlib
import os
import shutil

from dockyard import errdefs
from dockyard.containers import initlayer, rootfs
from dockyard.containers.container import Container
from dockyard.containers.deps import ContainerDeps


def create(deps: ContainerDeps, c: Container) -> None:
    """Make the init layer, the rw layer and the data dir; nothing is left on failure."""
    sn = deps.snapshotter
    init = c.id + "-init"
    sn.prepare(init + "-key", c.chain_id)
    try:
        initlayer.populate(sn.upper_dir(init + "-key"))
        sn.commit(init, init + "-key")
    except BaseException:
        sn.remove(init + "-key")
        raise
    try:
        sn.prepare(c.id, init)
        os.makedirs(c.data_dir, mode=0o710)
    except BaseException:
        for key in (c.id, init):
            with contextlib.suppress(errdefs.NotFound):
                sn.remove(key)
        raise


def remove(deps: ContainerDeps, c: Container) -> None:
    """Unmount and remove everything create() made (and the exec dir); absent parts are fine."""
    rootfs.unmount(deps.snapshotter, c)
    for key in (c.id, c.id + "-init"):
        with contextlib.suppress(errdefs.NotFound):
            deps.snapshotter.remove(key)
    shutil.rmtree(c.data_dir, ignore_errors=True)
    shutil.rmtree(c.exec_dir, ignore_errors=True)
