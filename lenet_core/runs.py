"""The run store (SQLite, WAL) and the lifecycle of training runs.

``<LENET_LAB_HOME>/runs.db`` holds one row per run and its metrics; ``<home>/runs/<id>/`` holds
its checkpoints and the worker's log. A run launched from the dashboard is a detached
``python -m lenet_core train --run-id ID`` process in its own session, so it outlives the page,
the browser tab and a restart of the Streamlit server. Several processes read and write the store
at once: WAL mode, a busy timeout and a retry make that safe.

Status: queued -> running -> completed | stopped | failed | diverged. Stop is SIGTERM, handled by
the engine between batches (checkpoint, then ``stopped``). A run whose process vanished (kill -9,
out of memory) is noticed on the next read and marked failed; its metrics stay.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from lenet_core import paths
from lenet_core.errors import LabError
from lenet_core.model.checkpoints import read_checkpoint
from lenet_core.training.config import FIELDS, TrainConfig
from lenet_core.training.engine import train
from lenet_core.training.records import Outcome, Progress, Recorder, Recorders

STATUSES = ("queued", "running", "completed", "stopped", "failed", "diverged")
ACTIVE = ("queued", "running")
RESUMABLE = ("stopped", "failed")
METRIC_NAMES = ("train_loss", "train_acc", "test_loss", "test_acc", "examples_per_sec", "lr")
RUN_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{4}$")  # 20261128-143012-3fa9: sortable, path-safe
HEARTBEAT_STALE_S = 120  # a running run writes at least every PROGRESS_EVERY_S while it trains
QUEUED_GRACE_S = 60  # a run queued this long (heartbeat = when queued) with no process never started
SETUP_BEAT_S = 10.0  # heartbeat while the engine loads data, before its first batch
PROGRESS_EVERY_S = 1.0  # progress/heartbeat writes between reporting points, at most this often
BUSY_TIMEOUT_MS = 10_000
RETRIES = 5
PACKAGE_ROOT = Path(__file__).resolve().parents[1]

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
"""


def validate_run_id(run_id: str) -> str:
    """Run ids become folder names: anything but the strict pattern (e.g. ``../x``) is refused."""
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        raise LabError(f"{run_id!r} is not a run id (they look like 20261128-143012-3fa9; "
                       "`python -m lenet_core runs list` shows them)")
    return run_id


NAME_LIMIT = 80  # characters: a name shows in the run picker, the legend and `runs list`


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a run (too long, or a line break or other control character that
    would break a table line), or None. An empty name means the default one."""
    if len(name.strip()) > NAME_LIMIT:
        return f"{len(name.strip())} characters is too long: at most {NAME_LIMIT}"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "it holds a line break or another control character: use one line of text"
    return None


def new_run_id() -> str:
    return f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def run_dir(run_id: str, home: Path | None = None) -> Path:
    return paths.runs_dir(home) / validate_run_id(run_id)


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

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "created": iso(self.created),
                "status": self.status, "config": self.config.to_dict(), "pid": self.pid,
                "device": self.device, "started": iso(self.started), "finished": iso(self.finished),
                "error": self.error, "summary": self.summary, "progress": self.progress}


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


def _config_from_json(text: str) -> TrainConfig:
    """The stored config; fields a newer or older version does not know are left out."""
    raw = json.loads(text)
    return TrainConfig.from_dict({k: v for k, v in raw.items() if k in FIELDS})


def pid_alive(pid: int | None) -> bool:
    """Whether ``pid`` is a live process (a zombie, killed but not yet reaped, counts as dead)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True  # no /proc (macOS): os.kill said it exists


def _runs_lenet_lab(pid: int) -> bool:
    """Before signalling a pid, check it still runs LeNet Lab (pids are reused)."""
    try:
        return b"lenet_core" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return sys.platform != "linux"


def _locked(exc: BaseException) -> bool:
    """SQLite's 'database is locked/busy': another process holds the write lock for now."""
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


