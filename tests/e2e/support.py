"""What the real-browser tests share: starting and stopping the app, finding Chromium, waiting.

Playwright is imported here, guarded, so that test modules still import (and then skip, or fail
under ``CI=true``, from the fixtures) on a machine without it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # reported by missing_browser(); the fixtures skip or fail on it
    Page = expect = sync_playwright = None

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("LENET_LAB_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags Chromium keeps calling hosts this closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# The 3D view needs WebGL: Chromium's software renderer (SwiftShader through ANGLE) instead of
# --disable-gpu, which turns WebGL off.
WEBGL_ARGS = [a for a in CHROMIUM_ARGS if a != "--disable-gpu"] + [
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"]
# The first run of a page imports torch and reads datasets: seconds on a busy two-core machine.
LOAD_TIMEOUT_MS = 90_000
STEP_TIMEOUT_MS = 30_000
SERVER_START_TIMEOUT_S = 60
# Figures the tests measured (e.g. drawing latency): the terminal summary prints them.
MEASUREMENTS: list[str] = []


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing_browser() -> str | None:
    """Why the real-browser tests cannot run here, or None when they can."""
    if sync_playwright is None:
        return "Playwright is not installed (pip install -r requirements-dev.txt)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium is not at {CHROMIUM} (apt-get install chromium, or bash scripts/setup.sh --dev)"
    return None


# ---- the app under test ---------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class AppServer:
    """A running dashboard: its address, home folder and log."""

    process: subprocess.Popen
    url: str
    home: Path
    log: Path

    def page_url(self, path: str = "") -> str:
        return f"{self.url}/{path.lstrip('/')}"

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def runs_report(self, lines: int = 15) -> str:
        """Each run of the home folder's store (status, error) and the last lines of its worker's
        log: what a journey that waited on a run in vain has to say about that run."""
        from lenet_core import paths, runs

        if not paths.db_path(self.home).exists():
            return "no run store in the home folder"
        said = []
        for run in runs.RunStore(self.home).list():
            said.append(f"{run.id} {run.name!r}: {run.status}, pid {run.pid}, error {run.error!r}")
            log = runs.run_dir(run.id, self.home) / "worker.log"
            if log.exists():
                said += ["    " + line for line in log.read_text(errors="replace").splitlines()[-lines:]]
        return "\n".join(said) or "no runs"

    def stop(self) -> None:
        # Streamlit leads its own process group (start_new_session): end the group, not a name.
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=5)  # a graceful stop; nothing of the test's is left to save
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


# Options for a server under test (after the README's defaults in .streamlit/config.toml).
# Nothing edits the code during a test; watching the tree (.venv included) only costs.
# The address is left to .streamlit/config.toml (127.0.0.1), as a user's start leaves it.
TEST_OPTIONS = ["--server.headless", "true", "--browser.gatherUsageStats", "false",
                "--server.fileWatcherType", "none"]
# The two ways a person starts the dashboard: the README's start command, and what every
# Streamlit user types.
LAUNCHERS = {
    "start.sh": lambda port: ["bash", "scripts/start.sh", *TEST_OPTIONS],
    "streamlit run": lambda port: [str(Path(sys.executable).parent / "streamlit"), "run", "app.py",
                                   "--server.port", str(port), *TEST_OPTIONS],
}


def start_app(home: Path, log: Path, launcher: str = "start.sh", tree: Path = ROOT,
              env: dict[str, str] | None = None) -> AppServer:
    """Start the dashboard on a free port with ``LENET_LAB_HOME=home``; return once it is healthy.

    ``launcher``: ``start.sh`` (the README's start command: install check, then ``streamlit run
    app.py``) or ``streamlit run`` (plain ``streamlit run app.py``). ``tree``: the checkout to
    serve (a bench serves an older one beside this); ``env``: more environment variables.
    """
    port = free_port()
    env = dict(os.environ, LENET_LAB_HOME=str(home), LENET_LAB_PORT=str(port), **(env or {}))
    with log.open("w") as out:
        process = subprocess.Popen(LAUNCHERS[launcher](port), cwd=tree, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = AppServer(process, f"http://127.0.0.1:{port}", home, log)
    try:
        wait_healthy(server)
    except BaseException:
        server.stop()
        raise
    return server


def wait_healthy(server: AppServer) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.page_url("_stcore/health"), timeout=2) as reply:
                if reply.read().strip() == b"ok":
                    return
        except OSError:
            pass  # not listening yet
        time.sleep(0.1)  # polling a server that is starting, not waiting on the page
    raise RuntimeError(f"streamlit was not healthy after {SERVER_START_TIMEOUT_S} s:\n{server.log_tail()}")


# ---- waiting on the page --------------------------------------------------------------------

def app_root(page: Page):
    return page.locator('[data-testid="stApp"]')


def wait_for_run(page: Page, timeout: float = STEP_TIMEOUT_MS) -> None:
    """Wait until the script run the last action caused has finished and its output is on screen.

    ``data-test-script-state`` goes initial → running → notRunning; only "notRunning" means that
    every element of this run has been drawn (earlier, lines below a changed one can be stale).
    """
    expect(app_root(page)).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)


def open_app(page: Page, server: AppServer, path: str = "") -> None:
    """Open a page of the app and wait for its first run to finish."""
    page.goto(server.page_url(path))
    wait_for_run(page, timeout=LOAD_TIMEOUT_MS)
    assert_no_exception(page)


def open_expander(page: Page, title: str):
    """Open the expander titled ``title`` and wait until it has finished opening; return it.

    Its content slides in for about half a second (a CSS animation), and the page may scroll
    meanwhile: a click on a button inside it then was seen to go down on the button and come up
    60 px beside it, and the click was lost. So nothing is clicked in it before the animations end.
    """
    expander = page.get_by_test_id("stExpander").filter(has=page.get_by_text(title, exact=True))
    expander.get_by_text(title, exact=True).click()
    expander.locator("details[open]").wait_for()
    expander.element_handle().wait_for_element_state("stable")
    page.wait_for_function("el => el.getAnimations({subtree: true}).length === 0",
                           arg=expander.element_handle())
    return expander


def heading(page: Page, text: str):
    return page.get_by_role("heading", name=text, exact=True, level=1)


def go_to(page: Page, link: str, title: str) -> None:
    """Open a page the way a user does, by its link in the sidebar, and wait until it is drawn.

    The new page's title appears only once its own run has started, so "notRunning" after it
    is that run's end, not the previous page's.
    """
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=link, exact=True).click()
    expect(heading(page, title)).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    wait_for_run(page, timeout=LOAD_TIMEOUT_MS)
    assert_no_exception(page)


def assert_no_exception(page: Page) -> None:
    """No exception box and no traceback text anywhere on the page."""
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("Traceback")


# Images decoded and charts drawn: Streamlit shows grey placeholders until both are done.
DRAWN = """() => [...document.images].every(img => img.complete)
  && document.querySelectorAll('[data-testid="stSkeleton"]').length === 0
  && [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
       .every(chart => chart.querySelector('canvas, svg'))"""


def wait_drawn(page: Page, timeout: float = 10_000) -> None:
    """Wait until every image on the page is decoded and every chart drawn (best effort for a
    screenshot: a page still drawing after ``timeout`` is shot as it is)."""
    try:
        page.wait_for_function(DRAWN, timeout=timeout)
    except Exception:  # Playwright's TimeoutError: the picture is still worth saving
        pass


def save_page(page: Page, stem: Path) -> list[Path]:
    """Screenshot (the whole page, not just the window) and HTML of ``page``, as ``stem``.png/.html.

    Streamlit scrolls inside ``stMain``, so a "full page" screenshot stops at the window: the
    window is made as tall as the content for the shot, then put back.
    """
    stem.parent.mkdir(parents=True, exist_ok=True)
    html = stem.with_suffix(".html")
    html.write_text(page.content())
    shot = stem.with_suffix(".png")
    size = page.viewport_size
    wait_drawn(page)
    for _ in range(3):  # a taller window draws more lazily shown content, which can grow the page
        height = page.evaluate("() => document.querySelector('[data-testid=stMain]')?.scrollHeight || 0")
        current = page.viewport_size
        if not size or not current or height <= current["height"]:
            break
        page.set_viewport_size({"width": size["width"], "height": min(int(height), 12_000)})
        wait_drawn(page)
    try:
        page.screenshot(path=shot, full_page=True)
    finally:
        if size:
            page.set_viewport_size(size)
    return [shot, html]


def sidebar(page):
    return page.get_by_test_id("stSidebar")


def status_badge(page):
    return page.get_by_test_id("stMain").locator("span.stMarkdownBadge").first
