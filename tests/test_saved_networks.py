"""Saved networks: a real home folder, real files (and a hand-edited or broken one), the CLI as a
real process. A network is saved whole or not at all, every file is checked when read, a broken
file is listed with its reason and takes nothing down, and every bad name or file is refused in
one line."""

from __future__ import annotations

import json

import pytest
from helpers import lab

from lenet_core.errors import LabError
from lenet_core.model import saved
from lenet_core.model.architectures import LENET_CLASSIC
from lenet_core.model.grammar import layers_text

MAX_POOLING = ("conv(6,5,pad=2) sigmoid maxpool(2) conv(16,5) sigmoid maxpool(2) flatten fc(120) "
               "sigmoid fc(84) sigmoid fc(10)")


def test_a_saved_network_reads_back_as_it_was_written(lab_home):
    arch = saved.network("lenet-max", "the tutorial's net with max pooling", MAX_POOLING)
    path = saved.save_network(arch, lab_home)
    assert path == lab_home / "architectures" / "lenet-max.json"
    assert json.loads(path.read_text()) == {"name": "lenet-max", "description": "the tutorial's net with "
                                            "max pooling", "input_size": 28, "layers": MAX_POOLING}
    assert saved.find_network("lenet-max", lab_home) == arch
    assert saved.find_network("lenet-classic", lab_home) == LENET_CLASSIC  # the built-ins too
    assert [p.name for p in path.parent.iterdir()] == ["lenet-max.json"]  # no temporary file left
    with pytest.raises(LabError, match="is saved already"):
        saved.save_network(arch, lab_home)
    saved.delete_network("lenet-max", lab_home)
    with pytest.raises(LabError, match="unknown network 'lenet-max'.*none is saved yet"):
        saved.find_network("lenet-max", lab_home)


BROKEN = {
    "not-json": ("{\"name\": ", "cannot be read as a network file"),
    "missing": ({"name": "missing", "input_size": 28, "layers": "flatten fc(10)"}, "missing description"),
    "extra": ({"name": "extra", "description": "", "input_size": 28, "layers": "flatten fc(10)", "lr": 1},
              "keys this version does not know: lr"),
    "renamed": ({"name": "other", "description": "", "input_size": 28, "layers": "flatten fc(10)"},
                "it names itself 'other'"),
    "bad-layers": ({"name": "bad-layers", "description": "", "input_size": 28, "layers": "conv(6,5) fc(10)"},
                   "put flatten before it"),
    "bad-size": ({"name": "bad-size", "description": "", "input_size": 29, "layers": "flatten fc(10)"},
                 "input_size must be 28"),
    "a-list": ([1, 2], "one JSON object"),
}


def test_a_broken_or_hand_edited_file_is_listed_with_its_reason_and_refused_where_used(lab_home):
    folder = saved.folder(lab_home)
    folder.mkdir(parents=True)
    saved.save_network(saved.network("good", "", "flatten fc(10)"), lab_home)
    for name, (content, _) in BROKEN.items():
        text = content if isinstance(content, str) else json.dumps(content)
        (folder / f"{name}.json").write_text(text)
    listed = {n.name: n for n in saved.saved_networks(lab_home)}
    assert listed["good"].arch is not None and listed["good"].error is None
    for name, (_, says) in BROKEN.items():
        assert listed[name].arch is None and says in listed[name].error, (name, listed[name].error)
        assert "\n" not in listed[name].error
        with pytest.raises(LabError, match=says.replace("(", r"\(")):
            saved.find_network(name, lab_home)
    code, out, err = lab("arch", "list", env={"LENET_LAB_HOME": str(lab_home)})
    assert code == 0, err
    assert any(line.startswith("missing") and "cannot be used: missing.json: missing description" in line
               for line in out.splitlines())
    saved.delete_network("not-json", lab_home)  # a broken file can still be deleted by name
    assert not (folder / "not-json.json").exists()


@pytest.mark.parametrize("name, says", [
    ("../x", "cannot name a network"), ("a" * 200, "cannot name a network"), ("   ", "needs a name"),
    ("", "needs a name"), ("Lenet Max", "cannot name a network"), ("lenet-classic", "is a built-in network"),
])
def test_a_bad_name_is_refused_and_nothing_is_written(lab_home, name, says):
    with pytest.raises(LabError, match=says):
        saved.save_network(saved.network(name, "", MAX_POOLING), lab_home)
    assert not saved.folder(lab_home).exists() or not list(saved.folder(lab_home).iterdir())


def test_a_description_is_one_short_line():
    with pytest.raises(LabError, match="one line of at most 200 characters"):
        saved.network("ok", "two\nlines", MAX_POOLING)


def test_the_cli_adds_shows_uses_and_deletes_a_network(lab_home, tmp_path):
    env = {"LENET_LAB_HOME": str(lab_home)}
    code, out, err = lab("arch", "add", "lenet-max", "--layers", MAX_POOLING, "--description", "max", env=env)
    assert (code, err) == (0, "") and out.startswith("saved lenet-max (61,706 parameters)")
    code, out, _ = lab("arch", "show", "lenet-max", "--json", env=env)
    assert json.loads(out)["layers"] == MAX_POOLING
    code, out, _ = lab("shapes", "--arch", "lenet-max", env=env)
    assert code == 0 and "MaxPool2d" in out and "61,706" in out
    code, out, _ = lab("shapes", "--layers", layers_text(LENET_CLASSIC.layers), env=env)
    assert code == 0 and "61,706" in out  # the tutorial's table, from its text
    file = tmp_path / "mine.json"
    file.write_text(json.dumps({**saved.to_json(LENET_CLASSIC), "name": "ignored"}))
    code, out, err = lab("arch", "add", "from-file", "--from", str(file), env=env)
    assert code == 0, err
    code, out, _ = lab("arch", "list", "--json", env=env)
    assert [n["name"] for n in json.loads(out) if n["kind"] == "saved"] == ["from-file", "lenet-max"]
    code, out, _ = lab("arch", "delete", "lenet-max", env=env)
    assert (code, out.strip()) == (0, "deleted lenet-max")


@pytest.mark.parametrize("argv, says", [
    (("arch", "add", "x", "--layers", "conv(6,5) fc(10)"), "layer 2 (fc(10)): a dense layer reads a vector"),
    (("arch", "add", "lenet5", "--layers", "flatten fc(10)"), "'lenet5' is a built-in network"),
    (("arch", "show", "nothing"), "unknown network 'nothing'"),
    (("arch", "delete", "lenet-classic"), "is a built-in network: it cannot be deleted"),
    (("shapes", "--layers", "conv(6,99) flatten fc(10)"), "the window must be a whole number from 1 to 15"),
    (("shapes", "--arch", "nothing"), "unknown network 'nothing'"),
])
def test_the_cli_refuses_in_one_line(lab_home, argv, says):
    code, out, err = lab(*argv, env={"LENET_LAB_HOME": str(lab_home)})
    assert code == 2 and says in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_network_this_machine_cannot_train_is_not_saved(lab_home):
    big = saved.network("big", "", "conv(16,3,pad=1) flatten fc(1024) fc(10)")
    with pytest.raises(LabError, match=r"^not saved: big has 12,\d{3},\d{3} parameters: at most 2,000,000"):
        saved.save_network(big, lab_home)
    assert not saved.folder(lab_home).exists() or list(saved.folder(lab_home).iterdir()) == []
