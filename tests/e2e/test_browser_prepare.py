"""One preparation, two languages: the browser's pages/components/net3d/prepare.js turns a drawing
into the 28×28 image lenet_core's ``mnist_style`` makes (within one grey level, the same ink
bounding box, the same blank verdict, the same "small drawing" note) and that image into the
input ``model_input`` makes (within 1e-6, mirrored when the bundle says so), for 200 pictures:

- 100 mnist-5k test digits painted on a 280×280 canvas at random sizes and places, enlarged and
  blurred so that their edges are grey: white on black, dark ink on grainy light paper (some not
  square, as an upload is), and ink on a transparent background;
- 100 drawings as the Draw page's canvas delivers them (tests/canvas_digits.py), with tiny ones
  (enlarged: PIL's bilinear path), small ones (the note), a dot, thin lines, a 20-pixel one (no
  resize), a blank canvas and a faint one.

No server: a blank page with prepare.js loaded, the pictures sent 20 at a time. The page also
times prepareDrawing on each 280×280 canvas (the pad calls it on every pointer move).
"""

import base64
import json
import os

import numpy as np
from canvas_digits import canvas_digit, canvas_digit_set
from PIL import Image, ImageFilter

from lenet_core.data import read_split
from lenet_core.data.preprocess import mnist_style
from lenet_core.model.architectures import ARCHITECTURES, build_model
from lenet_core.model.browser import bundle_json
from lenet_core.model.checkpoints import CheckpointMeta, load_model, pretrained_path
from lenet_core.model.inputs import mirrored, model_input

from .support import MEASUREMENTS, ROOT

PREPARE_JS = ROOT / "pages" / "components" / "net3d" / "prepare.js"
SIDE = 280  # the pad's canvas
CHUNK = 20
GREY_LEVEL = 1 / 255
INPUT_TOLERANCE = 1e-6
TIME_TARGET_MS = 3.0  # per pointer move; reported, not asserted (a busy machine would fail it)
WARM_UP_CALLS = 20
REPEATS = 3  # calls timed per picture: the pad calls again on the next move, the drawing barely changed

PREPARE = """([pictures, names, repeats]) => {
  const bytes = (text) => { const s = atob(text); const u = new Uint8ClampedArray(s.length);
    for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i); return u; };
  const text = (floats) => { let s = ""; const u = new Uint8Array(floats.buffer);
    for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]); return btoa(s); };
  return pictures.map(({rgba, width, height}) => {
    const pixels = bytes(rgba), ms = [];
    let out;
    for (let r = 0; r < repeats; r++) {
      const start = performance.now();
      out = prepareDrawing(pixels, width, height);
      ms.push(performance.now() - start);
    }
    const inputs = {};
    if (out.image) names.forEach((name) => {
      inputs[name] = modelInputs(out.image, window.BUNDLES[name]).map(text);
    });
    return {...out, image: out.image && text(out.image), inputs, ms};
  });
}"""

WARM_UP = """([rgba, width, height, calls]) => {
  const s = atob(rgba); const u = new Uint8ClampedArray(s.length);
  for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
  for (let i = 0; i < calls; i++) prepareDrawing(u, width, height);
}"""


def floats(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4").copy()


def rgba_of(grey: np.ndarray, colour=(255, 255, 255)) -> np.ndarray:
    """White-on-black (or ``colour``-on-black) ink as an opaque RGBA canvas."""
    ink = grey.astype(np.float32)[..., None] / 255 * np.asarray(colour, dtype=np.float32)
    return np.dstack([np.round(ink).astype(np.uint8), np.full(grey.shape, 255, np.uint8)])


def painted(digit: np.ndarray, rng: np.random.Generator, width: int = SIDE, height: int = SIDE) -> np.ndarray:
    """A 28×28 digit enlarged to a random size (bicubic, then blurred: grey edges), placed anywhere
    on a ``width``×``height`` black field (uint8 grey)."""
    side = int(rng.integers(70, min(width, height) + 1))
    big = Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC)
    big = big.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 2.5))))
    field = Image.new("L", (width, height), 0)
    field.paste(big, (int(rng.integers(0, width - side + 1)), int(rng.integers(0, height - side + 1))))
    return np.asarray(field)


