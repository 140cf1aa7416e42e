"""What the tests share: real small datasets written as idx files, tiny run recipes, real runs
stopped or finished, pages run through AppTest, and the form and canvas helpers those use.

Fixtures live in ``conftest.py``; everything a test module imports lives here (never
``from test_x import ...``).
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import signal
import struct
import time
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]

# ---- tiny runs ------------------------------------------------------------------------------------

# A LeNet that learns the offline digits (4,000 training, 1,000 test images) in one pass of
# 63 batches: a few seconds a run.
ONE_PASS_DIGITS = dict(dataset="mnist-5k", arch="lenet-modern", init="default", optimizer="adam",
                       lr=0.01, batch_size=64, epochs=1)
# A few batches of the same (4): a run that ends in about a second.
TINY = dict(dataset="mnist-5k", arch="lenet-modern", epochs=1, batch_size=100, lr=0.1,
            optimizer="sgd-momentum", init="default", train_subset=400)
# Four batches of LeNet-5 (tanh, max pooling), for the tests of faults that want another network.
TINY_LENET5 = {**TINY, "arch": "lenet5", "optimizer": "adam", "lr": 0.01, "batch_size": 64,
               "train_subset": 256}
# What every finished run's summary holds.
SUMMARY_KEYS = {"train_loss", "train_acc", "test_loss", "test_acc", "best_test_acc",
                "examples_per_sec", "seconds", "device", "per_class_acc", "confusion", "params"}


def stopped_run(home, name: str = "stopped", **settings):
    """A real tiny run stopped early in its first epoch (the way ``runs stop`` stops one: a
    signal, at its first reporting point): it holds last.pt and can be resumed."""
    from lenet_core import runs
    from lenet_core.training.config import TrainConfig
    from lenet_core.training.records import Recorder

    class StopAtFirstPoint(Recorder):
        def metrics(self, step, epoch, values, wall_time):
            os.kill(os.getpid(), signal.SIGUSR1)

    store = runs.RunStore(home)
    run = store.create(TrainConfig(**{**TINY, **settings}), name)
    runs.execute(run.id, home=home, recorder=StopAtFirstPoint(), signals=(signal.SIGUSR1,))
    return store.get(run.id)


def finished_run(home, name: str = "tiny", **settings):
    """A real tiny run, trained in this process by the engine's foreground path."""
    from lenet_core import runs
    from lenet_core.training.config import TrainConfig

    store = runs.RunStore(home)
    run = store.create(TrainConfig(**{**TINY, **settings}), name)
    runs.execute(run.id, home=home, signals=())
    return store.get(run.id)


def wait_for(store, run_id: str, done, timeout: float = 240):
    """Poll the run store until ``done(run)`` (a vanished trainer noticed on the way, as the live
    panel notices it); on timeout, fail showing the trainer's log."""
    from lenet_core import runs

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = next((r for r in runs.reap(store) if r.id == run_id), None) or store.get(run_id)
        if done(run):
            return run
        time.sleep(0.1)  # a real trainer process works meanwhile
    log = runs.run_dir(run_id, store.home) / "worker.log"
    pytest.fail(f"run {run_id} still {store.get(run_id).status}; log:\n"
                f"{log.read_text() if log.exists() else '(none)'}")


def lab(*argv, env=None, timeout=600) -> tuple[int, str, str]:
    """``python -m lenet_core ARGV`` as a real process: exit status, stdout, stderr."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "lenet_core", *argv], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)
    return done.returncode, done.stdout, done.stderr


def wait_sweep(store, sweep_id: str, done, timeout: float = 300):
    """Poll the store until ``done(trials)`` (in trial order; vanished trainers noticed on the
    way); on timeout, fail showing each trial's status and the worker logs."""
    from lenet_core import runs

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        trials = sorted((r for r in runs.reap(store) if r.sweep_id == sweep_id), key=lambda r: r.trial)
        if done(trials):
            return trials
        time.sleep(0.2)
    logs = [runs.run_dir(r.id, store.home) / "worker.log" for r in store.sweep_runs(sweep_id)]
    driver = store.home / "sweeps" / sweep_id / "driver.log"
    pytest.fail(f"sweep {sweep_id}: " + str([(r.trial, r.status) for r in store.sweep_runs(sweep_id)])
                + "\n" + "\n".join(p.read_text() for p in [*logs, driver] if p.exists()))


def cli(*argv) -> tuple[int, str]:
    """``python -m lenet_core ARGV`` in this process: its exit status and what it printed."""
    from lenet_core.cli import main

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


# ---- pages through AppTest ---------------------------------------------------------------------

