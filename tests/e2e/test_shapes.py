"""Journey: the Layer Shapes page shows the tutorial's 12-row table; another architecture changes it."""

import re

from .support import expect, go_to, open_app, wait_for_run

TUTORIAL_LAYERS = ["conv1", "sigmoid1", "pool1", "conv2", "sigmoid2", "pool2", "flatten", "fc1",
                   "sigmoid3", "fc2", "sigmoid4", "fc3"]
LENET5_LAYERS = ["conv1", "tanh1", "pool1", "conv2", "tanh2", "pool2", "flatten", "fc1",
                 "tanh3", "fc2", "tanh4", "fc3"]


def name_cells(page):
    # st.dataframe draws on a canvas; its accessible copy has one cell per value ("glide-cell-<col>-<row>").
    return page.get_by_test_id("stDataFrame").locator('[data-testid^="glide-cell-1-"]')


def metric(page, label):
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def test_shapes_table_and_architecture_switch(page, app_server):
    open_app(page, app_server)
    go_to(page, "Layer Shapes", "Layer shapes")

    expect(name_cells(page)).to_have_text(TUTORIAL_LAYERS + ["total"])
    expect(metric(page, "Layers")).to_have_text("12")
    expect(metric(page, "Parameters")).to_have_text("61,706")

    page.get_by_test_id("stSelectbox").filter(has_text="Architecture").click()
    page.get_by_role("option", name=re.compile(r"^lenet5\b")).click()
    expect(name_cells(page)).to_have_text(LENET5_LAYERS + ["total"])
    wait_for_run(page)
    expect(metric(page, "Parameters")).to_have_text("63,802")
    expect(page.get_by_test_id("stDataFrame")).to_contain_text("MaxPool2d")
