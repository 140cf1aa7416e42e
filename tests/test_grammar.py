"""The network grammar: the tutorial's text parses into the tutorial's network, every built-in
network reads back from its own text (text -> spec -> text, and the same modules), what the text
leaves out is derived, and every malformed or impossible network is refused in one line that
says where."""

from __future__ import annotations

import pytest
import torch

from lenet_core.errors import LabError
from lenet_core.model import grammar
from lenet_core.model.architectures import ARCHITECTURES, LENET_CLASSIC, Architecture, build_model
from lenet_core.model.shapes import shape_table

TUTORIAL = ("conv(6,5,pad=2) sigmoid avgpool(2) conv(16,5) sigmoid avgpool(2) flatten fc(120) sigmoid "
            "fc(84) sigmoid fc(10)")


def test_the_tutorials_text_is_the_tutorials_network():
    assert grammar.parse_layers(TUTORIAL) == LENET_CLASSIC.layers
    assert grammar.layers_text(LENET_CLASSIC.layers) == TUTORIAL


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_every_built_in_network_reads_back_from_its_own_text(name):
    arch = ARCHITECTURES[name]
    text = grammar.layers_text(arch.layers)
    layers = grammar.parse_layers(text, arch.input_size)
    assert layers == arch.layers  # names, modules and every derived size
    assert grammar.layers_text(layers) == text
    again = Architecture(name, arch.title, arch.description, arch.input_size, layers)
    built, original = build_model(again), build_model(arch)
    assert str(built) == str(original)
    assert {k: v.shape for k, v in built.state_dict().items()} == \
        {k: v.shape for k, v in original.state_dict().items()}


def test_what_the_text_leaves_out_is_derived_from_the_shapes():
    layers = grammar.parse_layers("conv(8,3,stride=2,pad=1) batchnorm relu maxpool(3,stride=2) "
                                  "dropout(0.25) flatten fc(32) batchnorm tanh fc(10)")
    by_name = {spec.name: spec for spec in layers}
    assert by_name["conv1"].args == {"in_channels": 1, "out_channels": 8, "kernel_size": 3,
                                     "padding": 1, "stride": 2}
    assert by_name["bn1"].module == "BatchNorm2d" and by_name["bn1"].args == {"num_features": 8}
    assert by_name["pool1"].args == {"kernel_size": 3, "stride": 2}
    # 28 -> conv stride 2: 14 -> pool 3, stride 2: 6; 8 maps of 6x6 = 288 features
    assert by_name["fc1"].args == {"in_features": 288, "out_features": 32}
    assert by_name["bn2"].module == "BatchNorm1d" and by_name["bn2"].args == {"num_features": 32}
    assert by_name["dropout1"].args == {"p": 0.25}
    arch = Architecture("mine", "mine", "", 28, layers)
    assert list(shape_table(arch).rows[-1].output_shape) == [1, 10]  # the real modules agree
    assert build_model(arch)(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    assert grammar.parse_layers(grammar.layers_text(layers)) == layers


@pytest.mark.parametrize("text, says", [
    ("", "the network is empty"),
    ("   ", "the network is empty"),
    ("conv(6,5) sigmoid fc(10)", "layer 3 (fc(10)): a dense layer reads a vector: put flatten before it"),
    ("conv(6,5) flatten fc(10) relu", "must end in a dense layer"),
    ("conv(0,5) flatten fc(10)", "layer 1 (conv(0,5)): the number of maps must be a whole number from 1 "
                                 "to 1,024, not 0"),
    ("conv(100000,5) flatten fc(10)", "maps must be a whole number from 1 to 1,024, not 100000"),
    ("conv(6,5,stride=0) flatten fc(10)", "the stride must be a whole number from 1 to 8, not 0"),
    ("conv(6,5,pad=-1) flatten fc(10)", "the padding must be a whole number from 0 to 8, not -1"),
    ("conv(6,2.5) flatten fc(10)", "the window must be a whole number from 1 to 15, not 2.5"),
    ("conv(6,5) avgpool(2) conv(16,5) avgpool(2) conv(32,5) flatten fc(10)",
     "layer 5 (conv(32,5)): a 5×5 window does not fit the 4×4 maps that reach it"),
    ("conv(6,5) flatten flatten fc(10)", "layer 3 (flatten): what reaches it is flat already"),
    ("conv(6,5) flatten maxpool(2) fc(10)", "layer 3 (maxpool(2)): it needs maps"),
    ("conv(6) flatten fc(10)", "layer 1 (conv(6)): conv takes 2 number(s), 1 given: write "
                               "conv(out_channels, kernel_size)"),
    ("conv(6,5,padding=2) flatten fc(10)", "layer 1 (conv(6,5,padding=2)): conv takes no padding= "
                                           "(keywords: stride=, pad=)"),
    ("conv(6,5) flatten dense(10)", "layer 3 (dense(10)): unknown layer 'dense'; the layers are conv, "),
    ("conv(6,5) flatten fc(ten)", "layer 3 (fc(ten)): 'ten' is not a number"),
    ("conv(6,5) flatten fc(10) $", "cannot read the network at character 26: '$'"),
    ("conv(6,5 flatten fc(10)", "cannot read the network at character"),
    ("conv(6,5) flatten dropout(1) fc(10)", "the share dropped must be from 0 up to (not including) 1"),
    (" ".join(["relu"] * 41) + " flatten fc(10)", "more than 40 layers"),
])
def test_a_network_that_cannot_be_is_refused_in_one_line_that_says_where(text, says):
    with pytest.raises(LabError) as refused:
        grammar.parse_layers(text)
    assert says in str(refused.value)
    assert "\n" not in str(refused.value)
