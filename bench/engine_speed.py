"""Question: how fast does our engine train, against the tutorial's loop and the compute floor?

    .venv/bin/python -m bench.engine_speed [--quick] [--json] [--dataset NAME] [--rounds N] ...

Three ways to train the same model (``lenet-classic``) on the same data for the same epochs,
interleaved A B C A B C ... because this machine's speed drifts from moment to moment:

A  the tutorial's loop (d2l's ``train_ch6`` step): a torchvision dataset with ``ToTensor``,
   ``DataLoader(num_workers=4)``, ``.to(device)`` per batch, ``float(...)`` of the loss and the
   correct count after every step. Its plot is left out (that would only slow it).
B  our engine as the Training page runs it: a run in a real run store (SQLite), trained by
   :func:`lenet_core.training.engine.train` with the store's writer, checkpoints and all.
C  the compute floor: the engine's model (same layout) doing forward, backward and step on one
   batch prepared beforehand, repeated as many times as an epoch has batches: no data, no records.

Throughput is training examples over the wall time of the training passes (data handling
included, test evaluation excluded and timed on its own). Then the peak memory of a fresh
``lenet-lab train`` process. Targets: B ≥ 3× A, B ≥ 0.9 C, B's accuracy within a point of A's,
peak memory under 1.5 GB.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from bench.common import (
    ROOT,
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
from lenet_core import data, runs
from lenet_core.model.architectures import build_model, get_architecture
from lenet_core.training.config import TrainConfig, preset
from lenet_core.training.device import describe_device, resolve_device
from lenet_core.training.engine import SUBSET_SEED, make_optimizer, synchronize, train, use_all_cores
from lenet_core.training.evaluation import input_scaling, prepare_images
from lenet_core.training.records import Recorder, Recorders

ARCH = "lenet-classic"
TUTORIAL_WORKERS = 4  # d2l's get_dataloader_workers()
TARGETS = {"speedup_vs_tutorial": 3.0, "fraction_of_floor": 0.9, "accuracy_gap_points": -1.0,
           "peak_rss_mb": 1536.0}


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
    memory: bool = True  # peak RSS of a `lenet-lab train` process
    quick: bool = False


# ---- A: the tutorial's loop --------------------------------------------------------------------

def torchvision_root(name: str, home: Path, folder: Path) -> tuple[type, Path]:
    """torchvision's MNIST-family class and a root holding ``name``'s splits as it wants them:
    uncompressed idx files in ``<root>/<Class>/raw`` (``download=False`` reads them as they are).
    The arrays come from :func:`data.read_split`, so A reads exactly the data B reads."""
    import torchvision

    class_name = data.TORCHVISION_FOLDER.get(name, "MNIST")  # mnist-5k: MNIST's reader, our files
    raw = folder / class_name / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for split in data.SPLITS:
        images, labels = data.read_split(name, split, home)
        image_stem, label_stem = data.IDX_NAMES[split]
        _write_idx(raw / image_stem, images, data.IDX_IMAGES_MAGIC)
        _write_idx(raw / label_stem, labels, data.IDX_LABELS_MAGIC)
    return getattr(torchvision.datasets, class_name), folder


def _write_idx(path: Path, array, magic: int) -> None:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + array.astype("uint8", copy=False).tobytes())


def _accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """d2l's ``accuracy``: the number of correct predictions, as a Python float."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


