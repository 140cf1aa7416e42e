"""Question: on the Network in 3D page, does every unit and the guess follow the pen at 30 frames a
second in Chromium's software WebGL on this machine? Targets: pointer move → every unit and the
guess drawn ≤ 33 ms at the 95th percentile for LeNet-5 (9,134 units), ≤ 50 ms for lenet-wide
(20,570); hover → the unit's lines drawn ≤ 16 ms; page opened → pad ready ≤ 2 s (from the
navigation's start to the pad taking ink with the model there to answer it, in a fresh tab; the 3D
view, whose three.js loads on its own, follows: both are printed, and the first page after the
server started, which pays the server's first imports); a model's weights ≤ 1 MB, sent once.

    .venv/bin/python -m bench.live_drawing [--quick] [--json] [--strokes 6]

Starts the dashboard (scratch home holding a LeNet-5 run with fresh weights: the cost does not
depend on them) and Debian's Chromium with SwiftShader, opens the page once per model (the bundled
lenet-wide, then the LeNet-5 run), and draws strokes the way a hand does: a pointer move every
30 ms. The element times each frame itself (pages/components/net3d/main.js, ``window.__net3d``):
from the pointer event's time stamp to the end of the frame that prepared the drawing, ran the
network, recoloured every unit and drew the view and the guess. Hovering: from the pointer event
to the lines drawn (``lastHoverMs``). Before this page there was no drawing-time update at all:
the Draw page repaints its 3D view after the pen lifts (bench.stroke_repaint, with ``--before``
for the code before the element).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
from pathlib import Path

from bench.common import Report, at_least, emit, fmt, load_average, log, parser, verdict
from tests.e2e.support import CHROMIUM, WEBGL_ARGS, missing_browser, start_app, sync_playwright

TARGETS = {"lenet-wide": 50.0, "lenet5": 33.0}  # ms, pointer move → drawn, 95th percentile
HOVER_MS, READY_MS, WEIGHTS_BYTES = 16.0, 2000.0, 1_000_000
RUN_NAME = "lenet5-bench"
# Strokes as fractions of the pad: a 7, a 0, a 1, a 4, a 2, a 3.
STROKES = [[(0.25, 0.22), (0.75, 0.22), (0.45, 0.85)],
           [(0.5, 0.15), (0.25, 0.5), (0.5, 0.85), (0.75, 0.5), (0.5, 0.15)],
           [(0.5, 0.15), (0.5, 0.85)],
           [(0.3, 0.15), (0.25, 0.6), (0.75, 0.6), (0.6, 0.3), (0.6, 0.9)],
           [(0.25, 0.3), (0.5, 0.15), (0.75, 0.3), (0.25, 0.85), (0.8, 0.85)],
           [(0.25, 0.2), (0.7, 0.25), (0.45, 0.5), (0.75, 0.7), (0.25, 0.85)]]
MOVE_EVERY_MS = 30
STEP_PX = 8  # a pointer move every MOVE_EVERY_MS along the stroke, this far apart


def seed_run(home: Path) -> None:
    """A completed LeNet-5 run with fresh weights in ``home``'s store."""
    import torch

    from lenet_core.data import get_dataset
    from lenet_core.model.architectures import ARCHITECTURES, build_model
    from lenet_core.model.checkpoints import CheckpointMeta, save_checkpoint
    from lenet_core.runs import store_for
    from lenet_core.training.config import TrainConfig

    store = store_for(home)
    run = store.create(TrainConfig.from_dict({"dataset": "mnist-5k", "arch": "lenet5", "epochs": 1}),
                       name=RUN_NAME)
    info = get_dataset("mnist-5k")
    meta = CheckpointMeta("lenet5", "mnist-5k", list(info.classes), info.mean, info.std, 1,
                          {"test_acc": 0.1}, run.id, run.config.to_dict())
    torch.manual_seed(0)
    save_checkpoint(home / "runs" / run.id / "final.pt", build_model(ARCHITECTURES["lenet5"]).eval(), meta)
    store.mark(run.id, "completed", summary={"test_acc": 0.1})


def element(page):
    """The element's frame, once its pad is ready and its view drawn."""
    page.locator("iframe[src*='net3d']").wait_for(timeout=90_000)
    frame = page.locator("iframe[src*='net3d']").element_handle().content_frame()
    frame.wait_for_function("() => window.__net3d && window.__net3d.readyAt && window.__net3d.viewAt",
                            timeout=90_000)
    return frame