def open_page(path: str, timeout: float = 60):
    """Run the real entrypoint (navigation included), then switch to ``path`` and run it."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout).run()
    if path != "pages/views/home.py":
        at.switch_page(path).run()
    return at


TRAINING_PAGE = "pages/views/training.py"
DRAW_PAGE = "pages/views/draw.py"


def sidebar_errors(at) -> list[str]:
    return [e.value for e in at.sidebar.error]


def fill(at, **values) -> None:
    """Set launcher fields by TrainConfig field name (widget key ``form_<field>``)."""
    for field, value in values.items():
        widget = next(w for kind in ("selectbox", "number_input", "text_input", "checkbox")
                      for w in at.sidebar.get(kind) if w.key == f"form_{field}")
        typed = widget.type == "text_input" and not isinstance(value, str)  # numbers are text boxes
        widget.set_value(f"{value:g}" if isinstance(value, float) and typed else
                         str(value) if typed else value)


def start(at):
    next(b for b in at.sidebar.button if b.label == "Start training").click().run()
    return at


def charts(at) -> list[tuple[dict, list]]:
    """Each Altair chart on the page: its spec and its data sets as DataFrames."""
    import pyarrow as pa

    out = []
    for chart in at.get("vega_lite_chart"):
        blobs = [d.data.data for d in chart.proto.datasets]  # Altair charts: named data sets
        if chart.proto.data.data:  # the live curves: rows passed beside a cached spec
            blobs.insert(0, chart.proto.data.data)
        frames = [pa.ipc.open_stream(blob).read_pandas() for blob in blobs]
        out.append((json.loads(chart.proto.spec), frames))
    return out


CANVAS_KEY = "draw_canvas"  # the Draw page's canvas: one key for the life of the page
SEVEN = [[(60, 50), (220, 50), (110, 250)]]
ONE = [[(140, 30), (145, 250)]]


def drawing_png(strokes, ink="white", background="black", size=280, width=20) -> bytes:
    image = Image.new("RGB", (size, size), background)
    pen = ImageDraw.Draw(image)
    for stroke in strokes:
        pen.line(stroke, fill=ink, width=width, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def draw(at, strokes):
    """Hand the Draw page's real canvas component a drawing, as the browser sends it."""
    url = "data:image/png;base64," + base64.b64encode(drawing_png(strokes)).decode()
    at.session_state[CANVAS_KEY] = {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": url},
                                    "backgroundFit": None}
    return at.run()


def first_guess(at):
    return next((m.value for m in at.markdown if m.value.startswith("### First guess:")), None)


# ---- idx files -----------------------------------------------------------------------------------
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


# ---- the browser's 3D element (pages/ui/net3d.py) ---------------------------------------------------

def element_args(at, prefix: str) -> dict:
    """What the page sent the 3D element of ``prefix`` on its last run."""
    key = f"{prefix}_3d_element"
    (element,) = [e for e in at.get("component_instance") if e.key == key]
    return json.loads(element.proto.json_args)


def element_planes(at, prefix: str) -> set[str]:
    """The planes whose values the page sent the element (the Draw page, the Explorer)."""
    return set(element_args(at, prefix)["values"] or {})


def click_unit(at, prefix: str, plane: str, unit: list[int], image=None):
    """What the element sends when a person clicks a unit (pages/components/net3d/main.js): the
    unit, and on the Network in 3D page the drawing's 28×28 image; then the page's rerun."""
    sent = None if image is None else base64.b64encode(np.asarray(image, "<f4").tobytes()).decode()
    have = element_args(at, prefix)["model_id"]
    at.session_state[f"{prefix}_3d_element"] = {"have": have, "selected": {"plane": plane, "unit": unit},
                                               "image": sent}
    return at.run()


# ---- networks with weights (the views and the engines' parity, not skill) ---------------------------

def random_weights(arch):
    """``arch`` built with seeded weights, in eval mode, and batch-norm statistics that are no
    identity (so that a test of batch norm can fail)."""
    import torch

    from lenet_core.model.architectures import build_model

    torch.manual_seed(0)
    model = build_model(arch, init="xavier").eval()
    generator = torch.Generator().manual_seed(0)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d):
            module.running_mean.copy_(torch.rand(module.num_features, generator=generator) - 0.5)
            module.running_var.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
    return model


# ---- a folder of one's own images (datasets import) -----------------------------------------------

SHAPES = ("circle", "square", "triangle")
SHAPE_FORMATS = (("png", "PNG"), ("jpg", "JPEG"), ("bmp", "BMP"), ("gif", "GIF"))


def shape_picture(shape: str, rng: np.random.Generator, colour: bool = False) -> Image.Image:
    """A dark shape on a light page, of a random size and place: what a phone photo of a drawing
    gives (the import must find the shape at any size)."""
    w, h = (int(v) for v in rng.integers(40, 120, size=2))
    ink = tuple(int(v) for v in rng.integers(0, 80, size=3)) if colour else (20, 20, 20)
    if colour:  # the class is in the colour too: circles red, squares green, triangles blue
        ink = {"circle": (200, 30, 30), "square": (30, 160, 30), "triangle": (30, 30, 200)}[shape]
    picture = Image.new("RGB", (w, h), (235, 235, 230))
    draw = ImageDraw.Draw(picture)
    size = int(rng.integers(int(0.5 * min(w, h)), int(0.9 * min(w, h))))
    x, y = int(rng.integers(0, w - size + 1)), int(rng.integers(0, h - size + 1))
    if shape == "circle":
        draw.ellipse([x, y, x + size, y + size], fill=ink)
    elif shape == "square":
        draw.rectangle([x, y, x + size, y + size], fill=ink)
    else:
        draw.polygon([(x + size / 2, y), (x, y + size), (x + size, y + size)], fill=ink)
    return picture


def write_shapes(folder: Path, per_class: int = 10, seed: int = 0, colour: bool = False,
                 classes: tuple[str, ...] = SHAPES) -> Path:
    """``folder/<shape>/<n>.<png|jpg|bmp|gif>``: a 3-class dataset in torchvision's layout, the
    four formats taking turns."""
    rng = np.random.default_rng(seed)
    for shape in classes:
        (folder / shape).mkdir(parents=True, exist_ok=True)
        for n in range(per_class):
            suffix, kind = SHAPE_FORMATS[n % len(SHAPE_FORMATS)]
            shape_picture(shape, rng, colour).save(folder / shape / f"{n}.{suffix}", kind)
    return folder
