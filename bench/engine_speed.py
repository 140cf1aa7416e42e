"""Question: how fast does our engine train, against the tutorial's loop and the compute floor?

    .venv/bin/python -m bench.engine_speed [--quick] [--json] [--dataset NAME] [--rounds N] ...

Three ways to train the same model (``lenet-classic``) on the same data for the same epochs,
interleaved A B C A B C ... because this machine's speed drifts from moment to moment:

A  the tutorial's loop (d2l's ``train_ch6`` step): a torchvision dataset with ``ToTensor``,
   ``DataLoader(num_workers=4)``, ``.to(device)`` per batch, ``float(...)`` of the loss and the
   correct count after every step. Its plot is left out (that would only slow it).
B  our engine as the Training page runs it: a run in a real run store (SQLite), trained by
   :func:`lenet_core.training.engine.train` with the store's writer, the inside recorder
   (lenet_core.training.inside), checkpoints and all.
C  the compute floor: the engine's model (same layout) doing forward, backward and step on one
   batch prepared beforehand, repeated as many times as an epoch has batches: no data, no records.

Throughput is training examples over the wall time of the training passes (data handling
included, test evaluation excluded and timed on its own). Then the peak memory of a fresh
``lenet-lab train`` process (:mod:`bench.memory`). Targets: B ≥ 3× A, B ≥ 0.9 C, B's accuracy
within a point of A's, peak memory under 1 GB. A lives in :mod:`bench.tutorial_loop`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from bench.common import (
    Report,
    emit,
    fmt,
    load_average,
    log,
    median,
    parser,
    pick_dataset,
    ratio,
    require,
    scratch_home,
    verdict,
)
from bench.memory import peak_rss_of_training
from bench.tutorial_loop import ARCH, TUTORIAL_WORKERS, TutorialLoop
from lenet_core import data, runs
from lenet_core.model.architectures import build_model, get_architecture
from lenet_core.training.config import TrainConfig, preset
from lenet_core.training.device import describe_device, resolve_device
from lenet_core.training.engine import make_optimizer, synchronize, train, use_all_cores
from lenet_core.training.evaluation import input_scaling, prepare_images
from lenet_core.training.inside import InsideRecorder
from lenet_core.training.records import Recorder, Recorders

# Peak memory: torch alone holds about 650 MB of a training process here (its import 510 MB, the
# optimizer's first use of torch._dynamo 150 MB); docs/performance.md has the rest, stage by stage.
TARGETS = {"speedup_vs_tutorial": 3.0, "fraction_of_floor": 0.9, "accuracy_gap_points": -1.0,
           "peak_rss_mb": 1024.0}


@dataclass(frozen=True)
class Settings:
    dataset: str | None = None  # None: fashion-mnist when it is available here, else mnist-5k
    rounds: int = 5  # interleaved A B C rounds; medians over them
    warmup: int = 1  # rounds run first and left out of the medians
    epochs: int = 1  # per variant and round
    batch_size: int = 256
    lr: float = 0.9
    workers: int = TUTORIAL_WORKERS
    train_subset: int = 0  # train on the first N of the engine's fixed shuffle (0: whole split)
    device: str = "auto"
    seed: int = 0  # round r trains A and B from seed + r
    arch: str = ARCH  # B's network (A and C are the tutorial's)
    memory: bool = True  # peak RSS of a `lenet-lab train` process
    quick: bool = False


# ---- B: our engine, as the Training page runs it ---------------------------------------------

class EpochClock(Recorder):
    """Times each training pass from the engine's own calls: from ``start`` (or the previous
    epoch's checkpoint) to the last batch's progress; then the evaluation, to the test metrics."""

    def __init__(self):
        self.begin = self.pass_end = 0.0
        self.passes: list[float] = []
        self.evals: list[float] = []
        self.test_acc: list[float] = []
        self.examples = 0

    def start(self, info):
        self.examples = info["examples"]
        self.begin = time.perf_counter()

    def progress(self, progress):
        if progress.batch == progress.batches:
            self.pass_end = time.perf_counter()
            self.passes.append(self.pass_end - self.begin)

    def metrics(self, step, epoch, values, wall_time):
        if "test_acc" in values:
            self.evals.append(time.perf_counter() - self.pass_end)
            self.test_acc.append(values["test_acc"])

    def checkpoint(self, epoch, path):
        self.begin = time.perf_counter()


def engine_config(name: str, settings: Settings, seed: int) -> TrainConfig:
    """The Training page's ``tutorial`` recipe (lenet-classic, SGD, Xavier, [0, 1] pixels as
    ``ToTensor`` gives) on the bench's data, batch, learning rate and epochs (and network)."""
    return preset("tutorial", dataset=name, arch=settings.arch, epochs=settings.epochs,
                  batch_size=settings.batch_size, lr=settings.lr, seed=seed, device=settings.device,
                  train_subset=settings.train_subset)


