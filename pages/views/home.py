"""Home: what LeNet Lab does, a picture of each page, Try it now, the compute device and the
datasets."""

from pathlib import Path

import pandas as pd
import streamlit as st
from PIL import Image

from lenet_core import data, paths
from lenet_core.errors import LabError
from lenet_core.present import pictures
from lenet_core.training.device import describe_device
from pages.ui.dataset_import import render_import_section
from pages.ui.nav import PAGES
from pages.ui.try_it import try_it_button

GALLERY_WIDTH = 76  # px per class picture: ten fit side by side beside the sidebar at 1280 px
CARDS_A_ROW = 2
SCREENSHOT_SIDEBAR = 300  # px: the sidebar's width in scripts/screenshots.py's 1280-px pictures

home = paths.lab_home()
reports = {r.name: r for r in data.availability(home)}

st.title("LeNet Lab")
st.markdown(
    "See a convolutional network learn. Train LeNet and watch its loss and accuracy move, read "
    "how each layer reshapes the image, draw a digit and look inside the network as it decides, "
    "and browse every layer's output for real samples."
)
try_it_button(home, reports, key="home_try_it")

@st.cache_data(show_spinner=False)
def page_view(path: str, mtime: float) -> Image.Image:
    """A page's screenshot without the sidebar (the same on every picture): the page itself, for a
    card. ``mtime`` is part of the cache key: a remade picture is read again."""
    with Image.open(path) as shot:
        return shot.convert("RGB").crop((SCREENSHOT_SIDEBAR, 0, shot.width, shot.height))


st.subheader("Pages")
cards = PAGES[1:]
for start in range(0, len(cards), CARDS_A_ROW):
    for column, page in zip(st.columns(CARDS_A_ROW, gap="medium"), cards[start:start + CARDS_A_ROW]):
        with column.container(border=True):
            picture, words = st.columns([5, 6])
            if page.picture.is_file():  # made by scripts/screenshots.py; a checkout may lack them
                picture.image(page_view(str(page.picture), page.picture.stat().st_mtime), width="stretch")
            words.page_link(page.path, label=page.title, icon=page.icon)
            words.caption(page.blurb)

st.subheader("Compute device")
device = describe_device()
if device.kind == "cpu":
    st.info(f"**CPU** with {device.detail}. No GPU was found; LeNet trains comfortably on a CPU.",
            icon=":material/memory:")
else:
    st.success(f"**{device.name}** ({device.detail})", icon=":material/bolt:")

st.subheader("Datasets")
st.caption("Each dataset is read from the first place that has it: files in your data folder "
           "(torchvision's layout), then system packages. The same report: "
           "`python -m lenet_core datasets`.")
st.dataframe(
    pd.DataFrame([{
        "dataset": r.title, "name": r.name, "state": r.state, "source": r.source or "—",
        "train": r.train_size, "test": r.test_size,
        "on disk (MB)": None if r.bytes_on_disk is None else round(r.bytes_on_disk / 1e6, 1),
    } for r in reports.values()]),
    hide_index=True, width="stretch", placeholder="—",
    column_config={"train": st.column_config.NumberColumn(format="localized"),
                   "test": st.column_config.NumberColumn(format="localized")},
)
# Paths are long: under the table, where they wrap, rather than in a column cut at the edge.
st.caption("  \n".join(f"**{r.title}**: `{r.location}`" for r in reports.values() if r.location))
for r in reports.values():
    for problem in r.problems:
        st.warning(f"**{r.title}**: skipped a damaged source. {problem}", icon=":material/warning:")
    if r.state == data.DOWNLOADABLE:
        st.info(f"**{r.title}** is downloadable: {r.remedy}", icon=":material/download:")
    elif r.state == data.UNAVAILABLE:
        st.warning(f"**{r.title}** is unavailable: {r.remedy}", icon=":material/block:")


@st.cache_data(show_spinner="Reading samples ...")
def class_gallery(name: str, location: str, changed: int, home: str) -> tuple[list, list[str]]:
    """Two test images per class, one picture per class. ``location`` and when it ``changed`` are
    part of the cache key: the gallery is read again when the dataset comes from somewhere else, or
    is imported again under the same name."""
    groups = data.gallery(name, "test", per_class=2, home=Path(home))
    return [pictures.tile(samples, ncols=1, scale=3) for _, samples in groups], [c for c, _ in groups]


for r in reports.values():
    if r.state != data.AVAILABLE:
        continue
    st.markdown(f"**{r.title}** — the first test images of each class")
    try:
        tiles, class_names = class_gallery(r.name, r.location, Path(r.location).stat().st_mtime_ns, str(home))
    except LabError as exc:
        st.error(f"**{r.title}** could not be read. {exc}", icon=":material/error:")
        continue
    # A set width: at their natural 84 px, ten classes need 840 px and the tenth wrapped onto a
    # row of its own in a 1280-px window.
    st.image(tiles, caption=class_names, width=GALLERY_WIDTH)

render_import_section(home, reports)
