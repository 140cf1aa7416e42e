"""The Draw page's 3D view in a real browser (the element, WebGL in software): draw a digit and see
every layer in 3D, framed by every camera preset, turn it, hide a layer, point at a unit and
click it, zoom in on it, and find the unit inspector open on it — and the selection kept when
the drawing changes. Turning, switching layers and pointing send the server nothing.

Also measures the time from the end of a stroke to the 3D view showing the new activations:
from the mouse-up to the first WebGL draw, in the element's frame, after the stroke's values
arrived and its new colours were uploaded (bench/stroke_repaint.py's probe; that bench measures it
side by side with the code before the element). The test asserts twice the 1 s goal, so that a
loaded machine does not fail it, and prints the figure.
"""

import re
import time

import numpy as np

from bench.stroke_repaint import REPAINT_PROBE, TARGET_MS, arm, repaint_times
from lenet_core.inspect import geometry
from lenet_core.model.architectures import get_architecture
from lenet_core.model.checkpoints import load_model, pretrained_path
from lenet_core.present import camera

from .drawing import canvas, hover_canvas, stroke, vertical_line
from .support import ARTIFACTS, MEASUREMENTS, assert_no_exception, expect, go_to, open_app, wait_for_run
from .view3d import (
    BACKGROUND,
    STAGE,
    VIEW,
    Sent,
    changed_share,
    drawn_share,
    element,
    stage_pixels,
    unit_on_screen,
    wait_for_pixels,
)


