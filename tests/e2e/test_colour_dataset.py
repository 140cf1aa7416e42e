"""Journey: a run on one's own colour pictures (32×32, three channels), explored in Chromium: the
sample in its colours, the input as red, green and blue maps, and the 3D view drawing the three
channels of the input, a hovered input pixel named by its channel."""

import io
import re

import numpy as np
import pytest
from helpers import finished_run, write_shapes
from PIL import Image

from lenet_core.data.imported import ImportOptions, import_dataset

from .support import assert_no_exception, expect, go_to, open_app, wait_for_run
from .view3d import VIEW, drawn_share, element, unit_on_screen, wait_for_pixels

pytestmark = pytest.mark.e2e


def test_a_run_on_colour_pictures_in_the_explorer_and_its_3d_view(webgl_page, fresh_app_server, tmp_path):
    page, home = webgl_page, fresh_app_server.home
    import_dataset(write_shapes(tmp_path / "hues", per_class=8, colour=True), "hues",
                   ImportOptions(side=32, colour=True), home=home)
    finished_run(home, "hues run", dataset="hues", arch="lenet-modern", train_subset=0, batch_size=6)

    open_app(page, fresh_app_server)
    go_to(page, "Layer Explorer", "Layer explorer")
    main = page.get_by_test_id("stMain")
    main.get_by_label("Model", exact=True).click()
    page.get_by_role("option", name=re.compile(r"hues run")).click()
    expect(main).to_contain_text("trained on hues")  # the page has rerun with the run's model
    wait_for_run(page)
    main.get_by_label("Dataset", exact=True).click()
    page.get_by_role("option", name="hues (yours)", exact=True).click()
    expect(main).to_contain_text(re.compile(r"Label: (circle|square|triangle)"))  # a hues sample shown
    wait_for_run(page)
    assert_no_exception(page)
    expect(main).to_contain_text("input · 3@32×32")
    expect(main).to_contain_text("the picture's red, green and blue")

    # The sample is shown in its own colours: the picture's pixels are not all grey.
    sample = main.get_by_test_id("stImage").filter(has=page.get_by_text("sample · #0", exact=True))
    expect(sample.locator("img")).to_be_visible()
    pixels = np.asarray(Image.open(io.BytesIO(sample.locator("img").screenshot())).convert("RGB"), int)
    spread = int((pixels.max(axis=2) - pixels.min(axis=2)).max())
    assert spread > 60, f"the sample looks grey (largest channel spread {spread})"

    page.get_by_text("Show the 3D view", exact=True).click()
    wait_for_run(page)
    expect(page.locator(VIEW)).to_be_visible()
    frame = element(page)
    assert frame.evaluate("() => window.__net3d.spec.planes[0].shape") == [3, 32, 32]
    # each channel's tiles in its own colour: the red map's green and blue parts are 0, and so on
    tints = frame.evaluate("""() => { const a = window.__net3d.view.planes[0].colour.array, per = 32 * 32;
      return [0, 1, 2].map((m) => { const sums = [0, 0, 0];
        for (let i = m * per; i < (m + 1) * per; i++) for (let c = 0; c < 3; c++) sums[c] += a[i * 3 + c];
        return sums; }); }""")
    for channel, sums in enumerate(tints):
        assert sums[channel] > 0 and sum(sums) == sums[channel], f"input map {channel} is not tinted: {sums}"
    shown = wait_for_pixels(page, lambda p: drawn_share(p) > 0.05)
    assert drawn_share(shown) > 0.05, "the 3D view stayed blank"
    x, y = unit_on_screen(page, frame, "input", 1 * 32 * 32 + 16 * 32 + 16)  # green, row 16, column 16
    page.mouse.move(x, y)
    tip = frame.locator(".net3d-tooltip")
    expect(tip).to_be_visible()
    assert re.fullmatch(r"input green \(16, 16\): -?\d\.\d{3}", tip.inner_text()), tip.inner_text()
    assert_no_exception(page)
