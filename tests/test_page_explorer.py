"""AppTest: the Layer Explorer page — model, dataset, sample, epoch and unit choices, run for real."""

import functools
import re

import pytest
from helpers import open_page

from lenet_core import data
from lenet_core.inspect.activations import forward_all
from lenet_core.inspect.unit import output_shapes
from lenet_core.model.architectures import get_architecture
from lenet_core.model.checkpoints import load_model, pretrained_path
from lenet_core.model.inputs import model_input
from lenet_core.model.shapes import layer_label

PAGE = "pages/views/explorer.py"


def texts(at):
    return [m.value for m in at.markdown]


def sample_line(at, n=0):
    """The n-th "**Label:** ... **Prediction:** ..." block, parsed."""
    lines = [t for t in texts(at) if t.startswith("**Label:**")]
    match = re.match(r"\*\*Label:\*\* (.+?)  \n\*\*Prediction:\*\* (.+?) · (.+?) confident :(\w+)\[(\w+)\]",
                     lines[n])
    return {"label": match[1], "prediction": match[2], "verdict": match[5]}


def shown_index(at):
    return int(at.number_input(key="explore_index").value)


def bundled_outputs(index, split="test"):
    model, meta = load_model(pretrained_path())
    pixels, _, _ = data.sample("mnist-5k", split, index)
    outputs, _ = forward_all(model, model_input(pixels, meta))
    return outputs


@functools.cache
def bundled_shapes() -> dict[str, tuple[int, ...]]:
    """Each layer's output shape in the bundled model (the last is its output layer)."""
    _, meta = load_model(pretrained_path())
    return output_shapes(get_architecture(meta.arch))


def layer_title(name: str) -> str:
    """The bold title the shared widget gives a layer: ``**conv1 · 16@28×28**``, ``**fc2 · 10**``."""
    return f"**{layer_label(name, (1, *bundled_shapes()[name]))}**"


OUTPUT = list(bundled_shapes())[-1]


def test_opens_on_the_bundled_model_with_the_first_test_sample(lab_home):
    at = open_page(PAGE)
    assert not at.exception
    assert at.selectbox(key="explore_model").value == "bundled:digits"
    assert at.selectbox(key="explore_dataset").value == "mnist-5k"
    _, label, _ = data.sample("mnist-5k", "test", 0)
    assert sample_line(at)["label"] == str(label)
    # every layer is drawn by the shared widget, labelled from the shape table
    assert any(t.startswith(layer_title("conv1")) for t in texts(at))
    assert any(t.startswith(layer_title(OUTPUT)) for t in texts(at))


@pytest.mark.slow
def test_index_next_previous_and_out_of_range(lab_home):
    at = open_page(PAGE)
    at.number_input(key="explore_index").set_value(41).run()
    assert sample_line(at)["label"] == str(data.sample("mnist-5k", "test", 41)[1])
    at.button(key="explore_next").click().run()
    assert shown_index(at) == 42
    at.number_input(key="explore_index").set_value(0).run()
    at.button(key="explore_prev").click().run()
    assert shown_index(at) == 999  # wraps around to the last test sample
    at.number_input(key="explore_index").set_value(5000).run()
    assert not at.exception
    assert any("index 5000 is out of range" in e.value and "(0–999)" in e.value for e in at.error)
    # the error alone: no "not in this pool ... Previous or Next joins it" beside it
    assert not any("not in this pool" in c.value for c in at.caption)


@pytest.mark.slow
def test_choosing_a_pool_moves_to_a_sample_of_it(lab_home):
    # "Misclassified only" used to keep showing the right answer on screen ("not in this pool").
    at = open_page(PAGE)
    at.number_input(key="explore_index").set_value(1).run()
    at.segmented_control(key="explore_pool").set_value("misclassified").run()
    assert not at.exception
    line = sample_line(at)
    assert line["verdict"] == "wrong" and shown_index(at) > 1
    assert any(c.value.startswith("Sample 1 of ") and "misclassified" in c.value for c in at.caption)
    at.segmented_control(key="explore_pool").set_value("class").run()
    at.selectbox(key="explore_class_class").set_value(4).run()
    assert sample_line(at)["label"] == "4"
    at.number_input(key="explore_index").set_value(2).run()  # typed by hand: stays, explained
    assert shown_index(at) == 2
    assert any("not in this pool" in c.value for c in at.caption)


