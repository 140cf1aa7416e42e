"""A checkpoint as an ONNX file (lenet_core/model/onnx_export.py), opened by someone else's
runtime: onnxruntime runs every built-in network and a network of one's own on 100 real test
digits and gives PyTorch's logits, probabilities and (asked for) every layer's output within 1e-5;
the file names its input and outputs and says in its metadata how to prepare an image. Then the
CLI path, in a real process: ``runs export ID --onnx``."""

import json
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime
import pytest
import torch
from helpers import ROOT, finished_run, random_weights

from lenet_core.data import read_split
from lenet_core.errors import LabError
from lenet_core.model.architectures import ARCHITECTURES, build_model
from lenet_core.model.checkpoints import CheckpointMeta, architecture_of, load_model, pretrained_path
from lenet_core.model.grammar import network_text
from lenet_core.model.inputs import class_probabilities, mirrored, model_input
from lenet_core.model.onnx_export import onnx_bytes, write_onnx

TOLERANCE = 1e-5
DIGITS = [str(d) for d in range(10)]
OWN = "input(32) conv(4,3,stride=2,pad=1) tanh maxpool(3,stride=1) flatten dropout(0.3) fc(10)"


def networks():
    model, meta = load_model(pretrained_path("digits"))
    yield pytest.param("bundled", model, meta, id=f"bundled {meta.arch}")
    for arch in ARCHITECTURES.values():
        meta = CheckpointMeta(arch.name, "mnist", DIGITS, 0.1307, 0.3081)
        yield pytest.param(arch.name, random_weights(arch), meta, id=arch.name)
    # one's own network, read from its text, for a run that mirrors at test time
    meta = CheckpointMeta("mine", "fashion-mnist", [f"class {d}" for d in range(10)], 0.286, 0.353,
                          epoch=4, run_id="20261205-101500-beef", layers=OWN, config={"test_mirror": True})
    yield pytest.param("own", random_weights(architecture_of(meta)), meta, id="own network")


def digits_100() -> np.ndarray:
    digits, _ = read_split("mnist-5k", "test")
    return np.asarray(digits[:1000:10])  # 100 digits, 10 of each class in mnist-5k's order


@pytest.mark.parametrize("name, model, meta", list(networks()))
def test_onnxruntime_gives_pytorchs_outputs_on_real_digits(name, model, meta):
    arch = architecture_of(meta)
    session = onnxruntime.InferenceSession(onnx_bytes(model, meta, every_layer=True))
    layers = arch.layer_names()
    assert [i.name for i in session.get_inputs()] == ["image"]
    assert [o.name for o in session.get_outputs()] == ["logits", "probabilities", *layers]
    (image,) = session.get_inputs()
    assert isinstance(image.shape[0], str) and image.shape[1:] == [1, arch.input_size, arch.input_size]

    x = model_input(digits_100(), meta)
    got = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"image": x.numpy()})))
    with torch.inference_mode():
        want = {"logits": model(x), "probabilities": class_probabilities(model, x, mirrored(meta))}
        out = x
        for layer, module in model.named_children():
            out = want[layer] = module(out)
    worst = {key: float(np.abs(got[key] - value.numpy()).max()) for key, value in want.items()}
    assert max(worst.values()) <= TOLERANCE, {k: v for k, v in worst.items() if v > TOLERANCE}
    assert (got["probabilities"].argmax(1) == want["probabilities"].numpy().argmax(1)).all()
    if name == "bundled":  # a trained model: it reads these digits
        assert (got["logits"].argmax(1) == np.repeat(np.arange(10), 10)).mean() >= 0.95


@pytest.mark.parametrize("name, model, meta", list(networks()))
def test_the_file_says_how_to_prepare_an_image_and_what_it_was_trained_as(name, model, meta):
    data = onnx_bytes(model, meta)
    session = onnxruntime.InferenceSession(data)
    assert [o.name for o in session.get_outputs()] == ["logits", "probabilities"]
    props = session.get_modelmeta().custom_metadata_map
    assert props["arch"] == meta.arch and props["layers"] == network_text(architecture_of(meta))
    assert (float(props["mean"]), float(props["std"])) == (meta.mean, meta.std)
    assert json.loads(props["classes"]) == list(meta.classes) and props["dataset"] == meta.dataset
    assert json.loads(props["mirror"]) is mirrored(meta) and props["epoch"] == str(meta.epoch)
    assert props.get("run_id") == meta.run_id
    assert f"(x - {meta.mean:g}) / {meta.std:g}" in props["prepare"]
    # The numbers alone prepare an image exactly as the lab does (a phone app has nothing else).
    pixels = digits_100()[:5]
    side, mean, std = int(props["input_size"]), float(props["mean"]), float(props["std"])
    pad = (side - 28) // 2
    prepared = np.pad((pixels / np.float32(255) - np.float32(mean)) / np.float32(std),
                      ((0, 0), (pad, pad), (pad, pad)))[:, None].astype(np.float32)
    np.testing.assert_allclose(prepared, model_input(pixels, meta).numpy(), atol=1e-6)


