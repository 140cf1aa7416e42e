"""Your own images as a dataset: a folder with a subfolder of images per class (torchvision's
ImageFolder layout), or ``train/`` and ``test/`` each holding such subfolders, or a zip of either;
read, checked, prepared to a square side and stored in the home folder as arrays and a manifest,
so that it loads as fast as Fashion-MNIST:

    <home>/datasets/<name>/manifest.json               classes, counts, side, channels, source, checksum
    <home>/datasets/<name>/{train,test}-images.npy     uint8, N×C×side×side
    <home>/datasets/<name>/{train,test}-labels.npy     int64, N

What a person hands over is hostile until checked. Before a pixel is decoded: links leading out of
the folder are refused, a zip with an absolute or ``../`` path or a link is refused whole, and the
layout must hold 2 to 100 classes of at least 2 images each. Each file is then checked on its
header (size, pixel count: a decompression bomb is never decoded); a corrupt, truncated or
non-image file is skipped, counted and named. Everything is decoded in memory first; the arrays
and the manifest are written into a hidden folder beside the datasets and renamed into place
last, so an import stopped by Ctrl-C or kill -9 leaves no dataset listed (the next import removes
what it left).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from lenet_core import paths
from lenet_core.data.preprocess import load_image, mnist_style
from lenet_core.data.registry import DATASETS, SPLITS, DatasetInfo
from lenet_core.errors import LabError

FOLDER = "datasets"  # <home>/datasets/<name>/
MANIFEST = "manifest.json"
FORMAT = 1  # the manifest's format: a reader refuses another
FORMATS = ("PNG", "JPEG", "BMP", "GIF")  # what PIL may decode
SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
SIDES = (28, 32)
STYLES = {"fit": "the whole picture, its longest side scaled to the side, centred, the rest filled "
                 "with its edge's colour",
          "mnist": "prepared as MNIST's digits and the Draw page's drawings are: the ink's box "
                   "scaled to 20 px, its centre of mass at the centre (grey only)"}
MIN_CLASSES, MAX_CLASSES = 2, 100
MAX_IMAGES = 1_000_000  # files in one import
MAX_UNPACKED = 4 * 2**30  # a zip's files together, as its directory declares them
MAX_FILE = 10 * 2**20  # one image file (preprocess.MAX_FILE_BYTES)
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
TEMPORARY = ".importing-"
MY_DIGITS = "my-digits"  # made from your drawings (lenet_core.data.my_digits), never imported
NAMED = 5  # skipped files named in a message; the rest counted


def datasets_dir(home: Path | None = None) -> Path:
    return (home or paths.lab_home()) / FOLDER


# ---- what the person asked for ----------------------------------------------------------------

@dataclass(frozen=True)
class ImportOptions:
    side: int = 28
    colour: bool = False
    style: str = "fit"
    test_share: float = 0.2  # of each class, when the source has no train/ and test/
    seed: int = 0

    def check(self) -> None:
        if self.side not in SIDES:
            raise LabError(f"side {self.side} is not offered: choose 28 or 32")
        if self.style not in STYLES:
            raise LabError(f"{self.style!r} is not a preparation: choose {' or '.join(STYLES)}")
        if self.colour and self.style == "mnist":
            raise LabError("MNIST-style preparation makes grey drawings: drop --colour, or prepare with fit")
        if not 0 < self.test_share < 1:
            raise LabError(f"test share {self.test_share} is out of range: choose a share between 0 and 1, "
                           "e.g. 0.2")


def name_problem(name: str, home: Path | None = None) -> str | None:
    """Why ``name`` cannot be a new dataset's name, or None."""
    if name in DATASETS:
        return f"{name} is a built-in dataset: choose another name"
    if name == MY_DIGITS:
        return f"{name} is made from the drawings you keep on the Draw page: choose another name"
    if not NAME.fullmatch(name):
        return (f"{name!r} cannot name a dataset: use 1 to 40 lower-case letters, digits, - and _, "
                "starting with a letter or digit")
    if (datasets_dir(home) / name).exists():
        return (f"a dataset named {name} already exists: delete it first (lenet-lab datasets delete "
                f"{name}) or choose another name")
    return None


# ---- the files handed over: a folder or a zip -------------------------------------------------

