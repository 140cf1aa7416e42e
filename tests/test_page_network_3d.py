"""AppTest: the 3D element on the Draw page and in the Layer Explorer — the values each input
sends it (the network and its weights go once per model), a clicked unit explained and opened in
the unit inspector, the Explorer's epochs and differences."""

import base64

import numpy as np
from helpers import SEVEN, click_unit, draw, element_args, open_page

from lenet_core.inspect import geometry
from lenet_core.model.architectures import get_architecture
from lenet_core.model.checkpoints import load_model, pretrained_path

DRAW = "pages/views/draw.py"


def bundled_planes():
    _, meta = load_model(pretrained_path("digits"))
    return geometry.planes(get_architecture(meta.arch))


def sent_values(at, prefix: str, which: str = "values") -> dict[str, np.ndarray]:
    """Each plane's values (or the reference's) as the element got them: float32."""
    sent = element_args(at, prefix)[which] or {}
    return {name: np.frombuffer(base64.b64decode(text), "<f4") for name, text in sent.items()}


def test_a_drawing_sends_every_units_value_and_the_network_once(lab_home):
    at = draw(open_page(DRAW), SEVEN)
    assert not at.exception
    assert any(h.value == "The network in 3D" for h in at.subheader)
    planes = bundled_planes()
    args = element_args(at, "draw")
    assert args["mode"] == "server" and args["bundle"] is not None and args["spec"] is not None
    values = sent_values(at, "draw")
    assert {name: v.size for name, v in values.items()} == {p.name: p.size for p in planes}
    assert values[planes[-1].name].sum() == np.float32(1.0) or abs(values[planes[-1].name].sum() - 1) < 1e-5
    # once the element holds the model, a new drawing sends only values: 20,570 floats, not a deck
    at.session_state["draw_3d_element"] = {"have": args["model_id"]}
    draw(at, [[(80, 60), (200, 60), (140, 230)]])
    again = element_args(at, "draw")
    assert again["bundle"] is None and again["spec"] is None
    assert len(str(again["values"])) < 150_000  # the deck it replaced was 400 KB to 1 MB


def test_a_clicked_unit_explains_itself_stays_selected_and_opens_the_inspector(lab_home):
    at = draw(open_page(DRAW), SEVEN)
    click_unit(at, "draw", "conv2", [3, 4, 4])
    assert not at.exception
    maps_read = next(p for p in bundled_planes() if p.name == "pool1").shape[0]
    assert any(m.value.startswith("**Selected: conv2 map 3 (4, 4)**") for m in at.markdown)
    steps = "\n".join(c.value for c in at.code)
    assert f"conv2: Σ w·x over {maps_read * 25} inputs" in steps and "relu" in steps
    assert at.session_state["draw_unit_open"] is True
    assert at.selectbox(key="draw_unit_layer").value == "conv2"
    assert at.metric[0].label == "conv2 map 3, row 4, column 4"
    draw(at, [[(80, 60), (200, 60), (140, 230)]])  # a new drawing: still selected
    assert any(m.value.startswith("**Selected: conv2 map 3 (4, 4)**") for m in at.markdown)
    click_unit(at, "draw", "input", [0, 5, 6])  # an input pixel: nothing to inspect
    assert any("An input pixel" in c.value for c in at.caption)
    assert at.metric[0].label == "conv2 map 3, row 4, column 4"


def test_a_click_on_a_unit_the_network_does_not_have_selects_nothing(lab_home):
    at = draw(open_page(DRAW), SEVEN)
    click_unit(at, "draw", "conv9", [0])
    click_unit(at, "draw", "conv2", [99, 0, 0])
    assert not at.exception
    assert not any(m.value.startswith("**Selected:") for m in at.markdown)


def test_the_toggle_turns_the_view_off(lab_home):
    at = draw(open_page(DRAW), SEVEN)
    at.toggle(key="draw_3d_show").set_value(False).run()
    assert at.get("component_instance") == []
    assert not at.exception


EXPLORER = "pages/views/explorer.py"