def test_the_model_handed_in_is_left_as_it_was_and_a_model_unlike_its_metadata_is_refused():
    model = random_weights(ARCHITECTURES["lenet-modern"])
    meta = CheckpointMeta("lenet-modern", "mnist", DIGITS, 0.0, 1.0)
    x = model_input(digits_100()[:4], meta)
    before = model(x).detach()
    onnx_bytes(model, meta, every_layer=True)
    assert not model.training and torch.equal(model(x).detach(), before)  # batch norm still frozen
    lenet5 = CheckpointMeta("lenet5", "mnist", DIGITS, 0.0, 1.0)  # a 32×32 input: fc1 gets 576 values
    with pytest.raises(LabError, match=r"^lenet5: cannot be exported to ONNX \(mat1 and mat2 shapes"):
        onnx_bytes(build_model("lenet-classic").eval(), lenet5)


def test_a_file_is_written_whole_or_not_at_all(tmp_path):
    model, meta = load_model(pretrained_path("digits"))
    data = onnx_bytes(model, meta)
    path = tmp_path / "digits.onnx"
    path.write_bytes(b"an older file")
    assert write_onnx(data, path) == path and path.read_bytes() == data
    assert onnx.load(str(path)).graph.input[0].name == "image"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digits.onnx"]  # no temp file left
    with pytest.raises(LabError, match=r"^.*missing: cannot write there \(No such file or directory\)"):
        write_onnx(data, tmp_path / "missing" / "x.onnx")


# ---- the command line, in a real process --------------------------------------------------------

def lenet(home, cwd, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LENET_LAB_HOME": str(home), "OMP_NUM_THREADS": "1",
           "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "lenet_core", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=180)


@pytest.mark.slow
def test_runs_export_onnx_writes_a_file_that_runs_and_refuses_in_one_line(lab_home, tmp_path, capsys,
                                                                          monkeypatch):
    run = finished_run(lab_home, epochs=2)
    out = tmp_path / "out"
    out.mkdir()
    done = lenet(lab_home, out, "runs", "export", run.id, "--onnx")
    assert done.returncode == 0, done.stderr
    path = out / f"{run.id}.onnx"
    assert done.stdout.startswith(f"{run.id}.onnx: {path.stat().st_size:,} bytes, ONNX of run {run.id}'s "
                                  "final.pt")
    model, meta = load_model(lab_home / "runs" / run.id / "final.pt")
    session = onnxruntime.InferenceSession(str(path))
    assert session.get_modelmeta().custom_metadata_map["run_id"] == run.id
    x = model_input(digits_100(), meta)
    with torch.inference_mode():
        want = model(x).numpy()
    assert np.abs(session.run(["logits"], {"image": x.numpy()})[0] - want).max() <= TOLERANCE

    done = lenet(lab_home, out, "runs", "export", run.id, "--onnx", "--epoch", "1", "--every-layer",
                 "--output", str(tmp_path / "first.onnx"))
    assert done.returncode == 0, done.stderr
    first = onnxruntime.InferenceSession(str(tmp_path / "first.onnx"))
    assert [o.name for o in first.get_outputs()][2:] == architecture_of(meta).layer_names()
    assert first.get_modelmeta().custom_metadata_map["epoch"] == "1"

    # The refusals: the same command line, in this process (a process each cost 4 s a refusal)
    from lenet_core.cli import main

    monkeypatch.chdir(out)
    unknown = "20260101-000000-abcd"
    for args, message in [
        ([unknown, "--onnx"], f"error: no run {unknown} in "),
        (["../x", "--onnx"], "error: '../x' is not a run id"),
        ([run.id, "--onnx", "--epoch", "7"], f"error: run {run.id} has no checkpoint of epoch 7: its epoch "
                                             "checkpoints are 1, 2"),
        ([run.id, "--epoch", "1"], "error: --epoch is for the ONNX export: add --onnx"),
        ([run.id, "--onnx", "-o", str(tmp_path / "gone" / "x.onnx")], f"error: {tmp_path / 'gone'}: cannot "
                                                                      "write there"),
    ]:
        capsys.readouterr()
        try:
            code = main(["runs", "export", *args])
        except SystemExit as exit_:
            code = exit_.code
        printed = capsys.readouterr()
        assert code == 2 and printed.out == "", (args, printed.out)
        assert len(printed.err.splitlines()) == 1 and printed.err.startswith(message), (args, printed.err)
    assert sorted(p.name for p in out.iterdir()) == [f"{run.id}.onnx"]
