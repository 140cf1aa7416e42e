"""Digits drawn the way people draw them on the Draw page's canvas, made by code: a test set for
"does the network read real drawings", where MNIST's own test split only says "does it read MNIST".

What it mimics. The Draw page (pages/views/draw.py) shows a 280×280 ``st_canvas`` in
``freedraw`` mode, ``stroke_color="#FFFFFF"``, ``background_color="#000000"``, a stroke width of
26 by default (a slider, 6–40). The component's freedraw brush is fabric.js's pencil brush: round
caps and round joins, the mouse path smoothed into curves, anti-aliased by the browser. The
background colour is baked into the exported PNG (the component loads it as the fabric canvas'
``backgroundColor``, and ``toDataURL`` paints it), so ``result.image_data`` is an opaque
280×280×4 uint8 array: black (0, 0, 0, 255) background, white ink, grey (v, v, v, 255) at the
anti-aliased edges. :func:`lenet_core.data.preprocess.mnist_style` reads that through its
brightness path (the alpha is opaque) and crops, scales and centres the ink as MNIST did.

How. Each digit is one or more pen strokes through control points (ellipse arcs sampled into
points for the round parts; corners where a stroke turns sharply, as in a 7 or a 4), in a frame
one unit tall. A drawing jitters the control points (a hand never repeats a shape), stretches
the width, slants (shear), rotates slightly, scales to a height of 30–90 % of the canvas and
places the digit anywhere it fits whole; sometimes one stroke has a small gap (the mouse lifted
for a moment). The strokes go through centripetal Catmull-Rom splines (smooth, as the brush's
smoothing makes them), are drawn at 4× with PIL (line plus a disc of the pen's radius at every
sample: round caps and joins) and reduced by area averaging: the browser's anti-aliasing.

The pen is 8–30 pixels wide, but never wider than a fifth of the digit's height: a small digit
drawn with a thick pen fills its own loops (a 6, 8 or 9 becomes a blob) and a person who sees
that redraws it; the page itself warns about small drawings.

Everything comes from a seeded ``numpy.random.Generator``: a seed gives the same arrays.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

SIDE = 280  # the Draw page's canvas (CANVAS_SIDE)
SUPERSAMPLE = 4
MARGIN = 2  # ink stays this many pixels inside the canvas' edge

WIDTHS = (8.0, 30.0)  # pen width, canvas pixels
MAX_WIDTH_PER_HEIGHT = 0.2  # see the module's docstring
SLANTS = (-20.0, 20.0)  # degrees of shear; positive leans right (the top moves right)
ROTATIONS = (-8.0, 8.0)  # degrees, positive clockwise on screen
SIZES = (0.30, 0.90)  # the digit's height (its strokes' centre lines) as a share of the canvas
ASPECTS = (0.85, 1.15)  # the digit's width stretched by this factor
JITTER = 0.018  # control-point noise, in digit heights
BREAK_CHANCE = 0.2  # one stroke with a small gap


# ---- the digits ------------------------------------------------------------------------------
# A digit is a list of strokes (pen down ... pen up); a stroke is a list of pieces, each a list of
# control points that a smooth curve goes through; where one piece meets the next (they share
# that point) the stroke turns a corner. Coordinates: y down, the digit one unit tall,
# y from -0.5 (top) to 0.5 (bottom), x = 0 in the middle.

def arc(cx, cy, rx, ry, start, end, step=30.0):
    """Control points along an ellipse from angle ``start`` to ``end`` (degrees; y points down,
    so 0 is the right, 90 the bottom, -90 the top, and growing angles turn clockwise)."""
    count = max(2, math.ceil(abs(end - start) / step) + 1)
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(start, end, count)]


def line(p, q, parts=2):
    """Control points on a straight line (inner points give the jitter something to bend)."""
    return [(p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t) for t in np.linspace(0, 1, parts + 1)]


def eight_loop(upper=0.8):
    """A figure eight in one stroke (a vertical lemniscate of Gerono), its upper loop narrower."""
    points = []
    for t in np.linspace(-0.35, 2 * math.pi + 0.1, 22):
        x, y = 0.3 * math.sin(2 * t), -0.5 * math.cos(t)
        points.append((x * (upper if y < 0 else 1.0), y))
    return points


ZERO_TOP = (0.0, -0.5)
DIGITS: dict[int, dict[str, list]] = {
    0: {
        "oval": [[arc(0, 0, 0.30, 0.5, -100, 268)]],
        "narrow": [[arc(0, 0, 0.22, 0.5, -90, 290)]],  # the pen runs on past the start
        "open": [[arc(0, 0, 0.32, 0.5, -70, 255)]],  # not quite closed at the top right
    },
    1: {
        "stick": [[line((0, -0.5), (0, 0.5))]],
        "flag": [[line((-0.2, -0.32), (0, -0.5), 1), line((0, -0.5), (0, 0.5))]],
        "flag-base": [[line((-0.2, -0.32), (0, -0.5), 1), line((0, -0.5), (0, 0.5))],
                      [line((-0.22, 0.5), (0.22, 0.5), 1)]],
    },
    2: {
        "plain": [[arc(0, -0.22, 0.27, 0.28, 200, 380) + [(0.12, 0.08), (-0.08, 0.3), (-0.3, 0.5)],
                   line((-0.3, 0.5), (0.32, 0.5))]],
        "loop": [[arc(0, -0.22, 0.27, 0.28, 200, 380)
                  + [(0.08, 0.12), (-0.14, 0.32), (-0.28, 0.46), (-0.34, 0.33), (-0.23, 0.23),
                     (-0.1, 0.34), (0.0, 0.47), (0.16, 0.5), (0.32, 0.49)]]],
        "swan": [[arc(0, -0.25, 0.25, 0.25, 190, 365) + [(0.18, 0.0), (-0.05, 0.25), (-0.3, 0.5)],
                  [(-0.3, 0.5), (0.0, 0.47), (0.2, 0.47), (0.34, 0.42)]]],
    },
    3: {
        "round": [[arc(0, -0.25, 0.25, 0.25, 200, 450) + [(-0.08, 0.0)],
                   [(-0.08, 0.0)] + arc(0, 0.24, 0.28, 0.26, -100, 160)]],
        "flat-top": [[line((-0.25, -0.5), (0.25, -0.5), 1), line((0.25, -0.5), (-0.05, -0.06), 1),
                      [(-0.05, -0.06)] + arc(0, 0.22, 0.3, 0.28, -80, 160)]],
        "small-top": [[arc(0, -0.28, 0.2, 0.22, 200, 450) + [(-0.07, -0.05)],
                       [(-0.07, -0.05)] + arc(0, 0.2, 0.3, 0.3, -100, 160)]],
    },
    4: {
        "open": [[line((-0.18, -0.5), (-0.26, 0.1), 1), line((-0.26, 0.1), (0.32, 0.1))],
                 [line((0.14, -0.5), (0.14, 0.5))]],
        "closed": [[line((0.12, -0.5), (-0.3, 0.15)), line((-0.3, 0.15), (0.32, 0.15))],
                   [line((0.12, -0.5), (0.12, 0.5))]],
        "one-stroke": [[line((-0.14, -0.5), (-0.28, 0.1), 1), line((-0.28, 0.1), (0.3, 0.1), 1),
                        line((0.3, 0.1), (0.16, -0.5), 1), line((0.16, -0.5), (0.14, 0.5))]],
    },
    5: {
        "classic": [[line((-0.2, -0.5), (-0.24, -0.06), 1),
                     [(-0.24, -0.06)] + arc(0, 0.18, 0.3, 0.32, -120, 150)],
                    [line((-0.2, -0.5), (0.28, -0.5), 1)]],
        "one-stroke": [[line((0.28, -0.5), (-0.2, -0.5), 1), line((-0.2, -0.5), (-0.24, -0.06), 1),
                        [(-0.24, -0.06)] + arc(0, 0.18, 0.3, 0.32, -120, 150)]],
        "wide-belly": [[line((-0.18, -0.5), (-0.24, -0.06), 1),
                        [(-0.24, -0.06), (0.12, -0.08), (0.3, 0.14), (0.26, 0.4), (0.0, 0.5),
                         (-0.28, 0.42)]],
                       [line((-0.18, -0.5), (0.3, -0.5), 1)]],
    },
    6: {
        "loop": [[[(0.2, -0.48), (0.0, -0.4), (-0.17, -0.2), (-0.26, 0.05)]
                  + arc(0, 0.24, 0.27, 0.26, 180, -160)]],
        "straight": [[line((0.15, -0.5), (-0.27, 0.24)), arc(0, 0.24, 0.27, 0.26, 180, -150)]],
        "small-loop": [[[(0.22, -0.5), (-0.05, -0.38), (-0.2, -0.12)]
                        + arc(0.02, 0.3, 0.22, 0.2, 180, -160)]],
    },
    7: {
        "plain": [[line((-0.3, -0.5), (0.3, -0.5)), [(0.3, -0.5), (0.1, 0.0), (-0.05, 0.5)]]],
        "crossbar": [[line((-0.3, -0.5), (0.3, -0.5)), [(0.3, -0.5), (0.1, 0.0), (-0.05, 0.5)]],
                     [line((-0.12, 0.02), (0.28, 0.0), 1)]],
        "serif": [[line((-0.3, -0.4), (-0.28, -0.5), 1), line((-0.28, -0.5), (0.3, -0.5)),
                   [(0.3, -0.5), (0.06, 0.05), (-0.02, 0.5)]]],
    },
    8: {
        "figure-eight": [[eight_loop()]],
        "two-circles": [[arc(0, -0.28, 0.2, 0.22, -90, 280)], [arc(0, 0.22, 0.27, 0.28, -90, 280)]],
        "s-and-back": [[[(0.2, -0.38), (0.05, -0.5), (-0.18, -0.42), (-0.15, -0.2), (0.2, 0.05),
                         (0.26, 0.3), (0.05, 0.5), (-0.22, 0.38), (-0.15, 0.1), (0.1, -0.15),
                         (0.2, -0.36)]]],
    },
    9: {
        "straight": [[arc(0, -0.24, 0.24, 0.26, 0, -360), line((0.24, -0.24), (0.2, 0.5))]],
        "curved": [[arc(0, -0.24, 0.24, 0.26, 0, -360),
                    [(0.24, -0.24), (0.24, 0.15), (0.1, 0.45), (-0.15, 0.48)]]],
        "stick-circle": [[arc(0, -0.24, 0.24, 0.26, 10, -355)], [line((0.25, -0.45), (0.23, 0.5))]],
    },
}
STYLES: dict[int, tuple[str, ...]] = {digit: tuple(styles) for digit, styles in DIGITS.items()}


# ---- curves ----------------------------------------------------------------------------------

def catmull_rom(points: np.ndarray, samples_per_unit: float) -> np.ndarray:
    """A smooth curve through ``points`` (centripetal Catmull-Rom: no cusps or overshoot loops),
    sampled about ``samples_per_unit`` times per unit of length."""
    if len(points) < 3:
        p, q = points[0], points[-1]
        n = max(2, math.ceil(np.linalg.norm(q - p) * samples_per_unit) + 1)
        return p + (q - p) * np.linspace(0, 1, n)[:, None]
    ends = np.vstack([2 * points[0] - points[1], points, 2 * points[-1] - points[-2]])
    out = [points[:1]]
    for i in range(1, len(ends) - 2):
        p0, p1, p2, p3 = ends[i - 1:i + 3]
        t0 = 0.0
        t1 = t0 + max(np.linalg.norm(p1 - p0), 1e-6) ** 0.5
        t2 = t1 + max(np.linalg.norm(p2 - p1), 1e-6) ** 0.5
        t3 = t2 + max(np.linalg.norm(p3 - p2), 1e-6) ** 0.5
        n = max(2, math.ceil(np.linalg.norm(p2 - p1) * samples_per_unit) + 1)
        t = np.linspace(t1, t2, n)[1:, None]
        a1 = (t1 - t) / (t1 - t0) * p0 + (t - t0) / (t1 - t0) * p1
        a2 = (t2 - t) / (t2 - t1) * p1 + (t - t1) / (t2 - t1) * p2
        a3 = (t3 - t) / (t3 - t2) * p2 + (t - t2) / (t3 - t2) * p3
        b1 = (t2 - t) / (t2 - t0) * a1 + (t - t0) / (t2 - t0) * a2
        b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
        out.append((t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2)
    return np.vstack(out)


def jittered_strokes(strokes, rng: np.random.Generator, sigma: float) -> list[list[np.ndarray]]:
    """Every control point moved by Gaussian noise; a corner shared by two pieces moves once."""
    out = []
    for stroke in strokes:
        pieces = []
        for piece in stroke:
            moved = np.asarray(piece, dtype=np.float64) + rng.normal(0.0, sigma, (len(piece), 2))
            if pieces:
                moved[0] = pieces[-1][-1]  # the corner: the same point as the last piece's end
            pieces.append(moved)
        out.append(pieces)
    return out


def _stroke_length(points: np.ndarray) -> np.ndarray:
    """Cumulative length along a polyline (0 at its first point)."""
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])


# ---- one drawing -----------------------------------------------------------------------------

def drawn_digit(digit: int, style: str | None = None, rng: np.random.Generator | None = None, *,
                width: float | None = None, slant: float | None = None, size: float | None = None,
                rotation: float | None = None, broken: bool | None = None,
                position: tuple[float, float] | None = None) -> tuple[np.ndarray, dict]:
    """One digit as the canvas delivers it (280×280×4 uint8) and how it was drawn.

    Each of ``width`` (pen, pixels), ``slant`` and ``rotation`` (degrees), ``size`` (height share),
    ``broken`` and ``position`` (the digit's centre as shares of the canvas, moved inward if
    the digit would not fit there) is drawn from ``rng`` unless given.
    The description holds the values used: ``size`` is the height actually drawn (a wide digit
    at a large size is made smaller to fit the canvas).
    """
    rng = rng if rng is not None else np.random.default_rng()
    styles = DIGITS[digit]
    style = style if style is not None else str(rng.choice(list(styles)))
    size = float(rng.uniform(*SIZES)) if size is None else float(size)
    top_width = min(WIDTHS[1], max(WIDTHS[0], MAX_WIDTH_PER_HEIGHT * size * SIDE))
    width = float(rng.uniform(WIDTHS[0], top_width)) if width is None else float(width)
    slant = float(rng.uniform(*SLANTS)) if slant is None else float(slant)
    rotation = float(rng.uniform(*ROTATIONS)) if rotation is None else float(rotation)
    aspect = float(rng.uniform(*ASPECTS))
    broken = bool(rng.random() < BREAK_CHANCE) if broken is None else bool(broken)

    # Shape: jittered control points -> smooth curves, in the one-unit frame.
    density = 1.0 * SIDE  # samples per unit: one a pixel or more (render spaces them evenly)
    strokes = []
    for pieces in jittered_strokes(styles[style], rng, JITTER):
        curves = [catmull_rom(piece, density) for piece in pieces]
        strokes.append(np.vstack([curves[0]] + [c[1:] for c in curves[1:]]))
    # Hand: stretch, slant (shear: the top moves right for a positive slant), rotate.
    shear, turn = math.tan(math.radians(slant)), math.radians(rotation)
    cos, sin = math.cos(turn), math.sin(turn)
    for i, s in enumerate(strokes):
        x, y = s[:, 0] * aspect - shear * s[:, 1], s[:, 1]
        strokes[i] = np.stack([x * cos - y * sin, x * sin + y * cos], axis=1)
    every = np.vstack(strokes)
    low, high = every.min(axis=0), every.max(axis=0)
    # Size: the centre lines' height, shrunk if the ink (pen included) would not fit.
    room = SIDE - 2 * MARGIN - width
    scale = min(size * SIDE / (high[1] - low[1]), room / (high[0] - low[0]), room / (high[1] - low[1]))
    extent = (high - low) * scale
    # Position: anywhere the whole ink fits, the requested spot moved inward if need be.
    lowest = MARGIN + width / 2
    highest = np.maximum(SIDE - MARGIN - width / 2 - extent, lowest)  # rounding: never below
    if position is None:
        corner = rng.uniform(lowest, highest)
    else:
        corner = np.clip(np.asarray(position, dtype=np.float64) * SIDE - extent / 2, lowest, highest)
    strokes = [(s - low) * scale + corner for s in strokes]

    gap = 0.0
    if broken:  # a small gap in the longest stroke (the pen lifted for a moment)
        i = max(range(len(strokes)), key=lambda k: _stroke_length(strokes[k])[-1])
        along = _stroke_length(strokes[i])
        gap = min(width + float(rng.uniform(3.0, 10.0)), 0.2 * along[-1])
        middle = float(rng.uniform(0.3, 0.7)) * along[-1]
        before, after = along < middle - gap / 2, along > middle + gap / 2
        strokes[i:i + 1] = [strokes[i][before], strokes[i][after]]

    array = render(strokes, width)
    centre = (corner + extent / 2) / SIDE
    description = dict(digit=digit, style=style, width=round(width, 1), slant=round(slant, 1),
                       rotation=round(rotation, 1), size=round(float(extent[1] / SIDE), 3),
                       position=(round(float(centre[0]), 3), round(float(centre[1]), 3)),
                       broken=broken, gap=round(gap, 1))
    return array, description


def render(strokes: list[np.ndarray], width: float) -> np.ndarray:
    """Pen strokes (canvas pixels) -> the canvas' RGBA array: white ink on opaque black, round
    caps and joins, anti-aliased (drawn at 4× and area-averaged).

    Only the canvas pixels around the ink are drawn at 4× (the rest stays black): the same
    result as drawing the whole canvas, in a fraction of the time.
    """
    k, radius = SUPERSAMPLE, width / 2
    every = np.vstack([s for s in strokes if len(s)])
    left, top = np.clip(np.floor(every.min(axis=0) - radius).astype(int) - 1, 0, SIDE)
    right, bottom = np.clip(np.ceil(every.max(axis=0) + radius).astype(int) + 1, 0, SIDE)
    image = Image.new("L", ((right - left) * k, (bottom - top) * k), 0)
    pen = ImageDraw.Draw(image)
    for stroke in strokes:
        if len(stroke) == 0:
            continue
        along = _stroke_length(stroke)
        count = max(1, math.ceil(along[-1] / min(2.0, width / 4))) + 1  # a disc every 2 pixels or less
        steps = np.linspace(0.0, along[-1], count)
        xs = (np.interp(steps, along, stroke[:, 0]) - left) * k
        ys = (np.interp(steps, along, stroke[:, 1]) - top) * k
        points = list(zip(xs.tolist(), ys.tolist()))
        if along[-1] > 0:
            pen.line(points, fill=255, width=max(1, round(width * k)))  # the discs make the joins round
        r = radius * k
        for x, y in points:
            pen.ellipse((x - r, y - r, x + r, y + r), fill=255)
    grey = np.zeros((SIDE, SIDE), dtype=np.uint8)
    reduced = image.resize((right - left, bottom - top), Image.Resampling.BOX)
    grey[top:bottom, left:right] = np.asarray(reduced)
    return np.dstack([grey, grey, grey, np.full_like(grey, 255)])


def canvas_digit(digit: int, style: str | None = None, rng: np.random.Generator | None = None,
                 **fixed) -> np.ndarray:
    """One digit as the canvas delivers it: 280×280×4 uint8 (see :func:`drawn_digit`)."""
    return drawn_digit(digit, style, rng, **fixed)[0]


def canvas_digit_set(n_per_digit: int = 25, seed: int = 0) -> list[tuple[int, np.ndarray, dict]]:
    """``n_per_digit`` drawings of each digit 0–9, its styles taken in turn, all else drawn from
    ``seed``: a list of (label, RGBA array, description), digits interleaved (0, 1, ..., 9, 0, ...)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_per_digit):
        for digit in range(10):
            styles = STYLES[digit]
            array, description = drawn_digit(digit, styles[i % len(styles)], rng)
            out.append((digit, array, description))
    return out
