"""Question: what does one update of the 3D view cost the server, and how much does it send?
Targets: payload under 500 KB for LeNet's own sizes (lenet-wide, with twice the units: as much more a unit);
Python work well under the 1 s a stroke may take end to end.

    .venv/bin/python -m bench.scene_update [--quick] [--json] [--repeats 20]

Per architecture (fresh weights: the cost does not depend on them): the scene built from every
layer's output (lenet_core.inspect.geometry), the deck and its JSON as Streamlit sends it
(lenet_core.present.scene), with the largest set of lines (a unit of fc1 reads 400); and, once per
network and camera preset, its frame (lenet_core.present.camera: zoom, view height, labels), which
is kept and costs a stroke nothing after the first. The browser's part (deck.gl drawing in WebGL)
is measured by bench.stroke_repaint, not here.
"""

from __future__ import annotations

import statistics
import time

import torch

from bench.common import Report, at_least, emit, parser, verdict
from lenet_core.inspect import geometry, selection
from lenet_core.inspect.activations import forward_all
from lenet_core.model.architectures import ARCHITECTURES, build_model, pad_to_input
from lenet_core.present import camera
from lenet_core.present import scene as scene3d

CLASSES = [str(i) for i in range(10)]


def one_update(arch, model, x) -> tuple[float, int, float]:
    """Milliseconds from the forward pass to the deck's JSON, that JSON's bytes and their goal."""
    start = time.perf_counter()
    outputs, probabilities = forward_all(model, x)
    scene = geometry.build_scene(arch, x, outputs, probabilities, CLASSES)
    edges = selection.unit_edges(model, arch, x, outputs, scene, "fc1", (0,))
    deck = scene3d.build_deck(scene, scene3d.plane_scales(scene, model, outputs),
                              {p.name for p in scene.planes}, edges=edges)
    size = scene3d.payload_bytes(deck)
    return (time.perf_counter() - start) * 1000, size, scene3d.payload_goal(scene.planes)


def frames_ms(arch) -> float:
    """Milliseconds to frame every camera preset of a network the first time (not yet kept)."""
    planes = tuple(geometry.planes(arch))
    camera.frame.cache_clear()
    start = time.perf_counter()
    for view in camera.VIEWS:
        camera.frame(planes, tuple(CLASSES), view)
    return (time.perf_counter() - start) * 1000


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--repeats", type=at_least(1), help="updates per architecture (default 20; --quick 3)")
    args = p.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 20)
    out = Report("3D view: one update on the server", f"torch {torch.__version__}, {repeats} updates "
                 "per architecture, medians; payload = the deck's JSON with 400 lines drawn")
    figures = {}
    for name, arch in ARCHITECTURES.items():
        model = build_model(arch).eval()
        x = pad_to_input(torch.rand(1, 1, 28, 28), arch)
        framing = statistics.median(frames_ms(arch) for _ in range(repeats))
        runs = [one_update(arch, model, x) for _ in range(repeats)]
        ms = statistics.median(r[0] for r in runs)
        kb, limit_kb = runs[0][1] / 1000, runs[0][2] / 1000
        figures[name] = {"ms": ms, "payload_kb": kb, "payload_limit_kb": limit_kb,
                         "frames_first_time_ms": framing}
        out.row(f"{name}: scene + deck + JSON (ms)", f"{ms:.1f}")
        out.row(f"{name}: framing its {len(camera.VIEWS)} presets, first time (ms)", f"{framing:.1f}")
        out.row(f"{name}: payload (KB)", f"{kb:.0f}", verdict(kb, limit_kb, f"< {limit_kb:.0f} KB"))
    out.figures = {"architectures": figures, "repeats": repeats}
    emit(out, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
