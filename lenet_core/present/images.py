"""Image builders: uint8 arrays in, one uint8 picture out. Pure functions, shared by every page
that shows samples (home gallery, explorer) and tested without Streamlit."""

from __future__ import annotations

import math

import numpy as np

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


def tile(images, ncols: int, scale: int = 1, *, gap: int = 1, gap_value: int = GAP_VALUE) -> np.ndarray:
    """N images (N×H×W uint8, NumPy or a tensor) -> one grid, row by row, ``ncols`` wide.

    Images are upscaled by ``scale``; ``gap`` pixels of ``gap_value`` separate them, and the
    cells after the last image are filled with ``gap_value`` too.
    """
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
