"""A saved network trained, checked and used: its config, its checkpoints after the file is gone,
sweeps over networks and over one layer's setting (issue 27, parts 3, 4, 7 and 8)."""

import json
import os
import subprocess
import sys

import pytest
import torch
from helpers import ROOT, TINY, stopped_run
from PIL import Image, ImageDraw

from lenet_core import runs
from lenet_core.errors import LabError
from lenet_core.model import saved
from lenet_core.model.architectures import ARCHITECTURES, build_model
from lenet_core.model.checkpoints import architecture_of, load_model, pretrained_path, read_checkpoint
from lenet_core.model.grammar import network_text, parse_network
from lenet_core.model.limits import MAX_PARAMS, MAX_UNITS, size_problem, totals
from lenet_core.runs.space import config_value, parse_space, trial_configs
from lenet_core.runs.sweeps import plan
from lenet_core.training.config import network_of, validate, with_saved_network

MAXED = ("conv(6,5,pad=2) relu maxpool(2) conv(16,5) relu maxpool(2) conv(32,3,pad=1) relu "
         "flatten fc(120) relu fc(84) relu fc(10)")


def seven_png(path):
    image = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(image).line([(60, 50), (220, 50), (110, 250)], fill=255, width=22)
    image.save(path)
    return path


def cli(*args, home):
    env = {**os.environ, "LENET_LAB_HOME": str(home), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "lenet_core", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def maxed(lab_home):
    saved.save_network(saved.network("lenet-maxed", "three convolutions, ReLU, max pooling", MAXED),
                       lab_home)
    return lab_home


# ---- the config ---------------------------------------------------------------------------------

def test_a_saved_name_validates_and_its_layers_are_copied_in_when_it_starts(maxed):
    config, errors = validate({"arch": "lenet-maxed"})
    assert errors == {} and config.layers == ""
    started = with_saved_network(config, maxed)
    assert started.layers == MAXED
    assert [s.name for s in network_of(started).layers][:7] == ["conv1", "relu1", "pool1", "conv2",
                                                                 "relu2", "pool2", "conv3"]
    assert with_saved_network(validate({"arch": "lenet5"})[0], maxed).layers == ""  # built-ins as they were


def test_a_name_that_is_saved_nowhere_is_refused_when_the_run_starts(maxed):
    config, errors = runs.check_launch({"arch": "lenet-gone", "dataset": "mnist-5k"}, home=maxed)
    assert config is None
    assert errors["arch"].startswith("unknown network 'lenet-gone'")
    assert "saved: lenet-maxed" in errors["arch"]


@pytest.mark.parametrize("raw, field, words", [
    ({"arch": "../x"}, "arch", "is not a network"),
    ({"arch": " "}, "arch", "is not a network"),
    ({"arch": "n", "layers": "conv(6,5) sigmoid"}, "layers", "must end in a dense layer"),
    ({"arch": "n", "layers": "conv(6,5) blob flatten fc(10)"}, "layers", "unknown layer 'blob'"),
    ({"arch": "n", "layers": "conv(6,5) flatten fc(12)"}, "layers", "fashion-mnist has 10 classes"),
    ({"arch": "n", "layers": "conv(6,5) avgpool(8) conv(16,5) flatten fc(10)"}, "layers",
     "layer 3 (conv(16,5)): a 5×5 window does not fit the 3×3 maps"),
    ({"arch": "lenet-classic", "layers": "conv(6,5) flatten fc(10)"}, "arch",
     "built in and its layers are fixed"),
    ({"arch": "n", "layers": "conv(6,5)\nflatten fc(10)"}, "layers", "one line"),
    ({"arch": "n", "layers": "conv(6,5) batchnorm flatten fc(10)", "batch_size": 1}, "batch_size",
     "batch normalisation"),
])
def test_bad_networks_in_a_config_get_one_line_under_their_field(raw, field, words):
    config, errors = validate(raw)
    assert config is None and list(errors) == [field]
    assert words in errors[field] and "\n" not in errors[field]


def test_the_limits_are_stated_and_measured_without_building_the_network():
    params = parse_network("conv(16,3,pad=1) flatten fc(1024) fc(10)", "big")  # 12.8 million weights
    units = parse_network("conv(128,3,pad=1) relu conv(128,3,pad=1) relu flatten fc(10)", "wide")
    assert totals(params)[0] > MAX_PARAMS and f"at most {MAX_PARAMS:,}" in size_problem(params)
    assert totals(units)[1] > MAX_UNITS >= totals(units)[1] // 4
    assert f"at most {MAX_UNITS:,}" in size_problem(units)
    for arch in ARCHITECTURES.values():  # the arithmetic agrees with the real modules
        model = build_model(arch)
        assert totals(arch)[0] == sum(p.numel() for p in model.parameters())
        assert size_problem(arch) is None
    _, errors = validate({"arch": "big", "layers": network_text(params)})
    assert "parameters: at most 2,000,000 train here" in errors["layers"]


# ---- checkpoints carry the network --------------------------------------------------------------

@pytest.fixture
def trained(maxed, one_thread):
    """A real run of the saved network, trained by the CLI, then its saved file deleted."""
    done = cli("train", "--arch", "lenet-maxed", *_flags(TINY, arch=None), "--json", home=maxed)
    assert done.returncode == 0, done.stderr
    run_id = json.loads(done.stdout.strip().splitlines()[-1])["run_id"]
    saved.delete_network("lenet-maxed", maxed)
    return maxed, run_id


def _flags(settings, **drop):
    out = []
    for field, value in settings.items():
        if field in drop:
            continue
        out += [f"--{field.replace('_', '-')}", str(value)]
    return out


def test_a_run_of_a_saved_network_works_after_its_file_is_deleted(trained, tmp_path):
    home, run_id = trained
    final = runs.run_dir(run_id, home) / "final.pt"
    model, meta = load_model(final)
    assert meta.arch == "lenet-maxed" and meta.layers == MAXED
    assert [n for n, _ in model.named_children()][6] == "conv3"
    assert network_text(architecture_of(meta)) == MAXED
    assert runs.RunStore(home).get(run_id).config.layers == MAXED  # the stored config has them
    predicted = cli("predict", seven_png(tmp_path / "seven.png"), "--run", run_id, "--json", home=home)
    assert predicted.returncode == 0, predicted.stderr
    [row] = json.loads(predicted.stdout)
    assert len(row["top"]) == 3 and 0 < row["top"][0]["probability"] <= 1


def test_a_run_of_a_saved_network_resumes_after_its_file_is_deleted(maxed, one_thread):
    config = with_saved_network(validate({**TINY, "arch": "lenet-maxed"})[0], maxed)
    run = stopped_run(maxed, "stopped maxed", arch=config.arch, layers=config.layers)
    saved.delete_network("lenet-maxed", maxed)
    runs.prepare_resume(runs.RunStore(maxed), run.id)
    runs.execute(run.id, home=maxed, resume=True)
    finished = runs.RunStore(maxed).get(run.id)
    assert finished.status == "completed", finished.error
    assert read_checkpoint(runs.run_dir(run.id, maxed) / "final.pt")["meta"]["layers"] == MAXED


def test_checkpoints_made_before_networks_were_saved_still_load():
    payload = read_checkpoint(pretrained_path("digits"))
    assert "layers" not in payload["meta"]  # the bundled model was written before the field
    model, meta = load_model(pretrained_path("digits"))
    assert architecture_of(meta) is ARCHITECTURES[meta.arch] and meta.layers == ""
    assert model(torch.zeros(1, 1, 28, 28)).shape == (1, 10)


def test_a_checkpoint_whose_layers_do_not_parse_is_refused_in_one_line(tmp_path):
    payload = read_checkpoint(pretrained_path("digits"))
    payload["meta"]["layers"] = "conv(6,5) nonsense fc(10)"
    path = tmp_path / "bad.pt"
    torch.save(payload, path)
    with pytest.raises(LabError, match=r"bad.pt: layer 2 \(nonsense\): unknown layer 'nonsense'"):
        load_model(path)


# ---- sweeps over networks -----------------------------------------------------------------------

def test_a_sweep_crosses_built_in_and_saved_networks_with_one_layers_setting(maxed):
    swept = plan(preset="quick", grid=["arch=lenet-classic,lenet-maxed", "conv1.channels=4,8,16"],
                 home=maxed)
    assert [c.arch for c in swept.configs] == [
        f"{base}-conv1-channels-{n}" for base in ("lenet-classic", "lenet-maxed") for n in (4, 8, 16)]
    assert [config_value(c, "conv1.channels") for c in swept.configs] == [4, 8, 16] * 2
    classic16 = network_of(swept.configs[2])
    assert classic16.layers[3].args["in_channels"] == 16  # conv2 follows conv1's maps
    assert all(c.layers for c in swept.configs)  # every trial carries its network


def test_a_sweep_of_networks_alone_keeps_their_names(maxed):
    base = validate({**TINY, "arch": "lenet-maxed"})[0]
    configs = trial_configs(base, parse_space(["arch=lenet5,lenet-maxed"]), home=maxed)
    assert [(c.arch, bool(c.layers)) for c in configs] == [("lenet5", False), ("lenet-maxed", True)]


@pytest.mark.parametrize("grid, words", [
    (["conv1.channels=4,0"], "conv1.channels=0: layer 1 (conv(0,5,pad=2)): the number of maps must be"),
    (["conv9.channels=3"], "has no layer 'conv9'"),
    (["conv1.p=0.5"], "has no setting 'p'"),
    (["conv1.channels=4.5"], "'4.5' is not a whole number"),
    (["conv1.kernel=29"], "the window must be a whole number from 1 to 15"),
    (["arch=lenet-classic,lenet-nowhere"], "unknown network 'lenet-nowhere'"),
])
def test_a_bad_network_sweep_is_refused_before_anything_is_recorded(maxed, grid, words):
    with pytest.raises(LabError) as caught:
        plan(preset="quick", grid=grid, home=maxed)
    assert words in str(caught.value)
    assert not (maxed / "runs.db").exists() or runs.RunStore(maxed).list() == []


def test_a_checkpoint_names_its_network_in_words_the_pages_can_show():
    from lenet_core.model.checkpoints import CheckpointMeta

    classic = ARCHITECTURES["lenet-classic"]
    new = CheckpointMeta("lenet-classic", "mnist", [], 0.0, 1.0, layers=network_text(classic))
    assert architecture_of(new) is classic  # a built-in written with its layers: its own title
    mine = architecture_of(CheckpointMeta("lenet-maxed", "mnist", [], 0.0, 1.0, layers=MAXED))
    assert (mine.title, mine.description) == ("lenet-maxed", f"Its layers: {MAXED}.")


def test_the_command_that_repeats_a_trial_carries_its_layers_quoted_for_the_shell(maxed):
    import shlex

    from lenet_core.cli import build_parser
    from lenet_core.cli.sweep import train_command
    from lenet_core.cli.train import config_from_args

    [trial] = plan(preset="quick", grid=["conv1.channels=12"], base={"arch": "lenet-maxed"},
                   home=maxed).configs
    run = runs.RunStore(maxed).create(trial, "trial")
    words = shlex.split(train_command(run))[3:]  # after "python -m lenet_core"
    config, errors = config_from_args(build_parser().parse_args(words))
    assert errors == {} and config == trial and config.layers.startswith("conv(12,5,pad=2) relu")
