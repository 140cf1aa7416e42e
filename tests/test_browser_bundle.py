"""The bundle a checkpoint sends to the browser: the network as data and its tensors, exact."""

import json

import numpy as np

from lenet_core.model.architectures import ARCHITECTURES, build_model
from lenet_core.model.browser import browser_bundle, bundle_json, decoded
from lenet_core.model.checkpoints import CheckpointMeta, architecture_of, load_model, pretrained_path
from lenet_core.model.grammar import network_text


def test_the_bundled_model_travels_whole_and_under_a_megabyte():
    model, meta = load_model(pretrained_path("digits"))
    text = bundle_json(model, meta)
    assert len(text) < 1_000_000  # lenet-wide's 91,402 parameters, base64: about 490 KB
    bundle = json.loads(text)
    assert [layer["name"] for layer in bundle["layers"]] == [n for n, _ in model.named_children()]
    assert (bundle["mean"], bundle["std"], bundle["classes"]) == (meta.mean, meta.std, list(meta.classes))
    tensors = decoded(text)
    for name, module in model.named_children():
        for key, value in module.state_dict().items():
            if value.dtype.is_floating_point:  # batch norm's step count is not a weight
                assert np.array_equal(tensors[name][key], value.flatten().numpy()), (name, key)
    assert "num_batches_tracked" not in tensors["bn1"]


def test_a_network_of_ones_own_is_bundled_from_its_checkpoints_layers():
    text = "input(32) conv(4,3,stride=2,pad=1) tanh maxpool(3,stride=1) flatten dropout(0.3) fc(10)"
    meta = CheckpointMeta("mine", "mnist", [str(d) for d in range(10)], 0.1307, 0.3081, layers=text,
                          config={"test_mirror": True})
    bundle = browser_bundle(build_model(architecture_of(meta)), meta)
    assert bundle["input_size"] == 32 and bundle["mirror"] is True
    assert bundle["layers"][0] == {"name": "conv1", "module": "Conv2d", "args": {
        "in_channels": 1, "out_channels": 4, "kernel_size": 3, "padding": 1, "stride": 2}}
    assert set(bundle["params"]) == {"conv1", "fc1"}  # only the layers that hold tensors
    assert network_text(architecture_of(meta)) == text


def test_every_built_in_network_bundles_each_tensor_in_pytorchs_order():
    for arch in ARCHITECTURES.values():
        model = build_model(arch)
        meta = CheckpointMeta(arch.name, "mnist", [str(d) for d in range(10)], 0.0, 1.0)
        tensors = decoded(bundle_json(model, meta))
        for name, parameter in model.named_parameters():
            layer, key = name.split(".")
            assert np.array_equal(tensors[layer][key], parameter.detach().flatten().numpy()), name
