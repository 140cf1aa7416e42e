"""``predict``: classify image files with the bundled digit model or a finished run.

Each file is prepared exactly as the Draw page prepares a drawing (:mod:`lenet_core.data.preprocess`):
ink, bounding box, 20-pixel box, centre of mass, the model's normalisation.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from lenet_core import runs
from lenet_core.data import imported
from lenet_core.data.preprocess import Preprocessed, load_image, mnist_style
from lenet_core.errors import LabError
from lenet_core.format import format_percent, format_probability
from lenet_core.inspect.activations import forward_pass, top_k, torch_threads
from lenet_core.model.checkpoints import load_model, pretrained_path
from lenet_core.paths import db_path, lab_home

TOP = 3


def add_parser(sub) -> None:
    p = sub.add_parser(
        "predict", help="classify image files (PNG/JPEG) with the digit model or a run's model",
        description="Prepare each image as MNIST's digits were prepared (crop to the ink, scale to "
        "20×20 keeping the aspect ratio, centre the mass in 28×28; dark ink on a light background "
        "is inverted) and print the three most probable classes.",
    )
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG or JPEG)")
    p.add_argument("--run", default=None, metavar="ID",
                   help="use this completed run's final model (default: the bundled digit model)")
    p.add_argument("--json", action="store_true",
                   help='print a JSON list: {"file", "top": [{"label", "name", "probability"}]}')
    p.set_defaults(func=run)


def checkpoint_path(run_id: str | None, home: Path | None = None) -> Path:
    """The bundled model, or a completed run's final checkpoint (``<home>/runs/<id>/final.pt``)."""
    if run_id is None:
        path = pretrained_path("digits")
        if not path.is_file():
            raise LabError(f"the bundled model {path} is missing: reinstall LeNet Lab, or pass "
                           "--run ID to use a training run's model")
        return path
    home = home or lab_home()
    path = runs.run_dir(run_id, home) / "final.pt"  # refuses anything that is not a run id
    if path.is_file():
        return path
    status = "unknown"
    if db_path(home).is_file():  # only read the store: predicting never creates one
        try:
            status = runs.store_for(home).get(run_id).status
        except LabError:
            status = "unknown"
    if status == "unknown":
        raise LabError(f"there is no run {run_id} in {home}: `python -m lenet_core runs list` shows them")
    raise LabError(_no_final_model(run_id, status, path))


def _no_final_model(run_id: str, status: str, path: Path) -> str:
    """Why a known run has no final.pt: not finished, or (completed) its file was removed."""
    if status == "completed":
        return (f"run {run_id} completed but its final model {path} is missing (its folder was "
                "moved or deleted): train it again, or pass another run")
    return f"run {run_id} is {status} and has no final model ({path} does not exist): use a completed run"


def check_image_file(path: str) -> None:
    """A folder given as an image: preprocess would call it "no such file", which it is not."""
    if Path(path).is_dir():
        raise LabError(f"{path}: is a folder, not an image: name the image files (e.g. {path}/*.png)")


def preparation(meta) -> Callable[[str], Preprocessed]:
    """How a file becomes the model's input: as the Draw page prepares a drawing (MNIST-style), or,
    for a model of a dataset imported with ``fit``, as that import prepared its pictures."""
    try:
        manifest = imported.read_manifest(meta.dataset) if meta.dataset in imported.imported_names() else {}
    except LabError:
        manifest = {}
    if manifest.get("style") != "fit":
        return lambda path: mnist_style(load_image(path))
    options = imported.ImportOptions(side=manifest["side"], colour=manifest["channels"] == 3)

    def fit(path: str) -> Preprocessed:
        pixels = imported.prepare(load_image(path, formats=imported.FORMATS), options)
        image = pixels[0] if len(pixels) == 1 else pixels  # grey: S×S; colour: 3×S×S
        return Preprocessed(image.astype("float32") / 255)

    return fit


def predict_file(model, meta, path: str, prepare: Callable[[str], Preprocessed] | None = None) -> dict:
    """One file -> ``{"file", "top": [...]}``, plus ``"note"`` when the image is blank."""
    check_image_file(path)
    prepared = (prepare or preparation(meta))(path)
    if prepared.blank:
        return {"file": path, "top": [], "note": prepared.note}
    probabilities = forward_pass(model, meta, prepared.image).probabilities
    top = [{"label": g.label, "name": g.name, "probability": round(g.probability, 6)}
           for g in top_k(probabilities, meta.classes, TOP)]
    result = {"file": path, "top": top}
    if prepared.note:
        result["note"] = prepared.note
    return result


def run(args) -> int:
    model, meta = load_model(checkpoint_path(args.run))
    acc = meta.metrics.get("test_acc")
    source = "bundled digit model" if args.run is None else f"run {args.run}"
    print(f"model: {source} ({meta.arch} on {meta.dataset}"
          f"{f', test accuracy {format_percent(acc)}' if acc is not None else ''})", file=sys.stderr)
    results, failed, prepare = [], False, preparation(meta)
    for path in args.images:
        try:
            with torch_threads(1):  # one image at a time: one thread is fastest
                results.append(predict_file(model, meta, path, prepare))
        except LabError as exc:
            failed = True
            results.append({"file": path, "top": [], "error": str(exc)})
            if not args.json:
                print(f"error: {exc}", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    else:
        for result in results:
            if "error" not in result:
                print(_line(result))
    return 2 if failed else 0


def _line(result: dict) -> str:
    if not result["top"]:
        return f"{result['file']}: {result['note']}"
    guesses = ", ".join(f"{g['name']} {format_probability(g['probability'])}" for g in result["top"])
    return f"{result['file']}: {guesses}"
