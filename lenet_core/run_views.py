"""What the Training page shows about runs, without Streamlit: launching once from a form, the
runs table, labels for the legend, progress in words, and a finished run's mistakes.

Pages draw; this module decides. Everything here is plain data in, plain data out, so the CLI
and the tests can use it as the page does.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from lenet_core import data, runs
from lenet_core.errors import LabError
from lenet_core.model.checkpoints import load_model
from lenet_core.training.config import TrainConfig, validate
from lenet_core.training.device import resolve_device
from lenet_core.training.evaluation import evaluate

# A second launch of the same config and name this soon after the first is a double click, a
# resubmitted form or a second tab, not a wish for two runs: it selects the first instead.
DUPLICATE_WINDOW_S = 10.0
_launch_lock = threading.Lock()  # on purpose process-wide: Streamlit sessions are threads of one process


@dataclass(frozen=True)
class LaunchOutcome:
    run_id: str | None
    started: bool  # False: refused (errors) or an identical run was just started (run_id is it)
    message: str
    errors: dict[str, str] = field(default_factory=dict)  # field -> message, for the form


def check_launch(raw: dict, reports: dict[str, data.Availability] | None = None
                 ) -> tuple[TrainConfig | None, dict[str, str]]:
    """Validate a form's values, then check what validation leaves to the run's start: that the
    dataset is here and the device is present. Each problem is named under its field."""
    config, errors = validate(raw)
    if config is None:
        return None, errors
    report = (reports or {}).get(config.dataset) or data.dataset_availability(config.dataset)
    if report.state != data.AVAILABLE:
        errors["dataset"] = (f"{report.title} is {report.state} here, so it cannot be trained on: "
                             f"{report.remedy}")
    try:
        resolve_device(config.device)
    except LabError as exc:
        errors["device"] = str(exc)
    return (None, errors) if errors else (config, {})


def find_duplicate(existing: list[runs.Run], config: TrainConfig, name: str | None,
                   now: float, within_s: float = DUPLICATE_WINDOW_S) -> runs.Run | None:
    """A run created in the last ``within_s`` seconds with the same config (and the same name,
    when one was given)."""
    for run in existing:
        if now - run.created > within_s:
            continue
        if run.config == config and (name is None or run.name == name):
            return run
    return None


def launch_once(raw: dict, name: str | None = None,
                reports: dict[str, data.Availability] | None = None, home: Path | None = None,
                within_s: float = DUPLICATE_WINDOW_S) -> LaunchOutcome:
    """Check a form's values and its run name, and launch the run, unless the same one was
    launched just now."""
    config, errors = check_launch(raw, reports)
    if name is not None and (problem := runs.name_problem(name)):
        config, errors = None, {**errors, "name": problem}
    name = (name or "").strip() or None
    if config is None:
        return LaunchOutcome(None, False, "not started: " + "; ".join(errors.values()), errors)
    with _launch_lock:
        store = runs.RunStore(home)
        twin = find_duplicate(store.list(), config, name, time.time(), within_s)
        if twin is not None:
            ago = time.time() - twin.created
            return LaunchOutcome(twin.id, False, f"“{twin.name}” was started {ago:.0f} s ago with these "
                                 "settings: showing it rather than starting it twice.")
        try:
            run_id = runs.launch(config, name, home)
        except LabError as exc:
            return LaunchOutcome(None, False, str(exc), {"dataset": str(exc)})
    return LaunchOutcome(run_id, True, f"Started “{store.get(run_id).name}”.")


def resume_blocker(run: runs.Run, home: Path | None = None) -> str | None:
    """Why the page cannot offer to resume ``run``, or None when it can: only a stopped or failed
    run that saved a checkpoint to continue from (one at each epoch's end, and on Stop)."""
    if run.status not in runs.RESUMABLE:
        return f"a {run.status} run cannot be resumed (only a stopped or failed one)"
    if not any(p.name != "final.pt" for _, p in runs.checkpoint_paths(run.id, home)):
        return ("it saved no checkpoint to continue from (one is saved at each epoch's end and on "
                "Stop): start it again from the sidebar")
    return None


def resume_once(run_id: str, home: Path | None = None) -> LaunchOutcome:
    """Resume a stopped or failed run in a detached process, unless it is already going again
    (a double click, a second tab: the store's queued-from-stopped step is atomic, and this
    says so in words instead of an error)."""
    with _launch_lock:
        store = runs.RunStore(home)
        run = store.get(run_id)
        if run.active:
            return LaunchOutcome(run_id, False, f"“{run.name}” is already {run.status}: "
                                 "it was resumed just now.")
        if reason := resume_blocker(run, store.home):
            return LaunchOutcome(run_id, False, f"“{run.name}” cannot be resumed: {reason}.",
                                 {"resume": reason})
        try:
            runs.resume(run_id, store.home)
        except LabError as exc:
            return LaunchOutcome(run_id, False, f"“{run.name}” could not be resumed: {exc}",
                                 {"resume": str(exc)})
    return LaunchOutcome(run_id, True, f"Resumed “{run.name}” from its last checkpoint.")


# ---- words and numbers ---------------------------------------------------------------------

def format_duration(seconds: float | None) -> str:
    """``42s``, ``3m 05s``, ``1h 02m``: short enough for a metric tile; an em dash when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def last_value(metrics: pd.DataFrame, name: str) -> float | None:
    """The newest recorded value of one metric (None if there is none yet)."""
    values = metrics.loc[metrics["name"] == name, "value"].dropna()
    return None if values.empty else float(values.iloc[-1])


def latest_test_acc(metrics: pd.DataFrame) -> tuple[float | None, float | None]:
    """The last and the best test accuracy in a run's metrics (None before the first epoch ends)."""
    values = metrics.loc[metrics["name"] == "test_acc", "value"].dropna()
    if values.empty:
        return None, None
    return float(values.iloc[-1]), float(values.max())


def duration(run: runs.Run, now: float | None = None) -> float | None:
    """Wall-clock seconds the run has trained, data loading included: the engine's own count
    once it has ended; while it runs, the last count written plus the time since it was written
    (so the figure climbs each second and never goes back); a queued run's previous sessions."""
    now = time.time() if now is None else now
    p = run.progress
    if not run.active and run.summary.get("seconds") is not None:
        return float(run.summary["seconds"])
    if p.get("elapsed_s") is not None:
        ticking = run.status == "running" and p.get("at") is not None
        return float(p["elapsed_s"]) + (max(0.0, now - float(p["at"])) if ticking else 0.0)
    if run.summary.get("seconds") is not None:
        return float(run.summary["seconds"])
    if run.started is None or run.status == "queued":
        return None
    return (run.finished or now) - run.started


@dataclass(frozen=True)
class ProgressView:
    fraction: float  # 0..1 of the whole run
    text: str  # "epoch 2/10 · batch 117/235"
    examples_per_sec: float | None
    elapsed_s: float | None
    eta_s: float | None


def progress_view(run: runs.Run, now: float | None = None) -> ProgressView:
    """The progress bar's fraction and words, from the progress dict the engine writes."""
    p = run.progress
    epochs = p.get("epochs") or run.config.epochs
    batches = p.get("batches") or 0
    epoch = min(max(int(p.get("epoch") or 1), 1), epochs)
    batch = int(p.get("batch") or 0)
    if run.status == "completed":
        fraction = 1.0
    elif batches:
        fraction = ((epoch - 1) * batches + batch) / (epochs * batches)
    else:
        fraction = 0.0
    text = f"epoch {epoch}/{epochs}" + (f" · batch {batch}/{batches}" if batches else "")
    # A queued run's progress is its previous session's (it is being resumed): no ETA from it.
    eta = p.get("eta_s") if run.status == "running" else None
    return ProgressView(min(max(fraction, 0.0), 1.0), text, examples_per_sec(run),
                        duration(run, now), eta)


def examples_per_sec(run: runs.Run) -> float | None:
    """Training speed: the current epoch's while the run trains, the whole run's once it has
    ended (the engine's summary), so the live panel and the runs table give the same figure."""
    if run.status == "running":
        return run.progress.get("examples_per_sec")
    if run.active:
        return None  # queued: nothing measured in this session yet
    return run.summary.get("examples_per_sec") or run.progress.get("examples_per_sec")


def run_labels(all_runs: list[runs.Run]) -> dict[str, str]:
    """A legend label per run: its name, with the id's last four characters when two runs share
    a name (the default names often do)."""
    counts = pd.Series([r.name for r in all_runs]).value_counts()
    return {r.id: f"{r.name} #{r.id[-4:]}" if counts[r.name] > 1 else r.name for r in all_runs}


def best_test_acc(run: runs.Run) -> float | None:
    """The run's best test accuracy; None when no epoch was evaluated (runs recorded before the
    engine said so stored 0.0 for those)."""
    best = run.summary.get("best_test_acc")
    if best is None or not run.summary.get("epochs"):
        return None
    return float(best)


def runs_table(all_runs: list[runs.Run], now: float | None = None) -> pd.DataFrame:
    """One row per run, newest first: what the runs table shows (the ``id`` column included)."""
    rows = []
    for run in all_runs:
        best = best_test_acc(run)
        rate = examples_per_sec(run)
        rows.append({
            "name": run.name, "dataset": run.config.dataset,
            "architecture": run.config.arch, "status": run.status,
            "best test acc": best,
            "duration": format_duration(duration(run, now)),
            "examples/s": f"{rate:,.0f}" if rate else "—",  # text: a blank reads better than None
            "started": datetime.fromtimestamp(run.started or run.created), "id": run.id,
        })
    columns = ["name", "dataset", "architecture", "status", "best test acc", "duration",
               "examples/s", "started", "id"]
    return pd.DataFrame(rows, columns=columns)


# ---- a run stuck at chance --------------------------------------------------------------

# After this share of a run's steps its loss should have left the plateau of guessing (ln 10 for
# ten classes): the tutorial's sigmoid net sits there through its first epoch of ten, not longer.
PLATEAU_SHARE = 0.3
PLATEAU_LOSS = 0.9  # of ln(classes): a loss still above this has learnt next to nothing
ONE_CLASS_SHARE = 0.9  # of the test predictions in one column of the confusion matrix
# Steps the tutorial's sigmoid net takes to leave the plateau: about 400 (its second epoch).
PLATEAU_STEPS = 400
# lr per example of the tutorial's recipe (SGD lr 0.9, batch 256): several times more saturates
# sigmoid and tanh units, and the network answers one class for everything.
TUTORIAL_STEP = 0.9 / 256


def stuck_note(run: runs.Run, metrics: pd.DataFrame) -> str | None:
    """Why a run learns nothing, in the way divergence is explained (what happened, which setting
    to change), or None. Two signs: every test image predicted as one class, or a train loss
    still near the loss of guessing after :data:`PLATEAU_SHARE` of the run's steps."""
    classes = run.summary.get("classes") or [str(i) for i in range(10)]
    guessing = math.log(len(classes))
    what = None
    confusion = run.summary.get("confusion")
    if confusion and not run.active:
        columns = np.asarray(confusion).sum(axis=0)
        if columns.sum() and columns.max() >= ONE_CLASS_SHARE * columns.sum():
            share = columns.max() / columns.sum()
            what = (f"it predicts “{classes[int(columns.argmax())]}” for "
                    f"{'every' if share == 1 else f'{share:.0%} of the'} test image"
                    f"{'' if share == 1 else 's'}, and its test accuracy "
                    f"({np.trace(np.asarray(confusion)) / columns.sum():.1%}) is what guessing scores")
    loss = metrics.loc[metrics["name"] == "train_loss"]
    total = run.config.epochs * (run.progress.get("batches") or 0)
    if what is None and total and not loss.empty:
        last = loss.iloc[-1]
        if last["step"] >= PLATEAU_SHARE * total and last["value"] > PLATEAU_LOSS * guessing:
            what = (f"its train loss is still {last['value']:.2f} after {last['step'] / total:.0%} "
                    f"of its steps, near the {guessing:.2f} of guessing: it has learnt next to nothing")
    if what is None:
        return None
    verb = "is stuck" if run.active else "ended"
    return f"This run {verb} at chance: {what}. {plateau_advice(run.config, total)}"


def plateau_advice(config: TrainConfig, steps: int) -> str:
    """The setting to change, from the config's own numbers (``steps``: the run's in all)."""
    if steps and steps < PLATEAU_STEPS:
        return (f"It trains for {steps:,} steps in all, too few to leave the plateau (the "
                f"tutorial's net needs about {PLATEAU_STEPS}): train for more epochs, on more "
                "examples, or with smaller batches.")
    step = config.lr / config.batch_size
    if config.optimizer != "adam" and step > 4 * TUTORIAL_STEP:
        smaller = config.lr * config.batch_size / 256
        return (f"Learning rate {config.lr:g} on batches of {config.batch_size} takes steps "
                f"{step / TUTORIAL_STEP:.0f}× the tutorial's (lr 0.9, batch 256), which saturate the "
                f"units: lower the learning rate (to about {smaller:.2g}) or raise the batch size "
                "(to 256).")
    if config.optimizer == "adam" and config.lr > 0.01:
        return f"Adam's learning rate {config.lr:g} is high: try 0.001."
    if step < TUTORIAL_STEP / 10:
        return (f"Learning rate {config.lr:g} is small for batches of {config.batch_size}: raise it, "
                "or train for more epochs.")
    return ("Try a smaller learning rate, standardised pixels, or lenet-modern, whose batch norm "
            "leaves the plateau at once.")


# ---- after a run ---------------------------------------------------------------------------

def best_checkpoint(run_id: str, home: Path | None = None) -> Path | None:
    """The checkpoint that holds the run's result: ``final.pt``, else the newest one."""
    found = runs.checkpoint_paths(run_id, home)
    finals = [p for _, p in found if p.name == "final.pt"]
    return finals[0] if finals else (found[-1][1] if found else None)


def missing_checkpoint_note(run: runs.Run, home: Path | None = None) -> str | None:
    """"checkpoint missing: ..." for a run that saved checkpoints (it completed, or finished an
    epoch) whose folder no longer holds any: deleted or moved by hand. None when all is as it
    should be, including a run that has not reached its first checkpoint yet."""
    if run.active or runs.checkpoint_paths(run.id, home):
        return None
    if run.status != "completed" and not run.summary.get("confusion"):
        return None  # ended before its first epoch: there never was a checkpoint to lose
    return (f"checkpoint missing: {runs.run_dir(run.id, home)} no longer holds this run's "
            "checkpoints (deleted or moved by hand). Its metrics and charts are kept; its model "
            "cannot be explored, downloaded or resumed.")


@dataclass(frozen=True)
class Mistakes:
    images: np.ndarray  # uint8 k×28×28, the most confident mistakes first
    table: pd.DataFrame  # index (in the test split), true, predicted, confidence
    total: int  # mistakes in the whole test split
    tested: int  # images in the test split


def misclassified(run_id: str, home: Path | None = None, limit: int = 24) -> Mistakes:
    """The test images a finished run's model gets wrong, the most confident first (the ones
    it is surest about are the most telling), using the engine's own :func:`evaluate`."""
    path = best_checkpoint(run_id, home)
    if path is None:
        raise LabError(f"run {run_id} has no checkpoint to evaluate")
    model, meta = load_model(path)
    images, labels = data.load_split(meta.dataset, "test", home)
    result = evaluate(model, images, labels, meta=meta)
    predicted, confidence = result.predictions.numpy(), result.confidences.numpy()
    wrong = np.flatnonzero(predicted != labels.numpy())
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][:limit]
    classes = data.get_dataset(meta.dataset).classes
    table = pd.DataFrame({"index": order,
                          "true": [classes[int(labels[i])] for i in order],
                          "predicted": [classes[int(predicted[i])] for i in order],
                          "confidence": confidence[order].astype(float)})
    return Mistakes(images[order].numpy(), table, len(wrong), len(labels))