def engine_run(name: str, home: Path, settings: Settings, seed: int, label: str = "engine",
               writer: type[runs.StoreRecorder] = runs.StoreRecorder,
               inside: type[InsideRecorder] = InsideRecorder) -> dict[str, Any]:
    """One run in the store at ``home``, trained in this process the way the worker does it:
    create, claim, train with the store's writer (``writer``: a timed one, for the store bench)
    and the inside recorder (``inside``: a timed one, for the inside bench)."""
    store = runs.store_for(home)
    config = engine_config(name, settings, seed)
    run = store.create(config, name=f"bench {label} seed {seed}")
    if not store.claim(run.id, os.getpid()):
        raise RuntimeError(f"bench run {run.id} could not be claimed")
    recorder, clock = writer(store, run.id), EpochClock()
    looking = inside(recorder)
    outcome = train(config, Recorders(recorder, looking, clock),
                    checkpoint_dir=runs.run_dir(run.id, store.home), run_id=run.id, home=store.home)
    return {"seconds": sum(clock.passes), "examples": clock.examples * len(clock.passes),
            "eval_s": sum(clock.evals), "test_acc": clock.test_acc[-1] if clock.test_acc else None,
            "train_loss": outcome.summary.get("train_loss"), "train_acc": outcome.summary.get("train_acc"),
            "status": outcome.status, "recorder": recorder, "inside": looking}



# ---- C: the compute floor ---------------------------------------------------------------------

