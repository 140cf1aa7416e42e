"""Pictures of what a network computes: tensors in, RGB images (uint8 NumPy arrays), HTML legends
and Altair charts out. Pure functions, shared by the Draw page and the Layer Explorer.

Colour follows one rule per layer, chosen from what the layer can output (:func:`layer_scales`):
a sigmoid's 0…1 and a tanh's −1…1 are fixed, so two drawings can be compared; a ReLU's output is
scaled 0…its largest value; anything signed (convolutions, dense layers, batch norm) uses a
diverging scale symmetric about zero, white at 0. Every picture returns or takes the
:class:`ColourScale` it used, so a page can always show the legend next to it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cache, lru_cache

import altair as alt
import numpy as np
import pandas as pd
import torch
from PIL import Image, ImageDraw, ImageFont
from torch import nn

# Anchor colours, interpolated into 257-entry tables. Viridis (sequential, perceptually even) and
# a blue-white-red diverging map in the manner of ColorBrewer's RdBu.
_ANCHORS = {
    "sequential": ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89",
                   "#35b779", "#6ece58", "#b5de2b", "#fde725"],
    "diverging": ["#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7",
                  "#fddbc7", "#f4a582", "#d6604d", "#b2182b"],
    "grey": ["#000000", "#ffffff"],
}
GAP_COLOUR = (255, 255, 255)
LABEL_COLOUR = (90, 90, 90)
FRAME_COLOUR = (150, 150, 150)  # around each filter: a white-at-zero weight must not melt into the gap


@cache
def colour_table(cmap: str) -> np.ndarray:
    """257×3 uint8 lookup table of a colour map (odd, so that a diverging map has an exact middle)."""
    anchors = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in _ANCHORS[cmap]], float)
    positions = np.linspace(0, 1, len(anchors))
    steps = np.linspace(0, 1, 257)
    table = np.stack([np.interp(steps, positions, anchors[:, k]) for k in range(3)], axis=1)
    return table.round().astype(np.uint8)


@dataclass(frozen=True)
class ColourScale:
    vmin: float
    vmax: float
    cmap: str  # "sequential", "diverging" or "grey"
    rule: str  # one sentence a page shows under the legend

    def colour(self, values: np.ndarray) -> np.ndarray:
        """Values (any shape) -> RGB uint8 (shape + (3,)); values outside the range are clipped."""
        span = self.vmax - self.vmin or 1.0
        index = np.clip((np.asarray(values, dtype=np.float32) - self.vmin) / span, 0, 1) * 256
        return colour_table(self.cmap)[index.round().astype(np.intp)]


def _largest(values: torch.Tensor | np.ndarray) -> float:
    v = float(np.abs(np.asarray(values)).max()) if np.asarray(values).size else 0.0
    return v if v > 1e-12 else 1.0


def signed_scale(values, what: str = "signed values") -> ColourScale:
    m = _largest(values)
    return ColourScale(-m, m, "diverging", f"{what}: blue negative, white 0, red positive; ±{m:.3g} "
                       "is this layer's largest magnitude")


def fixed_scale(vmin: float, vmax: float, why: str) -> ColourScale:
    cmap = "diverging" if vmin < 0 else "sequential"
    return ColourScale(vmin, vmax, cmap,
                       f"{why}: fixed {_number(vmin)} … {_number(vmax)}, the same for every input")


def positive_scale(values, why: str) -> ColourScale:
    m = float(np.asarray(values).max()) if np.asarray(values).size else 0.0
    m = m if m > 1e-12 else 1.0
    return ColourScale(0.0, m, "sequential", f"{why}: 0 … {m:.3g}, this layer's largest value")


# What each module's output can be: "unit" (0…1), "tanh" (−1…1), "positive" (≥ 0), "signed".
_PRODUCES = {"Sigmoid": "unit", "Tanh": "tanh", "ReLU": "positive", "Softmax": "unit",
             "Conv2d": "signed", "Linear": "signed", "BatchNorm2d": "signed", "BatchNorm1d": "signed"}


def layer_scales(model: nn.Sequential, outputs: dict[str, torch.Tensor]) -> dict[str, ColourScale]:
    """One colour rule per layer, from the module types: layers that only move values around
    (pooling, flatten, dropout) keep the range of what came before them."""
    scales: dict[str, ColourScale] = {}
    produces = "signed"
    for name, module in model.named_children():
        kind = type(module).__name__
        produces = _PRODUCES.get(kind, produces)
        values = outputs[name]
        if produces == "unit":
            scales[name] = fixed_scale(0.0, 1.0, "sigmoid range")
        elif produces == "tanh":
            scales[name] = fixed_scale(-1.0, 1.0, "tanh range")
        elif produces == "positive":
            scales[name] = positive_scale(values, "ReLU output")
        else:
            scales[name] = signed_scale(values, "signed output")
    return scales


# ---- grids of maps ---------------------------------------------------------------------------

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


def feature_maps(maps: torch.Tensor | np.ndarray, scale: ColourScale, cols: int | None = None,
                 zoom: int | None = None, numbered: bool = True) -> np.ndarray:
    """C×H×W feature maps -> a grid image, maps numbered 1…C left to right, top to bottom."""
    maps = np.asarray(maps, dtype=np.float32)
    labels = [str(i + 1) for i in range(maps.shape[0])] if numbered else None
    return grid(maps, scale, cols=cols, zoom=zoom, labels=labels)


def dense_strip(values: torch.Tensor | np.ndarray, scale: ColourScale, cols: int | None = None,
                width: int = 720, labels: list[str] | None = None) -> np.ndarray:
    """A vector of N units -> a strip of coloured squares (wrapped into rows of ``cols``).

    Up to 128 units fit one row about ``width`` pixels wide; longer vectors wrap (``cols``
    defaults to 50), e.g. a flattened 16@5×5 with ``cols=25`` shows one map per row.
    """
    v = np.asarray(values, dtype=np.float32).ravel()
    n = v.size
    cols = cols or (n if n <= 128 else 50)
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


def filter_grid(weights: torch.Tensor | np.ndarray) -> tuple[np.ndarray, ColourScale]:
    """Convolution weights out×in×k×k -> a grid with one row per input channel and one column
    per filter (conv1: 1 row of 6; conv2: 6 rows of 16), on a symmetric diverging scale."""
    w = np.asarray(weights, dtype=np.float32)
    out_ch, in_ch, kh, kw = w.shape
    scale = signed_scale(w, "weights")
    cells = w.transpose(1, 0, 2, 3).reshape(in_ch * out_ch, kh, kw)
    labels = [f"{o + 1}" if i == 0 else "" for i in range(in_ch) for o in range(out_ch)]
    image = grid(cells, scale, cols=out_ch, zoom=cell_zoom(kh, 40), gap=6, labels=labels, framed=True)
    return image, scale


# ---- one image, enlarged ----------------------------------------------------------------------

def pixel_view(values: np.ndarray, scale: ColourScale | None = None, cell: int = 10,
               line: tuple[int, int, int] = (70, 70, 70)) -> np.ndarray:
    """A small 2-D image enlarged so each pixel is a ``cell``-sized square with a visible border.

    Default scale: grey 0 (black) … 1 (white), "what the network sees".
    """
    scale = scale or ColourScale(0.0, 1.0, "grey", "pixel value: 0 black … 1 white")
    return pixel_view_rgb(scale.colour(values), cell, line)


def saliency_overlay(image: np.ndarray, saliency: np.ndarray, cell: int = 10) -> tuple[np.ndarray, float]:
    """The input in dim grey with the saliency painted over it: red where the strokes support the
    guess, blue where they speak against it, opacity growing with the magnitude.

    Returns the picture and the magnitude that is fully opaque (for the legend)."""
    image = np.asarray(image, dtype=np.float32)
    s = np.asarray(saliency, dtype=np.float32)
    m = _largest(s)
    base = (40 + 110 * image)[..., None].repeat(3, axis=2)  # the digit stays readable underneath
    colour = np.where(s[..., None] >= 0, np.array([214, 39, 40]), np.array([31, 119, 180]))
    alpha = np.clip(np.abs(s) / m, 0, 1)[..., None] ** 0.7  # lift weak-but-real evidence a little
    mixed = (base * (1 - alpha) + colour * alpha).round().astype(np.uint8)
    return pixel_view_rgb(mixed, cell), m


def pixel_view_rgb(rgb: np.ndarray, cell: int = 10, line: tuple[int, int, int] = (70, 70, 70)) -> np.ndarray:
    image = np.asarray(rgb, np.uint8).repeat(cell, axis=0).repeat(cell, axis=1)
    image[cell - 1::cell, :] = line
    image[:, cell - 1::cell] = line
    return image


# ---- legends and charts -----------------------------------------------------------------------

def legend_html(scale: ColourScale, width: int = 180) -> str:
    """A colour bar with its end values (and 0 for a diverging scale) as a small HTML block."""
    stops = ", ".join(_ANCHORS[scale.cmap])
    mid = '<span style="position:absolute;left:50%;transform:translateX(-50%)">0</span>' \
        if scale.vmin < 0 < scale.vmax else ""
    return (
        '<div class="lenet-legend" style="font-size:0.75rem;line-height:1.1;margin:2px 0 6px 0">'
        f'<div style="width:{width}px;height:10px;border:1px solid #bbb;'
        f'background:linear-gradient(to right, {stops})"></div>'
        f'<div style="position:relative;width:{width}px;height:1.1em">'
        f'<span style="position:absolute;left:0">{_number(scale.vmin)}</span>{mid}'
        f'<span style="position:absolute;right:0">{_number(scale.vmax)}</span></div>'
        f'<div style="color:#666">{html.escape(scale.rule)}</div></div>'
    )


def _number(v: float) -> str:
    return f"{v:.3g}".replace("-", "−")


# A bar longer than this share of the axis carries its value inside it, in white; a shorter one
# to its right, so that a guess of 0.05% (no visible bar) still reads as a number.
INSIDE_LABEL = 0.8


def probability_chart(probabilities: torch.Tensor | np.ndarray, classes: list[str] | tuple[str, ...]
                      ) -> alt.LayerChart:
    """Horizontal bars of all class probabilities, first guess and second guess highlighted, each
    bar labelled with its value (``<0.1%`` when too small to see)."""
    from lenet_core.inspect.activations import format_probability

    p = np.asarray(probabilities, dtype=np.float64).ravel()
    order = np.argsort(-p)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(p))
    role = np.where(rank == 0, "first guess", np.where(rank == 1, "second guess", "other"))
    frame = pd.DataFrame({"class": [str(c) for c in classes], "probability": p, "role": role,
                          "label": [format_probability(v) for v in p]})
    bars = alt.Chart().mark_bar().encode(
        color=alt.Color("role:N", title=None,
                        scale=alt.Scale(domain=["first guess", "second guess", "other"],
                                        range=["#d62728", "#ff9896", "#c7c7c7"]),
                        legend=None),  # narrow column: the page says what the colours mean
        tooltip=[alt.Tooltip("class:N"), alt.Tooltip("probability:Q", format=".2%")],
    )
    outside = alt.Chart().mark_text(align="left", dx=4, fontSize=11, color="#444").encode(
        text="label:N").transform_filter(f"datum.probability <= {INSIDE_LABEL}")
    inside = alt.Chart().mark_text(align="right", dx=-4, fontSize=11, color="white",
                                   fontWeight="bold").encode(
        text="label:N").transform_filter(f"datum.probability > {INSIDE_LABEL}")
    return alt.layer(bars, outside, inside, data=frame).encode(
        y=alt.Y("class:N", sort=[str(c) for c in classes], title=None,
                axis=alt.Axis(labelOverlap=False, labelFontSize=13)),
        # Ticks set by hand: in a narrow column Vega-Lite chose 0%, 40%, 80%, and a bar of a sure
        # guess ran past the last label with no 100% to read it against.
        x=alt.X("probability:Q", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", values=[0, 0.25, 0.5, 0.75, 1]), title="probability"),
    ).properties(height=alt.Step(22), width="container")
