"""The designer's layer list as data: rows to text and back, the edits, and what a list makes (its
shape table up to the first layer that does not fit, and why it cannot be saved)."""

from __future__ import annotations

import json

import pytest

from lenet_core.errors import LabError
from lenet_core.model import edit, saved
from lenet_core.model.architectures import ARCHITECTURES, LENET5, LENET_CLASSIC
from lenet_core.model.grammar import network_text, parse_layers

CLASSIC = edit.rows_of(LENET_CLASSIC)


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_every_built_in_network_becomes_rows_and_the_rows_write_its_text(name):
    arch = ARCHITECTURES[name]
    rows = edit.rows_of(arch)
    assert len(rows) == len(arch.layers)
    assert edit.rows_text(rows, arch.input_size) == network_text(arch)
    assert edit.rows_from_text(network_text(arch)) == (arch.input_size, rows)


def test_a_row_writes_a_keyword_only_where_it_is_not_the_default():
    assert edit.new_row("conv").text == "conv(6,5)"
    assert edit.new_row("maxpool").text == "maxpool(2)"
    assert edit.change([edit.new_row("maxpool")], 0, "kernel_size", 3)[0].text == "maxpool(3,stride=2)"
    assert edit.change([edit.new_row("conv")], 0, "pad", 2)[0].text == "conv(6,5,pad=2)"
    assert edit.new_row("dropout").text == "dropout(0.5)"
    assert edit.rows_from_text("avgpool(3,stride=1) dropout(1)")[1][1].values == {"p": 1.0}
    assert edit.rows_from_text("avgpool(3,stride=1)")[1][0].values == {"kernel_size": 3, "stride": 1}


def test_the_new_rows_fields_are_the_grammars_numbers_and_keywords():
    from lenet_core.model.grammar import KINDS

    assert set(edit.NEW) == set(KINDS)
    assert all(list(edit.NEW[w]) == [*KINDS[w].positional, *KINDS[w].keywords] for w in KINDS)


@pytest.mark.parametrize("text, says", [
    ("conv(6.5,5) flatten fc(10)", "layer 1 (conv(6.5,5)): out_channels must be a whole number"),
    ("conv(6) flatten fc(10)", "conv takes 2 number(s)"),
    ("input(30) flatten fc(10)", "input(30)"),
    ("lstm(4)", "unknown layer 'lstm'"),
    ("conv(100000000000000000000,5)", "layer 1 (conv(100000000000000000000,5)): 1e+20 is out of range"),
    ("flatten dropout(nan)", "layer 2 (dropout(nan)): nan is out of range"),
    ("conv(-3,5)", "-3 is out of range: a layer's numbers are from 0 to 100,000"),
])
def test_a_text_that_does_not_read_is_refused_in_one_line(text, says):
    with pytest.raises(LabError, match=".*".join(map(__import__("re").escape, says.split("*")))) as info:
        edit.rows_from_text(text)
    assert "\n" not in str(info.value)


def test_insert_remove_and_move_make_new_lists_and_leave_the_old_one():
    rows = edit.insert(CLASSIC, 9, "dropout")
    assert [r.word for r in rows[8:11]] == ["sigmoid", "dropout", "fc"]
    assert len(CLASSIC) == 12 and len(rows) == 13
    assert edit.move(rows, 9, -1)[8].word == "dropout" and edit.move(rows, 9, 1)[10].word == "dropout"
    assert edit.move(rows, 0, -1) == rows and edit.move(rows, 12, 1) == rows  # the ends stay
    assert edit.remove(rows, 9) == CLASSIC
    assert edit.insert(CLASSIC, 99, "relu")[-1].word == "relu"
    with pytest.raises(LabError, match="unknown layer 'lstm'"):
        edit.insert(CLASSIC, 0, "lstm")


