"""The worker: one run trained in this process, recorded in the run store.

``python -m lenet_core.runs.worker RUN_ID [--resume]`` is what :func:`lenet_core.runs.process.spawn`
starts for a run queued from the dashboard (its output goes to the run's ``worker.log``); the
foreground ``train`` command calls :func:`execute` itself, with its progress bar as a second
recorder. The engine tells :class:`StoreRecorder` what happens, and it writes that to the store.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lenet_core.errors import LabError
from lenet_core.runs.files import resume_point, run_dir, start_checkpoint
from lenet_core.runs.process import dispatch
from lenet_core.runs.store import RunStore, store_for
from lenet_core.training.engine import train
from lenet_core.training.inside import Figure, Histogram, InsideRecorder
from lenet_core.training.records import Outcome, Progress, Recorder, Recorders

SETUP_BEAT_S = 10.0  # heartbeat while the engine loads data, before its first batch
PROGRESS_EVERY_S = 1.0  # progress/heartbeat writes between reporting points, at most this often


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

    def figures(self, step: int, epoch: float, figures: list[Figure]) -> None:
        """The inside of the network at a reporting point (:class:`InsideRecorder`'s sink)."""
        self.store.report(self.run_id, inside=[(step, epoch, f.layer, f.name, f.value) for f in figures])

    def histograms(self, epoch: float, histograms: list[Histogram]) -> None:
        self.store.add_histograms(self.run_id, [(epoch, h.layer, h.kind, h.low, h.high, h.counts)
                                                for h in histograms])

    def finish(self, outcome: Outcome):
        if outcome.status == "completed":
            self.latest.update(epoch=outcome.epochs_done, batch=self.latest.get("batches"), eta_s=0)
        self.store.report(self.run_id, progress=self.latest)
        self.store.mark(self.run_id, outcome.status, error=outcome.error,
                        summary=self._final(outcome.summary))

    def _final(self, summary):
        """The summary with its seconds taken now, at the mark: until then a reader shows
        elapsed_s + the time since ``at``, and the figure must never read less afterwards."""
        if not summary or summary.get("seconds") is None or self.latest.get("at") is None:
            return summary
        ticked = float(self.latest["elapsed_s"]) + time.time() - float(self.latest["at"])
        return {**summary, "seconds": max(float(summary["seconds"]), ticked)}



# ---- running a run in this process ---------------------------------------------------------

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
    store = store_for(home)
    stop = threading.Event()
    with stop_on_signals(stop, signals):
        run = store.get(run_id)
        claimed = time.time()  # this session's clock starts here, for the page and the engine
        if not store.claim(run_id, os.getpid(), claimed):
            return None
        started = threading.Event()
        threading.Thread(target=_beat_until, args=(store, run_id, started), daemon=True).start()
        try:
            if run.note:  # its settings, read again, no longer hold here (a dataset deleted since)
                raise LabError(f"run {run_id} cannot start: its {run.note}")
            resume_from, elapsed = None, 0.0
            if resume:
                resume_from, step, elapsed = resume_point(run_id, store.home)
                store.trim_metrics(run_id, step)  # points recorded after that checkpoint
            # Elapsed time while the engine sets up: it counts on from here, never back.
            store.report(run_id, progress={**run.progress, "elapsed_s": elapsed, "at": claimed})
            writer = StoreRecorder(store, run_id, started)
            return train(run.config, Recorders(writer, InsideRecorder(writer), recorder),
                         checkpoint_dir=run_dir(run_id, store.home), run_id=run_id,
                         home=store.home, stop=stop, resume_from=resume_from, started_at=claimed,
                         start_weights=start_checkpoint(run.config.init_from, store.home))
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


# Exit status of a worker: completed 0, stopped 130 (as an interrupted program), diverged or
# failed 1; a run that was no longer queued 0 (someone else took it, or it was stopped first).
EXIT = {"completed": 0, "stopped": 130, "diverged": 1, "failed": 1}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lenet_core.runs.worker",
                                     description="Train one queued run of the run store (the "
                                     "dashboard starts this; to train yourself, use `lenet-lab train`).")
    parser.add_argument("run_id")
    parser.add_argument("--resume", action="store_true", help="continue from its last checkpoint")
    args = parser.parse_args(argv)
    try:
        outcome = execute(args.run_id, resume=args.resume)
    except LabError as exc:  # recorded as the run's error already; the log gets one line
        print(f"error: {exc}")
        return 2
    finally:
        start_next()
    return 0 if outcome is None else EXIT[outcome.status]


def start_next() -> None:
    """This run's slot is free: start the next waiting run (the queue needs no server)."""
    try:
        dispatch(store_for())
    except LabError as exc:
        print(f"error: could not start the next queued run: {exc}")


if __name__ == "__main__":
    raise SystemExit(main())