@pytest.mark.slow
def test_one_class_pool_steps_through_that_class_only(lab_home):
    at = open_page(PAGE)
    at.segmented_control(key="explore_pool").set_value("class").run()
    at.selectbox(key="explore_class_class").set_value(3).run()
    for _ in range(3):
        at.button(key="explore_next").click().run()
        assert sample_line(at)["label"] == "3"
    assert any("of 100 samples of class 3" in c.value for c in at.caption)
    at.button(key="explore_random").click().run()
    assert sample_line(at)["label"] == "3"


@pytest.mark.slow
def test_misclassified_pool_shows_only_wrong_predictions(lab_home):
    at = open_page(PAGE)
    at.segmented_control(key="explore_pool").set_value("misclassified").run()
    assert not at.exception
    assert any(re.search(r"The model gets 9\d\.\d% of mnist-5k test right \(\d+ wrong\)", c.value)
               for c in at.caption)
    seen = set()
    for _ in range(3):
        at.button(key="explore_next").click().run()
        line = sample_line(at)
        assert line["verdict"] == "wrong" and line["label"] != line["prediction"]
        seen.add(shown_index(at))
    assert len(seen) == 3


@pytest.mark.slow
def test_unit_choice_reproduces_the_forward_pass(lab_home):
    at = open_page(PAGE)
    at.number_input(key="explore_index").set_value(7).run()
    at.selectbox(key="explore_unit_layer").set_value("conv2").run()
    at.number_input(key="explore_unit_map_conv2").set_value(3).run()
    at.number_input(key="explore_unit_row_conv2").set_value(2).run()
    at.number_input(key="explore_unit_col_conv2").set_value(9).run()
    assert not at.exception
    metric = at.metric[0]
    assert metric.label == "conv2 map 3, row 2, column 9"  # the map as picked: from 0, as PyTorch counts
    assert all(w.label.startswith(("Map (0–", "Row (0–", "Column (0–")) for w in at.number_input
               if w.key and w.key.startswith("explore_unit_"))
    expected = float(bundled_outputs(7)["conv2"][3, 2, 9])
    assert float(metric.value.replace("−", "-")) == pytest.approx(expected, abs=1e-4)
    assert any("the same value" in s.value for s in at.success)
    # written as the value is: "gives 1.078977" beside a value of 1.0790 looked like a disagreement
    assert any(f"gives {metric.value}:" in s.value for s in at.success)
    assert any("sees rows" in c.value for c in at.caption)
    # a dense unit: every input of flatten
    at.selectbox(key="explore_unit_layer").set_value("fc1").run()
    at.number_input(key="explore_unit_index_fc1").set_value(17).run()
    assert at.metric[0].label == "fc1 unit 17"
    assert float(at.metric[0].value.replace("−", "-")) == pytest.approx(
        float(bundled_outputs(7)["fc1"][17]), abs=1e-4)
    assert any(f"all {bundled_shapes()['flatten'][0]} values of `flatten`" in t for t in texts(at))


@pytest.mark.slow
def test_two_samples_side_by_side(lab_home):
    at = open_page(PAGE)
    at.number_input(key="explore_index").set_value(3).run()
    at.toggle(key="explore_compare").set_value(True).run()
    at.number_input(key="explore_second").set_value(250).run()
    assert not at.exception
    assert sample_line(at, 0)["label"] == str(data.sample("mnist-5k", "test", 3)[1])
    assert sample_line(at, 1)["label"] == str(data.sample("mnist-5k", "test", 250)[1])
    assert sum(t.startswith(layer_title("conv1")) for t in texts(at)) == 2
    at.segmented_control(key="explore_which").set_value("sample B").run()
    at.selectbox(key="explore_unit_layer").set_value(OUTPUT).run()
    at.number_input(key=f"explore_unit_index_{OUTPUT}").set_value(2).run()
    assert float(at.metric[0].value.replace("−", "-")) == pytest.approx(
        float(bundled_outputs(250)[OUTPUT][2]), abs=1e-4)


