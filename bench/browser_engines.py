"""Question: in the browser, our own interpreter of the layer specs or onnxruntime-web running an
ONNX export? Parity with PyTorch, bytes sent, time per pass, page-ready time, lines we keep.

    .venv/bin/python -m bench.browser_engines [--quick] [--json] [--inputs 100] [--ready-rounds 5] [--no-own]

One headless Chromium page (software only, no GPU) loads both engines, served from
pages/components/net3d by a local HTTP server: forward.js with a checkpoint's bundle
(lenet_core/model/browser.py), and onnxruntime-web (its WASM build, one thread: the page is not
cross-origin isolated, so no shared memory) with the checkpoint's ONNX export whose graph outputs
are every layer's output (lenet_core/model/onnx_export.py). Each network runs the same inputs (test
digits of mnist-5k, prepared by ``model_input``) through both, interleaved (A B, then B A), after a
warm-up; every layer is compared with PyTorch's. Networks: the bundled digit model (lenet-wide),
lenet-classic, lenet5 and lenet-modern with seeded random weights and batch-norm statistics, and a
network of one's own with 6.6 times lenet-wide's multiply-adds (how each engine's time grows).
Page ready: from the request for the page to the first pass done (the engine's code, the model, the
first inference), engines alternating; a first visit in a fresh browser context (nothing cached),
then the same page again (the browser's cache reused). Bytes: what the server sent, and the same
gzip-compressed (what a compressing server would send).
"""

from __future__ import annotations

import base64
import gzip
import http.server
import os
import statistics
import sys
import threading
from pathlib import Path

import numpy as np
import torch

from bench.common import ROOT, Report, at_least, emit, fmt, load_average, log, parser
from lenet_core.data import read_split
from lenet_core.model.architectures import ARCHITECTURES
from lenet_core.model.browser import bundle_json
from lenet_core.model.checkpoints import CheckpointMeta, architecture_of, load_model, pretrained_path
from lenet_core.model.inputs import model_input
from lenet_core.model.onnx_export import onnx_bytes
from lenet_core.model.shapes import shape_table
from tests.e2e.support import CHROMIUM, missing_browser, sync_playwright
from tests.helpers import random_weights

NET3D = ROOT / "pages" / "components" / "net3d"
# scripts/setup.sh --dev installs it beside three.js; LENET_LAB_ORT_WEB names another copy.
ORT_WEB = Path(os.environ.get("LENET_LAB_ORT_WEB", NET3D / "node_modules" / "onnxruntime-web"))
ORT_DIST = ORT_WEB / "dist"
ORT_URL = "/node_modules/onnxruntime-web/dist/"
ORT_MODULE = "ort.wasm.min.mjs"  # the WASM-only build: no WebGPU or WebGL code to load
# As the e2e tests launch it (tests/e2e/support.py adds --disable-quic).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
OWN = "conv(32,5,pad=2) relu maxpool(2) conv(64,5,pad=2) relu maxpool(2) flatten fc(128) relu fc(10)"
OWN_SHORT = "conv(32) conv(64) fc(128)"
CHUNK = 20  # inputs per call into the page: PyTorch's outputs for them travel as base64
WARMUP = 5

# What a page that runs ONNX must hold beside onnxruntime-web itself: load a model, run one input,
# read every output. Counted in "lines we keep".
ORT_GLUE = """\
async function ortModel(url) {
  return ort.InferenceSession.create(url, {executionProviders: ["wasm"]});
}
async function ortForward(session, input, side) {
  const result = await session.run({image: new ort.Tensor("float32", input, [1, 1, side, side])});
  const out = {};
  for (const name of session.outputNames) out[name] = result[name].data;
  return out;
}
"""