def opened(page) -> tuple[float, float]:
    """A page just opened: ms from the navigation's start to the pad ready, and to the view drawn."""
    frame = element(page)
    start = page.evaluate("() => performance.timeOrigin")
    return (frame.evaluate("() => window.__net3d.readyAt") - start,
            frame.evaluate("() => window.__net3d.viewAt") - start)


def later_visits(browser, url: str, visits: int) -> list[tuple[float, float]]:
    """Fresh tabs on a server that has served the page before: (pad ready, view drawn) each."""
    times = []
    for _ in range(visits):
        context = browser.new_context(viewport={"width": 1280, "height": 1200})
        try:
            page = context.new_page()
            page.goto(url)
            times.append(opened(page))
        finally:
            context.close()
    return times


def draw(page, frame, stroke) -> None:
    box = frame.locator("canvas.net3d-pad").bounding_box()
    points = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in stroke]
    page.mouse.move(*points[0])
    page.mouse.down()
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        steps = max(1, round(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5 / STEP_PX))
        for k in range(1, steps + 1):
            page.mouse.move(x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps)
            page.wait_for_timeout(MOVE_EVERY_MS)
    page.mouse.up()
    page.wait_for_timeout(200)


def hover_times(page, frame, count: int) -> list[float]:
    """Point at ``count`` random units of every plane but the input: ms to their lines drawn."""
    frame.locator("canvas.net3d-canvas").scroll_into_view_if_needed()
    canvas = frame.locator("canvas.net3d-canvas").bounding_box()
    planes = frame.evaluate("() => window.__net3d.spec.planes.map(p => p.size)")
    rng, times = random.Random(0), []
    for _ in range(count * 5):  # units under another plane's tiles are not hovered: try others
        if len(times) == count:
            break
        p = rng.randrange(1, len(planes))
        x, y = frame.evaluate(f"() => window.__net3d.view.screenOf({p}, {rng.randrange(planes[p])})")
        if not (0 <= x < canvas["width"] and 0 <= y < canvas["height"]):
            continue
        page.mouse.move(canvas["x"] + x, canvas["y"] + y)
        page.wait_for_timeout(60)
        if frame.evaluate("() => window.__net3d.view.shownLines !== null"):
            times.append(frame.evaluate("() => window.__net3d.view.lastHoverMs"))
        page.mouse.move(canvas["x"] + 2, canvas["y"] + 2)
        page.wait_for_timeout(30)
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(browser, url: str, model: str | None, strokes: int, hovers: int) -> dict:
    """One model on a fresh page: ready time, frames while drawing, hover times, bytes sent."""
    context = browser.new_context(viewport={"width": 1280, "height": 1200})
    try:
        page = context.new_page()
        page.goto(url)
        ready, view = opened(page)
        frame = element(page)
        if model:  # another model from the picker: the element gets its weights, once
            page.get_by_test_id("stSelectbox").first.click()
            page.get_by_role("option").filter(has_text=model).click()
            frame.wait_for_function("() => window.__net3d.spec.arch === 'lenet5'", timeout=90_000)
            frame = element(page)
        frame.evaluate("() => { window.__net3d.frames.length = 0; }")
        for k in range(strokes):  # two strokes a digit: a fresh pad every other stroke
            if k and k % 2 == 0:
                frame.get_by_role("button", name="Clear").click()
            draw(page, frame, STROKES[k % len(STROKES)])
        frames = frame.evaluate("() => window.__net3d.frames.map(f => [f.done - f.since, f.done - f.start])")
        return {"arch": frame.evaluate("() => window.__net3d.spec.arch"),
                "units": frame.evaluate("() => window.__net3d.spec.planes.reduce((a, p) => a + p.size, 0)"),
                "ready_ms": ready, "view_ms": view, "frames": len(frames),
                "move_ms": [round(a, 1) for a, _ in frames], "work_ms": [round(b, 1) for _, b in frames],
                "hover_ms": hover_times(page, frame, hovers),
                "bundle_bytes": frame.evaluate("() => window.__net3d.bytes.bundle"),
                "view_bytes": frame.evaluate("() => window.__net3d.bytes.spec")}
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--strokes", type=at_least(1), help="strokes per model (default 6; --quick 2)")
    args = p.parse_args(argv)
    if reason := missing_browser():
        sys.exit(f"error: {reason}")
    strokes = args.strokes or (2 if args.quick else 6)
    hovers = 10 if args.quick else 40
    visits = 3 if args.quick else 8
    results = {}
    with tempfile.TemporaryDirectory(prefix="lenet-bench-live-") as scratch:
        home = Path(scratch) / "home"
        home.mkdir()
        seed_run(home)
        server = start_app(home, Path(scratch) / "streamlit.log", "streamlit run")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                     args=WEBGL_ARGS)
                for model in (None, RUN_NAME):  # the first is the first page after the server started
                    figures = measure(browser, server.page_url("network3d"), model, strokes, hovers)
                    results[figures["arch"]] = figures
                    log(f"{figures['arch']}: {figures['frames']} frames")
                warm = later_visits(browser, server.page_url("network3d"), visits)
                browser.close()
        finally:
            server.stop()
    load = load_average()
    out = Report("Network in 3D: drawing, hovering and opening, in Chromium with software WebGL",
                 f"{strokes} strokes per model, a pointer move every {MOVE_EVERY_MS} ms; load average "
                 f"{fmt(load, '.2f')}")
    figures = {}
    for arch, r in results.items():
        moves, hovers_ms = r["move_ms"], r["hover_ms"]
        target = TARGETS[arch]
        summary = {"units": r["units"], "frames": r["frames"],
                   "move_median_ms": statistics.median(moves), "move_p95_ms": percentile(moves, 0.95),
                   "work_median_ms": statistics.median(r["work_ms"]),
                   "work_p95_ms": percentile(r["work_ms"], 0.95),
                   "hover_median_ms": statistics.median(hovers_ms),
                   "hover_p95_ms": percentile(hovers_ms, 0.95),
                   "bundle_kb": r["bundle_bytes"] / 1000,
                   "view_kb": r["view_bytes"] / 1000}
        figures[arch] = summary
        out.row(f"{arch} ({r['units']:,} units): pointer move → drawn, median / p95 (ms)",
                f"{summary['move_median_ms']:.0f} / {summary['move_p95_ms']:.0f}",
                verdict(summary["move_p95_ms"], target, f"p95 ≤ {target:.0f} ms"))
        out.row(f"{arch}: of which the frame's own work, median / p95 (ms)",
                f"{summary['work_median_ms']:.1f} / {summary['work_p95_ms']:.1f}")
        out.row(f"{arch}: hover → lines drawn, median / p95 (ms)",
                f"{summary['hover_median_ms']:.1f} / {summary['hover_p95_ms']:.1f}",
                verdict(summary["hover_p95_ms"], HOVER_MS, f"p95 ≤ {HOVER_MS:.0f} ms"))
        out.row(f"{arch}: weights + view sent once (KB)",
                f"{summary['bundle_kb']:.0f} + {summary['view_kb']:.0f}",
                verdict(r["bundle_bytes"], WEIGHTS_BYTES, "weights ≤ 1 MB"))
    pads, views = [t[0] for t in warm], [t[1] for t in warm]
    opening = {"pad_ready_median_ms": statistics.median(pads), "pad_ready_worst_ms": max(pads),
               "view_drawn_median_ms": statistics.median(views), "view_drawn_worst_ms": max(views),
               "first_visit_pad_ready_ms": results["lenet-wide"]["ready_ms"],
               "first_visit_view_drawn_ms": results["lenet-wide"]["view_ms"]}
    out.row(f"page opened → pad ready, {visits} fresh tabs: median / worst (ms)",
            f"{opening['pad_ready_median_ms']:.0f} / {opening['pad_ready_worst_ms']:.0f}",
            verdict(opening["pad_ready_median_ms"], READY_MS, f"median ≤ {READY_MS:.0f} ms"))
    out.row("page opened → 3D view drawn, the same tabs: median / worst (ms)",
            f"{opening['view_drawn_median_ms']:.0f} / {opening['view_drawn_worst_ms']:.0f}")
    out.row("the first page after the server started (its imports): pad ready / view drawn (ms)",
            f"{opening['first_visit_pad_ready_ms']:.0f} / {opening['first_visit_view_drawn_ms']:.0f}")
    out.figures = {"models": figures, "opening": opening, "strokes": strokes, "load_average": load}
    emit(out, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
