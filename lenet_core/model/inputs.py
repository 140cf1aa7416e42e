"""Pixels -> the tensor a model takes: the one place that scales, standardises and pads images.

A model is fed its images exactly as it was trained: pixels scaled to [0, 1], standardised with
the mean and std its run used (0 and 1 when the run did not standardise pixels, the tutorial's
``ToTensor()``), then zero-padded to its architecture's input side (a 28×28 image to lenet5's
32). A checkpoint records the pair and the architecture, so :func:`model_input` needs nothing but
its metadata; the training engine calls :func:`standardise` with the run's own pair.
"""

from __future__ import annotations

import numpy as np
import torch

from lenet_core.errors import LabError
from lenet_core.model.architectures import Architecture, get_architecture
from lenet_core.model.checkpoints import architecture_of


def standardise(pixels, mean: float, std: float, arch: Architecture | str) -> torch.Tensor:
    """Images -> float N×C×S×S, standardised and padded for ``arch``.

    ``pixels``: uint8 (0–255) or float (0–1); one grey image (H×W), a grey stack (N×H×W), or a
    stack with its channels (N×C×H×W); for a colour network three planes (3×H×W) are one colour
    picture. A tensor (kept on its device) or a NumPy array. A grey image given to a colour network
    is its three equal channels (what grey is in colour); an image smaller than the input is
    zero-padded to it (a 28×28 image by 2 for a 32×32 input).
    """
    if isinstance(arch, str):
        arch = get_architecture(arch)
    x = pixels if isinstance(pixels, torch.Tensor) else torch.as_tensor(np.asarray(pixels))
    if x.dim() == 2:
        x = x[None]
    if x.dim() == 3:
        x = x[None] if arch.input_channels == 3 and x.shape[0] == 3 else x[:, None]
    n, channels, height, width = x.shape
    pad = arch.pad_for(height)
    if height != width or not reads(arch, height, channels):
        raise LabError(f"{arch.name} reads {arch.input_channels}×{arch.input_size}×{arch.input_size} "
                       f"inputs, not {channels}×{height}×{width} images")
    # The result is the only float copy: allocated once at its padded size, the pixels converted
    # into its middle and scaled there in place. A training split is 188 MB as float32, and each
    # step of ``pad((x / 255 - mean) / std)`` written out of place would allocate another.
    allocate = torch.zeros if pad else torch.empty  # the padding is zeros, after scaling
    side = height + 2 * pad
    out = allocate((n, arch.input_channels, side, side), dtype=torch.float32, device=x.device)
    middle = out[:, :, pad:pad + height, pad:pad + width]
    middle.copy_(x.expand(n, arch.input_channels, height, width))
    if x.dtype == torch.uint8:
        middle.div_(255.0)
    if mean != 0.0:  # x - 0 and x / 1 are x exactly: two passes saved when not standardising
        middle.sub_(mean)
    if std != 1.0:
        middle.div_(std)
    return out


def reads(arch: Architecture, side: int, channels: int) -> bool:
    """Whether ``arch`` takes ``channels``×``side``² images: grey ones always (into a colour network
    as three equal channels), colour ones when it reads colour; as large as its input or smaller
    (zero-padded to it)."""
    return side <= arch.input_size and channels in (1, arch.input_channels)


def model_input(pixels, meta) -> torch.Tensor:
    """Images as the model of a checkpoint takes them (``meta``: its :class:`CheckpointMeta`,
    or anything with ``mean``, ``std`` and ``arch``). Every place that runs a saved model on
    pixels (Draw, upload, ``predict``, the Explorer, the epoch trace, the misclassified gallery)
    builds its input here."""
    return standardise(pixels, meta.mean, meta.std, architecture_of(meta))


def mirrored(meta) -> bool:
    """Whether a checkpoint's predictions average each image with its mirror image (its run's
    ``test_mirror``): every place that shows a saved model's guess asks here."""
    return bool((getattr(meta, "config", None) or {}).get("test_mirror", False))


def class_probabilities(model, x: torch.Tensor, mirror: bool) -> torch.Tensor:
    """Softmax of ``model(x)`` (N×classes); with ``mirror``, averaged with the softmax of the
    images flipped left to right (test-time augmentation: a garment's mirror image is the same
    garment, and two looks correct some of each other's mistakes)."""
    p = torch.softmax(model(x).float(), dim=1)
    if mirror:
        p = (p + torch.softmax(model(x.flip(-1)).float(), dim=1)) / 2
    return p
