"""Fixtures for the real-browser tests: one app server per test module (its own temporary
``LENET_LAB_HOME``), one Chromium for the session, a fresh browser page per test, and a
screenshot plus the page's HTML under ``test-artifacts/`` for every failed test.

Without Playwright or Chromium these tests skip, saying which is missing; with ``CI=true`` they
fail instead, so that CI never passes without having run them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    LAUNCHERS,
    MEASUREMENTS,
    STEP_TIMEOUT_MS,
    WEBGL_ARGS,
    expect,
    in_ci,
    missing_browser,
    save_page,
    start_app,
    sync_playwright,
)

HERE = Path(__file__).resolve().parent


def _is_e2e(item: pytest.Item) -> bool:
    return HERE in Path(item.path).resolve().parents


def pytest_collection_modifyitems(config, items):
    reason = missing_browser()
    for item in items:
        if not _is_e2e(item):
            continue
        item.add_marker(pytest.mark.e2e)
        item.add_marker(pytest.mark.slow)  # a browser and a server: not for the quick loop
        if reason and not in_ci():
            item.add_marker(pytest.mark.skip(reason=f"real-browser test: {reason}"))


@pytest.fixture(scope="session")
def playwright():
    reason = missing_browser()
    if reason:  # only reached under CI=true: elsewhere the tests were marked to skip
        pytest.fail(f"CI=true but the real-browser tests cannot run: {reason}", pytrace=False)
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    with sync_playwright() as running:
        yield running


def _chromium(playwright, args: list[str]):
    """Debian's Chromium, headless, with ``args``; closed at the end of the session."""
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def browser(playwright):
    yield from _chromium(playwright, CHROMIUM_ARGS)


@pytest.fixture(scope="session")
def webgl_browser(playwright):
    """A Chromium that draws WebGL in software, for the 3D view."""
    yield from _chromium(playwright, WEBGL_ARGS)


def _serve(tmp_path_factory, launcher: str = "start.sh"):
    folder = tmp_path_factory.mktemp("e2e-app")
    home = folder / "lab"
    home.mkdir()
    server = start_app(home, folder / "streamlit.log", launcher)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app_server(browser, tmp_path_factory):
    """The dashboard as the README's start command runs it (``bash scripts/start.sh``), with an
    empty home folder, shared by the journeys that change nothing on disk (each test still gets
    its own browser session)."""
    yield from _serve(tmp_path_factory)


@pytest.fixture(scope="module")
def fresh_app_server(browser, tmp_path_factory):
    """A server (started by ``scripts/start.sh``) and home folder of this module's own: for
    journeys that save something (a run), or that need a server nothing has visited yet."""
    yield from _serve(tmp_path_factory)


@pytest.fixture(scope="module", params=list(LAUNCHERS))
def fresh_server_each_way(browser, tmp_path_factory, request):
    """A server nothing has visited yet, once as the README starts it and once with plain
    ``streamlit run app.py``."""
    yield from _serve(tmp_path_factory, request.param)


def _fresh_page(chromium, width: int):
    """A fresh browser context and page (no cookies, no session state shared between tests)."""
    context = chromium.new_context(viewport={"width": width, "height": 1000})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def page(browser):
    yield from _fresh_page(browser, 1400)


@pytest.fixture
def webgl_page(webgl_browser):
    """A page of the WebGL browser, 1280 px wide (the narrowest layout we support)."""
    yield from _fresh_page(webgl_browser, 1280)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, keep what the browser showed: ``test-artifacts/<test>.png`` and ``.html``
    (for every test, passed too, with ``LENET_LAB_E2E_SHOTS=1``), and the server's last log lines."""
    report = yield
    funcargs = item.funcargs if hasattr(item, "funcargs") else {}
    page = funcargs.get("page") or funcargs.get("webgl_page")
    wanted = report.failed or os.environ.get("LENET_LAB_E2E_SHOTS") == "1"
    if report.when == "call" and wanted and page is not None and not page.is_closed():
        stem = ARTIFACTS / re.sub(r"[^\w-]+", "_", item.nodeid.removeprefix("tests/e2e/"))
        try:
            saved = save_page(page, stem)
            report.sections.append(("e2e artefacts", "\n".join(map(str, saved))))
        except Exception as exc:  # a crashed page must not hide the test's own failure
            report.sections.append(("e2e artefacts", f"could not save them: {exc}"))
        servers = ("app_server", "fresh_app_server", "fresh_server_each_way")
        for server in (item.funcargs.get(name) for name in servers):
            if report.failed and server is not None:
                report.sections.append(("streamlit log (last lines)", server.log_tail()))
                try:
                    report.sections.append(("the lab's runs", server.runs_report()))
                except Exception as exc:  # a damaged store must not hide the test's own failure
                    report.sections.append(("the lab's runs", f"could not read them: {exc}"))
    return report


def pytest_terminal_summary(terminalreporter):
    if MEASUREMENTS:
        terminalreporter.section("e2e measurements")
        for line in MEASUREMENTS:
            terminalreporter.write_line(line)
