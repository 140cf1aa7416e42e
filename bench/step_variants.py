"""Question: what moves the compute floor? One training step of lenet-classic (batch 256) in several variants.

    .venv/bin/python -m bench.step_variants [--quick] [--json] [--seconds 60] [--compile] [--eval]

Each variant trains the same model on one prepared batch (forward, backward, SGD step) in bursts
of a few steps; the bursts are interleaved (A B C ... A B C ...) and the median burst gives
examples/sec, because this machine's speed drifts from moment to moment and other jobs share
its two cores. Variants: memory layout (NCHW, channels-last), threads (1, all cores), oneDNN on
or off, flushing denormals, the engine's per-step extras (index gather, loss/accuracy sums), and
with --compile torch.compile (its compile time printed). --eval times the test-split
evaluation at several batch sizes, under no_grad and inference_mode.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from bench.common import Report, emit, parser, pick_dataset, require
from lenet_core import data
from lenet_core.model.architectures import build_model, get_architecture
from lenet_core.training.engine import use_all_cores
from lenet_core.training.evaluation import prepare_images

BATCH = 256
BURST = 10  # steps per timed burst


class Variant:
    """A model + optimizer + step function, with the global settings it needs while it runs."""

    def __init__(self, name: str, *, channels_last: bool = True, threads: int | None = None,
                 mkldnn: bool = True, flush_denormal: bool = False, engine_extras: bool = False,
                 compiled: bool = False, xs: torch.Tensor, ys: torch.Tensor):
        self.name, self.threads, self.mkldnn, self.flush = name, threads, mkldnn, flush_denormal
        torch.manual_seed(0)
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        self.model = build_model("lenet-classic", init="xavier").to(memory_format=fmt)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.9)
        self.xs = xs.contiguous(memory_format=fmt)
        self.ys = ys
        self.x, self.y = self.xs[:BATCH], self.ys[:BATCH]
        self.extras = engine_extras
        self.loss_sum, self.correct = torch.zeros(()), torch.zeros((), dtype=torch.int64)
        self.forward = self.model
        self.compile_s = None
        if compiled:
            self.forward = torch.compile(self.model)
            start = time.perf_counter()
            with self.settings():
                for _ in range(3):
                    self.step(0)
            self.compile_s = time.perf_counter() - start

    def settings(self):
        variant = self

        class _Settings:
            def __enter__(self):
                self.saved = (torch.get_num_threads(), torch.backends.mkldnn.enabled)
                if variant.threads:
                    torch.set_num_threads(variant.threads)
                torch.backends.mkldnn.enabled = variant.mkldnn
                torch.set_flush_denormal(variant.flush)

            def __exit__(self, *exc):
                torch.set_num_threads(self.saved[0])
                torch.backends.mkldnn.enabled = self.saved[1]
                torch.set_flush_denormal(False)

        return _Settings()

    def step(self, i: int) -> None:
        if self.extras:  # what the engine adds: gather a shuffled batch, keep running sums
            index = torch.randint(0, len(self.ys), (BATCH,))
            x, y = self.xs[index], self.ys[index]
        else:
            x, y = self.x, self.y
        logits = self.forward(x)
        loss = F.cross_entropy(logits, y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        if self.extras:
            with torch.no_grad():
                self.loss_sum += loss.detach() * len(y)
                self.correct += (logits.argmax(1) == y).sum()

    def burst(self) -> float:
        with self.settings():
            start = time.perf_counter()
            for i in range(BURST):
                self.step(i)
            return time.perf_counter() - start


def interleave(variants: list, seconds: float, run: Callable[[object], float]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {v.name: [] for v in variants}
    for v in variants:  # warm up
        run(v)
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for v in variants:
            times[v.name].append(run(v))
    return times


def step_variants(args, xs, ys, out: Report) -> None:
    cores = torch.get_num_threads()
    common = dict(xs=xs, ys=ys)
    variants = [
        Variant(f"channels-last, {cores} threads (the floor)", **common),
        Variant(f"NCHW, {cores} threads", channels_last=False, **common),
        Variant("channels-last, 1 thread", threads=1, **common),
        Variant(f"NCHW, {cores} threads, oneDNN off", channels_last=False, mkldnn=False, **common),
        Variant(f"channels-last, {cores} threads, flush denormals", flush_denormal=True, **common),
        Variant(f"channels-last, {cores} threads + engine's gather and sums", engine_extras=True,
                **common),
    ]
    if args.compile:
        variants.append(Variant(f"torch.compile, channels-last, {cores} threads", compiled=True,
                                **common))
    times = interleave(variants, args.seconds, lambda v: v.burst())
    base = statistics.median(times[variants[0].name])
    for v in variants:
        med = statistics.median(times[v.name])
        note = f"; compiled in {v.compile_s:.1f} s" if v.compile_s else ""
        out.row(f"{v.name} (examples/s)", f"{BURST * BATCH / med:,.0f} ({base / med:.2f}× the floor)",
                f"{len(times[v.name])} bursts{note}")
        out.figures[v.name] = BURST * BATCH / med


class EvalVariant:
    def __init__(self, name, model, test_x, batch, mode):
        self.name, self.model, self.test_x, self.batch, self.mode = name, model, test_x, batch, mode

    def run(self) -> float:
        context = torch.inference_mode if self.mode == "inference_mode" else torch.no_grad
        start = time.perf_counter()
        with context():
            for i in range(0, len(self.test_x), self.batch):
                self.model(self.test_x[i:i + self.batch]).argmax(1)
        return time.perf_counter() - start


def eval_variants(args, test_x, out: Report) -> None:
    model = build_model("lenet-classic", init="xavier").to(memory_format=torch.channels_last).eval()
    variants = [EvalVariant(f"batch {b}, {mode}", model, test_x, b, mode)
                for b in (256, 512, 1024, 2048, len(test_x)) for mode in ("no_grad", "inference_mode")]
    times = interleave(variants, args.seconds / 2, lambda v: v.run())
    for v in variants:
        seconds = statistics.median(times[v.name])
        out.row(f"evaluation of the test split, {v.name} (s)", f"{seconds:.3f}")
        out.figures[f"eval {v.name}"] = seconds


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--dataset", default=None, help="default: fashion-mnist if available, else mnist-5k")
    p.add_argument("--seconds", type=float, default=None, help="interleaving time (default 60 s; --quick 6)")
    p.add_argument("--compile", action="store_true", help="add a torch.compile variant")
    p.add_argument("--eval", action="store_true", help="also time evaluation batch sizes")
    args = p.parse_args(argv)
    args.seconds = args.seconds or (6.0 if args.quick else 60.0)
    use_all_cores()
    name = pick_dataset(args.dataset, args.quick)
    require(name)
    info, arch = data.get_dataset(name), get_architecture("lenet-classic")
    images, labels = data.load_split(name, "train")
    xs = prepare_images(images, info, arch, torch.device("cpu"))
    out = Report("Step variants: what moves the compute floor (lenet-classic, one training step)",
                 f"torch {torch.__version__}, {torch.get_num_threads()} threads, {name}, batch {BATCH}, "
                 f"bursts of {BURST} steps interleaved for {args.seconds:g} s; medians")
    step_variants(args, xs, labels, out)
    if args.eval:
        test_images, _ = data.load_split(name, "test")
        eval_variants(args, prepare_images(test_images, info, arch, torch.device("cpu")), out)
    emit(out, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
