"""The tutorial's exercises: each is lenet-classic with exactly the change its title names, a
network that parses, fits a 28×28 image and trains within this machine's limits."""

from __future__ import annotations

import difflib

import pytest

from lenet_core.model import edit, limits, saved
from lenet_core.model.architectures import LENET_CLASSIC, LENET_MODERN
from lenet_core.model.exercises import EXERCISES, find_exercise
from lenet_core.model.grammar import layers_text, parse_network
from lenet_core.model.shapes import trace_shapes

CLASSIC = layers_text(LENET_CLASSIC.layers).split()


def changes(text: str) -> list[tuple[str, list[str], list[str]]]:
    """What differs from lenet-classic, layer by layer: (edit, classic's layers, the exercise's)."""
    words = text.split()
    matcher = difflib.SequenceMatcher(a=CLASSIC, b=words, autojunk=False)
    return [(op, CLASSIC[i1:i2], words[j1:j2]) for op, i1, i2, j1, j2 in matcher.get_opcodes()
            if op != "equal"]


def test_there_are_the_seven_exercises_of_the_tutorial_each_with_a_title_and_a_reason():
    assert [e.title for e in EXERCISES] == ["Max pooling", "ReLU", "3×3 windows", "More channels",
                                            "A third convolution", "One dense layer fewer",
                                            "All modern changes"]
    assert all(e.why.endswith((".", "?")) and "\n" not in e.why for e in EXERCISES)
    assert all(saved.name_problem(e.name) is None for e in EXERCISES)  # each can be saved as named
    assert all(len(e.why) <= saved.DESCRIPTION_LIMIT for e in EXERCISES)
    assert len({e.name for e in EXERCISES}) == 7


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_each_exercise_parses_fits_28_by_28_and_is_under_the_limits(exercise):
    arch = parse_network(exercise.text, exercise.name)
    assert arch.input_size == 28
    assert trace_shapes(arch).fits
    assert limits.size_problem(arch) is None
    assert limits.output_width(arch) == 10
    assert edit.rows_text(edit.rows_from_text(exercise.text)[1]) == exercise.text  # the designer opens it


def test_max_pooling_changes_only_the_two_pools():
    assert changes(find_exercise("lenet-maxpool").text) == [
        ("replace", ["avgpool(2)"], ["maxpool(2)"]), ("replace", ["avgpool(2)"], ["maxpool(2)"])]


def test_relu_replaces_each_of_the_four_sigmoids_and_nothing_else():
    assert changes(find_exercise("lenet-relu").text) == [("replace", ["sigmoid"], ["relu"])] * 4


def test_three_by_three_changes_only_the_convolutions_windows_keeping_the_first_one_same_size():
    assert changes(find_exercise("lenet-3x3").text) == [
        ("replace", ["conv(6,5,pad=2)"], ["conv(6,3,pad=1)"]), ("replace", ["conv(16,5)"], ["conv(16,3)"])]
    table = trace_shapes(parse_network(find_exercise("lenet-3x3").text, "x"))
    assert table.rows[0].output_shape == [1, 6, 28, 28]


def test_more_channels_widens_only_the_convolutions():
    assert changes(find_exercise("lenet-channels").text) == [
        ("replace", ["conv(6,5,pad=2)"], ["conv(16,5,pad=2)"]), ("replace", ["conv(16,5)"], ["conv(32,5)"])]


def test_a_third_convolution_adds_one_convolution_and_its_activation():
    words = find_exercise("lenet-conv3").text.split()
    assert words[5:7] == ["conv(32,3,pad=1)", "sigmoid"] and words[:5] + words[7:] == CLASSIC  # before pool2
    arch = parse_network(find_exercise("lenet-conv3").text, "x")
    assert [s.name for s in arch.layers if s.module == "Conv2d"] == ["conv1", "conv2", "conv3"]


def test_one_dense_layer_fewer_removes_the_84_unit_layer_and_its_activation():
    assert changes(find_exercise("lenet-fc2").text) == [("delete", ["fc(84)", "sigmoid"], [])]


def test_all_modern_changes_together_is_lenet_modern():
    assert parse_network(find_exercise("lenet-modern-all").text, "x").layers == LENET_MODERN.layers
