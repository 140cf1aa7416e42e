"""Preprocessing: a drawing becomes a 28×28 image made the way MNIST's digits were made.

The references are MNIST's own files: the mnist-5k digits' bounding boxes are 20 pixels on their
longest side and their centres of mass sit at (14, 14).
"""

import io
import warnings

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from lenet_core.data import read_split
from lenet_core.data.preprocess import centre_of_mass, load_image, mnist_style
from lenet_core.errors import LabError
from lenet_core.model.architectures import get_architecture
from lenet_core.model.inputs import standardise


def canvas(strokes, size=280, ink=(255, 255, 255, 255), background=(0, 0, 0, 255), width=20):
    """An RGBA array like the canvas returns: strokes drawn with PIL, background baked in."""
    image = Image.new("RGBA", (size, size), background)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        if len(stroke) == 1:
            (x, y), r = stroke[0], width // 2
            draw.ellipse([x - r, y - r, x + r, y + r], fill=ink)
        else:
            draw.line(stroke, fill=ink, width=width, joint="curve")
    return np.asarray(image)


def ink_box(image, threshold=0.0):
    rows = np.flatnonzero((image > threshold).any(axis=1))
    cols = np.flatnonzero((image > threshold).any(axis=0))
    return rows[0], rows[-1], cols[0], cols[-1]


SEVEN = [[(60, 50), (220, 50), (110, 250)]]


def test_result_is_28x28_in_unit_range_with_full_white_ink():
    result = mnist_style(canvas(SEVEN))
    assert not result.blank and result.image.shape == (28, 28) and result.image.dtype == np.float32
    assert result.image.min() == 0.0 and result.image.max() == pytest.approx(1.0, abs=0.02)


def test_centre_of_mass_lands_on_the_centre_like_mnist():
    # The reference: MNIST's own digits have their centre of mass at (14, 14).
    images, _ = read_split("mnist-5k", "test")
    mnist_centres = np.array([centre_of_mass(im.astype(float)) for im in images[:200]])
    assert np.allclose(mnist_centres.mean(axis=0), [14, 14], atol=0.15)
    # A digit drawn off-centre, in a corner of the canvas, ends up centred the same way (to within
    # half a pixel: the shift is whole pixels, so that no interpolation blurs the strokes).
    corner = [[(20, 20), (90, 20), (40, 110)]]
    for strokes in (SEVEN, corner, [[(200, 150), (200, 260)]]):
        cy, cx = centre_of_mass(mnist_style(canvas(strokes)).image)
        assert abs(cy - 14) <= 0.51 and abs(cx - 14) <= 0.51


def test_longest_side_is_scaled_to_20_pixels_keeping_the_aspect_ratio():
    # A 200×100 rectangle outline (2:1) must come out 20 tall and 10 wide, whatever its size.
    for scale in (1.0, 0.5):
        h, w = int(200 * scale), int(100 * scale)
        rect = [[(90, 40), (90 + w, 40), (90 + w, 40 + h), (90, 40 + h), (90, 40)]]
        image = mnist_style(canvas(rect, width=max(4, int(16 * scale)))).image
        top, bottom, left, right = ink_box(image, 0.1)
        height, width = bottom - top + 1, right - left + 1
        assert height == 20
        assert abs(width / height - (w + 16 * scale) / (h + 16 * scale)) < 0.1


def test_shrinking_is_anti_aliased_into_grey_levels():
    image = mnist_style(canvas(SEVEN)).image
    grey = ((image > 0.05) & (image < 0.95)).sum()
    assert grey >= 10  # MNIST's edges are grey; a nearest-neighbour shrink would leave none


def test_blank_canvas_is_blank_with_a_note():
    for blank in (np.zeros((280, 280, 4), np.uint8), canvas([]), np.full((50, 60), 255, np.uint8)):
        result = mnist_style(blank)
        assert result.blank and result.image is None and "no ink" in result.note


def test_faint_noise_alone_is_blank():
    rng = np.random.default_rng(0)
    noisy = (rng.random((280, 280)) * 20).astype(np.uint8)  # below 8 % of full brightness
    assert mnist_style(noisy).blank


def test_a_single_dot_is_centred_and_fits_the_box():
    result = mnist_style(canvas([[(60, 230)]], width=16))
    assert not result.blank
    top, bottom, left, right = ink_box(result.image, 0.1)
    assert bottom - top + 1 <= 20 and right - left + 1 <= 20
    cy, cx = centre_of_mass(result.image)
    assert abs(cy - 14) <= 0.51 and abs(cx - 14) <= 0.51
    assert "small" in result.note  # a dot is enlarged a lot: the page says so


def test_a_stroke_touching_every_edge_stays_whole():
    cross = [[(0, 0), (279, 279)], [(279, 0), (0, 279)]]
    result = mnist_style(canvas(cross, width=30))
    top, bottom, left, right = ink_box(result.image, 0.1)
    assert bottom - top + 1 == 20 and right - left + 1 == 20
    assert 3 <= top and bottom <= 24 and 3 <= left and right <= 24  # nothing pushed off the field
    assert result.note is None


