"""``sweep``: search over TrainConfig settings; each trial is a run in the run store.

    python -m lenet_core sweep --preset best --grid lr=0.01,0.03,0.1 --grid batch_size=64,128
    python -m lenet_core sweep --random 8 --space 'lr=log(1e-3,1)' --backend ray --early-stop asha
    python -m lenet_core sweep list | show ID | stop ID | resume ID
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time

import pandas as pd

from lenet_core import runs
from lenet_core.errors import LabError
from lenet_core.format import format_metric, format_setting
from lenet_core.runs import process, ray_tune, sweeps
from lenet_core.runs.space import MAX_TRIALS, METRICS, config_value
from lenet_core.training.config import DEFAULTS, FIELDS, PRESETS

from .train import add_setting_flags, flag

VERBS = ("list", "show", "stop", "resume")
WATCH_EVERY_S = 2.0
# Exit status: 0 every trial has its answer (completed, diverged or pruned); 1 some failed or
# were left incomplete; 130 stopped; 2 a request refused (printed as `error: ...`).
EXIT = {"completed": 0, "incomplete": 1, "stopped": 130, "stopping": 130}


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is out of range: 1 or more")
    return value


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 64:
        raise argparse.ArgumentTypeError(f"{text} is out of range: more than 0, at most 64")
    return value


def add_parser(sub) -> None:
    p = sub.add_parser(
        "sweep", help="search over settings: many runs, through the local queue or Ray Tune",
        description="A sweep trains one run per trial: a base config (--preset and setting flags) with "
        "each trial's values on top. --grid FIELD=V1,V2 crosses listed values; --random N draws N "
        "times from --space FIELD=log(A,B) | range(A,B) | V1,V2. The local backend queues the trials "
        "(LENET_LAB_SLOTS at a time); ray trains them with Ray Tune (an optional extra), with ASHA "
        "early stopping if asked. Verbs: list, show ID, stop ID, resume ID.",
    )
    p.add_argument("verb", nargs="?", choices=VERBS, help="leave out to start a sweep")
    p.add_argument("id", nargs="?", help="the sweep (for show, stop, resume)")
    p.add_argument("--preset", choices=list(PRESETS), help="the base recipe (default: the tutorial's)")
    add_setting_flags(p)
    p.add_argument("--grid", action="append", default=[], metavar="FIELD=VALUES",
                   help="values to cross: lr=0.01,0.03,0.1 (or epochs=range(1,5)); repeat for more fields")
    p.add_argument("--space", action="append", default=[], metavar="FIELD=DIST",
                   help="values to draw with --random: lr=log(1e-3,1), lr=range(0.01,0.1) or "
                   "batch_size=64,128")
    p.add_argument("--random", type=positive_int, metavar="N", help="draws of the --space fields")
    p.add_argument("--metric", default="test_acc", choices=list(METRICS),
                   help="what to optimise (default: test_acc, the best over a trial's epochs)")
    p.add_argument("--early-stop", default="none", choices=sweeps.EARLY_STOPS,
                   help="asha: stop weak trials after epoch 1, 2, 4, ... (Ray backend)")
    p.add_argument("--backend", default="local", choices=sweeps.BACKENDS,
                   help="local: the run queue of this machine; ray: Ray Tune (pip install -r "
                   "requirements-cluster.txt)")
    p.add_argument("--address", help="ray: join this Ray cluster (e.g. HEAD:6379); default: start Ray here")
    p.add_argument("--cpus", type=positive_int, help="ray: CPUs of this machine Ray may use (default: all)")
    p.add_argument("--cpus-per-trial", type=fraction, default=1.0, metavar="N", help="ray: CPUs a trial "
                   "asks for (default: 1)")
    p.add_argument("--gpus-per-trial", type=fraction, metavar="F", help="ray: GPUs a trial asks for, "
                   "e.g. 0.5 for two trials a GPU (default: none)")
    p.add_argument("--storage", metavar="DIR", help="ray: where trials write checkpoints, a folder every "
                   "node reaches (default: LENET_LAB_HOME)")
    p.add_argument("--name", help="a name for the sweep")
    p.add_argument("--yes", action="store_true", help=f"record a sweep of more than {MAX_TRIALS:,} trials")
    p.add_argument("--detach", action="store_true", help="start it and return (it goes on in the background)")
    p.add_argument("--json", action="store_true", help="one JSON object as the last line")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.verb is None:
        if args.id is not None:
            raise LabError(f"{args.id!r}: a sweep is started with flags only; verbs are {', '.join(VERBS)}")
        return start(args)
    if args.verb != "list" and not args.id:
        raise LabError(f"sweep {args.verb} needs a sweep id (python -m lenet_core sweep list)")
    return {"list": list_sweeps, "show": show, "stop": stop, "resume": resume}[args.verb](args)


def base_settings(args) -> dict:
    return {field: getattr(args, field) for field in FIELDS if getattr(args, field) is not None}


def options(args) -> dict:
    picked = {"address": args.address, "cpus": args.cpus, "cpus_per_trial": args.cpus_per_trial,
              "gpus_per_trial": args.gpus_per_trial, "storage": args.storage}
    if args.backend != "ray":
        given = [f"--{k.replace('_', '-')}" for k, v in picked.items()
                 if v is not None and k != "cpus_per_trial"]
        if given or args.cpus_per_trial != 1.0:
            raise LabError(f"{', '.join(given) or '--cpus-per-trial'} applies to --backend ray only")
        return {}
    return {k: v for k, v in picked.items() if v is not None}


def start(args) -> int:
    plan = sweeps.plan(preset=args.preset, base=base_settings(args), grid=args.grid, space=args.space,
                       samples=args.random, metric=args.metric, backend=args.backend,
                       early_stop=args.early_stop, name=args.name, allow_many=args.yes,
                       options=options(args))
    store = runs.store_for()
    if args.detach or plan.backend == "local":
        sweep = sweeps.start(plan, store.home)
    else:
        sweep = sweeps.record(store, plan, pid=None)
    say(f"sweep {sweep.id}: {len(plan.configs)} trials ({plan.space.describe()}), {plan.backend}, "
        f"optimising {plan.metric}")
    if args.detach:
        say(f"it goes on in the background: python -m lenet_core sweep show {sweep.id}")
        if args.json:
            print(json.dumps(sweep_json(store, sweep.id)))
        return 0
    return follow(store, sweep.id, args.json)


def follow(store: runs.RunStore, sweep_id: str, as_json: bool) -> int:
    """Drive (ray) or watch (local) the sweep until every trial has its answer; Ctrl-C stops it."""
    sweep = store.get_sweep(sweep_id)
    if sweep.spec.get("backend") == "ray":
        ray_tune.drive(sweep_id, store.home, say=say)
    else:
        try:
            watch(store, sweep_id)
        except KeyboardInterrupt:
            say(f"stopping sweep {sweep_id} ...")
            sweeps.stop(sweep_id, store.home)
            watch(store, sweep_id)
    return finish(store, sweep_id, as_json)


def watch(store: runs.RunStore, sweep_id: str) -> None:
    """A line as each trial ends, until none is active (the queue trains them; this only reads)."""
    told: set[str] = set()
    while True:
        trials = sorted((r for r in process.reap(store) if r.sweep_id == sweep_id), key=lambda r: r.trial)
        for run in trials:
            if not run.active and run.id not in told:
                told.add(run.id)
                say(trial_line(run, len(trials)))
        if not any(r.active for r in trials):
            return
        time.sleep(WATCH_EVERY_S)


def trial_line(run: runs.Run, total: int) -> str:
    acc = run.summary.get("best_test_acc")
    shown = f" · best test acc {format_metric(acc)}" if isinstance(acc, (int, float)) else ""
    why = f"\n  {run.error}" if run.error and run.status != "stopped" else ""
    return f"trial {run.trial}/{total} {run.status}{shown} · {run.name}{why}"


def finish(store: runs.RunStore, sweep_id: str, as_json: bool) -> int:
    sweep, trials = store.get_sweep(sweep_id), store.sweep_runs(sweep_id)
    metrics = store.metrics([r.id for r in trials])
    state = sweeps.progress(sweep, trials)
    print_table(sweeps.trial_table(sweep, trials, metrics))
    say(f"sweep {sweep_id}: {state.words()}")
    if best := sweeps.best_trial(sweep, trials, metrics):
        say(f"best: trial {best.trial} (run {best.id}); train its config again with: "
            f"{train_command(best)}")
    if state.state == "incomplete":
        say(f"continue it with: python -m lenet_core sweep resume {sweep_id}")
    if as_json:
        print(json.dumps(sweep_json(store, sweep_id)))
    return EXIT.get(state.state, 0)


def train_command(run: runs.Run) -> str:
    """The ``train`` command that trains this trial's config again: a flag for each setting
    that differs from the defaults."""
    parts = ["python -m lenet_core train"]
    for field, value in run.config.to_dict().items():
        if value == DEFAULTS[field]:
            continue
        if isinstance(value, bool):
            parts.append(flag(field) if value else f"--no-{flag(field)[2:]}")
        else:
            parts.append(f"{flag(field)} {shlex.quote(format_setting(value))}")  # layers: spaces, brackets
    return " ".join(parts)


def print_table(table: pd.DataFrame) -> None:
    shown = table.drop(columns=["id"]).copy()
    for column in shown.columns:
        if shown[column].dtype.kind == "f":
            shown[column] = shown[column].map(lambda v: "—" if pd.isna(v) else f"{v:.4g}")
    print(shown.to_string(index=False), file=sys.stderr)


def sweep_json(store: runs.RunStore, sweep_id: str) -> dict:
    sweep, trials = store.get_sweep(sweep_id), store.sweep_runs(sweep_id)
    metrics = store.metrics([r.id for r in trials])
    scores = sweeps.trial_scores(sweep, trials, metrics)
    best = sweeps.best_trial(sweep, trials, metrics)
    fields = sweeps.varied_fields(sweep, trials)
    return {"sweep_id": sweep.id, "name": sweep.name, "state": sweeps.progress(sweep, trials).state,
            "metric": sweep.spec.get("metric"), "backend": sweep.spec.get("backend"),
            "best_run_id": best.id if best else None,
            "trials": [{"trial": r.trial, "run_id": r.id, "status": r.status, "rung": r.rung,
                        "values": {f: config_value(r.config, f) for f in fields}, "score": scores[r.id],
                        "error": r.error} for r in trials]}


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def list_sweeps(args) -> int:
    store = runs.store_for()
    found = store.list_sweeps()
    every = process.reap(store)
    if args.json:
        print(json.dumps([sweep_json(store, s.id) for s in found]))
        return 0
    if not found:
        print("no sweeps yet: python -m lenet_core sweep --preset best --grid lr=0.03,0.1")
        return 0
    for sweep in found:
        trials = [r for r in every if r.sweep_id == sweep.id]
        print(f"{sweep.id}  {sweep.spec.get('backend', 'local'):<5}  "
              f"{sweeps.progress(sweep, trials).words()}  {sweep.name}")
    return 0


def show(args) -> int:
    store = runs.store_for()
    process.reap(store)
    sweep = store.get_sweep(args.id)
    if args.json:
        print(json.dumps(sweep_json(store, sweep.id)))
        return 0
    trials = store.sweep_runs(sweep.id)
    print(f"{sweep.name}: {sweeps.progress(sweep, trials).words()}", file=sys.stderr)
    ids = [r.id for r in trials]
    print_table(sweeps.trial_table(sweep, trials, store.metrics(ids), inside=store.inside(ids)))
    return 0


def stop(args) -> int:
    sweep = sweeps.stop(args.id)
    say(f"sweep {sweep.id}: stopped (its waiting trials are cancelled; training ones end at their "
        "next batch)")
    return 0


def resume(args) -> int:
    store = runs.store_for()
    again = sweeps.resume(args.id, store.home)
    say(f"sweep {args.id}: {len(again)} trial{'s' if len(again) != 1 else ''} queued again")
    sweep = store.get_sweep(args.id)
    if args.detach:
        if sweep.spec.get("backend") == "ray":
            sweeps.spawn_driver(store, args.id)
        return 0
    return follow(store, args.id, args.json)
