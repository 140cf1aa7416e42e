"""Looking inside a network: every layer's output for one image, the top guesses, and which
pixels drove a guess.

Everything here works for any ``nn.Sequential`` whose children are named (as
:func:`lenet_core.model.architectures.build_model` names them after the layer specs) and any one-image input
tensor, so the Draw page and the Layer Explorer share it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from torch import nn

from lenet_core.model.inputs import class_probabilities, mirrored, model_input


@dataclass(frozen=True)
class Guess:
    label: int  # class index
    name: str  # class name ("7", "sneaker")
    probability: float


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run a block with ``n`` intra-op threads, then restore torch's setting.

    One image through LeNet is too little work to share out: on a busy 2-core machine one thread
    did the per-stroke work 4.7× faster than two (the threads wait for each other), and on an
    idle one as fast (bench/canvas_latency.py). The Draw page and the predict CLI use one.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _as_batch(x: torch.Tensor) -> torch.Tensor:
    """C×H×W or 1×C×H×W -> 1×C×H×W (one image)."""
    if x.dim() == 3:
        x = x.unsqueeze(0)
    if x.dim() != 4 or x.shape[0] != 1:
        raise ValueError(f"expected one image as C×H×W or 1×C×H×W, got {tuple(x.shape)}")
    return x


@dataclass(frozen=True)
class Forward:
    """A picture through a saved model, as the model was trained to see it."""

    x: torch.Tensor  # the model's input: scaled, standardised and padded by its checkpoint's rule
    outputs: dict[str, torch.Tensor]  # every layer's output, in network order, no batch dimension
    probabilities: torch.Tensor  # the class probabilities, mirrored where the checkpoint says


def forward_pass(model: nn.Sequential, meta, pixels) -> Forward:
    """The one way a page or command shows what a checkpoint's model makes of a picture: its
    input built from the checkpoint's metadata (:func:`lenet_core.model.inputs.model_input`), every
    layer's output, and the probabilities with test-time mirroring when the checkpoint's run
    asked for it (:func:`lenet_core.model.inputs.mirrored`). Callers that decided mirroring for
    themselves disagreed (the 3D view's reference scenes were not mirrored); here nobody decides.
    ``pixels``: one image, uint8 0–255 or float 0–1 (H×W)."""
    x = model_input(pixels, meta)
    outputs, probabilities = forward_all(model, x, mirror=mirrored(meta))
    return Forward(x, outputs, probabilities)


@torch.inference_mode()
def forward_all(model: nn.Sequential, x: torch.Tensor, mirror: bool = False
                ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Run one image through ``model`` child by child.

    Returns ``({layer name: output without the batch dimension}, class probabilities)``: the
    outputs in network order (dicts keep insertion order), and the softmax of the last output.
    Iterating the children gives the same result as ``model(x)`` without hooks. ``mirror`` (a
    checkpoint whose run predicts with its mirror image too: ``model.inputs.mirrored(meta)``):
    the probabilities average the image's and its mirror image's; the outputs are the image's.
    """
    device = next(model.parameters()).device
    out = _as_batch(x).to(device)
    outputs: dict[str, torch.Tensor] = {}
    for name, layer in model.named_children():
        out = layer(out)
        outputs[name] = out[0].detach().cpu()
    probabilities = torch.softmax(out[0].detach().cpu().flatten(), dim=0)
    if mirror:
        probabilities = class_probabilities(model, _as_batch(x).to(device), mirror=True)[0].cpu()
    return outputs, probabilities


def top_k(probabilities: torch.Tensor | np.ndarray, classes: list[str] | tuple[str, ...], k: int = 3
          ) -> list[Guess]:
    """The ``k`` most probable classes, most probable first."""
    p = torch.as_tensor(probabilities).flatten()
    values, indices = torch.topk(p, min(k, p.numel()))
    return [Guess(int(i), str(classes[int(i)]), float(v)) for v, i in zip(values, indices)]


# ---- saliency --------------------------------------------------------------------------------

@torch.inference_mode()
def occlusion_saliency(model: nn.Module, x: torch.Tensor, target: int, patch: int = 4, stride: int = 1,
                       baseline: float | None = None) -> np.ndarray:
    """How much the ``target`` class loses when each part of the image is erased: an H×W map.

    A ``patch``×``patch`` square slides over the input; under it the pixels are set to
    ``baseline`` (default: the input's smallest value, i.e. the blank background), and the drop
    in the target's log-probability is shared out over the ink pixels the square erased. Positive:
    erasing here hurts the guess (these strokes support it); negative: erasing here helps it
    (these strokes look like another class). Erasing background changes nothing, so squares
    over blank background are skipped and the map covers the ink only. Log-probabilities,
    not probabilities: a 99.9 % guess still shows which strokes matter instead of saturating.
    """
    x = _as_batch(x)
    device = next(model.parameters()).device
    x = x.to(device)
    fill = float(x.min()) if baseline is None else baseline
    _, _, h, w = x.shape
    masks = _patch_masks(h, w, patch, stride).to(device)  # K×H×W, 1 under each square
    ink = (x[0] != fill).any(dim=0).to(masks.dtype)
    masks = masks[(masks.flatten(1) @ ink.flatten()) > 0]  # only squares that erase some ink
    if len(masks) == 0:
        return np.zeros((h, w), np.float32)
    base = torch.log_softmax(model(x), dim=1)[0, target]
    occluded = x * (1 - masks[:, None]) + fill * masks[:, None]
    drop = base - torch.log_softmax(model(occluded), dim=1)[:, target]
    erased = (masks * ink).flatten(1)  # the pixels each square really changed
    total = drop @ erased
    count = erased.sum(dim=0).clamp(min=1)
    return (total / count).reshape(h, w).cpu().numpy().astype(np.float32)


@lru_cache(maxsize=8)
def _patch_masks(h: int, w: int, patch: int, stride: int) -> torch.Tensor:
    corners = [(r, c) for r in range(0, h - patch + 1, stride) for c in range(0, w - patch + 1, stride)]
    masks = torch.zeros(len(corners), h, w)
    for k, (r, c) in enumerate(corners):
        masks[k, r:r + patch, c:c + patch] = 1
    return masks


def gradient_saliency(model: nn.Module, x: torch.Tensor, target: int) -> np.ndarray:
    """Input × gradient of the target's log-probability: an H×W map, signed like the occlusion map."""
    x = _as_batch(x).detach().clone()
    device = next(model.parameters()).device
    x = x.to(device).requires_grad_(True)
    with torch.enable_grad():
        score = torch.log_softmax(model(x), dim=1)[0, target]
        (grad,) = torch.autograd.grad(score, x)
    # Relative to the background value, so that blank pixels contribute nothing.
    contribution = (x - x.min()) * grad
    return contribution[0].sum(dim=0).detach().cpu().numpy().astype(np.float32)


SALIENCY_METHODS = {"occlusion": occlusion_saliency, "gradient": gradient_saliency}


def saliency(model: nn.Module, x: torch.Tensor, target: int, method: str = "occlusion",
             crop: int = 0) -> np.ndarray:
    """The saliency map of ``target`` by ``method``; ``crop`` removes that many pixels of
    padding from each side (``arch.pad``: 2 for lenet5's 32×32 input -> the 28×28 image)."""
    try:
        fn = SALIENCY_METHODS[method]
    except KeyError:
        choices = ", ".join(SALIENCY_METHODS)
        raise ValueError(f"unknown saliency method {method!r}: choose {choices}") from None
    result = fn(model, x, target)
    return result[crop:result.shape[0] - crop, crop:result.shape[1] - crop] if crop else result
