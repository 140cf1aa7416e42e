"""``python -m lenet_core predict``: real PNG/JPEG files, a real subprocess, the bundled model."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from lenet_core.data import read_split
from lenet_core.data.preprocess import mnist_style
from lenet_core.inspect.activations import forward_all
from lenet_core.model.checkpoints import load_model, pretrained_path, save_checkpoint
from lenet_core.model.inputs import model_input
from lenet_core.runs import RunStore
from lenet_core.training.config import TrainConfig

ROOT = Path(__file__).resolve().parents[1]


def predict(*args, home=None):
    env = dict(os.environ)
    if home is not None:
        env["LENET_LAB_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "lenet_core", "predict", *map(str, args)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def seven(path, ink="white", background="black", size=280):
    image = Image.new("RGB", (size, size), background)
    ImageDraw.Draw(image).line([(60, 50), (220, 50), (110, 250)], fill=ink, width=22, joint="curve")
    image.save(path)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Real files: twenty MNIST test digits as PNG (with labels), a drawn 7, a scanned-looking
    dark-on-light JPEG 7, a blank PNG and a text file named .png."""
    folder = tmp_path_factory.mktemp("images")
    images, labels = read_split("mnist-5k", "test")
    digits = []
    for i in np.arange(0, 1000, 50):
        path = folder / f"digit_{i}_label_{labels[i]}.png"
        Image.fromarray(images[i]).save(path)
        digits.append((path, int(labels[i])))
    Image.new("RGB", (120, 90), "white").save(folder / "blank.png")
    (folder / "notes.png").write_text("shopping list")
    return {"digits": digits, "seven": seven(folder / "seven.png"),
            "scan": seven(folder / "scan.jpg", ink=(25, 25, 35), background=(240, 238, 230), size=500),
            "blank": folder / "blank.png", "notes": folder / "notes.png"}


@pytest.fixture(scope="module")
def json_rows(files, tmp_path_factory):
    """One ``--json`` run over every readable file (each run of the CLI loads torch: a few seconds)."""
    paths = [p for p, _ in files["digits"]] + [files["seven"], files["scan"], files["blank"]]
    result = predict(*paths, "--json", home=tmp_path_factory.mktemp("home"))
    assert result.returncode == 0, result.stderr
    return {row["file"]: row for row in json.loads(result.stdout)}


@pytest.mark.slow
def test_json_gives_the_top_three_with_probabilities_for_each_file(files, json_rows):
    digits = files["digits"]
    assert list(json_rows)[:len(digits)] == [str(p) for p, _ in digits]
    for path, _ in digits:
        top = json_rows[str(path)]["top"]
        assert len(top) == 3 and set(top[0]) == {"label", "name", "probability"}
        probs = [g["probability"] for g in top]
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0001
        assert all(g["name"] == str(g["label"]) for g in top)
    correct = sum(json_rows[str(path)]["top"][0]["label"] == label for path, label in digits)
    assert correct >= 18


@pytest.mark.slow
def test_the_cli_prepares_files_exactly_as_the_page_does(files, json_rows):
    model, meta = load_model(pretrained_path("digits"))
    path = files["digits"][3][0]
    x = model_input(mnist_style(np.asarray(Image.open(path))).image, meta)
    _, probabilities = forward_all(model, x)
    best = json_rows[str(path)]["top"][0]
    assert best["probability"] == pytest.approx(probabilities.max().item(), abs=1e-5)


@pytest.mark.slow
def test_drawn_and_scanned_sevens_are_sevens(files, json_rows):
    assert json_rows[str(files["seven"])]["top"][0]["label"] == 7
    assert json_rows[str(files["scan"])]["top"][0]["label"] == 7  # dark ink on light paper, JPEG


@pytest.mark.slow
def test_a_blank_image_gets_no_guesses_and_a_note(files, json_rows):
    row = json_rows[str(files["blank"])]
    assert row["top"] == [] and "blank" in row["note"]


@pytest.mark.slow
def test_text_output_and_a_file_that_is_not_an_image(files, lab_home):
    result = predict(files["notes"], files["seven"], files["blank"], home=lab_home)
    assert result.returncode == 2  # one file failed; the others still ran
    assert f"error: {files['notes']}: not an image" in result.stderr
    assert "Traceback" not in result.stderr
    assert "bundled digit model" in result.stderr and "test accuracy" in result.stderr
    seven_line, blank_line = result.stdout.strip().splitlines()
    assert seven_line.startswith(f"{files['seven']}: 7 ") and seven_line.count("%") == 3
    assert blank_line.startswith(f"{files['blank']}: blank")


RUN_ID = "20261128-143012-3fa9"


@pytest.mark.slow
def test_run_option_uses_that_runs_final_model(files, lab_home):
    model, meta = load_model(pretrained_path("digits"))
    meta.run_id, meta.metrics = RUN_ID, {"test_acc": 0.5}
    save_checkpoint(lab_home / "runs" / RUN_ID / "final.pt", model, meta)
    result = predict(files["seven"], "--run", RUN_ID, "--json", home=lab_home)
    assert result.returncode == 0, result.stderr
    assert f"run {RUN_ID}" in result.stderr and "50.0%" in result.stderr
    assert json.loads(result.stdout)[0]["top"][0]["label"] == 7


@pytest.mark.slow
def test_a_missing_run_or_a_bad_id_is_explained(files, lab_home):
    bad = predict(files["seven"], "--run", "../etc", home=lab_home)
    assert bad.returncode == 2 and "is not a run id" in bad.stderr
    missing = predict(files["seven"], "--run", "20261128-000000-beef", home=lab_home)
    assert missing.returncode == 2 and "there is no run 20261128-000000-beef" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert not (lab_home / "runs.db").exists()  # predicting only reads
    queued = RunStore(lab_home).create(TrainConfig.from_dict({"dataset": "mnist-5k"}))
    unfinished = predict(files["seven"], "--run", queued.id, home=lab_home)
    assert unfinished.returncode == 2
    assert f"run {queued.id} is queued and has no final model" in unfinished.stderr


@pytest.mark.slow
def test_a_folder_is_called_a_folder_not_a_missing_file(files, lab_home):
    folder = files["seven"].parent
    result = predict(folder, files["seven"], home=lab_home)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"error: {folder}: is a folder, not an image" in result.stderr  # was "no such file"
    assert result.stdout.startswith(f"{files['seven']}: 7 ")  # the other file still ran


@pytest.mark.slow
def test_a_completed_run_whose_model_file_is_gone_says_so(files, lab_home):
    store = RunStore(lab_home)
    run = store.create(TrainConfig.from_dict({"dataset": "mnist-5k"}))
    assert store.mark(run.id, "completed")  # its folder (and final.pt) was never there, or was deleted
    result = predict(files["seven"], "--run", run.id, home=lab_home)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"run {run.id} completed but its final model" in result.stderr and "is missing" in result.stderr
    assert "use a completed run" not in result.stderr  # it is one: that advice was nonsense here


@pytest.mark.slow
def test_a_10000_by_10000_png_is_refused_by_its_header_without_pils_warning(tmp_path, lab_home):
    big = tmp_path / "big.png"
    Image.new("1", (10_000, 10_000)).save(big)  # 12 kB on disk, 100 megapixels
    result = predict(big, home=lab_home)
    assert result.returncode == 2
    assert "DecompressionBomb" not in result.stderr and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {big}: 10,000×10,000 pixels is too large: images up to 4,096×4,096 "
                      "are accepted"]
    assert "Warning" not in result.stderr