PAGE = """<!doctype html><meta charset="utf-8"><title>engines</title>
<script src="/forward.js"></script>
<script>
%GLUE%
const floats = (text) => { const s = atob(text); const u = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i); return new Float32Array(u.buffer); };
async function loadOrt() {
  window.ort = await import("%ORT_URL%%ORT_MODULE%");
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = "%ORT_URL%";
}
async function loadModels(name) {
  window.INTERP = decodeModel(await (await fetch(`/models/${name}.json`)).json());
  window.SESSION = await ortModel(`/models/${name}.onnx`);
  const side = INTERP.input_size, zeros = new Float32Array(side * side);
  for (let i = 0; i < %WARMUP%; i++) { forward(INTERP, zeros); await ortForward(SESSION, zeros, side); }
}
// One call: each input through both engines (A B, then B A), timed; then each layer compared.
async function compare([expected, names, images, first]) {
  const side = INTERP.input_size, engines = {
    interpreter: async (x) => forward(INTERP, x), onnx: async (x) => ortForward(SESSION, x, side)};
  const result = {};
  for (const e in engines) result[e] = {worst: {}, guesses: [], times: []};
  for (let n = 0; n < images.length; n++) {
    const x = floats(images[n]), order = (first + n) % 2 ? ["onnx", "interpreter"] : ["interpreter", "onnx"];
    const outs = {};
    for (const e of order) {
      const start = performance.now();
      outs[e] = await engines[e](x);
      result[e].times.push(performance.now() - start);
    }
    for (const e of order) {
      for (const name of names) {
        const want = floats(expected[n][name]), got = outs[e][name];
        if (!got || got.length !== want.length) throw new Error(`${e} ${name}: ${got && got.length} values`);
        let w = result[e].worst[name] || 0;
        for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i] - want[i]));
        result[e].worst[name] = w;
      }
      const last = outs[e][names[names.length - 1]];
      result[e].guesses.push(last.indexOf(Math.max(...last)));
    }
  }
  return result;
}
</script>"""

# A first visit: only one engine's code, its model, one pass. ``window.READY``: ms since the request.
READY_PAGE = """<!doctype html><meta charset="utf-8"><title>ready</title>
<script type="module">
%GLUE%
const [engine, name] = new URLSearchParams(location.search).values();
const side = Number(new URLSearchParams(location.search).get("side"));
const zeros = new Float32Array(side * side);
if (engine === "interpreter") {
  await new Promise((done) => { const s = document.createElement("script"); s.src = "/forward.js";
    s.onload = done; document.head.append(s); });
  forward(decodeModel(await (await fetch(`/models/${name}.json`)).json()), zeros);
} else {
  window.ort = await import("%ORT_URL%%ORT_MODULE%");
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = "%ORT_URL%";
  await ortForward(await ortModel(`/models/${name}.onnx`), zeros, side);
}
window.READY = performance.now();
</script>"""


def page_text(template: str) -> bytes:
    tokens = {"GLUE": ORT_GLUE, "ORT_URL": ORT_URL, "ORT_MODULE": ORT_MODULE, "WARMUP": WARMUP}
    for token, value in tokens.items():
        template = template.replace(f"%{token}%", str(value))
    return template.encode()


class Server(http.server.ThreadingHTTPServer):
    """pages/components/net3d and the bench's own files (the pages, the models); counts the bytes
    of each path it sends."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.files: dict[str, bytes] = {"/engines.html": page_text(PAGE),
                                        "/ready.html": page_text(READY_PAGE)}
        self.sent: dict[str, int] = {}
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript",
                      ".wasm": "application/wasm", ".json": "application/json",
                      ".onnx": "application/octet-stream", "": "application/octet-stream"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(NET3D), **kwargs)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        body = self.server.files.get(path)
        if body is None:
            file = local_file(path)
            if file is None:
                self.send_error(404)
                return
            body = file.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=3600")  # a second visit may reuse it
        self.end_headers()
        self.wfile.write(body)
        with self.server.lock:
            self.server.sent[path] = self.server.sent.get(path, 0) + len(body)

    def log_message(self, *args):
        pass


def local_file(path: str) -> Path | None:
    """The file a URL path names: onnxruntime-web's under ``ORT_URL``, else pages/components/net3d's."""
    folder, rest = (ORT_DIST, path[len(ORT_URL):]) if path.startswith(ORT_URL) else (NET3D, path)
    file = (folder / rest.lstrip("/")).resolve()
    return file if folder.resolve() in file.parents and file.is_file() else None


def networks(own: bool = True):
    """(label, model, meta): the bundled model, three built-ins with seeded weights, and a network
    of one's own well inside what trains here (limits.py), with 6.6 times lenet-wide's work."""
    model, meta = load_model(pretrained_path("digits"))
    yield f"bundled {meta.arch}", model, meta
    digits = [str(d) for d in range(10)]
    for name in ("lenet-classic", "lenet5", "lenet-modern"):
        yield name, random_weights(ARCHITECTURES[name]), CheckpointMeta(name, "mnist", digits, 0.1307, 0.3081)
    if own:
        meta = CheckpointMeta("wider-own", "mnist", digits, 0.1307, 0.3081, layers=OWN)
        yield "own: " + OWN_SHORT, random_weights(architecture_of(meta)), meta


def floats(tensor: torch.Tensor) -> str:
    return base64.b64encode(tensor.detach().float().contiguous().numpy().astype("<f4").tobytes()).decode()


def every_layer(model, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """PyTorch's output of each layer for the batch ``x``."""
    out = {}
    with torch.inference_mode():
        for name, module in model.named_children():
            x = out[name] = module(x)
    return out


