"""AppTest: the Training page. Validation under each field, a tiny real run launched from the
sidebar that reaches completed (its charts get data), no double launches, run selection,
comparison and deletion with confirmation."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from helpers import TINY, charts, fill, finished_run, open_page, sidebar_errors, start, stopped_run
from helpers import TRAINING_PAGE as PAGE

from lenet_core import runs
from lenet_core.model import saved
from lenet_core.training.config import TrainConfig
from pages.ui import state
from pages.ui.training_form import FORM_FIELDS, layout


def chart_with(at, *columns: str):
    found = [frames[0] for _, frames in charts(at) if frames and set(columns) <= set(frames[0].columns)]
    assert found, f"no chart with columns {columns}"
    return found[0]


def status_badges(at) -> list[str]:
    return [m.value for m in at.markdown if "-badge[" in m.value]


# ---- the launcher --------------------------------------------------------------------------

def test_launcher_has_every_trainconfig_field_and_the_labels_the_browser_test_uses(lab_home):
    at = open_page(PAGE)
    assert not at.exception
    keys = {w.key for kind in ("selectbox", "number_input", "text_input", "checkbox")
            for w in at.sidebar.get(kind)}
    assert {f"form_{f}" for f in FORM_FIELDS} | {"form_name"} <= keys
    assert "form_layers" not in keys  # a saved network's layers are read when its run starts
    labels = {w.label for kind in ("selectbox", "number_input", "text_input") for w in at.sidebar.get(kind)}
    assert {"Dataset", "Architecture", "Epochs", "Learning rate", "Batch size", "Optimizer",
            "Device", "Seed", "Run name"} <= labels
    assert [b.label for b in at.sidebar.button][:3] == ["Tutorial recipe", "Best recipe", "Start training"]
    empty = next(m.value for m in at.markdown if "No runs yet" in m.value)
    # What the empty page says Start does is what the form holds: the tutorial's recipe at first.
    assert "lenet-classic on Fashion-MNIST for 10 epochs (SGD, learning rate 0.9, batch 256)" in empty
    at.sidebar.button[1].click().run()  # Best recipe
    empty = next(m.value for m in at.markdown if "No runs yet" in m.value)
    assert "lenet-wide on Fashion-MNIST for 10 epochs" in empty


MAXED = ("conv(6,5,pad=2) relu maxpool(2) conv(16,5) relu maxpool(2) conv(32,3,pad=1) relu "
         "flatten fc(120) relu fc(84) relu fc(10)")


def test_the_forms_rows_pair_numbers_and_give_a_picker_the_sidebars_width():
    assert layout(main=True) == [("arch",), ("epochs", "batch_size"), ("lr", "seed"), ("optimizer",),
                                 ("device",)]


def test_saved_networks_are_offered_and_a_run_of_one_carries_its_layers(lab_home):
    saved.save_network(saved.network("lenet-maxed", "three convolutions", MAXED), lab_home)
    folder = lab_home / "architectures"
    (folder / "broken.json").write_text('{"name": "broken", "layers": 3}')
    at = open_page(PAGE)
    assert not at.exception
    picker = next(w for w in at.sidebar.selectbox if w.key == "form_arch")
    assert picker.options[:4] == ["lenet-classic", "lenet5", "lenet-modern", "lenet-wide"]
    assert picker.options[4:] == ["lenet-maxed (saved)"]
    assert any("broken.json: missing description, input_size" in c.value for c in at.sidebar.caption)
    fill(at, **{**TINY, "arch": "lenet-maxed"})
    start(at)
    assert not at.exception and not sidebar_errors(at)
    [run] = runs.RunStore(lab_home).list()
    assert run.config.arch == "lenet-maxed" and run.config.layers == MAXED
    runs.stop(run.id, lab_home, wait=30)


def test_a_saved_network_deleted_before_start_is_refused_under_its_field(lab_home):
    saved.save_network(saved.network("lenet-maxed", "three convolutions", MAXED), lab_home)
    at = open_page(PAGE)
    fill(at, **{**TINY, "arch": "lenet-maxed"})
    saved.delete_network("lenet-maxed", lab_home)
    start(at)
    assert not at.exception
    assert any("unknown network 'lenet-maxed'" in e for e in sidebar_errors(at))
    assert not (lab_home / "runs.db").exists() or runs.RunStore(lab_home).list() == []


def test_invalid_values_are_explained_under_their_fields_and_nothing_starts(lab_home):
    at = open_page(PAGE)
    fill(at, dataset="mnist-5k", epochs=0, lr="fast", batch_size=-3)
    start(at)
    assert not at.exception
    errors = sidebar_errors(at)
    assert any("0 is out of range" in e for e in errors)  # epochs
    assert any("'fast' is not a number" in e for e in errors)  # learning rate
    assert any("-3 is out of range" in e for e in errors)  # batch size
    assert any("Not started" in e for e in errors)
    # Each message spans the sidebar under its row: in a half-width column "1,000,000" broke in two.
    assert all(not column.get("error") for column in at.sidebar.columns)
    assert runs.RunStore(lab_home).list() == []


def test_an_unavailable_dataset_says_why_and_cannot_be_started(lab_home):
    at = open_page(PAGE)
    fill(at, dataset="mnist")  # no MNIST files in this fresh home: downloadable, not here
    at.run()
    assert any("MNIST is downloadable" in w.value and "--download mnist" in w.value
               for w in at.sidebar.warning)
    start(at)
    assert any("cannot be trained on" in e for e in sidebar_errors(at))
    assert runs.RunStore(lab_home).list() == []


def test_presets_fill_the_form(lab_home):
    at = open_page(PAGE)
    at.sidebar.button[1].click().run()  # Best recipe
    values = {w.key: w.value for kind in ("selectbox", "text_input") for w in at.sidebar.get(kind)}
    assert (values["form_arch"], values["form_optimizer"], values["form_lr"]) == \
        ("lenet-wide", "sgd-momentum", "0.1")
    at.sidebar.button[0].click().run()  # Tutorial recipe
    values = {w.key: w.value for kind in ("selectbox", "text_input") for w in at.sidebar.get(kind)}
    assert (values["form_arch"], values["form_lr"]) == ("lenet-classic", "0.9")
    # Each button's tooltip is written from its preset: it names the architecture the preset sets
    tips = {b.label: b.proto.help for b in at.sidebar.button[:2]}
    assert "lenet-classic" in tips["Tutorial recipe"] and "learning rate 0.9" in tips["Tutorial recipe"]
    assert "architecture lenet-wide" in tips["Best recipe"] and "augmentation clothing" in tips["Best recipe"]



def form_values(at) -> dict:
    return {w.key: w.value for kind in ("selectbox", "number_input", "text_input", "checkbox")
            for w in at.sidebar.get(kind) if w.key and w.key.startswith("form_")}


def test_the_form_keeps_its_values_when_the_user_visits_another_page_and_comes_back(lab_home):
    at = open_page(PAGE)
    at.sidebar.button[1].click().run()  # Best recipe
    fill(at, epochs=3, name="kept", lr="0.1x")  # a typo: Start explains it and starts nothing
    start(at)
    assert sidebar_errors(at)
    before = form_values(at)
    at.switch_page("pages/views/shapes.py").run()
    at.switch_page(PAGE).run()
    after = form_values(at)
    assert (after["form_epochs"], after["form_name"], after["form_lr"], after["form_arch"]) == \
        ("3", "kept", "0.1x", "lenet-wide")
    assert after == before

# ---- a real run from the page ------------------------------------------------------------------

def wait_until_finished(at, run_id: str, home, timeout: float = 240) -> runs.Run:
    """Rerun the page until the run ends (each at.run() runs the live fragment once)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        run = runs.RunStore(home).get(run_id)
        if not run.active:
            at.run()  # the page as it is drawn once the run has ended
            return run
        time.sleep(1.0)  # a real subprocess trains meanwhile
    pytest.fail(f"run {run_id} still {run.status} after {timeout} s")


