"""What a volume is, and the interface every volume driver implements.

    driver = drivers.get("local")              # the local driver, or a plugin by name
    path = driver.create(name, options)        # the volume exists (its Mountpoint, may be "")
    path = driver.mount(name, ref)             # one container (ref) starts using it
    driver.unmount(name, ref)                  # ... and stops; the last one lets it go
    driver.remove(name)                        # gone, with its data

A driver owns the data; the VolumeStore (store.py) owns the metadata Docker shows (labels,
options, CreatedAt), and the VolumeService (service.py) the references and users, so a
driver never needs to know about containers.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from dockyard import errdefs
from dockyard.utils.record import field, record

DEFAULT_DRIVER = "local"
ANONYMOUS_LABEL = "com.docker.volume.anonymous"  # moby volume/service AnonymousLabel
LOCAL_SCOPE = "local"
GLOBAL_SCOPE = "global"
# moby daemon/names RestrictedNameChars, which a local volume's name must match
RESTRICTED_NAME_CHARS = "[a-zA-Z0-9][a-zA-Z0-9_.-]"
_NAME = re.compile(f"^{RESTRICTED_NAME_CHARS}+$")


@record(frozen=True)
class Volume:
    """One volume as the store keeps it (moby's volume.DetailedVolume)."""

    name: str
    driver: str
    created_at: str  # RFC 3339, as Docker prints CreatedAt
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    scope: str = LOCAL_SCOPE

    @property
    def anonymous(self) -> bool:
        return ANONYMOUS_LABEL in self.labels

    def doc(self, *, mountpoint: str, status: dict[str, Any] | None = None) -> dict[str, Any]:
        """volume.Volume of the Engine API (GET /volumes/{name})."""
        out: dict[str, Any] = {
            "CreatedAt": self.created_at,
            "Driver": self.driver,
            "Labels": dict(self.labels) if self.labels else None,
            "Mountpoint": mountpoint,
            "Name": self.name,
            "Options": dict(self.options) if self.options else None,
            "Scope": self.scope,
        }
        if status:
            out["Status"] = status
        return out


class Driver(Protocol):
    """A volume driver (moby volume.Driver): the local one or a plugin's proxy."""

    @property
    def name(self) -> str: ...

    def scope(self) -> str:
        """ "local" or "global" (a plugin's Capabilities)."""
        ...

    def create(self, name: str, options: dict[str, str]) -> None:
        """Make the volume; InvalidArgument for options the driver refuses."""
        ...

    def remove(self, name: str) -> None: ...

    def path(self, name: str) -> str:
        """Where the data is (Mountpoint); "" when the driver only knows once mounted."""
        ...

    def mount(self, name: str, ref: str) -> str:
        """Make the volume usable for `ref` (a container id); the host path to bind."""
        ...

    def unmount(self, name: str, ref: str) -> None: ...

    def exists(self, name: str) -> bool: ...

    def list(self) -> list[str]: ...

    def status(self, name: str) -> dict[str, Any] | None: ...

    def live_restore(self, name: str, ref: str) -> None:
        """At daemon start: `ref` was using the volume when the daemon went down."""
        ...


def validate_local_name(name: str) -> None:
    """moby local Root.validateName."""
    if len(name) == 1:
        raise errdefs.InvalidArgument(
            "volume name is too short, names should be at least two alphanumeric characters"
        )
    if not _NAME.match(name):
        raise errdefs.InvalidArgument(
            f'"{name}" includes invalid characters for a local volume name, only '
            f'"{RESTRICTED_NAME_CHARS}" are allowed. If you intended to pass a host directory, '
            "use absolute path"
        )