@pytest.mark.slow
def test_channel_statistics_table(lab_home):
    at = open_page(PAGE)
    at.selectbox(key="explore_stats_layer").set_value("pool2").run()
    frame = at.dataframe[0].value
    assert list(frame.columns) == ["map", "min", "max", "mean", "active"]
    assert len(frame) == bundled_shapes()["pool2"][0]
    pool2 = bundled_outputs(0)["pool2"]
    assert frame["max"].iloc[5] == pytest.approx(float(pool2[5].max()), abs=1e-5)


def test_an_unavailable_dataset_is_explained(lab_home):
    at = open_page(PAGE)
    at.selectbox(key="explore_dataset").set_value("mnist").run()
    assert not at.exception
    assert any("MNIST is not available here" in e.value and "datasets --download mnist" in e.value
               for e in at.error)


@pytest.mark.slow
def test_the_draw_page_inspects_a_unit_of_the_drawing(lab_home):
    from helpers import SEVEN, draw

    at = draw(open_page("pages/views/draw.py"), SEVEN)
    assert not at.exception and not at.metric  # closed: nothing built yet
    at.session_state["draw_unit_open"] = True  # a person opens the expander
    at.run()
    at.selectbox(key="draw_unit_layer").set_value(OUTPUT).run()
    at.number_input(key=f"draw_unit_index_{OUTPUT}").set_value(7).run()
    assert not at.exception
    assert at.metric[0].label == f"{OUTPUT} unit 7"
    assert any("the same value" in s.value for s in at.success)


@pytest.mark.slow
def test_epoch_slider_over_a_real_run_and_a_run_without_checkpoints(lab_home):
    from lenet_core.runs import RunStore, checkpoint_paths, execute
    from lenet_core.training.config import TrainConfig

    store = RunStore(lab_home)
    tiny = TrainConfig(dataset="mnist-5k", arch="lenet-classic", epochs=2, device="cpu", train_subset=512)
    run = store.create(tiny, name="tiny")
    execute(run.id, home=lab_home)  # the engine's own loop, in this process: 2 epochs of 512 digits
    waiting = store.create(tiny, name="waiting")  # queued, never started: no checkpoint
    at = open_page(PAGE)
    at.selectbox(key="explore_model").set_value(f"run:{run.id}").run()
    assert not at.exception
    slider = at.select_slider(key=f"explore_epoch_{run.id}")
    assert slider.value == 2  # the last epoch by default
    assert any("checkpoint after epoch 2" in c.value for c in at.caption)
    slider.set_value(1).run()
    assert not at.exception
    assert any("checkpoint after epoch 1" in c.value for c in at.caption)
    # the unit inspector reads the epoch-1 weights: its value is epoch 1's forward pass
    epoch1 = dict(checkpoint_paths(run.id, lab_home))[1]
    model, meta = load_model(epoch1)
    pixels, _, _ = data.sample("mnist-5k", "test", 0)
    x = model_input(pixels, meta)
    outputs, _ = forward_all(model, x)
    assert at.metric[0].label == "conv1 map 0, row 14, column 14"
    assert float(at.metric[0].value.replace("−", "-")) == pytest.approx(float(outputs["conv1"][0, 14, 14]),
                                                                       abs=1e-4)
    trace = next(d.value for d in at.dataframe if "p_label" in d.value.columns)
    assert list(trace["epoch"]) == [1, 2] and list(trace["shown"]) == ["◀", ""]

    at.selectbox(key="explore_model").set_value(f"run:{waiting.id}").run()
    assert not at.exception
    assert any("has no checkpoint yet" in e.value for e in at.error)


