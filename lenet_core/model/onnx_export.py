"""A checkpoint as an ONNX file: the network any runtime opens (Netron, onnxruntime, a phone app).

The graph is the network PyTorch runs, layer for layer, then its softmax. Its input ``image`` is
float32 N×C×S×S, already prepared as the lab prepares pixels (:func:`lenet_core.model.inputs.model_input`:
scaled to [0, 1], standardised with the checkpoint's mean and std, zero-padded to the input side).
Keeping the preparation out of the graph keeps the graph equal to the shape table; the file's
metadata carries it instead, as numbers (``mean``, ``std``, ``input_size``, ``input_channels``) and
as one sentence
(``prepare``). Outputs: ``logits`` and ``probabilities`` (the softmax; for a checkpoint whose run
mirrors at test time, averaged with the mirror image's, as every page shows it), and with
``every_layer`` each layer's output under the layer's name (``conv1``, ``sigmoid1``, ...), which
is what the browser's 3D view draws. The batch axis is dynamic.

Exported with torch's TorchScript exporter (``dynamo=False``): it needs nothing beyond torch, and a
process's first export of lenet-modern took 0.7 s here (later ones 0.02–0.2 s), where the
torch.export-based one took 3.4 s and needs two more packages (onnxscript, onnx-ir). torch is pinned
(requirements.txt); the tests fail if a new torch drops it. Every file is run once by onnxruntime
and compared with PyTorch before it is handed out.
"""

from __future__ import annotations

import copy
import io
import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import torch
from torch import nn

from lenet_core.errors import LabError
from lenet_core.model.checkpoints import CheckpointMeta, architecture_of, load_model
from lenet_core.model.grammar import network_text
from lenet_core.model.inputs import mirrored

INPUT = "image"
OUTPUTS = ("logits", "probabilities")
# Opset 17 (2022): what onnxruntime 1.13 and later, onnxruntime-web and Netron all read; LeNet's
# operators (Conv, pooling, Gemm, BatchNormalization, Softmax) are older than that.
OPSET = 17
# The check against PyTorch: float32 sums in another order differ by about 1e-6 on LeNet's logits.
CHECK_TOLERANCE = 1e-4


class _Graph(nn.Module):
    """What the file computes: the network's children in order, then the softmax."""

    def __init__(self, model: nn.Sequential, mirror: bool, every_layer: bool):
        super().__init__()
        self.model, self.mirror, self.every_layer = model, mirror, every_layer

    def forward(self, image: torch.Tensor):
        x, layers = image, []
        for child in self.model.children():
            x = child(x)
            layers.append(x)
        probabilities = torch.softmax(x, dim=1)
        if self.mirror:  # as inputs.class_probabilities does: the image and its mirror, averaged
            probabilities = (probabilities + torch.softmax(self.model(image.flip(-1)), dim=1)) / 2
        return (x, probabilities, *(layers if self.every_layer else ()))


def metadata(meta: CheckpointMeta) -> dict[str, str]:
    """What the file says about itself (ONNX ``metadata_props``: text keys and text values)."""
    arch = architecture_of(meta)
    channels, side = arch.input_channels, arch.input_size
    kind = "colour (red, green, blue)" if channels == 3 else "grey"
    pad = (f", zero-padded on each side to {side}×{side} when smaller (a 28×28 image by "
           f"{arch.pad})") if arch.pad > 0 else ""
    prepare = (f"'{INPUT}' is float32 N×{channels}×{side}×{side}: {kind} images as in {meta.dataset}, "
               f"pixels scaled to 0–1, then (x - {meta.mean:g}) / {meta.std:g}{pad}")
    props = {
        "arch": meta.arch, "layers": network_text(arch), "dataset": meta.dataset,
        "classes": json.dumps(list(meta.classes)), "mean": repr(float(meta.mean)),
        "std": repr(float(meta.std)), "input_size": str(side), "input_channels": str(channels),
        "mirror": json.dumps(mirrored(meta)), "prepare": prepare,
        "outputs": "logits; probabilities (softmax" + (", averaged with the mirror image's"
                                                        if mirrored(meta) else "") + ")",
        "epoch": str(meta.epoch),
    }
    if meta.run_id:
        props["run_id"] = meta.run_id
    if (accuracy := meta.metrics.get("test_acc")) is not None:
        props["test_acc"] = repr(float(accuracy))
    return props


def onnx_bytes(model: nn.Sequential, meta: CheckpointMeta, every_layer: bool = False) -> bytes:
    """The ONNX file for ``model`` (a checkpoint's network) and its metadata ``meta``, checked
    against PyTorch by onnxruntime. ``model`` itself is left as it was (device, mode)."""
    arch = architecture_of(meta)
    # A copy on the CPU in eval mode: the exporter sets the module it is given back to the mode
    # it found, and a wrapper in training mode would leave batch norm training.
    graph = _Graph(copy.deepcopy(model).cpu(), mirrored(meta), every_layer).eval()
    names = [*OUTPUTS, *(arch.layer_names() if every_layer else [])]
    example = torch.zeros((1, *arch.input_shape))
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():
            # "legacy TorchScript-based ONNX export": chosen on purpose (the module's docstring).
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(graph, (example,), buffer, input_names=[INPUT], output_names=names,
                              dynamic_axes={name: {0: "batch"} for name in [INPUT, *names]},
                              opset_version=OPSET, dynamo=False)
    except (RuntimeError, ValueError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LabError(f"{meta.arch}: cannot be exported to ONNX ({first})") from None
    proto = onnx.load_from_string(buffer.getvalue())
    proto.producer_name, proto.doc_string = "LeNet Lab", metadata(meta)["prepare"]
    onnx.helper.set_model_props(proto, metadata(meta))
    data = proto.SerializeToString()
    _check(data, graph, example.shape, meta)
    return data


def _check(data: bytes, graph: _Graph, shape: tuple[int, ...], meta: CheckpointMeta) -> None:
    """onnxruntime runs the file on two seeded inputs and must give PyTorch's outputs."""
    x = torch.randn((2, *shape[1:]), generator=torch.Generator().manual_seed(0))
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    got = session.run(list(OUTPUTS), {INPUT: x.numpy()})
    with torch.inference_mode():
        want = graph(x)[:len(OUTPUTS)]
    worst = max(float(np.abs(g - w.numpy()).max()) for g, w in zip(got, want))
    if not worst <= CHECK_TOLERANCE:  # NaN fails too
        raise LabError(f"{meta.arch}: the ONNX export does not compute what PyTorch does (outputs "
                       f"differ by {worst:.2g}); no file was written")


def write_onnx(data: bytes, path: Path) -> Path:
    """Write atomically: a temp file in the same folder, fsync, then rename over ``path``."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise LabError(f"{path.parent}: cannot write there ({exc.strerror}); name a writable "
                       "folder") from None
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o644)  # mkstemp's 0o600 would hide a file meant to be shared
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise LabError(f"{path}: could not write the ONNX file ({exc.strerror or exc})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def checkpoint_onnx(checkpoint: Path, every_layer: bool = False) -> bytes:
    """A checkpoint file's network as ONNX bytes (what the Training page's button downloads)."""
    model, meta = load_model(checkpoint)
    return onnx_bytes(model, meta, every_layer)

