"""Every page fits the window at 1280 and 1440 px: nothing is wider than its container and the page
never scrolls sideways, with a finished run, a sweep and the 3D view on screen (the charts that ran
past the edge at 1280 px were the compare row, the sweep's settings, the confusion matrix's
legend and the shape charts). This module has its own server and home folder: it saves runs."""

import subprocess
import sys

import pytest

from .drawing import hover_canvas, stroke
from .support import ROOT, expect, open_app, wait_drawn, wait_for_run

# Elements wider than the box they sit in, or than the window; each as "testid/tag: right > limit".
OVERFLOW = """(limitSelector) => {
  const out = [];
  const name = (el) => {
    const owner = el.closest("[data-testid]");
    return `${owner ? owner.dataset.testid : "?"}/${el.tagName.toLowerCase()}`;
  };
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    return box.width > 2 && box.height > 2 && getComputedStyle(el).visibility !== "hidden";
  };
  const clips = (el) => ["hidden", "auto", "scroll", "clip"].includes(getComputedStyle(el).overflowX);
  const doc = document.scrollingElement;
  if (doc.scrollWidth > window.innerWidth + 1) out.push(`page: ${doc.scrollWidth} > ${window.innerWidth}`);
  for (const root of document.querySelectorAll(limitSelector)) {
    // The box the page scrolls in (Streamlit's main area) and those above it never scroll sideways.
    for (let box = root; box && box !== document.body; box = box.parentElement) {
      if (clips(box) && box.scrollWidth > box.clientWidth + 1) {
        out.push(`${name(box)} scrolls sideways: ${box.scrollWidth} > ${box.clientWidth}`);
      }
    }
    // Nothing reaches past the content's edge (the container's padding is margin, not room).
    const limit = root.getBoundingClientRect().right - parseFloat(getComputedStyle(root).paddingRight) + 1;
    const walk = (el) => {
      if (!shown(el)) return;
      const box = el.getBoundingClientRect();
      if (box.right > limit) {
        out.push(`${name(el)}: ${Math.round(box.right)} > ${Math.round(limit)}`);
        return;  // its children are reported through it
      }
      if (el.closest('[data-testid="stDataFrame"]')) return;  // a table scrolls its own columns
      if (clips(el) && el.scrollWidth > el.clientWidth + 1) {
        out.push(`${name(el)} holds ${el.scrollWidth} px in ${el.clientWidth}`);  // cut off, or scrolls
        return;
      }
      for (const child of el.children) walk(child);
    };
    for (const child of root.children) walk(child);
    // Each element (chart, table, picture, 3D view) fits the column or block it was put in.
    for (const holder of root.querySelectorAll('[data-testid="stElementContainer"]')) {
      const table = holder.querySelector('[data-testid="stDataFrame"]');  // scrolls its own columns
      if (!table && shown(holder) && holder.scrollWidth > holder.clientWidth + 1) {
        const kinds = [...holder.querySelectorAll("[data-testid]")].map((e) => e.dataset.testid);
        const what = kinds.filter((k) => k !== "stFullScreenFrame")[0] || "element";
        out.push(`${what}: ${holder.scrollWidth} px wide in ${holder.clientWidth}`);
      }
    }
  }
  return out.slice(0, 12);
}"""
CONTAINERS = '[data-testid="stMainBlockContainer"], [data-testid="stSidebarContent"]'

SEED = [["train", "--dataset", "mnist-5k", "--arch", "lenet-modern", "--optimizer", "adam", "--lr", "0.003",
         "--epochs", "2", "--train-subset", "1000", "--name", "a finished run with a long descriptive name"],
        ["sweep", "--dataset", "mnist-5k", "--arch", "lenet-modern", "--optimizer", "adam", "--epochs", "1",
         "--train-subset", "500", "--grid", "lr=0.001,0.003,0.01", "--grid", "batch_size=32,64",
         "--grid", "weight_decay=0,0.0005", "--name", "a sweep of three settings"]]


@pytest.fixture(scope="module")
def seeded(fresh_app_server):
    env = {"LENET_LAB_HOME": str(fresh_app_server.home), "PATH": str(ROOT / ".venv" / "bin")}
    for command in SEED:
        subprocess.run([sys.executable, "-m", "lenet_core", *command], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=600)
    return fresh_app_server


def overflow(page) -> list[str]:
    wait_for_run(page)
    wait_drawn(page)
    return page.evaluate(OVERFLOW, CONTAINERS)


def draw_a_digit(page) -> None:
    box = hover_canvas(page)
    page.wait_for_timeout(400)  # the canvas's toolbar fades in over its top-right corner
    stroke(page, [(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)], box, steps=6)
    page.wait_for_function("() => /First guess: [0-9]/.test(document.body.innerText)")
    wait_for_run(page)
    expect(page.locator("iframe[src*='net3d']")).to_be_visible()


@pytest.mark.parametrize("width", [1280, 1440])
def test_no_page_is_wider_than_the_window(webgl_page, seeded, width):
    page = webgl_page
    page.set_viewport_size({"width": width, "height": 1000})
    found = {}
    for address in ("", "shapes", "training", "explorer", "network3d"):
        open_app(page, seeded, address)
        found[address or "home"] = overflow(page)
    # The Training page with the sweep's view, and the sidebar's Sweep section open.
    open_app(page, seeded, "training")
    page.get_by_test_id("stMain").get_by_text("Sweeps", exact=True).click()
    expect(page.get_by_test_id("stMain")).to_contain_text("Each setting against test accuracy")
    page.get_by_test_id("stSidebar").get_by_text("New sweep", exact=True).click()
    found["training: sweeps"] = overflow(page)
    open_app(page, seeded, "draw")
    draw_a_digit(page)
    found["draw, with the 3D view"] = overflow(page)
    assert {name: problems for name, problems in found.items() if problems} == {}
