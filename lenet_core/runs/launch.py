"""Starting, resuming, stopping and deleting runs: a validated config -> :func:`start` -> one
INSERT -> the worker. It speaks configs and values; what a page says about them is the page's
(``pages/ui/launching.py``).

A double click never starts a run twice: a form's submission carries a request id (the form's
own token, the settings and the name), stored in a UNIQUE column of the run store, so sending the
same submission again gives the run it already made, whichever process receives it (a second
dashboard server, the CLI). A form sending other settings is another request.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import time
from pathlib import Path

from lenet_core import data
from lenet_core.errors import LabError
from lenet_core.model.checkpoints import CheckpointMeta, architecture_of, read_checkpoint
from lenet_core.model.grammar import network_text
from lenet_core.runs import process
from lenet_core.runs.files import resume_point, run_dir, start_checkpoint
from lenet_core.runs.rows import RESUMABLE, Run
from lenet_core.runs.store import RunStore, store_for
from lenet_core.training.config import TrainConfig, network_of, validate, with_saved_network
from lenet_core.training.device import resolve_device
from lenet_core.training.evaluation import input_scaling


def new_request_id() -> str:
    """A form's own token (one per browser session): part of each request id it sends."""
    return secrets.token_hex(8)


def request_id(form_token: str, config: TrainConfig, name: str | None) -> str:
    """The id of one submission: the same form sending the same settings and name again (a
    double click) is the same request."""
    text = "\n".join([form_token, config.to_json(), (name or "").strip()])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def check_launch(raw: dict, reports: dict[str, data.Availability] | None = None,
                 home: Path | None = None) -> tuple[TrainConfig | None, dict[str, str]]:
    """Validate a form's values, then check what validation leaves to the run's start: that a
    saved network is saved here (its layers are copied into the config), that the dataset is here
    and the device is present. Each problem is named under its field."""
    config, errors = validate(raw, home)
    if config is None:
        return None, errors
    try:
        config = with_saved_network(config, home)
    except LabError as exc:
        return None, {"arch": str(exc)}
    if problem := start_problem(config, home):
        errors["init_from"] = problem
    report = (reports or {}).get(config.dataset) or data.dataset_availability(config.dataset, home)
    if report.state != data.AVAILABLE:
        errors["dataset"] = (f"{report.title} is {report.state} here, so it cannot be trained on: "
                             f"{report.remedy}")
    try:
        resolve_device(config.device)
    except LabError as exc:
        errors["device"] = str(exc)
    return (None, errors) if errors else (config, {})


def start_problem(config: TrainConfig, home: Path | None = None) -> str | None:
    """Why the run cannot start from the weights its ``init_from`` names: they are not here, they
    belong to another network, or they expect inputs scaled otherwise than this run scales them."""
    try:
        path = start_checkpoint(config.init_from, home)
        if path is None:
            return None
        meta = CheckpointMeta(**read_checkpoint(path)["meta"])
        theirs, ours = network_text(architecture_of(meta)), network_text(network_of(config, home))
        scaling = input_scaling(data.get_dataset(config.dataset, home), config.normalise)
    except LabError as exc:
        return str(exc)
    except TypeError:
        return f"{path}: not a LeNet Lab checkpoint"
    if theirs != ours:
        return (f"{config.init_from} trained another network ({meta.arch}: {theirs}); start from it with "
                "its own network, or leave Start from empty")
    if (round(meta.mean, 6), round(meta.std, 6)) != (round(scaling.mean, 6), round(scaling.std, 6)):
        return (f"{config.init_from} saw its pixels scaled by mean {meta.mean:g} and std {meta.std:g}, this "
                f"run would scale them by {scaling.mean:g} and {scaling.std:g}: set Standardise pixels as "
                f"that run did ({'on' if meta.std != 1.0 else 'off'})")
    return None


