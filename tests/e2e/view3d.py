"""The 3D element in a real browser (pages/components/net3d, in an iframe of its own): its frame,
its pixels, and the element's own state — shared by the journeys that look at it."""

import io
import time

import numpy as np
from PIL import Image
from playwright.sync_api import Error as PlaywrightError

from .support import STEP_TIMEOUT_MS

VIEW = "iframe[src*='net3d']"
STAGE = ".net3d-stage"  # the 3D view inside the element, labels and all
BACKGROUND = (250, 250, 250)  # view3d.js clears to #fafafa


def element(page, timeout: float = STEP_TIMEOUT_MS):
    """The element's frame, once it holds its model and has drawn its view."""
    page.locator(VIEW).first.wait_for(timeout=timeout)
    frame = page.locator(VIEW).first.element_handle().content_frame()
    frame.wait_for_function("() => window.__net3d && window.__net3d.model && window.__net3d.view"
                            " && window.__net3d.view.frames > 0", timeout=timeout)
    return frame


def stage_pixels(page) -> np.ndarray:
    """The view's pixels (a new element can be mounting: try again)."""
    for _ in range(20):
        try:
            shot = element(page).locator(STAGE).screenshot()
            return np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), int)
        except PlaywrightError:
            page.wait_for_timeout(250)
    raise AssertionError("the 3D view never held still for a screenshot")


def drawn_share(pixels: np.ndarray) -> float:
    """The share of the view's pixels that are not background: tiles, lines and labels."""
    return float((np.abs(pixels - np.array(BACKGROUND)).max(axis=2) > 40).mean())


def changed_share(a: np.ndarray, b: np.ndarray) -> float:
    return float((np.abs(a - b).max(axis=2) > 40).mean()) if a.shape == b.shape else 1.0


def wait_for_pixels(page, done, timeout_s: float = 30) -> np.ndarray:
    deadline = time.monotonic() + timeout_s
    while True:
        pixels = stage_pixels(page)
        if done(pixels) or time.monotonic() > deadline:
            return pixels
        page.wait_for_timeout(50)


class Sent:
    """Counts the messages the browser sends the server (a rerun is one)."""

    def __init__(self, page):
        self.count = 0
        page.on("websocket", lambda ws: ws.on("framesent", self._sent))

    def _sent(self, _payload):
        self.count += 1


def unit_on_screen(page, frame, plane: str, unit: int) -> tuple[float, float]:
    """Where the element draws unit ``unit`` (flat) of ``plane``, in page pixels."""
    p = frame.evaluate(f"() => window.__net3d.spec.planes.findIndex(p => p.name === {plane!r})")
    x, y = frame.evaluate(f"() => window.__net3d.view.screenOf({p}, {unit})")
    box = frame.locator("canvas.net3d-canvas").bounding_box()
    return box["x"] + x, box["y"] + y
