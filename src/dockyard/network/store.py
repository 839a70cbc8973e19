"""NetworkStore: networks and their endpoints in the daemon's metadata.db (SQLite, WAL).

Endpoints outlive the daemon (kill -9 included): a restarted daemon finds the live ones of
running containers (live restore) and the addresses they hold (IPAM is derived from them).
"""

from __future__ import annotations

import sqlite3

from dockyard import errdefs
from dockyard.network.model import Endpoint, Network
from dockyard.utils import jsonfast
from dockyard.utils.sqlitedb import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS networks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS endpoints (
    network_id TEXT NOT NULL,
    container_id TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (network_id, container_id)
);
"""


class NetworkStore:
    """Durable network and endpoint records; every write is one transaction."""

    def __init__(self, db_path: str) -> None:
        self._db = Database(db_path, schema=_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def networks(self) -> list[Network]:
        rows = self._db.query("SELECT record FROM networks")
        return [Network.from_json(jsonfast.loads(str(r[0]))) for r in rows]

    def add(self, n: Network) -> None:
        try:
            with self._db.transaction() as db:
                db.execute(
                    "INSERT INTO networks (id, name, record) VALUES (?, ?, ?)",
                    (n.id, n.name, jsonfast.dumps(n.to_json())),
                )
        except sqlite3.IntegrityError:
            raise errdefs.Conflict(f"network with name {n.name} already exists") from None

    def delete(self, network_id: str) -> None:
        with self._db.transaction() as db:
            db.execute("DELETE FROM networks WHERE id = ?", (network_id,))
            db.execute("DELETE FROM endpoints WHERE network_id = ?", (network_id,))

    def endpoints(self) -> list[Endpoint]:
        rows = self._db.query("SELECT record FROM endpoints")
        return [Endpoint.from_json(jsonfast.loads(str(r[0]))) for r in rows]

    def save_endpoint(self, ep: Endpoint) -> None:
        with self._db.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO endpoints (network_id, container_id, record)"
                " VALUES (?, ?, ?)",
                (ep.network_id, ep.container_id, jsonfast.dumps(ep.to_json())),
            )

    def delete_endpoint(self, network_id: str, container_id: str) -> None:
        with self._db.transaction() as db:
            db.execute(
                "DELETE FROM endpoints WHERE network_id = ? AND container_id = ?",
                (network_id, container_id),
            )