def drawn_box(pixels: np.ndarray) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` margins, in pixels, between the view's edges and what is
    drawn in it (tiles, lines, labels)."""
    rows, cols = np.nonzero(np.abs(pixels - np.array(BACKGROUND)).max(axis=2) > 40)
    height, width = pixels.shape[:2]
    return int(cols.min()), int(rows.min()), int(width - 1 - cols.max()), int(height - 1 - rows.max())


def bundled_frame(view: str) -> camera.Frame:
    _, meta = load_model(pretrained_path("digits"))
    planes = tuple(geometry.planes(get_architecture(meta.arch)))
    return camera.frame(planes, tuple(str(c) for c in meta.classes), view)


def assert_framed(page, frame, view: str, before: np.ndarray) -> np.ndarray:
    """The preset's picture (it differs from ``before``) is as tall as its frame, and the network
    sits inside it with the frame's margin (less a pixel or two of antialiasing and the view's
    border), centred across (the frame fits the narrowest column; this one is wider)."""
    framed = bundled_frame(view)
    pixels = wait_for_pixels(page, lambda p: drawn_share(p) > 0.01 and changed_share(before, p) > 0.02,
                             timeout_s=15)
    height = frame.locator(STAGE).bounding_box()["height"]
    assert abs(height - framed.height) <= 2, f"{view}: the view is {height} px tall, not {framed.height}"
    left, top, right, bottom = drawn_box(pixels)
    margins = f"{left}, {top}, {right}, {bottom} px"
    assert min(left, top, right, bottom) >= camera.MARGIN - 4, f"{view}: cut off ({margins})"
    assert abs(left - right) <= 12, f"{view}: not centred ({left} px left, {right} px right)"
    return pixels


def draw_stroke(page, points) -> None:
    """A stroke on the canvas, scrolled back into view first (a screenshot of the 3D view
    scrolls the page to it)."""
    canvas(page).scroll_into_view_if_needed()
    box = hover_canvas(page)
    page.wait_for_timeout(200)
    stroke(page, points, box=box)


def keep_picture(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    element(page).locator(STAGE).screenshot(path=str(ARTIFACTS / f"3d-{name}.png"))


def test_draw_see_turn_hide_and_select_a_unit_in_3d(webgl_page, app_server):
    page = webgl_page
    page.add_init_script(REPAINT_PROBE)
    open_app(page, app_server)
    go_to(page, "Draw & Classify", "Draw & classify")
    hover_canvas(page)
    page.wait_for_timeout(350)  # the canvas toolbar fades in under a first hover
    stroke(page, vertical_line())
    expect(page.get_by_role("heading", name="First guess: 1")).to_be_visible()
    wait_for_run(page)
    expect(page.locator(VIEW)).to_be_visible()
    frame = element(page)
    shown = wait_for_pixels(page, lambda p: drawn_share(p) > 0.05)
    assert drawn_share(shown) > 0.05, "the 3D view stayed blank"
    keep_picture(page, "three-quarter")

    # A second stroke: the tiles take the new activations (the camera stays where it was).
    before = stage_pixels(page)
    arm(page)
    draw_stroke(page, [(0.25, 0.2), (0.5, 0.2), (0.75, 0.2)])
    up = time.perf_counter()
    after = wait_for_pixels(page, lambda p: changed_share(before, p) > 0.002)
    polled_ms = (time.perf_counter() - up) * 1000
    assert changed_share(before, after) > 0.002, "the 3D view did not change after a stroke"
    update_ms = repaint_times(page)["repaint"]
    wait_for_run(page)
    assert_no_exception(page)
    line = (f"Draw page, end of stroke → 3D view repainted: {update_ms:.0f} ms on the page's clock "
            f"(goal < {TARGET_MS} ms); {polled_ms:.0f} ms by polling screenshots")
    print(line)
    MEASUREMENTS.append(line)
    assert update_ms < 2 * TARGET_MS, line

    # Turn it with the mouse: the picture changes, and the server hears nothing of it.
    sent = Sent(page)
    still = stage_pixels(page)
    box = frame.locator("canvas.net3d-canvas").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 160, cy + 30, steps=8)
    page.mouse.up()
    turned = wait_for_pixels(page, lambda p: changed_share(still, p) > 0.02, timeout_s=10)
    assert changed_share(still, turned) > 0.02, "dragging did not turn the view"

    shown = turned
    for view in ("side", "top", "front"):  # each preset frames the network anew
        frame.get_by_role("button", name=view, exact=True).click()
        shown = assert_framed(page, frame, view, shown)
        keep_picture(page, view)
    with_input = shown

    # The front camera, input hidden: conv1's maps face the camera.
    frame.get_by_role("checkbox", name="input").uncheck()
    without = wait_for_pixels(page, lambda p: changed_share(with_input, p) > 0.001, timeout_s=10)
    assert changed_share(with_input, without) > 0.001, "hiding the input changed nothing"
    assert sent.count == 0, "turning, presets or switches asked the server for something"

    # Zoom in on a unit of conv1 as a person would (the wheel magnifies what is under the
    # pointer), point at it, click it.
    x, y = unit_on_screen(page, frame, "conv1", 3 * 784 + 14 * 28 + 14)
    page.mouse.move(x, y)
    for _ in range(3):
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(150)
    x, y = unit_on_screen(page, frame, "conv1", 3 * 784 + 14 * 28 + 14)
    page.mouse.move(x, y)
    tip = frame.locator(".net3d-tooltip")
    expect(tip).to_be_visible()
    assert re.fullmatch(r"conv1 map 3 \(14, 14\): -?\d\.\d{3}", tip.inner_text()), tip.inner_text()
    hover_ms = frame.evaluate("() => window.__net3d.view.lastHoverMs")
    MEASUREMENTS.append(f"Draw page 3D view: hover → unit and its lines found in {hover_ms:.1f} ms")
    page.mouse.click(x, y)
    wait_for_run(page)
    selected = page.get_by_text(re.compile(r"^Selected: conv1 map 3 \(14, 14\)"))
    expect(selected).to_be_visible()
    assert_no_exception(page)
    expect(page.get_by_text("Receptive field", exact=True)).to_be_visible()  # the inspector, open
    expect(page.get_by_text("conv1 map 3, row 14, column 14").first).to_be_visible()
    keep_picture(page, "zoomed")

    # Show everything again and draw once more: the unit stays selected.
    frame.get_by_role("button", name="Show all").click()
    draw_stroke(page, [(0.3, 0.5), (0.7, 0.5)])
    wait_for_run(page)
    expect(selected).to_be_visible()
    frame.wait_for_function("() => window.__net3d.view.selected !== null")
    keep_picture(page, "selected")
