"""Looking into a process's database from the test, as an operator would (sqlite3/psycopg)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


class Database:
    def __init__(self, env: dict) -> None:
        self.url = env.get("DATABASE_URL", "")
        self.path = Path(env["OPENPOAM_DATA_DIR"]) / "openpoam.sqlite3"

    def _connect(self):
        if self.url:
            import psycopg

            return psycopg.connect(self.url, autocommit=True)
        # A reader waits out the moments WAL needs to itself (a checkpoint); only the lock
        # probe below must not wait.
        return sqlite3.connect(self.path, timeout=10, isolation_level=None)

    def scalar(self, sql: str, *params):
        connection = self._connect()
        try:
            cursor = connection.cursor()
            cursor.execute(sql.replace("?", "%s") if self.url else sql, params)
            return cursor.fetchone()[0]
        finally:
            connection.close()

    def counts(self) -> dict:
        tables = ("tracker_poamitem", "tracker_affectedasset", "tracker_importrecord",
                  "tracker_changeevent", "tracker_evidence")
        return {t: self.scalar(f"SELECT count(*) FROM {t}") for t in tables}

    def import_transaction_open(self) -> bool:
        """Whether an import's transaction holds its lock right now: the SQLite write lock
        (BEGIN IMMEDIATE), or the system row locked FOR UPDATE on PostgreSQL."""
        if self.url:
            return bool(self.scalar(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON l.relation = c.oid "
                "WHERE c.relname = 'tracker_system' AND l.mode = 'RowShareLock'"))
        connection = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            connection.close()