@pytest.mark.slow
def test_misclassified_count_is_the_training_pages_for_a_run_on_raw_pixels(lab_home):
    """A run trained without standardised pixels (the form's default): the Explorer's wrong count
    is the one the Training page shows, and the pool holds only wrong answers."""
    from lenet_core.runs import RunStore, execute
    from lenet_core.training.config import TrainConfig

    store = RunStore(lab_home)
    config = TrainConfig(dataset="mnist-5k", arch="lenet5", epochs=1, batch_size=64, lr=0.1,
                         optimizer="sgd-momentum", normalise=False, device="cpu")
    run = store.create(config, name="raw-pixels")
    execute(run.id, home=lab_home)
    training = open_page("pages/views/training.py")
    line = next(m.value for m in training.markdown if m.value.startswith("**Misclassified test images**"))
    wrong_on_training_page = int(re.search(r"— ([\d,]+) of", line)[1].replace(",", ""))

    at = open_page(PAGE)
    at.selectbox(key="explore_model").set_value(f"run:{run.id}").run()
    at.segmented_control(key="explore_pool").set_value("misclassified").run()
    assert not at.exception
    caption = next(c.value for c in at.caption if "wrong)" in c.value)
    assert int(re.search(r"\(([\d,]+) wrong\)", caption)[1].replace(",", "")) == wrong_on_training_page
    for _ in range(3):  # every sample the pool steps to is a wrong answer
        assert sample_line(at)["verdict"] == "wrong"
        at.button(key="explore_next").click().run()


def test_a_run_on_an_imported_dataset_is_explored_on_its_own_images(lab_home, tmp_path):
    from helpers import SHAPES, finished_run, write_shapes

    from lenet_core.data.imported import import_dataset

    import_dataset(write_shapes(tmp_path / "shapes", per_class=8), "shapes")
    run = finished_run(lab_home, "shapes run", dataset="shapes", train_subset=0, batch_size=6)
    at = open_page(PAGE)
    at.selectbox(key="explore_model").set_value(f"run:{run.id}").run()
    at.selectbox(key="explore_dataset").set_value("shapes").run()
    assert not at.exception and not at.error
    assert "shapes (yours)" in at.selectbox(key="explore_dataset").options
    line = sample_line(at)
    assert line["label"] in SHAPES and line["prediction"] in SHAPES


def test_a_colour_run_is_explored_in_colour_its_channels_named_and_a_unit_on_its_image(lab_home, tmp_path):
    from helpers import finished_run, write_shapes

    from lenet_core.data.imported import ImportOptions, import_dataset

    import_dataset(write_shapes(tmp_path / "hues", per_class=8, colour=True), "hues",
                   ImportOptions(side=32, colour=True))
    run = finished_run(lab_home, "hues run", dataset="hues", arch="lenet-modern", train_subset=0,
                       batch_size=6)
    at = open_page(PAGE)
    assert "hues (yours)" not in at.selectbox(key="explore_dataset").options  # the bundled one reads grey
    at.selectbox(key="explore_model").set_value(f"run:{run.id}").run()
    assert not at.exception and not at.error
    assert "MNIST 5k (offline subset)" in at.selectbox(key="explore_dataset").options  # 3 equal channels
    at.selectbox(key="explore_dataset").set_value("hues").run()
    assert any(t.startswith("**input · 3@32×32**") and "red, green and blue" in t for t in texts(at))
    at.selectbox(key="explore_unit_layer").set_value("conv1").run()
    assert not at.exception
    assert any("of the 32×32 image" in c.value for c in at.caption)
    at.toggle(key="explore_3d_show").set_value(True).run()
    assert not at.exception and not at.error
    at.selectbox(key="explore_model").set_value(at.selectbox(key="explore_model").options[0]).run()
    assert not at.exception and at.selectbox(key="explore_dataset").value != "hues"  # grey again
