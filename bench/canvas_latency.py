"""Question: how long from a canvas drawing to a guess with every layer's output? Target: under
3 ms median.

    .venv/bin/python -m bench.canvas_latency [--quick] [--json] [--repeats 500] [--threads N]

The Draw page's per-stroke work, measured on a 280×280 RGBA drawing like the canvas sends:
preprocessing (ink -> 20×20 box -> centre of mass) plus ``forward_pass`` (the checkpoint's
normalisation, every layer's output and the softmax), as the page calls it. For comparison: the
bare forward pass, and the work that comes after the guess is on screen (occlusion saliency, the
layer pictures), and the per-stroke work with torch's default thread count instead of the page's
one thread. Variants are interleaved (A B C A B C ...) and medians quoted, because this machine's
speed drifts from moment to moment.
Models: the bundled digit model plus lenet-classic and lenet5 with fresh weights (speed does not
depend on the weights).
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch
from PIL import Image, ImageDraw

from bench.common import Report, at_least, emit, parser, verdict
from lenet_core.data.preprocess import mnist_style
from lenet_core.inspect.activations import forward_all, forward_pass, saliency, torch_threads
from lenet_core.model.architectures import build_model, get_architecture
from lenet_core.model.checkpoints import CheckpointMeta, load_model, pretrained_path
from lenet_core.present import colours, pictures

BUDGET_MS = 3.0
PAGE = "preprocess + forward_pass"  # as the page runs it: one thread (activations.torch_threads)
MEAN, STD = 0.1307, 0.3081


def drawing() -> np.ndarray:
    """A handwritten-looking 7 on the canvas: white ink, black background baked in, RGBA."""
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    ImageDraw.Draw(image).line([(60, 50), (220, 50), (110, 250)], fill=(255, 255, 255, 255), width=20,
                               joint="curve")
    return np.asarray(image)


def models() -> list[tuple[str, torch.nn.Sequential, CheckpointMeta]]:
    """The bundled model with its checkpoint's metadata; two fresh nets with MNIST's."""
    found = []
    if pretrained_path("digits").is_file():
        model, meta = load_model(pretrained_path("digits"))
        found.append((f"bundled ({meta.arch})", model, meta))
    for arch in ("lenet-classic", "lenet5"):
        meta = CheckpointMeta(arch=arch, dataset="mnist", classes=[str(i) for i in range(10)],
                              mean=MEAN, std=STD)
        found.append((arch, build_model(arch).eval(), meta))
    return found


def layer_pictures(model, outputs) -> None:
    """The layer pictures the page draws after the guess (grids, strips, filters)."""
    scales = colours.layer_scales(model, outputs)
    for name, values in outputs.items():
        v = values.numpy()
        pictures.feature_maps(v, scales[name]) if v.ndim == 3 else pictures.dense_strip(v, scales[name])
    for module in model.children():
        if isinstance(module, torch.nn.Conv2d):
            pictures.filter_grid(module.weight.detach())


def measure(model, meta: CheckpointMeta, rgba: np.ndarray, repeats: int) -> dict[str, float]:
    arch = get_architecture(meta.arch)
    seen = forward_pass(model, meta, mnist_style(rgba).image)
    x, outputs = seen.x, seen.outputs
    target = int(seen.probabilities.argmax())

    def per_stroke():
        forward_pass(model, meta, mnist_style(rgba).image)

    def one_thread(fn):
        def run():
            with torch_threads(1):
                fn()
        return run

    def bare():
        with torch.inference_mode():
            model(x)

    variants = {
        PAGE: one_thread(per_stroke),
        "preprocess": lambda: mnist_style(rgba),
        "forward_all": one_thread(lambda: forward_all(model, x)),
        "bare forward": one_thread(bare),
    }
    slow = {
        "occlusion saliency": one_thread(lambda: saliency(model, x, target, "occlusion", crop=arch.pad)),
        "layer pictures": lambda: layer_pictures(model, outputs),
    }
    times: dict[str, list[float]] = {name: [] for name in [*variants, *slow]}
    for fn in [*variants.values(), *slow.values()]:  # warm up: first calls allocate
        for _ in range(5):
            fn()
    for i in range(repeats):
        for name, fn in variants.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
        if i % 20 == 0:  # the slower after-the-guess work: fewer samples suffice
            for name, fn in slow.items():
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    # Torch's own thread count, measured apart: after a parallel region its worker threads spin
    # for a while, which would slow whatever single-thread variant ran next.
    default = f"same, {torch.get_num_threads()} threads"
    times[default] = []
    for _ in range(repeats):
        start = time.perf_counter()
        per_stroke()
        times[default].append(time.perf_counter() - start)
    return {name: statistics.median(values) * 1e3 for name, values in times.items()}


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--repeats", type=at_least(1), help="interleaved rounds (default 500; --quick 50)")
    p.add_argument("--threads", type=at_least(1), default=None,
                   help="torch's thread count for the comparison row (default: torch's own)")
    args = p.parse_args(argv)
    repeats = args.repeats or (50 if args.quick else 500)
    if args.threads:
        torch.set_num_threads(args.threads)
    rgba = drawing()
    out = Report("Canvas latency: the Draw page's work per stroke",
                 f"torch {torch.__version__}, {torch.get_num_threads()} threads, {repeats} rounds, "
                 f"drawing {rgba.shape[1]}×{rgba.shape[0]} RGBA; medians in ms")
    worst, figures = 0.0, {}
    for label, model, meta in models():
        result = measure(model, meta, rgba, repeats)
        figures[label] = result
        worst = max(worst, result[PAGE])
        for name, ms in result.items():
            out.row(f"{label}: {name} (ms)", f"{ms:.3f}",
                    verdict(ms, BUDGET_MS, f"< {BUDGET_MS:g} ms") if name == PAGE else "")
        overhead = result["forward_all"] / result["bare forward"]
        out.row(f"{label}: forward_all / bare forward", f"{overhead:.2f}×")
    out.figures = {"models": figures, "canvas_ms_worst": worst, "budget_ms": BUDGET_MS, "repeats": repeats}
    emit(out, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
