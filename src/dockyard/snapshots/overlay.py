"""The overlayfs snapshotter: one directory per snapshot, metadata in SQLite.

On disk (DESIGN.md §3; `root` is data-root/snapshots/overlay):

    root/metadata.db    one row per snapshot: id, key, kind, parent key, labels, cached usage
    root/<id>/fs        the snapshot's own files: a layer's content, or a container's changes
                        (the overlay upper dir of an active snapshot)
    root/<id>/work      overlayfs's workdir (active snapshots)

Why SQLite (stdlib sqlite3, WAL) rather than a JSON file under flock: each prepare, commit
and remove is one small transaction, not a rewrite of every record; concurrent unpackers in
threads or other processes serialise on SQLite's own lock (BEGIN IMMEDIATE, busy timeout)
while readers keep reading; a crash leaves the last committed state (synchronous=FULL); and
DESIGN.md §4 chose SQLite for metadata already. Ids come from AUTOINCREMENT, so a removed
snapshot's id (and directory name) is never handed out again.

Directory and row change together inside the write transaction: prepare inserts the row,
makes root/<id>, then commits; remove deletes the row, commits, then deletes the directory.
A crash can leave a directory without a row (never the reverse); `cleanup` removes those.

Mounts are containerd's: a snapshot without parent is a bind mount of its fs (rw when active,
ro for a view); an active snapshot with parents is an overlay (lowerdir = parents' fs, nearest
first; upperdir = fs; workdir = work); a view of one parent is a read-only bind of that
parent's fs, of more an overlay of lowerdirs only (overlayfs needs two lowers without an
upper). The kernel takes mount options in one page: with root/<id>/fs paths of ~40 bytes that
is ~90 layers, and `mount.mount_all` refuses longer option strings with a clear error (Docker's
overlay2 shortens paths through l/<short id> symlinks, containerd chdirs for relative paths).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sqlite3
import stat
import time
from typing import Any

from dockyard import errdefs
from dockyard.snapshots.snapshotter import Info, Kind, Mount, Usage
from dockyard.utils.sqlitedb import Database

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    parent TEXT NOT NULL,       -- key of the committed parent, '' for none
    created_at REAL NOT NULL,
    labels TEXT NOT NULL,       -- JSON object
    size INTEGER,               -- usage of a committed snapshot, computed once
    inodes INTEGER
);
CREATE INDEX IF NOT EXISTS snapshots_parent ON snapshots (parent);
"""

_CHAIN = """
WITH RECURSIVE chain (id, parent, depth) AS (
    SELECT id, parent, 0 FROM snapshots WHERE key = ?
    UNION ALL
    SELECT s.id, s.parent, c.depth + 1 FROM snapshots s JOIN chain c ON s.key = c.parent
)
SELECT id FROM chain ORDER BY depth
"""

_COLUMNS = "id, key, kind, parent, created_at, labels, size, inodes"


def _overlay_defaults() -> tuple[str, ...]:
    """Options that keep upper dirs self-describing, so a diff can read them directly.

    index=off as containerd (no inode index to keep consistent across our layer reuse); and
    when a kernel turns redirect_dir or metacopy on by default, off again: a renamed directory
    or a metadata-only copy-up would leave changes that only make sense with the lowers.
    """
    options = []
    params = "/sys/module/overlay/parameters"
    if os.path.exists(f"{params}/index"):
        options.append("index=off")
    for name in ("metacopy", "redirect_dir"):
        try:
            with open(f"{params}/{name}") as f:
                if f.read().strip() in ("Y", "on"):
                    options.append(f"{name}=off")
        except OSError:
            pass
    return tuple(options)


