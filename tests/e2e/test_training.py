"""Journey: fill the sidebar for a short mnist-5k run, start it, watch the live chart grow while it
runs, see it complete, leave the page and come back: the run and its curves are still there. A stopped
run resumed from its button is followed to completed.

This module has its own server and home folder: it saves runs."""

import re
import time

from lenet_core import runs

from .support import MEASUREMENTS, expect, go_to, open_app, wait_for_run

# The live panel redraws once a second. A run has to last a few of those for the chart to be seen
# growing, and how long a run lasts depends on the machine (a few thousand examples a second on two
# idle cores, under a hundred on two cores shared by a dozen processes). So the first run is small;
# a machine fast enough to finish it between two redraws gets a second, bigger one.
ATTEMPTS = [
    {"Run name": "e2e-short", "Epochs": "2", "Batch size": "32", "Learning rate": "0.1",
     "Train subset (0 = whole split)": "640"},
    {"Run name": "e2e-longer", "Epochs": "8", "Batch size": "32", "Learning rate": "0.1",
     "Train subset (0 = whole split)": "0"},
]
RUN_TIMEOUT_MS = 240_000
FINAL = ("completed", "stopped", "failed", "diverged")

# Runs in the page on every animation frame. While the status badge reads "running", note how many
# points the curve chart (the first chart of the page: the live panel's) plots; once the badge
# shows a final status, return that status and the distinct counts seen.
WATCH_RUN = """([final]) => {
  const watch = (window.__lenetWatch = window.__lenetWatch || {counts: new Set()});
  const main = document.querySelector('[data-testid="stMain"]');
  const badge = main.querySelector("span.stMarkdownBadge");
  const status = badge ? badge.innerText.trim().split(/\\s+/).pop() : null;
  const chart = main.querySelector('[data-testid="stVegaLiteChart"]');
  const count = chart ? chart.querySelectorAll('path[aria-roledescription="point"]').length : 0;
  if (status === "running" && count > 0) watch.counts.add(count);
  return final.includes(status) ? {status, counts: [...watch.counts]} : false;
}"""


def sidebar(page):
    return page.get_by_test_id("stSidebar")


def status_badge(page):
    return page.get_by_test_id("stMain").locator("span.stMarkdownBadge").first


def curve_points(page):
    chart = page.get_by_test_id("stMain").get_by_test_id("stVegaLiteChart").first
    return chart.locator('path[aria-roledescription="point"]')


def fill_launcher(page, settings: dict) -> None:
    form = sidebar(page)
    form.get_by_test_id("stSelectbox").filter(has_text="Dataset").click()
    page.get_by_role("option", name=re.compile(r"^MNIST 5k")).click()
    expect(form.get_by_label("Dataset", exact=True)).to_have_value(re.compile(r"^MNIST 5k"))
    more = form.get_by_text("More settings", exact=True)
    if not form.get_by_label("Train subset (0 = whole split)", exact=True).is_visible():
        more.click()
    for label, value in settings.items():
        form.get_by_label(label, exact=True).fill(value)


def launch_and_watch(page, settings: dict) -> dict:
    """Start a run from the sidebar; wait for its end; return its final status and the point counts
    the live chart showed while it ran."""
    fill_launcher(page, settings)
    page.evaluate("() => { delete window.__lenetWatch; }")
    sidebar(page).get_by_role("button", name=re.compile("Start training")).click()
    expect(page.get_by_test_id("stMain")).to_contain_text(settings["Run name"])
    return page.wait_for_function(WATCH_RUN, arg=[list(FINAL)], polling="raf",
                                  timeout=RUN_TIMEOUT_MS).json_value()


def test_short_run_live_completed_and_still_there(page, fresh_app_server):
    open_app(page, fresh_app_server)
    go_to(page, "Training", "Training")
    expect(page.get_by_text("No runs yet")).to_be_visible()

    for settings in ATTEMPTS:
        started = time.monotonic()
        seen = launch_and_watch(page, settings)
        run_s = time.monotonic() - started
        assert seen["status"] == "completed", f"run {settings['Run name']} ended {seen['status']}"
        if len(seen["counts"]) >= 2:
            break
    assert len(seen["counts"]) >= 2, f"the live chart never grew while a run was going: {seen}"
    MEASUREMENTS.append(f"Training page, run {settings['Run name']!r}: the live chart showed "
                        f"{sorted(seen['counts'])} points while it ran; Start to completed: {run_s:.0f} s")

    wait_for_run(page)
    expect(status_badge(page)).to_have_text(re.compile(r"completed$"))
    expect(page.get_by_role("heading", name="Result on the test set")).to_be_visible()
    final = curve_points(page).count()
    assert final >= max(seen["counts"]), f"the finished chart has {final} points; live: {seen['counts']}"

    go_to(page, "Home", "LeNet Lab")
    go_to(page, "Training", "Training")
    expect(page.get_by_test_id("stMain")).to_contain_text(settings["Run name"])
    expect(status_badge(page)).to_have_text(re.compile(r"completed$"))
    expect(curve_points(page)).to_have_count(final)


def test_a_stopped_run_resumes_from_its_button_and_the_panel_follows_it(page, fresh_app_server):
    """The Resume button sits in the live panel's fragment, which had no timer while the run was
    stopped: the page must start watching again by itself (AppTest reruns everything, so only a
    browser shows this)."""
    from test_run_views import stopped_run

    run = stopped_run(fresh_app_server.home, "e2e-resume", epochs=2)
    open_app(page, fresh_app_server, "training")
    expect(page.get_by_test_id("stMain")).to_contain_text("e2e-resume")
    expect(status_badge(page)).to_have_text(re.compile(r"stopped$"))
    page.get_by_test_id("stMain").get_by_role("button", name="Resume", exact=True).click()
    expect(page.get_by_test_id("stMain")).to_contain_text("Resumed “e2e-resume”")
    expect(status_badge(page)).to_have_text(re.compile(r"completed$"), timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Result on the test set")).to_be_visible()
    assert [r.id for r in runs.RunStore(fresh_app_server.home).list() if r.name == "e2e-resume"] == [run.id]
