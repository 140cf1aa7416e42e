"""The run store: one row per run and its metrics, and one per sweep, in ``<home>/runs.db``
(SQLite, WAL). :func:`store_for` is the one way to it: the CLI, the workers and the pages (through
their cached one) all take their store from it, and its schema is created or migrated once per
file and process (:mod:`lenet_core.runs.schema`).

Reads never write: a run whose trainer vanished is marked failed only by an explicit
:func:`lenet_core.runs.process.reap`. Several processes read and write at once; a write waits for
the lock at most SQLite's busy timeout, then says so in words. What a row holds in Python is in
:mod:`lenet_core.runs.rows`; a sweep's trials are runs with its ``sweep_id`` and their number.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lenet_core import paths
from lenet_core.errors import LabError
from lenet_core.runs import schema
from lenet_core.runs.rows import (
    NAME_LIMIT,
    Run,
    Sweep,
    distinct_run_ids,
    dumps,
    json_safe,
    name_problem,
    new_run_id,
    stored_config,
    validate_run_id,
    validate_sweep_id,
)
from lenet_core.runs.schema import store_error
from lenet_core.training.config import TrainConfig

if TYPE_CHECKING:  # pandas (~70 MB) is imported where a table is built: a trainer never builds one
    import pandas as pd


RECORDED = ("metrics", "inside", "histograms")  # what a run wrote while it trained, by run_id

def store_for(home: Path | str | None = None) -> RunStore:
    """The run store of ``home`` (default: ``LENET_LAB_HOME``, see :mod:`lenet_core.paths`)."""
    return RunStore(home)


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except OSError:  # not made yet, or a home that is no folder: migrate() says which in words
        return None
    return found.st_dev, found.st_ino


@functools.cache
def _migrated(path: Path, identity: tuple[int, int] | None) -> None:
    """Migrate each store file once per process (a file replaced on disk is another file)."""
    schema.migrate(path)


class RunStore:
    """Runs and metrics in ``<home>/runs.db``. A short-lived connection per operation, so one
    store can be used from any thread (Streamlit sessions) and any number of processes."""

    def __init__(self, home: Path | str | None = None):
        self.home = Path(home or paths.lab_home()).expanduser().resolve()
        self.path = paths.db_path(self.home)
        _migrated(self.path, _file_identity(self.path))

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = schema.connect(self.path)
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
            raise store_error(exc, self.path, "write") from None

    def _read(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        try:
            with self._connect() as conn:
                return conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise store_error(exc, self.path, "read") from None

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
        return self._frame("metrics", ["run_id", "step", "epoch", "name", "value", "wall_time"], run_ids,
                           {"step": "int64", "epoch": "float64", "value": "float64", "wall_time": "float64"},
                           order="run_id, step, rowid")

    def _to_run(self, row: sqlite3.Row) -> Run:
        config, note = stored_config(row["config"], self.home)
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
                    raise store_error(exc, self.path, "write") from None
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
            params.append(dumps(summary))
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
            raise store_error(exc, self.path, "write") from None

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
               metrics: list[tuple[int, float, str, float, float]] = (),
               inside: list[tuple[int, float, str, str, float]] = ()) -> None:
        """One transaction: metric rows ``(step, epoch, name, value, wall_time)``, inside rows
        ``(step, epoch, layer, name, value)``, the progress dict and the heartbeat."""
        statements: list[tuple[str, Any]] = []
        if metrics:
            statements.append(("INSERT INTO metrics (run_id, step, epoch, name, value, wall_time) "
                               "VALUES (?, ?, ?, ?, ?, ?)",
                               [(run_id, *json_safe(list(row))) for row in metrics]))
        if inside:
            statements.append(("INSERT INTO inside (run_id, step, epoch, layer, name, value) "
                               "VALUES (?, ?, ?, ?, ?, ?)",
                               [(run_id, *json_safe(list(row))) for row in inside]))
        sets, params = ["heartbeat = ?"], [time.time()]
        if progress is not None:
            sets.append("progress = ?")
            params.append(dumps(progress))
        if device is not None:
            sets.append("device = ?")
            params.append(device)
        statements.append((f"UPDATE runs SET {', '.join(sets)} WHERE id = ?", (*params, run_id)))
        self._write(statements)

    def add_histograms(self, run_id: str,
                       rows: list[tuple[float, str, str, float, float, list[int]]]) -> None:
        """Histogram rows ``(epoch, layer, kind, low, high, counts)`` of one epoch, in one transaction."""
        self._write([("INSERT INTO histograms (run_id, epoch, layer, kind, low, high, counts) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)",
                      [(run_id, epoch, layer, kind, low, high, dumps(list(counts)))
                       for epoch, layer, kind, low, high, counts in rows])])

    def inside(self, run_ids: Iterable[str] | str) -> pd.DataFrame:
        """Long table of the inside figures: run_id, step, epoch, layer, name, value."""
        return self._frame("inside", ["run_id", "step", "epoch", "layer", "name", "value"], run_ids,
                           {"step": "int64", "epoch": "float64", "value": "float64"})

    def histograms(self, run_ids: Iterable[str] | str) -> pd.DataFrame:
        """run_id, epoch, layer, kind, low, high, counts (a list of ints a row)."""
        frame = self._frame("histograms", ["run_id", "epoch", "layer", "kind", "low", "high", "counts"],
                            run_ids, {"epoch": "float64", "low": "float64", "high": "float64"})
        frame["counts"] = [json.loads(c) for c in frame["counts"]]
        return frame

    def _frame(self, table: str, columns: list[str], run_ids, types: dict,
               order: str = "run_id, rowid") -> pd.DataFrame:
        """One of a run's long tables (metrics, inside, histograms) for ``run_ids``, typed."""
        import pandas as pd

        run_ids = [run_ids] if isinstance(run_ids, str) else list(run_ids)
        for run_id in run_ids:
            validate_run_id(run_id)
        if not run_ids:
            return pd.DataFrame(columns=columns)
        marks = ",".join("?" * len(run_ids))
        rows = self._read(f"SELECT {', '.join(columns)} FROM {table} WHERE run_id IN ({marks}) "
                          f"ORDER BY {order}", tuple(run_ids))
        return pd.DataFrame([tuple(r) for r in rows], columns=columns).astype(types)

    def trim_metrics(self, run_id: str, after_step: int) -> None:
        """Drop what was recorded past ``after_step`` (after the checkpoint a resume starts from)."""
        self._write([("DELETE FROM metrics WHERE run_id = ? AND step > ?", (run_id, after_step)),
                     ("DELETE FROM inside WHERE run_id = ? AND step > ?", (run_id, after_step)),
                     ("DELETE FROM histograms WHERE run_id = ? AND epoch > (SELECT COALESCE(MAX(epoch), 0) "
                      "FROM metrics WHERE run_id = ? AND name = 'test_acc')", (run_id, run_id))])

    def requeue_fresh(self, run_id: str, hold: bool = False) -> bool:
        """A stopped or failed trial queued again to train from the start: what it recorded is
        dropped (a resume from a checkpoint is :meth:`mark` with ``queued``)."""
        now = time.time()
        counts = self._write([
            ("UPDATE runs SET status = 'queued', pid = NULL, started = NULL, finished = NULL, "
             "error = NULL, summary = NULL, progress = NULL, rung = NULL, dispatched = ?, "
             "heartbeat = ? WHERE id = ? AND status IN ('stopped', 'failed')",
             (now if hold else None, now, run_id)),
            *((f"DELETE FROM {table} WHERE run_id = ? AND EXISTS (SELECT 1 FROM runs WHERE id = ? AND "
               "status = 'queued')", (run_id, run_id)) for table in RECORDED)])
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
            rows, ids = [], distinct_run_ids(len(trials))
            for number, (run_id, (trial_name, config)) in enumerate(zip(ids, trials), 1):
                rows.append((run_id, trial_name[:NAME_LIMIT], now,
                             config.to_json(), now, now if backend == "ray" else None, pid, sweep_id,
                             number, backend if backend == "ray" else None))
            try:
                self._write([
                    ("INSERT INTO sweeps (id, name, created, spec, status, pid) VALUES (?, ?, ?, ?, "
                     "'running', ?)", (sweep_id, name.strip(), now, dumps(spec), pid)),
                    ("INSERT INTO runs (id, name, created, config, status, heartbeat, dispatched, pid, "
                     "sweep_id, trial, backend) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)", rows)])
                return self.get_sweep(sweep_id)
            except sqlite3.IntegrityError as exc:
                if getattr(exc, "sqlite_errorname", "") != "SQLITE_CONSTRAINT_PRIMARYKEY":
                    raise store_error(exc, self.path, "write") from None
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
        self._write([*((f"DELETE FROM {table} WHERE run_id = ?", (run_id,)) for table in RECORDED),
                     ("DELETE FROM runs WHERE id = ?", (run_id,))])
