"""Fixtures for the real-browser tests: one app server per test module (its own temporary
``LENET_LAB_HOME``), one Chromium for the session, a fresh browser page per test, and a
screenshot plus the page's HTML under ``test-artifacts/`` for every failed test.

Without Playwright or Chromium these tests skip, saying which is missing; with ``CI=true`` they
fail instead, so that CI never passes without having run them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    STEP_TIMEOUT_MS,
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
        if reason and not in_ci():
            item.add_marker(pytest.mark.skip(reason=f"real-browser test: {reason}"))


@pytest.fixture(scope="session")
def browser():
    reason = missing_browser()
    if reason:  # only reached under CI=true: elsewhere the tests were marked to skip
        pytest.fail(f"CI=true but the real-browser tests cannot run: {reason}", pytrace=False)
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    """``streamlit run app.py`` for this module's tests, with an empty home folder of its own."""
    folder = tmp_path_factory.mktemp("e2e-app")
    home = folder / "lab"
    home.mkdir()
    server = start_app(home, folder / "streamlit.log")
    yield server
    server.stop()


@pytest.fixture
def page(browser, app_server):
    """A fresh browser context and page (no cookies, no session state shared between tests)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, keep what the browser showed: ``test-artifacts/<test>.png`` and ``.html``."""
    report = yield
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.failed and report.when == "call" and page is not None and not page.is_closed():
        stem = ARTIFACTS / re.sub(r"[^\w-]+", "_", item.nodeid.removeprefix("tests/e2e/"))
        try:
            saved = save_page(page, stem)
            report.sections.append(("e2e artefacts", "\n".join(map(str, saved))))
        except Exception as exc:  # a crashed page must not hide the test's own failure
            report.sections.append(("e2e artefacts", f"could not save them: {exc}"))
        server = item.funcargs.get("app_server")
        if server is not None:
            report.sections.append(("streamlit log (last lines)", server.log_tail()))
    return report
