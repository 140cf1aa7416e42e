"""Hostile values through every CLI command and every form field: 0, -1, 1e309, nan, '', a long
name, unicode, a path with ../. Each is refused in one readable line (CLI: ``error: ...``, exit 2;
form: a message under the field), or accepted as what it says; never a traceback, never a value
silently put in its place."""

import pytest
from helpers import cli, open_page

from lenet_core import runs
from lenet_core.errors import LabError
from lenet_core.training.config import SETTINGS, Choice, TrainConfig, YesNo
from pages.ui.training_form import FORM_FIELDS, is_text

HOSTILE = ["0", "-1", "1e309", "nan", "", "x" * 60, "ü名字７", "../etc/passwd", "inf", " "]
# Every flag that takes typed text: the numbers, a network's name and its layers.
NUMBER_FLAGS = [f for f, s in SETTINGS.items() if not isinstance(s.rule, (Choice, YesNo)) and f != "device"]
RUN_ID = "20261128-143012-3fa9"


def run_cli(capsys, *argv) -> tuple[int, list[str]]:
    """``python -m lenet_core ARGV`` in this process: exit status and the lines on stderr."""
    try:
        code = cli(*argv)[0]
    except SystemExit as exited:  # argparse's usage mistakes
        code = exited.code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, [line for line in err.splitlines() if line.strip()]


def refused_in_one_line(code, lines, *words) -> None:
    errors = [line for line in lines if line.startswith("error: ")]
    assert code == 2 and len(errors) == 1, lines
    for word in words:
        assert word in errors[0], errors[0]


# (flag, value) pairs the rule refuses; the valid ones ("0" for the seed) train elsewhere
REFUSED = [(f, v) for f in NUMBER_FLAGS for v in HOSTILE if SETTINGS[f].rule.check(v)[1]]


@pytest.mark.parametrize(("field", "value"), REFUSED)
def test_train_number_flags(lab_home, capsys, field, value):
    code, lines = run_cli(capsys, "train", "--dataset", "mnist-5k", f"--{field.replace('_', '-')}", value)
    refused_in_one_line(code, lines, f"--{field.replace('_', '-')}: ")
    assert runs.RunStore(lab_home).list() == []


def test_the_messages_say_what_was_typed():
    assert SETTINGS["lr"].rule.check("1e309")[1] == "1e309 is out of range: must be > 0 and ≤ 1e7"
    assert SETTINGS["epochs"].rule.check("")[1] == "empty: enter a whole number from 1 to 1,000"
    assert SETTINGS["epochs"].rule.check("1.5")[1] == "'1.5' is not a whole number (allowed: 1 to 1,000)"
    assert SETTINGS["lr"].rule.check("nan")[1] == "nan is out of range: must be > 0 and ≤ 1e7"


@pytest.mark.parametrize("value", HOSTILE)
def test_train_resume_and_run_ids(lab_home, capsys, value):
    refused_in_one_line(*run_cli(capsys, "train", "--resume", value))
    for verb in ("show", "stop", "resume", "delete", "export"):
        refused_in_one_line(*run_cli(capsys, "runs", verb, value))
    assert runs.RunStore(lab_home).list() == []  # "--resume ''" started a new run


@pytest.mark.parametrize("value", ["nan", "inf", "1e309", "-1", "", "soon"])
def test_runs_stop_wait(lab_home, capsys, value):
    refused_in_one_line(*run_cli(capsys, "runs", "stop", "--wait", value, RUN_ID), "--wait")


@pytest.mark.parametrize("value", HOSTILE)
def test_shapes_predict_and_datasets(lab_home, capsys, value):
    code, lines = run_cli(capsys, "shapes", "--input", value)
    refused_in_one_line(code, lines)
    refused_in_one_line(*run_cli(capsys, "predict", value))
    refused_in_one_line(*run_cli(capsys, "predict", "--run", value, "x.png"))
    refused_in_one_line(*run_cli(capsys, "datasets", "--download", value))
    refused_in_one_line(*run_cli(capsys, "runs", "export", RUN_ID, "--output", value))


@pytest.mark.parametrize("name", ["x" * 81, "two\nlines", "tab\there"])
def test_a_run_name_that_cannot_show_on_one_line_is_refused(lab_home, capsys, name):
    code, lines = run_cli(capsys, "train", "--dataset", "mnist-5k", "--name", name)
    refused_in_one_line(code, lines, "--name: ")
    with pytest.raises(LabError, match="run name: "):
        runs.RunStore(lab_home).create(TrainConfig(), name)


@pytest.mark.slow
def test_a_long_unicode_name_with_dots_and_slashes_is_only_a_name(lab_home, capsys, one_thread):
    name = ("../ü名字７ " * 6)[:60]
    code, _ = run_cli(capsys, "train", "--dataset", "mnist-5k", "--arch", "lenet-modern", "--init",
                      "default", "--optimizer", "adam", "--lr", "0.01", "--epochs", "1",
                      "--train-subset", "128", "--name", name)
    assert code == 0
    (run,) = runs.RunStore(lab_home).list()
    assert run.name == name.strip()
    assert sorted(p.name for p in (lab_home / "runs").iterdir()) == [run.id]  # never a path


# ---- the form ----------------------------------------------------------------------------------

FORM_TEXT = [f for f in FORM_FIELDS if is_text(f)]  # the form's text boxes (not its pickers)


@pytest.mark.slow
@pytest.mark.parametrize("value", HOSTILE)
def test_every_number_field_of_the_form(lab_home, value):
    """Numbers are text boxes: a browser's number box turned '', '1e309' and '1.5' into 0, 0 and 1
    and started runs nobody asked for."""
    at = open_page("pages/views/training.py")
    at.sidebar.selectbox(key="form_dataset").set_value("mnist-5k")
    expected = {}
    for field in FORM_TEXT:
        at.sidebar.text_input(key=f"form_{field}").set_value(value)
        _, problem = SETTINGS[field].rule.check(value)
        if problem:
            expected[field] = problem
    assert expected  # every value above is wrong for some field
    next(b for b in at.sidebar.button if b.label == "Start training").click().run()
    assert not at.exception
    shown = [e.value for e in at.sidebar.error]
    for problem in expected.values():
        assert problem in shown
    assert runs.RunStore(lab_home).list() == []


def test_the_forms_run_name_is_checked_under_its_field(lab_home):
    at = open_page("pages/views/training.py")
    at.sidebar.selectbox(key="form_dataset").set_value("mnist-5k")
    at.sidebar.text_input(key="form_name").set_value("y" * 81)
    next(b for b in at.sidebar.button if b.label == "Start training").click().run()
    assert not at.exception
    assert "81 characters is too long: at most 80" in [e.value for e in at.sidebar.error]
    assert runs.RunStore(lab_home).list() == []
