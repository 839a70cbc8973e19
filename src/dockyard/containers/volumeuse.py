"""A container's volumes: made and referenced at create, filled from the image, mounted while
it runs, released at removal (moby daemon/volumes.go registerMountPoints,
create_unix.go createContainerVolumesOS and populateVolume, container.UnmountVolumes).

    attached = attach(volumes, c, lookup=svc.get)   # create: c.mounts = attached.docs
    populate(volumes, c, attached.copies, rootfs)   # create: copy-up into empty volumes
    await mount_all(deps, c) / unmount_all(deps, c) # start / exit: Source = the host path
    release(volumes, c, remove_anonymous=True)      # rm -v

The order is Docker's: VolumesFrom, then Binds, then Mounts (each later one replaces an
earlier one at the same destination, a Binds/Mounts clash is an error), then the anonymous
volumes of Config.Volumes (the image's VOLUME) where nothing is mounted yet.
"""

from __future__ import annotations

import asyncio
import logging
import os
import posixpath
from collections.abc import Callable
from typing import Any

from dockyard import errdefs
from dockyard.containers import mounts
from dockyard.containers.container import Container
from dockyard.containers.deps import ContainerDeps
from dockyard.containers.fsview import FSView
from dockyard.utils.record import field, record
from dockyard.volumes import copyup
from dockyard.volumes.service import VolumeService
from dockyard.volumes.volume import DEFAULT_DRIVER

log = logging.getLogger(__name__)


@record
class Attached:
    """The outcome of `attach`: inspect documents and what to undo on a refused create."""

    docs: list[dict[str, Any]] = field(default_factory=list)
    copies: list[tuple[str, str, bool]] = field(default_factory=list)  # name, dest, image's
    created: list[str] = field(default_factory=list)  # volumes this create made
    referenced: list[str] = field(default_factory=list)


def volume_docs(c: Container) -> list[dict[str, Any]]:
    return [m for m in c.mounts if m.get("Type") == "volume" and m.get("Name")]


def attach(volumes: VolumeService, c: Container, *, lookup: Callable[[str], Container]) -> Attached:
    """Create (named on first use, anonymous) and reference every volume of `c`; on any
    error, what was made or referenced here is undone before it propagates."""
    out = Attached()
    try:
        _attach(volumes, c, lookup, out)
    except BaseException:
        undo(volumes, c.id, out)
        raise
    return out


def _attach(
    volumes: VolumeService, c: Container, lookup: Callable[[str], Container], out: Attached
) -> None:
    hc = c.host_config
    by_dest: dict[str, dict[str, Any]] = {}
    for spec in hc.get("VolumesFrom") or []:
        ref, mode = mounts.parse_volumes_from(spec)
        try:
            source = lookup(ref)
        except errdefs.NotFound as err:
            raise errdefs.InvalidArgument(str(err)) from None
        for m in source.mounts:
            doc = {**m, "RW": bool(m.get("RW")) and mounts.read_write(mode), "Mode": ""}
            if doc.get("Type") == "volume" and doc.get("Name"):
                volumes.get(doc["Name"])  # NotFound when it went away meanwhile
                volumes.reference(doc["Name"], c.id)
                out.referenced.append(doc["Name"])
            by_dest[doc["Destination"]] = doc
    for mp in mounts.mount_points(hc):
        if mp.type != "volume":
            by_dest[mp.destination] = mounts.inspect_doc(mp)
            continue
        use_opts = not mp.from_binds
        v, made = volumes.create(
            name=mp.name,
            driver=mp.driver,
            options=mp.driver_opts if use_opts else None,
            labels=mp.volume_labels if use_opts else None,
            ref=c.id,
        )
        _note(out, v.name, made)
        mode = mp.mode or ("z" if v.driver == DEFAULT_DRIVER else "")  # setBindModeIfNull
        by_dest[mp.destination] = _doc(volumes, v.name, v.driver, mp.destination, mp.rw, mode)
        if mp.copy_data:
            out.copies.append((v.name, mp.destination, False))
    tmpfs = hc.get("Tmpfs") or {}
    for spec in c.config.get("Volumes") or {}:
        mounts.validate_tmpfs_destination(spec)  # absolute, not "/": a bad VOLUME is a 400
        dest = posixpath.normpath(spec)
        if dest in by_dest or dest in tmpfs:
            continue
        v, made = volumes.create(driver=hc.get("VolumeDriver") or "", ref=c.id)
        _note(out, v.name, made)
        by_dest[dest] = _doc(volumes, v.name, v.driver, dest, True, "")
        out.copies.append((v.name, dest, True))
    out.docs = list(by_dest.values())


