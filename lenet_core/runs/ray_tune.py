"""The Ray backend of sweeps: Ray Tune trains a sweep's trials, here or on a cluster.

``ray.init()`` starts a Ray of this machine (``cpus`` of its cores), or ``address`` joins a running
cluster (``ray start --head`` on one machine, ``ray start --address HEAD:6379`` on the others).
Each trial asks Ray for ``{"CPU": n, "GPU": fraction}``; with ``early_stop="asha"`` Tune's ASHA
scheduler stops weak trials after an epoch rung (they end ``pruned``, with the epoch recorded).

Only the driver writes to the run store: a trial (in a Ray worker, on any node) reports each
epoch's metric rows to Tune, and :class:`StoreCallback`, in the driver, turns each reported result
into our metric rows, progress and final status. Checkpoints are written by the trial to
``<storage>/runs/<run id>/``, a folder every node must reach; the default is the LeNet Lab home,
which is right on one machine (on a cluster: a shared folder, mounted at the same path on each
node, used as LENET_LAB_HOME by the dashboard that shows the sweep).

``python -m lenet_core.runs.ray_tune SWEEP_ID`` is the detached driver the dashboard starts;
``python -m lenet_core sweep --backend ray`` is a driver in the foreground.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lenet_core.errors import LabError
from lenet_core.runs.files import run_dir
from lenet_core.runs.rows import ACTIVE, Run
from lenet_core.runs.store import RunStore, store_for
from lenet_core.training.config import TrainConfig
from lenet_core.training.records import Outcome, Recorder, Recorders

if TYPE_CHECKING:
    from lenet_core.training.inside import Figure, Histogram

HEARTBEAT_EVERY_S = 5.0  # the driver's heartbeat for its running trials (reap() calls 120 s silence stuck)
REDUCTION_FACTOR = 2  # ASHA keeps the best half at each rung: epochs 1, 2, 4, ...
GRACE_EPOCHS = 1  # no trial is cut before its first epoch
# Set when the sweep is stopped (SIGTERM or Ctrl-C to the driver). A module global, not an
# attribute: Tune pickles its callbacks and stopper, and an Event does not pickle.
STOPPING = threading.Event()


def stopping() -> bool:
    """Whether the sweep is being stopped (the classes below call this: it pickles by name)."""
    return STOPPING.is_set()


# ---- in the trial (a Ray worker, any node) ---------------------------------------------------

class TuneRecorder(Recorder):
    """The engine's voice inside a Ray trial: after each epoch's checkpoint, one ``tune.report``
    with that epoch's metric rows (five train points and the test evaluation), its inside figures
    and histograms (it is the sink of an :class:`~lenet_core.training.inside.InsideRecorder`), the
    progress and a summary so far; at the end, one more with the outcome."""

    def __init__(self, metric: str, mode: str, report: Callable[[dict], None]):
        self.metric, self.mode, self.report = metric, mode, report
        self.rows: list[list[Any]] = []
        self.inside_rows: list[list[Any]] = []  # (step, epoch, layer, name, value): the store's inside rows
        self.histogram_rows: list[list[Any]] = []  # (epoch, layer, kind, low, high, counts)
        self.info: dict[str, Any] = {}
        self.last: dict[str, float] = {}
        self.best_test_acc: float | None = None
        self.epoch, self.wall, self.started = 0, 0.0, time.time()

    def start(self, info):
        self.info = info

    def metrics(self, step, epoch, values, wall_time):
        self.rows += [[step, epoch, name, value, wall_time] for name, value in values.items()]
        self.last.update(values)
        self.wall = wall_time
        if "test_acc" in values:
            self.epoch = int(round(epoch))
            acc = values["test_acc"]
            self.best_test_acc = acc if self.best_test_acc is None else max(self.best_test_acc, acc)

    def figures(self, step: int, epoch: float, figures: list[Figure]) -> None:
        self.inside_rows += [[step, epoch, f.layer, f.name, f.value] for f in figures]

    def histograms(self, epoch: float, histograms: list[Histogram]) -> None:
        self.histogram_rows += [[epoch, h.layer, h.kind, h.low, h.high, list(h.counts)] for h in histograms]

    def checkpoint(self, epoch, path):
        if path.name.startswith("epoch-"):  # after the epoch's checkpoint: a cut trial keeps it
            self._send()

    def finish(self, outcome: Outcome):
        self._send(outcome={"status": outcome.status, "error": outcome.error, "summary": outcome.summary})

    def summary(self) -> dict[str, Any]:
        """What a pruned trial keeps as its summary: the figures of its last epoch."""
        return {"train_loss": self.last.get("train_loss"), "train_acc": self.last.get("train_acc"),
                "test_loss": self.last.get("test_loss"), "test_acc": self.last.get("test_acc"),
                "best_test_acc": self.best_test_acc, "examples_per_sec": self.last.get("examples_per_sec"),
                "seconds": self.wall, "epochs": self.epoch, "device": self.info.get("device"),
                "device_kind": self.info.get("device_kind"), "params": self.info.get("params"),
                "per_class_acc": None, "confusion": None}

    def _score(self) -> float:
        value = self.last.get(self.metric)
        if value is None:  # nothing evaluated yet (diverged in its first epoch): the worst score
            return 0.0 if self.mode == "max" else 1e12
        return float(value)

    def _send(self, outcome: dict | None = None) -> None:
        epochs = self.info.get("epochs") or 0
        progress = {"epoch": min(self.epoch + 1, epochs) if epochs else self.epoch + 1, "epochs": epochs,
                    "batch": self.info.get("batches") if self.epoch >= epochs else 0,
                    "batches": self.info.get("batches"),
                    "examples_per_sec": self.last.get("examples_per_sec"),
                    "eta_s": None, "elapsed_s": self.wall, "at": time.time(),
                    "train_loss": self.last.get("train_loss"), "train_acc": self.last.get("train_acc")}
        result = {"epoch": self.epoch, self.metric: self._score(), "rows": self.rows,
                  "inside": self.inside_rows, "histograms": self.histogram_rows, "progress": progress,
                  "device": self.info.get("device"), "summary": self.summary()}
        if outcome is not None:
            result["outcome"] = outcome
        self.rows, self.inside_rows, self.histogram_rows = [], [], []
        self.report(result)


def train_trial(tune_config: dict, *, jobs: dict[int, tuple[str, str]], home: str, storage: str,
                metric: str, mode: str) -> None:
    """A Ray Tune function trainable: trial number -> our run id and config -> the engine."""
    from ray import tune

    from lenet_core.training.engine import train
    from lenet_core.training.inside import InsideRecorder

    run_id, config_json = jobs[int(tune_config["trial"])]
    recorder = TuneRecorder(metric, mode, tune.report)
    train(TrainConfig.from_json(config_json), Recorders(recorder, InsideRecorder(recorder)),
          checkpoint_dir=run_dir(run_id, Path(storage)), run_id=run_id, home=Path(home))


# ---- in the driver (the only writer of the store) -----------------------------------------------

def _callback_class():
    from ray import tune

    class StoreCallback(tune.Callback):
        """Tune's events, written to the run store by the driver."""

        def __init__(self, store: RunStore, runs: dict[int, Run], say: Callable[[str], None]):
            self.store, self.runs, self.say = store, runs, say
            self.last: dict[str, dict] = {}
            self.ended: set[str] = set()
            self.beat = 0.0

        def _run(self, trial) -> Run:
            return self.runs[int(trial.config["trial"])]

        def on_trial_start(self, iteration, trials, trial, **info):
            run = self._run(trial)
            self.store.claim(run.id, os.getpid())
            self.say(f"trial {run.trial}: training ({run.name})")

        def on_trial_result(self, iteration, trials, trial, result, **info):
            run = self._run(trial)
            rows = [tuple(row) for row in result.get("rows", [])]
            self.store.report(run.id, progress=result.get("progress"), device=result.get("device"),
                              metrics=rows, inside=[tuple(row) for row in result.get("inside", [])])
            if histograms := result.get("histograms"):
                self.store.add_histograms(run.id, [tuple(row) for row in histograms])
            self.last[run.id] = result
            if outcome := result.get("outcome"):
                self.store.mark(run.id, outcome["status"], expect=ACTIVE, error=outcome.get("error"),
                                summary=outcome.get("summary"))
                self.ended.add(run.id)
                self.say(f"trial {run.trial}: {outcome['status']}")

        def on_trial_complete(self, iteration, trials, trial, **info):
            run = self._run(trial)
            if run.id in self.ended:
                return
            self.ended.add(run.id)
            last = self.last.get(run.id, {})
            epoch = int(last.get("epoch") or 0)
            if stopping():
                self.store.mark(run.id, "stopped", expect=ACTIVE, error="the sweep was stopped",
                                summary=last.get("summary"))
            elif epoch >= run.config.epochs:  # cut on its last epoch's report: it had trained them all
                self.store.mark(run.id, "completed", expect=ACTIVE, summary=last.get("summary"))
            else:
                self.store.mark(run.id, "pruned", expect=ACTIVE, rung=epoch, summary=last.get("summary"),
                                error=f"stopped early by ASHA after epoch {epoch}: weaker than the other "
                                      "trials at that point")
                self.say(f"trial {run.trial}: pruned after epoch {epoch}")

        def on_trial_error(self, iteration, trials, trial, **info):
            run = self._run(trial)
            self.ended.add(run.id)
            self.store.mark(run.id, "failed", expect=ACTIVE,
                            error=f"the Ray trial failed: {_error_line(trial)}")
            self.say(f"trial {run.trial}: failed")

        def on_step_begin(self, iteration, trials, **info):
            if time.monotonic() - self.beat < HEARTBEAT_EVERY_S:
                return
            self.beat = time.monotonic()
            for trial in trials:
                if trial.status == "RUNNING":
                    try:
                        self.store.report(self._run(trial).id)
                    except LabError:
                        pass  # a busy store: the next beat will do

    return StoreCallback


