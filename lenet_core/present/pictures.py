"""Pictures: NumPy arrays in, RGB uint8 pictures out (feature-map grids, dense strips, filters,
the 28×28 view, the saliency overlay, the receptive field, a unit's window, sample tiles).

The rule for ``present/``: a picture — an array a page shows with ``st.image`` — is built here; an
interactive chart — anything Altair — in the :mod:`lenet_core.present.charts` package; a colour rule and its
legend in :mod:`lenet_core.present.colours`. Pure functions, tested without Streamlit.
"""

from __future__ import annotations

import base64
import html
import io
import math
from functools import lru_cache

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from lenet_core.inspect.unit import Box, UnitReport
from lenet_core.present.colours import ColourScale, largest, signed_scale

GAP_COLOUR = (255, 255, 255)
LABEL_COLOUR = (90, 90, 90)
FRAME_COLOUR = (150, 150, 150)  # around each filter: a white-at-zero weight must not melt into the gap


def cell_zoom(side: int, target: int = 84) -> int:
    """Integer enlargement that brings a map of ``side`` pixels close to ``target`` pixels
    (28 -> 3, 14 -> 6, 10 -> 8, 5 -> 17): whole numbers keep every value a crisp square."""
    return max(1, round(target / max(side, 1)))


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def grid(cells: np.ndarray, scale: ColourScale, cols: int | None = None, zoom: int | None = None,
         gap: int = 3, labels: list[str] | None = None, label_height: int = 13,
         framed: bool = False) -> np.ndarray:
    """N×H×W values -> one RGB image of N coloured cells in rows of ``cols``.

    Each cell is enlarged ``zoom`` times (default :func:`cell_zoom`) by repeating pixels; a row
    whose cells have ``labels`` (non-empty) gets a band above it with each label over its cell.
    ``framed`` draws a one-pixel grey frame just outside each cell (in the gap, which must be at
    least 2), so cells whose edge values are white stay apart.
    """
    cells = np.asarray(cells, dtype=np.float32)
    n, h, w = cells.shape
    cols = min(n, cols or 8)
    rows = -(-n // cols)
    zoom = zoom or cell_zoom(max(h, w))
    ch, cw = h * zoom, w * zoom
    labels = list(labels or [])
    band = [label_height if any(labels[r * cols:(r + 1) * cols]) else 0 for r in range(rows)]
    m = 1 if framed else 0  # a margin for the outer frames
    tops = np.cumsum([m] + [band[r] + ch + gap for r in range(rows)])  # each row's first pixel
    out = np.empty((int(tops[-1]) - gap + m, cols * (cw + gap) - gap + 2 * m, 3), np.uint8)
    out[:] = GAP_COLOUR
    coloured = scale.colour(cells).repeat(zoom, axis=1).repeat(zoom, axis=2)
    texts = []
    for i in range(n):
        r, c = divmod(i, cols)
        y, x = int(tops[r]) + band[r], m + c * (cw + gap)
        if framed:
            out[y - 1:y + ch + 1, x - 1:x + cw + 1] = FRAME_COLOUR
        out[y:y + ch, x:x + cw] = coloured[i]
        if i < len(labels) and labels[i]:
            texts.append((x + 1, int(tops[r]), labels[i]))
    return _draw_texts(out, texts, label_height) if texts else out


def _draw_texts(image: np.ndarray, texts: list[tuple[int, int, str]], size: int) -> np.ndarray:
    """Write each ``(x, y, text)`` onto the image in small grey type."""
    pil = Image.fromarray(image)
    draw = ImageDraw.Draw(pil)
    font = _font(size - 2)
    for x, y, text in texts:
        draw.text((x, y), text, fill=LABEL_COLOUR, font=font)
    return np.asarray(pil)


GRID_WIDTH = 720  # px: a layer's picture at most this wide, as a dense strip is
GRID_COLS = 8  # maps a row, up to GRID_COLS² maps; more maps make a square of rows
DIGIT_WIDTH = 7  # px a digit of a map's number takes: a cell narrower than its number goes unnumbered


def feature_maps(maps: torch.Tensor | np.ndarray, scale: ColourScale, cols: int | None = None,
                 zoom: int | None = None, numbered: bool = True, names: list[str] | None = None
                 ) -> np.ndarray:
    """C×H×W feature maps -> a grid image, maps numbered from 0 left to right, top to bottom (or
    labelled with ``names``: a colour input's red, green and blue).

    Eight maps a row (a square of rows for more than 64: 1,024 maps are 32 rows of 32), each
    enlarged by :func:`cell_zoom` but no more than keeps the row GRID_WIDTH pixels wide."""
    maps = np.asarray(maps, dtype=np.float32)
    n, h, w = maps.shape
    cols = min(n, cols or (GRID_COLS if n <= GRID_COLS ** 2 else math.ceil(math.sqrt(n))))
    zoom = zoom or max(1, min(cell_zoom(max(h, w)), (GRID_WIDTH // cols - 3) // w))
    numbered = numbered and w * zoom + 3 >= DIGIT_WIDTH * len(str(n - 1))
    labels = [str(i) for i in range(n)] if numbered else None  # from 0, as PyTorch counts
    return grid(maps, scale, cols=cols, zoom=zoom, labels=names or labels)


STRIP_ROWS = 100  # a long vector's rows: 50,176 values (64@28×28) in rows of 50 would be 14,000 px tall


def dense_strip(values: torch.Tensor | np.ndarray, scale: ColourScale, cols: int | None = None,
                width: int = 720, labels: list[str] | None = None) -> np.ndarray:
    """A vector of N units -> a strip of coloured squares (wrapped into rows of ``cols``).

    Up to 128 units fit one row about ``width`` pixels wide; longer vectors wrap (``cols``
    defaults to 50, or as many as keep it STRIP_ROWS rows: 50,176 values are 100 rows of 502),
    e.g. a flattened 16@5×5 with ``cols=25`` shows one map per row.
    """
    v = np.asarray(values, dtype=np.float32).ravel()
    n = v.size
    cols = cols or (n if n <= 128 else max(50, math.ceil(n / STRIP_ROWS)))
    cell = int(np.clip(width // cols, 5, 40))
    tall = max(cell, 16)  # a one-row strip of 6-pixel squares is too thin to read
    rows = -(-n // cols)
    padded = np.full(rows * cols, np.nan, np.float32)
    padded[:n] = v
    image = scale.colour(np.nan_to_num(padded, nan=scale.vmin)).reshape(rows, cols, 3)
    image[np.isnan(padded).reshape(rows, cols)] = GAP_COLOUR
    image = image.repeat(tall if rows == 1 else cell, axis=0).repeat(cell, axis=1)
    if cell >= 4:  # a thin white line between units keeps neighbours with equal colour apart
        image[:, cell - 1::cell] = GAP_COLOUR
        if rows > 1:
            image[cell - 1::cell, :] = GAP_COLOUR
    if labels and cell >= 14:  # names under the squares, when there is room for them
        band = np.full((14, image.shape[1], 3), GAP_COLOUR, np.uint8)
        image = _draw_texts(np.concatenate([image, band]),
                            [(i * cell + 2, image.shape[0], str(t)) for i, t in enumerate(labels)], 14)
    return image


# The most filters (columns) and input channels (rows) a filter grid shows: 64 × 32 filters of
# 3×3 are a 2,900 × 1,500 pixel picture; all 256 × 128 of a wide network's would be 11,500 × 5,800.
MAX_FILTERS, MAX_CHANNELS = 64, 32


def filter_grid(weights: torch.Tensor | np.ndarray) -> tuple[np.ndarray, ColourScale]:
    """Convolution weights out×in×k×k -> a grid with one row per input channel and one column
    per filter (conv1: 1 row of 6; conv2: 6 rows of 16), on a symmetric diverging scale: the
    first MAX_FILTERS filters and MAX_CHANNELS channels of a wider convolution (the scale is
    all of its weights')."""
    scale = signed_scale(np.asarray(weights, dtype=np.float32), "weights")
    w = np.asarray(weights, dtype=np.float32)[:MAX_FILTERS, :MAX_CHANNELS]
    out_ch, in_ch, kh, kw = w.shape
    cells = w.transpose(1, 0, 2, 3).reshape(in_ch * out_ch, kh, kw)
    labels = [f"{o}" if i == 0 else "" for i in range(in_ch) for o in range(out_ch)]
    image = grid(cells, scale, cols=out_ch, zoom=cell_zoom(kh, 40), gap=6, labels=labels, framed=True)
    return image, scale


# ---- one image, enlarged ----------------------------------------------------------------------

def pixel_view(values: np.ndarray, scale: ColourScale | None = None, cell: int = 10,
               line: tuple[int, int, int] = (70, 70, 70)) -> np.ndarray:
    """A small image enlarged so each pixel is a ``cell``-sized square with a visible border.

    Default scale: grey 0 (black) … 1 (white), "what the network sees"; a colour image (3×H×W,
    0–1, an imported colour dataset's) is shown in its own colours.
    """
    values = np.asarray(values)
    if scale is None and values.ndim == 3 and values.shape[0] == 3:
        return pixel_view_rgb(np.round(np.clip(values, 0, 1).transpose(1, 2, 0) * 255), cell, line)
    scale = scale or ColourScale(0.0, 1.0, "grey", "pixel value: 0 black … 1 white")
    return pixel_view_rgb(scale.colour(values), cell, line)


def saliency_overlay(image: np.ndarray, saliency: np.ndarray, cell: int = 10) -> tuple[np.ndarray, float]:
    """The input in dim grey with the saliency painted over it: red where the strokes support the
    guess, blue where they speak against it, opacity growing with the magnitude.

    Returns the picture and the magnitude that is fully opaque (for the legend)."""
    image = np.asarray(image, dtype=np.float32)
    s = np.asarray(saliency, dtype=np.float32)
    m = largest(s)
    base = (40 + 110 * image)[..., None].repeat(3, axis=2)  # the digit stays readable underneath
    colour = np.where(s[..., None] >= 0, np.array([214, 39, 40]), np.array([31, 119, 180]))
    alpha = np.clip(np.abs(s) / m, 0, 1)[..., None] ** 0.7  # lift weak-but-real evidence a little
    mixed = (base * (1 - alpha) + colour * alpha).round().astype(np.uint8)
    return pixel_view_rgb(mixed, cell), m


def png_data_url(image: np.ndarray) -> str:
    """A picture (H×W grey or H×W×3 RGB, uint8) as a PNG ``data:`` URL: it travels inside the
    page's message, where a picture served as a media file can be removed by the next rerun before
    the browser fetches it (the Draw page reruns on every stroke, and under load its picture stayed
    broken)."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def sized_img_html(image: np.ndarray, width: int, alt: str) -> str:
    """An ``<img>`` of ``image`` (a PNG data URL) ``width`` pixels wide, with its height written
    out: the page keeps its box before the picture decodes, so nothing below it moves then (under
    load a button below a picture moved while it was being clicked, and the click was lost)."""
    height = round(width * image.shape[0] / image.shape[1])
    return (f'<img src="{png_data_url(image)}" width="{width}" height="{height}" alt="{html.escape(alt)}" '
            'style="image-rendering: pixelated; display: block">')


def captioned_row_html(images: list[np.ndarray], captions: list[str], width: int) -> str:
    """Pictures side by side, each ``width`` pixels wide with its caption under it, every box sized
    before the pictures decode (:func:`sized_img_html`)."""
    figures = "".join(
        f'<figure style="margin: 0; text-align: center">{sized_img_html(image, width, caption)}'
        f'<figcaption style="font-size: 0.8rem; opacity: 0.7">{html.escape(caption)}</figcaption></figure>'
        for image, caption in zip(images, captions, strict=True))
    return f'<div style="display: flex; flex-wrap: wrap; gap: 0.75rem">{figures}</div>'


def pixel_view_rgb(rgb: np.ndarray, cell: int = 10, line: tuple[int, int, int] = (70, 70, 70)) -> np.ndarray:
    image = np.asarray(rgb, np.uint8).repeat(cell, axis=0).repeat(cell, axis=1)
    image[cell - 1::cell, :] = line
    image[:, cell - 1::cell] = line
    return image


# ---- legends and charts -----------------------------------------------------------------------

# ---- one unit's pictures ------------------------------------------------------------------------

FIELD_COLOUR = (255, 176, 0)  # amber: visible on black, white, and both ends of every colour map


def outline(rgb: np.ndarray, box: Box, cell: int, colour=FIELD_COLOUR, width: int = 2) -> np.ndarray:
    """Draw ``box`` (in source pixels, already inside the picture) on a picture enlarged ``cell``
    times: a frame ``width`` pixels thick just inside the box's edge."""
    out = np.array(rgb, copy=True)
    top, left = box.top * cell, box.left * cell
    bottom, right = (box.bottom + 1) * cell, (box.right + 1) * cell
    out[top:top + width, left:right] = colour
    out[bottom - width:bottom, left:right] = colour
    out[top:bottom, left:left + width] = colour
    out[top:bottom, right - width:right] = colour
    return out



def field_picture(image: np.ndarray, box: Box, cell: int = 10) -> np.ndarray:
    """The 28×28 image ("what the network sees") with a unit's receptive field outlined."""
    return outline(pixel_view(image, cell=cell), box, cell)



def window_pictures(report: UnitReport, source_scale: ColourScale, side: int = 100
                    ) -> dict[str, tuple[np.ndarray, ColourScale]]:
    """What a convolution or pooling unit reads, and for a convolution its filter and the
    products: ``{"inputs": ..., "weights": ..., "products": ...}``, each a picture and its scale.

    Input channels side by side (conv2 reads six 5×5 windows), each about ``side`` pixels wide;
    positions in the padding are 0.
    """
    patch = report.inputs if report.inputs.ndim == 3 else report.inputs[None]
    cell = max(4, side // patch.shape[-1])  # a 5×5 window and a 2×2 one come out the same size
    pictures = {"inputs": (grid(patch, source_scale, zoom=cell, gap=3), source_scale)}
    if report.weights is not None:
        weights_scale = signed_scale(report.weights, "weights")
        products = report.inputs * report.weights
        product_scale = signed_scale(products, "w·x")
        pictures["weights"] = (grid(report.weights, weights_scale, zoom=cell, gap=3), weights_scale)
        pictures["products"] = (grid(products, product_scale, zoom=cell, gap=3), product_scale)
    return pictures



# ---- samples -----------------------------------------------------------------------------------

GAP_VALUE = 128  # mid grey: visible between Fashion-MNIST's and MNIST's black backgrounds


def _as_uint8_stack(images) -> np.ndarray:
    array = np.asarray(images.cpu() if hasattr(images, "cpu") else images)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.dtype != np.uint8:
        raise ValueError(f"expected uint8 images N×H×W, got {array.dtype} {array.shape}")
    return array


def upscale(image, scale: int) -> np.ndarray:
    """Each pixel becomes a ``scale``×``scale`` block (sharp pixels, no smoothing)."""
    if scale < 1:
        raise ValueError(f"scale must be at least 1, got {scale}")
    image = np.asarray(image)
    return np.repeat(np.repeat(image, scale, axis=-2), scale, axis=-1)


def sample_picture(image, scale: int) -> np.ndarray:
    """One sample enlarged ``scale`` times, as ``st.image`` takes it: a grey H×W image as it is, a
    colour one (3×H×W, PyTorch's order) as H×W×3."""
    image = np.asarray(image.cpu() if hasattr(image, "cpu") else image)
    if image.ndim == 3:
        image = image.transpose(1, 2, 0)
    return np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)


def tile(images, ncols: int, scale: int = 1, *, gap: int = 1, gap_value: int = GAP_VALUE) -> np.ndarray:
    """N images (N×H×W uint8, NumPy or a tensor) -> one grid, row by row, ``ncols`` wide.
    Colour images (N×3×H×W, an imported colour dataset's) give an H×W×3 grid.

    Images are upscaled by ``scale``; ``gap`` pixels of ``gap_value`` separate them, and the
    cells after the last image are filled with ``gap_value`` too.
    """
    array = np.asarray(images.cpu() if hasattr(images, "cpu") else images)
    if array.ndim == 4 and array.shape[1] == 3:  # each channel tiled alike, then put back together
        return np.stack([tile(array[:, c], ncols, scale, gap=gap, gap_value=gap_value) for c in range(3)],
                        axis=-1)
    stack = _as_uint8_stack(images)
    if ncols < 1:
        raise ValueError(f"ncols must be at least 1, got {ncols}")
    n, height, width = stack.shape
    ncols = min(ncols, max(n, 1))
    nrows = max(math.ceil(n / ncols), 1)
    cell_h, cell_w = height * scale, width * scale
    grid = np.full((nrows * cell_h + (nrows - 1) * gap, ncols * cell_w + (ncols - 1) * gap),
                   gap_value, dtype=np.uint8)
    for i, image in enumerate(upscale(stack, scale)):
        row, col = divmod(i, ncols)
        top, left = row * (cell_h + gap), col * (cell_w + gap)
        grid[top:top + cell_h, left:left + cell_w] = image
    return grid
