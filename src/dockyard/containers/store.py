"""ContainerStore: containers persisted in the daemon's metadata.db (SQLite, WAL).

One row per container: its id, its unique name and the whole record as JSON. The UNIQUE name
column is what makes two concurrent creates of the same name end in one 409, not two rows.
"""

from __future__ import annotations

import sqlite3

from dockyard import errdefs
from dockyard.containers.container import Container
from dockyard.utils import jsonfast
from dockyard.utils.sqlitedb import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS containers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    record TEXT NOT NULL
);
"""


class ContainerStore:
    """Durable container records; every write is one transaction."""

    def __init__(self, db_path: str) -> None:
        self._db = Database(db_path, schema=_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def load_all(self) -> list[Container]:
        rows = self._db.query("SELECT record FROM containers")
        return [Container.from_json(jsonfast.loads(str(row[0]))) for row in rows]

    def add(self, container: Container) -> None:
        """Insert a new container; Conflict when its name is taken (Docker's message)."""
        try:
            with self._db.transaction() as db:
                db.execute(
                    "INSERT INTO containers (id, name, record) VALUES (?, ?, ?)",
                    (container.id, container.name, jsonfast.dumps(container.to_json())),
                )
        except sqlite3.IntegrityError:
            raise name_conflict(container.name, self.owner_of(container.name)) from None

    def save(self, container: Container) -> None:
        """Write the container's current record (name included: rename goes through here)."""
        try:
            with self._db.transaction() as db:
                db.execute(
                    "UPDATE containers SET name = ?, record = ? WHERE id = ?",
                    (container.name, jsonfast.dumps(container.to_json()), container.id),
                )
        except sqlite3.IntegrityError:
            raise name_conflict(container.name, self.owner_of(container.name)) from None

    def delete(self, container_id: str) -> None:
        with self._db.transaction() as db:
            db.execute("DELETE FROM containers WHERE id = ?", (container_id,))

    def owner_of(self, name: str) -> str:
        rows = self._db.query("SELECT id FROM containers WHERE name = ?", (name,))
        return str(rows[0][0]) if rows else ""


def name_conflict(name: str, owner: str) -> errdefs.Conflict:
    return errdefs.Conflict(
        f'Conflict. The container name "/{name}" is already in use by container "{owner}". '
        "You have to remove (or rename) that container to be able to reuse that name."
    )
