"""The snapshotter interface (containerd's snapshots.Snapshotter, synchronous).

Lifecycle of a layer chain and a container's writable layer:

    mounts = sn.prepare("extract-<chain id>", parent=parent_chain_id)  # active, writable
    # apply the layer's tar into sn.upper_dir("extract-<chain id>") (unpack.apply_layer)
    sn.commit("<chain id>", "extract-<chain id>")                       # now immutable
    mounts = sn.prepare("<container id>", parent="<top chain id>")     # container rw layer
    mounts = sn.view("<key>", parent=...)                               # read-only view
    sn.remove(key)                  # refused (Conflict) while a snapshot has children

Committed snapshots are named by chain id, so layers shared by images are unpacked once. A
Mount is what the runtime (or a test) mounts to see the snapshot's filesystem.
"""

from __future__ import annotations

from typing import Protocol

from dockyard.utils.record import record


class Kind:
    ACTIVE = "active"
    VIEW = "view"
    COMMITTED = "committed"


@record(frozen=True)
class Mount:
    """One mount(2) call: `mount -t type source target -o options`."""

    type: str  # "overlay" or "bind"
    source: str
    options: tuple[str, ...]


@record(frozen=True)
class Info:
    key: str
    kind: str  # Kind.*
    parent: str  # "" for a base layer
    created_at: float
    labels: dict[str, str]


@record(frozen=True)
class Usage:
    size: int  # bytes in this snapshot's own directory (not its parents)
    inodes: int


class Snapshotter(Protocol):
    def prepare(
        self, key: str, parent: str = "", labels: dict[str, str] | None = None
    ) -> list[Mount]:
        """A new active (writable) snapshot on top of committed `parent`; AlreadyExists if
        `key` is taken, NotFound if `parent` is not a committed snapshot."""

    def view(self, key: str, parent: str = "") -> list[Mount]:
        """A read-only snapshot of committed `parent`."""

    def mounts(self, key: str) -> list[Mount]:
        """The mounts of an active or view snapshot."""

    def commit(self, name: str, key: str, *, parent: str | None = None) -> None:
        """Turn active `key` into committed `name` (key disappears). With `parent`, the
        committed snapshot sits on that committed parent instead of the one it was prepared
        on: a layer's own directory does not depend on its parents' contents, so the layers
        of a pull are unpacked side by side and chained here, in order."""

    def remove(self, key: str) -> None:
        """Remove a snapshot; Conflict while it has children; NotFound when absent."""

    def stat(self, key: str) -> Info: ...

    def usage(self, key: str) -> Usage: ...

    def walk(self) -> list[Info]: ...

    def upper_dir(self, key: str) -> str:
        """The directory an active snapshot's changes live in (where a layer is applied)."""

    def lower_dirs(self, key: str) -> list[str]:
        """The parent chain's directories, nearest parent first (for diffs)."""
