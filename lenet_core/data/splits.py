"""Reading a split (uint8 images and int64 labels) from the first source that has it, kept in
memory per process and, for slow .gz sources, cached on disk as .npy; and samples of it."""

from __future__ import annotations

import json
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lenet_core import paths
from lenet_core.data.idx import idx_files, read_idx_pair
from lenet_core.data.imported import get_dataset, read_imported
from lenet_core.data.registry import _check_split
from lenet_core.data.sources import _holds_any, idx_folders, idx_remedy, read_mnist5k
from lenet_core.errors import LabError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

# ---- reading, with a disk cache for .gz sources ------------------------------------------
# Parsing Fashion-MNIST's train .gz takes about 0.4 s here; the same split as .npy loads in
# about 0.02 s. A cache entry records the files it came from (path, size, mtime) and is used
# only while they are unchanged and still the first source that works.

CACHE_VERSION = 1


def cache_dir(home: Path | None = None) -> Path:
    return paths.data_dir(home) / "cache"


def _cache_files(home: Path | None, name: str, split: str) -> tuple[Path, Path, Path]:
    base = cache_dir(home) / f"{name}-{split}"
    return (base.with_suffix(".json"), base.with_name(f"{base.name}-images.npy"),
            base.with_name(f"{base.name}-labels.npy"))


def _signature(files: tuple[Path, ...]) -> dict:
    stats = [(str(f.resolve()), f.stat()) for f in files]
    return {"version": CACHE_VERSION,
            "files": [[path, st.st_size, st.st_mtime_ns] for path, st in stats]}


def _cache_load(home, name, split, files, count) -> tuple[np.ndarray, np.ndarray] | None:
    meta, image_npy, label_npy = _cache_files(home, name, split)
    try:
        if json.loads(meta.read_text()) != _signature(files):
            return None
        images, labels = np.load(image_npy), np.load(label_npy)
    except (OSError, ValueError):
        return None
    if images.shape != (count, 28, 28) or labels.shape != (count,) or images.dtype != np.uint8:
        return None
    return images, labels


def _cache_store(home, name, split, files, images, labels) -> None:
    meta, image_npy, label_npy = _cache_files(home, name, split)
    try:
        meta.parent.mkdir(parents=True, exist_ok=True)
        for target, array in ((image_npy, images), (label_npy, labels)):
            _write_atomic(target, lambda f, a=array: np.save(f, a))
        # written last: a reader that sees this entry sees complete .npy files
        _write_atomic(meta, lambda f: f.write(json.dumps(_signature(files)).encode()))
    except OSError as exc:  # the cache only saves time: a read-only home still loads
        log.warning("could not cache %s %s in %s: %s", name, split, meta.parent, exc)


def _write_atomic(target: Path, write) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        write(f)
    os.replace(tmp, target)


def read_split(name: str, split: str, home: Path | None = None, *,
               disk_cache: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Read a split from the first source that has it; every failure is named if none does.

    A source whose files are damaged is skipped with a logged warning naming the file, and the
    next one is tried. With ``disk_cache``, a split read from ``.gz`` files is kept as ``.npy``
    under ``<home>/data/cache`` and read from there next time.
    """
    info = get_dataset(name, home)
    _check_split(split)
    if name == "mnist-5k":
        return read_mnist5k(split)
    if info.imported:  # grey: N×side×side as the built-in ones; colour: N×3×side×side
        images, labels = read_imported(name, split, home)
        return (images[:, 0] if info.channels == 1 else images), labels
    problems = []
    for source, folder in idx_folders(name, home):
        if not _holds_any(folder):
            continue
        try:
            image_file, label_file, count = idx_files(folder, split)
            files = (image_file, label_file)
            cached = _cache_load(home, name, split, files, count) if disk_cache else None
            if cached is not None:
                return cached
            images, labels = read_idx_pair(image_file, label_file, len(info.classes))
        except LabError as exc:
            problems.append(str(exc))
            log.warning("%s: skipping the %s: %s", name, source, exc)
            continue
        if disk_cache and image_file.suffix == ".gz":
            _cache_store(home, name, split, files, images, labels)
        return images, labels
    _, remedy = idx_remedy(name, home)
    found = f" ({'; '.join(problems)})" if problems else ""
    raise LabError(f"{name} is not available here{found}; {remedy}")


def _read_tensors(name: str, split: str, home: str) -> tuple[torch.Tensor, torch.Tensor]:
    import torch  # here, not at the top: `datasets` (list, import) needs no torch, and starts 1 s sooner

    images, labels = read_split(name, split, Path(home), disk_cache=True)
    return torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(labels.astype(np.int64))


_load_cached = lru_cache(maxsize=8)(_read_tensors)


def load_split(name: str, split: str, home: Path | None = None, *,
               keep: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images uint8 N×28×28, labels int64 N)``, read once per process and kept in memory.

    The tensors are shared by every caller in the process: treat them as read-only. ``keep=False``
    reads them without keeping them (from the disk cache: 0.02 s for Fashion-MNIST's train
    split), for a caller that converts the images once and lets them go: a trainer, whose float
    copy is what it keeps, so the uint8 split (47 MB) is freed once it is converted.
    """
    home_key = str(home or paths.lab_home())
    return _load_cached(name, split, home_key) if keep else _read_tensors(name, split, home_key)


def clear_memory_cache() -> None:
    """Forget the splits this process holds (the next :func:`load_split` reads again)."""
    _load_cached.cache_clear()


# ---- samples, for the explorer and the galleries ------------------------------------------

def class_index(name: str, label: int | str, home: Path | None = None) -> int:
    """A class given by number or by name (``"sneaker"``, ``"7"``) -> its number."""
    classes = get_dataset(name, home).classes
    if isinstance(label, str) and label in classes:
        return classes.index(label)
    if isinstance(label, int | np.integer) and 0 <= int(label) < len(classes):
        return int(label)
    raise LabError(f"{label!r} is not a class of {name}: choose 0–{len(classes) - 1} or one of "
                   f"{', '.join(classes)}")


def sample(name: str, split: str, index: int,
           home: Path | None = None) -> tuple[np.ndarray, int, str]:
    """One sample: ``(image uint8 28×28, label, class name)``."""
    images, labels = load_split(name, split, home)
    count = len(labels)
    if not isinstance(index, int | np.integer) or not 0 <= int(index) < count:
        raise LabError(f"index {index} is out of range: {name} {split} has {count:,} images "
                       f"(0–{count - 1:,})")
    label = int(labels[int(index)])
    return images[int(index)].numpy().copy(), label, get_dataset(name, home).classes[label]


def indices_by_class(name: str, split: str, label: int | str, home: Path | None = None) -> np.ndarray:
    """The indices (ascending, int64) of every sample of one class."""
    label = class_index(name, label, home)
    _, labels = load_split(name, split, home)
    return np.flatnonzero(labels.numpy() == label)


def gallery(name: str, split: str = "test", per_class: int = 1,
            home: Path | None = None) -> list[tuple[str, np.ndarray]]:
    """The first ``per_class`` samples of each class: ``[(class name, images k×28×28), ...]``."""
    images, labels = load_split(name, split, home)
    out = []
    for label, class_name in enumerate(get_dataset(name, home).classes):
        chosen = np.flatnonzero(labels.numpy() == label)[:per_class]
        out.append((class_name, images[chosen].numpy().copy()))
    return out


