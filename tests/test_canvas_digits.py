"""Digits drawn the way people draw on the Draw page's canvas (tests/canvas_digits.py): the drawings
are what the canvas sends and span what the generator promises, and the bundled digit model
reads them as well as it reads MNIST (at most 1 error in 50).
"""

import io

import numpy as np
import pytest
import torch
from canvas_digits import (
    MARGIN,
    SIDE,
    SIZES,
    SLANTS,
    STYLES,
    WIDTHS,
    canvas_digit,
    canvas_digit_set,
    drawn_digit,
)
from PIL import Image

from lenet_core.data.preprocess import ink_map, mnist_style
from lenet_core.model.checkpoints import load_model, pretrained_path
from lenet_core.model.inputs import model_input

PER_DIGIT = 50  # 500 drawings: at most 10 errors
SEED = 0


@pytest.fixture(scope="module")
def drawings():
    return canvas_digit_set(n_per_digit=PER_DIGIT, seed=SEED)


def ink_box(array, threshold=0):
    """top, left, bottom, right (exclusive) of the pixels brighter than ``threshold`` (an RGBA
    drawing or its grey channel)."""
    ink = (array[:, :, 0] if array.ndim == 3 else array) > threshold
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return rows[0], cols[0], rows[-1] + 1, cols[-1] + 1


# ---- the generator -----------------------------------------------------------------------------

def test_a_seed_gives_the_same_drawings_and_another_seed_others():
    first, again, other = (canvas_digit_set(n_per_digit=2, seed=s) for s in (5, 5, 6))
    assert len(first) == 20 and [label for label, _, _ in first] == list(range(10)) * 2
    for (l1, a1, d1), (l2, a2, d2) in zip(first, again):
        assert l1 == l2 and d1 == d2 and np.array_equal(a1, a2)
    assert all(not np.array_equal(a1, a2) for (_, a1, _), (_, a2, _) in zip(first, other))
    one = canvas_digit(3, "round", np.random.default_rng(1))
    assert np.array_equal(one, canvas_digit(3, "round", np.random.default_rng(1)))
    assert not np.array_equal(one, canvas_digit(3, "round", np.random.default_rng(2)))


def test_every_drawing_is_what_the_canvas_sends(drawings):
    """280×280 RGBA uint8, opaque: black background, white ink, grey anti-aliased edges; the
    ink is whole (the canvas' outer pixels are background) and plenty."""
    for label, array, how in drawings:
        assert array.shape == (SIDE, SIDE, 4) and array.dtype == np.uint8, how
        assert (array[:, :, 3] == 255).all(), how
        assert (array[:, :, 0] == array[:, :, 1]).all() and (array[:, :, 1] == array[:, :, 2]).all()
        grey = array[:, :, 0]
        assert grey.max() == 255 and 0 < (grey > 127).mean() < 0.5, how
        assert ((grey > 0) & (grey < 255)).any(), how  # anti-aliased
        frame = np.concatenate([grey[:MARGIN].ravel(), grey[-MARGIN:].ravel(),
                                grey[:, :MARGIN].ravel(), grey[:, -MARGIN:].ravel()])
        assert (frame == 0).all(), f"{label} {how}: ink reaches the canvas' edge"
        assert ink_map(array)[1] is False  # read as light ink on a dark background


def test_a_drawing_survives_the_png_the_component_sends(drawings):
    """The canvas sends a PNG; the component decodes it with PIL into exactly such an array."""
    for _, array, _ in drawings[:10]:
        buffer = io.BytesIO()
        Image.fromarray(array, "RGBA").save(buffer, "PNG")
        decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())))
        assert decoded.shape == (SIDE, SIDE, 4) and np.array_equal(decoded, array)


def test_the_descriptions_say_where_and_how_large_the_ink_is(drawings):
    """A whole (unbroken) digit's ink is its centre lines' height plus the pen, where it says."""
    checked = 0
    for label, array, how in drawings:
        if how["broken"]:
            continue
        top, left, bottom, right = ink_box(array)
        assert abs((bottom - top) - (how["size"] * SIDE + how["width"])) <= 3, (label, how)
        assert abs((top + bottom) / 2 - how["position"][1] * SIDE) <= 3, (label, how)
        assert abs((left + right) / 2 - how["position"][0] * SIDE) <= 3, (label, how)
        checked += 1
    assert checked >= 0.6 * len(drawings)


def test_the_set_spans_the_promised_variations(drawings):
    hows = [how for _, _, how in drawings]
    widths = [h["width"] for h in hows]
    slants = [h["slant"] for h in hows]
    sizes = [h["size"] for h in hows]
    xs, ys = zip(*(h["position"] for h in hows))
    assert WIDTHS[0] <= min(widths) < 10 and 27 < max(widths) <= WIDTHS[1]
    assert SLANTS[0] <= min(slants) < -16 and 16 < max(slants) <= SLANTS[1]
    assert min(h["rotation"] for h in hows) < -5 and max(h["rotation"] for h in hows) > 5
    assert SIZES[0] - 0.01 <= min(sizes) < 0.36 and 0.8 < max(sizes) <= SIZES[1] + 0.01
    assert min(xs) < 0.3 and max(xs) > 0.7 and min(ys) < 0.3 and max(ys) > 0.7  # off-centre
    # Thick pens on large digits and thin ones on small digits both occur.
    assert any(h["width"] > 25 and h["size"] > 0.7 for h in hows)
    assert any(h["width"] < 12 and h["size"] < 0.45 for h in hows)
    assert 0.1 <= np.mean([h["broken"] for h in hows]) <= 0.35
    assert all(h["gap"] > h["width"] for h in hows if h["broken"])  # a gap the pen does not close
    for digit, styles in STYLES.items():
        assert len(styles) >= 2
        drawn = [h["style"] for h in hows if h["digit"] == digit]
        assert len(drawn) == PER_DIGIT
        for style in styles:
            assert drawn.count(style) >= PER_DIGIT // len(styles), (digit, style)
    assert [label for label, _, _ in drawings] == [h["digit"] for h in hows]