def test_a_lopsided_digit_is_kept_inside_the_field():
    # Almost all the mass in the top bar: centring the mass exactly would push the tail out.
    seven = [[(20, 20), (260, 20)], [(258, 20), (240, 270)]]
    result = mnist_style(canvas(seven, width=60))
    assert result.image[0].max() < 0.1 or result.image[-1].max() < 0.1
    assert result.image.sum() > 0.8 * mnist_style(canvas(seven, width=60)).image.sum()
    top, bottom, _, _ = ink_box(result.image, 0.1)
    assert bottom - top + 1 == 20


def test_dark_ink_on_light_background_is_inverted():
    dark_on_light = canvas(SEVEN, ink=(20, 20, 30, 255), background=(250, 248, 240, 255))
    light_on_dark = canvas(SEVEN)
    a, b = mnist_style(dark_on_light), mnist_style(light_on_dark)
    assert a.inverted and not b.inverted
    assert np.abs(a.image - b.image).max() < 0.05


def test_grey_rgb_and_transparent_images_give_the_same_digit():
    rgba = canvas(SEVEN)
    reference = mnist_style(rgba).image
    grey = rgba[:, :, 0]
    rgb = rgba[:, :, :3]
    transparent = rgba.copy()
    transparent[:, :, :3] = 0  # black ink on a transparent background: alpha is the ink
    transparent[:, :, 3] = rgba[:, :, 0]
    floats = rgba[:, :, 0].astype(np.float32) / 255
    for variant in (grey, rgb, transparent, floats, grey[:, :, None]):
        assert np.abs(mnist_style(variant).image - reference).max() < 1e-5


def test_a_real_mnist_digit_survives_preprocessing_nearly_unchanged():
    images, _ = read_split("mnist-5k", "test")
    for digit in images[:20]:
        again = mnist_style(digit).image
        original = digit.astype(np.float32) / 255
        assert np.abs(again - original).mean() < 0.06


def test_bad_arrays_are_refused_in_words():
    with pytest.raises(LabError, match="H×W"):
        mnist_style(np.zeros((4, 4, 5)))


def test_model_input_is_normalised_and_padded_for_lenet5():
    image = mnist_style(canvas(SEVEN)).image
    x = standardise(image, 0.1307, 0.3081, "lenet-classic")
    assert x.shape == (1, 1, 28, 28)
    assert torch.allclose(x[0, 0], (torch.from_numpy(image) - 0.1307) / 0.3081)
    padded = standardise(image, 0.1307, 0.3081, get_architecture("lenet5"))
    assert padded.shape == (1, 1, 32, 32)
    assert torch.equal(padded[0, 0, 2:30, 2:30], x[0, 0]) and padded[0, 0, 0].abs().max() == 0


def test_load_image_reads_png_and_jpeg_and_refuses_the_rest(tmp_path):
    Image.fromarray(canvas(SEVEN)).save(tmp_path / "seven.png")
    Image.fromarray(canvas(SEVEN)[:, :, :3]).save(tmp_path / "seven.jpg", quality=90)
    png, jpg = load_image(tmp_path / "seven.png"), load_image((tmp_path / "seven.jpg").read_bytes())
    assert png.shape == jpg.shape == (280, 280, 4)
    assert np.abs(mnist_style(png).image - mnist_style(jpg).image).mean() < 0.02
    (tmp_path / "notes.png").write_text("not a picture")
    with pytest.raises(LabError, match="not an image"):
        load_image(tmp_path / "notes.png")
    with pytest.raises(LabError, match="no such file"):
        load_image(tmp_path / "missing.png")


def test_huge_images_are_refused_before_decoding(tmp_path):
    Image.new("L", (5000, 4000)).save(tmp_path / "huge.png")  # small file, 20 megapixels
    with pytest.raises(LabError, match="too large"):
        load_image(tmp_path / "huge.png")
    with pytest.raises(LabError, match="too large"):
        load_image(b"\x00" * (11 * 2**20), "big.png")


def test_the_size_is_read_from_png_and_jpeg_headers(tmp_path):
    from lenet_core.data.preprocess import image_size

    for fmt, mode, size in (("PNG", "L", (37, 21)), ("JPEG", "RGB", (640, 480)), ("PNG", "RGBA", (1, 1))):
        buffer = io.BytesIO()
        Image.new(mode, size).save(buffer, format=fmt)
        assert image_size(buffer.getvalue(), "x") == size
    assert image_size(b"GIF89a...", "x") is None and image_size(b"\x89PNG\r\n\x1a\n", "x") is None


def test_a_decompression_bomb_is_refused_before_pil_opens_it():
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, format="PNG")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(LabError, match="10,000×10,000 pixels is too large"):
            load_image(buffer.getvalue(), "bomb.png")
    assert caught == []  # PIL's DecompressionBombWarning never fired
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, format="PNG")  # past PIL's own error, too
    with pytest.raises(LabError, match="over 178,956,970 pixels is too large"):
        load_image(buffer.getvalue(), "bigger.png")
