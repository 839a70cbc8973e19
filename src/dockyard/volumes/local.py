"""The `local` volume driver (moby volume/local): a directory per volume under
data-root/volumes, optionally a kernel mount on it.

    data-root/volumes/<name>/_data      the data (Mountpoint), 0755
    data-root/volumes/<name>/opts.json  the `-o type= device= o=` options, when given

A volume created with `type`/`device` options is mounted (`mount -t type device _data -o o`)
when its first user mounts it and unmounted when its last user unmounts it; the users are
counted per container id, so mounting twice for one container counts once.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from typing import Any

from dockyard import errdefs
from dockyard.snapshots import mount as snapmount
from dockyard.snapshots.snapshotter import Mount
from dockyard.volumes.volume import DEFAULT_DRIVER, LOCAL_SCOPE, validate_local_name

log = logging.getLogger(__name__)

DATA_DIR = "_data"
OPTS_FILE = "opts.json"
VALID_OPTS = ("type", "o", "device", "size")
# moby local_unix.go mandatoryOpts: an option and the options it needs beside it
MANDATORY_OPTS = {"device": ("type",), "type": ("device",), "o": ("device", "type")}


def validate_options(options: dict[str, str]) -> None:
    """moby local Root.validateOpts (no quota support here: `size` is refused as Docker does
    on a filesystem without project quotas)."""
    for key in options:
        if key not in VALID_OPTS:
            raise errdefs.InvalidArgument(f'invalid option: "{key}"')
    if options.get("size"):
        raise errdefs.InvalidArgument("quota size requested but no quota support")
    for key, needed in MANDATORY_OPTS.items():
        if key in options:
            for other in needed:
                if other not in options:
                    raise errdefs.InvalidArgument(f'missing required option: "{other}"')


class LocalDriver:
    """Volumes as directories of the daemon's data-root; thread-safe."""

    def __init__(self, root: str) -> None:
        self.root = root  # data-root/volumes
        os.makedirs(root, mode=0o701, exist_ok=True)
        self._lock = threading.Lock()
        self._users: dict[str, set[str]] = {}

    @property
    def name(self) -> str:
        return DEFAULT_DRIVER

    def scope(self) -> str:
        return LOCAL_SCOPE

    def _dir(self, name: str) -> str:
        return os.path.join(self.root, name)

    def path(self, name: str) -> str:
        return os.path.join(self.root, name, DATA_DIR)

    def exists(self, name: str) -> bool:
        return os.path.isdir(self.path(name)) or os.path.exists(
            os.path.join(self._dir(name), OPTS_FILE)
        )

    def list(self) -> list[str]:
        try:
            entries = sorted(os.listdir(self.root))
        except FileNotFoundError:
            return []
        return [n for n in entries if os.path.isdir(self._dir(n)) and self.exists(n)]

    def options(self, name: str) -> dict[str, str]:
        try:
            with open(os.path.join(self._dir(name), OPTS_FILE), encoding="utf-8") as f:
                raw = json.load(f)
        except FileNotFoundError:
            return {}
        return {
            k: v
            for k, v in (("type", raw.get("MountType")), ("o", raw.get("MountOpts")),
                         ("device", raw.get("MountDevice")))
            if v
        }  # fmt: skip

    def create(self, name: str, options: dict[str, str]) -> None:
        validate_local_name(name)
        validate_options(options)
        with self._lock:
            if self.exists(name):
                return
            root = self._dir(name)
            try:
                os.makedirs(root, mode=0o701, exist_ok=True)
                os.makedirs(self.path(name), mode=0o755, exist_ok=True)
                os.chmod(self.path(name), 0o755)  # whatever the umask
                if options:
                    _write_opts(os.path.join(root, OPTS_FILE), options)
            except OSError as err:
                shutil.rmtree(root, ignore_errors=True)
                raise errdefs.Unknown(
                    f"error while creating volume root path '{root}': {err.strerror}"
                ) from err

    def remove(self, name: str) -> None:
        with self._lock:
            if self._users.get(name):
                raise errdefs.Unknown("volume has active mounts")
            data = self.path(name)
            if _needs_mount(self.options(name)):
                self._unmount(data)
            real = os.path.realpath(data) if os.path.lexists(data) else self._dir(name)
            root = os.path.realpath(self.root)
            if real == root or not real.startswith(root + "/"):
                raise errdefs.Unknown(
                    "unable to remove a directory outside of the local volume root "
                    f"{self.root}: {real}"
                )
            for path in (real, self._dir(name)):
                try:
                    shutil.rmtree(path)
                except FileNotFoundError:
                    pass
                except OSError as err:
                    raise errdefs.Unknown(
                        f"error removing volume path '{path}': {err.strerror}"
                    ) from err
            self._users.pop(name, None)

    def mount(self, name: str, ref: str) -> str:
        with self._lock:
            data = self.path(name)
            options = self.options(name)
            if _needs_mount(options) and not os.path.ismount(data):
                device = options.get("device", "")
                if not device:
                    raise errdefs.Unknown("missing device in volume options")
                opts = tuple(o for o in options.get("o", "").split(",") if o)
                try:
                    snapmount.mount_all(
                        [Mount(type=options.get("type", ""), source=device, options=opts)], data
                    )
                except errdefs.DockyardError as err:
                    raise errdefs.Unknown(f"failed to mount local volume: {err}") from err
            self._users.setdefault(name, set()).add(ref)
            return data

    def unmount(self, name: str, ref: str) -> None:
        with self._lock:
            users = self._users.get(name, set())
            users.discard(ref)
            if users:
                return
            self._users.pop(name, None)
            if _needs_mount(self.options(name)):
                self._unmount(self.path(name))

    def live_restore(self, name: str, ref: str) -> None:
        with self._lock:
            self._users.setdefault(name, set()).add(ref)

    def status(self, name: str) -> dict[str, Any] | None:
        return None

    def _unmount(self, data: str) -> None:
        try:
            snapmount.unmount(data)
        except errdefs.FailedPrecondition:
            # still busy (a process outside any container holds a file): detach it now, the
            # kernel frees it with its last user
            log.warning("volume mount %s is busy; detaching it", data)
            snapmount.detach(data)


def _needs_mount(options: dict[str, str]) -> bool:
    return bool(options.get("device") or options.get("type"))


def _write_opts(path: str, options: dict[str, str]) -> None:
    """opts.json in moby's shape (optsConfig), written atomically."""
    doc = {
        "MountType": options.get("type", ""),
        "MountOpts": options.get("o", ""),
        "MountDevice": options.get("device", ""),
        "Quota": {"Size": 0},
    }
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
