"""The designer journey (issue 27): open the Network Designer on lenet-classic, switch to max
pooling and ReLU, add a third convolution while the shape table follows, save it, train it for
one epoch on the offline digits from the Training page, then pick that run on the Draw page, draw
a digit and see the new network in 3D. Its own server and home folder: it saves a network and a
run."""

import json
import re

from .drawing import hover_canvas, stroke, vertical_line
from .support import expect, go_to, open_app, sidebar, status_badge, wait_for_run
from .view3d import VIEW, drawn_share, wait_for_pixels

RUN_TIMEOUT_MS = 240_000
NAME = "e2e-maxrelu"


def main(page):
    return page.get_by_test_id("stMain")


def table_rows(page) -> int:
    """The shape table's rows (its header and total row excluded): the grid's aria row count."""
    grid = main(page).get_by_test_id("stDataFrame").first.locator('[role="grid"]')
    return int(grid.get_attribute("aria-rowcount")) - 2


def choose(page, box, option: str) -> None:
    """Open a selectbox and click one of its options."""
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_for_run(page)


def layer_kind(page, number: int):
    """The kind box of layer ``number`` (counted from 1, as the list shows it)."""
    return main(page).get_by_role("combobox", name=f"Layer {number}", exact=True)


def parameters(page) -> str:
    return main(page).get_by_test_id("stMetric").filter(has_text="Parameters").get_by_test_id(
        "stMetricValue").inner_text()


def test_design_save_train_and_draw_with_a_network_of_ones_own(webgl_page, fresh_app_server):
    page = webgl_page
    open_app(page, fresh_app_server)
    go_to(page, "Network Designer", "Network designer")
    expect(main(page)).to_contain_text("Editing the built-in lenet-classic")
    assert table_rows(page) == 12
    classic = parameters(page)

    text = main(page).get_by_role("textbox", name="The network as text")
    choose(page, layer_kind(page, 3), "max pooling")  # pool1: average -> max
    expect(text).to_have_value(re.compile(r"sigmoid maxpool\(2\) conv\(16,5\)"))  # the list re-drawn
    choose(page, layer_kind(page, 6), "max pooling")  # pool2
    expect(text).to_have_value(re.compile(r"maxpool\(2\).*maxpool\(2\) flatten"))
    text.fill(text.input_value().replace("sigmoid", "relu"))  # the text box: every sigmoid at once
    main(page).get_by_role("button", name="Apply text").click()
    wait_for_run(page)
    expect(text).to_have_value(re.compile(r"^conv\(6,5,pad=2\) relu maxpool\(2\) conv\(16,5\) relu"))

    choose(page, main(page).get_by_role("combobox", name="Add a layer"), "convolution")  # before pool2
    where = page.locator('[class*="st-key-designer_add_at"]').get_by_test_id("stSelectbox")
    where.click()
    page.get_by_role("option", name=re.compile(r"^before layer 6, maxpool")).click()
    wait_for_run(page)
    main(page).get_by_role("button", name="Add", exact=True).click()
    wait_for_run(page)
    expect(text).to_have_value(re.compile(r"conv\(16,5\) relu conv\(\d+,\d+.*\) maxpool\(2\) flatten"))
    assert table_rows(page) == 13
    assert parameters(page) != classic  # the totals follow the list

    main(page).get_by_role("textbox", name="Name", exact=True).fill(NAME)
    description = main(page).get_by_role("textbox", name="Description", exact=True)
    description.fill("max pooling, ReLU, three convolutions")
    main(page).get_by_role("button", name="Save", exact=True).click()
    wait_for_run(page)
    expect(main(page)).to_contain_text(f"Saved {NAME}")
    saved = json.loads((fresh_app_server.home / "architectures" / f"{NAME}.json").read_text())
    assert saved["layers"] == text.input_value()

    main(page).get_by_role("button", name="Train it").click()
    expect(page.get_by_role("heading", name="Training")).to_be_visible()
    wait_for_run(page)
    form = sidebar(page)
    expect(form.get_by_label("Architecture", exact=True)).to_have_value(f"{NAME} (saved)")
    form.locator(".st-key-form_dataset").get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name=re.compile(r"^MNIST 5k")).click()
    wait_for_run(page)
    fields = form.get_by_test_id("stForm")
    if not fields.get_by_label("Train subset (0 = whole split)", exact=True).is_visible():
        fields.get_by_text("More settings", exact=True).click()
    for label, value in {"Run name": "e2e-designed", "Epochs": "1", "Batch size": "64",
                         "Learning rate": "0.1", "Train subset (0 = whole split)": "1280"}.items():
        fields.get_by_label(label, exact=True).fill(value)
    form.get_by_role("button", name=re.compile("Start training")).click()
    expect(main(page)).to_contain_text("e2e-designed")
    expect(status_badge(page)).to_have_text(re.compile(r"completed$"), timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)

    go_to(page, "Draw & Classify", "Draw & classify")
    model = main(page).get_by_label("Model", exact=True)
    model.click()
    page.get_by_role("option", name=re.compile(r"^Run e2e-designed")).click()
    wait_for_run(page)
    expect(main(page)).to_contain_text(NAME)
    hover_canvas(page)
    page.wait_for_timeout(350)  # the canvas toolbar fades in under a first hover
    stroke(page, vertical_line())
    expect(page.get_by_role("heading", name=re.compile(r"^First guess: "))).to_be_visible()
    wait_for_run(page)
    expect(page.locator(VIEW)).to_be_visible()
    shown = wait_for_pixels(page, lambda p: drawn_share(p) > 0.05)
    assert drawn_share(shown) > 0.05, "the 3D view of the designed network stayed blank"
    expect(main(page)).to_contain_text("conv3")  # the third convolution's maps, in the layer views