STRAIGHT = dict(rotation=0.0, broken=False, position=(0.5, 0.5))


def test_each_variation_changes_the_drawing_the_way_it_says():
    def one(**how):
        return drawn_digit(1, "stick", np.random.default_rng(3), **{**STRAIGHT, **how})[0][:, :, 0]

    def x_at(grey, row):
        cols = np.flatnonzero(grey[row] > 127)
        return cols.mean()

    # Slant: a positive slant leans the top to the right.
    right, left = one(slant=20.0, width=12.0, size=0.8), one(slant=-20.0, width=12.0, size=0.8)
    top, bottom = ink_box(right)[0] + 20, ink_box(right)[2] - 20
    assert x_at(right, top) - x_at(right, bottom) > 40
    assert x_at(left, top) - x_at(left, bottom) < -40
    # Width: a horizontal cut through an upright stick is about the pen's width.
    for width in (8.0, 30.0):
        grey = one(slant=0.0, width=width, size=0.8)
        assert abs((grey[SIDE // 2] > 127).sum() - width) <= 3
    # Size: the ink's height is the size plus the pen.
    for size in (0.3, 0.9):
        top, _, bottom, _ = ink_box(one(slant=0.0, width=10.0, size=size))
        assert abs((bottom - top) - (size * SIDE + 10)) <= 3
    # Position: the ink's centre is where it was asked to be.
    top, left, bottom, right = ink_box(one(slant=0.0, width=10.0, size=0.4, position=(0.25, 0.7)))
    assert abs((left + right) / 2 - 0.25 * SIDE) <= 3 and abs((top + bottom) / 2 - 0.7 * SIDE) <= 3
    # A broken stroke: rows without ink between the stick's ends.
    whole = one(slant=0.0, width=10.0, size=0.8)
    broken = drawn_digit(1, "stick", np.random.default_rng(3),
                         **{**STRAIGHT, "broken": True, "slant": 0.0, "width": 10.0, "size": 0.8})[0][:, :, 0]
    for grey, gaps in ((whole, False), (broken, True)):
        rows = (grey > 0).any(axis=1)
        top, bottom = np.flatnonzero(rows)[[0, -1]]
        assert (~rows[top:bottom]).any() == gaps


def test_extreme_drawings_stay_whole_on_the_canvas():
    rng = np.random.default_rng(11)
    for digit, styles in STYLES.items():
        for style in styles:
            for width, size in ((30.0, 0.9), (8.0, 0.3)):
                for position in ((0.0, 0.0), (1.0, 1.0)):  # pushed into a corner as far as it goes
                    array, how = drawn_digit(digit, style, rng, width=width, size=size, slant=20.0,
                                             position=position)
                    top, left, bottom, right = ink_box(array)
                    assert top >= MARGIN - 1 and left >= MARGIN - 1, how
                    assert bottom <= SIDE - MARGIN + 1 and right <= SIDE - MARGIN + 1, how
                    assert how["size"] <= size + 1e-9


def test_mnist_style_accepts_every_drawing(drawings):
    for label, array, how in drawings:
        prepared = mnist_style(array)
        assert not prepared.blank, (label, how)
        assert prepared.image.shape == (28, 28), (label, how)
        # A thin pen on a large digit comes out as thin grey lines (MNIST's thinnest), not faint.
        assert prepared.image.max() > 0.6 and prepared.image.sum() > 10, (label, how)
        assert not prepared.inverted
        assert prepared.box == tuple(int(v) for v in ink_box(array, threshold=0.12 * 255))


# ---- the bundled model -------------------------------------------------------------------------

def test_the_bundled_model_reads_canvas_digits_with_at_most_1_error_in_50(drawings, one_thread):
    model, meta = load_model(pretrained_path("digits"))
    images = np.stack([mnist_style(array).image for _, array, _ in drawings])
    with torch.inference_mode():
        predictions = model(model_input(images, meta)).argmax(dim=1).tolist()
    wrong = [(label, int(meta.classes[p]), how) for (label, _, how), p in zip(drawings, predictions)
             if str(label) != meta.classes[p]]
    allowed = len(drawings) // 50
    lines = "\n".join(
        f"  {label} read as {guess}: style {how['style']}, width {how['width']} px, slant "
        f"{how['slant']}°, rotation {how['rotation']}°, size {how['size']:.2f}, position "
        f"{how['position']}{', broken stroke' if how['broken'] else ''}"
        for label, guess, how in wrong)
    assert len(wrong) <= allowed, (f"{len(wrong)} of {len(drawings)} canvas digits misread "
                                   f"(at most {allowed} allowed):\n{lines}")
