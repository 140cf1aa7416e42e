"""The run store: one row per run and its metrics in ``<home>/runs.db`` (SQLite, WAL).

Reads never write: a run whose trainer vanished is marked failed only by an explicit
:func:`lenet_core.runs.process.reap`, which the live panel and ``runs list`` call. Reading is
lenient: a row whose stored config no longer validates (a renamed architecture, a range since
tightened) is listed with a note and the defaults in place of the values that no longer hold,
and never takes a page down. Several processes read and write at once: WAL mode and SQLite's own
busy timeout (:data:`BUSY_TIMEOUT_S`, stated once) make that safe; a write that still cannot get
the lock is reported in words, classified by SQLite's error name.

Status: queued -> running -> completed | stopped | failed | diverged | pruned (a sweep's early
stop). A sweep (:mod:`lenet_core.runs.sweeps`) is a row of its own table; its trials are runs with
its ``sweep_id`` and their number in it.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from lenet_core import paths
from lenet_core.errors import LabError
from lenet_core.training.config import DEFAULTS, SETTINGS, TrainConfig, validate

STATUSES = ("queued", "running", "completed", "stopped", "failed", "diverged", "pruned")
ACTIVE = ("queued", "running")
RESUMABLE = ("stopped", "failed")
RUN_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{4}$")  # 20261128-143012-3fa9: sortable, path-safe
SWEEP_ID = re.compile(r"^sw-\d{8}-\d{6}-[0-9a-f]{4}$")  # sw-20261202-150102-0b1c
BUSY_TIMEOUT_S = 10.0  # how long SQLite waits for another process's write lock, the only wait
NAME_LIMIT = 80  # characters: a name shows in the run picker, the legend and `runs list`

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created REAL NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL,
    pid INTEGER,
    device TEXT,
    started REAL,
    finished REAL,
    error TEXT,
    summary TEXT,
    progress TEXT,
    heartbeat REAL
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    epoch REAL NOT NULL,
    name TEXT NOT NULL,
    value REAL,
    wall_time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_by_run ON metrics (run_id, step);
CREATE TABLE IF NOT EXISTS sweeps (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created REAL NOT NULL,
    spec TEXT NOT NULL,
    status TEXT NOT NULL,
    pid INTEGER,
    finished REAL,
    error TEXT
);
"""
# Columns added since the first schema: a store made by an older version gains them on open.
ADDED_COLUMNS = {"request_id": "TEXT", "dispatched": "REAL", "sweep_id": "TEXT", "trial": "INTEGER",
                 "backend": "TEXT", "rung": "INTEGER"}
INDEXES = ["CREATE UNIQUE INDEX IF NOT EXISTS runs_by_request ON runs (request_id)",
           "CREATE INDEX IF NOT EXISTS runs_by_sweep ON runs (sweep_id, trial)"]


def validate_run_id(run_id: str) -> str:
    """Run ids become folder names: anything but the strict pattern (e.g. ``../x``) is refused."""
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        raise LabError(f"{run_id!r} is not a run id (they look like 20261128-143012-3fa9; "
                       "`python -m lenet_core runs list` shows them)")
    return run_id


def validate_sweep_id(sweep_id: str) -> str:
    if not isinstance(sweep_id, str) or not SWEEP_ID.match(sweep_id):
        raise LabError(f"{sweep_id!r} is not a sweep id (they look like sw-20261202-150102-0b1c; "
                       "`python -m lenet_core sweep list` shows them)")
    return sweep_id