class Floor:
    """The engine's model, forward + backward + step on one prepared batch, nothing else."""

    def __init__(self, name: str, home: Path, settings: Settings, device: torch.device):
        images, labels = data.load_split(name, "train", home)
        config = engine_config(name, settings, settings.seed)
        info = input_scaling(data.get_dataset(name), config.normalise)
        self.x = prepare_images(images[:settings.batch_size], info, get_architecture(ARCH), device)
        self.y = labels[:settings.batch_size].to(device)
        examples = settings.train_subset or len(labels)
        self.steps = -(-examples // settings.batch_size) * settings.epochs
        self.config, self.device = config, device

    def run(self, seed: int) -> dict[str, Any]:
        torch.manual_seed(seed)
        model = build_model(ARCH, init=self.config.init).to(self.device, memory_format=torch.channels_last)
        optimizer = make_optimizer(self.config, model)
        model.train()
        synchronize(self.device)
        start = time.perf_counter()
        for _ in range(self.steps):
            loss = F.cross_entropy(model(self.x), self.y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        synchronize(self.device)
        return {"seconds": time.perf_counter() - start, "examples": self.steps * len(self.y)}



@dataclass
class Samples:
    """Each variant's per-round results."""

    rounds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, variant: str, result: dict[str, Any]) -> None:
        result.pop("recorder", None)  # the live writer and inside recorder: not figures
        result.pop("inside", None)
        result["examples_per_sec"] = result["examples"] / result["seconds"] if result["seconds"] else 0.0
        self.rounds.setdefault(variant, []).append(result)

    def values(self, variant: str, key: str) -> list[float]:
        return [r[key] for r in self.rounds.get(variant, []) if r.get(key) is not None]

    def median(self, variant: str, key: str = "examples_per_sec") -> float | None:
        return median(self.values(variant, key))




def run_bench(settings: Settings) -> dict[str, Any]:
    """Every measurement; returns the figures (see :func:`report`)."""
    use_all_cores()  # as the engine does: the same thread count for A, B and C
    device = resolve_device(settings.device)
    name = pick_dataset(settings.dataset, settings.quick)
    require(name)
    work = Path(tempfile.mkdtemp(prefix="lenet-bench-"))
    home = scratch_home(work)
    load_before = load_average()
    samples = Samples()
    try:
        log(f"engine speed: {name}, {settings.rounds} rounds of {settings.epochs} epoch(s), "
            f"{describe_device(device).summary}, load average {fmt(load_before, '.1f')}")
        tutorial = TutorialLoop(name, home, work / "torchvision", settings, device)
        floor = Floor(name, home, settings, device)
        variants: dict[str, Callable[[int], dict[str, Any]]] = {
            "tutorial": tutorial.run,
            "engine": lambda seed: engine_run(name, home, settings, seed),
            "floor": floor.run,
        }
        # Warm-up rounds are run and shown but left out of the medians: a variant's first epoch
        # in a process is up to 30 % slower (oneDNN builds its kernels for the new shapes).
        for round_ in range(settings.warmup + settings.rounds):
            warm_up = round_ < settings.warmup
            for variant, run in variants.items():
                result = run(settings.seed + round_)
                samples.add(f"warmup_{variant}" if warm_up else variant, result)
                label = "warm-up" if warm_up else f"round {round_ + 1 - settings.warmup}"
                log(f"  {label:<8} {variant:<9} {result['examples_per_sec']:>9,.0f} ex/s"
                    + (f"  test acc {result['test_acc']:.3f}" if result.get("test_acc") is not None
                       else ""))
        memory = None
        if settings.memory:
            log(f"  peak memory: one epoch of {name} in a fresh train process ...")
            memory = peak_rss_of_training(name, ARCH, settings.device, settings.train_subset)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    a, b, c = (samples.median(v) for v in ("tutorial", "engine", "floor"))
    acc_a, acc_b = samples.median("tutorial", "test_acc"), samples.median("engine", "test_acc")
    described = describe_device(device)
    return {
        "device": described.summary, "device_kind": described.kind, "threads": torch.get_num_threads(),
        "torch": torch.__version__, "dataset": name,
        "train_examples": samples.rounds["engine"][0]["examples"] // settings.epochs,
        "settings": asdict(settings),
        "tutorial_examples_per_sec": a, "engine_examples_per_sec": b, "floor_examples_per_sec": c,
        "speedup_vs_tutorial": ratio(b, a), "fraction_of_floor": ratio(b, c),
        "tutorial_reported_examples_per_sec": samples.median("tutorial", "reported_examples_per_sec"),
        "tutorial_test_acc": acc_a, "engine_test_acc": acc_b,
        "accuracy_gap_points": (acc_b - acc_a) * 100 if acc_a is not None and acc_b is not None else None,
        "tutorial_eval_s": samples.median("tutorial", "eval_s"),
        "engine_eval_s": samples.median("engine", "eval_s"),
        "peak_rss_mb": memory["peak_rss_mb"] if memory else None, "memory": memory,
        "load_average": [load_before, load_average()],
        "rounds": samples.rounds, "targets": TARGETS,
    }


def report(figures: dict[str, Any]) -> Report:
    r, t, s = figures, TARGETS, figures["settings"]
    out = Report(
        "Engine speed: the tutorial's loop (A), our engine (B), the compute floor (C)",
        f"{r['dataset']} ({r['train_examples']:,} training examples), {ARCH}, batch {s['batch_size']}, "
        f"SGD lr {s['lr']:g}, {s['epochs']} epoch(s) per variant, {s['rounds']} interleaved rounds "
        f"after {s['warmup']} warm-up, medians; {r['device']}, torch {r['torch']}; load average "
        f"{fmt(r['load_average'][0], '.1f')} before, {fmt(r['load_average'][1], '.1f')} after",
        figures=figures)
    out.row("A tutorial loop (examples/s)", f"{fmt(r['tutorial_examples_per_sec'], ',.0f')} (its own "
            f"timer, steps only: {fmt(r['tutorial_reported_examples_per_sec'], ',.0f')})")
    out.row("B our engine (examples/s)", fmt(r["engine_examples_per_sec"], ",.0f"))
    out.row("C compute floor (examples/s)", fmt(r["floor_examples_per_sec"], ",.0f"))
    out.row("B/A speedup over the tutorial", fmt(r["speedup_vs_tutorial"], ".2f", "×"),
            verdict(r["speedup_vs_tutorial"], t["speedup_vs_tutorial"], f"≥ {t['speedup_vs_tutorial']:g}×",
                    higher_is_better=True))
    out.row("B/C fraction of the floor", fmt(r["fraction_of_floor"], ".2f"),
            verdict(r["fraction_of_floor"], t["fraction_of_floor"], f"≥ {t['fraction_of_floor']:g}",
                    higher_is_better=True))
    out.row("test accuracy A / B", f"{fmt(r['tutorial_test_acc'], '.3f')} / "
            f"{fmt(r['engine_test_acc'], '.3f')} (B − A: {fmt(r['accuracy_gap_points'], '+.1f')} points)",
            verdict(r["accuracy_gap_points"], t["accuracy_gap_points"], "B ≥ A − 1 point",
                    higher_is_better=True))
    out.row("test evaluation A / B (s)",
            f"{fmt(r['tutorial_eval_s'], '.2f')} / {fmt(r['engine_eval_s'], '.2f')}")
    out.row("peak memory of a training process (MB)", fmt(r["peak_rss_mb"], ",.0f"),
            verdict(r["peak_rss_mb"], t["peak_rss_mb"], f"< {t['peak_rss_mb']:,.0f} MB"))
    return out


def main(argv: list[str] | None = None) -> int:
    from bench.common import at_least

    p = parser(__doc__)
    p.add_argument("--dataset", choices=list(data.DATASETS),
                   help="default: fashion-mnist when available, else mnist-5k (--quick: mnist-5k)")
    p.add_argument("--rounds", type=at_least(1), help="interleaved rounds (default 5; --quick 2)")
    p.add_argument("--warmup", type=at_least(0), help="rounds left out of the medians (default 1)")
    p.add_argument("--epochs", type=at_least(1), help="epochs per variant and round (default 1)")
    p.add_argument("--train-subset", type=at_least(0), metavar="N", help="train on N examples (default all)")
    p.add_argument("--workers", type=at_least(0), help="DataLoader workers of A (default 4, as the tutorial)")
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:N or mps")
    p.add_argument("--no-memory", action="store_true", help="skip the peak memory of a training process")
    args = p.parse_args(argv)
    base = Settings(rounds=2, quick=True) if args.quick else Settings()
    given = {k: v for k, v in dict(dataset=args.dataset, rounds=args.rounds, warmup=args.warmup,
                                    epochs=args.epochs, train_subset=args.train_subset,
                                    workers=args.workers, device=args.device).items() if v is not None}
    settings = Settings(**{**asdict(base), **given, "memory": not args.no_memory})
    emit(report(run_bench(settings)), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
