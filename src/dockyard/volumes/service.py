"""VolumeService: Docker's volume operations (moby volume/service) for the API and containers.

    svc = VolumeService(store=store, drivers=drivers, events=bus)    # daemon/wiring.py
    svc.restore()                                   # at daemon start
    v, _ = svc.create(name="bizvol", ref=cid)       # a container's first use creates it
    path = svc.mount("bizvol", cid)                 # at start; svc.unmount(...) at exit
    svc.release("bizvol", cid)                      # the container is removed
    svc.remove("bizvol")                            # Conflict while a container refers to it

A volume is *referenced* by every container created with it, running or not (that is what
makes `docker volume rm` answer 409 and what `dangling` means), and *mounted* by the
containers running with it (the store persists those, see store.py). References are not
persisted: the containers' records are, and the container service hands them back at start.

Every operation on one name holds that name's lock, so a removal racing a create-and-reference
or a mount sees either the volume in use or the volume gone, never half of each. Blocking
(disk, kernel mounts, plugin HTTP): callers on the event loop run these in a worker thread.
"""

from __future__ import annotations

import builtins
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from dockyard import errdefs
from dockyard.images.filters import Filters
from dockyard.volumes.plugins import Drivers
from dockyard.volumes.store import VolumeStore
from dockyard.volumes.volume import ANONYMOUS_LABEL, DEFAULT_DRIVER, Driver, Volume

log = logging.getLogger(__name__)

LIST_FILTERS = frozenset({"dangling", "name", "driver", "label"})
PRUNE_FILTERS = frozenset({"label", "label!", "all"})
FilterArgs = dict[str, list[str]]


class EventSink(Protocol):
    """Where volume events go (the daemon's event bus)."""

    def publish(
        self, type: str, action: str, actor_id: str, attributes: Mapping[str, str] | None = None
    ) -> None: ...


