"""AppTest: the Draw & Classify page with a drawing handed to the real canvas component.

The drawing is injected as the component's own state (a PNG data URL, as the browser sends it),
so the page's real decoding, preprocessing, model and pictures all run.
"""

import io

import pytest
from helpers import ONE, SEVEN, draw, drawing_png, first_guess, open_page
from PIL import Image

from lenet_core.model.checkpoints import load_model, pretrained_path
from lenet_core.model.shapes import layer_label, shape_table


def texts(at):
    return [m.value for m in at.markdown]


def test_blank_canvas_shows_a_hint_and_no_prediction(lab_home):
    at = open_page("pages/views/draw.py")
    assert not at.exception
    assert any("Draw a digit" in box.value for box in at.info)
    assert first_guess(at) is None
    assert not any("conv1 ·" in t for t in texts(at))


def test_a_drawn_seven_is_classified_and_every_layer_is_shown_in_order(lab_home):
    at = draw(open_page("pages/views/draw.py"), SEVEN)
    assert not at.exception
    assert first_guess(at) == "### First guess: 7"
    assert any(t.startswith("**Second guess:") for t in texts(at))
    assert len(at.get("vega_lite_chart")) == 1  # the probability bars
    # Every layer, labelled from the model's own shape table, in network order.
    _, meta = load_model(pretrained_path("digits"))
    expected = [layer_label(row.name, row.output_shape) for row in shape_table(meta.arch).rows]
    shown = [t.split("**")[1] for t in texts(at) if t.startswith("**") and " · " in t.split("**")[1]]
    layer_lines = [s for s in shown if s.split(" · ")[0] in {r.name for r in shape_table(meta.arch).rows}]
    assert layer_lines == expected
    assert any(t.startswith("**input · 1@") for t in texts(at))
    assert any(t.startswith("**softmax · 10") for t in texts(at))
    assert any("conv1 weights" in t for t in texts(at))
    # Pictures: the network's view, the saliency overlay, one per layer, input, softmax, filters.
    assert len(at.get("image")) >= len(expected) + 4
    # The two pictures of each stroke travel inline: no media file a next rerun could remove.
    urls = [img.url for element in at.get("image") for img in element.proto.imgs]
    assert sum(url.startswith("data:image/png;base64,") for url in urls) == 2


@pytest.mark.slow
def test_a_new_drawing_changes_the_guess(lab_home):
    at = draw(open_page("pages/views/draw.py"), SEVEN)
    assert first_guess(at) == "### First guess: 7"
    draw(at, ONE)
    assert first_guess(at) == "### First guess: 1"


def test_a_cleared_canvas_empties_the_page_and_keeps_its_key(lab_home):
    """The canvas's own bin sends an empty drawing; the canvas itself is never replaced."""
    at = draw(open_page("pages/views/draw.py"), SEVEN)
    draw(at, [])
    assert not at.exception
    assert first_guess(at) is None and any("Draw a digit" in box.value for box in at.info)
    assert not [b for b in at.button if b.label == "Clear"]  # no page button that remounts it


def test_uploading_dark_ink_on_paper_is_inverted_and_classified(lab_home):
    at = open_page("pages/views/draw.py")
    at.session_state["draw_source"] = "Upload"
    at.run()
    photo = drawing_png(SEVEN, ink=(30, 30, 40), background=(245, 242, 235), size=400, width=28)
    at.file_uploader[0].set_value(("seven.png", photo, "image/png")).run()
    assert not at.exception
    assert first_guess(at) == "### First guess: 7"
    assert any("inverted" in c.value for c in at.caption)


def test_uploading_something_that_is_not_an_image_says_so(lab_home):
    at = open_page("pages/views/draw.py")
    at.session_state["draw_source"] = "Upload"
    at.run()
    at.file_uploader[0].set_value(("notes.png", b"these are my notes", "image/png")).run()
    assert not at.exception
    assert len(at.error) == 1 and "not an image" in at.error[0].value
    assert first_guess(at) is None


def test_the_bundled_model_is_the_default_and_shows_its_accuracy(lab_home):
    at = open_page("pages/views/draw.py")
    picker = at.selectbox(key="draw_model")
    assert picker.value == "bundled:digits"
    assert "Bundled digit model" in picker.format_func(picker.value)
    assert "test accuracy" in picker.format_func(picker.value)


