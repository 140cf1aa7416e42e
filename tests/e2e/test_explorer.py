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


# Everything of one kind inside each bordered layer card must stay within it, and nothing may lie
# over the sample's words. Measured in the page (boxes from getBoundingClientRect).
LAYOUT_PROBLEMS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const box = el => el.getBoundingClientRect();
  const inside = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1;
  const problems = [];
  for (const card of main.querySelectorAll('[data-testid="stVerticalBlockBorderWrapper"]')) {
    const frame = box(card);
    for (const el of card.querySelectorAll('.lenet-legend, [data-testid="stPopover"] button, img')) {
      if (!inside(box(el), frame)) problems.push(`sticks out of its card: ${el.className || el.tagName}`);
    }
    for (const button of card.querySelectorAll('[data-testid="stPopover"] button')) {
      const label = [...button.querySelectorAll('p')].find(p => p.innerText.trim());
      if (label && label.scrollWidth > label.clientWidth + 1) problems.push(`cut: ${label.innerText}`);
    }
  }
  const pictures = [...main.querySelectorAll('[data-testid="stImage"] img')];
  for (const words of [...main.querySelectorAll('p')].filter(p => p.innerText.startsWith('Label:'))) {
    for (const img of pictures) {
      const a = box(img), b = box(words);
      const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      if (overlap) problems.push(`a picture covers "${words.innerText.slice(0, 20)}"`);
    }
  }
  return problems;
}"""


def test_two_samples_side_by_side_fit_at_1280_and_1400_px(page, app_server):
    """At 1280–1400 px the picture covered "Label:" ("abel: 0"), legends stuck out of the layer
    cards and "Enlarge a map" was cut to "E…"."""
    for width in (1280, 1400):
        page.set_viewport_size({"width": width, "height": 1000})
        open_app(page, app_server, "explorer")
        page.get_by_text("Compare with a second sample", exact=True).click()
        expect(page.get_by_text("sample B · #1", exact=True)).to_be_visible()
        wait_for_run(page)
        expect(page.get_by_text("Enlarge a map").first).to_be_visible()
        assert page.evaluate(LAYOUT_PROBLEMS) == [], f"at {width} px"
