"""The 3D network view in a real browser (WebGL in software): draw a digit and see every layer in
3D, framed in the view by every camera preset, turn it, hide a layer, select a unit by clicking
its tile, zoom in on it, and find the unit inspector open on it — and the selection kept when the
drawing changes.

Also measures the time from the end of a stroke to the 3D view showing the new activations, on
the page's own clock: from the mouse-up to the first WebGL draw after the stroke's deck arrived
and its new colours were uploaded (bench/stroke_repaint.py's probe; that bench measures it side
by side against the 1 s goal). The screenshots that poll for changed pixels are timed too: each
shot of a software-WebGL view takes a few hundred ms, which that figure includes. The test
asserts twice the goal, so that a loaded machine does not fail it, and prints both figures.
"""

import re
import time

import numpy as np

from bench.stroke_repaint import REPAINT_PROBE, TARGET_MS, arm, repaint_times
from lenet_core.inspect import geometry
from lenet_core.model.architectures import get_architecture
from lenet_core.model.checkpoints import load_model, pretrained_path
from lenet_core.present import camera
from lenet_core.present.scene import BACKGROUND

from .deck import DECK, changed_share, deck_pixels, drawn_share, wait_for_pixels
from .drawing import canvas, hover_canvas, stroke, vertical_line
from .support import ARTIFACTS, MEASUREMENTS, assert_no_exception, expect, go_to, open_app, wait_for_run

TOOLTIP = ".deck-tooltip"