def test_changing_a_kind_keeps_the_fields_both_kinds_have():
    rows = edit.change(CLASSIC, 2, "kernel_size", 3)
    assert edit.set_word(rows, 2, "maxpool")[2] == edit.Row("maxpool", {"kernel_size": 3, "stride": 2})
    assert edit.set_word(CLASSIC, 2, "relu")[2] == edit.Row("relu", {})
    assert edit.set_word(CLASSIC, 1, "conv")[1] == edit.new_row("conv")
    with pytest.raises(LabError, match="sigmoid has no kernel_size"):
        edit.change(CLASSIC, 1, "kernel_size", 3)


def test_the_output_layer_is_as_wide_as_the_dataset_has_classes():
    done = edit.design(CLASSIC, classes=7)
    assert done.text.endswith("fc(84) sigmoid fc(7)")
    assert done.arch.layers[-1].args == {"in_features": 84, "out_features": 7}
    assert edit.with_classes([edit.new_row("relu")], 7) == (edit.new_row("relu"),)


def test_a_list_that_fits_has_its_table_and_architecture_and_no_problem():
    done = edit.design(CLASSIC)
    assert done.problem is None and done.arch.layers == LENET_CLASSIC.layers
    assert len(done.table.rows) == 12 and done.table.total_params == 61_706
    assert edit.design(edit.rows_of(LENET5), 32).table.total_params == 63_802


def test_the_first_layer_that_does_not_fit_is_marked_with_its_reason_and_the_layers_before_it_listed():
    done = edit.design(edit.change(CLASSIC, 3, "kernel_size", 15))  # conv2: 15×15 on 14×14 maps
    assert done.arch is None
    assert done.problem == "layer 4 (conv(16,15)): a 15×15 window does not fit the 14×14 maps that reach it"
    assert [r.name for r in done.table.rows] == ["conv1", "sigmoid1", "pool1"]
    broken = done.table.broken
    assert (broken.index, broken.name, broken.message) == (4, "conv2", done.problem)
    assert edit.design(edit.change(CLASSIC, 3, "kernel_size", 15), 32).problem is None  # 16×16 maps at 32


def test_a_list_without_an_output_layer_or_empty_cannot_be_saved():
    assert "must end in a dense layer" in edit.design(CLASSIC[:-1]).problem
    assert "empty" in edit.design(()).problem
    assert "more than 40 layers" in edit.design(CLASSIC * 4).problem


def test_a_network_over_the_limits_is_refused_by_arithmetic_without_being_built():
    # fc(1024) after 1024 maps of 28×28: 822 million weights, 3 GB if it were built for its table
    _, rows = edit.rows_from_text("conv(1024,3,pad=1) conv(1024,3,pad=1) flatten fc(1024) fc(10)")
    done = edit.design(rows)
    assert done.table is None and done.arch is None
    assert done.problem.startswith("this network has 831,543,306 parameters: at most 2,000,000")
    _, wide = edit.rows_from_text("conv(400,3,pad=1) avgpool(28) flatten fc(10)")  # 313,600 values
    assert "units" in edit.design(wide).problem


def test_saving_a_design_writes_a_file_whose_layers_parse_and_a_bad_one_writes_nothing(lab_home):
    path = edit.save(edit.design(edit.change(CLASSIC, 0, "out_channels", 8)), "wider", "eight maps", lab_home)
    written = json.loads(path.read_text())
    assert written["layers"].startswith("conv(8,5,pad=2)")
    assert parse_layers(written["layers"])[3].args["in_channels"] == 8
    with pytest.raises(LabError, match="saved already"):
        edit.save(edit.design(CLASSIC), "wider", "", lab_home)
    edit.save(edit.design(CLASSIC), "wider", "back to six", lab_home, replace=True)
    assert saved.find_network("wider", lab_home).layers == LENET_CLASSIC.layers
    for name in ("../x", "x" * 200, "   ", "lenet-classic"):
        with pytest.raises(LabError):
            edit.save(edit.design(CLASSIC), name, "", lab_home)
    with pytest.raises(LabError, match="does not fit"):
        edit.save(edit.design(edit.change(CLASSIC, 3, "kernel_size", 15)), "broken", "", lab_home)
    assert [p.name for p in saved.folder(lab_home).iterdir()] == ["wider.json"]
