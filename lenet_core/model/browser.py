"""A checkpoint as the browser takes it: the network as data and its weights, once per model.

The browser runs the checkpoint the engine trained, never a second hand-written LeNet: our own
interpreter of the layer specs (``pages/components/net3d/forward.js``, plain JavaScript, no
dependency) reads this bundle, so every built-in and saved network runs there without new code.
Weights travel as little-endian float32, base64 in JSON (4/3 of their bytes): lenet-wide's 91,402
parameters are 490 KB, under the 1 MB a model may send. The interpreter against an ONNX graph run
by onnxruntime-web, with the figures measured so far: docs/draw.md#the-network-in-the-browser.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import torch
from torch import nn

from lenet_core.model.checkpoints import CheckpointMeta, architecture_of
from lenet_core.model.inputs import mirrored


def _floats(tensor: torch.Tensor) -> str:
    data = tensor.detach().to(torch.float32).contiguous().cpu().numpy().astype("<f4")
    return base64.b64encode(data.tobytes()).decode("ascii")


def browser_bundle(model: nn.Sequential, meta: CheckpointMeta) -> dict:
    """Everything the browser needs to prepare a drawing and run ``model`` on it, as plain data:
    the input side and channels, the normalisation, test-time mirroring, the class names, each layer (name,
    module, arguments) and each layer's float tensors (weights, biases, batch norm's running
    statistics)."""
    arch = architecture_of(meta)
    children = dict(model.named_children())
    params = {}
    for spec in arch.layers:
        tensors = {key: _floats(value) for key, value in children[spec.name].state_dict().items()
                   if value.dtype.is_floating_point}
        if tensors:
            params[spec.name] = tensors
    return {"format": 1, "arch": arch.name, "input_size": arch.input_size,
            "input_channels": arch.input_channels, "mean": meta.mean,
            "std": meta.std, "mirror": mirrored(meta), "classes": list(meta.classes),
            "layers": [{"name": s.name, "module": s.module, "args": dict(s.args)} for s in arch.layers],
            "params": params}


def bundle_json(model: nn.Sequential, meta: CheckpointMeta) -> str:
    """The bundle as the text sent to the browser (its length is the bytes a model costs)."""
    return json.dumps(browser_bundle(model, meta), separators=(",", ":"))


def decoded(text: str) -> dict[str, dict[str, np.ndarray]]:
    """A bundle's tensors read back as flat float32 arrays, as the interpreter reads them."""
    bundle = json.loads(text)
    return {layer: {key: np.frombuffer(base64.b64decode(value), dtype="<f4")
                    for key, value in tensors.items()}
            for layer, tensors in bundle["params"].items()}
