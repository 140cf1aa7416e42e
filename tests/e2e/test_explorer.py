"""Journey: in the Layer Explorer, pick a sample and see its label, the model's guess and every
layer's output for it."""

import re

from lenet_core import data

from .support import assert_no_exception, expect, go_to, open_app, wait_for_run

SAMPLE = 42


def layer_maps(page, layer: str):
    """The picture of one layer's maps: the row whose label reads "<layer> · C@H×W"."""
    row = page.get_by_test_id("stHorizontalBlock").filter(has_text=re.compile(rf"^\s*{layer} · \d+@"))
    return row.first.get_by_test_id("stImage").locator("img").first


def shown_dataset(page) -> str:
    """The dataset the page browses, from the title its selectbox shows."""
    chosen = page.get_by_label("Dataset", exact=True).input_value()
    names = [name for name, info in data.DATASETS.items() if info.title == chosen]
    assert len(names) == 1, f"cannot tell the dataset from {chosen!r}"
    return names[0]


def test_pick_a_sample_and_see_its_layers(page, app_server):
    open_app(page, app_server)
    go_to(page, "Layer Explorer", "Layer explorer")
    first_conv = layer_maps(page, "conv1")
    expect(first_conv).to_be_visible()
    before = first_conv.get_attribute("src")

    index = page.get_by_label(re.compile(r"^Sample index"))
    index.fill(str(SAMPLE))
    expect(index).to_have_value(str(SAMPLE))
    index.press("Enter")  # a number input sends its value on Enter (or on leaving it)
    expect(page.get_by_text(f"sample · #{SAMPLE}", exact=True)).to_be_visible()
    wait_for_run(page)
    assert_no_exception(page)

    _, _, class_name = data.sample(shown_dataset(page), "test", SAMPLE)
    expect(page.get_by_test_id("stMain")).to_contain_text(f"Label: {class_name}")
    expect(page.get_by_test_id("stMain")).to_contain_text(re.compile(r"Prediction: \S+ · "))
    expect(layer_maps(page, "conv1")).not_to_have_attribute("src", before)
    for layer in ("conv1", "pool1", "conv2", "pool2"):
        picture = layer_maps(page, layer)
        expect(picture).to_be_visible()
        assert picture.evaluate("img => img.complete && img.naturalWidth > 0"), f"{layer} maps did not load"
