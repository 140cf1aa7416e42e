"""Colour rules: one per layer, chosen from what the layer can output (:func:`layer_scales`): a
sigmoid's 0…1 and a tanh's −1…1 are fixed, so two drawings can be compared; a ReLU's output is
scaled 0…its largest value; anything signed (convolutions, dense layers, batch norm) uses a
diverging scale symmetric about zero, white at 0. Every picture (:mod:`lenet_core.present.pictures`)
and chart takes the :class:`ColourScale` it uses, so a page can always show the legend beside it
(:func:`legend_html`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cache

import numpy as np
import torch
from torch import nn

from lenet_core.format import format_significant

# Anchor colours, interpolated into 257-entry tables. Viridis (sequential, perceptually even) and
# a blue-white-red diverging map in the manner of ColorBrewer's RdBu.
_ANCHORS = {
    "sequential": ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89",
                   "#35b779", "#6ece58", "#b5de2b", "#fde725"],
    "diverging": ["#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7",
                  "#fddbc7", "#f4a582", "#d6604d", "#b2182b"],
    "grey": ["#000000", "#ffffff"],
    # a colour input's channels, each from black to its own colour (the 3D view's input maps)
    "red": ["#000000", "#ff0000"],
    "green": ["#000000", "#00ff00"],
    "blue": ["#000000", "#0000ff"],
}



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


def largest(values: torch.Tensor | np.ndarray) -> float:
    v = float(np.abs(np.asarray(values)).max()) if np.asarray(values).size else 0.0
    return v if v > 1e-12 else 1.0


def signed_scale(values, what: str = "signed values") -> ColourScale:
    m = largest(values)
    return ColourScale(-m, m, "diverging", f"{what}: blue negative, white 0, red positive; "
                       f"±{format_significant(m)} is this layer's largest magnitude")


def fixed_scale(vmin: float, vmax: float, why: str) -> ColourScale:
    cmap = "diverging" if vmin < 0 else "sequential"
    return ColourScale(vmin, vmax, cmap,
                       f"{why}: fixed {format_significant(vmin)} … {format_significant(vmax)}, "
                       "the same for every input")


def positive_scale(values, why: str) -> ColourScale:
    m = float(np.asarray(values).max()) if np.asarray(values).size else 0.0
    m = m if m > 1e-12 else 1.0
    return ColourScale(0.0, m, "sequential",
                       f"{why}: 0 … {format_significant(m)}, this layer's largest value")


# What each module's output can be: "unit" (0…1), "tanh" (−1…1), "positive" (≥ 0), "signed".
_PRODUCES = {"Sigmoid": "unit", "Tanh": "tanh", "ReLU": "positive", "Softmax": "unit",
             "Conv2d": "signed", "Linear": "signed", "BatchNorm2d": "signed", "BatchNorm1d": "signed"}


def layer_rules(modules: list[tuple[str, str]]) -> dict[str, str]:
    """What each layer of ``(name, torch.nn class name)`` pairs outputs — unit, tanh, positive
    or signed — from the module types: layers that only move values around (pooling, flatten,
    dropout) keep the range of what came before them. The pictures' scales (:func:`layer_scales`)
    and the browser's 3D view (:mod:`lenet_core.present.view_spec`) both read it."""
    rules: dict[str, str] = {}
    produces = "signed"
    for name, kind in modules:
        produces = _PRODUCES.get(kind, produces)
        rules[name] = produces
    return rules


def layer_scales(model: nn.Sequential, outputs: dict[str, torch.Tensor]) -> dict[str, ColourScale]:
    """One colour rule per layer (:func:`layer_rules`), its range from the layer's values."""
    scales: dict[str, ColourScale] = {}
    rules = layer_rules([(name, type(module).__name__) for name, module in model.named_children()])
    for name, produces in rules.items():
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
        f'<span style="position:absolute;left:0">{format_significant(scale.vmin)}</span>{mid}'
        f'<span style="position:absolute;right:0">{format_significant(scale.vmax)}</span></div>'
        f'<div style="color:#666">{html.escape(scale.rule)}</div></div>'
    )


# ---- one colour per run ---------------------------------------------------------------------------
# Vega's tableau10, in its order: the compared runs' lines and the legend above them share it.
RUN_COLOURS = ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6",
               "#9d755d", "#bab0ac")


def run_colours(names: list[str]) -> dict[str, str]:
    """Each run's colour, in the order given (the palette repeats after ten runs)."""
    return {name: RUN_COLOURS[k % len(RUN_COLOURS)] for k, name in enumerate(names)}


def runs_legend_html(names: list[str]) -> str:
    """The compared runs' colours as one block of HTML that wraps with the page's width (a
    chart's own legend cut long names and ran past a narrow page)."""
    items = "".join(
        f'<span style="display:inline-flex;align-items:center;gap:0.35em;margin-right:1.2em">'
        f'<span style="width:0.75em;height:0.75em;border-radius:50%;background:{colour}"></span>'
        f"{html.escape(name)}</span>"
        for name, colour in run_colours(names).items())
    return f'<div class="lenet-runs-legend" style="font-size:0.85rem;line-height:1.6">{items}</div>'