@pytest.mark.slow
def test_a_tiny_run_started_from_the_page_completes_and_its_charts_get_data(lab_home):
    at = open_page(PAGE)
    fill(at, **TINY, name="tiny page run")
    start(at)
    assert not at.exception
    started = runs.RunStore(lab_home).list()
    assert [r.name for r in started] == ["tiny page run"]
    assert started[0].config == TrainConfig(**TINY)
    assert any("Started" in s.value for s in at.sidebar.success)

    start(at)  # a second click with the same settings (a double click) starts nothing new
    assert len(runs.RunStore(lab_home).list()) == 1
    assert any("rather than starting it twice" in i.value for i in at.sidebar.info)

    run = wait_until_finished(at, started[0].id, lab_home)
    assert run.status == "completed", run.error
    assert not at.exception
    assert any("completed" in b for b in status_badges(at))
    curves = chart_with(at, "series", "epoch", "value")
    assert set(curves["series"]) == {"train loss", "train acc", "test acc"}
    assert curves["epoch"].max() == 1.0
    confusion = chart_with(at, "true", "predicted", "count")
    assert confusion["count"].sum() == 1000  # the whole mnist-5k test split
    assert len(chart_with(at, "class", "accuracy")) == 10
    gallery = [image for image in at.image if any("→" in c for c in image.captions)]
    assert gallery  # misclassified test images with "true → predicted (confidence)"

    again = open_page(PAGE)  # a refresh: a new session shows the run, and launches nothing
    assert any("completed" in b for b in status_badges(again))
    assert len(runs.RunStore(lab_home).list()) == 1