def compare(page, model, meta, pictures: np.ndarray) -> dict:
    names = [n for n, _ in model.named_children()]
    x = model_input(pictures, meta)
    want = every_layer(model, x)
    result = {e: {"worst": dict.fromkeys(names, 0.0), "guesses": [], "times": []}
              for e in ("interpreter", "onnx")}
    for start in range(0, len(x), CHUNK):
        expected = [{n: floats(want[n][i]) for n in names} for i in range(start, min(start + CHUNK, len(x)))]
        images = [floats(x[i]) for i in range(start, start + len(expected))]
        got = page.evaluate("compare", [expected, names, images, start])
        for e, r in got.items():
            result[e]["worst"] = {n: max(result[e]["worst"][n], r["worst"][n]) for n in names}
            result[e]["guesses"] += r["guesses"]
            result[e]["times"] += r["times"]
    torch_guesses = want[names[-1]].argmax(1).tolist()
    for r in result.values():
        r["agree"] = sum(a == b for a, b in zip(r["guesses"], torch_guesses))
        r["worst_layer"] = max(r["worst"].values())
        r["median_ms"] = statistics.median(r["times"])
        # performance.now() is coarsened to 0.1 ms here (no cross-origin isolation): the mean of
        # many passes is finer than any one.
        r["mean_ms"] = statistics.fmean(r["times"])
        r["p95_ms"] = float(np.percentile(r["times"], 95))
        del r["guesses"]
    return result


def page_ready(browser, server: Server, name: str, side: int, rounds: int) -> dict[str, dict[str, list]]:
    """Milliseconds from the request for a page to its first pass done, engines alternating: a
    first visit (a fresh browser context, nothing cached) and a second (the same page again, what
    the first left in the browser's cache reused)."""
    times = {engine: {"first": [], "second": []} for engine in ("interpreter", "onnx")}
    for r in range(rounds):
        for engine in (["interpreter", "onnx"] if r % 2 == 0 else ["onnx", "interpreter"]):
            context = browser.new_context()
            page = context.new_page()
            for visit in ("first", "second"):
                page.goto(f"{server.url}/ready.html?engine={engine}&name={name}&side={side}")
                page.wait_for_function("window.READY !== undefined", timeout=120_000)
                times[engine][visit].append(page.evaluate("window.READY"))
            context.close()
    return times


def runtime_bytes(browser, server: Server, name: str, side: int) -> dict[str, int]:
    """What a first visit of the ONNX engine fetched beside the page and the model: the path of
    each file of onnxruntime-web and its bytes."""
    context = browser.new_context()
    server.sent.clear()
    context.new_page().goto(f"{server.url}/ready.html?engine=onnx&name={name}&side={side}")
    context.pages[0].wait_for_function("window.READY !== undefined", timeout=120_000)
    context.close()
    return {path: size for path, size in server.sent.items() if path.startswith(ORT_URL)}


