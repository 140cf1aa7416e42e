"""The idx file format of MNIST and Fashion-MNIST: reading and checking image and label files."""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from lenet_core.errors import LabError

# ---- idx files ------------------------------------------------------------------------------
# Big-endian header: magic (0x0000, type 0x08 = uint8, number of dims), one uint32 per dim, then
# the values. 2051 = images (3 dims), 2049 = labels (1 dim).

IDX_IMAGES_MAGIC = 2051
IDX_LABELS_MAGIC = 2049
_READ_ERRORS = (OSError, EOFError, gzip.BadGzipFile, zlib.error)
_READ_CHUNK = 1 << 20


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _parse_header(path: Path, read, expected_magic: int) -> tuple[int, ...]:
    """Read and check the header with ``read(n)``; returns the dims the header promises."""
    head = read(8)
    if len(head) < 8:
        raise LabError(f"{path}: too short to be an idx file ({len(head)} bytes)")
    magic, count = struct.unpack(">II", head)
    if magic != expected_magic:
        kind = "images" if expected_magic == IDX_IMAGES_MAGIC else "labels"
        raise LabError(f"{path}: wrong magic number {magic} (an idx {kind} file starts with "
                       f"{expected_magic}); replace the file")
    if expected_magic == IDX_LABELS_MAGIC:
        return (count,)
    more = read(8)
    if len(more) < 8:
        raise LabError(f"{path}: truncated header; replace the file")
    return (count, *struct.unpack(">II", more))


def _header_size(dims: tuple[int, ...]) -> int:
    return 4 + 4 * len(dims)


def _length_error(path: Path, expected: int, found: int) -> LabError:
    fault = "truncated or corrupt" if found < expected else "longer than its header says"
    return LabError(f"{path}: {fault}: the header promises {expected:,} bytes of data, the file "
                    f"holds {max(found, 0):,}; replace the file")


def _gz_length_error(path: Path, unpacked: int) -> LabError:
    """A ``.gz`` whose trailer disagrees with its idx header. A truncated file has no trailer: its
    last four bytes are compressed data, so the number they spell is no size worth printing."""
    return LabError(f"{path}: truncated or corrupt .gz: its idx header needs {unpacked:,} bytes "
                    "unpacked, its gzip trailer does not match; replace the file")


def read_idx(path: Path, expected_magic: int) -> np.ndarray:
    """Read a whole idx file (``.gz`` or raw) into a writable uint8 array, checking it fully."""
    path = Path(path)
    dims = check_idx(path, expected_magic)  # first: a damaged header must not size the buffer
    try:
        with _open(path) as f:
            _parse_header(path, f.read, expected_magic)
            values = np.empty(int(np.prod(dims)), dtype=np.uint8)
            view, filled = memoryview(values), 0
            while filled < len(values):  # readinto may return short counts; stop at end of file
                # gzip reads a request into a bytes object first, then copies it: ask a chunk at
                # a time, or a whole split would be in memory twice.
                n = f.readinto(view[filled:filled + _READ_CHUNK])
                if not n:
                    break
                filled += n
            extra = len(f.read(1 << 16)) if filled == len(values) else 0
    except _READ_ERRORS as exc:
        raise LabError(f"{path}: cannot be read ({exc}); replace the file") from None
    if filled != len(values) or extra:
        raise _length_error(path, len(values), filled + extra)
    return values.reshape(dims)


def check_idx(path: Path, expected_magic: int) -> tuple[int, ...]:
    """Check an idx file's header and length without reading its values; returns its dims.

    Cheap enough for every page view: a raw file's length comes from ``stat``; a ``.gz`` file's
    uncompressed length from its last four bytes (gzip's ISIZE, the length modulo 2**32), so a
    truncated download is caught here. Damage inside the compressed stream is only found by
    :func:`read_idx`.
    """
    path = Path(path)
    try:
        with _open(path) as f:
            dims = _parse_header(path, f.read, expected_magic)
        header, expected = _header_size(dims), int(np.prod(dims))
        if path.suffix == ".gz":
            with open(path, "rb") as f:
                f.seek(-4, os.SEEK_END)
                isize = struct.unpack("<I", f.read(4))[0]
            if isize != (header + expected) % 2**32:
                raise _gz_length_error(path, header + expected)
        elif path.stat().st_size != header + expected:
            raise _length_error(path, expected, path.stat().st_size - header)
    except _READ_ERRORS as exc:
        raise LabError(f"{path}: cannot be read ({exc}); replace the file") from None
    return dims




IDX_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

def _find_idx(folder: Path, stem: str) -> list[Path]:
    return [c for c in (folder / stem, folder / f"{stem}.gz") if c.is_file()]


def _pick_idx(folder: Path, stem: str, magic: int) -> tuple[Path, tuple[int, ...]]:
    """The raw file, else the ``.gz`` one: the first that passes :func:`check_idx`. (torchvision
    keeps both; an extraction cut short leaves a truncated raw file beside a sound ``.gz``.)"""
    candidates = _find_idx(folder, stem)
    if not candidates:
        raise LabError(f"{folder}: no {stem} (or {stem}.gz)")
    faults = []
    for candidate in candidates:
        try:
            return candidate, check_idx(candidate, magic)
        except LabError as exc:
            faults.append(exc)
    raise faults[0]


def idx_files(folder: Path, split: str) -> tuple[Path, Path, int]:
    """The split's image and label files in ``folder``, checked cheaply; with the image count."""
    image_stem, label_stem = IDX_NAMES[split]
    image_file, dims = _pick_idx(folder, image_stem, IDX_IMAGES_MAGIC)
    label_file, (count,) = _pick_idx(folder, label_stem, IDX_LABELS_MAGIC)
    _check_pair(image_file, label_file, dims, count)
    return image_file, label_file, count


def _check_pair(image_file: Path, label_file: Path, dims: tuple[int, ...], count: int) -> None:
    if dims[0] != count:
        raise LabError(f"{image_file}: {dims[0]:,} images but {label_file.name} has {count:,} labels")
    if tuple(dims[1:]) != (28, 28):
        raise LabError(f"{image_file}: images are {dims[1]}×{dims[2]}, not 28×28")


def read_idx_pair(image_file: Path, label_file: Path, n_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(image_file, IDX_IMAGES_MAGIC)
    labels = read_idx(label_file, IDX_LABELS_MAGIC)
    _check_pair(image_file, label_file, images.shape, len(labels))
    if len(labels) and int(labels.max()) >= n_classes:
        raise LabError(f"{label_file}: label {int(labels.max())} is not a class (0–{n_classes - 1})")
    return images, labels


def read_idx_split(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Read and fully check one split's idx files from ``folder``."""
    image_file, label_file, _ = idx_files(Path(folder), split)
    return read_idx_pair(image_file, label_file)


