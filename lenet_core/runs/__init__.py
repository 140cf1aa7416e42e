"""The runs layer: training runs recorded in the run store, their trainer processes and files.

Owns: the store (``store``: reads and writes, ``store_for`` its one door; ``schema``: numbered
migrations; ``rows``: a run and a sweep as Python values), a run's files (``files``), the run queue
(``queue``: slots per device, places in line), its trainer processes (``process``: spawn, stop
signal, reaping a vanished one, starting waiting runs in free slots), starting and stopping runs
(``launch``), the worker that trains a run (``worker``), sweeps (``space``: search spaces;
``sweeps``: plans, stop, resume, ranking; ``ray_tune``: the Ray Tune backend, Ray imported only
there and only when used), words and numbers about runs for the
pages and the CLI (``report``) and CSV export (``export``). May import: ``training``, ``model``,
``data`` and the base modules; never ``inspect``, ``present`` or the CLI. Its public names are
re-exported here, so a caller writes ``runs.store_for(home)``, ``runs.start(...)``.
"""

from lenet_core.runs.files import best_checkpoint, checkpoint_paths, resume_point, run_dir
from lenet_core.runs.launch import (
    check_launch,
    delete,
    new_request_id,
    prepare_resume,
    request_id,
    resume,
    start,
    start_waiting,
    stop,
)
from lenet_core.runs.process import dispatch, pid_alive, reap
from lenet_core.runs.rows import ACTIVE, RESUMABLE, STATUSES, Run, Sweep, iso, name_problem, validate_run_id
from lenet_core.runs.store import RunStore, store_for

__all__ = [
    "ACTIVE", "RESUMABLE", "STATUSES", "Run", "RunStore", "StoreRecorder", "Sweep",
    "best_checkpoint", "check_launch", "checkpoint_paths", "delete", "dispatch", "execute", "iso",
    "name_problem", "new_request_id", "pid_alive", "prepare_resume", "reap", "request_id", "resume",
    "resume_point", "run_dir", "start", "start_waiting",
    "stop", "store_for", "validate_run_id",
]


def __getattr__(name: str):
    """``StoreRecorder`` and ``execute`` are the worker's, imported when first asked for: the worker
    runs as ``python -m lenet_core.runs.worker``, and a package that imported it first would make
    Python warn in every run's log that the module was found in sys.modules before it ran."""
    if name in ("StoreRecorder", "execute"):
        from lenet_core.runs import worker

        return getattr(worker, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