def _stopper_class():
    from ray import tune

    class FlagStopper(tune.Stopper):
        """Stop every trial once the sweep is stopped (SIGTERM to the driver, or Ctrl-C)."""

        def __call__(self, trial_id, result):
            return stopping()

        def stop_all(self):
            return stopping()

    return FlagStopper


def _error_line(trial) -> str:
    """The last line of a failed trial's traceback (Ray keeps it in the trial's error file)."""
    path = getattr(trial, "error_file", None)
    try:
        lines = [line for line in Path(path).read_text().splitlines() if line.strip()] if path else []
    except OSError:
        lines = []
    return lines[-1].strip() if lines else "see Ray's log"


def resources(spec: dict[str, Any]) -> dict[str, float]:
    """What one trial asks Ray for: ``cpus_per_trial`` CPUs and ``gpus_per_trial`` of a GPU."""
    asked = {"cpu": float(spec.get("cpus_per_trial") or 1)}
    if spec.get("gpus_per_trial"):
        asked["gpu"] = float(spec["gpus_per_trial"])
    return asked


def drive(sweep_id: str, home: Path | None = None, say: Callable[[str], None] = print) -> str:
    """Train the sweep's queued trials with Ray Tune, writing each result to the store; returns
    the sweep's final stored status (``ended`` or ``stopped``)."""
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")  # our store is the record
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    os.environ.setdefault("TUNE_DISABLE_STRICT_METRIC_CHECKING", "1")
    store = store_for(home)
    sweep = store.get_sweep(sweep_id)
    spec = sweep.spec
    pending = [r for r in store.sweep_runs(sweep_id) if r.status == "queued"]
    store.hold_for([r.id for r in pending], os.getpid())
    store.mark_sweep(sweep_id, "running", pid=os.getpid())
    STOPPING.clear()
    previous = {sig: signal.signal(sig, lambda *_: STOPPING.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if pending:
            _fit(store, sweep_id, spec, pending, say)
    except Exception as exc:  # Ray could not start, or the cluster went away: the trials say so
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        _end_unfinished(store, sweep_id, "failed", f"the Ray sweep failed: {message}")
        store.mark_sweep(sweep_id, "ended", error=message)
        raise LabError(f"the Ray sweep failed: {message}") from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    stopped = STOPPING.is_set() or store.get_sweep(sweep_id).status == "stopped"
    _end_unfinished(store, sweep_id, "stopped" if stopped else "failed",
                    "the sweep was stopped" if stopped else "Ray ended the sweep before this trial reported")
    status = "stopped" if stopped else "ended"
    store.mark_sweep(sweep_id, status)
    return status


def _end_unfinished(store: RunStore, sweep_id: str, status: str, why: str) -> None:
    for run in store.sweep_runs(sweep_id):
        if run.active:
            store.mark(run.id, status, expect=ACTIVE, error=why)


def _fit(store: RunStore, sweep_id: str, spec: dict[str, Any], pending: list[Run],
         say: Callable[[str], None]) -> None:
    import ray
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    address = spec.get("address")
    ray.init(address=address or None, num_cpus=None if address else spec.get("cpus"),
             include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
             logging_level="ERROR")
    try:
        storage = Path(spec.get("storage") or store.home)
        jobs = {r.trial: (r.id, r.config.to_json()) for r in pending}
        metric, mode = spec.get("metric", "test_acc"), spec.get("mode", "max")
        trainable = tune.with_resources(
            tune.with_parameters(train_trial, jobs=jobs, home=str(store.home), storage=str(storage),
                                 metric=metric, mode=mode),
            resources(spec))
        scheduler = None
        if spec.get("early_stop") == "asha":
            scheduler = ASHAScheduler(time_attr="epoch", max_t=max(r.config.epochs for r in pending),
                                      grace_period=GRACE_EPOCHS, reduction_factor=REDUCTION_FACTOR)
        callback = _callback_class()(store, {r.trial: r for r in pending}, say)
        tuner = tune.Tuner(
            trainable,
            param_space={"trial": tune.grid_search([r.trial for r in pending])},
            tune_config=tune.TuneConfig(metric=metric, mode=mode, scheduler=scheduler, num_samples=1),
            run_config=tune.RunConfig(name=sweep_id, storage_path=str(store.home / "ray_results"),
                                      callbacks=[callback], stop=_stopper_class()(), verbose=0,
                                      failure_config=tune.FailureConfig(max_failures=0)),
        )
        say(f"Ray: {len(pending)} trials, {resources(spec)} each, on "
            f"{address or 'this machine'} ({ray.cluster_resources().get('CPU', 0):g} CPUs)")
        tuner.fit()
    finally:
        ray.shutdown()


def say(text: str) -> None:
    print(text, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lenet_core.runs.ray_tune",
                                     description="Drive one Ray sweep of the run store (the dashboard "
                                     "starts this; from a terminal use `python -m lenet_core sweep`).")
    parser.add_argument("sweep_id")
    args = parser.parse_args(argv)
    try:
        print(f"sweep {args.sweep_id}: {drive(args.sweep_id, say=say)}", flush=True)
    except LabError as exc:
        print(f"error: {exc}")
        return 2
    return 0


if __name__ == "__main__":
    # Through the module's own name, not as __main__: Tune pickles the callback and the stopper,
    # and cloudpickle copies whatever lives in __main__ (with the Event it cannot pickle).
    from lenet_core.runs.ray_tune import main as driver_main

    raise SystemExit(driver_main())