def completed_run(home, dataset, arch, test_acc, status="completed"):
    """A real run in a real store, with a real final checkpoint (fresh weights: speed, not skill)."""
    from lenet_core.data import get_dataset
    from lenet_core.model.architectures import build_model
    from lenet_core.model.checkpoints import CheckpointMeta, save_checkpoint
    from lenet_core.runs import RunStore
    from lenet_core.training.config import TrainConfig

    store = RunStore(home)
    run = store.create(TrainConfig.from_dict({"dataset": dataset, "arch": arch, "epochs": 1}))
    info = get_dataset(dataset)
    meta = CheckpointMeta(arch, dataset, list(info.classes), info.mean, info.std, 1,
                          {"test_acc": test_acc}, run.id, run.config.to_dict())
    save_checkpoint(home / "runs" / run.id / "final.pt", build_model(arch).eval(), meta)
    store.mark(run.id, status, summary={"test_acc": test_acc})
    return run.id


def test_a_completed_digit_run_can_be_chosen_and_its_layers_are_shown(lab_home):
    digits = completed_run(lab_home, "mnist-5k", "lenet-classic", 0.42)
    completed_run(lab_home, "fashion-mnist", "lenet-classic", 0.8)  # not digits: not offered
    completed_run(lab_home, "mnist-5k", "lenet5", 0.9, status="failed")  # not completed
    at = open_page("pages/views/draw.py")
    picker = at.selectbox(key="draw_model")
    assert picker.options == [picker.format_func("bundled:digits"), picker.format_func(f"run:{digits}")]
    assert "test accuracy 42.0%" in picker.format_func(f"run:{digits}")
    picker.set_value(f"run:{digits}").run()
    draw(at, SEVEN)
    assert not at.exception
    assert first_guess(at) is not None
    assert any(t.startswith("**sigmoid1 · 6@28×28**") for t in texts(at))  # the run's own layers
    assert any(t.startswith("**pool2 · 16@5×5**") for t in texts(at))


def test_uploading_a_picture_without_a_digit_says_so_instead_of_asking_to_draw(lab_home):
    # A blank photo used to get "Draw a digit in the black box", with no box on screen.
    at = open_page("pages/views/draw.py")
    at.session_state["draw_source"] = "Upload"
    at.run()
    at.file_uploader[0].set_value(("white.png", drawing_png([], background="white"), "image/png")).run()
    assert not at.exception
    assert first_guess(at) is None
    assert not any("Draw a digit" in box.value for box in at.info)
    assert any(w.value.startswith("No digit found in this picture: no ink") for w in at.warning)


def test_a_run_named_by_default_is_listed_without_repeating_its_name(lab_home):
    # The picker read "Run lenet5 · mnist-5k · lenet5 · mnist-5k · test accuracy 60.8% · ...".
    run_id = completed_run(lab_home, "mnist-5k", "lenet5", 0.608)  # default name "lenet5 · mnist-5k"
    at = open_page("pages/views/draw.py")
    picker = at.selectbox(key="draw_model")
    assert picker.format_func(f"run:{run_id}") == f"Run lenet5 · mnist-5k · test accuracy 60.8% · {run_id}"


def test_a_huge_upload_is_refused_by_its_header_and_pil_never_warns(lab_home):
    import warnings


    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, format="PNG")
    at = open_page("pages/views/draw.py")
    at.session_state["draw_source"] = "Upload"
    at.run()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        at.file_uploader[0].set_value(("huge.png", buffer.getvalue(), "image/png")).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["huge.png: 10,000×10,000 pixels is too large: images up "
                                          "to 4,096×4,096 are accepted"]
    assert not [w for w in caught if "DecompressionBomb" in type(w.message).__name__]


def test_upload_mode_never_asks_to_draw_in_the_black_box(lab_home):
    at = open_page("pages/views/draw.py")
    at.session_state["draw_source"] = "Upload"
    at.run()
    assert not any("Draw a digit" in box.value for box in at.info)
    assert any(box.value.startswith("Upload a PNG or JPEG of one digit") for box in at.info)
    at.file_uploader[0].set_value(("notes.png", b"these are my notes", "image/png")).run()
    assert not at.exception
    assert len(at.error) == 1 and "not an image" in at.error[0].value
    assert not at.info  # the error alone: no request to draw (or upload) beside it


def test_a_drawing_is_kept_as_the_digit_clicked_and_can_be_deleted(lab_home):
    from lenet_core.data.my_digits import my_drawings

    at = draw(open_page("pages/views/draw.py"), SEVEN)
    assert at.button(key="draw_teach_add_7").proto.type == "primary"  # the first guess, offered first
    at.button(key="draw_teach_add_1").click().run()
    assert not at.exception
    kept = my_drawings(lab_home)
    assert kept.labels.tolist() == [1] and kept.images[0].max() == 255
    assert at.toast[0].value.startswith("Kept as a 1 (#1, to train on): 1 drawings in my digits.")
    assert at.expander[0].label == "Teach it your handwriting · 1 drawings kept"
    # The kept drawings are one picture whose box is sized before it loads: nothing below it moves.
    (tile,) = [h.proto.body for h in at.get("html") if "drawings kept" in h.proto.body]
    assert 'width="56" height="56"' in tile and tile.startswith('<img src="data:image/png;base64,')
    at.button(key="draw_teach_delete").click().run()
    assert len(my_drawings(lab_home).ids) == 0 and at.expander[0].label == "Teach it your handwriting"


