"""The 3D view's pixels in a real browser: shared by the journeys that look at it."""

import io
import time

import numpy as np
from PIL import Image
from playwright.sync_api import Error as PlaywrightError

from lenet_core.present.scene import BACKGROUND

DECK = '[data-testid="stDeckGlJsonChart"]'


def deck_pixels(page) -> np.ndarray:
    """The view's pixels; a camera preset mounts a new chart, so a shot can meet the old one
    leaving: try again."""
    for _ in range(20):
        try:
            shot = page.locator(DECK).screenshot()
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
        pixels = deck_pixels(page)
        if done(pixels) or time.monotonic() > deadline:
            return pixels
        page.wait_for_timeout(50)
