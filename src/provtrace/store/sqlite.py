"""The SQLite store: one file, created on first use, schema-versioned.

Writers hold one transaction per ingested run (all or nothing); readers use a
read-only connection.  Ids are assigned by the writer inside its transaction,
which keeps the SQL portable to the PostgreSQL backend planned for clusters.
"""

from __future__ import annotations

import sqlite3
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator

from .errors import CorruptStoreError, NewerStoreError, StoreError, UnknownRunError

SCHEMA_VERSION = 1

# Migrations: MIGRATIONS[n] upgrades a store at schema n to n + 1.  Each is a
# function of the connection, run inside the upgrade transaction.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {}


def schema_sql() -> str:
    """The CREATE statements of the current schema."""
    return resources.files("provtrace.store").joinpath("schema.sql").read_text()


def schema_statements() -> list[str]:
    """The schema as single statements (comments removed), for use inside a transaction."""
    text = "\n".join(line.split("--", 1)[0] for line in schema_sql().splitlines())
    return [s.strip() for s in text.split(";") if s.strip()]


class Store:
    """A provtrace store backed by one SQLite database file."""

    def __init__(self, path: str | Path, readonly: bool = False, create: bool = True) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if readonly or not create:
            if not self.path.exists():
                raise StoreError(f"no provtrace store at {self.path} (record a run first, or pass --store)")
        else:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the store directory {self.path.parent}: {exc.strerror}") from None
        try:
            if readonly:
                self.conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30,
                                            isolation_level=None)
            else:
                self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.conn.execute("PRAGMA foreign_keys = OFF")
            if not readonly:
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = NORMAL")
            self._check_schema()
        except sqlite3.DatabaseError as exc:
            raise CorruptStoreError(f"{self.path} is not a readable provtrace store: {exc}") from None

    # --- schema ---------------------------------------------------------------

    def _schema_version(self) -> int | None:
        has_meta = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        if not has_meta:
            return None
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else None

    def _check_schema(self) -> None:
        version = self._schema_version()
        if version is None:
            tables = self.conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            if tables:
                raise CorruptStoreError(f"{self.path} is an SQLite database but not a provtrace store")
            if self.readonly:
                raise StoreError(f"{self.path} is an empty store")
            self.conn.executescript("BEGIN IMMEDIATE;" + schema_sql()
                                    + f"INSERT INTO meta (key, value) VALUES ('schema_version', '{SCHEMA_VERSION}') "
                                    + "ON CONFLICT (key) DO NOTHING;"
                                    + "COMMIT;")
            return
        if version > SCHEMA_VERSION:
            raise NewerStoreError(
                f"the store {self.path} was written by a newer provtrace (schema {version}; this "
                f"provtrace knows {SCHEMA_VERSION}): upgrade provtrace to use it")
        if version == SCHEMA_VERSION and not self.readonly:
            # Indexes added (or superseded) since the store was created: no migration needed.
            for stmt in schema_statements():
                if stmt.startswith(("CREATE INDEX IF NOT EXISTS", "DROP INDEX IF EXISTS")):
                    self.conn.execute(stmt)
        if version < SCHEMA_VERSION:
            if self.readonly:
                # Upgrade through a writable connection, then carry on read-only.
                Store(self.path).close()
                return
            self._migrate(version)

    def _migrate(self, version: int) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            while version < SCHEMA_VERSION:
                step = MIGRATIONS.get(version)
                if step is None:
                    raise StoreError(f"no migration from store schema {version}")
                step(self.conn)
                version += 1
            for stmt in schema_statements():
                self.conn.execute(stmt)
            self.conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    # --- reading --------------------------------------------------------------

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, sql: str, params: tuple | dict = ()) -> list[dict[str, Any]]:
        """Run a query and return rows as dicts."""
        cur = self.conn.execute(sql, params)
        cols = [c[0] for c in cur.description or ()]
        return [dict(zip(cols, row)) for row in cur]

    def iter_query(self, sql: str, params: tuple | dict = ()) -> Iterator[tuple]:
        """Run a query and iterate over plain tuples."""
        return iter(self.conn.execute(sql, params))

    def resolve_run(self, ref: str | int) -> int:
        """Turn ``last`` or a run id into an existing run id."""
        text = str(ref).strip()
        if text == "last":
            row = self.conn.execute("SELECT max(id) FROM runs").fetchone()
            if row[0] is None:
                raise UnknownRunError("the store has no runs yet (record one with `provtrace record -- CMD`)")
            return int(row[0])
        if not text.isdigit():
            raise UnknownRunError(f"{text!r} is not a run id (a number, or `last`)")
        row = self.conn.execute("SELECT id FROM runs WHERE id = ?", (int(text),)).fetchone()
        if row is None:
            raise UnknownRunError(f"no run {text} in {self.path}")
        return int(row[0])


def open_store(path: str | Path, readonly: bool = False) -> Store:
    """Open (creating if needed, unless ``readonly``) the store at ``path``."""
    return Store(path, readonly=readonly)
