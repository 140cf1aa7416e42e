"""Sweeps: a base config plus a search space (:mod:`lenet_core.runs.space`), one metric to
optimise, and a backend that trains the trials. Each trial is an ordinary run in the run store
with the sweep's id and its number, so its curves, checkpoints and analysis are a run's.

Backends:

- ``local``: the trials are queued runs; the run queue (:mod:`lenet_core.runs.queue`) trains them
  as slots free, with no driver process (a kill -9 of whoever started the sweep loses nothing).
- ``ray``: Ray Tune trains them (:mod:`lenet_core.runs.ray_tune`), on this machine or a cluster,
  with ASHA early stopping if asked; the sweep's driver is the only writer of the run store.

A sweep's state is read from its trials (:func:`progress`): running while any trial is active;
then completed, or incomplete while a trial is stopped or failed (``sweep resume`` trains those).
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lenet_core import paths
from lenet_core.errors import LabError
from lenet_core.format import format_duration, format_setting
from lenet_core.runs import launch, process, report
from lenet_core.runs.files import resume_point
from lenet_core.runs.rows import ACTIVE, Run, Sweep, name_problem
from lenet_core.runs.space import METRICS, Space, config_value, parse_space, trial_configs
from lenet_core.runs.store import RunStore, store_for
from lenet_core.training.config import DEFAULTS, TrainConfig, preset_values, validate

BACKENDS = ("local", "ray")
EARLY_STOPS = ("none", "asha")
INSTALL_RAY = ("Ray Tune is an optional extra: install it with `pip install -r requirements-cluster.txt` "
               "(or `pip install -e '.[cluster]'`), then start the sweep again")
FINAL_OK = ("completed", "diverged", "pruned")  # a trial that has its answer: resume leaves it
DRIVER = "lenet_core.runs.ray_tune"


@dataclass(frozen=True)
class Plan:
    """A sweep before it is recorded: everything checked, every trial's config built."""

    name: str
    base: TrainConfig
    space: Space
    configs: list[TrainConfig]
    metric: str = "test_acc"
    backend: str = "local"
    early_stop: str = "none"
    options: dict[str, Any] = field(default_factory=dict)  # ray: address, cpus, per-trial resources

    def spec(self) -> dict[str, Any]:
        return {"base": self.base.to_dict(), "space": self.space.to_dict(), "fields": self.space.varied,
                "metric": self.metric, "mode": METRICS[self.metric], "backend": self.backend,
                "early_stop": self.early_stop, "trials": len(self.configs), **self.options}


def ray_missing() -> str | None:
    """Why the Ray backend cannot run here (not installed), or None."""
    try:
        import ray  # noqa: F401
        from ray import tune  # noqa: F401
    except ImportError:
        return INSTALL_RAY
    return None


def plan(*, preset: str | None = "best", base: dict[str, Any] | None = None, grid=(), space=(),
         samples: int | None = None, parsed: Space | None = None, metric: str = "test_acc",
         backend: str = "local", early_stop: str = "none", name: str | None = None,
         allow_many: bool = False, options: dict[str, Any] | None = None,
         home: Path | None = None) -> Plan:
    """Check a sweep's request and build its trials; a LabError in one line if anything is wrong
    (nothing is recorded before this has passed). The space comes as the command line's texts
    (``grid``, ``space``, ``samples``) or already read (``parsed``: the page's editor)."""
    if metric not in METRICS:
        raise LabError(f"--metric {metric!r}: choose one of {', '.join(METRICS)}")
    if backend not in BACKENDS:
        raise LabError(f"--backend {backend!r}: choose local or ray")
    if early_stop not in EARLY_STOPS:
        raise LabError(f"--early-stop {early_stop!r}: choose none or asha")
    if early_stop == "asha" and backend != "ray":
        raise LabError("--early-stop asha needs --backend ray: Ray Tune's ASHA scheduler stops weak "
                       "trials early (the local queue trains every trial to its end)")
    if backend == "ray" and (missing := ray_missing()):
        raise LabError(missing)
    if name is not None and (problem := name_problem(name)):
        raise LabError(f"sweep name: {problem}")
    values = preset_values(preset) if preset else dict(DEFAULTS)
    config, errors = validate({**values, **(base or {})})
    if config is None:
        raise LabError("base config: " + "; ".join(f"{k}: {m}" for k, m in errors.items()))
    parsed = parsed or parse_space(list(grid), list(space), samples)
    configs = trial_configs(config, parsed, allow_many, home)
    for dataset, device in dict.fromkeys((c.dataset, c.device) for c in configs):
        _, problems = launch.check_launch({**config.to_dict(), "dataset": dataset, "device": device},
                                          home=home)
        if problems:  # the data or the device is not here: every such trial would fail
            raise LabError("; ".join(f"{k}: {m}" for k, m in problems.items()))
    name = (name or "").strip() or f"{' × '.join(parsed.varied or parsed.fields)} sweep"
    return Plan(name, config, parsed, configs, metric, backend, early_stop, dict(options or {}))


