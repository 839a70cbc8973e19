"""SQLite as dockyard's metadata stores use it (DESIGN.md §3: crash-safe, embedded).

One connection per store, shared between threads under a lock; WAL journal and synchronous
FULL so a committed change survives a crash; transactions explicit and taken for writing up
front (BEGIN IMMEDIATE), so two processes serialise instead of failing half-way through an
upgrade from a read lock.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager


class Database:
    def __init__(self, path: str, *, schema: str = "", foreign_keys: bool = False) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            path,
            timeout=30.0,
            isolation_level=None,  # transactions are explicit: BEGIN IMMEDIATE ... COMMIT
            check_same_thread=False,  # shared between threads under self._lock
        )
        self._retry_busy("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        if foreign_keys:
            self._db.execute("PRAGMA foreign_keys=ON")
        if schema:
            with self.transaction() as db:  # not executescript(): it COMMITs on its own
                for statement in schema.split(";"):
                    if statement.strip():
                        db.execute(statement)

    def _retry_busy(self, sql: str, attempts: int = 500) -> None:
        """Run `sql`, retrying while another connection holds the database: switching the
        journal mode can answer SQLITE_BUSY at once, without waiting for the busy timeout,
        when several processes open a new database together."""
        for attempt in range(attempts):
            try:
                self._db.execute(sql)
                return
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or attempt == attempts - 1:
                    raise
                time.sleep(0.01)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back on an error."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection for reads (autocommit), under the lock."""
        with self._lock:
            yield self._db

    def query(self, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())

    def close(self) -> None:
        with self._lock:
            self._db.close()
