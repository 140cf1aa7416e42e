"""Writes small, real idx files (the format of MNIST and Fashion-MNIST) for the data tests."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049
STEMS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    """Big-endian header (magic, then each dimension), then the uint8 values."""
    header = struct.pack(f">{1 + array.ndim}I", magic, *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_idx(path: Path, array: np.ndarray, magic: int) -> Path:
    raw = idx_bytes(array, magic)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


def make_split(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random pixels; labels cycle 0..9 so every class is present."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    return images, (np.arange(count) % 10).astype(np.uint8)


def write_dataset(folder: Path, gz: bool = True, sizes=(30, 20)) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The four files of a dataset in ``folder`` (torchvision's ``<Name>/raw``); returns the arrays."""
    written = {}
    for seed, (split, count) in enumerate(zip(("train", "test"), sizes)):
        images, labels = make_split(count, seed)
        image_stem, label_stem = STEMS[split]
        suffix = ".gz" if gz else ""
        write_idx(folder / f"{image_stem}{suffix}", images, IMAGES_MAGIC)
        write_idx(folder / f"{label_stem}{suffix}", labels, LABELS_MAGIC)
        written[split] = (images, labels)
    return written
