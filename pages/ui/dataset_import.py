"""Home's "Your own images": import a zip (uploaded) or a folder on this computer as a dataset,
with a progress bar, and delete what was imported. The work is lenet_core.data.imported's; a
refusal is its one line, shown as it is."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import streamlit as st

from lenet_core import data
from lenet_core.data import imported
from lenet_core.errors import LabError

NOTICE = "dataset_import_notice"  # what the last import or delete did, said after its rerun
FORM = "dataset_import"
STYLE_TITLES = {"fit": "Fit the whole picture", "mnist": "MNIST-style (drawings)"}


def render_import_section(home: Path, reports: dict[str, data.Availability]) -> None:
    st.subheader("Your own images")
    st.caption("Import a folder of your own pictures as a dataset: one subfolder of images per class "
               "(`shapes/circle/1.png`, `shapes/square/2.jpg`), or `train/` and `test/` each holding "
               "such subfolders. PNG, JPEG, BMP or GIF of any size, 2 to 100 classes. It trains like "
               "the built-in datasets.  \nFrom a terminal: `lenet-lab datasets import FOLDER --name NAME`.")
    if notice := st.session_state.pop(NOTICE, None):
        kind, text, skipped = notice
        getattr(st, kind)(text, icon=":material/check_circle:" if kind == "success" else ":material/delete:")
        if skipped:
            with st.expander(f"{len(skipped):,} files skipped"):
                st.text("\n".join(skipped))
    _import_form(home)
    _imported_list(home, reports)


def _import_form(home: Path) -> None:
    with st.form(FORM, border=True):
        upload, folder = st.columns(2)
        zipped = upload.file_uploader("A zip of the folder", type=["zip"], key=f"{FORM}_zip")
        path = folder.text_input("or a folder on this computer", key=f"{FORM}_folder",
                                 placeholder="/home/me/pictures/shapes")
        name = st.text_input("Name", key=f"{FORM}_name", placeholder="shapes",
                             help="Lower-case letters, digits, - and _; how the dataset is chosen for "
                                  "training.")
        side, colour, style, share = st.columns([2, 2, 3, 3])
        side_px = side.radio("Side (px)", imported.SIDES, horizontal=True, key=f"{FORM}_side")
        keep_colour = colour.toggle("Keep colour", key=f"{FORM}_colour",
                                    help="Three channels; grey when off.")
        style_name = style.selectbox("Preparation", list(imported.STYLES), key=f"{FORM}_style",
                                     format_func=STYLE_TITLES.get,
                                     help=" ".join(f"{STYLE_TITLES[k]}: {v}."
                                                   for k, v in imported.STYLES.items()))
        test_share = share.slider("Test share", 0.05, 0.5, 0.2, 0.05, key=f"{FORM}_share",
                                  help="Of each class, held out to test on (when the folder has no "
                                       "train/ and test/).")
        submitted = st.form_submit_button("Import", icon=":material/upload:", type="primary")
    if not submitted:
        return
    options = imported.ImportOptions(side_px, keep_colour, style_name, test_share)
    try:
        made = _run_import(zipped, path.strip(), name.strip(), options, home)
    except LabError as exc:
        st.error(f"**Nothing was imported.** {exc}", icon=":material/error:")
        return
    m = made.manifest
    kind = "colour" if m["channels"] == 3 else "grey"
    st.session_state[NOTICE] = ("success", f"**Imported {m['name']}**: {len(m['classes'])} classes, "
                                f"{sum(m['counts']['train']):,} train / {sum(m['counts']['test']):,} test "
                                f"images, {m['side']}×{m['side']} {kind}.", list(made.skipped))
    st.rerun()


def _run_import(zipped, path: str, name: str, options: imported.ImportOptions,
                home: Path) -> imported.Imported:
    if bool(zipped) == bool(path):
        raise LabError("give either a zip or a folder's path, not both" if path
                       else "choose a zip, or type a folder's path")
    bar = st.progress(0.0, text="Reading the images ...")

    def progress(done: int, total: int) -> None:
        if done == total or done % 200 == 0:
            bar.progress(done / total, text=f"Read {done:,} of {total:,} images")

    if path:
        return imported.import_dataset(Path(path), name, options, home, progress)
    handle, temporary = tempfile.mkstemp(suffix=".zip", prefix="lenet-import-")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(zipped.getbuffer())
        return imported.import_dataset(Path(temporary), name, options, home, progress)
    finally:
        os.unlink(temporary)


def _imported_list(home: Path, reports: dict[str, data.Availability]) -> None:
    names = imported.imported_names(home)
    if not names:
        return
    st.markdown("**Imported here**")
    for name in names:
        report = reports.get(name)
        words, button = st.columns([6, 1], vertical_alignment="center")
        if report is not None and report.state == data.AVAILABLE:
            words.markdown(f"`{name}` · {report.title.removeprefix(name).strip(' ()')} · "
                           f"{report.train_size:,} train / {report.test_size:,} test · from {report.source}")
        else:
            words.markdown(f"`{name}` · {report.remedy if report else 'unreadable'}")
        with button.popover("Delete", icon=":material/delete:"):
            st.markdown(f"Delete **{name}** from the home folder? Runs trained on it keep their "
                        "checkpoints.")
            st.button(f"Delete {name}", key=f"{FORM}_delete_{name}", type="primary",
                      on_click=_delete, args=(name, home))


def _delete(name: str, home: Path) -> None:
    try:
        imported.delete_dataset(name, home)
        st.session_state[NOTICE] = ("info", f"Deleted **{name}**.", [])
    except LabError as exc:
        st.session_state[NOTICE] = ("error", str(exc), [])