@dataclass(frozen=True)
class Found:
    """A file of the source: where it is (relative), its size, and how to read its bytes."""

    parts: tuple[str, ...]
    size: int
    read: Callable[[], bytes]

    @property
    def where(self) -> str:
        return "/".join(self.parts)


def folder_files(root: Path) -> tuple[list[Found], list[str]]:
    """Every file under ``root``, hidden ones left out; a link is followed only to a file inside
    ``root`` (the others are refused, and named). Linked folders are not entered."""
    inside, found, refused = root.resolve(), [], []
    for here, folders, files in os.walk(root):
        here = Path(here)
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        refused += [f"{(here / f).relative_to(root).as_posix()}/ (a linked folder: not followed)"
                    for f in folders if (here / f).is_symlink()]
        for name in sorted(files):
            path = here / name
            if name.startswith("."):
                continue
            relative = path.relative_to(root)
            if path.is_symlink() and not (path.resolve().is_relative_to(inside) and path.resolve().is_file()):
                refused.append(f"{relative.as_posix()} (a link leading out of the folder)")
                continue
            try:
                status = path.stat()
            except OSError as exc:
                refused.append(f"{relative.as_posix()} (cannot be read: {exc.strerror})")
                continue
            if not stat.S_ISREG(status.st_mode):  # a pipe or a device: reading it could wait for ever
                refused.append(f"{relative.as_posix()} (not a regular file)")
                continue
            found.append(Found(relative.parts, status.st_size, path.read_bytes))
    return found, refused


def _unsafe(name: str) -> bool:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return name.startswith(("/", "\\")) or bool(re.match(r"[A-Za-z]:", name)) or ".." in parts


def zip_files(archive: zipfile.ZipFile, where: str) -> list[Found]:
    """Every file in the zip (its ``__MACOSX`` and hidden files left out). A zip that holds an
    absolute or ``../`` path or a link is refused whole: nothing of it is read."""
    found, total = [], 0
    for info in archive.infolist():
        if _unsafe(info.filename):
            raise LabError(f"{where}: refused: the zip holds an unsafe path ({info.filename!r}); "
                           "a zip to import holds relative paths only")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise LabError(f"{where}: refused: the zip holds a link ({info.filename!r}); zip the files "
                           "themselves")
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if info.is_dir() or not parts or parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts):
            continue
        total += info.file_size
        if total > MAX_UNPACKED:
            raise LabError(f"{where}: refused: its files unpack to over {MAX_UNPACKED // 2**30} GiB")
        found.append(Found(parts, info.file_size, lambda info=info: archive.read(info)))
    return _without_common_folder(found)


def _without_common_folder(found: list[Found]) -> list[Found]:
    """``shapes/circle/1.png`` -> ``circle/1.png``: a zip of a folder holds the folder itself."""
    while found and all(len(f.parts) > 2 for f in found) and len({f.parts[0] for f in found}) == 1:
        found = [Found(f.parts[1:], f.size, f.read) for f in found]
    return found


@contextlib.contextmanager
def source_files(source: Path) -> Iterator[tuple[list[Found], list[str], str]]:
    """``(files, refused, kind)`` of a folder or a zip, readable until the block ends."""
    where = str(source)
    if source.is_dir():
        found, refused = folder_files(source)
        yield found, refused, "folder"
    elif source.is_file() and zipfile.is_zipfile(source):
        try:
            with zipfile.ZipFile(source) as archive:
                yield zip_files(archive, where), [], "zip"
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError) as exc:
            raise LabError(f"{where}: a zip this program cannot read ({exc})") from None
    elif source.exists():
        raise LabError(f"{where}: neither a folder nor a zip: give a folder with a subfolder of images "
                       "per class, or a zip of one")
    else:
        raise LabError(f"{where}: no such folder or zip")


# ---- the layout: classes, and train/test when the source has them ------------------------------

