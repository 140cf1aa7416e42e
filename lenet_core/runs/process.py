"""Trainer processes: starting a detached worker, signalling it to stop, and noticing one that
vanished.

A run started from the dashboard trains in ``python -m lenet_core.runs.worker RUN_ID``, a process
of its own session, so it outlives the page, the browser tab and a restart of the Streamlit
server. Stop is SIGTERM, which the engine handles between batches (checkpoint, then
``stopped``). A trainer that vanished (kill -9, out of memory) is marked failed by :func:`reap`,
an explicit call the live panel and ``runs list`` make: reading the store never writes to it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from lenet_core import paths
from lenet_core.errors import LabError
from lenet_core.runs import queue
from lenet_core.runs.files import run_dir
from lenet_core.runs.rows import ACTIVE, Run
from lenet_core.runs.store import RunStore

HEARTBEAT_STALE_S = 120  # a running run writes at least every PROGRESS_EVERY_S while it trains
QUEUED_GRACE_S = 60  # a run given its slot this long ago (heartbeat) with no process: never started
WORKER = "lenet_core.runs.worker"
# The folder holding the lenet_core package this process runs: a checkout, or site-packages.
SOURCE = Path(__file__).resolve().parents[2]


def pid_alive(pid: int | None) -> bool:
    """Whether ``pid`` is a live process (a zombie, killed but not yet reaped, counts as dead)."""
    if not pid:
        return False
    try:
        return psutil.Process(pid).status() not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # someone else's process: it exists


def runs_lenet_lab(pid: int) -> bool:
    """Before signalling a pid, check it still runs LeNet Lab (pids are reused): a worker, or the
    ``python -m lenet_core`` / ``lenet-lab`` command line training in the foreground."""
    try:
        cmdline = " ".join(psutil.Process(pid).cmdline())
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return False  # not ours to signal
    return "lenet_core" in cmdline or "lenet-lab" in cmdline


def child_env(home: Path) -> dict[str, str]:
    """The environment of a process we start (a trainer, a sweep's driver): the home folder, and
    this lenet_core's folder first on ``PYTHONPATH``. It runs in the home folder, so without that
    a checkout that was never ``pip install -e``-ed (``pip install -r requirements.txt``, then
    ``streamlit run app.py``) gave it no lenet_core to import; and it must run the same code as
    its parent, not another installed copy."""
    others = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(SOURCE)]
    return {**os.environ, paths.HOME_ENV: str(home), "PYTHONPATH": os.pathsep.join([str(SOURCE), *others])}


def spawn(store: RunStore, run_id: str, resume: bool = False) -> int:
    """Start the run's detached worker; its output goes to ``runs/<id>/worker.log``."""
    folder = run_dir(run_id, store.home)
    folder.mkdir(parents=True, exist_ok=True)
    env = child_env(store.home)
    command = [sys.executable, "-m", WORKER, run_id, *(["--resume"] if resume else [])]
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
    return process.pid


def signal_stop(run: Run) -> None:
    """SIGTERM to the run's trainer, if it is alive and still ours."""
    if run.pid and pid_alive(run.pid) and runs_lenet_lab(run.pid):
        try:
            os.kill(run.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass  # ended meanwhile; the next read tells how


def vanished(run: Run, now: float | None = None) -> str | None:
    """Why an active run has no trainer any more, or None while it has one."""
    now = time.time() if now is None else now
    if run.backend == "ray":
        return _driver_gone(run, now)
    if run.status == "running":
        if not pid_alive(run.pid):
            return (f"the training process (pid {run.pid}) vanished without a word: killed, or out "
                    "of memory; metrics so far are kept")
        if run.heartbeat is not None and now - run.heartbeat > HEARTBEAT_STALE_S:
            return (f"the training process (pid {run.pid}) has not reported for "
                    f"{now - run.heartbeat:.0f} s; it is stuck or gone")
    elif run.status == "queued" and run.dispatched is not None:  # a waiting run waits
        if run.pid and not pid_alive(run.pid):
            return f"the training process (pid {run.pid}) exited before it started"
        if not run.pid and now - (run.heartbeat or run.dispatched) > QUEUED_GRACE_S:
            return "no training process was started for this run"
    return None


def _driver_gone(run: Run, now: float) -> str | None:
    """A Ray trial's trainer is its sweep's driver (the only writer of the store)."""
    again = f"`python -m lenet_core sweep resume {run.sweep_id}` trains the rest"
    if not pid_alive(run.pid):
        if run.pid is None and now - (run.heartbeat or run.created) <= QUEUED_GRACE_S:
            return None  # its driver is starting
        return f"the Ray sweep's driver (pid {run.pid}) vanished: {again}"
    if run.status == "running" and run.heartbeat is not None and now - run.heartbeat > HEARTBEAT_STALE_S:
        silent = now - run.heartbeat
        return f"the Ray sweep's driver (pid {run.pid}) has not reported for {silent:.0f} s: {again}"
    return None


def reap(store: RunStore) -> list[Run]:
    """Mark failed each active run whose trainer is gone or silent (its metrics are kept) and
    return every run as it now stands, newest first. It starts nothing: a slot freed this way
    waits for :func:`dispatch` (the page's "Start waiting runs", ``runs start-waiting``)."""
    all_runs = store.list()
    now = time.time()
    for run in all_runs:
        if not run.active:
            continue
        reason = vanished(run, now)
        if reason and store.mark(run.id, "failed", expect=(run.status,), error=reason):
            run.status, run.error, run.finished = "failed", reason, now
    return all_runs


def dispatch(store: RunStore) -> list[str]:
    """Start the oldest waiting runs that fit in their device's free slots (see
    :mod:`lenet_core.runs.queue`); returns their ids. A run that ran before resumes."""
    table = queue.slots()
    reserved = store.reserve(lambda active: queue.queue_state(active, table).to_start())
    for run_id in reserved:
        run = store.get(run_id)
        try:
            spawn(store, run_id, resume=run.started is not None)
        except LabError:
            pass  # spawn marked it failed, with the reason
    return reserved