# ---- the store -------------------------------------------------------------------------------

class RunStore:
    """Runs and metrics in ``<home>/runs.db``. A short-lived connection per operation, so one
    store can be used from any thread (Streamlit sessions) and any number of processes."""

    def __init__(self, home: Path | None = None):
        self.home = Path(home or paths.lab_home()).expanduser().resolve()
        self.path = paths.db_path(self.home)
        for attempt in range(RETRIES):
            try:
                self.home.mkdir(parents=True, exist_ok=True)
                with self._connect() as conn:
                    conn.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
                    conn.executescript(SCHEMA)
                return
            except (OSError, sqlite3.Error) as exc:
                if _locked(exc) and attempt < RETRIES - 1:
                    time.sleep(0.1 * 2**attempt)  # another process is writing: wait our turn
                    continue
                # A home that is a file, read-only, full or not a database: say so, touch nothing.
                raise LabError(f"{self.path}: cannot open the run store ({exc}); set LENET_LAB_HOME "
                               "to a writable folder with free space") from None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            yield conn
        finally:
            conn.close()

    def _write(self, statements: Iterable[tuple[str, Any]]) -> list[int]:
        """Run statements in one transaction, retrying while another process holds the lock.
        Returns the row count of each statement (a list of parameter tuples = executemany)."""
        statements = list(statements)
        for attempt in range(RETRIES):
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
            except sqlite3.OperationalError as exc:
                if not _locked(exc) or attempt == RETRIES - 1:
                    raise LabError(f"{self.path}: cannot write the run store ({exc})") from None
                time.sleep(0.1 * 2**attempt)
        return []

    def _read(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        for attempt in range(RETRIES):
            try:
                with self._connect() as conn:
                    return conn.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                if not _locked(exc) or attempt == RETRIES - 1:
                    raise LabError(f"{self.path}: cannot read the run store ({exc})") from None
                time.sleep(0.1 * 2**attempt)
        return []

    # -- rows --

    def create(self, config: TrainConfig, name: str | None = None) -> Run:
        """A new queued run holding ``config``."""
        if name is not None and (problem := name_problem(name)):
            raise LabError(f"run name: {problem}")
        name = (name or "").strip() or f"{config.arch} · {config.dataset}"
        for _ in range(RETRIES):
            run_id = new_run_id()
            try:
                now = time.time()
                self._write([("INSERT INTO runs (id, name, created, config, status, heartbeat) "
                              "VALUES (?, ?, ?, ?, 'queued', ?)",
                              (run_id, name, now, config.to_json(), now))])
                return self.get(run_id)
            except sqlite3.IntegrityError:
                continue  # the same id in the same second: draw again
        raise LabError("could not allocate a run id; try again")

    def get(self, run_id: str) -> Run:
        """One run (a vanished process is marked failed first); a LabError if there is none."""
        validate_run_id(run_id)
        rows = self._read("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise LabError(f"no run {run_id} in {self.path}")
        return self._notice_vanished([self._to_run(rows[0])])[0]

    def list(self) -> list[Run]:
        """Every run, newest first."""
        rows = self._read("SELECT * FROM runs ORDER BY created DESC, id DESC")
        return self._notice_vanished([self._to_run(row) for row in rows])

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
        return Run(id=row["id"], name=row["name"], created=row["created"],
                   config=_config_from_json(row["config"]), status=row["status"], pid=row["pid"],
                   device=row["device"], started=row["started"], finished=row["finished"],
                   error=row["error"], summary=json.loads(row["summary"] or "{}"),
                   progress=json.loads(row["progress"] or "{}"), heartbeat=row["heartbeat"])

    def _notice_vanished(self, runs: list[Run]) -> list[Run]:
        """Mark failed each active run whose process is gone or silent; metrics are kept."""
        now = time.time()
        for run in runs:
            reason = None
            if run.status == "running":
                if not pid_alive(run.pid):
                    reason = (f"the training process (pid {run.pid}) vanished without a word: "
                              "killed, or out of memory; metrics so far are kept")
                elif run.heartbeat is not None and now - run.heartbeat > HEARTBEAT_STALE_S:
                    reason = (f"the training process (pid {run.pid}) has not reported for "
                              f"{now - run.heartbeat:.0f} s; it is stuck or gone")
            elif run.status == "queued":
                if run.pid and not pid_alive(run.pid):
                    reason = f"the training process (pid {run.pid}) exited before it started"
                elif not run.pid and now - (run.heartbeat or run.created) > QUEUED_GRACE_S:
                    reason = "no training process was started for this run"
            if reason and self.mark(run.id, "failed", expect=(run.status,), error=reason):
                run.status, run.error, run.finished = "failed", reason, now
        return runs

    # -- writes from the lifecycle and the engine --

    def mark(self, run_id: str, status: str, *, expect: Iterable[str] | None = None,
             error: str | None = None, summary: dict | None = None) -> bool:
        """Set a final status (or ``queued`` again); only from ``expect`` statuses if given.
        Returns whether the row changed (False: someone else changed it first)."""
        sets = ["status = ?", "error = ?"]
        params: list[Any] = [status, error]
        if status == "queued":  # queued again (resume): a new process will claim it
            sets += ["finished = NULL", "pid = NULL", "heartbeat = ?"]
            params.append(time.time())
        else:
            sets.append("finished = ?")
            params.append(time.time())
        if summary is not None:
            sets.append("summary = ?")
            params.append(_dumps(summary))
        sql = f"UPDATE runs SET {', '.join(sets)} WHERE id = ?"
        params.append(run_id)
        if expect is not None:
            expect = tuple(expect)
            sql += f" AND status IN ({','.join('?' * len(expect))})"
            params += expect
        return self._write([(sql, tuple(params))])[0] == 1

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

    def remove(self, run_id: str) -> None:
        self._write([("DELETE FROM metrics WHERE run_id = ?", (run_id,)),
                     ("DELETE FROM runs WHERE id = ?", (run_id,))])


class StoreRecorder(Recorder):
    """The engine's writer into the store: metrics in one transaction per reporting point,
    progress and heartbeat at most every PROGRESS_EVERY_S in between, the outcome at the end."""

    def __init__(self, store: RunStore, run_id: str, started: threading.Event | None = None):
        self.store, self.run_id = store, run_id
        self.started = started or threading.Event()
        self.latest: dict[str, Any] = {}
        self.last_write = 0.0

    def start(self, info):
        self.started.set()
        self.latest = {"epoch": info["start_epoch"] + 1, "epochs": info["epochs"],
                       "batch": info["start_batch"], "batches": info["batches"],
                       "examples_per_sec": None, "eta_s": None,
                       "elapsed_s": info["elapsed_s"], "at": time.time()}
        self.store.report(self.run_id, progress=self.latest, device=info["device"])
        self.last_write = time.monotonic()

    def progress(self, progress: Progress):
        self.latest = progress.to_dict()
        if time.monotonic() - self.last_write >= PROGRESS_EVERY_S:
            self.store.report(self.run_id, progress=self.latest)
            self.last_write = time.monotonic()

    def metrics(self, step, epoch, values, wall_time):
        rows = [(step, epoch, name, value, wall_time) for name, value in values.items()]
        if "train_loss" in values:  # the progress dict shows the point just read
            self.latest.update(train_loss=values["train_loss"], train_acc=values["train_acc"])
        self.store.report(self.run_id, progress=self.latest, metrics=rows)
        self.last_write = time.monotonic()

    def finish(self, outcome: Outcome):
        if outcome.status == "completed":
            self.latest.update(epoch=outcome.epochs_done, batch=self.latest.get("batches"), eta_s=0)
        self.store.report(self.run_id, progress=self.latest)
        self.store.mark(self.run_id, outcome.status, error=outcome.error, summary=outcome.summary)


# ---- checkpoints of a run ------------------------------------------------------------------

def checkpoint_paths(run_id: str, home: Path | None = None) -> list[tuple[int, Path]]:
    """``(epoch, path)`` for each epoch's checkpoint in order, then ``last.pt`` (written when
    the run was stopped) and ``final.pt`` if present; ``epoch`` counts completed epochs."""
    folder = run_dir(run_id, home)
    found = []
    for path in sorted(folder.glob("epoch-*.pt")):
        number = path.stem.split("-", 1)[1]
        if number.isdigit():
            found.append((int(number), path))
    for name in ("last.pt", "final.pt"):
        path = folder / name
        if path.is_file():
            found.append((_checkpoint_epoch(path), path))
    return found


def _checkpoint_epoch(path: Path) -> int:
    try:
        return int(read_checkpoint(path)["meta"].get("epoch", 0))
    except LabError:
        return 0


def resume_point(run_id: str, home: Path | None = None) -> tuple[Path, int, float]:
    """The checkpoint a resume starts from, its step and the run's elapsed seconds there: the
    further on of ``last.pt`` (written on stop) and the newest epoch checkpoint. A file that cannot
    be read safely is an error."""
    found = [p for _, p in checkpoint_paths(run_id, home) if p.name != "final.pt"]
    epoch_files = [p for p in found if p.name.startswith("epoch-")]
    candidates = [p for p in found if p.name == "last.pt"] + epoch_files[-1:]
    best: tuple[Path, int, float] | None = None
    for path in candidates:
        resume = read_checkpoint(path).get("extra", {}).get("resume")
        if resume is None:
            raise LabError(f"{path}: holds no training state to resume from")
        if best is None or int(resume["step"]) > best[1]:
            best = (path, int(resume["step"]), float(resume.get("elapsed", 0.0)))
    if best is None:
        raise LabError(f"run {run_id} has no checkpoint to resume from")
    return best


# ---- lifecycle -------------------------------------------------------------------------------

def launch(config: TrainConfig | dict, name: str | None = None, home: Path | None = None) -> str:
    """Queue a run and start its detached trainer process; returns the run id at once."""
    if isinstance(config, dict):
        config = TrainConfig.from_dict(config)
    store = RunStore(home)
    run = store.create(config, name)
    _spawn(store, run.id, [])
    return run.id


def resume(run_id: str, home: Path | None = None) -> str:
    """Continue a stopped (or failed) run from its last checkpoint in a detached process."""
    store = RunStore(home)
    prepare_resume(store, run_id)
    _spawn(store, run_id, ["--resume", run_id])
    return run_id


def prepare_resume(store: RunStore, run_id: str) -> Path:
    """Check the run can resume, then queue it again; returns the checkpoint it starts from."""
    run = store.get(run_id)
    if run.status not in RESUMABLE:
        raise LabError(f"run {run_id} is {run.status}: only a stopped or failed run can be resumed")
    path, _, _ = resume_point(run_id, store.home)
    if not store.mark(run_id, "queued", expect=RESUMABLE):
        raise LabError(f"run {run_id} changed while preparing to resume it; try again")
    return path


def _spawn(store: RunStore, run_id: str, extra_args: list[str]) -> None:
    folder = run_dir(run_id, store.home)
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, paths.HOME_ENV: str(store.home),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "lenet_core", "train", "--run-id", run_id, *extra_args]
    try:
        with open(folder / "worker.log", "ab") as log:
            # A new session: the trainer survives the caller and its Ctrl-C / server restart.
            process = subprocess.Popen(command, cwd=store.home, env=env, stdin=subprocess.DEVNULL,
                                       stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    except OSError as exc:
        store.mark(run_id, "failed", expect=ACTIVE, error=f"could not start the trainer: {exc}")
        raise LabError(f"could not start the training process ({exc})") from None
    store.set_pid(run_id, process.pid)
    # Reap it when it ends, so that a killed trainer does not linger as a zombie of the caller.
    threading.Thread(target=process.wait, daemon=True, name=f"reap-{run_id}").start()


def stop(run_id: str, home: Path | None = None, wait: float = 0.0) -> Run:
    """Ask a run to stop (SIGTERM: it saves a checkpoint between batches, then ends ``stopped``).
    A queued run is stopped at once. Waits up to ``wait`` seconds for it to end."""
    store = RunStore(home)
    run = store.get(run_id)
    if run.status == "queued":
        store.mark(run_id, "stopped", expect=("queued",))
    elif run.status != "running":
        raise LabError(f"run {run_id} is {run.status}: only a queued or running run can be stopped")
    if run.pid and pid_alive(run.pid) and _runs_lenet_lab(run.pid):
        try:
            os.kill(run.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass  # ended meanwhile; the next read tells how
    deadline = time.monotonic() + wait
    run = store.get(run_id)
    while run.active and time.monotonic() < deadline:
        time.sleep(0.2)
        run = store.get(run_id)
    return run


def delete(run_id: str, home: Path | None = None) -> None:
    """Remove a run: its row, its metrics and its folder. A queued or running run is refused."""
    store = RunStore(home)
    run = store.get(run_id)
    if run.active:
        raise LabError(f"run {run_id} is {run.status}: stop it first "
                       f"(python -m lenet_core runs stop {run_id})")
    store.remove(run_id)
    shutil.rmtree(run_dir(run_id, store.home), ignore_errors=True)


# ---- running a run in this process -----------------------------------------------------------

@contextmanager
def stop_on_signals(stop: threading.Event, signals: Iterable[int]) -> Iterator[None]:
    """While inside, the given signals set ``stop`` (the engine checks it between batches)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def execute(run_id: str, *, home: Path | None = None, recorder: Recorder | None = None,
            resume: bool = False, signals: Iterable[int] = (signal.SIGTERM,)) -> Outcome | None:
    """Train a queued run in this process (the detached worker and the foreground CLI).

    Returns None when the run was no longer queued (stopped before it began). Any error marks
    the run failed with a one-line message, then propagates.
    """
    store = RunStore(home)
    stop = threading.Event()
    with stop_on_signals(stop, signals):
        run = store.get(run_id)
        claimed = time.time()  # this session's clock starts here, for the page and the engine
        if not store.claim(run_id, os.getpid(), claimed):
            return None
        started = threading.Event()
        threading.Thread(target=_beat_until, args=(store, run_id, started), daemon=True).start()
        try:
            resume_from, elapsed = None, 0.0
            if resume:
                resume_from, step, elapsed = resume_point(run_id, store.home)
                store.trim_metrics(run_id, step)  # points recorded after that checkpoint
            # Elapsed time while the engine sets up: it counts on from here, never back.
            store.report(run_id, progress={**run.progress, "elapsed_s": elapsed, "at": claimed})
            return train(run.config, Recorders(StoreRecorder(store, run_id, started), recorder),
                         checkpoint_dir=run_dir(run_id, store.home), run_id=run_id,
                         home=store.home, stop=stop, resume_from=resume_from, started_at=claimed)
        except BaseException as exc:
            message = str(exc) if isinstance(exc, LabError) else _one_line(exc)
            store.mark(run_id, "failed", expect=("running",), error=message)
            raise
        finally:
            started.set()


def _beat_until(store: RunStore, run_id: str, started: threading.Event) -> None:
    """Heartbeats while the engine sets up (a dataset download may take minutes); from its first
    batch on, the engine's own progress writes are the heartbeat."""
    while not started.wait(SETUP_BEAT_S):
        try:
            store.report(run_id)
        except LabError:
            pass  # a busy store: the next beat will do


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
