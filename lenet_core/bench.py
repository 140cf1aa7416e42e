"""Benchmarks, side by side in one process: the tutorial's loop, our engine, the compute floor.

Three ways to train the same model (``lenet-classic``) on the same data for the same epochs,
interleaved A B C A B C ... because this machine's speed drifts from moment to moment:

A  the tutorial's loop (d2l's ``train_ch6`` step): a torchvision dataset with ``ToTensor``,
   ``DataLoader(shuffle=True, num_workers=4)``, ``.to(device)`` per batch, ``float(...)`` of the
   loss and the correct count after every step. Its plot is left out (that would only slow it).
B  our engine as the Training page runs it: a run in a real run store (SQLite), trained by
   :func:`lenet_core.training.engine.train` with the store's writer, checkpoints and all.
C  the compute floor: the engine's model (same layout) doing forward, backward and step on one
   batch prepared beforehand, repeated as many times as an epoch has batches: no data, no records.

Throughput is training examples over the wall time of the training passes (data handling
included, test evaluation excluded and timed on its own). Around that: the canvas path
(preprocessing + every layer's output), the store's share of an epoch and the cost of a page
reading the store once a second, and the peak memory of a training process.
Entry point: ``python -m lenet_core bench`` (:mod:`lenet_core.cli.bench`), or :func:`run_bench`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from lenet_core import data, paths, runs
from lenet_core.model.architectures import build_model, get_architecture
from lenet_core.training.config import TrainConfig, preset
from lenet_core.training.device import describe_device, resolve_device
from lenet_core.training.engine import SUBSET_SEED, make_optimizer, synchronize, train, use_all_cores
from lenet_core.training.evaluation import input_scaling, prepare_images
from lenet_core.training.records import Recorder, Recorders

ROOT = Path(__file__).resolve().parents[1]
ARCH = "lenet-classic"
TUTORIAL_WORKERS = 4  # d2l's get_dataloader_workers()
TARGETS = {"speedup_vs_tutorial": 3.0, "fraction_of_floor": 0.9, "canvas_ms": 3.0,
           "browser_ms": 500.0, "store_write_share": 0.02, "live_read_slowdown": 0.05,
           "peak_rss_mb": 1536.0}


@dataclass(frozen=True)
class BenchSettings:
    dataset: str | None = None  # None: fashion-mnist when it is available here, else mnist-5k
    rounds: int = 5  # interleaved A B C (B+live) rounds; medians over them
    warmup: int = 1  # rounds run first and left out of the medians
    epochs: int = 1  # per variant and round
    batch_size: int = 256
    lr: float = 0.9
    workers: int = TUTORIAL_WORKERS
    train_subset: int = 0  # train on the first N of the engine's fixed shuffle (0: whole split)
    device: str = "auto"
    seed: int = 0  # round r trains A and B from seed + r
    canvas_repeats: int = 300
    live_reader: bool = True  # the B+live variant: B while a page reads the store once a second
    memory: bool = True  # peak RSS of a `python -m lenet_core train` process
    memory_dataset: str | None = None  # None: the bench's dataset
    quick: bool = False  # a smoke run: timings too short for the store and page-read targets


QUICK = dict(dataset="mnist-5k", rounds=2, canvas_repeats=100, quick=True)


def pick_dataset(requested: str | None) -> str:
    """The full Fashion-MNIST when it is here, else the offline digits (said in the report)."""
    if requested:
        return data.get_dataset(requested).name
    state = data.dataset_availability("fashion-mnist").state
    return "fashion-mnist" if state == data.AVAILABLE else "mnist-5k"


def scratch_home(folder: Path) -> Path:
    """A throwaway LENET_LAB_HOME (the bench's runs stay out of yours) that reads datasets from
    your home's data folder, so a dataset available to you is available to the bench."""
    home = folder / "lab"
    home.mkdir(parents=True, exist_ok=True)
    real = paths.data_dir()
    if real.is_dir() and not (home / "data").exists():
        (home / "data").symlink_to(real, target_is_directory=True)
    return home


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


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

    def __init__(self, name: str, home: Path, folder: Path, settings: BenchSettings,
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

class TimedStoreRecorder(runs.StoreRecorder):
    """The engine's store writer with a stopwatch on each write, split into the writes made
    during the training passes and the rest (the epoch's test metrics, start, finish)."""

    def __init__(self, store: runs.RunStore, run_id: str):
        super().__init__(store, run_id)
        self.in_pass_s, self.in_pass_writes, self.other_s = 0.0, 0, 0.0
        self.write_times: list[float] = []

    def _timed(self, write: Callable[[], None], in_pass: bool) -> None:
        before = self.last_write
        start = time.perf_counter()
        write()
        seconds = time.perf_counter() - start
        if in_pass:
            self.in_pass_s += seconds
            if self.last_write != before:  # progress() writes at most once a second
                self.in_pass_writes += 1
                self.write_times.append(seconds)
        else:
            self.other_s += seconds

    def start(self, info):
        self._timed(lambda: super(TimedStoreRecorder, self).start(info), False)

    def progress(self, progress):
        self._timed(lambda: super(TimedStoreRecorder, self).progress(progress), True)

    def metrics(self, step, epoch, values, wall_time):
        in_pass = "test_acc" not in values
        self._timed(lambda: super(TimedStoreRecorder, self).metrics(step, epoch, values, wall_time),
                    in_pass)

    def finish(self, outcome):
        self._timed(lambda: super(TimedStoreRecorder, self).finish(outcome), False)


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


def engine_config(name: str, settings: BenchSettings, seed: int) -> TrainConfig:
    """The Training page's ``tutorial`` recipe (lenet-classic, SGD, Xavier, [0, 1] pixels as
    ``ToTensor`` gives) on the bench's data, batch, learning rate and epochs."""
    return preset("tutorial", dataset=name, arch=ARCH, epochs=settings.epochs,
                  batch_size=settings.batch_size, lr=settings.lr, seed=seed, device=settings.device,
                  train_subset=settings.train_subset)


def engine_run(name: str, home: Path, settings: BenchSettings, seed: int,
               label: str = "engine") -> dict[str, Any]:
    """One run in the store at ``home``, trained in this process the way ``runs.execute`` (the
    page's detached worker) does it: create, claim, train with the store's writer."""
    store = runs.RunStore(home)
    config = engine_config(name, settings, seed)
    run = store.create(config, name=f"bench {label} seed {seed}")
    if not store.claim(run.id, os.getpid()):
        raise RuntimeError(f"bench run {run.id} could not be claimed")
    writer, clock = TimedStoreRecorder(store, run.id), EpochClock()
    outcome = train(config, Recorders(writer, clock), checkpoint_dir=runs.run_dir(run.id, store.home),
                    run_id=run.id, home=store.home)
    seconds = sum(clock.passes)
    return {"seconds": seconds, "examples": clock.examples * len(clock.passes),
            "eval_s": sum(clock.evals), "test_acc": clock.test_acc[-1] if clock.test_acc else None,
            "train_loss": outcome.summary.get("train_loss"), "train_acc": outcome.summary.get("train_acc"),
            "status": outcome.status, "store_s": writer.in_pass_s, "store_writes": writer.in_pass_writes,
            "store_write_ms": [t * 1e3 for t in writer.write_times],
            "store_share": writer.in_pass_s / seconds if seconds else None}


# ---- C: the compute floor ---------------------------------------------------------------------

class Floor:
    """The engine's model, forward + backward + step on one prepared batch, nothing else."""

    def __init__(self, name: str, home: Path, settings: BenchSettings, device: torch.device):
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


# ---- the page reading the store while a run trains ----------------------------------------------

READER = ("import sys; from pathlib import Path; from lenet_core.bench import live_reader; "
          "live_reader(Path(sys.argv[1]))")


def live_reader(home: Path, interval: float = 1.0) -> None:
    """What the Training page does while a run trains: every second its live panel reads the
    run and its metrics and builds the curves chart (the cached spec and its rows); every two
    seconds the runs table re-reads the list. Runs until SIGTERM, then prints one JSON line:
    the number of ticks and their median ms."""
    import pandas as pd

    from lenet_core import run_views
    from lenet_core.present import charts

    store = runs.RunStore(home)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # One chart first: the first build loads altair's schema (a second or so), which the page
    # server has long done before a run starts.
    sample = pd.DataFrame({"run_id": ["x"], "step": [1], "epoch": [0.2], "name": ["train_loss"],
                           "value": [2.3], "wall_time": [0.0]})
    charts.training_curves_spec(sample, epochs=1)
    run_views.runs_table(store.list())
    times: list[float] = []
    print("ready", flush=True)
    tick = 0
    while not stop.wait(interval):
        start = time.perf_counter()
        all_runs = store.list()
        if tick % 2 == 0:
            run_views.runs_table(all_runs)
        for run in (r for r in all_runs if r.active):
            run = store.get(run.id)
            metrics = store.metrics(run.id)
            run_views.progress_view(run)
            if not metrics.empty:
                run_views.latest_test_acc(metrics)
                spec, rows = charts.training_curves_spec(metrics, epochs=run.config.epochs)
                rows.to_json()  # what Streamlit then serialises: the rows (as Arrow)
        times.append(time.perf_counter() - start)
        tick += 1
    print(json.dumps({"reads": len(times), "median_ms": (median(times) or 0.0) * 1e3}), flush=True)


class LiveReader:
    """A reader process, started (and ready) before a run and stopped after it."""

    def __init__(self, home: Path):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                                     os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen([sys.executable, "-c", READER, str(home)], cwd=ROOT, env=env,
                                        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        self.process.stdout.readline()  # "ready": its imports are done before the run starts

    def stop(self) -> dict[str, Any]:
        self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=60)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        return json.loads(lines[-1]) if lines else {"reads": 0, "median_ms": None}


# ---- canvas and memory ---------------------------------------------------------------------------

def canvas_figures(repeats: int) -> dict[str, Any]:
    """bench/bench_canvas.py's measurement (the Draw page's per-stroke work) on the bundled model,
    plus the browser's stroke-to-guess latency that the e2e test last wrote, if any."""
    script = ROOT / "bench" / "bench_canvas.py"
    out: dict[str, Any] = {}
    if script.is_file():
        spec = importlib.util.spec_from_file_location("bench_canvas", script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        label, model, arch = module.models()[0]
        result = module.measure(model, arch, module.drawing(), repeats)
        out = {"model": label, "repeats": repeats,
               "canvas_ms_median": result["preprocess + forward_all"],
               "preprocess_ms": result["preprocess"], "forward_all_ms": result["forward_all"],
               "bare_forward_ms": result["bare forward"],
               "forward_all_overhead": ratio(result["forward_all"], result["bare forward"]),
               "canvas_overhead_ms": result["preprocess + forward_all"] - result["bare forward"]}
    latency = ROOT / "test-artifacts" / "latency.json"
    if latency.is_file():
        try:
            figures = json.loads(latency.read_text())
        except (OSError, ValueError):
            figures = None
        if isinstance(figures, dict):
            out["browser_latency"] = figures
            out["browser_latency_written"] = time.strftime(
                "%Y-%m-%d %H:%M", time.localtime(latency.stat().st_mtime))
    return out


def peak_rss_of_training(name: str, device: str, train_subset: int = 0) -> dict[str, Any]:
    """Peak resident memory of a fresh `python -m lenet_core train` process: one epoch of
    ``name``, as a run started from the dashboard (a process of its own) trains it."""
    work = Path(tempfile.mkdtemp(prefix="lenet-bench-mem-"))
    home = scratch_home(work)
    env = {**os.environ, "LENET_LAB_HOME": str(home),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
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


# ---- the whole bench ------------------------------------------------------------------------------

@dataclass
class Samples:
    """Each variant's per-round results."""

    rounds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, variant: str, result: dict[str, Any]) -> None:
        result["examples_per_sec"] = result["examples"] / result["seconds"] if result["seconds"] else 0.0
        self.rounds.setdefault(variant, []).append(result)

    def values(self, variant: str, key: str) -> list[float]:
        return [r[key] for r in self.rounds.get(variant, []) if r.get(key) is not None]

    def median(self, variant: str, key: str = "examples_per_sec") -> float | None:
        return median(self.values(variant, key))


def load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def run_bench(settings: BenchSettings, log: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Every measurement; returns the report (see :func:`summarise` for its keys)."""
    use_all_cores()  # as the engine does: the same thread count for A, B and C
    device = resolve_device(settings.device)
    name = pick_dataset(settings.dataset)
    work = Path(tempfile.mkdtemp(prefix="lenet-bench-"))
    home = scratch_home(work)
    load_before = load_average()
    samples = Samples()
    try:
        log(f"bench: {name}, {settings.rounds} rounds of {settings.epochs} epoch(s), "
            f"{describe_device(device).summary}, load average {_fmt(load_before, '.1f')}")
        tutorial = TutorialLoop(name, home, work / "torchvision", settings, device)
        floor = Floor(name, home, settings, device)
        variants: dict[str, Callable[[int], dict[str, Any]]] = {
            "tutorial": tutorial.run,
            "engine": lambda seed: engine_run(name, home, settings, seed),
            "floor": floor.run,
        }
        if settings.live_reader:
            variants["engine_live"] = lambda seed: _with_reader(home, name, settings, seed)
        # Warm-up rounds are run and shown but left out of the medians: a variant's first epoch
        # in a process is up to 30 % slower (oneDNN builds its kernels for the new shapes).
        for round_ in range(settings.warmup + settings.rounds):
            warm_up = round_ < settings.warmup
            for variant, run in variants.items():
                result = run(settings.seed + round_)
                samples.add(f"warmup_{variant}" if warm_up else variant, result)
                label = "warm-up" if warm_up else f"round {round_ + 1 - settings.warmup}"
                log(f"  {label:<8} {variant:<11} {result['examples_per_sec']:>9,.0f} ex/s"
                    + (f"  test acc {result['test_acc']:.3f}" if result.get("test_acc") is not None
                       else ""))
        canvas = canvas_figures(settings.canvas_repeats) if settings.canvas_repeats else {}
        memory = None
        if settings.memory:
            memory_name = settings.memory_dataset or name
            log(f"  peak memory: one epoch of {memory_name} in a fresh train process ...")
            memory = peak_rss_of_training(memory_name, settings.device,
                                          settings.train_subset if memory_name == name else 0)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return summarise(settings, name, device, samples, canvas, memory, load_before, load_average())


def _with_reader(home: Path, name: str, settings: BenchSettings, seed: int) -> dict[str, Any]:
    reader = LiveReader(home)
    try:
        result = engine_run(name, home, settings, seed, label="engine+live")
    finally:
        reads = reader.stop()
    result.update(page_reads=reads["reads"], page_read_ms=reads["median_ms"])
    return result


def summarise(settings: BenchSettings, name: str, device: torch.device, samples: Samples,
              canvas: dict[str, Any], memory: dict[str, Any] | None, load_before: float | None,
              load_after: float | None) -> dict[str, Any]:
    a, b, c = (samples.median(v) for v in ("tutorial", "engine", "floor"))
    a_reported = samples.median("tutorial", "reported_examples_per_sec")
    live = samples.median("engine_live")
    acc_a, acc_b = samples.median("tutorial", "test_acc"), samples.median("engine", "test_acc")
    store_ms = [ms for r in samples.rounds.get("engine", []) for ms in r["store_write_ms"]]
    described = describe_device(device)
    report = {
        "device": described.summary, "device_kind": described.kind,
        "threads": torch.get_num_threads(), "torch": torch.__version__,
        "dataset": name, "train_examples": samples.rounds["engine"][0]["examples"] // settings.epochs,
        "settings": asdict(settings),
        "tutorial_examples_per_sec": a, "engine_examples_per_sec": b, "floor_examples_per_sec": c,
        "speedup_vs_tutorial": ratio(b, a), "fraction_of_floor": ratio(b, c),
        "tutorial_reported_examples_per_sec": a_reported,
        "speedup_vs_tutorial_reported": ratio(b, a_reported),
        "tutorial_test_acc": acc_a, "engine_test_acc": acc_b,
        "accuracy_gap_points": (acc_b - acc_a) * 100 if acc_a is not None and acc_b is not None else None,
        "tutorial_eval_s": samples.median("tutorial", "eval_s"),
        "engine_eval_s": samples.median("engine", "eval_s"),
        "store_write_share": samples.median("engine", "store_share"),
        "store_writes_per_epoch": (samples.median("engine", "store_writes") or 0) / settings.epochs,
        "store_write_ms_median": median(store_ms),
        "engine_live_examples_per_sec": live,
        # a run shorter than the reader's first tick measures nothing
        "live_read_slowdown": 1 - live / b if live and b and samples.median("engine_live", "page_reads")
        else None,
        "page_read_ms_median": samples.median("engine_live", "page_read_ms"),
        "canvas_ms_median": canvas.get("canvas_ms_median"),
        "canvas": canvas,
        "peak_rss_mb": memory["peak_rss_mb"] if memory else None,
        "memory": memory,
        "load_average": [load_before, load_after],
        "rounds": {variant: [{k: v for k, v in r.items() if k != "store_write_ms"} for r in results]
                   for variant, results in samples.rounds.items()},
        "targets": TARGETS,
    }
    return report


def settings_for(quick: bool, **overrides: Any) -> BenchSettings:
    """The full bench, or ``--quick`` (the 5,000 digits, two rounds); ``None`` overrides are ignored."""
    base = BenchSettings(**QUICK) if quick else BenchSettings()
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})


# ---- the report as text ------------------------------------------------------------------------

def _fmt(value: float | None, spec: str, suffix: str = "") -> str:
    return "—" if value is None else f"{format(value, spec)}{suffix}"


def _target(value: float | None, target: float, text: str, higher_is_better: bool = False) -> str:
    if value is None:
        return text
    met = value >= target if higher_is_better else value < target
    return f"{text} ({'met' if met else 'missed'})"


def table_rows(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(measure, value, target) for each line of the Performance table."""
    r, t, canvas = report, report["targets"], report["canvas"]
    browser = canvas.get("browser_latency", {}).get("stroke_to_first_guess_ms")
    browser_ms = max(browser.values()) if isinstance(browser, dict) and browser else None
    store, live = _pct(r["store_write_share"]), _pct(r["live_read_slowdown"])
    memory = r.get("memory") or {}
    return [
        ("A tutorial loop (examples/s)", f"{_fmt(r['tutorial_examples_per_sec'], ',.0f')} (its own timer, "
         f"steps only: {_fmt(r['tutorial_reported_examples_per_sec'], ',.0f')})", ""),
        ("B our engine (examples/s)", _fmt(r["engine_examples_per_sec"], ",.0f"), ""),
        ("C compute floor (examples/s)", _fmt(r["floor_examples_per_sec"], ",.0f"), ""),
        ("B/A speedup over the tutorial", f"{_fmt(r['speedup_vs_tutorial'], '.2f', '×')} (over its "
         f"timer's figure: {_fmt(r['speedup_vs_tutorial_reported'], '.2f', '×')})",
         _target(r["speedup_vs_tutorial"], t["speedup_vs_tutorial"],
                 f"≥ {t['speedup_vs_tutorial']:g}×", higher_is_better=True)),
        ("B/C fraction of the floor", _fmt(r["fraction_of_floor"], ".2f"),
         _target(r["fraction_of_floor"], t["fraction_of_floor"], f"≥ {t['fraction_of_floor']:g}",
                 higher_is_better=True)),
        ("test accuracy A / B", f"{_fmt(r['tutorial_test_acc'], '.3f')} / {_fmt(r['engine_test_acc'], '.3f')}"
         f" (B − A: {_fmt(r['accuracy_gap_points'], '+.1f')} points)",
         _target(r["accuracy_gap_points"], -1.0, "B ≥ A − 1 point", higher_is_better=True)),
        ("test evaluation A / B (s)",
         f"{_fmt(r['tutorial_eval_s'], '.2f')} / {_fmt(r['engine_eval_s'], '.2f')}", ""),
        ("canvas: preprocess + every layer (ms)", _fmt(r["canvas_ms_median"], ".2f"),
         _target(r["canvas_ms_median"], t["canvas_ms"], f"< {t['canvas_ms']:g} ms")),
        ("canvas: bare forward pass (ms)", f"{_fmt(canvas.get('bare_forward_ms'), '.2f')} (overhead "
         f"{_fmt(canvas.get('canvas_overhead_ms'), '.2f')} ms)", ""),
        ("browser: end of stroke to new guess (ms)", _fmt(browser_ms, ",.0f"),
         _target(browser_ms, t["browser_ms"], f"< {t['browser_ms']:g} ms")),
        ("store writes, share of epoch time", f"{_fmt(store, '.2f', ' %')} "
         f"({_fmt(r['store_writes_per_epoch'], '.0f')} writes of "
         f"{_fmt(r['store_write_ms_median'], '.1f')} ms)",
         _target(r["store_write_share"], t["store_write_share"], f"< {t['store_write_share']:.0%}")),
        ("page reading the store once a second: slowdown", f"{_fmt(live, '.1f', ' %')} "
         f"({_fmt(r['page_read_ms_median'], '.0f')} ms a read)",
         _target(r["live_read_slowdown"], t["live_read_slowdown"], f"< {t['live_read_slowdown']:.0%}")),
        (f"peak memory of a training process (MB, {memory.get('dataset', '—')})",
         _fmt(r["peak_rss_mb"], ",.0f"),
         _target(r["peak_rss_mb"], t["peak_rss_mb"], f"< {t['peak_rss_mb']:,.0f} MB")),
    ]


def render(report: dict[str, Any]) -> str:
    """The Performance table (Markdown) with a line saying what was measured where."""
    s = report["settings"]
    load = report["load_average"]
    head = (f"{report['dataset']} ({report['train_examples']:,} training examples), {ARCH}, batch "
            f"{s['batch_size']}, SGD lr {s['lr']:g}, {s['epochs']} epoch(s) per variant, {s['rounds']} "
            f"interleaved rounds after {s.get('warmup', 0)} warm-up, medians; {report['device']}, torch "
            f"{report['torch']}; load average "
            f"{_fmt(load[0], '.1f')} before, {_fmt(load[1], '.1f')} after")
    lines = [head, ""]
    if s.get("quick"):
        lines += ["--quick is a smoke run: its epochs last a fraction of a second, too short for the "
                  "store-share and page-reading figures to mean much; run the full bench for those.", ""]
    lines += ["| measure | value | target |", "|---|---|---|"]
    lines += [f"| {measure} | {value} | {target} |" for measure, value, target in table_rows(report)]
    return "\n".join(lines)


def _pct(share: float | None) -> float | None:
    return None if share is None else share * 100
