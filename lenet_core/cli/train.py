"""``train``: train LeNet in the foreground (progress bar), or run a queued run as its worker."""

from __future__ import annotations

import argparse
import json
import signal
import sys

from tqdm import tqdm

from lenet_core import data, runs
from lenet_core.data import DATASETS
from lenet_core.errors import LabError
from lenet_core.format import format_duration, format_metric, format_rate
from lenet_core.runs import check_launch
from lenet_core.runs.report import stuck_note
from lenet_core.training.config import (
    DEFAULTS,
    FIELDS,
    PRESETS,
    SETTINGS,
    Choice,
    TrainConfig,
    YesNo,
    preset_values,
)
from lenet_core.training.records import Outcome, Progress, Recorder

# Exit status of a foreground run: completed 0, stopped 130 (as an interrupted program),
# diverged or failed 1; an invalid request 2 (printed as `error: ...`).
EXIT = {"completed": 0, "stopped": 130, "diverged": 1, "failed": 1}


METAVARS = {"train_subset": "N", "arch": "NAME", "layers": "TEXT"}


def flag(field: str) -> str:
    return f"--{field.replace('_', '-')}"


def add_setting_flags(p: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field, from its declaration: a choice lists its options, yes/no is
    --x / --no-x, and a number is taken as text and checked by config.validate like the Training
    page's fields ("--lr abc": "'abc' is not a number (allowed: > 0 and ≤ 1e7)")."""
    for field, setting in SETTINGS.items():
        default = DEFAULTS[field]
        shown = {True: "on", False: "off"}.get(default, default) if isinstance(default, bool) else default
        kwargs: dict = {"help": f"{setting.help} (default: {shown})"}
        if isinstance(setting.rule, Choice):
            kwargs["choices"] = setting.rule.options
        elif isinstance(setting.rule, YesNo):
            kwargs.update(action=argparse.BooleanOptionalAction, default=None)
        else:
            kwargs["metavar"] = METAVARS.get(field, field.upper())
        p.add_argument(flag(field), dest=field, **kwargs)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "train", help="train a network here with a progress bar, recorded in the run store",
        description="Train LeNet in the foreground. The run is recorded in <LENET_LAB_HOME>/runs.db "
        "like a dashboard run (metrics, checkpoints in runs/<id>/). Ctrl-C stops it between "
        "batches with a checkpoint; --resume ID continues it. Exit status: 0 completed, "
        "130 stopped, 1 diverged/failed, 2 invalid settings.",
    )
    p.add_argument("--preset", choices=list(PRESETS),
                   help="start from a recipe: tutorial (the d2l recipe: the defaults below) or best "
                   "(the most accurate LeNet-sized recipe we found)")
    add_setting_flags(p)
    p.add_argument("--name", help="a name for the run (default: '<arch> · <dataset>')")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object as the last line: run_id, status, epochs, "
                   "train_loss, train_acc, test_acc, examples_per_sec, seconds, device")
    p.add_argument("--resume", metavar="ID", help="continue a stopped run from its last checkpoint")
    p.set_defaults(func=run)


def config_from_args(args) -> tuple[TrainConfig | None, dict[str, str]]:
    """The preset's values, then each flag given; every bad value is named (field: message).

    Checked as the Training page checks its form (:func:`lenet_core.runs.check_launch`), the dataset's
    presence and the device's included, so a run that cannot start is refused before it is
    recorded rather than left in the store as a failed run.
    """
    raw = preset_values(args.preset) if args.preset else {}
    # Each TrainConfig field has a flag of the same name; a flag left out keeps the preset's value.
    raw.update({field: getattr(args, field) for field in FIELDS if getattr(args, field) is not None})
    config, errors = check_launch(raw)
    if "dataset" in errors:
        errors["dataset"] += skipped_files(raw.get("dataset") or TrainConfig.dataset)
    return config, errors


def skipped_files(dataset: str) -> str:
    """The damaged files found on the way (check_launch gives the remedy only): which file is
    wrong is what a user with a truncated download needs to read."""
    problems = data.dataset_availability(dataset).problems if dataset in DATASETS else ()
    return f" (skipped: {'; '.join(problems)})" if problems else ""


def settings_given(args) -> list[str]:
    """The flags that describe a new run (settings, --preset, --name) that were given."""
    given = [flag(field) for field in FIELDS if getattr(args, field) is not None]
    return given + [flag for flag, value in (("--preset", args.preset), ("--name", args.name))
                    if value is not None]


def refuse_settings_on_resume(args) -> None:
    """A resumed run keeps the settings it was started with: a flag that would be ignored is an error."""
    given = settings_given(args)
    if given:
        raise LabError(f"--resume continues run {args.resume} with the settings it started with, so "
                       f"{', '.join(given)} cannot apply: leave {'it' if len(given) == 1 else 'them'} "
                       "out, or start a new run with them")