def drawn_box(pixels: np.ndarray) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` margins, in pixels, between the view's edges and what is
    drawn in it (tiles, lines, labels)."""
    rows, cols = np.nonzero(np.abs(pixels - np.array(BACKGROUND)).max(axis=2) > 40)
    height, width = pixels.shape[:2]
    return int(cols.min()), int(rows.min()), int(width - 1 - cols.max()), int(height - 1 - rows.max())


def bundled_planes() -> tuple[tuple[geometry.Plane, ...], tuple[str, ...]]:
    """The planes and class names of the bundled model, the Draw page's default."""
    _, meta = load_model(pretrained_path("digits"))
    return tuple(geometry.planes(get_architecture(meta.arch))), tuple(str(c) for c in meta.classes)


def bundled_frame(view: str) -> camera.Frame:
    return camera.frame(*bundled_planes(), view)


def assert_framed(page, view: str, before: np.ndarray) -> np.ndarray:
    """The preset's view (a new one: its picture differs from ``before``) is as tall as its
    frame, and the network sits inside it with the frame's margin (less a pixel or two of
    antialiasing), centred across (the frame fits the narrowest column; this one is wider)."""
    framed = bundled_frame(view)
    pixels = wait_for_pixels(page, lambda p: abs(p.shape[0] - framed.height) <= 1 and drawn_share(p) > 0.01
                             and changed_share(before, p) > 0.02, timeout_s=15)
    height = page.locator(DECK).bounding_box()["height"]
    assert height == framed.height, f"{view}: the view is {height} px tall, not {framed.height}"
    left, top, right, bottom = drawn_box(pixels)
    margins = f"{left}, {top}, {right}, {bottom} px"
    assert min(left, top, right, bottom) >= camera.MARGIN - 3, f"{view}: cut off ({margins})"
    assert abs(left - right) <= 12, f"{view}: not centred ({left} px left, {right} px right)"
    return pixels


def find_tile(page, prefix: str, middle: float) -> tuple[float, float, str]:
    """Point along rows near ``middle`` (page y) until the tooltip names a unit of ``prefix``:
    where that tile is, and what the tooltip said."""
    box = page.locator(DECK).bounding_box()
    for dy in (-3, 3, -8, 8):  # not the exact middle: a gap between two rows of tiles
        for k in range(1, 60):
            # whole pixels: the pointer's move and its press land on the same pixel, in a tile
            x, y = round(box["x"] + box["width"] * k / 60), round(middle + dy)
            page.mouse.move(x, y)
            tip = page.locator(TOOLTIP)
            try:
                expect(tip).to_be_visible(timeout=400)
            except AssertionError:
                continue
            text = tip.inner_text()
            if text.startswith(prefix):
                return x, y, text
    raise AssertionError(f"no tile of {prefix!r} found under the mouse")


def pick_on_press_ms(page, x: float, y: float) -> float:
    """How long the browser is busy with a press on the view: deck.gl picks under the pointer
    synchronously on press, and a press held longer than 250 ms is not a click. A press
    dispatched here and cancelled (so that it is neither a click nor a drag), timed in the page."""
    return page.evaluate("""([x, y]) => {
        const target = document.elementFromPoint(x, y);
        const at = {bubbles: true, cancelable: true, clientX: x, clientY: y, pointerId: 1,
                    pointerType: 'mouse', isPrimary: true};
        const start = performance.now();
        target.dispatchEvent(new PointerEvent('pointerdown', {...at, buttons: 1}));
        const took = performance.now() - start;
        target.dispatchEvent(new PointerEvent('pointercancel', {...at, buttons: 0}));
        return took;
    }""", [x, y])


def draw_stroke(page, points) -> None:
    """A stroke on the canvas, scrolled back into view first (a screenshot of the 3D view
    scrolls the page to it)."""
    canvas(page).scroll_into_view_if_needed()
    box = hover_canvas(page)
    page.wait_for_timeout(200)
    stroke(page, points, box=box)


def click_control(page, key: str, label: str) -> None:
    # segmented controls and pills are buttons in a radio group: find one by its own text
    page.locator(f".st-key-{key} button").filter(has_text=re.compile(f"^{re.escape(label)}$")).click()
    wait_for_run(page)


def keep_picture(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(DECK).screenshot(path=str(ARTIFACTS / f"3d-{name}.png"))


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
    expect(page.locator(DECK)).to_be_visible()
    shown = wait_for_pixels(page, lambda p: drawn_share(p) > 0.05)
    assert drawn_share(shown) > 0.05, "the 3D view stayed blank"
    keep_picture(page, "three-quarter")

    # A second stroke: the tiles take the new activations (the camera stays where it was).
    before = deck_pixels(page)
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

    # Turn it with the mouse: no rerun, the picture changes.
    still = wait_for_pixels(page, lambda p: False, timeout_s=0.5)
    deck_box = page.locator(DECK).bounding_box()
    cx, cy = deck_box["x"] + deck_box["width"] / 2, deck_box["y"] + deck_box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 160, cy + 30, steps=8)
    page.mouse.up()
    turned = wait_for_pixels(page, lambda p: changed_share(still, p) > 0.02, timeout_s=10)
    assert changed_share(still, turned) > 0.02, "dragging did not turn the view"

    shown = turned
    for view in ("side", "top", "front"):  # each preset mounts a new view, framed anew
        click_control(page, "draw_3d_view", view)
        shown = assert_framed(page, view, shown)
        keep_picture(page, view)
    with_input = shown
    # The frames fit the main column of a 1024 px window, the narrowest we support.
    width_is = "(w) => document.querySelector('[data-testid=stDeckGlJsonChart]').clientWidth {} w"
    page.set_viewport_size({"width": 1024, "height": page.viewport_size["height"]})
    page.wait_for_function(width_is.format("<"), arg=800)
    narrow = page.locator(DECK).bounding_box()["width"]
    page.set_viewport_size({"width": 1280, "height": page.viewport_size["height"]})
    page.wait_for_function(width_is.format(">"), arg=800)
    assert narrow >= camera.NARROWEST, f"the view is {narrow} px wide in a 1024 px window"

    # The front camera, input hidden: conv1's maps face the camera; find one of their tiles.
    click_control(page, "draw_3d_layers", "input")
    # The input is one 28×28 map and its name in front of the rest: 0.3 % of the view when a
    # wide network (the bundled lenet-wide) is framed; a still view changes no pixel at all.
    without = wait_for_pixels(page, lambda p: changed_share(with_input, p) > 0.001, timeout_s=10)
    assert changed_share(with_input, without) > 0.001, "hiding the input changed nothing"
    # Zoom in on conv1 first, as a person would: framed to show a wide network whole, a tile is
    # a pixel across and a click can land on its neighbour. The camera's model says where conv1's
    # middle is; zooming about the pointer keeps it there.
    box, framed = page.locator(DECK).bounding_box(), bundled_frame("front")
    conv1 = camera.plane_corners(bundled_planes()[0][1]).mean(axis=0)
    at = camera.to_screen(conv1, "front", framed.zoom, framed.target)[0]
    middle_x, middle_y = box["x"] + box["width"] / 2 + at[0], box["y"] + box["height"] / 2 + at[1]
    page.mouse.move(middle_x, middle_y)
    for _ in range(2):
        page.mouse.wheel(0, -400)
        page.wait_for_timeout(200)
    wait_for_pixels(page, lambda p: changed_share(without, p) > 0.02, timeout_s=10)
    page.wait_for_timeout(500)  # deck.gl eases the zoom in
    x, y, tip = find_tile(page, "conv1 map", middle_y)
    assert re.fullmatch(r"conv1 map \d+ \(\d+, \d+\): −?\d\.\d{3}", tip), tip
    unit = tip.split(":")[0]

    selected = page.get_by_text(re.compile(rf"^Selected: {re.escape(unit)}"))
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    press_ms = pick_on_press_ms(page, x, y)
    line = (f"3D view, deck.gl's pick on a mouse press: {press_ms:.0f} ms "
            "(a press held over 250 ms is not a click)")
    print(line)
    MEASUREMENTS.append(line)
    page.mouse.click(x, y)
    wait_for_run(page)
    expect(selected).to_be_visible()
    assert_no_exception(page)
    expect(page.get_by_text("Receptive field", exact=True)).to_be_visible()  # the inspector, open
    expect(page.get_by_text(re.compile(r"^conv1 map \d+, row \d+, column \d+$")).first).to_be_visible()

    # Five wheel notches on it: the tile grows under the pointer (an orthographic camera zooms
    # by magnifying; a perspective one flew through conv1 and it vanished).
    page.mouse.move(x, y)
    for _ in range(5):
        page.mouse.wheel(0, -100)
        page.wait_for_timeout(150)
    page.wait_for_timeout(500)
    page.mouse.move(x + 3, y + 3)
    page.mouse.move(x, y)
    expect(page.locator(TOOLTIP)).to_contain_text(unit.split(" (")[0] + " (")  # the same map
    keep_picture(page, "zoomed")

    # Show everything again and draw once more: the unit stays selected.
    page.locator(".st-key-draw_3d_all").get_by_role("button").click()
    wait_for_run(page)
    draw_stroke(page, [(0.3, 0.5), (0.7, 0.5)])
    wait_for_run(page)
    expect(selected).to_be_visible()
    keep_picture(page, "selected")
