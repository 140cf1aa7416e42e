"""Question: what does one rerun of each page cost on the server, what runs on every rerun, and how
long does each page take to load in a browser?

    .venv/bin/python -m bench.page_reruns [--quick] [--json] [--rounds 5] [--before REF]
    .venv/bin/python -m bench.page_reruns --profile training     # the costliest calls of one rerun

Every widget change reruns its page's script (or its fragment). Each page runs here in Streamlit's
AppTest, exactly the script the server runs, on a scratch home holding one finished run and a
two-trial sweep (the Draw page with a digit drawn): the first run (imports, caches) is left out and
the next ``--rounds`` reruns are timed in the script's own thread. Then Chromium opens each page of
a real server on the same home and the time from the request to the page idle is taken, and the
time from an edit of the Sweep form's space to its trial count shown. With
``--before REF`` the code at git ``REF`` is measured the same way beside the working tree, in
processes of their own, trees alternating each round; medians are quoted. ``--profile PAGE`` prints
the 25 costliest calls of one rerun of that page (cProfile in the script's thread).
"""

from __future__ import annotations

import base64
import cProfile
import io
import json
import pstats
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PAGES = ("home", "shapes", "training", "draw", "explorer")
SEED = [["train", "--dataset", "mnist-5k", "--arch", "lenet-modern", "--optimizer", "adam", "--lr", "0.003",
         "--batch-size", "128", "--epochs", "2", "--train-subset", "2000", "--name", "bench run"],
        ["sweep", "--dataset", "mnist-5k", "--arch", "lenet-modern", "--optimizer", "adam", "--epochs", "1",
         "--train-subset", "1000", "--grid", "lr=0.001,0.003", "--name", "bench sweep"]]


# ---- inside a worker process: one tree's pages in AppTest ---------------------------------------

