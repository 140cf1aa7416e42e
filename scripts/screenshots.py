"""Pictures of every page, taken from the real dashboard in Chromium.

    .venv/bin/python scripts/screenshots.py                 # remake docs/screenshots/*.png
    .venv/bin/python scripts/screenshots.py --review DIR    # every page, whole height, 1280 and 1440 px

The README and the Home page show ``docs/screenshots/<page>.png``; run this again when a page
changes. It fills a scratch home folder as a user would (two short runs and a small sweep on MNIST
5k, with the project's own CLI: about a minute on two cores), starts the dashboard on it with
``scripts/start.sh``, draws a digit on the Draw page, and photographs each page at 1280 px wide.
``--review`` shoots the whole height of every page (and the Sweeps view) at each width, for a look
before a change is called done.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the checkout's packages, installed or not

from PIL import Image  # noqa: E402

from tests.e2e.drawing import hover_canvas, stroke  # noqa: E402
from tests.e2e.support import (  # noqa: E402
    CHROMIUM,
    WEBGL_ARGS,
    expect,
    missing_browser,
    open_app,
    save_page,
    start_app,
    sync_playwright,
    wait_drawn,
    wait_for_run,
)
from tests.e2e.view3d import element, unit_on_screen  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
WIDTH, HEIGHT = 1280, 800  # the README's pictures: the narrowest layout we support
# (file stem, address, what to do before the shot)
# Home last: its cards show the other pages' new pictures.
PAGES = [("shapes", "shapes", None), ("designer", "designer", "designer"),
         ("training", "training", "training"), ("sweeps", "training", "sweeps"),
         ("draw", "draw", "draw"), ("network3d", "network3d", "network3d"), ("explorer", "explorer", None),
         ("home", "", None)]
# A "2" as a person draws it on the canvas: a hook, a diagonal, a base (fractions of the canvas).
TWO = [[(0.3, 0.3), (0.4, 0.2), (0.55, 0.18), (0.68, 0.26), (0.68, 0.4), (0.55, 0.55), (0.4, 0.68),
        (0.3, 0.8), (0.5, 0.8), (0.72, 0.8)]]

# The sweep first: the Training page opens on the newest run, the last one here.
SEED_COMMANDS = [
    ["sweep", "--dataset", "mnist-5k", "--arch", "lenet-modern", "--optimizer", "adam", "--epochs", "2",
     "--grid", "lr=0.001,0.003,0.01", "--grid", "batch_size=64,128", "--name", "adam: learning rate × batch"],
    ["train", "--preset", "tutorial", "--dataset", "mnist-5k", "--epochs", "4",
     "--name", "the tutorial's recipe on digits"],
    ["train", "--dataset", "mnist-5k", "--arch", "lenet-modern", "--optimizer", "adam", "--lr", "0.003",
     "--batch-size", "128", "--epochs", "4", "--name", "lenet-modern, Adam"],
]


def seed(home: Path) -> None:
    """Fill ``home`` with what a user has after a first session: runs and a sweep."""
    env = {"LENET_LAB_HOME": str(home), "PATH": str(Path(sys.executable).parent)}
    for command in SEED_COMMANDS:
        print("[screenshots]", "lenet-lab", *command, flush=True)
        subprocess.run([sys.executable, "-m", "lenet_core", *command], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)


def scroll_main(page, pixels: int) -> None:
    """Scroll the page's main area (Streamlit scrolls it, not the window) down by ``pixels``."""
    page.evaluate(f"document.querySelector('[data-testid=stMain]').scrollTo(0, {pixels})")


