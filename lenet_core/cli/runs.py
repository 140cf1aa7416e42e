"""``runs``: list, show, stop, resume, delete and export the runs in the run store."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from lenet_core import runs
from lenet_core.errors import LabError
from lenet_core.format import format_count, format_duration, format_metric, format_rate, format_significant
from lenet_core.runs import diagnosis, queue, report
from lenet_core.runs.export import to_csv, write_csv


def seconds(text: str) -> float:
    """A time to wait: a finite number of seconds, 0 or more (argparse reports the message)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text} is out of range: 0 or more seconds, and finite")
    return value


def epoch_number(text: str) -> int:
    """An epoch whose checkpoint to take: a whole number, 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of epochs") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is out of range: epochs count from 1")
    return value


def add_parser(sub) -> None:
    p = sub.add_parser("runs", help="list, show, stop, resume, delete or export training runs",
                       description="The training runs recorded in <LENET_LAB_HOME>/runs.db.")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)

    v = verbs.add_parser("list", help="every run, newest first")
    v.add_argument("--json", action="store_true", help="a JSON list of objects")
    v.set_defaults(func=list_runs)

    v = verbs.add_parser("show", help="one run: config, status, summary, checkpoints")
    v.add_argument("id")
    v.add_argument("--json", action="store_true", help="one JSON object")
    v.add_argument("--inside", action="store_true",
                   help="why it learns, or does not: a diagnosis in words, and each layer's gradient, "
                   "step size and saturated or dead share at the latest reporting point")
    v.set_defaults(func=show)

    v = verbs.add_parser("stop", help="stop a run between batches (it saves a checkpoint)")
    v.add_argument("id")
    v.add_argument("--wait", type=seconds, default=30.0, metavar="S",
                   help="seconds to wait for it to end (default: 30; 0: do not wait)")
    v.add_argument("--json", action="store_true", help="the run afterwards, as JSON")
    v.set_defaults(func=stop)

    v = verbs.add_parser("resume", help="continue a stopped run in the background")
    v.add_argument("id")
    v.set_defaults(func=resume)

    v = verbs.add_parser("start-waiting", help="start the waiting runs that free slots fit (after "
                         "a trainer vanished, nothing else starts them)")
    v.set_defaults(func=start_waiting)

    v = verbs.add_parser("delete", help="remove a run: its row, metrics and checkpoints")
    v.add_argument("id")
    v.set_defaults(func=delete)

    v = verbs.add_parser("export", help="a run's metrics as CSV (run_id, step, epoch, name, value, "
                         "wall_time), or with --onnx its model as an ONNX file")
    v.add_argument("id")
    v.add_argument("--output", "-o", metavar="FILE",
                   help="write to FILE (default: stdout; with --onnx: ID.onnx, or ID-epoch-N.onnx)")
    v.add_argument("--onnx", action="store_true",
                   help="the run's model as ONNX (Netron, onnxruntime, phone apps): input 'image', "
                   "outputs 'logits' and 'probabilities'; the metadata says how to prepare an image")
    v.add_argument("--epoch", type=epoch_number, metavar="N",
                   help="with --onnx: the checkpoint saved at the end of epoch N (default: the final "
                   "one, else the newest)")
    v.add_argument("--every-layer", action="store_true",
                   help="with --onnx: each layer's output too, named after the layer (conv1, pool1, ...)")
    v.add_argument("--inside", action="store_true",
                   help="the inside figures instead of the curves: run_id, step, epoch, layer, name, "
                   "value (grad_norm, weight_norm, update_ratio, mean, std, saturated, dead)")
    v.set_defaults(func=export)


def summary_line(s: dict) -> str:
    """A run's figures in one line; a figure not measured yet (a run stopped in its first epoch)
    reads "—", not an empty gap ("loss , train acc , test acc  (best 0.000)")."""
    def num(key: str) -> str:
        return format_metric(s.get(key))

    return (f"summary    loss {num('train_loss')}, train acc {num('train_acc')}, "
            f"test acc {num('test_acc')} (best {num('best_test_acc')}), "
            f"{format_rate(s.get('examples_per_sec'))} examples/sec, {format_duration(s.get('seconds'))}, "
            f"{format_count(s.get('params'))} parameters")


def list_runs(args) -> int:
    # A vanished trainer is noticed here, and marked failed; reading starts nothing.
    found = runs.reap(runs.store_for())
    waiting = queue.queue_state(found)
    if args.json:
        print(json.dumps([{**run.to_dict(), "queue_position": waiting.position(run.id)}
                          for run in found]))
        return 0
    if not found:
        print("no runs yet: python -m lenet_core train --preset tutorial")
        return 0
    print(f"{'id':<21} {'status':<12} {'epoch':>7} {'test acc':>8}  {'created':<20} name")
    for run in found:
        epoch = run.progress.get("epoch")
        epochs = run.config.epochs
        done = run.summary.get("epochs", epoch if run.active else None)
        status = report.status_text(run, waiting)
        print(f"{run.id:<21} {status:<12} {f'{done}/{epochs}' if done is not None else '':>7} "
              f"{format_metric(run.summary.get('test_acc')):>8}  {runs.iso(run.created):<20} {run.name}")
    for key in waiting.keys():
        print(f"{key}: {queue.summary(waiting, key)} ({queue.SLOTS_ENV} sets how many)")
    if stalled := report.stalled_words(waiting):
        print(f"{stalled}: python -m lenet_core runs start-waiting")
    return 0


def start_waiting(args) -> int:
    started = runs.start_waiting(runs.store_for())
    print(f"started {len(started)} waiting run{'s' * (len(started) != 1)}"
          + (f": {', '.join(started)}" if started else ""))
    return 0


def show(args) -> int:
    store = runs.store_for()
    runs.reap(store)
    run = store.get(args.id)
    checkpoints = [{"epoch": epoch, "path": str(path)} for epoch, path in runs.checkpoint_paths(run.id)]
    if args.json:
        print(json.dumps({**run.to_dict(), "checkpoints": checkpoints}))
        return 0
    info = run.to_dict()
    for key in ("id", "name", "status", "created", "started", "finished", "device", "error"):
        if info[key] is not None:
            print(f"{key:<10} {info[key]}")
    print("config     " + ", ".join(f"{k}={v}" for k, v in info["config"].items()))
    if run.active and run.progress:
        p = run.progress
        print(f"progress   epoch {p.get('epoch')}/{p.get('epochs')}, batch {p.get('batch')}/"
              f"{p.get('batches')}, ETA {format_duration(p.get('eta_s'))}")
    s = run.summary
    if s:
        print(summary_line(s))
    if note := report.stuck_note(run, store.metrics(run.id)):
        print(f"note       {note}")
        if s.get("per_class_acc"):
            classes = s.get("classes") or range(len(s["per_class_acc"]))
            print("per class  " + ", ".join(f"{c} {format_metric(a)}"
                                            for c, a in zip(classes, s["per_class_acc"])))
    for item in checkpoints:
        print(f"checkpoint epoch {item['epoch']}: {item['path']}")
    if args.inside:
        print_inside(store, run)
    return 0


def print_inside(store, run) -> None:
    """The diagnosis, then each layer's figures at the latest reporting point."""
    seen = diagnosis.of_run(store, run)
    print()
    if seen is None:
        print("inside     nothing recorded yet: the first figures come at the first of five points an epoch")
        return
    for finding in diagnosis.diagnose(seen) or [None]:
        if finding is None:
            print("inside     nothing clear yet: no rule reads these figures as a plateau, a learning rate "
                  "too high, saturation, dead units, or a healthy run")
            continue
        print(f"inside     {finding.title}.")
        print(f"           {finding.evidence}.")
        if finding.advice:
            print(f"           {finding.advice}")
    step = int(seen.figures["step"].max())
    print(f"\nlayer      at step {step}")
    for layer in seen.weighted:
        print(f"{layer:<10} gradient {format_significant(seen.latest(layer, 'grad_norm'))}, weights "
              f"{format_significant(seen.latest(layer, 'weight_norm'))}, a step moved them "
              f"{seen.latest(layer, 'update_ratio') or 0:.2%}")
    for layer in seen.activations:
        share = ("dead", seen.latest(layer, "dead")) if seen.latest(layer, "dead") is not None \
            else ("saturated", seen.latest(layer, "saturated"))
        print(f"{layer:<10} mean {format_significant(seen.latest(layer, 'mean'))}, std "
              f"{format_significant(seen.latest(layer, 'std'))}, {share[1]:.0%} {share[0]}")


