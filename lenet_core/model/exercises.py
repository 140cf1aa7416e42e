"""The tutorial's exercises as networks ready to open in the designer.

d2l's LeNet chapter ends by asking what changes when the network changes: max pooling, ReLU,
smaller windows, more channels, more convolutions, fewer dense layers, and all the modern
changes together. Each exercise here is lenet-classic (the chapter's network) with exactly that
change, made by the designer's own edits (:mod:`lenet_core.model.edit`), so its text is derived,
never typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from lenet_core.errors import LabError
from lenet_core.model import edit
from lenet_core.model.architectures import LENET_CLASSIC

TUTORIAL = edit.rows_of(LENET_CLASSIC)


@dataclass(frozen=True)
class Exercise:
    name: str  # a name to save it under
    title: str  # its line in the menu
    why: str  # one sentence: what the change asks
    text: str  # the whole network in the grammar


def _indices(rows, word: str) -> list[int]:
    return [i for i, row in enumerate(rows) if row.word == word]


def _three_by_three(rows):
    for i in _indices(rows, "conv"):  # the padding shrinks with the window: "same" stays "same"
        rows = edit.change(rows, i, "kernel_size", 3)
        rows = edit.change(rows, i, "pad", max(0, rows[i].values["pad"] - 1))
    return rows


def _more_channels(rows):
    for i, maps in zip(_indices(rows, "conv"), (16, 32)):  # lenet-wide's widths
        rows = edit.change(rows, i, "out_channels", maps)
    return rows


def _third_convolution(rows):
    after = _indices(rows, "conv")[1] + 2  # after conv2 and its activation, before pool2
    rows = edit.insert(rows, after, "sigmoid")
    rows = edit.insert(rows, after, "conv")
    rows = edit.change(rows, after, "out_channels", 32)
    rows = edit.change(rows, after, "kernel_size", 3)
    return edit.change(rows, after, "pad", 1)  # 10×10 in, 10×10 out: pool2 still halves it


def _one_dense_fewer(rows):
    hidden = _indices(rows, "fc")[-2]  # fc2 (84 units) and its activation
    return edit.remove(edit.remove(rows, hidden + 1), hidden)


def _all_modern(rows):
    rows = edit.replace_word(edit.replace_word(rows, "avgpool", "maxpool"), "sigmoid", "relu")
    hidden = _indices(rows, "conv") + _indices(rows, "fc")[:-1]
    for i in sorted(hidden, reverse=True):  # batch norm after each, before its ReLU
        rows = edit.insert(rows, i + 1, "batchnorm")
    return rows


def _exercise(name, title, why, rows) -> Exercise:
    return Exercise(name, title, why, edit.rows_text(rows))


EXERCISES = (
    _exercise("lenet-maxpool", "Max pooling", "Keep each window's strongest response instead of its "
              "average: does a sharper summary learn faster?",
              edit.replace_word(TUTORIAL, "avgpool", "maxpool")),
    _exercise("lenet-relu", "ReLU", "Replace every sigmoid with ReLU, which does not flatten large "
              "inputs: gradients reach the first layers undiminished.",
              edit.replace_word(TUTORIAL, "sigmoid", "relu")),
    _exercise("lenet-3x3", "3×3 windows", "Smaller convolution windows: fewer weights each, finer "
              "detail, and a larger map reaching the dense layers.", _three_by_three(TUTORIAL)),
    _exercise("lenet-channels", "More channels", "16 and 32 maps instead of 6 and 16: more features "
              "to find, at more multiply-adds per image.", _more_channels(TUTORIAL)),
    _exercise("lenet-conv3", "A third convolution", "One more convolution before the second pooling: "
              "features built from the second layer's features.", _third_convolution(TUTORIAL)),
    _exercise("lenet-fc2", "One dense layer fewer", "Go straight from 120 units to the classes: does "
              "the 84-unit layer earn its 10,164 parameters?", _one_dense_fewer(TUTORIAL)),
    _exercise("lenet-modern-all", "All modern changes", "Max pooling, ReLU and batch normalisation "
              "together: lenet-modern, built from the tutorial's net.", _all_modern(TUTORIAL)),
)


def find_exercise(name: str) -> Exercise:
    found = next((e for e in EXERCISES if e.name == name), None)
    if found is None:
        raise LabError(f"unknown exercise {name!r}: the exercises are {', '.join(e.name for e in EXERCISES)}")
    return found
