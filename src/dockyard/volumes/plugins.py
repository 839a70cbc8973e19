"""Volume plugins: Docker's (v1) plugin protocol over a unix socket, and plugin discovery.

Discovery (moby pkg/plugins): a plugin NAME is a socket `<sockets dir>/NAME.sock` or
`<sockets dir>/NAME/NAME.sock` (default /run/docker/plugins), or a spec file
`<specs dir>/NAME.spec` (one line: its address, unix:// or tcp://) or `NAME.json`
({"Name", "Addr"}) in /etc/docker/plugins and /usr/lib/docker/plugins.

Protocol: every call is an HTTP POST of a JSON body to /<Method> with
`Accept: application/vnd.docker.plugins.v1.2+json`; the answer is JSON and a non-empty `Err`
is the call's error. /Plugin.Activate says what the plugin implements ("VolumeDriver");
/VolumeDriver.Create|Remove|Mount|Unmount|Path|Get|List|Capabilities are the driver.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import stat
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from dockyard import errdefs
from dockyard.volumes.volume import LOCAL_SCOPE, Driver

SOCKETS_DIR = "/run/docker/plugins"
SPECS_DIRS = ("/etc/docker/plugins", "/usr/lib/docker/plugins")
MIME = "application/vnd.docker.plugins.v1.2+json"
TIMEOUT = 30.0


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, *, timeout: float) -> None:
        super().__init__("plugin", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class PluginClient:
    """One plugin's endpoint: `unix:///path.sock` or `tcp://host:port` (plain HTTP)."""

    def __init__(self, name: str, address: str, *, timeout: float = TIMEOUT) -> None:
        self.name = name
        self.address = address
        self.timeout = timeout

    def _connection(self) -> http.client.HTTPConnection:
        scheme, _, rest = self.address.partition("://")
        if scheme == "unix":
            return _UnixConnection(rest, timeout=self.timeout)
        if scheme in ("tcp", "http"):
            return http.client.HTTPConnection(rest.rstrip("/"), timeout=self.timeout)
        raise errdefs.InvalidArgument(f"Unknown protocol: {self.address}")

    def call(self, method: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """POST /<method>; the decoded answer, or Unknown "<method>: <Err>"."""
        conn = self._connection()
        try:
            conn.request(
                "POST",
                f"/{method}",
                body=json.dumps(dict(body or {})).encode(),
                headers={"Accept": MIME, "Content-Type": MIME},
            )
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as err:
            raise errdefs.Unavailable(f"{method}: plugin {self.name}: {err}") from err
        finally:
            conn.close()
        try:
            doc = json.loads(data) if data.strip() else {}
        except ValueError:
            doc = {"Err": data.decode(errors="replace").strip()}
        if not isinstance(doc, dict):
            doc = {}
        err_text = doc.get("Err") or ""
        if resp.status != 200 and not err_text:
            err_text = data.decode(errors="replace").strip() or f"status {resp.status}"
        if err_text:
            raise errdefs.Unknown(f"{method}: {err_text}")
        return doc


class PluginDriver:
    """A volume driver served by a plugin (moby volume/drivers volumeDriverAdapter)."""

    def __init__(self, client: PluginClient) -> None:
        self.client = client
        self._scope = ""

    @property
    def name(self) -> str:
        return self.client.name

    def scope(self) -> str:
        if not self._scope:
            try:
                caps = self.client.call("VolumeDriver.Capabilities").get("Capabilities") or {}
            except errdefs.DockyardError:
                caps = {}  # an old plugin without Capabilities: local, as Docker assumes
            scope = str(caps.get("Scope") or LOCAL_SCOPE)
            self._scope = scope if scope in ("local", "global") else LOCAL_SCOPE
        return self._scope

    def create(self, name: str, options: dict[str, str]) -> None:
        self.client.call("VolumeDriver.Create", {"Name": name, "Opts": options or None})

    def remove(self, name: str) -> None:
        self.client.call("VolumeDriver.Remove", {"Name": name})

    def path(self, name: str) -> str:
        try:
            return str(
                self.client.call("VolumeDriver.Path", {"Name": name}).get("Mountpoint") or ""
            )
        except errdefs.DockyardError:
            return ""

    def mount(self, name: str, ref: str) -> str:
        doc = self.client.call("VolumeDriver.Mount", {"Name": name, "ID": ref})
        path = str(doc.get("Mountpoint") or "")
        if not path:
            raise errdefs.Unknown(f"VolumeDriver.Mount: {self.name} returned no mount point")
        return path

    def unmount(self, name: str, ref: str) -> None:
        self.client.call("VolumeDriver.Unmount", {"Name": name, "ID": ref})

    def exists(self, name: str) -> bool:
        try:
            self.client.call("VolumeDriver.Get", {"Name": name})
        except errdefs.Unknown:
            return False
        return True

    def list(self) -> list[str]:
        doc = self.client.call("VolumeDriver.List")
        return [str(v.get("Name")) for v in doc.get("Volumes") or [] if v.get("Name")]

    def status(self, name: str) -> dict[str, Any] | None:
        try:
            doc = self.client.call("VolumeDriver.Get", {"Name": name})
        except errdefs.DockyardError:
            return None
        status = (doc.get("Volume") or {}).get("Status")
        return dict(status) if isinstance(status, dict) and status else None

    def live_restore(self, name: str, ref: str) -> None:
        """A plugin keeps its own mount counts: nothing to restore on our side."""


class Registry:
    """Finds plugins by name (moby LocalRegistry) and keeps the activated ones."""

    def __init__(
        self, *, sockets_dir: str = SOCKETS_DIR, specs_dirs: Sequence[str] = SPECS_DIRS
    ) -> None:
        self.sockets_dir = sockets_dir
        self.specs_dirs = tuple(specs_dirs)
        self._lock = threading.Lock()
        self._active: dict[str, PluginDriver] = {}

    def address(self, name: str) -> str:
        """The plugin's address; NotFound when no socket or spec names it."""
        for path in _candidates(self.sockets_dir, name, ".sock"):
            try:
                if stat.S_ISSOCK(os.stat(path).st_mode):
                    return f"unix://{path}"
            except OSError:
                continue
        for directory in self.specs_dirs:
            for ext in (".spec", ".json"):
                for path in _candidates(directory, name, ext):
                    if os.path.exists(path):
                        return _read_spec(path)
        raise errdefs.NotFound(f'error looking up volume plugin {name}: plugin "{name}" not found')

    def get(self, name: str) -> PluginDriver:
        """The activated driver for plugin `name` (activated on first use)."""
        with self._lock:
            known = self._active.get(name)
        if known is not None:
            return known
        client = PluginClient(name, self.address(name))
        try:
            implements = client.call("Plugin.Activate").get("Implements") or []
        except errdefs.DockyardError as err:
            raise errdefs.NotFound(f"error looking up volume plugin {name}: {err}") from err
        if "VolumeDriver" not in implements:
            raise errdefs.NotFound(
                f"error looking up volume plugin {name}: "
                "Plugin does not implement the requested driver"
            )
        driver = PluginDriver(client)
        with self._lock:
            return self._active.setdefault(name, driver)

    def active(self) -> list[str]:
        with self._lock:
            return sorted(self._active)


class Drivers:
    """The volume drivers by name: `local`, then plugins (moby volume/drivers.Store)."""

    def __init__(self, *, local: Driver, plugins: Registry) -> None:
        self.local = local
        self.plugins = plugins

    def get(self, name: str) -> Driver:
        if not name or name == self.local.name:
            return self.local
        return self.plugins.get(name)

    def names(self) -> list[str]:
        """`docker info` Plugins.Volume: local and the activated plugins."""
        return [self.local.name, *self.plugins.active()]


def _candidates(directory: str, name: str, ext: str) -> list[str]:
    return [os.path.join(directory, name + ext), os.path.join(directory, name, name + ext)]


def _read_spec(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        text = f.read().strip()
    if path.endswith(".json"):
        try:
            doc = json.loads(text)
        except ValueError as err:
            raise errdefs.InvalidArgument(f"invalid plugin spec {path}: {err}") from err
        text = str(doc.get("Addr") or "") if isinstance(doc, dict) else ""
    if "://" not in text:
        raise errdefs.InvalidArgument("Unknown protocol")
    return text
