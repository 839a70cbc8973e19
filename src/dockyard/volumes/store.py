"""VolumeStore: volume metadata and mount users in the daemon's metadata.db (SQLite, WAL).

`volumes` holds what `docker volume inspect` shows beside the driver's data (driver, labels,
options, CreatedAt, scope). `volume_users` holds, per volume, the containers that have it
mounted right now: it outlives the daemon (kill -9 included), so a restarted daemon knows
which kernel mounts of `-o type=...` volumes are still in use and unmounts each exactly when
its last user stops.
"""

from __future__ import annotations

import builtins
import json
import sqlite3

from dockyard import errdefs
from dockyard.utils.sqlitedb import Database
from dockyard.volumes.volume import Volume

_SCHEMA = """
CREATE TABLE IF NOT EXISTS volumes (
    name TEXT PRIMARY KEY,
    driver TEXT NOT NULL,
    labels TEXT NOT NULL,
    options TEXT NOT NULL,
    created_at TEXT NOT NULL,
    scope TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS volume_users (
    name TEXT NOT NULL,
    ref TEXT NOT NULL,
    PRIMARY KEY (name, ref)
);
"""


class VolumeStore:
    """Durable volume records; every write is one transaction."""

    def __init__(self, db_path: str) -> None:
        self._db = Database(db_path, schema=_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def add(self, v: Volume) -> None:
        """Insert a new volume; AlreadyExists when the name is taken."""
        try:
            with self._db.transaction() as db:
                db.execute(
                    "INSERT INTO volumes (name, driver, labels, options, created_at, scope)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (v.name, v.driver, json.dumps(v.labels), json.dumps(v.options),
                     v.created_at, v.scope),
                )  # fmt: skip
        except sqlite3.IntegrityError:
            raise errdefs.AlreadyExists(f"volume {v.name} already exists") from None

    def get(self, name: str) -> Volume | None:
        rows = self._db.query(
            "SELECT name, driver, labels, options, created_at, scope FROM volumes WHERE name = ?",
            (name,),
        )
        return _volume(rows[0]) if rows else None

    def list(self) -> list[Volume]:
        rows = self._db.query(
            "SELECT name, driver, labels, options, created_at, scope FROM volumes ORDER BY name"
        )
        return [_volume(row) for row in rows]

    def delete(self, name: str) -> None:
        with self._db.transaction() as db:
            db.execute("DELETE FROM volumes WHERE name = ?", (name,))
            db.execute("DELETE FROM volume_users WHERE name = ?", (name,))

    # -- mount users ----------------------------------------------------------------------------

    def users(self, name: str) -> set[str]:
        rows = self._db.query("SELECT ref FROM volume_users WHERE name = ?", (name,))
        return {str(row[0]) for row in rows}

    def all_users(self) -> builtins.list[tuple[str, str]]:
        rows = self._db.query("SELECT name, ref FROM volume_users ORDER BY name, ref")
        return [(str(row[0]), str(row[1])) for row in rows]

    def add_user(self, name: str, ref: str) -> None:
        with self._db.transaction() as db:
            db.execute("INSERT OR IGNORE INTO volume_users (name, ref) VALUES (?, ?)", (name, ref))

    def remove_user(self, name: str, ref: str) -> None:
        with self._db.transaction() as db:
            db.execute("DELETE FROM volume_users WHERE name = ? AND ref = ?", (name, ref))


def _volume(row: tuple[object, ...]) -> Volume:
    name, driver, labels, options, created_at, scope = row
    return Volume(
        name=str(name),
        driver=str(driver),
        created_at=str(created_at),
        labels=dict(json.loads(str(labels))),
        options=dict(json.loads(str(options))),
        scope=str(scope),
    )