def prepare(page, action: str | None) -> None:
    """Bring a page to the state its picture shows."""
    main = page.get_by_test_id("stMain")
    if action == "training":  # the run's panel and its curves, under the page's title
        expect(main.get_by_role("heading", name="Result on the test set")).to_be_visible()
        scroll_main(page, 225)
    elif action == "sweeps":  # the ranked trials and each setting against the metric
        main.get_by_text("Sweeps", exact=True).click()
        expect(main.get_by_text("Each setting against test accuracy")).to_be_visible()
        wait_for_run(page)
        scroll_main(page, 230)
    elif action == "designer":  # an exercise loaded: its list of layers and its shapes
        main.get_by_text("The tutorial's exercises", exact=True).click()
        main.get_by_role("button", name="A third convolution").click()
        wait_for_run(page)
        expect(main.get_by_text("Editing the exercise")).to_be_visible()
        main.get_by_role("heading", name="Layers").evaluate("e => e.scrollIntoView()")
    elif action == "network3d":  # a 2 drawn on the pad, conv2's strongest unit pointed at: its lines
        frame = element(page)
        frame.locator(".net3d-pad").scroll_into_view_if_needed()
        box = frame.locator("canvas.net3d-pad").bounding_box()
        for points in TWO:
            stroke(page, points, box, steps=6)
        expect(frame.locator(".net3d-first")).to_be_visible()
        scroll_main(page, 300)
        page.wait_for_timeout(300)
        strongest = frame.evaluate("""() => {  // among the middle third of conv2's maps
            const a = window.__net3d, p = a.spec.planes.findIndex((q) => q.name === "conv2");
            const v = a.values[p], per = v.length / a.spec.planes[p].shape[0], from = 12 * per;
            const middle = v.slice(from, 20 * per); return from + middle.indexOf(Math.max(...middle)); }""")
        page.mouse.move(*unit_on_screen(page, frame, "conv2", strongest))
        page.wait_for_timeout(500)
    elif action == "draw":
        box = hover_canvas(page)
        page.wait_for_timeout(400)  # the canvas's toolbar fades in over its top-right corner
        for points in TWO:
            stroke(page, points, box, steps=6)
        page.wait_for_function("() => /First guess: [0-9]/.test(document.body.innerText)")
        wait_for_run(page)
        page.wait_for_timeout(1500)  # the 3D view draws in software WebGL


def shoot(page, server, out: Path, width: int, whole: bool, only: list[str] | None = None) -> list[Path]:
    page.set_viewport_size({"width": width, "height": HEIGHT})
    saved = []
    for stem, address, action in PAGES:
        if only and stem not in only:
            continue
        open_app(page, server, address)
        prepare(page, action)
        wait_drawn(page)
        name = f"{stem}-{width}" if whole else stem
        if whole:
            saved.append(save_page(page, out / name)[0])
            continue
        path = out / f"{name}.png"
        page.screenshot(path=path)
        _shrink(path)
        saved.append(path)
    return saved


def _shrink(path: Path) -> None:
    """256 colours: a page's flat colours survive, and the file is a fifth of the size."""
    image = Image.open(path).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--review", type=Path, metavar="DIR",
                        help="shoot every page's whole height at each --widths into DIR instead")
    parser.add_argument("--widths", default="1280,1440", help="with --review (default: 1280,1440)")
    parser.add_argument("--only", nargs="+", metavar="PAGE", choices=[stem for stem, _, _ in PAGES],
                        help="just these pictures (default: every page's)")
    parser.add_argument("--home", type=Path, help="the home folder to show, filled with two runs and a "
                        "sweep first if it has no runs (default: a scratch one)")
    args = parser.parse_args()
    if reason := missing_browser():
        sys.exit(f"error: {reason}")
    with tempfile.TemporaryDirectory(prefix="lenet-shots-") as scratch:
        home = args.home or Path(scratch) / "lab"
        if not (home / "runs.db").exists():
            home.mkdir(parents=True, exist_ok=True)
            seed(home)
        server = start_app(home, Path(scratch) / "streamlit.log")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                     args=WEBGL_ARGS)
                page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
                page.set_default_timeout(90_000)
                saved = []
                if args.review:
                    for width in (int(w) for w in args.widths.split(",")):
                        saved += shoot(page, server, args.review, width, whole=True, only=args.only)
                else:
                    OUT.mkdir(parents=True, exist_ok=True)
                    saved = shoot(page, server, OUT, WIDTH, whole=False, only=args.only)
                browser.close()
        finally:
            server.stop()
    for path in saved:
        print("[screenshots]", path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
