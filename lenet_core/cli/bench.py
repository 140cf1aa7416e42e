"""``bench``: our engine against the tutorial's loop and the compute floor, side by side."""

from __future__ import annotations

import json
import sys

from lenet_core import bench, data
from lenet_core.data import DATASETS
from lenet_core.errors import LabError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "bench", help="measure training speed against the tutorial's loop and the compute floor",
        description="Train lenet-classic the tutorial's way (A: torchvision + DataLoader), with our "
        "engine as the Training page runs it (B: run store, checkpoints) and as bare compute "
        "(C: one prepared batch, repeated), interleaved A B C A B C ..., and report medians and "
        "the ratios B/A and B/C; then the canvas path, the run store's overhead and the peak "
        "memory of a training process. Full run: about 3 minutes on 2 cores; --quick: under a minute.",
    )
    p.add_argument("--quick", action="store_true",
                   help="the 5,000 offline digits (mnist-5k), 2 rounds, 100 canvas repeats")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (tutorial_examples_per_sec, engine_examples_per_sec, "
                   "floor_examples_per_sec, speedup_vs_tutorial, fraction_of_floor, "
                   "canvas_ms_median, device, ...) instead of the table")
    p.add_argument("--dataset", choices=list(DATASETS),
                   help="default: fashion-mnist when available, else mnist-5k (--quick: mnist-5k)")
    p.add_argument("--rounds", type=int, help="interleaved rounds; medians over them (default 5)")
    p.add_argument("--warmup", type=int, help="rounds run first and left out of the medians (default 1: "
                   "a variant's first epoch in a process builds its kernels)")
    p.add_argument("--epochs", type=int, help="epochs per variant and round (default 1)")
    p.add_argument("--train-subset", type=int, metavar="N",
                   help="train on N examples of the engine's fixed shuffle (default: all)")
    p.add_argument("--workers", type=int,
                   help="DataLoader workers of the tutorial's loop (default 4, as the tutorial)")
    p.add_argument("--device", help="auto (default), cpu, cuda, cuda:N or mps")
    p.add_argument("--canvas-repeats", type=int, metavar="N",
                   help="canvas drawings timed (default 300; 0 skips the canvas)")
    p.add_argument("--no-live", action="store_true",
                   help="skip B+live (the engine while a page reads the store once a second)")
    p.add_argument("--no-memory", action="store_true",
                   help="skip the peak memory of a fresh training process")
    p.add_argument("--memory-dataset", choices=list(DATASETS),
                   help="dataset of the memory check (default: the bench's)")
    p.set_defaults(func=run)


# The smallest value of each number flag: a negative --workers reached the DataLoader as a
# ValueError traceback, a negative --canvas-repeats timed nothing after the whole bench.
LOWEST = {"rounds": 1, "epochs": 1, "warmup": 0, "workers": 0, "canvas_repeats": 0, "train_subset": 0}


def out_of_range(args) -> list[str]:
    """One message per number flag below its smallest value."""
    return [f"--{flag.replace('_', '-')}: {getattr(args, flag)} is out of range: at least {low}"
            for flag, low in LOWEST.items()
            if getattr(args, flag) is not None and getattr(args, flag) < low]


def check_datasets(args) -> None:
    """A dataset named on the command line must be here before minutes of benchmarking start; the
    remedy names this home's data folder (the bench's scratch home is a temporary one)."""
    for name in dict.fromkeys(n for n in (args.dataset, args.memory_dataset) if n):
        report = data.dataset_availability(name)
        if report.state != data.AVAILABLE:
            raise LabError(f"{report.title} is {report.state} here, so it cannot be benchmarked: "
                           f"{report.remedy}")


def run(args) -> int:
    problems = out_of_range(args)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 2
    check_datasets(args)
    settings = bench.settings_for(
        args.quick, dataset=args.dataset, rounds=args.rounds, warmup=args.warmup, epochs=args.epochs,
        train_subset=args.train_subset, workers=args.workers, device=args.device,
        canvas_repeats=args.canvas_repeats, memory_dataset=args.memory_dataset,
        live_reader=False if args.no_live else None, memory=False if args.no_memory else None)
    report = bench.run_bench(settings, log=lambda line: print(line, file=sys.stderr, flush=True))
    if args.json:
        print(json.dumps(report))
    else:
        print(bench.render(report))
    return 0