class OverlaySnapshotter:
    """Snapshotter (snapshotter.py) on overlayfs; safe to share between threads and processes."""

    def __init__(self, root: str) -> None:
        self.root = root
        os.makedirs(root, mode=0o700, exist_ok=True)
        self._db = Database(os.path.join(root, "metadata.db"), schema=_SCHEMA)
        self._options = _overlay_defaults()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> OverlaySnapshotter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the Snapshotter protocol ---------------------------------------------------------

    def prepare(
        self, key: str, parent: str = "", labels: dict[str, str] | None = None
    ) -> list[Mount]:
        return self._create(key, parent, Kind.ACTIVE, labels or {})

    def view(self, key: str, parent: str = "") -> list[Mount]:
        return self._create(key, parent, Kind.VIEW, {})

    def mounts(self, key: str) -> list[Mount]:
        with self._read() as db:
            row = self._row(db, key)
            if row["kind"] == Kind.COMMITTED:
                raise errdefs.FailedPrecondition(
                    f"snapshot {key!r} is committed: only active and view snapshots mount"
                )
            parents = self._parent_ids(db, row["parent"])
        return self._mounts(row["id"], row["kind"], parents)

    def commit(self, name: str, key: str, *, parent: str | None = None) -> None:
        _check_key(name)
        with self._tx() as db:
            row = self._row(db, key)
            if row["kind"] != Kind.ACTIVE:
                raise errdefs.FailedPrecondition(f"snapshot {key!r} is not active")
            if self._find(db, name) is not None:
                raise errdefs.AlreadyExists(f"snapshot {name!r} already exists")
            if parent is None:
                parent = str(row["parent"])
            elif parent:
                prow = self._find(db, parent)
                if prow is None or prow["kind"] != Kind.COMMITTED:
                    raise errdefs.NotFound(f"parent snapshot {parent!r} not found (committed)")
            db.execute(
                "UPDATE snapshots SET key = ?, kind = ?, parent = ? WHERE id = ?",
                (name, Kind.COMMITTED, parent, row["id"]),
            )

    def remove(self, key: str) -> None:
        with self._tx() as db:
            row = self._row(db, key)
            child = db.execute("SELECT key FROM snapshots WHERE parent = ? LIMIT 1", (key,))
            found = child.fetchone()
            if found is not None:
                raise errdefs.Conflict(
                    f"snapshot {key!r} has children (e.g. {found[0]!r}): remove them first"
                )
            db.execute("DELETE FROM snapshots WHERE id = ?", (row["id"],))
        self._rmtree(self._dir(row["id"]))

    def stat(self, key: str) -> Info:
        with self._read() as db:
            return _info(self._row(db, key))

    def usage(self, key: str) -> Usage:
        with self._read() as db:
            row = self._row(db, key)
        if row["kind"] == Kind.COMMITTED and row["size"] is not None:
            return Usage(size=row["size"], inodes=row["inodes"])
        usage = _disk_usage(self._fs(row["id"]))
        if row["kind"] == Kind.COMMITTED:  # immutable now: remember
            with self._tx() as db:
                db.execute(
                    "UPDATE snapshots SET size = ?, inodes = ? WHERE id = ?",
                    (usage.size, usage.inodes, row["id"]),
                )
        return usage

    def walk(self) -> list[Info]:
        with self._read() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM snapshots ORDER BY id").fetchall()
        return [_info(_as_dict(r)) for r in rows]

    def upper_dir(self, key: str) -> str:
        with self._read() as db:
            return self._fs(self._row(db, key)["id"])

    def lower_dirs(self, key: str) -> list[str]:
        with self._read() as db:
            row = self._row(db, key)
            return [self._fs(i) for i in self._parent_ids(db, row["parent"])]

    # -- beyond the protocol ----------------------------------------------------------------

    def cleanup(self) -> list[str]:
        """Remove directories no snapshot owns (left by a crash); returns their paths."""
        removed = []
        with self._tx() as db:
            ids = {r[0] for r in db.execute("SELECT id FROM snapshots")}
            for name in os.listdir(self.root):
                if name.isdigit() and int(name) not in ids:
                    path = self._dir(int(name))
                    self._rmtree(path)
                    removed.append(path)
        return removed

    # -- internals ------------------------------------------------------------------------

    def _create(self, key: str, parent: str, kind: str, labels: dict[str, str]) -> list[Mount]:
        _check_key(key)
        with self._tx() as db:
            if self._find(db, key) is not None:
                raise errdefs.AlreadyExists(f"snapshot {key!r} already exists")
            parents: list[int] = []
            if parent:
                prow = self._find(db, parent)
                if prow is None or prow["kind"] != Kind.COMMITTED:
                    raise errdefs.NotFound(f"parent snapshot {parent!r} not found (committed)")
                parents = self._parent_ids(db, parent)
            cur = db.execute(
                "INSERT INTO snapshots (key, kind, parent, created_at, labels)"
                " VALUES (?, ?, ?, ?, ?)",
                (key, kind, parent, time.time(), json.dumps(labels, sort_keys=True)),
            )
            sid = cur.lastrowid
            assert sid is not None
            path = self._dir(sid)
            # Only a crashed prepare (its id rolled back, so handed out again) leaves this.
            self._rmtree(path)
            try:
                os.mkdir(path, 0o700)
                os.mkdir(os.path.join(path, "fs"), 0o755)
                if kind == Kind.ACTIVE:
                    os.mkdir(os.path.join(path, "work"), 0o700)
            except OSError:
                self._rmtree(path)
                raise
        return self._mounts(sid, kind, parents)

    def _mounts(self, sid: int, kind: str, parents: list[int]) -> list[Mount]:
        fs = self._fs(sid)
        if not parents:
            return [Mount("bind", fs, ("ro" if kind == Kind.VIEW else "rw", "rbind"))]
        lowers = ":".join(self._fs(p) for p in parents)
        if kind == Kind.ACTIVE:
            work = os.path.join(self._dir(sid), "work")
            options = (*self._options, f"workdir={work}", f"upperdir={fs}", f"lowerdir={lowers}")
            return [Mount("overlay", "overlay", options)]
        if len(parents) == 1:
            return [Mount("bind", self._fs(parents[0]), ("ro", "rbind"))]
        return [Mount("overlay", "overlay", (*self._options, f"lowerdir={lowers}"))]

    def _dir(self, sid: int) -> str:
        return os.path.join(self.root, str(sid))

    def _fs(self, sid: int) -> str:
        return os.path.join(self.root, str(sid), "fs")

    @staticmethod
    def _parent_ids(db: sqlite3.Connection, parent: str) -> list[int]:
        return [r[0] for r in db.execute(_CHAIN, (parent,))] if parent else []

    @staticmethod
    def _find(db: sqlite3.Connection, key: str) -> dict[str, Any] | None:
        cur = db.execute(f"SELECT {_COLUMNS} FROM snapshots WHERE key = ?", (key,))
        row = cur.fetchone()
        return None if row is None else _as_dict(row)

    def _row(self, db: sqlite3.Connection, key: str) -> dict[str, Any]:
        row = self._find(db, key)
        if row is None:
            raise errdefs.NotFound(f"snapshot {key!r} not found")
        return row

    @staticmethod
    def _rmtree(path: str) -> None:
        try:
            shutil.rmtree(path)
        except FileNotFoundError:
            pass
        except OSError as err:
            log.warning("failed to remove snapshot directory %s: %s", path, err)

    def _tx(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self._db.transaction()

    def _read(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self._db.reading()


def _check_key(key: str) -> None:
    if not key or not isinstance(key, str):
        raise errdefs.InvalidArgument(f"invalid snapshot key {key!r}")


def _as_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(_COLUMNS.split(", "), row, strict=True))


def _info(row: dict[str, Any]) -> Info:
    return Info(
        key=row["key"],
        kind=row["kind"],
        parent=row["parent"],
        created_at=row["created_at"],
        labels=json.loads(row["labels"]),
    )


def _disk_usage(top: str) -> Usage:
    """Apparent size of regular files and inode count under `top`, hardlinks counted once
    (what Docker's overlay2 reports as a layer's size); symlinks are never followed."""
    size = 0
    seen: set[int] = set()
    stack = [top]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                st = entry.stat(follow_symlinks=False)
                if st.st_ino in seen:
                    continue
                seen.add(st.st_ino)
                if stat.S_ISDIR(st.st_mode):
                    stack.append(entry.path)
                elif stat.S_ISREG(st.st_mode):
                    size += st.st_size
    return Usage(size=size, inodes=len(seen))
