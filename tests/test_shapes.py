"""The shape table against the tutorial's printed table, other architectures and bad inputs."""

import csv
import io
import json
import subprocess
import sys

import pytest

from lenet_core.errors import LabError
from lenet_core.model import shapes

# The d2l tutorial printed this for lenet-classic and a 1×1×28×28 input.
TUTORIAL_TABLE = [
    ("Conv2d", [1, 6, 28, 28]), ("Sigmoid", [1, 6, 28, 28]), ("AvgPool2d", [1, 6, 14, 14]),
    ("Conv2d", [1, 16, 10, 10]), ("Sigmoid", [1, 16, 10, 10]), ("AvgPool2d", [1, 16, 5, 5]),
    ("Flatten", [1, 400]), ("Linear", [1, 120]), ("Sigmoid", [1, 120]), ("Linear", [1, 84]),
    ("Sigmoid", [1, 84]), ("Linear", [1, 10]),
]


def test_classic_table_reads_as_the_tutorial_printed_it():
    table = shapes.shape_table("lenet-classic", "1x28x28")
    assert [(r.layer, r.output_shape) for r in table.rows] == TUTORIAL_TABLE
    assert table.total_params == 61_706


def test_multiply_adds_of_the_classic_net():
    table = shapes.shape_table("lenet-classic")
    macs = {r.name: r.macs for r in table.rows if r.macs}
    assert macs == {"conv1": 6 * 28 * 28 * 25, "conv2": 16 * 10 * 10 * 6 * 25,
                    "fc1": 400 * 120, "fc2": 120 * 84, "fc3": 84 * 10}
    assert table.total_macs == sum(macs.values())


def test_lenet5_defaults_to_32x32_and_has_a_100_unit_layer():
    table = shapes.shape_table("lenet5")
    assert table.input_shape == (1, 32, 32)
    assert [r.output_shape for r in table.rows][0] == [1, 6, 28, 28]
    assert table.rows[-3].output_shape == [1, 100]
    assert table.total_params == 63_802


def test_labels_name_the_layer_and_its_shape():
    rows = shapes.shape_table("lenet-classic").rows
    assert rows[0].label == "conv1 · 6@28×28"
    assert rows[5].label == "pool2 · 16@5×5"
    assert rows[7].label == "fc1 · 120"


@pytest.mark.parametrize("size, message", [
    ("1x8x8", r"conv2 \(Conv2d\): its 5×5 kernel does not fit its 4×4 input"),
    ("3x28x28", r"conv1 \(Conv2d\) expects 1 input channel but gets 3"),
    ("0x28x28", r"zero dimension"),
    ("abc", r"'abc' is not an input size: write C×H×W \(1x28x28\), or H×W for one channel"),
    ("  ", r"no input size given: write C×H×W"),
    ("1x32x32", r"fc1 \(Linear\) expects 400 input features but gets 576"),
])
def test_inputs_the_network_cannot_take_are_explained_in_one_line(size, message):
    with pytest.raises(LabError, match=message) as info:
        shapes.shape_table("lenet-classic", size)
    assert "\n" not in str(info.value)


def test_parse_accepts_height_by_width_and_unicode_times():
    assert shapes.parse_input_size("28x28") == (1, 28, 28)
    assert shapes.parse_input_size("1x28") == (1, 1, 28)  # H×W: one row of 28, not a refusal
    assert shapes.parse_input_size("28") == (1, 28, 28)
    assert shapes.how_read("1x28") == "read as 1×1×28: one channel of 1×28 (height × width)"
    assert shapes.how_read("1x28x28") is None
    assert shapes.parse_input_size("1×32×32") == (1, 32, 32)


def test_formats_carry_the_same_numbers():
    table = shapes.shape_table("lenet-classic")
    rows = json.loads(shapes.render(table, "json"))
    assert rows[0] == {"index": 1, "name": "conv1", "layer": "Conv2d",
                       "output_shape": [1, 6, 28, 28], "params": 156, "macs": 117_600}
    parsed = list(csv.DictReader(io.StringIO(shapes.render(table, "csv"))))
    assert parsed[-1]["name"] == "total" and parsed[-1]["params"] == "61706"
    markdown = shapes.render(table, "markdown").splitlines()
    assert len(markdown) == 2 + 12 + 1 and "61,706" in markdown[-1]
    text = shapes.render(table, "table")
    assert "1×16×5×5" in text and "61,706" in text


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "lenet_core", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_cli_prints_the_tutorial_table_as_json():
    result = _cli("shapes", "--arch", "lenet-classic", "--input", "1x28x28", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["layer"], r["output_shape"]) for r in rows] == [(a, b) for a, b in TUTORIAL_TABLE]
    assert sum(r["params"] for r in rows) == 61_706


@pytest.mark.slow
def test_cli_bad_input_exits_2_with_one_line_and_no_traceback():
    result = _cli("shapes", "--arch", "lenet-classic", "--input", "1x8x8")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "conv2" in result.stderr


@pytest.mark.slow
def test_cli_whose_reader_has_gone_stops_quietly(tmp_path):
    """``python -m lenet_core shapes | head -3``: the pipe closes before the table is written."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte
    with open(tmp_path / "stderr", "w+") as stderr:
        result = subprocess.run([sys.executable, "-m", "lenet_core", "shapes", "--format", "csv"],
                                stdout=write_end, stderr=stderr, timeout=120)
        os.close(write_end)
        stderr.seek(0)
        errors = stderr.read()
    assert result.returncode == 1
    assert errors == ""  # no traceback, no "Exception ignored"


def test_an_input_that_stops_fitting_keeps_the_layers_before_it_and_names_the_break():
    table = shapes.trace_shapes("lenet-classic", "1x100x100")
    assert [row.name for row in table.rows] == ["conv1", "sigmoid1", "pool1", "conv2", "sigmoid2",
                                               "pool2", "flatten"]
    assert table.rows[-1].output_shape == [1, 8464] and table.rows[-1].label == "flatten · 8,464"
    assert (table.broken.index, table.broken.name) == (8, "fc1")
    assert "expects 400 input features but gets 8,464" in table.broken.message
    assert shapes.trace_shapes("lenet-classic", "1x28x28").fits


@pytest.mark.slow
def test_cli_prints_the_layers_that_fit_and_marks_the_break(tmp_path):
    result = _cli("shapes", "--arch", "lenet-classic", "--input", "1x8x8")
    lines = result.stdout.splitlines()
    assert lines[0] == "lenet-classic, input 1×8×8"
    assert lines[-2].split() == ["4", "conv2", "Conv2d", "✗", "does", "not", "fit"]
    assert [line.split()[1] for line in lines[3:-2]] == ["conv1", "sigmoid1", "pool1"]
