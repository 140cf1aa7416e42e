"""What the Training page and the CLI say about runs, without Streamlit: durations, progress in
words, the runs table, legend labels, a run stuck at chance, a checkpoint that went missing.

Plain data in, plain data out, so the CLI and the tests can use it as the page does.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lenet_core.format import format_duration, format_percent, format_rate, format_setting
from lenet_core.runs import queue
from lenet_core.runs.files import checkpoint_paths, run_dir
from lenet_core.runs.rows import Run
from lenet_core.training.config import TrainConfig

if TYPE_CHECKING:  # pandas (~70 MB) is imported where a table is built: a trainer never builds one
    import pandas as pd

# ---- words and numbers ---------------------------------------------------------------------

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


def duration(run: Run, now: float | None = None) -> float | None:
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


def progress_view(run: Run, now: float | None = None) -> ProgressView:
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


def examples_per_sec(run: Run) -> float | None:
    """Training speed: the current epoch's while the run trains, the whole run's once it has
    ended (the engine's summary), so the live panel and the runs table give the same figure."""
    if run.status == "running":
        return run.progress.get("examples_per_sec")
    if run.active:
        return None  # queued: nothing measured in this session yet
    return run.summary.get("examples_per_sec") or run.progress.get("examples_per_sec")


def run_labels(all_runs: list[Run]) -> dict[str, str]:
    """A legend label per run: its name, with the id's last four characters when two runs share
    a name (the default names often do)."""
    import pandas as pd

    counts = pd.Series([r.name for r in all_runs]).value_counts()
    return {r.id: f"{r.name} #{r.id[-4:]}" if counts[r.name] > 1 else r.name for r in all_runs}


def best_test_acc(run: Run) -> float | None:
    """The run's best test accuracy; None when no epoch was evaluated (runs recorded before the
    engine said so stored 0.0 for those)."""
    best = run.summary.get("best_test_acc")
    if best is None or not run.summary.get("epochs"):
        return None
    return float(best)


def queue_words(run: Run, state: queue.QueueState | None = None) -> str | None:
    """Where a run waiting for a slot stands: ``waiting for a CPU slot: 2nd in line (1 of 1
    CPU slot in use · 2 waiting)``; None for a run that is not waiting."""
    state = state or queue.queue_state([run])
    position = state.position(run.id) if run.status == "queued" else None
    if position is None:
        return None
    key = queue.run_key(run)
    return (f"waiting for a {'CPU' if key == 'cpu' else key} slot: {queue.ordinal(position)} in line "
            f"({queue.summary(state, key)})")


def stalled_words(state: queue.QueueState) -> str | None:
    """``2 runs wait while a slot is free``: what a trainer that vanished (kill -9, a restart
    during its start) leaves, since reading the store starts nothing; None when none wait so."""
    count = len(state.to_start())
    if not count:
        return None
    runs_wait, them = ("runs wait", "them") if count > 1 else ("run waits", "it")
    return f"{count} {runs_wait} while a slot is free (a trainer ended without starting {them})"


def status_text(run: Run, state: queue.QueueState) -> str:
    """The status column: ``queued · 2nd`` for a waiting run, else the status."""
    position = state.position(run.id) if run.status == "queued" else None
    return f"queued · {queue.ordinal(position)}" if position else run.status


def runs_table(all_runs: list[Run], now: float | None = None) -> pd.DataFrame:
    """One row per run, newest first: what the runs table shows (the ``id`` column included)."""
    rows = []
    state = queue.queue_state(all_runs)
    for run in all_runs:
        best = best_test_acc(run)
        rate = examples_per_sec(run)
        rows.append({
            "name": run.name, "dataset": run.config.dataset,
            "architecture": run.config.arch, "status": status_text(run, state),
            "best test acc": best,
            "duration": format_duration(duration(run, now)),
            "examples/s": format_rate(rate),  # text: a dash reads better than None
            "started": datetime.fromtimestamp(run.started or run.created), "id": run.id,
        })
    columns = ["name", "dataset", "architecture", "status", "best test acc", "duration",
               "examples/s", "started", "id"]
    import pandas as pd

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


def stuck_note(run: Run, metrics: pd.DataFrame) -> str | None:
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
            accuracy = np.trace(np.asarray(confusion)) / columns.sum()
            what = (f"it predicts “{classes[int(columns.argmax())]}” for "
                    f"{'every' if share == 1 else f'{share:.0%} of the'} test image"
                    f"{'' if share == 1 else 's'}, and its test accuracy "
                    f"({format_percent(accuracy)}) is what guessing scores")
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
        return (f"Learning rate {format_setting(config.lr)} on batches of {config.batch_size} takes steps "
                f"{step / TUTORIAL_STEP:.0f}× the tutorial's (lr 0.9, batch 256), which saturate the "
                f"units: lower the learning rate (to about {smaller:.2g}) or raise the batch size "
                "(to 256).")
    if config.optimizer == "adam" and config.lr > 0.01:
        return f"Adam's learning rate {format_setting(config.lr)} is high: try 0.001."
    if step < TUTORIAL_STEP / 10:
        return (f"Learning rate {format_setting(config.lr)} is small for batches of {config.batch_size}: "
                "raise it, or train for more epochs.")
    return ("Try a smaller learning rate, standardised pixels, or lenet-modern, whose batch norm "
            "leaves the plateau at once.")


# ---- after a run ---------------------------------------------------------------------------

def missing_checkpoint_note(run: Run, home: Path | None = None) -> str | None:
    """"checkpoint missing: ..." for a run that saved checkpoints (it completed, or finished an
    epoch) whose folder no longer holds any: deleted or moved by hand. None when all is as it
    should be, including a run that has not reached its first checkpoint yet."""
    if run.active or checkpoint_paths(run.id, home):
        return None
    if run.status != "completed" and not run.summary.get("confusion"):
        return None  # ended before its first epoch: there never was a checkpoint to lose
    return (f"checkpoint missing: {run_dir(run.id, home)} no longer holds this run's "
            "checkpoints (deleted or moved by hand). Its metrics and charts are kept; its model "
            "cannot be explored, downloaded or resumed.")


