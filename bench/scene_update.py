"""Question: what does one update of the 3D view cost the server, and how much does it send?
Targets: each input's values under 150 KB (the pydeck deck they replaced was 0.4–1 MB); a
model's weights and view under 1 MB, sent once; Python work well under the 1 s a stroke may take.

    .venv/bin/python -m bench.scene_update [--quick] [--json] [--repeats 20]

Per architecture (fresh weights: the cost does not depend on them): from the forward pass to
each plane's values as the 3D element is sent them (lenet_core.inspect.geometry, then
lenet_core.present.view_spec.scene_values), and, once per model, the checkpoint's bundle
(lenet_core.model.browser) and the network's view (lenet_core.present.view_spec, which frames every
camera preset). The browser's part is measured by bench.stroke_repaint and bench.live_drawing.
"""

from __future__ import annotations

import json
import statistics
import time

import torch

from bench.common import Report, at_least, emit, parser, verdict
from lenet_core.inspect import geometry
from lenet_core.inspect.activations import forward_all
from lenet_core.model.architectures import ARCHITECTURES, build_model, pad_to_input
from lenet_core.model.browser import bundle_json
from lenet_core.model.checkpoints import CheckpointMeta
from lenet_core.present import camera
from lenet_core.present.view_spec import scene_values, spec_json

CLASSES = [str(i) for i in range(10)]
VALUES_LIMIT = 150_000  # bytes an input's values may take
ONCE_LIMIT = 1_000_000  # bytes a model's weights and view may take, sent once


def one_update(arch, model, x) -> tuple[float, int]:
    """Milliseconds from the forward pass to the values' JSON, and that JSON's bytes."""
    start = time.perf_counter()
    outputs, probabilities = forward_all(model, x)
    scene = geometry.build_scene(arch, x, outputs, probabilities, CLASSES)
    text = json.dumps(scene_values(scene))
    return (time.perf_counter() - start) * 1000, len(text.encode())


def once_per_model(arch, model) -> tuple[float, int, int]:
    """Milliseconds to make a model's bundle and view the first time (presets not yet framed),
    and their bytes."""
    camera.frame.cache_clear()
    meta = CheckpointMeta(arch.name, "mnist-5k", CLASSES, 0.1307, 0.3081)
    start = time.perf_counter()
    bundle, spec = bundle_json(model, meta), spec_json(arch, CLASSES)
    return (time.perf_counter() - start) * 1000, len(bundle.encode()), len(spec.encode())


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--repeats", type=at_least(1), help="updates per architecture (default 20; --quick 3)")
    args = p.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 20)
    out = Report("3D view: what the server makes and sends", f"torch {torch.__version__}, {repeats} "
                 "updates per architecture, medians")
    figures = {}
    for name, arch in ARCHITECTURES.items():
        model = build_model(arch).eval()
        x = pad_to_input(torch.rand(1, 1, 28, 28), arch)
        runs = [one_update(arch, model, x) for _ in range(repeats)]
        ms, values_kb = statistics.median(r[0] for r in runs), runs[0][1] / 1000
        once = [once_per_model(arch, model) for _ in range(repeats)]
        once_ms = statistics.median(r[0] for r in once)
        bundle_kb, view_kb = once[0][1] / 1000, once[0][2] / 1000
        figures[name] = {"ms": ms, "values_kb": values_kb, "once_ms": once_ms, "bundle_kb": bundle_kb,
                         "view_kb": view_kb, "units": sum(p.size for p in geometry.planes(arch))}
        out.row(f"{name}: each input, values (ms)", f"{ms:.1f}")
        out.row(f"{name}: each input, values (KB)", f"{values_kb:.0f}",
                verdict(values_kb, VALUES_LIMIT / 1000, f"< {VALUES_LIMIT // 1000} KB"))
        out.row(f"{name}: once a model, bundle + view (ms)", f"{once_ms:.0f}")
        out.row(f"{name}: once a model, bundle + view (KB)", f"{bundle_kb:.0f} + {view_kb:.0f}",
                verdict(bundle_kb + view_kb, ONCE_LIMIT / 1000, f"< {ONCE_LIMIT // 1000} KB"))
    out.figures = {"architectures": figures, "repeats": repeats, "values_limit_kb": VALUES_LIMIT / 1000,
                   "once_limit_kb": ONCE_LIMIT / 1000}
    emit(out, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