def start(config: TrainConfig, name: str | None = None, *, request_id: str | None = None,
          home: Path | None = None) -> tuple[Run, bool]:
    """Record the run (queued) and start its worker if its device has a free slot (else it
    waits its turn: :mod:`lenet_core.runs.queue`). Returns the run and whether it was recorded
    now: False when ``request_id`` already made one (which is returned instead)."""
    store = store_for(home)
    run, new = store.insert(config, name, request_id)
    if not new:  # the request had been made: its run, not a second one
        return run, False
    process.dispatch(store)  # starts it now if its device has a free slot; else it waits
    return store.get(run.id), True


def resume(run_id: str, home: Path | None = None) -> str:
    """Continue a stopped (or failed) run from its last checkpoint in a detached process, when
    its device has a free slot (until then it waits in the queue)."""
    store = store_for(home)
    prepare_resume(store, run_id)
    process.dispatch(store)
    return run_id


def prepare_resume(store: RunStore, run_id: str, hold: bool = False) -> Path:
    """Check the run can resume, then queue it again (``hold``: with its slot, for a foreground
    resume); returns the checkpoint it starts from."""
    run = store.get(run_id)
    if run.status not in RESUMABLE:
        raise LabError(f"run {run_id} is {run.status}: only a stopped or failed run can be resumed")
    if run.note:
        raise LabError(f"run {run_id} cannot be resumed: its {run.note}")
    if run.backend == "ray":
        raise LabError(f"run {run_id} is a trial of Ray sweep {run.sweep_id}: "
                       f"python -m lenet_core sweep resume {run.sweep_id}")
    path, _, _ = resume_point(run_id, store.home)
    if not store.mark(run_id, "queued", expect=RESUMABLE, hold=hold):
        raise LabError(f"run {run_id} changed while preparing to resume it; try again")
    return path


def stop(run_id: str, home: Path | None = None, wait: float = 0.0) -> Run:
    """Ask a run to stop (SIGTERM: it saves a checkpoint between batches, then ends ``stopped``).
    A queued run is cancelled at once (it ends ``stopped`` without having trained, and its
    slot, if it had one, goes to the next). Waits up to ``wait`` seconds for it to end."""
    store = store_for(home)
    run = store.get(run_id)
    if run.backend == "ray" and run.active:
        raise LabError(f"run {run_id} is a trial of Ray sweep {run.sweep_id}, trained by its driver: "
                       f"stop the sweep (python -m lenet_core sweep stop {run.sweep_id})")
    if run.status == "queued":
        store.mark(run_id, "stopped", expect=("queued",), error=None if run.started else
                   "cancelled while queued: it never started")
        start_waiting(store)  # the slot it held (reserved, or a foreground run's) is free
    elif run.status != "running":
        raise LabError(f"run {run_id} is {run.status}: only a queued or running run can be stopped")
    process.signal_stop(run)
    deadline = time.monotonic() + wait
    run = _current(store, run_id)
    while run.active and time.monotonic() < deadline:
        time.sleep(0.2)
        run = _current(store, run_id)
    return run


def start_waiting(store: RunStore) -> list[str]:
    """Start the waiting runs that free slots fit (:func:`process.dispatch`); a bad
    ``LENET_LAB_SLOTS`` leaves them waiting (the sidebar and ``runs list`` say what is wrong)."""
    try:
        return process.dispatch(store)
    except LabError:
        return []


def _current(store: RunStore, run_id: str) -> Run:
    """The run now, a vanished trainer noticed (a stop is waited for: a kill -9 must not hang it)."""
    return next(r for r in process.reap(store) if r.id == run_id)


def delete(run_id: str, home: Path | None = None) -> None:
    """Remove a run: its row, its metrics and its folder. A queued or running run is refused."""
    store = store_for(home)
    run = store.get(run_id)
    if run.active:
        raise LabError(f"run {run_id} is {run.status}: stop it first "
                       f"(python -m lenet_core runs stop {run_id})")
    store.remove(run_id)
    shutil.rmtree(run_dir(run_id, store.home), ignore_errors=True)