def test_explorer_3d_steps_one_sample_through_a_runs_epochs_and_colours_the_change(lab_home):
    from lenet_core import data
    from lenet_core.inspect.activations import forward_all
    from lenet_core.model.inputs import model_input
    from lenet_core.runs import RunStore, checkpoint_paths, execute
    from lenet_core.training.config import TrainConfig

    store = RunStore(lab_home)
    run = store.create(TrainConfig(dataset="mnist-5k", arch="lenet5", epochs=2, device="cpu",
                                   train_subset=512), name="two epochs")
    execute(run.id, home=lab_home)
    at = open_page(EXPLORER)
    at.selectbox(key="explore_model").set_value(f"run:{run.id}").run()
    assert at.get("component_instance") == []  # off until asked for: the Explorer reruns often
    at.toggle(key="explore_3d_show").set_value(True).run()
    assert not at.exception
    slider = at.select_slider(key="explore_3d_epoch")
    assert slider.value == 2
    slider.set_value(1).run()
    # the tiles are epoch 1's values for this sample
    model, meta = load_model(dict(checkpoint_paths(run.id, lab_home))[1])
    pixels, _, _ = data.sample("mnist-5k", "test", 0)
    outputs, _ = forward_all(model, model_input(pixels, meta))
    assert np.allclose(sent_values(at, "explore")["conv2"], outputs["tanh2"].numpy().ravel(), atol=1e-6)
    assert at.button_group(key="explore_3d_colour").options == ["Values"]  # epoch 1: nothing before
    slider.set_value(2).run()
    at.button_group(key="explore_3d_colour").set_value("Change from the epoch before").run()
    assert not at.exception
    assert any("change from epoch 1" in c.value for c in at.caption)
    change = sent_values(at, "explore")["fc1"] - sent_values(at, "explore", "reference")["fc1"]
    assert np.abs(change).max() > 0
    assert element_args(at, "explore")["reference_label"] == "epoch 1"


def test_explorer_3d_colours_the_change_from_the_second_sample(lab_home):
    at = open_page(EXPLORER)
    at.toggle(key="explore_compare").set_value(True).run()
    at.toggle(key="explore_3d_show").set_value(True).run()
    at.button_group(key="explore_3d_colour").set_value("Change from the other sample").run()
    assert not at.exception
    assert any("change from the other sample" in c.value for c in at.caption)
    change = sent_values(at, "explore")["input"] - sent_values(at, "explore", "reference")["input"]
    assert (change == 0).any()  # background: no change
    assert (np.abs(change) > 0.1).any()  # the strokes differ


def test_the_change_from_the_epoch_before_compares_mirrored_with_mirrored_guesses(lab_home):
    """A run that predicts with each image's mirror image too (test_mirror): the view's guesses
    are mirrored, so the reference epoch's must be as well (they were not: the difference mixed
    the two)."""
    from lenet_core import data
    from lenet_core.model.inputs import class_probabilities, model_input
    from lenet_core.runs import RunStore, checkpoint_paths, execute
    from lenet_core.training.config import TrainConfig

    store = RunStore(lab_home)
    run = store.create(TrainConfig(dataset="mnist-5k", arch="lenet5", epochs=2, device="cpu",
                                   train_subset=512, test_mirror=True), name="mirrored")
    execute(run.id, home=lab_home)
    at = open_page(EXPLORER)
    at.selectbox(key="explore_model").set_value(f"run:{run.id}").run()
    at.toggle(key="explore_3d_show").set_value(True).run()
    at.button_group(key="explore_3d_colour").set_value("Change from the epoch before").run()
    assert not at.exception
    pixels, _, _ = data.sample("mnist-5k", "test", 0)
    saved = dict(checkpoint_paths(run.id, lab_home))
    guesses = []
    for epoch in (1, 2):
        model, meta = load_model(saved[epoch])
        guesses.append(class_probabilities(model, model_input(pixels, meta), mirror=True)[0])
    expected = (guesses[1] - guesses[0]).detach().numpy()
    shown = sent_values(at, "explore")["fc3"] - sent_values(at, "explore", "reference")["fc3"]
    assert np.abs(shown - expected).max() < 1e-5, (shown, expected)
