"""One network, two engines: the browser's interpreter (pages/components/net3d/forward.js) runs a
checkpoint's bundle (lenet_core/model/browser.py) and gives every layer's output within 1e-4 of
PyTorch's, and the same first guess, for 200 inputs — 150 test digits and 50 drawings prepared
as the Draw page prepares them — on every built-in network: the bundled digit model, and the
others with seeded random weights and batch-norm statistics (so batch norm is no identity).

No server: a blank page with the interpreter loaded. PyTorch's outputs go to the page as
float32 and the page compares, 25 inputs at a time; only the worst differences come back."""

import base64

import numpy as np
import pytest
import torch
from canvas_digits import canvas_digit_set

from lenet_core.data import read_split
from lenet_core.data.preprocess import mnist_style
from lenet_core.inspect.activations import forward_all
from lenet_core.model.architectures import ARCHITECTURES, build_model
from lenet_core.model.browser import bundle_json
from lenet_core.model.checkpoints import CheckpointMeta, load_model, pretrained_path
from lenet_core.model.inputs import model_input

from .support import MEASUREMENTS, ROOT

FORWARD_JS = ROOT / "pages" / "components" / "net3d" / "forward.js"
CHUNK = 25
TOLERANCE = 1e-4

COMPARE = """([expected, names, images]) => {
  const floats = (text) => { const s = atob(text); const u = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i); return new Float32Array(u.buffer); };
  const worst = {}, guesses = [], times = [];
  images.forEach((image, n) => {
    const start = performance.now();
    const out = forward(window.MODEL, floats(image));
    times.push(performance.now() - start);
    names.forEach((name) => {
      const want = floats(expected[n][name]), got = out[name];
      if (got.length !== want.length) throw new Error(`${name}: ${got.length} values, not ${want.length}`);
      let w = worst[name] || 0;
      for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i] - want[i]));
      worst[name] = w;
    });
    const last = out[names[names.length - 1]];
    guesses.push(last.indexOf(Math.max(...last)));
  });
  return [worst, guesses, times];
}"""


def floats(tensor: torch.Tensor) -> str:
    return base64.b64encode(tensor.detach().float().contiguous().numpy().astype("<f4").tobytes()).decode()


def images() -> list[np.ndarray]:
    """150 test digits (uint8) and 50 drawings prepared by the Draw page's steps (float 0–1)."""
    digits, _ = read_split("mnist-5k", "test")
    drawn = [mnist_style(array).image for _, array, _ in canvas_digit_set(n_per_digit=5, seed=3)]
    return [digits[i] for i in range(0, 1000, 1000 // 150)][:150] + drawn


def networks():
    model, meta = load_model(pretrained_path("digits"))
    yield "bundled " + meta.arch, model, meta
    generator = torch.Generator().manual_seed(0)
    for arch in ARCHITECTURES.values():
        torch.manual_seed(0)
        model = build_model(arch, init="xavier").eval()
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d):
                module.running_mean.copy_(torch.rand(module.num_features, generator=generator) - 0.5)
                module.running_var.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
        digits = [str(d) for d in range(10)]
        yield arch.name, model, CheckpointMeta(arch.name, "mnist", digits, 0.1307, 0.3081)


@pytest.mark.parametrize("name, model, meta", list(networks()), ids=lambda v: v if isinstance(v, str) else "")
def test_the_browser_runs_every_layer_as_pytorch_does(page, name, model, meta):
    page.set_content("<!doctype html><title>forward</title>")
    page.add_script_tag(path=str(FORWARD_JS))
    page.evaluate("(text) => { window.MODEL = decodeModel(JSON.parse(text)); }", bundle_json(model, meta))
    names = [n for n, _ in model.named_children()]
    pictures = images()
    assert len(pictures) == 200
    worst, guesses, times = {n: 0.0 for n in names}, [], []
    for start in range(0, len(pictures), CHUNK):
        chunk = [model_input(p, meta)[0] for p in pictures[start:start + CHUNK]]
        expected = []
        with torch.inference_mode():
            for x in chunk:
                outputs, _ = forward_all(model, x[None])
                expected.append({n: floats(outputs[n]) for n in names})
        w, g, t = page.evaluate(COMPARE, [expected, names, [floats(x) for x in chunk]])
        worst = {n: max(worst[n], w[n]) for n in names}
        guesses += g
        times += t
        with torch.inference_mode():
            want = [int(model(x[None]).argmax()) for x in chunk]
        assert g == want, f"{name}: the first guess differs for inputs {start}–{start + CHUNK - 1}"
    over = {n: v for n, v in worst.items() if v > TOLERANCE}
    assert not over, f"{name}: layers further than {TOLERANCE} from PyTorch: {over}"
    MEASUREMENTS.append(f"Browser forward pass, {name}: every layer within {max(worst.values()):.1e} of "
                        f"PyTorch over 200 inputs; {np.median(times):.1f} ms a pass (median), "
                        f"{np.percentile(times, 95):.1f} ms (95th percentile)")