@dataclass
class Layout:
    """The images by split and class: one pool (``None``) to be split by the test share, or the
    source's own ``train`` and ``test``. ``ignored`` names files that are in no class."""

    splits: dict[str | None, dict[str, list[Found]]]
    ignored: list[str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return sorted(next(iter(self.splits.values())) if None in self.splits else self.splits["train"])

    @property
    def count(self) -> int:
        return sum(len(files) for by_class in self.splits.values() for files in by_class.values())


def arrange(found: list[Found]) -> Layout:
    """Files into classes: ``<class>/...`` (any depth below), or ``train|test/<class>/...``."""
    tops = {f.parts[0].lower() for f in found if len(f.parts) > 2}
    own_split = {"train", "test"} <= tops
    layout = Layout({"train": {}, "test": {}} if own_split else {None: {}})
    for f in found:
        depth = 3 if own_split else 2
        if len(f.parts) < depth or (own_split and f.parts[0].lower() not in SPLITS):
            where = "train/<class>/ or test/<class>/" if own_split else "a class folder"
            layout.ignored.append(f"{f.where} (not in {where})")
        elif PurePosixPath(f.parts[-1]).suffix.lower() not in SUFFIXES:
            layout.ignored.append(f"{f.where} (not an image: {', '.join(sorted(SUFFIXES))} are read)")
        else:
            split = f.parts[0].lower() if own_split else None
            layout.splits[split].setdefault(f.parts[depth - 2], []).append(f)
    return layout


def check_layout(layout: Layout, where: str) -> None:
    """Refuse, in one line, a layout no dataset can come from (before any image is decoded)."""
    classes = layout.classes
    if not classes:
        raise LabError(f"{where}: no images in class folders: put each class's images in a subfolder "
                       f"named after the class ({where}/cat/1.png, {where}/dog/1.png)")
    if len(classes) < MIN_CLASSES:
        raise LabError(f"{where}: one class ({classes[0]}): a dataset needs at least {MIN_CLASSES} "
                       "classes, a subfolder of images each")
    if len(classes) > MAX_CLASSES:
        raise LabError(f"{where}: {len(classes):,} class folders: at most {MAX_CLASSES} classes can be "
                       "imported")
    if layout.count > MAX_IMAGES:
        raise LabError(f"{where}: {layout.count:,} images: at most {MAX_IMAGES:,} can be imported at once")
    if None in layout.splits:
        for name, files in layout.splits[None].items():
            if len(files) < 2:
                raise LabError(f"{where}: class {name!r} has 1 image: each class needs at least 2, one to "
                               "train on and one to test")
    else:
        if strays := sorted(set(layout.splits["test"]) - set(layout.splits["train"])):
            raise LabError(f"{where}: test/ has classes that train/ has not ({', '.join(strays[:NAMED])}): "
                           "every test class needs training images")
        if not layout.splits["test"]:
            raise LabError(f"{where}: test/ holds no images in class folders")


# ---- decoding and preparing one image -------------------------------------------------------------

def prepare(rgba: np.ndarray, options: ImportOptions) -> np.ndarray:
    """An RGBA picture -> ``C×side×side`` uint8, as ``options`` say."""
    if options.style == "mnist":
        done = mnist_style(rgba)
        if done.image is None:
            raise LabError(done.note or "blank")
        pad = (options.side - done.image.shape[0]) // 2
        image = np.pad(done.image, pad) if pad else done.image
        return np.round(image * 255).astype(np.uint8)[None]
    picture = Image.fromarray(_on_white(rgba))
    if not options.colour:
        picture = picture.convert("L")
    return _fit(np.asarray(picture).reshape(picture.height, picture.width, -1), options.side)


def _on_white(rgba: np.ndarray) -> np.ndarray:
    """Transparency flattened onto white, as a viewer shows it."""
    alpha = rgba[:, :, 3:4].astype(np.float32) / 255
    return np.round(rgba[:, :, :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)


def _fit(array: np.ndarray, side: int) -> np.ndarray:
    """H×W×C -> C×side×side: the longest side scaled to ``side`` keeping the aspect ratio
    (area-averaged when shrinking, bilinear when enlarging), centred, the rest filled with the
    median colour of the picture's edge."""
    h, w, c = array.shape
    scale = side / max(h, w)
    width, height = max(1, round(w * scale)), max(1, round(h * scale))
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    scaled = Image.fromarray(array[:, :, 0] if c == 1 else array).resize((width, height), resample)
    edge = np.concatenate([array[0], array[-1], array[:, 0], array[:, -1]])
    field = np.empty((side, side, c), np.uint8)
    field[:] = np.median(edge, axis=0).round().astype(np.uint8)
    top, left = (side - height) // 2, (side - width) // 2
    field[top:top + height, left:left + width] = np.asarray(scaled).reshape(height, width, c)
    return np.ascontiguousarray(field.transpose(2, 0, 1))


def decode(found: Found, options: ImportOptions) -> np.ndarray:
    """One file -> its prepared image, or a LabError saying why it is skipped."""
    if found.size > MAX_FILE:
        raise LabError(f"{found.size / 2**20:.1f} MiB: files up to {MAX_FILE // 2**20} MiB are read")
    try:
        data = found.read()
    except (OSError, zipfile.BadZipFile, EOFError) as exc:  # a damaged zip member: its CRC fails
        raise LabError(f"cannot be read: {exc}") from None
    try:
        picture = load_image(data, found.where, FORMATS)
    except LabError as exc:  # "name: a damaged or truncated image (...): use a PNG ... file": the middle
        raise LabError(re.split(r"[:;] use a ", str(exc).removeprefix(f"{found.where}: "))[0]) from None
    return prepare(picture, options)


# ---- the import ---------------------------------------------------------------------------------

@dataclass
class Decoded:
    """A split's images and labels, and the files skipped on the way."""

    images: np.ndarray
    labels: np.ndarray
    skipped: list[str]


def decode_split(by_class: dict[str, list[Found]], classes: list[str], options: ImportOptions,
                 progress: Callable[[int], None]) -> Decoded:
    count = sum(len(files) for files in by_class.values())
    channels = 3 if options.colour else 1
    images = np.empty((count, channels, options.side, options.side), np.uint8)
    labels = np.empty(count, np.int64)
    kept, skipped = 0, []
    for label, name in enumerate(classes):
        for found in by_class.get(name, []):
            try:
                images[kept] = decode(found, options)
                labels[kept] = label
                kept += 1
            except LabError as exc:
                skipped.append(f"{found.where} ({str(exc).removeprefix(found.where + ': ')})")
            progress(1)
    return Decoded(images[:kept], labels[:kept], skipped)


def test_indices(labels: np.ndarray, classes: int, share: float, seed: int) -> np.ndarray:
    """A seeded, stratified test split: of each class, ``share`` of its images (at least one, and
    at least one left to train on), chosen at random."""
    rng = np.random.default_rng(seed)
    chosen = []
    for label in range(classes):
        members = np.flatnonzero(labels == label)
        size = min(len(members) - 1, max(1, round(share * len(members))))
        chosen.append(rng.permutation(members)[:size])
    return np.sort(np.concatenate(chosen))


@dataclass(frozen=True)
class Imported:
    """What an import made: its manifest, where it is, and the files it skipped (named)."""

    manifest: dict
    folder: Path
    skipped: tuple[str, ...]


def import_dataset(source: str | Path, name: str, options: ImportOptions = ImportOptions(),
                   home: Path | None = None, progress: Callable[[int, int], None] | None = None) -> Imported:
    """Import ``source`` (a folder or a zip) as the dataset ``name`` in the home folder.

    ``progress(done, total)`` is called as files are decoded. Nothing is written until every file
    is decoded; then the arrays and the manifest go into a hidden folder renamed into place."""
    options.check()
    if problem := name_problem(name, home):
        raise LabError(problem)
    source = Path(source).expanduser()
    where = str(source)
    with source_files(source) as (found, refused, kind):
        layout = arrange(found)
        check_layout(layout, where)
        classes, done = layout.classes, 0

        def step(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(done, layout.count)

        decoded = {split: decode_split(by_class, classes, options, step)
                   for split, by_class in layout.splits.items()}
    skipped = [s for d in decoded.values() for s in d.skipped]
    splits = _split(decoded, len(classes), options)
    _check_decoded(splits, classes, skipped, where)
    own_split = None not in layout.splits
    manifest = _manifest(name, classes, splits, options, own_split, source, kind, len(skipped) + len(refused))
    folder = write_dataset(datasets_dir(home), name, splits, manifest)
    return Imported(manifest, folder, tuple(refused + layout.ignored + skipped))


def _split(decoded: dict[str | None, Decoded], classes: int,
           options: ImportOptions) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    if None not in decoded:
        return {split: (d.images, d.labels) for split, d in decoded.items()}
    pool = decoded[None]
    test = np.zeros(len(pool.labels), bool)
    if len(pool.labels):
        test[test_indices(pool.labels, classes, options.test_share, options.seed)] = True
    return {"train": (pool.images[~test], pool.labels[~test]), "test": (pool.images[test], pool.labels[test])}


def _check_decoded(splits, classes: list[str], skipped: list[str], where: str) -> None:
    """After decoding: every class still has an image to train on and the test split one at all."""
    unread = f" ({len(skipped):,} files could not be read: {some_of(skipped)})" if skipped else ""
    train_counts = np.bincount(splits["train"][1], minlength=len(classes))
    if empty := [c for c, n in zip(classes, train_counts, strict=True) if n == 0]:
        raise LabError(f"{where}: no readable image to train on in class {empty[0]!r}{unread}")
    if not len(splits["test"][1]):
        raise LabError(f"{where}: no readable image to test on{unread}")


def some_of(items: list[str]) -> str:
    more = f"; and {len(items) - NAMED:,} more" if len(items) > NAMED else ""
    return "; ".join(items[:NAMED]) + more


def _manifest(name, classes, splits, options: ImportOptions, own_split: bool, source: Path, kind: str,
              skipped: int) -> dict:
    # from the 256 grey levels' counts: no float copy of the images (150 MB for 48,000 of them)
    levels = np.bincount(splits["train"][0].ravel(), minlength=256) / splits["train"][0].size
    values = np.arange(256) / 255
    mean = float(levels @ values)
    std = float(np.sqrt(max(levels @ values**2 - mean**2, 0.0)))
    return {
        "format": FORMAT, "name": name, "classes": classes,
        "counts": {split: np.bincount(splits[split][1], minlength=len(classes)).tolist() for split in SPLITS},
        "side": options.side, "channels": 3 if options.colour else 1, "style": options.style,
        "split": "the source's train/ and test/" if own_split else {"test_share": options.test_share,
                                                                     "seed": options.seed},
        "mean": round(mean, 4), "std": round(std, 4),
        "source": {"path": str(source.resolve()), "kind": kind, "skipped": skipped},
        "checksum": checksum(splits), "imported": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def checksum(splits) -> str:
    """sha256 of the arrays, read from their buffers (no copy)."""
    digest = hashlib.sha256()
    for split in SPLITS:
        for array in splits[split]:
            digest.update(np.ascontiguousarray(array))
    return f"sha256:{digest.hexdigest()}"


def write_dataset(root: Path, name: str, splits, manifest: dict, replace: bool = False) -> Path:
    """The arrays and the manifest (its checksum and time filled in when it has none) into a hidden
    folder, renamed to ``root/name`` last; with ``replace``, a dataset already there is swapped out
    whole."""
    root.mkdir(parents=True, exist_ok=True)
    clear_abandoned(root)
    manifest = {"checksum": checksum(splits), "imported": datetime.now(UTC).isoformat(timespec="seconds"),
                **manifest}
    temporary = root / f"{TEMPORARY}{name}-{os.getpid()}"
    final, old = root / name, root / f"{TEMPORARY}replaced-{name}-{os.getpid()}"
    try:
        temporary.mkdir()
        for split in SPLITS:
            images, labels = splits[split]
            np.save(temporary / f"{split}-images.npy", images)
            np.save(temporary / f"{split}-labels.npy", labels)
        (temporary / MANIFEST).write_text(json.dumps(manifest, indent=1))
        if final.exists() and not replace:  # made by another import since this one began
            raise LabError(f"a dataset named {name} appeared while this one was imported: nothing was "
                           "written; choose another name")
        if final.exists():
            final.rename(old)
        temporary.rename(final)
    except BaseException:  # an error, Ctrl-C: nothing half-written stays
        shutil.rmtree(temporary, ignore_errors=True)
        if old.exists() and not final.exists():
            old.rename(final)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return final


def clear_abandoned(root: Path) -> None:
    """Remove what an import killed mid-write left (its process is gone)."""
    for leftover in root.glob(f"{TEMPORARY}*"):
        pid = leftover.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---- the datasets imported here ----------------------------------------------------------------

def imported_names(home: Path | None = None) -> list[str]:
    """The names of the datasets imported into ``home`` (a folder with a manifest: an import
    stopped half-way left none)."""
    root = datasets_dir(home)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir()
                  if NAME.fullmatch(p.name) and (p / MANIFEST).is_file())


def read_manifest(name: str, home: Path | None = None) -> dict:
    """``name``'s manifest, checked; a LabError in one line when it is missing or damaged."""
    path = datasets_dir(home) / name / MANIFEST
    if not NAME.fullmatch(name) or not path.is_file():
        raise LabError(f"no dataset named {name!r}: import one with lenet-lab datasets import FOLDER "
                       f"--name {name}, or see lenet-lab datasets")
    try:
        manifest = json.loads(path.read_text())
        if manifest.get("format") != FORMAT:
            raise ValueError(f"format {manifest.get('format')!r}, this program reads {FORMAT}")
        classes, side, channels = manifest["classes"], manifest["side"], manifest["channels"]
        if not (MIN_CLASSES <= len(classes) <= MAX_CLASSES and side in SIDES and channels in (1, 3)):
            raise ValueError("its classes, side or channels are out of range")
        float(manifest["mean"]), float(manifest["std"])  # noqa: B018 - they must be numbers
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LabError(f"{path}: a damaged manifest ({exc}): delete the dataset (lenet-lab datasets "
                       f"delete {name}) and import it again") from None
    return manifest


def read_imported(name: str, split: str, home: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(images uint8 N×C×side×side, labels int64 N)`` of an imported dataset's split, checked
    against its manifest."""
    manifest = read_manifest(name, home)
    folder = datasets_dir(home) / name
    try:
        images = np.load(folder / f"{split}-images.npy")
        labels = np.load(folder / f"{split}-labels.npy")
    except (OSError, ValueError) as exc:
        raise LabError(f"{folder}: the {split} split cannot be read ({exc}): delete the dataset "
                       f"(lenet-lab datasets delete {name}) and import it again") from None
    side, channels, count = manifest["side"], manifest["channels"], sum(manifest["counts"][split])
    if (images.shape != (count, channels, side, side) or images.dtype != np.uint8 or labels.shape != (count,)
            or (count and not 0 <= int(labels.min()) <= int(labels.max()) < len(manifest["classes"]))):
        raise LabError(f"{folder}: the {split} split does not match its manifest (images {images.shape}, "
                       f"labels {labels.shape}): delete the dataset and import it again")
    return images, labels.astype(np.int64, copy=False)


def delete_dataset(name: str, home: Path | None = None) -> Path:
    """Remove an imported dataset (renamed away first, so it is never listed half-deleted)."""
    if name in DATASETS:
        raise LabError(f"{name} is built in: only imported datasets can be deleted")
    if name == MY_DIGITS:
        raise LabError(f"{name} is made from the drawings you keep: delete drawings on the Draw page")
    folder = datasets_dir(home) / name
    if not NAME.fullmatch(name) or not folder.is_dir():
        raise LabError(f"no dataset named {name!r} was imported here: see lenet-lab datasets")
    try:
        discard(folder)
    except OSError as exc:
        raise LabError(f"{folder}: cannot be deleted ({exc.strerror})") from None
    return folder


def discard(folder: Path) -> None:
    """Remove a dataset's folder: renamed away first, so it is never listed half-deleted (a
    removal cut short leaves a hidden folder the next import clears)."""
    doomed = folder.with_name(f"{TEMPORARY}deleted-{folder.name}-{os.getpid()}")
    folder.rename(doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def get_dataset(name: str, home: Path | None = None) -> DatasetInfo:
    """A built-in dataset, or one imported into ``home``; a LabError naming the choices otherwise."""
    return DATASETS[name] if name in DATASETS else dataset_info(name, home)


def dataset_info(name: str, home: Path | None = None) -> DatasetInfo:
    """An imported dataset as the registry describes every dataset."""
    names = imported_names(home)
    if name not in names:
        mine = f", or one imported here ({', '.join(names)})" if names else ""
        raise LabError(f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}{mine}; import "
                       "a folder with lenet-lab datasets import FOLDER --name NAME")
    m = read_manifest(name, home)
    return DatasetInfo(name, name, tuple(m["classes"]), float(m["mean"]), float(m["std"]),
                       is_digits=name == MY_DIGITS, side=m["side"], channels=m["channels"], imported=True)


def all_datasets(home: Path | None = None) -> dict[str, DatasetInfo]:
    """The built-in datasets, then those imported into ``home`` whose manifest reads (a damaged
    one is left out here; ``datasets`` and Home list it with its remedy)."""
    found = dict(DATASETS)
    for name in imported_names(home):
        with contextlib.suppress(LabError):
            found[name] = dataset_info(name, home)
    return found