@contextmanager
def quiet_workers() -> Iterator[None]:
    """DataLoader warns that 4 workers are more than 2 cores: the tutorial's choice, kept as is."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="This DataLoader will create")
        yield


class EngineShuffles(torch.utils.data.Sampler):
    """The engine's batch order: a randperm per epoch from a generator seeded with the run's seed.

    It stands in for DataLoader's own ``shuffle=True`` sampler (also one randperm per epoch, the
    same cost) so that A and B see the same batches from the same initial weights, and their test
    accuracies compare the two loops rather than two lucky draws: lenet-classic sits on a loss
    plateau (≈ 2.30) through most of its first epoch, and when it leaves it varies from seed to seed.
    """

    def __init__(self, size: int):
        self.size = size
        self.generator = torch.Generator()

    def reseed(self, seed: int) -> None:
        self.generator.manual_seed(seed)

    def __iter__(self):
        return iter(torch.randperm(self.size, generator=self.generator).tolist())

    def __len__(self) -> int:
        return self.size


class TutorialLoop:
    """d2l's ``load_data_fashion_mnist`` + ``train_ch6`` (without the plot), on our data; the
    batches come in the engine's order (:class:`EngineShuffles`)."""

    def __init__(self, name: str, home: Path, folder: Path, settings: Settings,
                 device: torch.device):
        from torch.utils.data import DataLoader, Subset
        from torchvision import transforms

        dataset_class, root = torchvision_root(name, home, folder)
        trans = transforms.Compose([transforms.ToTensor()])
        train_set = dataset_class(root=str(root), train=True, transform=trans, download=False)
        test_set = dataset_class(root=str(root), train=False, transform=trans, download=False)
        if settings.train_subset:  # the engine's subset: first N of the same fixed shuffle
            keep = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(SUBSET_SEED))
            train_set = Subset(train_set, keep[:settings.train_subset].tolist())
        self.shuffles = EngineShuffles(len(train_set))
        with quiet_workers():
            self.train_iter = DataLoader(train_set, settings.batch_size, sampler=self.shuffles,
                                         num_workers=settings.workers)
            self.test_iter = DataLoader(test_set, settings.batch_size, shuffle=False,
                                        num_workers=settings.workers)
        self.examples = len(train_set)
        self.settings, self.device = settings, device

    def run(self, seed: int) -> dict[str, Any]:
        """Train from scratch for ``settings.epochs``; wall time of the epochs, then test accuracy."""
        self.shuffles.reseed(seed)
        torch.manual_seed(seed)
        net = build_model(ARCH, init="default")

        def init_weights(m):
            if type(m) is nn.Linear or type(m) is nn.Conv2d:
                nn.init.xavier_uniform_(m.weight)

        net.apply(init_weights)
        net.to(self.device)
        optimizer = torch.optim.SGD(net.parameters(), lr=self.settings.lr)
        with quiet_workers():
            return self._train(net, optimizer)

    def _train(self, net: nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
        loss = nn.CrossEntropyLoss()
        passes = []
        timer = 0.0  # d2l's Timer: only the steps, not the wait for the next batch
        for _ in range(self.settings.epochs):
            metric = [0.0, 0.0, 0.0]  # d2l.Accumulator(3): loss sum, correct, examples
            net.train()
            start = time.perf_counter()
            for X, y in self.train_iter:
                step_start = time.perf_counter()
                optimizer.zero_grad()
                X, y = X.to(self.device), y.to(self.device)
                y_hat = net(X)
                lo = loss(y_hat, y)
                lo.backward()
                optimizer.step()
                with torch.no_grad():
                    metric = [a + float(b) for a, b in
                              zip(metric, (lo * X.shape[0], _accuracy(y_hat, y), X.shape[0]))]
                timer += time.perf_counter() - step_start
            synchronize(self.device)
            passes.append(time.perf_counter() - start)
        start = time.perf_counter()
        test_acc = self.evaluate(net)
        examples = self.examples * len(passes)
        return {"seconds": sum(passes), "examples": examples,
                # what train_ch6 prints: examples over the time inside its Timer
                "reported_examples_per_sec": examples / timer if timer else None,
                "eval_s": time.perf_counter() - start, "test_acc": test_acc,
                "train_loss": metric[0] / metric[2], "train_acc": metric[1] / metric[2]}

    def evaluate(self, net: nn.Module) -> float:
        """d2l's ``evaluate_accuracy_gpu``."""
        net.eval()
        correct, count = 0.0, 0.0
        with torch.no_grad():
            for X, y in self.test_iter:
                X, y = X.to(self.device), y.to(self.device)
                correct, count = correct + _accuracy(net(X), y), count + y.numel()
        return correct / count



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
    ``ToTensor`` gives) on the bench's data, batch, learning rate and epochs."""
    return preset("tutorial", dataset=name, arch=ARCH, epochs=settings.epochs,
                  batch_size=settings.batch_size, lr=settings.lr, seed=seed, device=settings.device,
                  train_subset=settings.train_subset)


def engine_run(name: str, home: Path, settings: Settings, seed: int, label: str = "engine",
               writer: type[runs.StoreRecorder] = runs.StoreRecorder) -> dict[str, Any]:
    """One run in the store at ``home``, trained in this process the way the worker does it:
    create, claim, train with the store's writer (``writer``: a timed one, for the store bench)."""
    store = runs.RunStore(home)
    config = engine_config(name, settings, seed)
    run = store.create(config, name=f"bench {label} seed {seed}")
    if not store.claim(run.id, os.getpid()):
        raise RuntimeError(f"bench run {run.id} could not be claimed")
    recorder, clock = writer(store, run.id), EpochClock()
    outcome = train(config, Recorders(recorder, clock), checkpoint_dir=runs.run_dir(run.id, store.home),
                    run_id=run.id, home=store.home)
    return {"seconds": sum(clock.passes), "examples": clock.examples * len(clock.passes),
            "eval_s": sum(clock.evals), "test_acc": clock.test_acc[-1] if clock.test_acc else None,
            "train_loss": outcome.summary.get("train_loss"), "train_acc": outcome.summary.get("train_acc"),
            "status": outcome.status, "recorder": recorder}



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



# ---- memory -------------------------------------------------------------------------------------

def peak_rss_of_training(name: str, device: str, train_subset: int = 0) -> dict[str, Any]:
    """Peak resident memory of a fresh `python -m lenet_core train` process: one epoch of
    ``name``, as a run started from the dashboard (a process of its own) trains it."""
    work = Path(tempfile.mkdtemp(prefix="lenet-bench-mem-"))
    home = scratch_home(work)
    env = {**os.environ, "LENET_LAB_HOME": str(home)}
    command = [sys.executable, "-m", "lenet_core", "train", "--dataset", name, "--arch", ARCH,
               "--epochs", "1", "--device", device, "--json"]
    if train_subset:
        command += ["--train-subset", str(train_subset)]
    try:
        with open(work / "out.txt", "w") as out:
            start = time.perf_counter()
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                       stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
            _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage
            process.returncode = os.waitstatus_to_exitcode(status)
            seconds = time.perf_counter() - start
        # Linux reports kilobytes, macOS bytes
        peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        lines = (work / "out.txt").read_text().strip().splitlines()
        result = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"peak_rss_mb": peak / 2**20, "exit_status": process.returncode, "dataset": name,
            "process_s": seconds, "examples_per_sec": result.get("examples_per_sec"),
            "test_acc": result.get("test_acc")}


@dataclass
class Samples:
    """Each variant's per-round results."""

    rounds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, variant: str, result: dict[str, Any]) -> None:
        result.pop("recorder", None)  # the live writer object: not a figure
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
            memory = peak_rss_of_training(name, settings.device, settings.train_subset)
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