# ---- selection, comparison and deletion ---------------------------------------------------------

@pytest.fixture
def two_runs(lab_home):
    """Two finished tiny runs, trained in this process by the engine's own foreground path."""
    store = runs.RunStore(lab_home)
    ids = []
    for name, lr in (("slow lr", 0.01), ("fast lr", 0.1)):
        run = store.create(TrainConfig(**{**TINY, "lr": lr}), name)
        runs.execute(run.id, home=lab_home, signals=())
        ids.append(run.id)
    return ids


@pytest.mark.slow
def test_selecting_runs_shows_one_and_overlays_the_chosen(two_runs, lab_home):
    slow, fast = two_runs
    at = open_page(PAGE)
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["name"]) == ["fast lr", "slow lr"]  # newest first
    assert set(table["status"]) == {"completed"}
    at.selectbox(key="selected_run").set_value(slow).run()
    assert any(m.value.startswith("**slow lr**") for m in at.markdown)
    overlay = chart_with(at, "run", "smoothed")
    assert set(overlay["run"]) == {"slow lr", "fast lr"}  # both compared by default

    at.multiselect(key="compare_runs").set_value([fast]).run()
    at.radio(key="compare_x").set_value("step").run()
    at.slider(key="compare_smoothing").set_value(0.5).run()
    assert not at.exception
    spec, frames = next((s, f) for s, f in charts(at) if s.get("title") == "Train loss")
    assert set(frames[0]["run"]) == {"fast lr"}
    assert spec["layer"][0]["encoding"]["x"]["field"] == "step"
    assert len(spec["layer"]) == 3  # faded raw line, smoothed line, points
    at.toggle(key="compare_log_loss").set_value(True).run()
    spec = next(s for s, _ in charts(at) if s.get("title") == "Train loss")
    assert spec["layer"][0]["encoding"]["y"]["scale"] == {"type": "log"}


@pytest.mark.slow
def test_deleting_a_run_asks_first_and_then_removes_it(two_runs, lab_home):
    slow, fast = two_runs
    at = open_page(PAGE)
    at.selectbox(key="selected_run").set_value(slow).run()
    at.button(key=f"delete_{slow}").click().run()
    assert any("Delete **slow lr**" in w.value for w in at.warning)
    at.button(key="delete_no").click().run()  # Cancel keeps it
    assert len(runs.RunStore(lab_home).list()) == 2
    assert not any("Delete **slow lr**" in w.value for w in at.warning)

    at.button(key=f"delete_{slow}").click().run()
    at.button(key="delete_yes").click().run()
    assert not at.exception
    assert [r.id for r in runs.RunStore(lab_home).list()] == [fast]
    assert not (lab_home / "runs" / slow).exists()
    assert any(f"Deleted run {slow}" in s.value for s in at.success)
    assert list(at.dataframe[0].value["name"]) == ["fast lr"]
    assert at.selectbox(key="selected_run").value == fast