def lines(path: Path) -> int:
    return len(path.read_text().splitlines())


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--inputs", type=at_least(1), help="test digits per network (default 100; --quick 10)")
    p.add_argument("--ready-rounds", type=at_least(1),
                   help="fresh page loads per engine (default 5; --quick 1)")
    p.add_argument("--no-own", action="store_true", help="the four built-in networks only")
    args = p.parse_args(argv)
    if reason := missing_browser():
        sys.exit(f"error: {reason}")
    if not (ORT_DIST / ORT_MODULE).is_file():
        sys.exit(f"error: onnxruntime-web is not in {ORT_WEB}: bash scripts/setup.sh --dev installs it "
                 "(or set LENET_LAB_ORT_WEB to a copy)")
    count = args.inputs or (10 if args.quick else 100)
    rounds = args.ready_rounds or (1 if args.quick else 5)
    digits, _ = read_split("mnist-5k", "test")
    pictures = np.asarray(digits[::max(1, len(digits) // count)][:count])
    torch.set_num_threads(1)

    server = Server()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    found, sizes, macs, ready, ort_files = {}, {}, {}, {}, {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                 args=CHROMIUM_ARGS)
            version = browser.version
            page = browser.new_page()
            page.goto(f"{server.url}/engines.html")
            page.evaluate("loadOrt()")
            for n, (label, model, meta) in enumerate(networks(own=not args.no_own)):
                key = f"net{n}"
                bundle = bundle_json(model, meta).encode()
                graph = onnx_bytes(model, meta, every_layer=True)
                server.files[f"/models/{key}.json"], server.files[f"/models/{key}.onnx"] = bundle, graph
                macs[label] = shape_table(architecture_of(meta)).total_macs
                sizes[label] = {"interpreter": len(bundle), "onnx": len(graph),
                                "interpreter_gzip": gzipped(bundle), "onnx_gzip": gzipped(graph)}
                page.evaluate("(name) => loadModels(name)", key)
                found[label] = compare(page, model, meta, pictures)
                log(f"{label}: {found[label]['interpreter']['median_ms']:.2f} ms interpreter, "
                    f"{found[label]['onnx']['median_ms']:.2f} ms onnx")
            side = architecture_of(next(networks())[2]).input_size  # the bundled model: net0
            ready = page_ready(browser, server, "net0", side, rounds)
            ort_files = runtime_bytes(browser, server, "net0", side)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()

    ort_gzip = sum(gzipped(local_file(path).read_bytes()) for path in ort_files)
    keep = {"interpreter": {"pages/components/net3d/forward.js": lines(NET3D / "forward.js"),
                            "lenet_core/model/browser.py": lines(ROOT / "lenet_core/model/browser.py")},
            "onnx": {"lenet_core/model/onnx_export.py": lines(ROOT / "lenet_core/model/onnx_export.py"),
                     "page glue (ORT_GLUE here)": len(ORT_GLUE.splitlines())}}
    load = load_average()
    out = Report("In the browser: our interpreter (forward.js) against onnxruntime-web (ONNX, WASM)",
                 f"Chromium {version} headless, software; onnxruntime-web WASM, 1 thread; {count} mnist-5k "
                 f"test digits per network, interleaved; page ready: {rounds} fresh loads per engine; "
                 f"load average {fmt(load, '.2f')}. Pairs read interpreter / ONNX.")
    for label, r in found.items():
        i, o = r["interpreter"], r["onnx"]
        out.row(f"{label}: multiply-adds a pass", f"{macs[label]:,}",
                f"{macs[label] / i['median_ms'] / 1e3:.0f} / {macs[label] / o['median_ms'] / 1e3:.0f} "
                "million a second (median pass)")
        out.row(f"{label}: furthest layer from PyTorch", f"{i['worst_layer']:.1e} / {o['worst_layer']:.1e}")
        out.row(f"{label}: first guess as PyTorch's", f"{i['agree']}/{count} / {o['agree']}/{count}")
        out.row(f"{label}: a pass, every layer, median ms", f"{i['median_ms']:.2f} / {o['median_ms']:.2f}")
        out.row(f"{label}: a pass, mean ms", f"{i['mean_ms']:.2f} / {o['mean_ms']:.2f}")
        out.row(f"{label}: a pass, 95th percentile ms", f"{i['p95_ms']:.2f} / {o['p95_ms']:.2f}")
        s = sizes[label]
        out.row(f"{label}: model bytes (gzip)", f"{s['interpreter']:,} ({s['interpreter_gzip']:,}) / "
                f"{s['onnx']:,} ({s['onnx_gzip']:,})")
    out.row("onnxruntime-web, once per page: bytes (gzip)",
            f"{sum(ort_files.values()):,} ({ort_gzip:,})", ", ".join(Path(f).name for f in ort_files))
    for visit, note in (("first", "nothing cached"), ("second", "the first visit's files cached")):
        out.row(f"page ready (load + first pass), {visit} visit, median ms",
                f"{statistics.median(ready['interpreter'][visit]):.0f} / "
                f"{statistics.median(ready['onnx'][visit]):.0f}", f"bundled model, {note}")
    out.row("lines we keep", f"{sum(keep['interpreter'].values())} / {sum(keep['onnx'].values())}",
            "+ onnxruntime-web (npm) for ONNX")
    out.figures = {"networks": found, "model_bytes": sizes, "multiply_adds": macs, "runtime_bytes": ort_files,
                   "runtime_bytes_gzip": ort_gzip, "page_ready_ms": ready, "lines": keep, "inputs": count,
                   "ready_rounds": rounds, "chromium": version, "load_average": load}
    emit(out, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
