"""Importing a folder (or a zip) of one's own images as a dataset (lenet_core.data.imported): real
image files written with PIL, real zips, the CLI in a subprocess; and every kind of bad input,
refused in one line with nothing half-written."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT, SHAPES, shape_picture, write_shapes
from PIL import Image

from lenet_core import data
from lenet_core.data import imported
from lenet_core.data.imported import ImportOptions, import_dataset
from lenet_core.errors import LabError


def cli(*args: str, home: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "LENET_LAB_HOME": str(home), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "lenet_core", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def nothing_written(home: Path) -> bool:
    root = imported.datasets_dir(home)
    return not root.exists() or not any(root.iterdir())


@pytest.fixture
def shapes(tmp_path) -> Path:
    return write_shapes(tmp_path / "shapes", per_class=10)


# ---- a good folder ------------------------------------------------------------------------------

def test_a_folder_of_three_classes_becomes_a_dataset_with_a_stratified_seeded_test_split(lab_home, shapes):
    made = import_dataset(shapes, "shapes", ImportOptions(test_share=0.2))
    m = made.manifest
    assert m["classes"] == list(SHAPES) and m["counts"] == {"train": [8, 8, 8], "test": [2, 2, 2]}
    assert (m["side"], m["channels"], m["style"]) == (28, 1, "fit")
    assert m["split"] == {"test_share": 0.2, "seed": 0} and m["source"]["kind"] == "folder"
    assert made.skipped == ()
    images, labels = data.read_split("shapes", "train", lab_home)
    assert images.shape == (24, 28, 28) and images.dtype == np.uint8
    assert labels.tolist() == [0] * 8 + [1] * 8 + [2] * 8
    # the pictures were dark shapes on a light page, fitted whole: light edges, dark ink inside
    assert images[:, 0, :].mean() > 200 and images[:, 10:18, 10:18].mean() < images[:, 0, :].mean()
    # the mean and std the network will normalise with are the training pixels'
    assert m["mean"] == pytest.approx(images.mean() / 255, abs=1e-4)
    # the same seed chooses the same test images; another seed others
    again = import_dataset(shapes, "again", ImportOptions(test_share=0.2))
    other = import_dataset(shapes, "other", ImportOptions(test_share=0.2, seed=1))
    assert again.manifest["checksum"] == m["checksum"] != other.manifest["checksum"]
    assert data.get_dataset("shapes", lab_home).classes == SHAPES


def test_an_imported_dataset_is_listed_with_its_sizes_and_deleted_whole(lab_home, shapes):
    import_dataset(shapes, "shapes")
    (listed,) = [a for a in data.availability(lab_home) if a.name == "shapes"]
    assert (listed.state, listed.train_size, listed.test_size) == (data.AVAILABLE, 24, 6)
    assert listed.source == f"the folder {shapes.resolve()}" and listed.bytes_on_disk > 24 * 784
    imported.delete_dataset("shapes", lab_home)
    assert "shapes" not in [a.name for a in data.availability(lab_home)] and nothing_written(lab_home)
    with pytest.raises(LabError, match="no dataset named 'shapes' was imported here"):
        imported.delete_dataset("shapes", lab_home)
    with pytest.raises(LabError, match="mnist is built in: only imported datasets can be deleted"):
        imported.delete_dataset("mnist", lab_home)


def test_the_sources_own_train_and_test_folders_are_kept(lab_home, tmp_path):
    write_shapes(tmp_path / "split" / "train", per_class=6)
    write_shapes(tmp_path / "split" / "test", per_class=3, seed=1)
    m = import_dataset(tmp_path / "split", "split").manifest
    assert m["counts"] == {"train": [6, 6, 6], "test": [3, 3, 3]}
    assert m["split"] == "the source's train/ and test/"


def test_a_zip_of_the_folder_gives_the_same_dataset_as_the_folder(lab_home, shapes, tmp_path):
    archive = tmp_path / "shapes.zip"
    with zipfile.ZipFile(archive, "w") as z:  # as a file manager zips a folder: the folder inside
        for path in sorted(shapes.rglob("*.*")):
            z.write(path, Path("shapes") / path.relative_to(shapes))
        z.writestr("__MACOSX/shapes/._0.png", b"resource fork")
    from_folder = import_dataset(shapes, "folder").manifest
    from_zip = import_dataset(archive, "zipped").manifest
    assert from_zip["checksum"] == from_folder["checksum"] and from_zip["source"]["kind"] == "zip"


def test_colour_and_a_32_pixel_side_keep_three_channels(lab_home, tmp_path):
    folder = write_shapes(tmp_path / "colours", per_class=6, colour=True)
    m = import_dataset(folder, "colours", ImportOptions(side=32, colour=True)).manifest
    assert (m["side"], m["channels"]) == (32, 3)
    images, labels = data.read_split("colours", "train", lab_home)
    assert images.shape == (15, 3, 32, 32)
    centre = images[:, :, 12:20, 12:20].reshape(15, 3, -1).mean(axis=2)
    # circles red, squares green, triangles blue: the ink's own channel is the strongest there
    for label in range(3):
        ink = centre[labels == label].mean(axis=0)
        assert ink[label] == ink.max()
    assert data.get_dataset("colours", lab_home).channels == 3


def test_mnist_style_prepares_drawings_as_the_draw_page_does(lab_home, tmp_path):
    from lenet_core.data.preprocess import centre_of_mass, mnist_style

    folder = write_shapes(tmp_path / "drawn", per_class=4)
    m = import_dataset(folder, "drawn", ImportOptions(style="mnist", test_share=0.25)).manifest
    assert m["style"] == "mnist"
    images, _ = data.read_split("drawn", "train", lab_home)
    expected = mnist_style(np.asarray(Image.open(folder / "circle" / "1.jpg").convert("RGBA"))).image
    assert any(np.abs(img / 255 - expected).max() < 1 / 255 + 1e-6 for img in images[:3])
    assert all(abs(c - 14) < 1.5 for img in images for c in centre_of_mass(img / 255))
    with pytest.raises(LabError, match="MNIST-style preparation makes grey drawings: drop --colour"):
        import_dataset(folder, "x", ImportOptions(style="mnist", colour=True))


# ---- bad input: one line, nothing half-written ------------------------------------------------------

def test_unusable_folders_are_refused_before_anything_is_decoded(lab_home, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    one = write_shapes(tmp_path / "one", per_class=3, classes=("circle",))
    lonely = write_shapes(tmp_path / "lonely", per_class=3)
    for extra in list((lonely / "square").iterdir())[1:]:
        extra.unlink()
    cases = {empty: "no images in class folders: put each class's images in a subfolder",
             one: r"one class \(circle\): a dataset needs at least 2 classes",
             lonely: "class 'square' has 1 image: each class needs at least 2",
             tmp_path / "missing": "no such folder or zip",
             one / "circle" / "0.png": "neither a folder nor a zip"}
    for folder, message in cases.items():
        with pytest.raises(LabError, match=message):
            import_dataset(folder, "bad")
    assert nothing_written(lab_home)


def test_ten_thousand_classes_are_refused_at_once(lab_home, tmp_path):
    many = tmp_path / "many"
    pixel = shape_picture("circle", np.random.default_rng(0))
    for k in range(10_000):
        (many / f"c{k}").mkdir(parents=True)
        (many / f"c{k}" / "a.png").write_bytes(b"never decoded")
        (many / f"c{k}" / "b.png").write_bytes(b"never decoded")
    pixel.save(many / "c0" / "a.png")
    started = time.monotonic()
    with pytest.raises(LabError, match="10,000 class folders: at most 100 classes"):
        import_dataset(many, "many")
    assert time.monotonic() - started < 60 and nothing_written(lab_home)


def test_corrupt_truncated_and_foreign_files_are_skipped_counted_and_named(lab_home, shapes):
    good = (shapes / "square" / "0.png").read_bytes()
    (shapes / "square" / "truncated.png").write_bytes(good[: len(good) // 2])
    (shapes / "circle" / "noise.jpg").write_bytes(os.urandom(2000))
    (shapes / "circle" / "empty.gif").write_bytes(b"")
    (shapes / "triangle" / "readme.txt").write_text("not a picture")
    (shapes / "stray.png").write_bytes(good)  # in no class
    (shapes / ".DS_Store").write_bytes(b"\0" * 10)  # hidden: not even mentioned
    made = import_dataset(shapes, "shapes")
    assert sum(made.manifest["counts"]["train"]) + sum(made.manifest["counts"]["test"]) == 30
    skipped = "\n".join(made.skipped)
    assert len(made.skipped) == 5 and made.manifest["source"]["skipped"] == 3
    assert "square/truncated.png (a damaged or truncated image" in skipped
    assert "circle/noise.jpg (not an image this program can read)" in skipped
    assert "circle/empty.gif (not an image: the file is empty (0 bytes))" in skipped
    assert "triangle/readme.txt (not an image" in skipped and "stray.png (not in a class folder)" in skipped
    # a summary names the first five and counts the rest
    assert imported.some_of([f"f{k}" for k in range(8)]) == "f0; f1; f2; f3; f4; and 3 more"


def png_header(width: int, height: int) -> bytes:
    """A PNG that says it is ``width``×``height`` and holds a few bytes: a decompression bomb's
    header (decoding it would take width × height bytes)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))