def trial_name(number: int, config: TrainConfig, fields: list[str]) -> str:
    """A trial by what varies: ``lr=0.1 · batch_size=64`` (its sweep is said beside it, once)."""
    return " · ".join(f"{f}={format_setting(config_value(config, f))}" for f in fields) or f"trial {number}"


def record(store: RunStore, plan: Plan, pid: int | None = None) -> Sweep:
    """The sweep and its trials, in one transaction."""
    trials = [(trial_name(n, c, plan.space.varied), c) for n, c in enumerate(plan.configs, 1)]
    return store.create_sweep(plan.name, plan.spec(), trials, plan.backend, pid)


def start(plan: Plan, home: Path | None = None) -> Sweep:
    """Record the sweep and set it going without waiting: a local sweep's trials join the queue;
    a Ray sweep gets a detached driver (its output in ``sweeps/<id>/driver.log``)."""
    store = store_for(home)
    sweep = record(store, plan)
    if plan.backend == "local":
        process.dispatch(store)
    else:
        spawn_driver(store, sweep.id)
    return store.get_sweep(sweep.id)


def sweep_dir(sweep_id: str, home: Path | None = None) -> Path:
    return Path(home or paths.lab_home()) / "sweeps" / sweep_id


def spawn_driver(store: RunStore, sweep_id: str) -> int:
    """A Ray sweep's driver in a process of its own session (it outlives the page)."""
    folder = sweep_dir(sweep_id, store.home)
    folder.mkdir(parents=True, exist_ok=True)
    env = process.child_env(store.home)
    try:
        with open(folder / "driver.log", "ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", DRIVER, sweep_id], cwd=store.home, env=env,
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
    except OSError as exc:
        store.mark_sweep(sweep_id, "ended", error=f"could not start the sweep's driver: {exc}")
        raise LabError(f"could not start the sweep's driver ({exc})") from None
    store.hold_for([r.id for r in store.sweep_runs(sweep_id) if r.status == "queued"], proc.pid)
    store.mark_sweep(sweep_id, "running", pid=proc.pid)
    threading.Thread(target=proc.wait, daemon=True, name=f"reap-{sweep_id}").start()
    return proc.pid


# ---- stop and resume -------------------------------------------------------------------------

def stop(sweep_id: str, home: Path | None = None) -> Sweep:
    """Stop the whole sweep: waiting trials are cancelled, training ones stop at their next batch
    (a Ray sweep's driver is told, and it stops its trials)."""
    store = store_for(home)
    sweep = store.get_sweep(sweep_id)
    store.mark_sweep(sweep_id, "stopped", pid=sweep.pid)
    trials = process.reap(store)
    # The waiting ones first: none of them may take a slot that a stopping trial frees.
    mine = sorted((r for r in trials if r.sweep_id == sweep_id and r.active),
                  key=lambda r: r.status != "queued")
    if sweep.spec.get("backend") == "ray":
        if sweep.pid and process.pid_alive(sweep.pid) and process.runs_lenet_lab(sweep.pid):
            os.kill(sweep.pid, signal.SIGTERM)
        else:  # no driver to tell: its trials are stopped here
            for run in mine:
                store.mark(run.id, "stopped", expect=ACTIVE, error="the sweep was stopped")
    else:  # one write a waiting trial (no re-read of the store per trial: a sweep may be big)
        for run in mine:
            if run.status == "queued":
                store.mark(run.id, "stopped", expect=("queued",), error=None if run.started else
                           "cancelled: the sweep was stopped before this trial started")
            process.signal_stop(run)  # a training trial checkpoints and ends at its next batch
    process.dispatch(store)  # slots the sweep held go to other waiting runs
    return store.get_sweep(sweep_id)