@pytest.mark.slow
def test_fine_tuning_on_my_digits_shows_before_and_after_on_the_held_out_ones(lab_home):
    from helpers import wait_for

    from lenet_core import runs

    at = draw(open_page("pages/views/draw.py"), SEVEN)
    for _ in range(5):  # the fifth is held out
        at.button(key="draw_teach_add_7").click().run()
    at.button(key="draw_teach_start").click().run(timeout=120)
    assert not at.exception and not at.error
    store = runs.RunStore(lab_home)
    (run,) = store.list()
    assert (run.config.dataset, run.config.init_from) == ("my-digits", "bundled")
    assert run.config.arch == "lenet-wide"
    wait_for(store, run.id, lambda r: r.status == "completed", timeout=600)
    at.run(timeout=120)
    said = [m.value for m in at.markdown if m.value.startswith("**Before and after")]
    assert said and said[0].startswith("**Before and after, on your 1 held-out drawings:** 100.0% → ")
    at.button(key="draw_teach_use").click().run(timeout=120)
    assert at.selectbox(key="draw_model").value == f"run:{run.id}"


def _start_fine_tune(at):
    for _ in range(5):  # the fifth is held out
        at.button(key="draw_teach_add_7").click().run()
    return at.button(key="draw_teach_start").click().run(timeout=120)


def test_a_fine_tune_that_waits_says_where_a_reload_finds_it_and_one_deleted_is_gone(lab_home, monkeypatch):
    from helpers import TINY

    from lenet_core import runs
    from lenet_core.runs import queue
    from lenet_core.training.config import TrainConfig

    monkeypatch.setenv(queue.SLOTS_ENV, "cpu=1")
    store = runs.RunStore(lab_home)
    holder = store.create(TrainConfig(**TINY), "foreground")  # a run at the terminal holds the CPU slot
    at = _start_fine_tune(draw(open_page("pages/views/draw.py"), SEVEN))
    assert not at.exception and not at.error
    (fine_tune,) = [r for r in store.list() if r.id != holder.id]
    waiting = ("Fine-tuning is waiting for a CPU slot: 1st in line (1 of 1 CPU slot in use · 1 waiting). "
               "It starts by itself when the run before it ends.")
    assert [box.value for box in at.info if box.value.startswith("Fine-tuning")] == [waiting]
    assert (f"Last fine-tune: **lenet-wide · fine-tuned on my digits** ({fine_tune.id}), starting from the "
            "bundled model.") in [c.value for c in at.caption]

    again = open_page("pages/views/draw.py")  # a reload: a new session, the same store
    assert again.expander[0].label == "Teach it your handwriting · 5 drawings kept"
    assert again.expander[0].proto.expanded  # open while it waits or trains
    assert [box.value for box in again.info if box.value.startswith("Fine-tuning")] == [waiting]

    runs.stop(fine_tune.id)  # cancelled while it waits, then deleted on the Training page
    runs.delete(fine_tune.id, lab_home)
    at.run()
    assert not at.exception and not at.error
    assert not any(c.value.startswith("Last fine-tune") for c in at.caption)
    assert not any(box.value.startswith("Fine-tuning") for box in at.info)
    runs.stop(holder.id)


@pytest.mark.slow
def test_a_fine_tune_whose_trainer_is_killed_says_so_instead_of_waiting_for_ever(lab_home):
    import os
    import signal
    import time

    from lenet_core import runs

    at = _start_fine_tune(draw(open_page("pages/views/draw.py"), SEVEN))
    store = runs.RunStore(lab_home)
    (run,) = store.list()
    assert run.pid and run.active
    os.kill(run.pid, signal.SIGKILL)  # out of memory, say: it never writes another word
    deadline = time.monotonic() + 60
    while runs.pid_alive(run.pid) and time.monotonic() < deadline:
        time.sleep(0.1)  # the server's reaper thread collects it
    at.run(timeout=120)
    assert not at.exception
    said = [e.value for e in at.error]
    assert said and said[0].startswith(f"The fine-tune run {run.id} failed: the training process "
                                       f"(pid {run.pid})")
    assert store.get(run.id).status == "failed"