def new_run_id() -> str:
    return f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a run (too long, or a line break or other control character that
    would break a table line), or None. An empty name means the default one."""
    if len(name.strip()) > NAME_LIMIT:
        return f"{len(name.strip())} characters is too long: at most {NAME_LIMIT}"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "it holds a line break or another control character: use one line of text"
    return None


def _distinct_run_ids(count: int) -> list[str]:
    """``count`` run ids, no two alike (many drawn in one second share its prefix)."""
    ids: dict[str, None] = {}
    while len(ids) < count:
        ids[new_run_id()] = None
    return list(ids)


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Run:
    id: str
    name: str
    created: float  # Unix seconds; to_dict() gives ISO 8601
    config: TrainConfig
    status: str
    pid: int | None
    device: str | None
    started: float | None
    finished: float | None
    error: str | None
    summary: dict[str, Any] = field(default_factory=dict)
    progress: dict[str, Any] = field(default_factory=dict)
    heartbeat: float | None = None
    request_id: str | None = None
    note: str | None = None  # the stored config no longer validates here: what was replaced
    dispatched: float | None = None  # when a queued run got a slot (None: waiting for one)
    sweep_id: str | None = None  # the sweep this run is a trial of
    trial: int | None = None  # its number in the sweep, from 1
    backend: str | None = None  # "ray": trained by a Ray sweep's driver, not by the local queue
    rung: int | None = None  # pruned: the epoch after which the early stop cut it

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "created": iso(self.created),
                "status": self.status, "config": self.config.to_dict(), "pid": self.pid,
                "device": self.device, "started": iso(self.started), "finished": iso(self.finished),
                "error": self.error, "summary": self.summary, "progress": self.progress,
                "note": self.note, "dispatched": iso(self.dispatched), "sweep_id": self.sweep_id,
                "trial": self.trial, "backend": self.backend, "rung": self.rung}


@dataclass
class Sweep:
    """A sweep as stored: its spec (base config, space, metric, backend, early stop, ...) and the
    state of its driver. Its trials are runs (:meth:`RunStore.sweep_runs`)."""

    id: str
    name: str
    created: float
    spec: dict[str, Any]
    status: str  # running | stopped | ended (what its trials say is worked out by sweeps.progress)
    pid: int | None  # the driver (a Ray sweep's, or the CLI watching a local one)
    finished: float | None
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "created": iso(self.created), "spec": self.spec,
                "status": self.status, "pid": self.pid, "finished": iso(self.finished),
                "error": self.error}


def _json_safe(value: Any) -> Any:
    """NaN/inf become null, so the stored JSON is standard JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _dumps(value: Any) -> str:
    return json.dumps(_json_safe(value))