def now_rfc3339() -> str:
    """CreatedAt as Docker prints it: RFC 3339 in seconds, local offset ("Z" for UTC)."""
    tm = time.localtime()
    text = time.strftime("%Y-%m-%dT%H:%M:%S", tm)
    offset = tm.tm_gmtoff
    if offset == 0:
        return text + "Z"
    sign = "+" if offset > 0 else "-"
    hours, minutes = divmod(abs(offset) // 60, 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


class VolumeService:
    """All volumes of one daemon."""

    def __init__(self, *, store: VolumeStore, drivers: Drivers, events: EventSink) -> None:
        self.store = store
        self.drivers = drivers
        self.events = events
        self._mu = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._refs: dict[str, set[str]] = {}
        self._prune_running = False

    @contextmanager
    def _locked(self, name: str) -> Iterator[None]:
        with self._mu:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            yield

    # -- daemon start -----------------------------------------------------------------------

    def restore(self) -> None:
        """Adopt local volume dirs the store does not know (made before it existed), and tell
        each driver which containers still had its volumes mounted when the daemon stopped."""
        local = self.drivers.local
        for name in local.list():
            if self.store.get(name) is None:
                options = local.options(name) if hasattr(local, "options") else {}
                try:
                    self.store.add(Volume(name=name, driver=DEFAULT_DRIVER,
                                          created_at=now_rfc3339(), options=options))  # fmt: skip
                except errdefs.AlreadyExists:
                    pass
        for name, ref in self.store.all_users():
            v = self.store.get(name)
            if v is None:
                self.store.remove_user(name, ref)
                continue
            try:
                self.drivers.get(v.driver).live_restore(name, ref)
            except errdefs.DockyardError as err:
                log.warning("failed to restore volume %s for %s: %s", name, ref[:12], err)

    # -- references -------------------------------------------------------------------------

    def reference(self, name: str, ref: str) -> None:
        with self._locked(name), self._mu:
            self._refs.setdefault(name, set()).add(ref)

    def release(self, name: str, ref: str) -> None:
        with self._locked(name), self._mu:
            refs = self._refs.get(name)
            if refs is not None:
                refs.discard(ref)
                if not refs:
                    del self._refs[name]

    def references(self, name: str) -> builtins.list[str]:
        with self._mu:
            return sorted(self._refs.get(name, ()))

    # -- create, get, inspect -----------------------------------------------------------------

    def create(
        self,
        *,
        name: str = "",
        driver: str = "",
        options: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
        ref: str = "",
    ) -> tuple[Volume, bool]:
        """POST /volumes/create, and a container's use of a volume: (volume, made now). An
        existing volume of that name is returned as it is (Docker's create is idempotent);
        with another driver named, Conflict."""
        labels = dict(labels or {})
        if not name:
            name = secrets.token_hex(32)  # stringid.GenerateRandomID
            labels[ANONYMOUS_LABEL] = ""
        with self._locked(name):
            existing = self.store.get(name)
            if existing is not None:
                if driver and driver != existing.driver:
                    raise errdefs.Conflict(
                        f"create {name}: driver '{existing.driver}' already has volume "
                        f"'{name}': volume name must be unique"
                    )
                self._add_ref(name, ref)
                return existing, False
            d = self._driver(driver or DEFAULT_DRIVER, f"create {name}")
            try:
                d.create(name, dict(options or {}))
            except errdefs.DockyardError as err:
                raise type(err)(f"create {name}: {err}") from err
            v = Volume(
                name=name,
                driver=d.name,
                created_at=now_rfc3339(),
                labels=labels,
                options=dict(options or {}),
                scope=d.scope(),
            )
            self.store.add(v)
            self._add_ref(name, ref)
        self.events.publish("volume", "create", name, {"driver": v.driver})
        return v, True

    def create_doc(
        self, *, name: str, driver: str, options: dict[str, str], labels: dict[str, str]
    ) -> dict[str, Any]:
        """POST /volumes/create: the volume document (201 for a new or an existing one)."""
        v, _ = self.create(name=name, driver=driver, options=options, labels=labels)
        return v.doc(mountpoint=self.mountpoint(v))

    def _add_ref(self, name: str, ref: str) -> None:
        if ref:
            with self._mu:
                self._refs.setdefault(name, set()).add(ref)

    def _driver(self, name: str, what: str) -> Driver:
        try:
            return self.drivers.get(name)
        except errdefs.DockyardError as err:
            raise type(err)(f"{what}: {err}") from err

    def get(self, name: str) -> Volume:
        v = self.store.get(name)
        if v is None:
            raise errdefs.NotFound(f"get {name}: no such volume")
        return v

    def mountpoint(self, v: Volume) -> str:
        try:
            return self._driver(v.driver, f"get {v.name}").path(v.name)
        except errdefs.DockyardError:
            return ""

    def inspect(self, name: str) -> dict[str, Any]:
        """GET /volumes/{name}."""
        v = self.get(name)
        status: dict[str, Any] | None = None
        if v.driver != DEFAULT_DRIVER:
            try:
                status = self.drivers.get(v.driver).status(name)
            except errdefs.DockyardError:
                status = None
        return v.doc(mountpoint=self.mountpoint(v), status=status)

    # -- list ---------------------------------------------------------------------------------

    def list(self, filters: FilterArgs | None = None) -> dict[str, Any]:
        """GET /volumes: {"Volumes": [...], "Warnings": [...]}."""
        f = Filters(filters, accepted=LIST_FILTERS)
        dangling = f.get_bool("dangling", False) if "dangling" in f else None
        out = []
        for v in self.store.list():
            if f.get("driver") and v.driver not in f.get("driver"):
                continue
            if "name" in f and not any(_match(p, v.name) for p in f.get("name")):
                continue
            if not f.match_kv_list("label", v.labels):
                continue
            if dangling is not None and dangling == bool(self.references(v.name)):
                continue
            out.append(v.doc(mountpoint=self.mountpoint(v)))
        return {"Volumes": out, "Warnings": None}

    def usage(self) -> builtins.list[dict[str, Any]]:
        """`docker system df` Volumes: local volumes without mount options, with UsageData."""
        out = []
        for v in self.store.list():
            if v.driver != DEFAULT_DRIVER or v.options:
                continue
            path = self.mountpoint(v)
            doc = v.doc(mountpoint=path)
            doc["UsageData"] = {"Size": dir_size(path), "RefCount": len(self.references(v.name))}
            out.append(doc)
        return out

    # -- remove, prune ------------------------------------------------------------------------

    def remove(self, name: str, *, force: bool = False) -> None:
        """DELETE /volumes/{name}: Conflict while referenced (force or not, as Docker); with
        force, a volume whose driver fails to remove it is dropped from the store anyway."""
        with self._locked(name):
            v = self.store.get(name)
            if v is None:
                if force:
                    return
                raise errdefs.NotFound(f"get {name}: no such volume")
            refs = self.references(name)
            if refs:
                raise errdefs.Conflict(f"remove {name}: volume is in use - [{', '.join(refs)}]")
            try:
                self._driver(v.driver, f"remove {v.driver}").remove(name)
            except errdefs.DockyardError as err:
                if not force:
                    raise type(err)(f"remove {name}: {err}") from err
                log.warning("volume %s: driver failed to remove it (%s); purged", name, err)
            self.store.delete(name)
        self.events.publish("volume", "destroy", name, {"driver": v.driver})

    def prune(self, filters: FilterArgs | None = None) -> dict[str, Any]:
        """POST /volumes/prune: unused local volumes without mount options; only anonymous
        ones unless `all=true` (API 1.42+; the router adds it for older clients)."""
        f = Filters(filters, accepted=PRUNE_FILTERS)
        everything = _prune_all(f.get("all"))
        with self._mu:
            if self._prune_running:
                raise errdefs.Conflict("a prune operation is already running")
            self._prune_running = True
        try:
            deleted: builtins.list[str] = []
            reclaimed = 0
            for v in self.store.list():
                if v.driver != DEFAULT_DRIVER or v.options or self.references(v.name):
                    continue
                if not everything and not v.anonymous:
                    continue
                if not f.match_labels(v.labels):
                    continue
                size = max(0, dir_size(self.mountpoint(v)))
                try:
                    self.remove(v.name)
                except errdefs.DockyardError as err:
                    log.warning("could not remove volume %s: %s", v.name, err)
                    continue
                reclaimed += size
                deleted.append(v.name)
        finally:
            with self._mu:
                self._prune_running = False
        self.events.publish("volume", "prune", "", {"reclaimed": str(reclaimed)})
        return {"VolumesDeleted": deleted, "SpaceReclaimed": reclaimed}

    # -- mount --------------------------------------------------------------------------------

    def mount(self, name: str, ref: str) -> str:
        """The host path of volume `name` for container `ref` (mounting it at first use)."""
        with self._locked(name):
            v = self.get(name)
            path = self._driver(v.driver, f"mount {name}").mount(name, ref)
            self.store.add_user(name, ref)
            return path

    def unmount(self, name: str, ref: str) -> None:
        with self._locked(name):
            v = self.store.get(name)
            if v is None:
                return
            try:
                self._driver(v.driver, f"unmount {name}").unmount(name, ref)
            finally:
                self.store.remove_user(name, ref)

    def users(self, name: str) -> set[str]:
        return self.store.users(name)

    def driver_names(self) -> builtins.list[str]:
        return self.drivers.names()

    def close(self) -> None:
        self.store.close()


def _match(pattern: str, name: str) -> bool:
    """moby filters.Args.Match: equal, or the value as a regular expression found in it."""
    if pattern == name:
        return True
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False


def _prune_all(values: list[str]) -> bool:
    """moby withPrune: at most one `all` value, a Go bool."""
    if len(values) > 1:
        raise errdefs.InvalidArgument(
            f"invalid filter 'all=[{' '.join(values)}]': only one value is expected"
        )
    if not values:
        return False
    value = values[0]
    if value in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if value in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise errdefs.InvalidArgument(
        f"invalid filter 'all': strconv.ParseBool: parsing \"{value}\": invalid syntax"
    )


def dir_size(path: str) -> int:
    """moby directory.Size: the bytes of the files under `path` (hard links once); -1 when
    it cannot be read."""
    if not path or not os.path.isdir(path):
        return -1
    total = 0
    seen: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(path):
        links = [d for d in dirs if os.path.islink(os.path.join(root, d))]
        for entry in (*files, *links):  # directories themselves count for nothing
            try:
                st = os.lstat(os.path.join(root, entry))
            except OSError:
                continue
            if st.st_nlink > 1:
                key = (st.st_dev, st.st_ino)
                if key in seen:
                    continue
                seen.add(key)
            total += st.st_size
    return total