def _note(out: Attached, name: str, made: bool) -> None:
    out.referenced.append(name)
    if made:
        out.created.append(name)


def _doc(
    volumes: VolumeService, name: str, driver: str, dest: str, rw: bool, mode: str
) -> dict[str, Any]:
    return {
        "Type": "volume",
        "Name": name,
        "Source": volumes.mountpoint(volumes.get(name)),
        "Destination": dest,
        "Driver": driver,
        "Mode": mode,
        "RW": rw,
        "Propagation": "",
    }


def undo(volumes: VolumeService, cid: str, attached: Attached) -> None:
    """A refused create: references dropped, the volumes it made removed."""
    for name in attached.referenced:
        volumes.release(name, cid)
    for name in attached.created:
        try:
            volumes.remove(name)
        except errdefs.DockyardError as err:
            log.warning("failed to remove volume %s after a failed create: %s", name, err)


def populate(
    volumes: VolumeService, c: Container, copies: list[tuple[str, str, bool]], rootfs: str
) -> None:
    """Copy the image's content at each destination into its volume when that is empty
    (moby populateVolume); an image VOLUME over a file is Docker's error."""
    view = FSView(rootfs)
    try:
        for name, dest, from_image in copies:
            try:
                parts = view.resolve(dest, follow_last=True)
            except OSError:
                continue
            source = os.path.join(rootfs, *parts)
            if from_image and os.path.exists(source) and not os.path.isdir(source):
                raise errdefs.InvalidArgument(
                    f"cannot mount volume over existing file, file exists {source}"
                )
            if not os.path.isdir(source):
                continue
            ref = f"{c.id}-populate"
            path = volumes.mount(name, ref)
            try:
                copyup.populate(source, path)
            except OSError as err:
                raise errdefs.Unknown(f"failed to populate volume: {err}") from err
            finally:
                volumes.unmount(name, ref)
    finally:
        view.close()


def restore_refs(volumes: VolumeService, c: Container) -> None:
    """At daemon start: the container's references again (they are not persisted apart)."""
    for m in volume_docs(c):
        volumes.reference(m["Name"], c.id)


def release(volumes: VolumeService, c: Container, *, remove_anonymous: bool) -> None:
    """moby removeMountPoints: drop the references; with `rm -v`, remove the anonymous
    volumes no other container uses (named ones stay)."""
    for m in volume_docs(c):
        name = m["Name"]
        volumes.release(name, c.id)
        if not remove_anonymous:
            continue
        try:
            if not volumes.get(name).anonymous:
                continue
            volumes.remove(name)
        except errdefs.Conflict:
            pass  # another container uses it: not an error (moby ignores IsInUse)
        except errdefs.NotFound:
            pass
        except errdefs.DockyardError as err:
            log.warning("failed to remove volume %s of %s: %s", name, c.id[:12], err)


async def mount_all(deps: ContainerDeps, c: Container) -> None:
    """Before the spec is written: mount every volume for `c` (Source = its host path) and
    report Docker's `mount` events; on a failure the ones mounted are let go again."""
    volumes = deps.volumes
    if volumes is None:
        return
    done: list[dict[str, Any]] = []
    try:
        for m in volume_docs(c):
            m["Source"] = await asyncio.to_thread(volumes.mount, m["Name"], c.id)
            done.append(m)
            deps.events.publish(
                "volume",
                "mount",
                m["Name"],
                {
                    "driver": m.get("Driver") or DEFAULT_DRIVER,
                    "container": c.id,
                    "destination": m["Destination"],
                    "read/write": "true" if m.get("RW") else "false",
                    "propagation": m.get("Propagation") or "",
                },
            )
    except BaseException:
        await _unmount(deps, c, done)
        raise


async def unmount_all(deps: ContainerDeps, c: Container) -> None:
    """After the exit: let every volume go (the last user unmounts `-o` volumes)."""
    await _unmount(deps, c, volume_docs(c))


async def _unmount(deps: ContainerDeps, c: Container, docs: list[dict[str, Any]]) -> None:
    volumes = deps.volumes
    if volumes is None:
        return
    for m in docs:
        if c.id not in await asyncio.to_thread(volumes.users, m["Name"]):
            continue
        try:
            await asyncio.to_thread(volumes.unmount, m["Name"], c.id)
        except errdefs.DockyardError as err:
            log.warning("failed to unmount volume %s of %s: %s", m["Name"], c.id[:12], err)
        deps.events.publish(
            "volume",
            "unmount",
            m["Name"],
            {"driver": m.get("Driver") or DEFAULT_DRIVER, "container": c.id},
        )