def stored_config(text: str) -> tuple[TrainConfig, str | None]:
    """A run's stored config, leniently: fields this version does not know are left out, and a
    value that no longer validates is replaced by the default, said in the note."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError:
        raw = None
    if not isinstance(raw, dict):
        return TrainConfig(), "stored config could not be read: it is shown with the default settings"
    known = {k: v for k, v in raw.items() if k in SETTINGS}
    config, errors = validate(known)
    if config is not None:
        return config, None
    kept = {k: v for k, v in known.items() if k not in errors}
    config, more = validate(kept)
    if config is None:  # what is left fails together (batch norm and a batch of one)
        config, more = TrainConfig(), {}
    replaced = "; ".join(f"{k}: {m} (shown as {DEFAULTS[k]!r})" for k, m in {**errors, **more}.items())
    return config, f"stored settings no longer hold here: {replaced}"


def _store_error(exc: sqlite3.Error, path: Path, doing: str) -> LabError:
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


class RunStore:
    """Runs and metrics in ``<home>/runs.db``. A short-lived connection per operation, so one
    store can be used from any thread (Streamlit sessions) and any number of processes."""

    def __init__(self, home: Path | None = None):
        self.home = Path(home or paths.lab_home()).expanduser().resolve()
        self.path = paths.db_path(self.home)
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            with self._connect() as conn:
                conn.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
                conn.executescript(SCHEMA)
                have = {row["name"] for row in conn.execute("PRAGMA table_info(runs)")}
                for column, kind in ADDED_COLUMNS.items():
                    if column not in have:
                        conn.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")
                for sql in INDEXES:
                    conn.execute(sql)
        except OSError as exc:
            raise LabError(f"{self.path}: cannot open the run store ({exc}); set LENET_LAB_HOME "
                           "to a writable folder with free space") from None
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path, "open") from None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            yield conn
        finally:
            conn.close()

    def _write(self, statements: Iterable[tuple[str, Any]]) -> list[int]:
        """Run statements in one transaction (waiting up to the busy timeout for the lock).
        Returns the row count of each statement (a list of parameter tuples = executemany)."""
        try:
            with self._connect() as conn:
                conn.execute("BEGIN IMMEDIATE")
                counts = []
                try:
                    for sql, params in statements:
                        if isinstance(params, list):
                            counts.append(conn.executemany(sql, params).rowcount)
                        else:
                            counts.append(conn.execute(sql, params).rowcount)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                return counts
        except sqlite3.IntegrityError:
            raise  # a constraint the caller handles (a run id or request id taken)
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path, "write") from None

    def _read(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        try:
            with self._connect() as conn:
                return conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path, "read") from None

    # -- reads --

    def get(self, run_id: str) -> Run:
        """One run as stored; a LabError if there is none."""
        validate_run_id(run_id)
        rows = self._read("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise LabError(f"no run {run_id} in {self.path}")
        return self._to_run(rows[0])

    def list(self) -> list[Run]:
        """Every run, newest first, as stored."""
        return [self._to_run(row) for row in self._read("SELECT * FROM runs ORDER BY created DESC, id DESC")]

    def find_request(self, request_id: str) -> Run | None:
        rows = self._read("SELECT * FROM runs WHERE request_id = ?", (request_id,))
        return self._to_run(rows[0]) if rows else None

    def metrics(self, run_ids: Iterable[str] | str) -> pd.DataFrame:
        """Long table: run_id, step, epoch, name, value, wall_time (seconds since the run began)."""
        run_ids = [run_ids] if isinstance(run_ids, str) else list(run_ids)
        for run_id in run_ids:
            validate_run_id(run_id)
        columns = ["run_id", "step", "epoch", "name", "value", "wall_time"]
        if not run_ids:
            return pd.DataFrame(columns=columns)
        marks = ",".join("?" * len(run_ids))
        rows = self._read(f"SELECT {', '.join(columns)} FROM metrics WHERE run_id IN ({marks}) "
                          "ORDER BY run_id, step, rowid", tuple(run_ids))
        frame = pd.DataFrame([tuple(r) for r in rows], columns=columns)
        return frame.astype({"step": "int64", "epoch": "float64", "value": "float64",
                             "wall_time": "float64"})

    def _to_run(self, row: sqlite3.Row) -> Run:
        config, note = stored_config(row["config"])
        return Run(id=row["id"], name=row["name"], created=row["created"], config=config,
                   status=row["status"], pid=row["pid"], device=row["device"], started=row["started"],
                   finished=row["finished"], error=row["error"], summary=json.loads(row["summary"] or "{}"),
                   progress=json.loads(row["progress"] or "{}"), heartbeat=row["heartbeat"],
                   request_id=row["request_id"], note=note, dispatched=row["dispatched"],
                   sweep_id=row["sweep_id"], trial=row["trial"], backend=row["backend"], rung=row["rung"])

    # -- writes --

    def create(self, config: TrainConfig, name: str | None = None, request_id: str | None = None,
               hold: bool = True) -> Run:
        """A new queued run holding ``config`` (or the one ``request_id`` made already), by
        default holding its slot: the caller trains it (:func:`~lenet_core.runs.worker.execute`).
        The queue's way in is :meth:`insert` (``hold=False``), as ``runs.start`` does."""
        return self.insert(config, name, request_id, hold)[0]

    def insert(self, config: TrainConfig, name: str | None = None, request_id: str | None = None,
               hold: bool = False) -> tuple[Run, bool]:
        """One INSERT of a queued run: ``(run, True)``. ``request_id`` (a form submission) is
        UNIQUE in the table: asking again with it gives ``(the run it made, False)``, from any
        process, instead of a second run. ``hold``: the run has its slot already (a foreground
        run, trained by the caller), so no dispatcher starts a worker for it."""
        if name is not None and (problem := name_problem(name)):
            raise LabError(f"run name: {problem}")
        name = (name or "").strip() or f"{config.arch} · {config.dataset}"
        while True:
            run_id, now = new_run_id(), time.time()
            try:
                self._write([("INSERT INTO runs (id, name, created, config, status, heartbeat, "
                              "request_id, dispatched) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)",
                              (run_id, name, now, config.to_json(), now, request_id,
                               now if hold else None))])
                return self.get(run_id), True
            except sqlite3.IntegrityError as exc:
                if getattr(exc, "sqlite_errorname", "") == "SQLITE_CONSTRAINT_PRIMARYKEY":
                    continue  # the same id drawn in the same second: draw again
                existing = self.find_request(request_id) if request_id else None
                if existing is None:
                    raise _store_error(exc, self.path, "write") from None
                return existing, False

    def mark(self, run_id: str, status: str, *, expect: Iterable[str] | None = None,
             error: str | None = None, summary: dict | None = None, hold: bool = False,
             rung: int | None = None) -> bool:
        """Set a final status (or ``queued`` again: waiting for a slot, or with ``hold`` holding
        one for a foreground resume); only from ``expect`` statuses if given.
        Returns whether the row changed (False: someone else changed it first)."""
        sets = ["status = ?", "error = ?"]
        params: list[Any] = [status, error]
        if status == "queued":  # queued again (resume): a new process will claim it
            sets += ["finished = NULL", "pid = NULL", "dispatched = ?", "heartbeat = ?"]
            params += [time.time() if hold else None, time.time()]
        else:
            sets.append("finished = ?")
            params.append(time.time())
        if summary is not None:
            sets.append("summary = ?")
            params.append(_dumps(summary))
        if rung is not None:
            sets.append("rung = ?")
            params.append(rung)
        sql = f"UPDATE runs SET {', '.join(sets)} WHERE id = ?"
        params.append(run_id)
        if expect is not None:
            expect = tuple(expect)
            sql += f" AND status IN ({','.join('?' * len(expect))})"
            params += expect
        return self._write([(sql, tuple(params))])[0] == 1

    def reserve(self, choose: Callable[[list[Run]], list[str]]) -> list[str]:
        """Reserve slots in one write transaction: ``choose`` sees every active run as it stands
        under the lock and names the waiting runs to start; each gets ``dispatched`` = now.
        Returns the ids reserved here (a run another process reserved first is not among them)."""
        try:
            with self._connect() as conn:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    rows = conn.execute("SELECT * FROM runs WHERE status IN ('queued', 'running') "
                                        "ORDER BY created, id").fetchall()
                    now, reserved = time.time(), []
                    for run_id in choose([self._to_run(row) for row in rows]):
                        if conn.execute("UPDATE runs SET dispatched = ?, heartbeat = ? WHERE "
                                        "id = ? AND status = 'queued' AND dispatched IS NULL",
                                        (now, now, run_id)).rowcount == 1:
                            reserved.append(run_id)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                return reserved
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path, "write") from None

    def set_pid(self, run_id: str, pid: int) -> None:
        self._write([("UPDATE runs SET pid = ? WHERE id = ? AND status = 'queued'", (pid, run_id))])

    def claim(self, run_id: str, pid: int, now: float | None = None) -> bool:
        """queued -> running for process ``pid`` (at ``now``); False if it is no longer queued."""
        now = time.time() if now is None else now
        return self._write([("UPDATE runs SET status = 'running', pid = ?, "
                             "started = COALESCE(started, ?), heartbeat = ?, error = NULL, "
                             "finished = NULL WHERE id = ? AND status = 'queued'",
                             (pid, now, now, run_id))])[0] == 1

    def report(self, run_id: str, *, progress: dict | None = None, device: str | None = None,
               metrics: list[tuple[int, float, str, float, float]] = ()) -> None:
        """One transaction: metric rows ``(step, epoch, name, value, wall_time)``, the progress
        dict and the heartbeat."""
        statements: list[tuple[str, Any]] = []
        if metrics:
            statements.append(("INSERT INTO metrics (run_id, step, epoch, name, value, wall_time) "
                               "VALUES (?, ?, ?, ?, ?, ?)",
                               [(run_id, *_json_safe(list(row))) for row in metrics]))
        sets, params = ["heartbeat = ?"], [time.time()]
        if progress is not None:
            sets.append("progress = ?")
            params.append(_dumps(progress))
        if device is not None:
            sets.append("device = ?")
            params.append(device)
        statements.append((f"UPDATE runs SET {', '.join(sets)} WHERE id = ?", (*params, run_id)))
        self._write(statements)

    def trim_metrics(self, run_id: str, after_step: int) -> None:
        """Drop metrics past ``after_step`` (recorded after the checkpoint a resume starts from)."""
        self._write([("DELETE FROM metrics WHERE run_id = ? AND step > ?", (run_id, after_step))])

    def requeue_fresh(self, run_id: str, hold: bool = False) -> bool:
        """A stopped or failed trial queued again to train from the start: what it recorded is
        dropped (a resume from a checkpoint is :meth:`mark` with ``queued``)."""
        now = time.time()
        counts = self._write([
            ("UPDATE runs SET status = 'queued', pid = NULL, started = NULL, finished = NULL, "
             "error = NULL, summary = NULL, progress = NULL, rung = NULL, dispatched = ?, "
             "heartbeat = ? WHERE id = ? AND status IN ('stopped', 'failed')",
             (now if hold else None, now, run_id)),
            ("DELETE FROM metrics WHERE run_id = ? AND EXISTS (SELECT 1 FROM runs WHERE id = ? AND "
             "status = 'queued')", (run_id, run_id))])
        return counts[0] == 1

    # -- sweeps --

    def create_sweep(self, name: str, spec: dict[str, Any], trials: list[tuple[str, TrainConfig]],
                     backend: str, pid: int | None = None) -> Sweep:
        """The sweep and all its trials (queued runs, named) in one transaction: nothing is
        recorded unless all of it is. Trials of a Ray sweep are held by its driver (``pid``),
        so the local queue never starts them."""
        if problem := name_problem(name):
            raise LabError(f"sweep name: {problem}")
        while True:
            sweep_id, now = "sw-" + new_run_id(), time.time()
            rows, ids = [], _distinct_run_ids(len(trials))
            for number, (run_id, (trial_name, config)) in enumerate(zip(ids, trials), 1):
                rows.append((run_id, trial_name[:NAME_LIMIT], now,
                             config.to_json(), now, now if backend == "ray" else None, pid, sweep_id,
                             number, backend if backend == "ray" else None))
            try:
                self._write([
                    ("INSERT INTO sweeps (id, name, created, spec, status, pid) VALUES (?, ?, ?, ?, "
                     "'running', ?)", (sweep_id, name.strip(), now, _dumps(spec), pid)),
                    ("INSERT INTO runs (id, name, created, config, status, heartbeat, dispatched, pid, "
                     "sweep_id, trial, backend) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)", rows)])
                return self.get_sweep(sweep_id)
            except sqlite3.IntegrityError as exc:
                if getattr(exc, "sqlite_errorname", "") != "SQLITE_CONSTRAINT_PRIMARYKEY":
                    raise _store_error(exc, self.path, "write") from None
                # two ids drawn alike (same second, same 4 hex digits): draw them all again

    def get_sweep(self, sweep_id: str) -> Sweep:
        validate_sweep_id(sweep_id)
        rows = self._read("SELECT * FROM sweeps WHERE id = ?", (sweep_id,))
        if not rows:
            raise LabError(f"no sweep {sweep_id} in {self.path}")
        return self._to_sweep(rows[0])

    def list_sweeps(self) -> list[Sweep]:
        """Every sweep, newest first."""
        return [self._to_sweep(r) for r in self._read("SELECT * FROM sweeps ORDER BY created DESC, id DESC")]

    def sweep_runs(self, sweep_id: str) -> list[Run]:
        """A sweep's trials, in trial order."""
        validate_sweep_id(sweep_id)
        return [self._to_run(r) for r in self._read("SELECT * FROM runs WHERE sweep_id = ? ORDER BY trial",
                                                    (sweep_id,))]

    def mark_sweep(self, sweep_id: str, status: str, *, error: str | None = None,
                   pid: int | None = None, expect: Iterable[str] | None = None) -> bool:
        """Set a sweep's status (``running`` with the driver's ``pid``; ``stopped``; ``ended``)."""
        sql = "UPDATE sweeps SET status = ?, error = ?, pid = ?, finished = ? WHERE id = ?"
        params: list[Any] = [status, error, pid, None if status == "running" else time.time(), sweep_id]
        if expect is not None:
            expect = tuple(expect)
            sql += f" AND status IN ({','.join('?' * len(expect))})"
            params += expect
        return self._write([(sql, tuple(params))])[0] == 1

    def hold_for(self, run_ids: list[str], pid: int) -> None:
        """Queued trials held by a (new) Ray driver: its pid, so a reader sees who trains them."""
        now = time.time()
        self._write([("UPDATE runs SET pid = ?, dispatched = ?, heartbeat = ? WHERE id = ? AND "
                      "status = 'queued'", [(pid, now, now, run_id) for run_id in run_ids])])

    def _to_sweep(self, row: sqlite3.Row) -> Sweep:
        return Sweep(id=row["id"], name=row["name"], created=row["created"], spec=json.loads(row["spec"]),
                     status=row["status"], pid=row["pid"], finished=row["finished"], error=row["error"])

    def remove(self, run_id: str) -> None:
        self._write([("DELETE FROM metrics WHERE run_id = ?", (run_id,)),
                     ("DELETE FROM runs WHERE id = ?", (run_id,))])