def drawing_state() -> dict:
    """The Draw page's canvas value for a "7", as the browser sends it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (280, 280), "black")
    ImageDraw.Draw(image).line([(60, 50), (220, 50), (110, 250)], fill="white", width=20, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": url}, "backgroundFit": None}


def open_page(tree: Path, page: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(tree / "app.py"), default_timeout=120).run()
    if page != "home":
        at.switch_page(f"pages/views/{page}.py").run()
    if page == "draw":
        at.session_state["draw_canvas"] = drawing_state()
        at.run()
    return at


def time_reruns(tree: Path, rounds: int) -> dict[str, list[float]]:
    """Milliseconds of each rerun of each page, after its first run."""
    out = {}
    for page in PAGES:
        at = open_page(tree, page)
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            at.run()
            times.append((time.perf_counter() - start) * 1000)
        if at.exception:
            raise SystemExit(f"{page}: {at.exception[0].value}")
        out[page] = times
    return out


def profile_rerun(tree: Path, page: str, top: int = 25) -> str:
    """cProfile of one rerun, in the thread that runs the script (AppTest starts one a run)."""
    at = open_page(tree, page)
    profiler = cProfile.Profile()

    def start_in_script_thread(frame, event, arg):
        sys.setprofile(None)
        profiler.enable()

    threading.setprofile(start_in_script_thread)
    try:
        at.run()
    finally:
        threading.setprofile(None)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(top * 4)
    ours = [line for line in text.getvalue().splitlines()
            if str(tree) in line or "altair" in line or "streamlit/elements" in line]
    return "\n".join(ours[:top])


def worker(tree: Path, rounds: int) -> None:
    sys.path.insert(0, str(tree))
    print(json.dumps(time_reruns(tree, rounds)))


# ---- the driver ---------------------------------------------------------------------------------

def seed(home: Path) -> None:
    from bench.common import ROOT, log

    for command in SEED:
        log(f"seeding: lenet-lab {' '.join(command)}")
        subprocess.run([sys.executable, "-m", "lenet_core", *command], cwd=ROOT, check=True,
                       env=_env(ROOT, home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _env(tree: Path, home: Path) -> dict[str, str]:
    import os

    return {**os.environ, "LENET_LAB_HOME": str(home), "PYTHONPATH": str(tree)}


def run_worker(tree: Path, home: Path, rounds: int) -> dict[str, list[float]]:
    done = subprocess.run([sys.executable, __file__, "--worker", str(tree), str(rounds)], cwd=tree,
                          env=_env(tree, home), capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"the page reruns of {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def browser_loads(tree: Path, home: Path, folder: Path, rounds: int) -> dict[str, list[float]]:
    """Seconds from asking for each page to its first run drawn, in Chromium."""
    from tests.e2e.support import CHROMIUM, CHROMIUM_ARGS, open_app, start_app, sync_playwright

    server = start_app(home, folder / f"streamlit-{tree.name}.log", "streamlit run", tree=tree,
                       env={"PYTHONPATH": str(tree)})
    out: dict[str, list[float]] = {page: [] for page in PAGES}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                 args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            open_app(page, server)  # the server's first run imports torch: not a page's cost
            for _ in range(rounds):
                for name in PAGES:
                    start = time.perf_counter()
                    open_app(page, server, "" if name == "home" else name)
                    out[name].append(time.perf_counter() - start)
            open_app(page, server, "training")
            out[SWEEP_EDIT] = sweep_edits(page, rounds * 3)
            browser.close()
    finally:
        server.stop()
    return out


SWEEP_EDIT = "training: an edit of the sweep space"


def sweep_edits(page, count: int) -> list[float]:
    """Seconds from committing an edit of the Sweep form's space (Ctrl+Enter) to the trial count
    shown and the page idle."""
    from tests.e2e.support import expect, wait_for_run

    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("New sweep", exact=True).click()
    wait_for_run(page)
    area = sidebar.get_by_label("Search space", exact=True)
    times = []
    for k in range(count):
        values = ", ".join(f"0.0{j + 1}" for j in range(2 + k % 5))
        start = time.perf_counter()
        area.fill(f"lr = {values}")
        area.press("Control+Enter")
        expect(sidebar).to_contain_text(f"{2 + k % 5} trials")
        wait_for_run(page)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(Path(sys.argv[2]), int(sys.argv[3]))
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.common import ROOT, Report, at_least, emit, fmt, load_average, log, median, parser
    from bench.stroke_repaint import export

    p = parser(__doc__)
    p.add_argument("--rounds", type=at_least(1), help="reruns per page and round (default 5; --quick 2)")
    p.add_argument("--before", metavar="REF", help="also measure the code at this git ref, side by side")
    p.add_argument("--profile", choices=PAGES, help="print the costliest calls of one rerun of this page")
    p.add_argument("--no-browser", action="store_true", help="the AppTest reruns only")
    args = p.parse_args()
    rounds = args.rounds or (2 if args.quick else 5)
    with tempfile.TemporaryDirectory(prefix="lenet-bench-") as scratch:
        folder = Path(scratch)
        home = folder / "lab"
        home.mkdir()
        seed(home)
        if args.profile:
            sys.path.insert(0, str(ROOT))
            import os

            os.environ["LENET_LAB_HOME"] = str(home)
            print(profile_rerun(ROOT, args.profile))
            return
        trees = {"working tree": ROOT}
        if args.before:
            trees = {f"before ({args.before})": export(args.before, folder), **trees}
        load = load_average()
        reruns: dict[str, dict[str, list[float]]] = {name: {p: [] for p in PAGES} for name in trees}
        loads: dict[str, dict[str, list[float]]] = {name: {p: [] for p in (*PAGES, SWEEP_EDIT)}
                                                    for name in trees}
        for k in range(2 if not args.quick else 1):  # A B, then B A
            for name, tree in (list(trees.items()) if k % 2 == 0 else list(trees.items())[::-1]):
                log(f"round {k + 1}: {name}")
                for page, times in run_worker(tree, home, rounds).items():
                    reruns[name][page] += times
                if not args.no_browser:
                    for page, times in browser_loads(tree, home, folder, 1).items():
                        loads[name][page] += times
    out = Report("One rerun of each page (server, AppTest) and a page load in Chromium",
                 f"medians; {rounds} reruns a page a round; load average {fmt(load, '.1f')}")
    figures = {}
    for name in trees:
        for page in PAGES:
            rerun, opened = median(reruns[name][page]), median(loads[name][page])
            out.row(f"{name}: {page} rerun", fmt(rerun, ".0f", " ms"))
            out.row(f"{name}: {page} page load", fmt(opened, ".2f", " s"))
            tree = figures.setdefault(name, {"pages": {}})
            tree["pages"][page] = {"rerun_ms": rerun, "page_load_s": opened}
        edit = median(loads[name][SWEEP_EDIT])
        out.row(f"{name}: {SWEEP_EDIT}", fmt(edit, ".2f", " s"))
        figures[name]["sweep_edit_s"] = edit
    out.figures = {"trees": figures, "load_average": load, "rounds": rounds}
    emit(out, args.json)


if __name__ == "__main__":
    main()
