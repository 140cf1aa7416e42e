"""Journeys on the Training page, each on one path whatever the machine's speed:

1. Fill the sidebar for a long mnist-5k run, start it, watch the live chart grow while it runs,
   stop it, leave the page and come back: the run and its curves are still there.
2. A short run started from the sidebar reaches completed and shows its result.
3. A stopped run resumed from its button is followed to completed.

Every interaction waits for the app to be idle first (``wait_for_run``): a click on a widget the
page is redrawing (after a run ends, the whole page reruns once) can miss it. This module has its
own server and home folder: it saves runs."""

import re

from lenet_core import runs

from .support import MEASUREMENTS, expect, go_to, open_app, sidebar, status_badge, wait_for_run

# Long enough to be watched on any machine (at 100,000 examples a second it still lasts ~10 s;
# at 100 a second its first points come within a minute), and it is stopped, not waited for.
LONG = {"Run name": "e2e-long", "Epochs": "300", "Batch size": "32", "Learning rate": "0.1",
        "Train subset (0 = whole split)": "0"}
SHORT = {"Run name": "e2e-short", "Epochs": "1", "Batch size": "64", "Learning rate": "0.1",
         "Train subset (0 = whole split)": "640"}
RUN_TIMEOUT_MS = 240_000
FINAL = ("completed", "stopped", "failed", "diverged")

# Runs in the page on every animation frame: while the status badge reads "running", note how
# many points the curve chart (the first chart of the page: the live panel's) plots; once it has
# seen ``enough`` different counts, return them.
WATCH_GROWTH = """([enough]) => {
  const watch = (window.__lenetWatch = window.__lenetWatch || {counts: new Set()});
  const main = document.querySelector('[data-testid="stMain"]');
  const badge = main.querySelector("span.stMarkdownBadge");
  const status = badge ? badge.innerText.trim().split(/\\s+/).pop() : null;
  const chart = main.querySelector('[data-testid="stVegaLiteChart"]');
  const count = chart ? chart.querySelectorAll('path[aria-roledescription="point"]').length : 0;
  if (status === "running" && count > 0) watch.counts.add(count);
  return watch.counts.size >= enough ? [...watch.counts] : false;
}"""


# The same for "Inside the network": the gradient heatmap's tiles (one a layer and reporting point)
# while the run is running; its fragment refreshes on a timer of its own.
WATCH_INSIDE = """([enough]) => {
  const watch = (window.__lenetInside = window.__lenetInside || {counts: new Set()});
  const main = document.querySelector('[data-testid="stMain"]');
  const badge = main.querySelector("span.stMarkdownBadge");
  const status = badge ? badge.innerText.trim().split(/\\s+/).pop() : null;
  let tiles = 0;
  for (const chart of main.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
    tiles = Math.max(tiles, chart.querySelectorAll('path[aria-roledescription="rect mark"]').length);
  }
  if (status === "running" && tiles > 0) watch.counts.add(tiles);
  return watch.counts.size >= enough ? [...watch.counts] : false;
}"""


def curve_points(page):
    chart = page.get_by_test_id("stMain").get_by_test_id("stVegaLiteChart").first
    return chart.locator('path[aria-roledescription="point"]')


def fill_launcher(page, settings: dict) -> None:
    form = sidebar(page)
    wait_for_run(page)
    dataset = form.locator(".st-key-form_dataset")  # the run's (the Sweep section has its own)
    dataset.get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name=re.compile(r"^MNIST 5k")).click()
    expect(dataset.get_by_label("Dataset", exact=True)).to_have_value(re.compile(r"^MNIST 5k"))
    wait_for_run(page)  # the dataset box is outside the form: choosing one reruns the page
    fields = form.get_by_test_id("stForm")  # the run form's own fields (the Sweep section has an Epochs)
    if not fields.get_by_label("Train subset (0 = whole split)", exact=True).is_visible():
        fields.get_by_text("More settings", exact=True).click()
    for label, value in settings.items():
        fields.get_by_label(label, exact=True).fill(value)


def start(page, settings: dict) -> None:
    fill_launcher(page, settings)
    page.evaluate("() => { delete window.__lenetWatch; }")
    sidebar(page).get_by_role("button", name=re.compile("Start training")).click()
    expect(page.get_by_test_id("stMain")).to_contain_text(settings["Run name"])


def test_a_long_run_is_watched_live_stopped_and_still_there_after_a_visit_elsewhere(page, fresh_app_server):
    open_app(page, fresh_app_server)
    go_to(page, "Training", "Training")
    expect(page.get_by_text("No runs yet")).to_be_visible()

    start(page, LONG)
    counts = page.wait_for_function(WATCH_GROWTH, arg=[2], polling="raf",
                                    timeout=RUN_TIMEOUT_MS).json_value()
    MEASUREMENTS.append(f"Training page, run 'e2e-long': the live chart showed {sorted(counts)} "
                        "points while it ran")
    expect(page.get_by_role("heading", name="Inside the network")).to_be_visible()
    tiles = page.wait_for_function(WATCH_INSIDE, arg=[2], polling="raf",
                                   timeout=RUN_TIMEOUT_MS).json_value()
    assert all(t % 5 == 0 for t in tiles), f"the heatmap is not 5 layers × points: {tiles}"
    MEASUREMENTS.append(f"Training page, run 'e2e-long': Inside the network's heatmap showed {sorted(tiles)} "
                        "tiles while it ran")
    wait_for_run(page)
    page.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True).click()
    expect(status_badge(page)).to_have_text(re.compile(r"stopped$"), timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)
    final = curve_points(page).count()
    assert final >= max(counts), f"the stopped run's chart has {final} points; live: {counts}"

    go_to(page, "Home", "LeNet Lab")
    go_to(page, "Training", "Training")
    expect(page.get_by_test_id("stMain")).to_contain_text("e2e-long")
    expect(status_badge(page)).to_have_text(re.compile(r"stopped$"))
    expect(curve_points(page)).to_have_count(final)


def test_a_short_run_from_the_sidebar_completes_and_shows_its_result(page, fresh_app_server):
    open_app(page, fresh_app_server, "training")
    start(page, SHORT)
    expect(status_badge(page)).to_have_text(re.compile(r"completed$"), timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)
    expect(page.get_by_role("heading", name="Result on the test set")).to_be_visible()
    expect(curve_points(page).first).to_be_visible()


def test_a_stopped_run_resumes_from_its_button_and_the_panel_follows_it(page, fresh_app_server):
    """The Resume button sits in the live panel's fragment, which had no timer while the run was
    stopped: the page must start watching again by itself (AppTest reruns everything, so only a
    browser shows this)."""
    from helpers import stopped_run

    run = stopped_run(fresh_app_server.home, "e2e-resume", epochs=2)
    open_app(page, fresh_app_server, "training")
    expect(page.get_by_test_id("stMain")).to_contain_text("e2e-resume")
    expect(status_badge(page)).to_have_text(re.compile(r"stopped$"))
    wait_for_run(page)
    page.get_by_test_id("stMain").get_by_role("button", name="Resume", exact=True).click()
    expect(page.get_by_test_id("stMain")).to_contain_text("Resumed “e2e-resume”")
    expect(status_badge(page)).to_have_text(re.compile(r"completed$"), timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Result on the test set")).to_be_visible()
    assert [r.id for r in runs.RunStore(fresh_app_server.home).list() if r.name == "e2e-resume"] == [run.id]