def on_paper(grey: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dark blue ink on off-white paper with grain: the photo of a page (opaque RGBA)."""
    paper = np.array([245, 240, 228], dtype=np.float32) + rng.normal(0, 3, (*grey.shape, 1))
    ink = np.array([30, 40, 110], dtype=np.float32)
    share = grey.astype(np.float32)[..., None] / 255
    rgb = np.clip(np.round(paper + (ink - paper) * share), 0, 255).astype(np.uint8)
    return np.dstack([rgb, np.full(grey.shape, 255, np.uint8)])


def transparent(grey: np.ndarray) -> np.ndarray:
    """Black ink whose opacity is the ink: a drawing exported on a transparent background."""
    return np.dstack([np.zeros((*grey.shape, 3), np.uint8), grey])


def dataset_pictures(rng: np.random.Generator) -> list[np.ndarray]:
    digits, _ = read_split("mnist-5k", "test")
    pictures = []
    for n, i in enumerate(range(0, 1000, 10)):
        if n < 60:
            pictures.append(rgba_of(painted(digits[i], rng)))
        elif n < 80:  # paper photos, some upright or landscape rather than square
            width, height = ((SIDE, SIDE), (240, 320), (360, 270))[n % 3]
            pictures.append(on_paper(painted(digits[i], rng, width, height), rng))
        else:
            pictures.append(transparent(painted(digits[i], rng)))
    return pictures


def drawn_pictures(rng: np.random.Generator) -> list[np.ndarray]:
    pictures = [array for _, array, _ in canvas_digit_set(n_per_digit=8, seed=7)]
    # Tiny: the ink's box under 20 pixels, so PIL enlarges it (bilinear) and the note is due.
    pictures += [canvas_digit(d, rng=rng, size=float(rng.uniform(0.03, 0.05)), width=float(rng.uniform(2, 4)))
                 for d in range(10)]
    pictures += [canvas_digit(d, rng=rng, size=0.18) for d in (1, 4, 7, 9)]  # small: shrunk, noted
    black = np.zeros((SIDE, SIDE), np.uint8)
    dot, line, stick, square, faint = (black.copy() for _ in range(5))
    dot[140:143, 60:63] = 255
    line[200:202, 30:250] = 255  # 220 × 2: shrinks to one pixel high
    stick[20:260, 139] = 180  # one pixel wide, grey
    square[100:120, 50:70] = 255  # exactly 20 pixels: no resize at all
    faint[100:180, 120:140] = 30  # under the blank contrast
    return pictures + [rgba_of(g) for g in (dot, line, stick, square, black, faint)]


def bundles() -> dict[str, tuple[str, CheckpointMeta]]:
    """The bundled digit model (28×28, no standardising) and two more: lenet-classic with
    Fashion-MNIST's mean and std, and lenet5 (32×32, padded) that mirrors at test time."""
    model, meta = load_model(pretrained_path("digits"))
    out = {"bundled " + meta.arch: (bundle_json(model, meta), meta)}
    classes = [str(d) for d in range(10)]
    for name, mean, std, config in (("lenet-classic", 0.2860, 0.3530, {}),
                                    ("lenet5", 0.1307, 0.3081, {"test_mirror": True})):
        meta = CheckpointMeta(name, "mnist", classes, mean, std, config=config)
        out[name] = (bundle_json(build_model(ARCHITECTURES[name]), meta), meta)
    return out


def test_the_browser_prepares_a_drawing_as_lenet_core_does(page):
    rng = np.random.default_rng(28)
    pictures = dataset_pictures(rng) + drawn_pictures(rng)
    assert len(pictures) == 200
    checkpoints = bundles()
    assert {json.loads(text)["input_size"] for text, _ in checkpoints.values()} == {28, 32}
    assert any(mirrored(meta) for _, meta in checkpoints.values())
    page.set_content("<!doctype html><title>prepare</title>")
    page.add_script_tag(path=str(PREPARE_JS))
    page.evaluate("(texts) => { window.BUNDLES = Object.fromEntries(Object.entries(texts)"
                  ".map(([name, text]) => [name, JSON.parse(text)])); }",
                  {name: text for name, (text, _) in checkpoints.items()})
    names = list(checkpoints)
    page.evaluate(WARM_UP, [base64.b64encode(pictures[0].tobytes()).decode(), SIDE, SIDE, WARM_UP_CALLS])

    worst_image, worst_input, times, blanks, notes, longest = 0.0, 0.0, [], 0, 0, []
    for start in range(0, len(pictures), CHUNK):
        chunk = pictures[start:start + CHUNK]
        sent = [{"rgba": base64.b64encode(np.ascontiguousarray(p).tobytes()).decode(),
                 "width": p.shape[1], "height": p.shape[0]} for p in chunk]
        for n, (picture, got) in enumerate(zip(chunk, page.evaluate(PREPARE, [sent, names, REPEATS])), start):
            want = mnist_style(picture)
            if picture.shape[:2] == (SIDE, SIDE):
                times += got["ms"]
            blank = got["image"] is None
            assert blank == want.blank, f"picture {n}: blank {blank}, not {want.blank}"
            assert got["inverted"] == want.inverted, f"picture {n}: inverted {got['inverted']}"
            assert got["note"] == want.note, f"picture {n}: note {got['note']!r}, not {want.note!r}"
            if want.blank:
                blanks += 1
                continue
            notes += want.note is not None
            top, left, bottom, right = want.box
            longest.append(max(bottom - top, right - left))
            assert tuple(got["box"]) == want.box, f"picture {n}: ink box {got['box']}, not {want.box}"
            image = floats(got["image"]).reshape(28, 28)
            difference = float(np.abs(image - want.image).max())
            assert difference <= GREY_LEVEL, f"picture {n}: {difference * 255:.2f} grey levels off"
            worst_image = max(worst_image, difference)
            for name, (_, meta) in checkpoints.items():
                x = model_input(image, meta)[0, 0].numpy()
                expected = [x, x[:, ::-1]] if mirrored(meta) else [x]
                inputs = [floats(text).reshape(x.shape) for text in got["inputs"][name]]
                assert len(inputs) == len(expected), f"picture {n}, {name}: {len(inputs)} inputs"
                for a, b in zip(inputs, expected):
                    gap = float(np.abs(a - b).max())
                    assert gap <= INPUT_TOLERANCE, f"picture {n}, {name}: input {gap:.1e} from model_input"
                    worst_input = max(worst_input, gap)
    # Every path was taken: the blank and faint canvases, the notes, enlarging, no resize, shrinking.
    assert blanks == 2 and notes >= 14
    assert sum(s < 20 for s in longest) >= 10 and 20 in longest and sum(s > 20 for s in longest) >= 150

    median, p95 = np.median(times), np.percentile(times, 95)
    MEASUREMENTS.append(
        f"Browser preparation (prepare.js): 200 pictures, worst {worst_image * 255:.3g} grey levels "
        f"({worst_image:.1e}) from mnist_style, model inputs within {worst_input:.1e} of model_input; "
        f"prepareDrawing on a {SIDE}×{SIDE} canvas: {median:.2f} ms (median), {p95:.2f} ms (95th "
        f"percentile) over {len(times)} calls (target {TIME_TARGET_MS:g} ms), load average "
        f"{os.getloadavg()[0]:.1f}")
