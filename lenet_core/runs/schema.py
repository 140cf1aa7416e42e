"""The run store's file: its schema as numbered migrations, and opening it.

``PRAGMA user_version`` holds the number of the last migration a store has had. Opening a store
(:func:`migrate`) applies the migrations it lacks, in order, in one write transaction, once per
file and process (the caller memoises it: :func:`lenet_core.runs.store.store_for`). A store made
before migrations were numbered has version 0 and any of the shapes the schema had before: the
first four migrations are written so that they hold for each of those (tables and indexes made
if absent, columns added if missing). A migration added later is plain SQL for the version
before it. A store whose version is higher than this code knows was written by a newer LeNet Lab
and is refused in one line rather than misread.

Several processes open one store at once (the dashboard, workers, the CLI): WAL mode lets readers
go on while one writes, and SQLite's own busy timeout (:data:`BUSY_TIMEOUT_S`, stated once) is
the only wait. An error is reported in words, classified by SQLite's error name.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from lenet_core.errors import LabError

BUSY_TIMEOUT_S = 10.0  # how long SQLite waits for another process's write lock, the only wait


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def _add_missing(conn: sqlite3.Connection, table: str, columns: dict[str, str]) -> None:
    have = _columns(conn, table)
    for column, kind in columns.items():
        if column not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


def _runs_and_metrics(conn: sqlite3.Connection) -> None:
    """1: the first schema (2026-11-28): runs and their metrics."""
    conn.execute("""CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, created REAL NOT NULL, config TEXT NOT NULL,
        status TEXT NOT NULL, pid INTEGER, device TEXT, started REAL, finished REAL, error TEXT,
        summary TEXT, progress TEXT, heartbeat REAL)""")
    conn.execute("""CREATE TABLE IF NOT EXISTS metrics (
        run_id TEXT NOT NULL, step INTEGER NOT NULL, epoch REAL NOT NULL, name TEXT NOT NULL,
        value REAL, wall_time REAL NOT NULL)""")
    conn.execute("CREATE INDEX IF NOT EXISTS metrics_by_run ON metrics (run_id, step)")


def _request_ids(conn: sqlite3.Connection) -> None:
    """2: a form submission's id, UNIQUE, so a double click never starts a run twice."""
    _add_missing(conn, "runs", {"request_id": "TEXT"})
    conn.execute("CREATE UNIQUE INDEX IF NOT EXISTS runs_by_request ON runs (request_id)")


def _queue(conn: sqlite3.Connection) -> None:
    """3: the queue: when a waiting run got its slot."""
    _add_missing(conn, "runs", {"dispatched": "REAL"})


def _sweeps(conn: sqlite3.Connection) -> None:
    """4: sweeps, their trials, the Ray backend and early stopping's rung."""
    conn.execute("""CREATE TABLE IF NOT EXISTS sweeps (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, created REAL NOT NULL, spec TEXT NOT NULL,
        status TEXT NOT NULL, pid INTEGER, finished REAL, error TEXT)""")
    _add_missing(conn, "runs", {"sweep_id": "TEXT", "trial": "INTEGER", "backend": "TEXT",
                                "rung": "INTEGER"})
    conn.execute("CREATE INDEX IF NOT EXISTS runs_by_sweep ON runs (sweep_id, trial)")


def _inside(conn: sqlite3.Connection) -> None:
    """5: the inside of training: per-layer figures five times an epoch, histograms once an epoch
    (lenet_core.training.inside). Tables of their own: the curves' reads stay as small as before."""
    conn.execute("""CREATE TABLE IF NOT EXISTS inside (
        run_id TEXT NOT NULL, step INTEGER NOT NULL, epoch REAL NOT NULL, layer TEXT NOT NULL,
        name TEXT NOT NULL, value REAL)""")
    conn.execute("CREATE INDEX IF NOT EXISTS inside_by_run ON inside (run_id, step)")
    conn.execute("""CREATE TABLE IF NOT EXISTS histograms (
        run_id TEXT NOT NULL, epoch REAL NOT NULL, layer TEXT NOT NULL, kind TEXT NOT NULL,
        low REAL NOT NULL, high REAL NOT NULL, counts TEXT NOT NULL)""")
    conn.execute("CREATE INDEX IF NOT EXISTS histograms_by_run ON histograms (run_id, epoch)")


# Migration N is MIGRATIONS[N - 1]; append, never reorder or edit one that has shipped.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _runs_and_metrics, _request_ids, _queue, _sweeps, _inside)
VERSION = len(MIGRATIONS)


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), rows by column name."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def store_error(exc: sqlite3.Error, path: Path, doing: str) -> LabError:
    """A SQLite error in words, by its error name (not its message text)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        why = f"another process has held it for over {BUSY_TIMEOUT_S:g} s; try again"
    elif name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        why = "it is not writable here; set LENET_LAB_HOME to a writable folder with free space"
    elif name.startswith("SQLITE_FULL"):
        why = "the disk is full; free some space"
    elif name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        why = "it is not a LeNet Lab run store (not an SQLite database, or damaged)"
    else:
        why = str(exc)
    return LabError(f"{path}: cannot {doing} the run store ({why})")


def version(path: Path) -> int:
    """The store's schema version (0: made before versions were numbered, or a new file)."""
    conn = connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def migrate(path: Path) -> int:
    """Create the store at ``path`` or bring it to :data:`VERSION`; returns how many migrations
    ran (0: it was up to date). A LabError in words if it cannot be opened or is newer."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(path)
    except OSError as exc:
        raise LabError(f"{path}: cannot open the run store ({exc}); set LENET_LAB_HOME to a "
                       "writable folder with free space") from None
    except sqlite3.Error as exc:
        raise store_error(exc, path, "open") from None
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] == VERSION:
            return 0  # the common case: no write lock taken
        conn.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; kept in the file
        conn.execute("BEGIN IMMEDIATE")
        try:
            found = conn.execute("PRAGMA user_version").fetchone()[0]  # under the lock, again
            if found > VERSION:
                raise LabError(f"{path}: this run store was written by a newer LeNet Lab (schema "
                               f"version {found}; this one knows up to {VERSION}): update LeNet Lab, "
                               "or set LENET_LAB_HOME to another folder")
            for step in MIGRATIONS[found:]:
                step(conn)
            conn.execute(f"PRAGMA user_version = {VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return VERSION - found
    except sqlite3.Error as exc:
        raise store_error(exc, path, "open") from None
    finally:
        conn.close()