def test_a_decompression_bomb_is_never_decoded(lab_home, shapes):
    """Refused from the header, whether PIL's own guard or ours (4,096×4,096) says so first."""
    (shapes / "circle" / "bomb.png").write_bytes(png_header(60_000, 60_000))
    (shapes / "square" / "big.png").write_bytes(png_header(5_000, 5_000))
    made = import_dataset(shapes, "shapes")
    assert ("circle/bomb.png (over 178,956,970 pixels is too large: images up to 4,096×4,096 are "
            "accepted)") in made.skipped
    assert "square/big.png (5,000×5,000 pixels is too large: images up to 4,096×4,096 are accepted)" \
        in made.skipped


def test_links_leading_out_of_the_folder_are_refused_and_named(lab_home, shapes, tmp_path):
    secret = tmp_path / "secret.png"
    shape_picture("square", np.random.default_rng(1)).save(secret)
    (shapes / "square" / "outside.png").symlink_to(secret)
    (shapes / "circle" / "inside.png").symlink_to(shapes / "circle" / "0.png")  # a link within: fine
    (shapes / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    made = import_dataset(shapes, "shapes")
    assert "square/outside.png (a link leading out of the folder)" in made.skipped
    assert "elsewhere/ (a linked folder: not followed)" in made.skipped
    assert made.manifest["counts"]["train"][0] + made.manifest["counts"]["test"][0] == 11


@pytest.mark.parametrize("member, message", [
    ("../evil/x.png", "unsafe path"), ("/etc/x.png", "unsafe path"), ("shapes/../../x.png", "unsafe path"),
    ("C:/x.png", "unsafe path"), ("link", "holds a link"),
])
def test_a_zip_with_an_escaping_path_or_a_link_is_refused_whole(lab_home, shapes, tmp_path, member, message):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted(shapes.rglob("*.*")):
            z.write(path, path.relative_to(shapes))
        info = zipfile.ZipInfo(member)
        if member == "link":
            info.external_attr = 0o120777 << 16
        z.writestr(info, b"../../etc/passwd")
    with pytest.raises(LabError, match=message):
        import_dataset(archive, "evil")
    assert nothing_written(lab_home)


def test_names_are_checked_first(lab_home, shapes):
    for name, message in [("mnist", "mnist is a built-in dataset"), ("../x", "cannot name a dataset"),
                          ("Big Name", "cannot name a dataset"), ("", "cannot name a dataset")]:
        with pytest.raises(LabError, match=message):
            import_dataset(shapes, name)
    import_dataset(shapes, "shapes")
    with pytest.raises(LabError, match="a dataset named shapes already exists: delete it first"):
        import_dataset(shapes, "shapes")
    for options, message in [(ImportOptions(side=30), "side 30 is not offered"),
                             (ImportOptions(test_share=1.0), "test share 1.0 is out of range")]:
        with pytest.raises(LabError, match=message):
            import_dataset(shapes, "other", options)


def test_ctrl_c_during_an_import_leaves_nothing(lab_home, shapes):
    def interrupt(done, total):
        if done == 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_dataset(shapes, "shapes", progress=interrupt)
    assert nothing_written(lab_home) and data.availability(lab_home)[-1].name == "mnist-5k"


def test_what_a_killed_import_left_is_never_listed_and_the_next_import_clears_it(lab_home, shapes):
    root = imported.datasets_dir(lab_home)
    dead = subprocess.run(["true"]).args and subprocess.Popen(["true"])
    dead.wait()
    leftover = root / f".importing-shapes-{dead.pid}"
    leftover.mkdir(parents=True)
    (leftover / "train-images.npy").write_bytes(b"half")
    assert imported.imported_names(lab_home) == []
    import_dataset(shapes, "shapes")
    assert not leftover.exists() and imported.imported_names(lab_home) == ["shapes"]


def test_a_damaged_dataset_says_how_to_mend_it(lab_home, shapes):
    import_dataset(shapes, "shapes")
    manifest = imported.datasets_dir(lab_home) / "shapes" / "manifest.json"
    m = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**m, "counts": {"train": [1, 1, 1], "test": [2, 2, 2]}}))
    with pytest.raises(LabError, match="the train split does not match its manifest"):
        data.read_split("shapes", "train", lab_home)
    manifest.write_text("{not json")
    (listed,) = [a for a in data.availability(lab_home) if a.name == "shapes"]
    assert listed.state == data.UNAVAILABLE and "a damaged manifest" in listed.remedy
    assert "lenet-lab datasets delete shapes" in listed.remedy