def resumable(run: Run) -> bool:
    return run.status in ("stopped", "failed")


def resume(sweep_id: str, home: Path | None = None) -> list[str]:
    """Queue the sweep's stopped and failed trials again (a local trial with a checkpoint goes on
    from it; the others start afresh) and set the sweep going; returns their ids. Finished trials
    (completed, diverged, pruned) keep their results."""
    store = store_for(home)
    sweep = store.get_sweep(sweep_id)
    trials = [r for r in process.reap(store) if r.sweep_id == sweep_id]
    if any(r.active for r in trials):
        raise LabError(f"sweep {sweep_id} is still running: stop it first, or let it finish")
    again = [r for r in trials if resumable(r)]
    if not again:
        raise LabError(f"sweep {sweep_id} has nothing to resume: every trial has finished")
    ray = sweep.spec.get("backend") == "ray"
    if ray and (missing := ray_missing()):
        raise LabError(missing)
    for run in again:
        if not ray and run.started is not None and _has_resume_point(run, store.home):
            store.mark(run.id, "queued", expect=("stopped", "failed"))
        else:
            store.requeue_fresh(run.id, hold=ray)
    store.mark_sweep(sweep_id, "running")
    if not ray:
        process.dispatch(store)  # a Ray sweep's caller drives it (or spawns its driver)
    return [r.id for r in again]


def _has_resume_point(run: Run, home: Path) -> bool:
    try:
        resume_point(run.id, home)
    except LabError:
        return False
    return True


# ---- what a sweep shows ----------------------------------------------------------------------

@dataclass(frozen=True)
class SweepProgress:
    state: str  # running | stopping | stopped | incomplete | completed
    counts: dict[str, int]  # trials by status
    total: int

    @property
    def done(self) -> int:
        return sum(n for s, n in self.counts.items() if s not in ACTIVE)

    def words(self) -> str:
        """``running · 3 of 8 trials done (1 training, 4 queued)``."""
        parts = [f"{self.counts[s]} {'training' if s == 'running' else s}"
                 for s in ("running", "queued", "pruned", "diverged", "stopped", "failed")
                 if self.counts.get(s)]
        extra = f" ({', '.join(parts)})" if parts else ""
        return f"{self.state} · {self.done} of {self.total} trials done{extra}"


def progress(sweep: Sweep, trials: list[Run]) -> SweepProgress:
    counts: dict[str, int] = {}
    for run in trials:
        counts[run.status] = counts.get(run.status, 0) + 1
    active = any(r.active for r in trials)
    if sweep.status == "stopped":
        state = "stopping" if active else "stopped"
    elif active:
        state = "running"
    elif any(resumable(r) for r in trials):
        state = "incomplete"
    else:
        state = "completed"
    return SweepProgress(state, counts, len(trials))


def trial_scores(sweep: Sweep, trials: list[Run], metrics: pd.DataFrame) -> dict[str, float | None]:
    """Each trial's value of the sweep's metric: its best over the epochs evaluated so far."""
    name, mode = sweep.spec.get("metric", "test_acc"), sweep.spec.get("mode", "max")
    scores: dict[str, float | None] = {}
    for run in trials:
        values = metrics.loc[(metrics["run_id"] == run.id) & (metrics["name"] == name), "value"].dropna()
        scores[run.id] = None if values.empty else float(values.max() if mode == "max" else values.min())
    return scores


WORST_UNITS = "worst layer, epoch 1"  # the trials table's inside figure


def worst_units(inside: pd.DataFrame, run_id: str) -> str | None:
    """The trial's activation layer with the largest saturated or dead share at its first epoch's
    last reporting point ("sigmoid2 61% saturated"), or None before it has one."""
    rows = inside[(inside["run_id"] == run_id) & inside["name"].isin(["saturated", "dead"])
                  & (inside["epoch"] <= 1.0 + 1e-9)]
    if rows.empty:
        return None
    last = rows[rows["step"] == rows["step"].max()]
    worst = last.loc[last["value"].idxmax()]
    return f"{worst['layer']} {worst['value']:.0%} {worst['name']}"