@pytest.mark.slow
def test_beside_the_run_its_model_downloads_as_onnx_made_on_the_click(lab_home, monkeypatch):
    """The page registers what a click runs (Streamlit's deferred download); the test runs it as
    the server would and opens the bytes with onnxruntime."""
    import numpy as np
    import onnxruntime
    import torch
    from streamlit.runtime.media_file_manager import MediaFileManager

    from lenet_core.model.checkpoints import load_model
    from lenet_core.model.inputs import model_input

    registered, add = {}, MediaFileManager.add_deferred

    def keep(self, data, mimetype, coordinates, file_name=None, **kwargs):
        registered[file_name] = data
        return add(self, data, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    run = finished_run(lab_home)
    at = open_page(PAGE)
    assert not at.exception
    buttons = at.get("download_button")
    assert [b.label for b in buttons] == ["Metrics (CSV)", "Inside (CSV)", "Checkpoint (final.pt)",
                                          "Model (ONNX)"]
    inside_csv = registered[f"{run.id}-inside.csv"]()
    assert inside_csv.startswith("run_id,step,epoch,layer,name,value\n") and ",conv1,grad_norm," in inside_csv
    onnx_button = buttons[3]
    assert onnx_button.key == f"onnx_{run.id}" and not onnx_button.proto.disabled
    assert onnx_button.proto.deferred_file_id  # made when pressed, not on every rerun

    session = onnxruntime.InferenceSession(registered[f"{run.id}.onnx"]())
    assert session.get_modelmeta().custom_metadata_map["run_id"] == run.id
    model, meta = load_model(lab_home / "runs" / run.id / "final.pt")
    x = model_input(np.zeros((2, 28, 28), dtype=np.uint8), meta)
    with torch.inference_mode():
        want = model(x).numpy()
    assert np.abs(session.run(["logits"], {"image": x.numpy()})[0] - want).max() <= 1e-5


# ---- stopping, and runs that end badly ------------------------------------------------------------

@pytest.mark.slow
def test_stop_button_stops_a_running_run(lab_home):
    run_id = runs.start(TrainConfig(**{**TINY, "epochs": 50, "train_subset": 0}), "long", home=lab_home)[0].id
    at = open_page(PAGE)
    deadline = time.monotonic() + 120
    while runs.RunStore(lab_home).get(run_id).status != "running" and time.monotonic() < deadline:
        time.sleep(0.5)  # the detached trainer is starting (imports torch, reads the data)
    at.run()
    assert any("running" in b for b in status_badges(at))
    at.button(key=f"stop_{run_id}").click().run()
    run = wait_until_finished(at, run_id, lab_home, timeout=120)
    assert run.status == "stopped"
    assert any("stopped" in b for b in status_badges(at))
    assert not any(b.key == f"stop_{run_id}" for b in at.button)


@pytest.mark.slow
def test_a_diverged_run_shows_why(lab_home):
    store = runs.RunStore(lab_home)
    run = store.create(TrainConfig(**{**TINY, "arch": "lenet-classic", "optimizer": "sgd", "lr": 1e6}))
    runs.execute(run.id, home=lab_home, signals=())
    at = open_page(PAGE)
    assert not at.exception
    assert any("diverged" in b for b in status_badges(at))
    assert any("This run diverged" in e.value and "learning rate" in e.value for e in at.error)


@pytest.mark.slow
def test_a_run_whose_process_vanished_is_shown_failed_with_the_reason(lab_home):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a real pid that no longer runs
    store = runs.RunStore(lab_home)
    run = store.create(TrainConfig(**TINY), "vanished")
    assert store.claim(run.id, gone.pid)
    at = open_page(PAGE)
    assert not at.exception
    assert any("failed" in b for b in status_badges(at))
    assert any("This run failed.** The training process" in e.value and "vanished" in e.value
               and "It cannot be resumed: it saved no checkpoint" in e.value for e in at.error)
    assert at.button(key=f"resume_{run.id}").disabled  # nothing to continue from
    assert any(i.value.startswith("No test evaluation: this run failed before the end of its first epoch")
               for i in at.info)


@pytest.mark.slow
def test_a_stopped_run_is_resumed_from_the_page_once_and_completes(lab_home):
    run = stopped_run(lab_home, "paused", epochs=2)
    at = open_page(PAGE)
    assert any("Stopped by request" in w.value and "**Resume** continues it" in w.value for w in at.warning)
    resume = at.button(key=f"resume_{run.id}")
    assert not resume.disabled
    resume.click().run()
    assert not at.exception
    assert any("Resumed “paused”" in s.value for s in at.success)
    assert runs.RunStore(lab_home).get(run.id).active
    assert not any(b.key == f"resume_{run.id}" for b in at.button)  # going again: Stop instead
    assert any(b.key == f"stop_{run.id}" for b in at.button)
    done = wait_until_finished(at, run.id, lab_home)
    assert done.status == "completed", done.error
    assert [r.id for r in runs.RunStore(lab_home).list()] == [run.id]  # the same run, not a new one
    assert any("completed" in b for b in status_badges(at))
    assert chart_with(at, "true", "predicted", "count")["count"].sum() == 1000


@pytest.mark.slow
def test_the_comparison_follows_new_runs_until_the_user_chooses_their_own(two_runs, lab_home):
    slow, fast = two_runs
    at = open_page(PAGE)
    assert at.multiselect(key="compare_runs").value == [fast, slow]
    store = runs.RunStore(lab_home)
    newer = store.create(TrainConfig(**TINY), "started later")  # e.g. from the sidebar
    store.mark(newer.id, "stopped")
    at.run()
    assert at.multiselect(key="compare_runs").value == [newer.id, fast, slow]
    at.multiselect(key="compare_runs").set_value([slow]).run()  # the user's own choice stays
    newest = store.create(TrainConfig(**TINY), "one more")
    store.mark(newest.id, "stopped")
    at.run()
    assert at.multiselect(key="compare_runs").value == [slow]


@pytest.mark.slow
def test_the_run_picker_and_the_comparison_stay_as_left_after_visiting_another_page(two_runs, lab_home):
    slow, fast = two_runs
    at = open_page(PAGE)
    at.selectbox(key="selected_run").set_value(slow).run()
    at.multiselect(key="compare_runs").set_value([slow]).run()
    at.radio(key="compare_x").set_value("wall_time").run()
    at.slider(key="compare_smoothing").set_value(0.6).run()
    at.switch_page("pages/views/shapes.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert not [w for w in at.warning if "at chance" not in w.value]  # no widget-state warning
    assert at.selectbox(key="selected_run").value == slow
    assert at.multiselect(key="compare_runs").value == [slow]
    assert (at.radio(key="compare_x").value, at.slider(key="compare_smoothing").value) == ("wall_time", 0.6)
    assert any(m.value.startswith("**slow lr**") for m in at.markdown)


def test_a_batch_of_one_for_batch_norm_is_refused_under_the_batch_size_field(lab_home):
    at = open_page(PAGE)
    fill(at, dataset="mnist-5k", arch="lenet-modern", batch_size=1)
    start(at)
    assert not at.exception
    assert any("lenet-modern uses batch normalisation" in e for e in sidebar_errors(at))
    assert runs.RunStore(lab_home).list() == []


@pytest.mark.slow
def test_a_run_that_ended_at_chance_is_explained_on_the_page_and_by_the_cli(lab_home):
    proc = subprocess.run([sys.executable, "-m", "lenet_core", "train", "--dataset", "mnist-5k",
                           "--arch", "lenet-classic", "--lr", "0.9", "--batch-size", "8", "--epochs", "3"],
                          capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "LENET_LAB_HOME": str(lab_home)})
    assert proc.returncode == 0, proc.stderr
    assert "This run ended at chance: it predicts “" in proc.stderr
    assert "lower the learning rate (to about 0.028) or raise the batch size (to 256)" in proc.stderr
    at = open_page(PAGE)
    assert not at.exception
    notes = [w.value for w in at.warning if "ended at chance" in w.value]
    assert len(notes) == 1 and "Learning rate 0.9 on batches of 8" in notes[0]


def test_a_run_waiting_for_the_cpu_slot_shows_its_place_and_can_be_cancelled(lab_home, monkeypatch):
    monkeypatch.setenv("LENET_LAB_SLOTS", "cpu=1")
    store = runs.RunStore(lab_home)
    store.create(TrainConfig(**TINY), "holds the slot")  # a foreground run, about to train
    waiting, _ = runs.start(TrainConfig(**TINY), "waits", home=lab_home)
    at = open_page(PAGE)
    at.selectbox(key="selected_run").set_value(waiting.id).run()
    assert not at.exception
    info = " ".join(i.value for i in at.info)
    assert "Queued, waiting for a CPU slot: 1st in line (1 of 1 CPU slot in use · 1 waiting)" in info
    assert any("1 of 1 CPU slot in use · 1 waiting" in c.value for c in at.sidebar.caption)
    table = [m for m in at.dataframe]
    assert any("queued · 1st" in str(t.value["status"].tolist()) for t in table)
    at.button(key=f"stop_{waiting.id}").click().run()
    assert store.get(waiting.id).status == "stopped"
    assert "cancelled while queued" in store.get(waiting.id).error
    assert store.get(waiting.id).pid is None  # it never started


def test_an_error_under_more_settings_opens_that_section_and_the_notice_names_the_field(lab_home):
    at = open_page(PAGE)
    more = next(e for e in at.sidebar.expander if e.label == "More settings")
    assert not more.proto.expanded  # closed until it holds something to fix
    fill(at, train_subset=-5)
    start(at)
    more = next(e for e in at.sidebar.expander if e.label == "More settings")
    assert more.proto.expanded
    assert "Not started. Train subset (0 = whole split) in More settings: -5 is out of range" in \
        sidebar_errors(at)[-1]
    fill(at, epochs=1_000_000)
    start(at)
    assert sidebar_errors(at)[-1] == ("Not started: fix Epochs and Train subset (0 = whole split) in "
                                      "More settings; each is marked in red.")
    assert runs.RunStore(lab_home).list() == []


def test_selects_show_short_names_and_say_the_rest_in_their_help(lab_home):
    at = open_page(PAGE)
    dataset = at.sidebar.selectbox(key="form_dataset")
    assert all(len(option) <= 30 for option in dataset.options), dataset.options
    assert any("60,000 training and 10,000 test images" in c.value for c in at.sidebar.caption) or \
        any("4,000 training and 1,000 test images" in c.value for c in at.sidebar.caption)
    arch = at.sidebar.selectbox(key="form_arch")
    assert arch.options == ["lenet-classic", "lenet5", "lenet-modern", "lenet-wide"]
    assert "**lenet-classic**: LeNet (classic, sigmoid)" in arch.help
    augment = at.sidebar.selectbox(key="form_augment")
    assert "Digits" in augment.options and "**Digits**: shifts ±2 px, rotations ±10°" in augment.help


def test_reading_the_page_starts_nothing_and_a_stalled_queue_is_started_by_its_button(lab_home, monkeypatch):
    monkeypatch.setenv("LENET_LAB_SLOTS", "cpu=1")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a real pid that no longer runs: a trainer killed with -9
    store = runs.store_for(lab_home)
    holder = store.create(TrainConfig(**TINY), "killed")
    assert store.claim(holder.id, gone.pid)
    waiting, _ = runs.start(TrainConfig(**TINY), "waits", home=lab_home)
    assert store.get(waiting.id).dispatched is None  # the slot was taken
    at = open_page(PAGE)
    assert not at.exception and store.get(holder.id).status == "failed"
    after_read = store.get(waiting.id)
    assert (after_read.status, after_read.dispatched, after_read.pid) == ("queued", None, None)
    assert any(w.value.startswith("1 run waits while a slot is free") for w in at.warning)
    at.button(key="start_waiting").click().run()
    assert not at.exception
    started = store.get(waiting.id)
    assert started.dispatched is not None and started.pid
    assert not any("waits while a slot is free" in w.value for w in at.warning)
    runs.stop(waiting.id, wait=60)


def test_a_run_can_start_from_a_finished_runs_weights_chosen_in_the_form(lab_home):
    from helpers import finished_run

    first = finished_run(lab_home, "first")
    at = open_page(PAGE)
    picker = next(w for w in at.sidebar.selectbox if w.key == "form_init_from")
    assert picker.options[:2] == ["fresh weights (Weight init)", "the bundled digit model (lenet-wide)"]
    assert picker.options[2] == f"first · {first.id}"
    fill(at, **{**TINY, "init_from": first.id})
    start(at)
    assert not at.exception and not sidebar_errors(at)
    again = next(r for r in runs.RunStore(lab_home).list() if r.id != first.id)
    assert again.config.init_from == first.id
    runs.stop(again.id, lab_home, wait=30)


@pytest.mark.slow
@pytest.mark.parametrize("colour", [False, True], ids=["grey", "colour-32px"])
def test_a_run_on_an_imported_dataset_shows_its_own_class_names_in_every_evaluation(lab_home, tmp_path,
                                                                                     colour):
    from helpers import SHAPES, finished_run, write_shapes

    from lenet_core.data.imported import ImportOptions, import_dataset

    import_dataset(write_shapes(tmp_path / "shapes", per_class=10, colour=colour), "shapes",
                   ImportOptions(side=32, colour=True) if colour else ImportOptions())
    finished_run(lab_home, "shapes run", dataset="shapes", train_subset=0, batch_size=6, epochs=1)
    at = open_page(PAGE)
    assert not at.exception
    confusion = chart_with(at, "true", "predicted", "count")
    assert set(confusion["true"]) == set(SHAPES) and confusion["count"].sum() == 6
    assert set(chart_with(at, "class", "accuracy")["class"]) == set(SHAPES)
    captions = [c for image in at.image for c in image.captions if "→" in c]
    assert all(c.split(" → ")[0] in SHAPES for c in captions)


def test_the_form_trains_on_a_colour_dataset_and_says_what_its_images_are(lab_home, tmp_path):
    """Picking a colour 32×32 import in the form: the line under Dataset says what it holds, and the
    run starts (its worker fits the network: conv1 reads three channels)."""
    from helpers import wait_for, write_shapes

    from lenet_core.data.imported import ImportOptions, import_dataset
    from lenet_core.model.checkpoints import load_model

    import_dataset(write_shapes(tmp_path / "hues", per_class=6, colour=True), "hues",
                   ImportOptions(side=32, colour=True, test_share=0.25))
    at = open_page(PAGE)
    fill(at, **{**TINY, "dataset": "hues", "train_subset": 0, "batch_size": 4})
    at.run()
    assert any(c.value == "12 training and 6 test images, 32×32 colour" for c in at.sidebar.caption), \
        [c.value for c in at.sidebar.caption]
    start(at)
    assert not at.exception and not sidebar_errors(at)
    (run,) = runs.RunStore(lab_home).list()
    done = wait_for(runs.RunStore(lab_home), run.id, lambda r: r.status in ("completed", "failed"))
    assert done.status == "completed", done.error
    model, meta = load_model(lab_home / "runs" / run.id / "final.pt")
    assert meta.dataset == "hues" and model.conv1.in_channels == 3


def test_inside_the_network_shows_the_diagnosis_the_charts_and_a_second_run_beside(lab_home):
    """A finished lenet-modern run: its diagnosis in a box, the gradient heatmap, the dead-unit lines
    and the histograms; a second run beside it adds its own; a run with nothing recorded says why."""
    first = finished_run(lab_home, "first", batch_size=50, epochs=2)
    second = finished_run(lab_home, "second", batch_size=50, epochs=1)
    store = runs.RunStore(lab_home)
    bare = store.create(TrainConfig(**TINY), "bare")  # never trained: nothing inside
    store.mark(bare.id, "failed", error="ended before its first reporting point")
    at = open_page(PAGE)
    at.selectbox(key=state.SELECTED_RUN).set_value(first.id).run()
    assert not at.exception
    assert any(h.value == "Inside the network" for h in at.subheader)
    boxes = [b.value for b in (*at.success, *at.warning) if b.value.startswith("**")]
    assert len(boxes) == 1
    specs = [spec for spec, _ in charts(at)]
    assert any(s.get("mark", {}).get("type") == "rect" for s in specs)  # the gradient heatmap
    assert any(s.get("encoding", {}).get("y2") for s in specs)  # the histograms
    at.selectbox(key=state.INSIDE_BESIDE).set_value(second.id).run()
    assert not at.exception
    assert sum(1 for spec, _ in charts(at) if spec.get("mark", {}).get("type") == "rect") == 2
    at.selectbox(key=state.INSIDE_BESIDE).set_value(bare.id).run()
    assert any("recorded nothing inside" in c.value for c in at.caption)