# ---- the command line -----------------------------------------------------------------------------

def test_cli_imports_lists_and_deletes(lab_home, shapes):
    done = cli("datasets", "import", str(shapes), "--name", "shapes", "--test-share", "0.3", home=lab_home)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("imported shapes: 3 classes (circle, square, triangle), 21 train / 9 test "
                                  "images, 28×28 grey")
    listing = cli("datasets", home=lab_home)
    assert "✓ shapes" in listing.stdout and "21 train / 9 test" in listing.stdout
    again = cli("datasets", "import", str(shapes), "--name", "shapes", home=lab_home)
    assert again.returncode == 2 and again.stderr.strip().splitlines() == [
        "error: a dataset named shapes already exists: delete it first (lenet-lab datasets delete shapes) "
        "or choose another name"]
    gone = cli("datasets", "delete", "shapes", home=lab_home)
    assert gone.returncode == 0 and gone.stdout.startswith("deleted shapes")
    bad = cli("datasets", "import", str(shapes), "--name", "x", "--side", "30", home=lab_home)
    assert bad.returncode == 2 and "invalid choice: 30" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_import_killed_with_sigkill_mid_way_leaves_no_dataset(lab_home, tmp_path):
    """The CLI's progress bar, read through a terminal (pty), says when the import is under way:
    kill -9 then, part way through the images."""
    folder = tmp_path / "big"
    rng = np.random.default_rng(0)
    for shape in SHAPES:
        (folder / shape).mkdir(parents=True)
        for n in range(1000):
            shape_picture(shape, rng).resize((28, 28)).save(folder / shape / f"{n}.png")
    env = {**os.environ, "LENET_LAB_HOME": str(lab_home), "OMP_NUM_THREADS": "1"}
    terminal, bar = pty.openpty()
    fcntl.ioctl(bar, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))  # tqdm draws in 100 columns
    process = subprocess.Popen([sys.executable, "-m", "lenet_core", "datasets", "import", str(folder),
                                "--name", "big"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=bar)
    os.close(bar)
    shown, killed = b"", False
    try:
        while process.poll() is None and not killed:
            if select.select([terminal], [], [], 5)[0]:
                try:
                    shown += os.read(terminal, 4096)
                except OSError:  # the import ended: its end of the terminal closed
                    break
            if any(0 < int(n) < 3000 for n in re.findall(rb"(\d+)/3000", shown)):
                process.send_signal(signal.SIGKILL)
                killed = True
        process.wait(timeout=60)
    finally:
        os.close(terminal)
    assert killed, f"the import never showed its progress: {shown[-300:]!r}"
    assert imported.imported_names(lab_home) == []
    assert "big" not in [a.name for a in data.availability(lab_home)]
    assert not (imported.datasets_dir(lab_home) / "big").exists()


def test_a_pipe_in_the_folder_is_refused_not_waited_on(lab_home, shapes):
    os.mkfifo(shapes / "circle" / "pipe.png")
    made = import_dataset(shapes, "shapes")
    assert "circle/pipe.png (not a regular file)" in made.skipped


# ---- an imported dataset trains like the others ---------------------------------------------------

@pytest.mark.slow
def test_cli_import_train_and_evaluate_three_shapes(lab_home, tmp_path):
    """Import a generated 3-class folder, train a built-in LeNet on it (its output follows: fc(3)),
    and read the run's evaluation: well above chance, in the shapes' own class names."""
    from lenet_core.model.checkpoints import load_model

    folder = write_shapes(tmp_path / "shapes", per_class=60)
    assert cli("datasets", "import", str(folder), "--name", "shapes", home=lab_home).returncode == 0
    trained = cli("train", "--dataset", "shapes", "--arch", "lenet-modern", "--epochs", "8",
                  "--batch-size", "16", "--optimizer", "adam", "--lr", "0.003", home=lab_home, timeout=600)
    assert trained.returncode == 0, trained.stderr
    (run,) = json.loads(cli("runs", "list", "--json", home=lab_home).stdout)
    shown = json.loads(cli("runs", "show", run["id"], "--json", home=lab_home).stdout)
    summary = shown["summary"]
    assert summary["test_acc"] > 0.6  # chance is 1/3; here it learns to about 0.8
    assert len(summary["confusion"]) == 3 and sum(map(sum, summary["confusion"])) == 36
    model, meta = load_model(lab_home / "runs" / run["id"] / "final.pt")
    assert meta.classes == list(SHAPES) and model[-1].out_features == 3 and meta.dataset == "shapes"


@pytest.mark.slow
def test_cli_a_colour_32px_folder_imported_trained_predicted_and_exported(lab_home, tmp_path):
    """A colour folder at 32×32 end to end through the CLI: lenet-modern learns it with conv1
    reading three channels of 32×32 (no padding), a new colour picture is classified, and its ONNX
    file takes 3×32×32 inputs and gives what PyTorch gives."""
    import onnxruntime

    from lenet_core.cli.predict import preparation
    from lenet_core.model.checkpoints import architecture_of, load_model
    from lenet_core.model.inputs import model_input

    folder = write_shapes(tmp_path / "hues", per_class=60, colour=True)
    done = cli("datasets", "import", str(folder), "--name", "hues", "--side", "32", "--colour", home=lab_home)
    assert done.returncode == 0 and "32×32 colour" in done.stdout
    trained = cli("train", "--dataset", "hues", "--arch", "lenet-modern", "--epochs", "8",
                  "--batch-size", "16", "--optimizer", "adam", "--lr", "0.003", home=lab_home, timeout=600)
    assert trained.returncode == 0, trained.stderr
    (run,) = json.loads(cli("runs", "list", "--json", home=lab_home).stdout)
    shown = json.loads(cli("runs", "show", run["id"], "--json", home=lab_home).stdout)
    assert shown["summary"]["test_acc"] > 0.6
    model, meta = load_model(lab_home / "runs" / run["id"] / "final.pt")
    arch = architecture_of(meta)
    assert arch.input_shape == (3, 32, 32) and model.conv1.in_channels == 3 and model[-1].out_features == 3

    picture = tmp_path / "red.png"
    shape_picture("circle", np.random.default_rng(11), colour=True).save(picture)
    prepared = preparation(meta)(str(picture))
    assert prepared.image.shape == (3, 32, 32)  # kept in colour, as the import kept its pictures
    said = cli("predict", "--run", run["id"], str(picture), home=lab_home)
    assert said.returncode == 0 and said.stdout.startswith(f"{picture}: ")

    target = tmp_path / "hues.onnx"
    assert cli("runs", "export", run["id"], "--onnx", "-o", str(target), home=lab_home).returncode == 0
    session = onnxruntime.InferenceSession(str(target))
    assert session.get_inputs()[0].shape[1:] == [3, 32, 32]
    x = model_input(prepared.image, meta)
    (logits,) = session.run(["logits"], {"image": x.numpy()})
    assert np.allclose(logits, model.eval()(x).detach().numpy(), atol=1e-4)


def test_a_run_on_a_dataset_that_is_not_here_is_refused_and_a_network_is_fitted_to_its_images(
        lab_home, tmp_path):
    from lenet_core.training.config import network_of, validate

    _, errors = validate({"dataset": "nowhere"})
    assert errors["dataset"].startswith("unknown dataset 'nowhere': choose one of fashion-mnist, mnist, "
                                        "mnist-5k; import a folder")
    _, errors = validate({"dataset": "Not A Name"})
    assert "is not a dataset" in errors["dataset"]
    import_dataset(write_shapes(tmp_path / "c", per_class=4, colour=True), "colours",
                   ImportOptions(colour=True, test_share=0.25))
    config, errors = validate({"dataset": "colours"})
    assert errors == {}
    arch = network_of(config)  # lenet-classic on 28×28 colour: conv1 reads three channels
    assert arch.input_shape == (3, 28, 28) and arch.layers[0].args["in_channels"] == 3
    _, errors = validate({"dataset": "colours", "arch": "mine", "layers": "conv(6,5) relu flatten fc(3)"})
    assert errors["layers"] == ("mine reads 1×28×28 inputs, but colours holds 3×28×28 images: start its "
                                "layers with input(28,3)")
    config, errors = validate({"dataset": "colours", "arch": "mine", "layers": "input(28,3) conv(6,5) relu "
                               "flatten fc(3)"})
    assert errors == {} and network_of(config).layers[0].args["in_channels"] == 3
    import_dataset(write_shapes(tmp_path / "g", per_class=4), "grey", ImportOptions(test_share=0.25))
    config, errors = validate({"dataset": "grey", "arch": "lenet5"})
    assert errors == {} and config.dataset == "grey"
    _, errors = validate({"dataset": "grey", "arch": "mine", "layers": "flatten fc(10)"})
    assert errors["layers"].endswith("has 3 classes: end it in fc(3)")


@pytest.mark.slow
def test_predict_prepares_a_picture_as_the_models_import_did(lab_home, tmp_path):
    """A model of a dataset imported with "fit" sees a new picture fitted whole, as its training
    pictures were (MNIST-style preparation would crop it to its ink)."""
    from helpers import finished_run

    from lenet_core.cli.predict import preparation
    from lenet_core.model.checkpoints import load_model

    import_dataset(write_shapes(tmp_path / "shapes", per_class=40), "shapes")
    run = finished_run(lab_home, "shapes", dataset="shapes", train_subset=0, batch_size=16, epochs=3,
                       optimizer="adam", lr=0.003)
    _, meta = load_model(lab_home / "runs" / run.id / "final.pt")
    picture = tmp_path / "new.png"
    shape_picture("triangle", np.random.default_rng(7)).save(picture)
    prepared = preparation(meta)(str(picture))
    # the light page kept at the edge, as in the training pictures (MNIST-style would make it black)
    assert prepared.image.shape == (28, 28) and prepared.image[0].mean() > 0.8
    done = cli("predict", "--run", run.id, str(picture), home=lab_home)
    assert done.returncode == 0 and done.stdout.startswith(f"{picture}: ")


def test_a_run_reads_its_dataset_in_its_own_stores_home_and_never_trains_another(lab_home, tmp_path):
    """A store in another folder than LENET_LAB_HOME (the e2e servers', a --home) reads its runs'
    imported datasets there; a run whose dataset was deleted before it started fails saying so,
    where a lenient read would have trained it on the default dataset."""
    from helpers import TINY

    from lenet_core import runs
    from lenet_core.model.checkpoints import load_model
    from lenet_core.training.config import TrainConfig

    other = tmp_path / "other-home"
    import_dataset(write_shapes(tmp_path / "s", per_class=6), "shapes", ImportOptions(test_share=0.25),
                   home=other)
    store = runs.RunStore(other)
    settings = {**TINY, "dataset": "shapes", "train_subset": 0, "batch_size": 6}
    config, errors = runs.check_launch(settings, home=other)  # the form's check looks there too
    assert errors == {} and config.dataset == "shapes"
    run = store.create(TrainConfig(**settings), "here")
    assert store.get(run.id).config.dataset == "shapes" and store.get(run.id).note is None
    runs.execute(run.id, home=other, signals=())
    _, meta = load_model(other / "runs" / run.id / "final.pt")
    assert meta.dataset == "shapes" and meta.classes == list(SHAPES)

    queued = store.create(TrainConfig(**settings), "its dataset deleted")
    imported.delete_dataset("shapes", other)
    runs.rows.stored_config.cache_clear()  # a new worker process reads the row afresh
    with pytest.raises(LabError, match=r"cannot start: its stored settings no longer hold here: dataset: "):
        runs.execute(queued.id, home=other, signals=())
    failed = store.get(queued.id)
    assert failed.status == "failed" and "unknown dataset 'shapes'" in failed.error
    assert not (other / "runs" / queued.id / "final.pt").exists()