def run(args) -> int:
    store = runs.store_for()
    if args.resume is not None:  # "--resume ''" is a mistake, not "no resume"
        refuse_settings_on_resume(args)
        run_id = runs.validate_run_id(args.resume)
        runs.prepare_resume(store, run_id, hold=True)  # trained here: never queued for a worker
        resume = True
    else:
        config, errors = config_from_args(args)
        if args.name is not None and (problem := runs.name_problem(args.name)):
            errors["name"] = problem
        if errors:  # one line per bad flag, with its value and what is allowed
            for field, message in errors.items():
                print(f"error: {flag(field)}: {message}", file=sys.stderr)
            return 2
        run_id = store.create(config, args.name).id  # holds its slot: trained here, at once
        resume = False
    console = ConsoleProgress(run_id)
    try:
        outcome = runs.execute(run_id, recorder=console, resume=resume,
                               signals=(signal.SIGTERM, signal.SIGINT))
    finally:
        runs.start_waiting(store)  # this run's slot is free: the next waiting run starts
    if outcome is None:
        print(f"run {run_id} was stopped before it started", file=sys.stderr)
        return EXIT["stopped"]
    run = store.get(run_id)
    print(final_line(run), file=sys.stderr)
    if note := stuck_note(run, store.metrics(run_id)):
        print(note, file=sys.stderr)
    if args.json:
        print(json.dumps(result_json(run)))
    return EXIT[outcome.status]


def result_json(run: runs.Run) -> dict:
    s = run.summary
    return {"run_id": run.id, "status": run.status, "epochs": s.get("epochs"),
            "train_loss": s.get("train_loss"), "train_acc": s.get("train_acc"),
            "test_loss": s.get("test_loss"), "test_acc": s.get("test_acc"),
            "best_test_acc": s.get("best_test_acc"), "examples_per_sec": s.get("examples_per_sec"),
            "seconds": s.get("seconds"), "device": s.get("device"), "params": s.get("params"),
            "error": run.error}


def final_line(run: runs.Run) -> str:
    """The tutorial's closing lines, on one: loss, train acc, test acc, examples/sec on device."""
    s = run.summary
    line = (f"run {run.id} {run.status}: loss {format_metric(s.get('train_loss'))}, "
            f"train acc {format_metric(s.get('train_acc'))}, test acc {format_metric(s.get('test_acc'))}; "
            f"{format_rate(s.get('examples_per_sec'))} examples/sec on {s.get('device')}, "
            f"{format_duration(s.get('seconds'))}")
    return line + (f"\n{run.error}" if run.error else "") + resume_hint(run)


def resume_hint(run: runs.Run) -> str:
    """How to continue a stopped run: Ctrl-C's own output is the only place a user looks for it."""
    if run.status != "stopped" or not runs.checkpoint_paths(run.id):
        return ""
    return f"\ncheckpoint saved: continue with `python -m lenet_core train --resume {run.id}`"


def resume_words(epochs_done: int, batches_done: int) -> str:
    """Where a resumed run picks up, counted as the progress bar counts (epoch and batch 1-based).

    The engine reports what was done (2 epochs, 0 batches); "from epoch 0" read as nonsense.
    """
    if not epochs_done and not batches_done:
        return ""
    return f", resuming at epoch {epochs_done + 1}, batch {batches_done + 1}"


class ConsoleProgress(Recorder):
    """tqdm's progress bar on stderr, one per epoch, with the loss, accuracy and speed; where
    stderr is not a terminal (a log file), one line per epoch instead of a bar redrawn in place."""

    def __init__(self, run_id: str, stream=None):
        self.run_id = run_id
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.bar: tqdm | None = None

    def start(self, info):
        where = resume_words(info["start_epoch"], info["start_batch"])
        print(f"run {self.run_id}: {info['examples']:,} examples, {info['batches']} batches an epoch, "
              f"{info['params']:,} parameters on {info['device']}{where}", file=self.stream)

    def _bar(self, p: Progress) -> tqdm:
        if self.bar is None:
            self.bar = tqdm(total=p.batches, initial=p.batch - 1 if p.batch else 0,
                            desc=f"epoch {p.epoch}/{p.epochs}", unit="batch", file=self.stream,
                            leave=False, dynamic_ncols=True, mininterval=0.1)
        return self.bar

    def progress(self, p: Progress):
        if self.tty:
            bar = self._bar(p)
            bar.set_postfix_str(f"loss {format_metric(p.train_loss)} acc {format_metric(p.train_acc)} "
                                f"{format_rate(p.examples_per_sec)} ex/s", refresh=False)
            bar.update(p.batch - bar.n)
        elif p.batch == p.batches:
            print(f"epoch {p.epoch}/{p.epochs}: batch {p.batch}/{p.batches} loss "
                  f"{format_metric(p.train_loss)} acc {format_metric(p.train_acc)} "
                  f"{format_rate(p.examples_per_sec)} ex/s", file=self.stream, flush=True)

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def metrics(self, step, epoch, values, wall_time):
        if "test_acc" in values:
            self._close()
            print(f"epoch {epoch:.0f}: test loss {format_metric(values['test_loss'])}, "
                  f"test acc {format_metric(values['test_acc'])}, "
                  f"{format_rate(values['examples_per_sec'])} examples/sec",
                  file=self.stream, flush=True)

    def finish(self, outcome: Outcome):
        self._close()
