"""The sweep journey on the Training page: describe a small sweep in the sidebar's Sweep form (the
trial count shows before Start), start it, and watch its trials fill the Sweeps view until the
sweep has completed, with its chart of settings against the metric and its best trials' curves.
This module has its own server and home folder: it saves runs."""

import re

from lenet_core import runs

from .support import expect, go_to, open_app, wait_for_run

SPACE = "lr = 0.03, 0.1\nepochs = 1\ntrain_subset = 300\nbatch_size = 100"
SWEEP_TIMEOUT_MS = 240_000


def test_a_sweep_started_from_the_form_fills_in_its_trials(page, fresh_app_server):
    open_app(page, fresh_app_server)
    go_to(page, "Training", "Training")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("New sweep", exact=True).click()  # its own section, closed at first
    wait_for_run(page)
    form = sidebar.get_by_test_id("stExpander").filter(has_text="Search space")
    expect(form).to_contain_text("4,000 training and 1,000 test images")  # MNIST 5k: offline, ready
    space = form.get_by_label("Search space", exact=True)
    space.fill(SPACE)
    space.press("Control+Enter")  # a text area sends its value on Ctrl+Enter (or on leaving it)
    wait_for_run(page)
    expect(sidebar).to_contain_text("2 trials: lr=0.03,0.1")
    sidebar.get_by_role("button", name=re.compile("Start sweep")).click()
    wait_for_run(page)
    main = page.get_by_test_id("stMain")
    expect(sidebar).to_contain_text("Started")
    expect(main.get_by_text("Sweeps", exact=True)).to_be_visible()
    # The view fills in as the trials train (it re-reads the store every two seconds).
    expect(main).to_contain_text("completed · 2 of 2 trials done", timeout=SWEEP_TIMEOUT_MS)
    wait_for_run(page)
    expect(main.get_by_text("Each setting against test accuracy")).to_be_visible()
    expect(main.get_by_text("The top 2 trials' curves")).to_be_visible()
    expect(main.get_by_role("button", name=re.compile("Train the best config"))).to_be_visible()
    trials = runs.RunStore(fresh_app_server.home).list()
    assert len(trials) == 2 and {t.status for t in trials} == {"completed"}
    assert all(t.sweep_id for t in trials)