def stop(args) -> int:
    run = runs.stop(args.id, wait=args.wait)
    if args.json:
        print(json.dumps(run.to_dict()))
    else:
        print(f"run {run.id}: {run.status}" + (" (stop requested; still finishing)" if run.active else ""))
    return 0


def resume(args) -> int:
    run_id = runs.resume(args.id)
    print(f"run {run_id}: resumed in the background (python -m lenet_core runs show {run_id})")
    return 0


def delete(args) -> int:
    runs.delete(args.id)
    print(f"run {args.id}: deleted")
    return 0


def export(args) -> int:
    if args.onnx:
        return export_onnx(args)
    if args.epoch is not None or args.every_layer:
        raise LabError(f"--{'epoch' if args.epoch is not None else 'every-layer'} is for the ONNX "
                       "export: add --onnx")
    store = runs.store_for()
    store.get(args.id)  # a clear error for an unknown id
    frame = store.inside([args.id]) if args.inside else store.metrics([args.id])
    if args.output:
        write_csv(frame, args.output)
        print(f"{len(frame)} {'inside' if args.inside else 'metric'} rows written to {args.output}",
              file=sys.stderr)
    else:
        to_csv(frame, sys.stdout)
    return 0


def checkpoint_to_export(run: runs.Run, epoch: int | None) -> Path:
    """The run's final checkpoint (else its newest), or the one saved at the end of ``epoch``."""
    found = runs.checkpoint_paths(run.id)
    if not found:
        raise LabError(f"run {run.id} ({run.status}) has no checkpoint yet: one is saved at the end "
                       "of each epoch")
    if epoch is None:
        return runs.best_checkpoint(run.id)
    for number, path in found:
        if number == epoch and path.name.startswith("epoch-"):
            return path
    saved = sorted({number for number, path in found if path.name.startswith("epoch-")})
    listed = ", ".join(map(str, saved)) or "none"
    raise LabError(f"run {run.id} has no checkpoint of epoch {epoch}: its epoch checkpoints are {listed}")


def export_onnx(args) -> int:
    from lenet_core.model import onnx_export  # onnx and onnxruntime: only this command loads them

    run = runs.store_for().get(args.id)
    checkpoint = checkpoint_to_export(run, args.epoch)
    default = f"{run.id}-epoch-{args.epoch}.onnx" if args.epoch else f"{run.id}.onnx"
    path = Path(args.output or default)
    if path.is_dir():  # a folder: the file goes in it, under its usual name
        path = path / default
    data = onnx_export.checkpoint_onnx(checkpoint, every_layer=args.every_layer)
    onnx_export.write_onnx(data, path)
    print(f"{path}: {len(data):,} bytes, ONNX of run {run.id}'s {checkpoint.name} (checked against PyTorch "
          "with onnxruntime); input 'image', outputs 'logits', 'probabilities'"
          + (" and every layer's" if args.every_layer else ""))
    return 0
