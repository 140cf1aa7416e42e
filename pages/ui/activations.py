"""Every layer's output for one input, in network order: the widget shared by the Draw page and
the Layer Explorer.

    render_layers(model, arch, seen, key_prefix, classes=None, narrow=False)

- ``model``: an ``nn.Sequential`` in eval mode whose children are named after the layer specs
  (as :func:`lenet_core.model.checkpoints.load_model` returns it).
- ``arch``: its :class:`~lenet_core.model.architectures.Architecture` (or name), for each layer's kind, or
  ``None`` to go by the module types alone.
- ``seen``: the page's :func:`lenet_core.inspect.activations.forward_pass` for one image (its
  input, every layer's output and the probabilities, mirrored where the checkpoint asks): the
  one forward pass every view of the page shows.
- ``key_prefix``: makes the widget keys unique when a page shows the widget more than once.
- ``classes``: class names, to label the last layer and the softmax (default 0…N−1).
- ``narrow``: the widget sits in half a page (two samples side by side): each layer's legend and
  its *Enlarge a map* go under its maps instead of beside them, and pictures are at most
  :data:`NARROW_WIDTH` pixels wide.

Shows, for each layer, its label ("conv1 · 6@28×28"), a grid of feature maps (3-D outputs) or a
strip of units (1-D outputs) with a colour legend and the layer's colour rule, a popover to
enlarge one map, then the softmax and the convolution filters (weights).
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch
from torch import nn

from lenet_core.format import format_significant
from lenet_core.inspect.activations import Forward
from lenet_core.model.architectures import Architecture, get_architecture
from lenet_core.model.shapes import layer_label
from lenet_core.present import colours, pictures
from lenet_core.present.scene import CHANNELS
from pages.ui import state

NARROW_WIDTH = 400  # half of the main column at 1280 px, less the card's padding
KIND_WORDS = {"conv": "convolution", "pool": "pooling", "dense": "dense (fully connected)",
              "activation": "activation", "norm": "batch normalisation", "flatten": "flatten",
              "dropout": "dropout (only while training)"}


def _kinds(model: nn.Sequential, arch: Architecture | str | None) -> dict[str, str]:
    if isinstance(arch, str):
        arch = get_architecture(arch)
    by_spec = {spec.name: KIND_WORDS[spec.kind] for spec in arch.layers} if arch else {}
    return {name: by_spec.get(name, type(module).__name__) for name, module in model.named_children()}


def render_layers(model: nn.Sequential, arch: Architecture | str | None, seen: Forward, key_prefix: str,
                  classes: list[str] | tuple[str, ...] | None = None, narrow: bool = False) -> None:
    x, outputs, probabilities = seen.x, seen.outputs, seen.probabilities
    classes = list(classes) if classes is not None else [str(i) for i in range(len(probabilities))]
    scales = colours.layer_scales(model, outputs)
    kinds = _kinds(model, arch)
    modules = dict(model.named_children())

    x1 = x[0] if x.dim() == 4 else x
    colour = x1.shape[0] == len(CHANNELS)
    _layer_row("input", x1, colours.signed_scale(x1, "normalised input"),
               "what the first layer receives" + (": the picture's red, green and blue" if colour else ""),
               key_prefix, labels=list(CHANNELS) if colour else None, narrow=narrow)
    last = list(outputs)[-1]
    for name, values in outputs.items():
        _layer_row(name, values, scales[name], f"{kinds[name]} · {type(modules[name]).__name__}",
                   key_prefix, labels=classes if name == last else None, narrow=narrow)
    _layer_row("softmax", probabilities, colours.fixed_scale(0.0, 1.0, "probability"),
               "probabilities: the last layer's outputs, exponentiated and scaled to sum to 1",
               key_prefix, labels=classes, narrow=narrow)
    render_filters(model, narrow=narrow)


def _layer_row(name: str, values: torch.Tensor, scale: colours.ColourScale, detail: str, key_prefix: str,
               labels: list[str] | None = None, narrow: bool = False) -> None:
    values = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
    with st.container(border=True):
        if narrow:  # one column: label, maps, then legend and Enlarge under them
            head = legend = st.container()
        else:
            head, legend = st.columns([3, 1], vertical_alignment="top")
        head.markdown(f"**{layer_label(name, [1, *values.shape])}** &nbsp; "
                      f"<span style='color:#777;font-size:0.85rem'>{detail}</span>",
                      unsafe_allow_html=True)
        if values.ndim == 3:
            image = pictures.feature_maps(values, scale, names=labels)
        else:
            image = pictures.dense_strip(values, scale, labels=labels, width=NARROW_WIDTH if narrow else 720)
        head.image(image, width=_width(image, narrow))
        legend.html(colours.legend_html(scale))
        if values.ndim == 3:
            _enlarge_popover(legend, name, values, scale, key_prefix)


def _width(image: np.ndarray, narrow: bool) -> int:
    """A picture's width on screen: its own, or in a narrow column at most NARROW_WIDTH (shrunk
    by the browser, never enlarged: enlarging would blur the squares)."""
    return min(image.shape[1], NARROW_WIDTH) if narrow else image.shape[1]


def _enlarge_popover(where, name: str, maps: np.ndarray, scale: colours.ColourScale, key_prefix: str) -> None:
    # on_change="rerun" makes the popover report whether it is open: the enlarged picture is
    # only made for the one a person opened, not for every layer on every stroke.
    popover = where.popover("Enlarge a map", icon=":material/zoom_in:", on_change="rerun",
                            key=state.key(key_prefix, f"popover_{name}"))
    if not popover.open:
        return
    with popover:
        n = maps.shape[0]
        index = 0 if n == 1 else st.slider("Map", 1, n, 1, key=state.key(key_prefix, f"enlarge_{name}")) - 1
        one = maps[index]
        cell = max(4, 280 // max(one.shape))
        st.image(pictures.pixel_view(one, scale, cell=cell), width=cell * one.shape[1],
                 caption=f"{name} map {index}: min {format_significant(float(one.min()))}, "
                         f"max {format_significant(float(one.max()))}")


def render_filters(model: nn.Sequential, narrow: bool = False) -> None:
    """Each convolution's learned weights: one column per filter, one row per input channel."""
    convs = [(name, m) for name, m in model.named_children() if isinstance(m, nn.Conv2d)]
    if not convs:
        return
    st.markdown("#### Convolution filters (learned weights)")
    st.caption("Each filter slides over its input maps; red weights add where the input is bright, "
               "blue ones subtract. Columns are the filters (one per output map), rows the input "
               "channels they read.")
    for name, conv in convs:
        weights = conv.weight.detach().cpu()
        image, scale = pictures.filter_grid(weights)
        out_ch, in_ch, k, _ = weights.shape
        with st.container(border=True):
            head, legend = (st.container(),) * 2 if narrow else st.columns([3, 1])
            head.markdown(f"**{name} weights · {out_ch} filters of {in_ch}×{k}×{k}**")
            if out_ch > pictures.MAX_FILTERS or in_ch > pictures.MAX_CHANNELS:
                head.caption(f"The first {min(out_ch, pictures.MAX_FILTERS)} filters, on their first "
                             f"{min(in_ch, pictures.MAX_CHANNELS)} input channels: a picture of all "
                             "of them would be too large to show.")
            head.image(image, width=_width(image, narrow))
            legend.html(colours.legend_html(scale))