def trial_table(sweep: Sweep, trials: list[Run], metrics: pd.DataFrame, now: float | None = None,
                inside: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per trial, the best first: trial number, each varied setting, status, the metric,
    best test accuracy, duration, id; with ``inside`` (the trials' inside figures), each trial's
    worst activation layer at epoch 1 (:func:`worst_units`) before the id."""
    fields_ = varied_fields(sweep, trials)
    metric = sweep.spec.get("metric", "test_acc")
    scores = trial_scores(sweep, trials, metrics)
    best_acc = trial_scores(_with_metric(sweep, "test_acc"), trials, metrics)
    rows = []
    for run in trials:
        row: dict[str, Any] = {"trial": run.trial}
        row.update({f: config_value(run.config, f) for f in fields_})
        row.update({"status": _status_words(run), metric: scores[run.id],
                    "best test acc": best_acc[run.id],
                    "duration": format_duration(report.duration(run, now)), "id": run.id})
        if inside is not None:
            row[WORST_UNITS] = worst_units(inside, run.id)
        rows.append(row)
    columns = ["trial", *fields_, "status", metric, "best test acc", "duration",
               *([WORST_UNITS] if inside is not None else []), "id"]
    columns = list(dict.fromkeys(columns))  # metric test_acc and best test acc are two columns
    table = pd.DataFrame(rows, columns=columns)
    ascending = sweep.spec.get("mode", "max") == "min"
    return table.sort_values([metric, "trial"], ascending=[ascending, True], na_position="last",
                             kind="stable").reset_index(drop=True)


def _with_metric(sweep: Sweep, metric: str) -> Sweep:
    return Sweep(sweep.id, sweep.name, sweep.created, {**sweep.spec, "metric": metric,
                                                       "mode": METRICS[metric]},
                 sweep.status, sweep.pid, sweep.finished, sweep.error)


def _status_words(run: Run) -> str:
    if run.status == "pruned" and run.rung:
        return f"pruned after epoch {run.rung}"
    return run.status


def best_trial(sweep: Sweep, trials: list[Run], metrics: pd.DataFrame) -> Run | None:
    """The trial with the best value of the metric (None before any was evaluated)."""
    scores = {k: v for k, v in trial_scores(sweep, trials, metrics).items() if v is not None
              and math.isfinite(v)}
    if not scores:
        return None
    pick = max if sweep.spec.get("mode", "max") == "max" else min
    best_id = pick(scores, key=scores.get)
    return next(r for r in trials if r.id == best_id)


def varied_fields(sweep: Sweep, trials: list[Run]) -> list[str]:
    """The settings whose value differs between the sweep's trials: a sweep recorded before
    single-valued lines (``epochs = 3``) were left out lists those too."""
    fields_ = list(sweep.spec.get("fields", []))
    if len(trials) < 2:
        return fields_
    return [f for f in fields_ if len({config_value(r.config, f) for r in trials}) > 1]


def varied_words(fields_: list[str], run: Run) -> str:
    """``lr=0.1 · batch_size=64``: a trial's values of the varied settings."""
    return " · ".join(f"{f}={format_setting(config_value(run.config, f))}" for f in fields_)


def trial_labels(sweep: Sweep, trials: list[Run]) -> dict[str, str]:
    """A short legend label per trial: ``3: lr=0.1 · batch_size=64``."""
    fields_ = varied_fields(sweep, trials)
    return {r.id: f"{r.trial}: {varied_words(fields_, r)}" for r in trials}


def top_trials(sweep: Sweep, trials: list[Run], metrics: pd.DataFrame, count: int = 5) -> list[str]:
    table = trial_table(sweep, trials, metrics)
    metric = sweep.spec.get("metric", "test_acc")
    return table.loc[table[metric].notna(), "id"].head(count).tolist()


def space_of(sweep: Sweep) -> Space:
    """The stored space, parsed again (for the page's description)."""
    stored = sweep.spec.get("space", {})
    return parse_space(stored.get("grid", []), stored.get("random", []),
                       stored.get("samples") if stored.get("random") else None)
