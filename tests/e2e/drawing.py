"""Drawing on the Draw page's canvas with the mouse: shared by the journeys that draw."""

import math

CLEAR = "Reset canvas & history"  # the canvas toolbar's bin

# Arms the page-side latency probe: the moment the mouse button goes up, on the page's own clock.
ARM_LATENCY_PROBE = """() => {
  window.__lenetLatency = {up: null};
  window.addEventListener("mouseup", () => { window.__lenetLatency.up = performance.now(); },
                          {capture: true, once: true});
}"""


def canvas(page):
    # The drawable canvas lives in an open shadow root; CSS locators pierce it. Mouse input goes to
    # Fabric's upper canvas; the strokes are painted on its lower one.
    return page.locator("canvas.upper-canvas")


def hover_canvas(page) -> dict:
    """Point at the canvas (the component's toolbar only takes clicks once it has been hovered);
    return its box."""
    box = canvas(page).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    return box


def stroke(page, points, box=None, steps=4):
    """One stroke through ``points`` (fractions of the canvas' width and height)."""
    box = box or hover_canvas(page)

    def at(fx, fy):
        return box["x"] + fx * box["width"], box["y"] + fy * box["height"]

    page.mouse.move(*at(*points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*at(*point), steps=steps)
    page.evaluate(ARM_LATENCY_PROBE)
    page.mouse.up()


def clear(page) -> None:
    """The canvas toolbar's bin: it empties the canvas in the browser at once."""
    hover_canvas(page)
    page.get_by_role("button", name=CLEAR).click()


def vertical_line():
    return [(0.5, 0.18 + 0.64 * i / 20) for i in range(21)]


def closed_loop():
    # An upright ellipse, drawn once round and a little past the start so that it closes.
    return [(0.5 + 0.2 * math.sin(t), 0.5 - 0.3 * math.cos(t))
            for t in (2 * math.pi * i / 36 for i in range(40))]


