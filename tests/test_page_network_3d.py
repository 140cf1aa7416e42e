"""AppTest: the 3D network view on the Draw page and in the Layer Explorer — its controls, its
selection and what the browser is sent."""

import json

from helpers import SEVEN, draw, open_page

from lenet_core.format import format_fixed
from lenet_core.inspect import geometry
from lenet_core.model.architectures import get_architecture
from lenet_core.model.checkpoints import load_model, pretrained_path
from lenet_core.present import camera
from lenet_core.present import scene as scene3d

DRAW = "pages/views/draw.py"


def deck(at) -> tuple[str, dict]:
    (chart,) = at.get("deck_gl_json_chart")
    return chart.proto.id, json.loads(chart.proto.json)


def planes_sent(spec) -> set[str]:
    return {layer["id"].split(scene3d.ID_SEP)[0] for layer in spec["layers"]
            if layer["@@type"] == "SolidPolygonLayer"}


def units_sent(spec) -> int:
    return sum(len(layer["data"]) for layer in spec["layers"]
               if layer["@@type"] == "SolidPolygonLayer")


def bundled_planes():
    _, meta = load_model(pretrained_path("digits"))
    return geometry.planes(get_architecture(meta.arch))


def test_a_drawing_shows_every_unit_of_every_layer_in_3d(lab_home):
    at = draw(open_page(DRAW), SEVEN)
    assert not at.exception
    assert any(h.value == "The network in 3D" for h in at.subheader)
    _, spec = deck(at)
    planes = bundled_planes()
    assert planes_sent(spec) == {p.name for p in planes}
    assert units_sent(spec) == sum(p.size for p in planes)
    assert spec["views"][0]["@@type"] == "OrbitView"
    assert len(at.get("deck_gl_json_chart")[0].proto.json.encode()) < scene3d.payload_goal(planes)


def test_hiding_a_layer_removes_it_and_show_all_brings_everything_back(lab_home):
    at = draw(open_page(DRAW), SEVEN)
    names = [p.name for p in bundled_planes()]
    shown = ["input", "conv1", names[-1]]  # the output layer, whatever the bundled net calls it
    at.button_group(key="draw_3d_layers").set_value(shown).run()
    assert planes_sent(deck(at)[1]) == set(shown)
    at.button(key="draw_3d_all").click().run()
    assert planes_sent(deck(at)[1]) == set(names)
    at.button_group(key="draw_3d_layers").set_value([]).run()
    assert any("Every layer is hidden" in box.value for box in at.info)


def test_camera_presets_and_reset_give_a_new_view_and_the_choice_survives_a_new_drawing(lab_home):
    at = draw(open_page(DRAW), SEVEN)
    first_id, spec = deck(at)
    assert spec["initialViewState"]["rotationOrbit"] == camera.VIEWS["3/4"]["rotationOrbit"]
    at.button_group(key="draw_3d_view").set_value("top").run()
    top_id, spec = deck(at)
    assert spec["initialViewState"]["rotationX"] == camera.VIEWS["top"]["rotationX"]
    assert top_id != first_id  # a new chart: the camera goes to the preset
    draw(at, [[(80, 60), (200, 60), (140, 230)]])
    same_id, spec = deck(at)
    assert same_id == top_id and spec["initialViewState"]["rotationX"] == camera.VIEWS["top"]["rotationX"]
    at.button(key="draw_3d_reset").click().run()
    assert deck(at)[0] != top_id


def test_a_selected_unit_draws_its_lines_explains_itself_and_stays_selected(lab_home):
    at = draw(open_page(DRAW), SEVEN)
    at.session_state["draw_3d_unit"] = ("conv2", (3, 4, 4))
    at.run()
    assert not at.exception
    lines = next(layer for layer in deck(at)[1]["layers"] if layer["id"] == "lines")
    maps_read = next(p for p in bundled_planes() if p.name == "pool1").shape[0]
    assert len(lines["data"]) == maps_read * 25  # a 5×5 window on every map of pool1
    assert any(m.value.startswith("**Selected: conv2 map 3 (4, 4)**") for m in at.markdown)
    steps = "\n".join(c.value for c in at.code)
    assert f"conv2: Σ w·x over {maps_read * 25} inputs" in steps and "relu" in steps
    draw(at, [[(80, 60), (200, 60), (140, 230)]])  # a new drawing: still selected
    assert any(m.value.startswith("**Selected: conv2 map 3 (4, 4)**") for m in at.markdown)
    at.button_group(key="draw_3d_layers").set_value(["input", "conv1"]).run()
    assert not [layer for layer in deck(at)[1]["layers"] if layer["id"] == "lines"]
    assert any("Its layer is hidden" in c.value for c in at.caption)


def test_the_toggle_turns_the_view_off(lab_home):
    at = draw(open_page(DRAW), SEVEN)
    at.toggle(key="draw_3d_show").set_value(False).run()
    assert at.get("deck_gl_json_chart") == []
    assert not at.exception


EXPLORER = "pages/views/explorer.py"


def test_explorer_3d_steps_one_sample_through_a_runs_epochs_and_colours_the_change(lab_home):
    import numpy as np

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
    assert at.get("deck_gl_json_chart") == []  # off until asked for: the Explorer reruns often
    at.toggle(key="explore_3d_show").set_value(True).run()
    assert not at.exception
    slider = at.select_slider(key="explore_3d_epoch")
    assert slider.value == 2
    slider.set_value(1).run()
    # the tiles are epoch 1's values for this sample
    model, meta = load_model(dict(checkpoint_paths(run.id, lab_home))[1])
    pixels, _, _ = data.sample("mnist-5k", "test", 0)
    outputs, _ = forward_all(model, model_input(pixels, meta))
    texts = [r[1] for layer in deck(at)[1]["layers"] if layer["id"] == "conv2~lenet5"
             for r in layer["data"]]
    assert f"conv2 map 0 (0, 0): {format_fixed(float(outputs['tanh2'][0, 0, 0]), 3)}" in texts
    assert at.button_group(key="explore_3d_colour").options == ["Values"]  # epoch 1: nothing before
    slider.set_value(2).run()
    at.button_group(key="explore_3d_colour").set_value("Change from the epoch before").run()
    assert not at.exception
    assert any("change from epoch 1" in c.value for c in at.caption)
    _, spec = deck(at)
    signed = [r[1] for layer in spec["layers"] if layer["id"] == "fc1~lenet5" for r in layer["data"]]
    assert all(t.split(": ")[1][0] in "+−" for t in signed)  # a true minus sign, as every view
    assert any(np.abs(float(t.split(": ")[1].replace("−", "-"))) > 0 for t in signed)


def test_explorer_3d_colours_the_change_from_the_second_sample(lab_home):
    at = open_page(EXPLORER)
    at.toggle(key="explore_compare").set_value(True).run()
    at.toggle(key="explore_3d_show").set_value(True).run()
    at.button_group(key="explore_3d_colour").set_value("Change from the other sample").run()
    assert not at.exception
    assert any("change from the other sample" in c.value for c in at.caption)
    texts = [r[1] for layer in deck(at)[1]["layers"] if layer["id"].startswith("input~")
             for r in layer["data"]]
    assert any(t.endswith(("+0.000", "-0.000")) for t in texts)  # background: no change
    assert any(not t.endswith(("+0.000", "-0.000")) for t in texts)  # the strokes differ


def test_the_change_from_the_epoch_before_compares_mirrored_with_mirrored_guesses(lab_home):
    """A run that predicts with each image's mirror image too (test_mirror): the view's guesses
    are mirrored, so the reference epoch's must be as well (they were not: the difference mixed
    the two)."""
    import re

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
    records = [r for layer in deck(at)[1]["layers"] for r in layer.get("data", []) if isinstance(r, list)]
    shown = {int(m.group(1)): float(m.group(2).replace("−", "-")) for r in records
             if (m := re.search(r"class (\d+): ([+−]\d\.\d+)$", str(r[1])))}
    assert sorted(shown) == list(range(10))
    assert max(abs(shown[k] - expected[k]) for k in range(10)) < 1.5e-3, (shown, expected)


def _a_click_in_3d_script():
    """The 3D view's click handler and the Draw page's unit inspector, on the bundled digit
    model: a button stands in for deck.gl's click, with the selection pydeck reports."""
    import numpy as np
    import streamlit as st

    from lenet_core.inspect import geometry
    from lenet_core.inspect.activations import forward_pass
    from lenet_core.model.architectures import get_architecture
    from lenet_core.model.checkpoints import load_model, pretrained_path
    from lenet_core.present import scene as scene3d
    from pages.ui import network_3d
    from pages.ui.unit_inspector import unit_inspector_expander

    model, meta = load_model(pretrained_path("digits"))
    arch = get_architecture(meta.arch)
    planes = geometry.planes(arch)
    image = np.zeros((28, 28), np.float32)
    seen = forward_pass(model, meta, image)
    for name, unit in (("conv2", (3, 4, 4)), ("input", (0, 5, 6))):
        plane = next(p for p in planes if p.name == name)
        u = int(scene3d.pack(np.array([np.ravel_multi_index(unit, plane.shape)]), np.zeros((1, 3)))[0])
        st.session_state[f"fake_{name}"] = {"selection": {"objects": {f"{name}~{arch.name}": [[u, ""]]}}}
        st.button(name, key=f"click_{name}", on_click=network_3d._on_pick, args=(f"fake_{name}", "t", planes))
    unit_inspector_expander(model, arch, seen, image, "t")


def test_a_click_in_3d_opens_the_unit_inspector_on_that_unit():
    """The click goes through the inspector's own select_unit: the 3D view sets none of its keys."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_a_click_in_3d_script, default_timeout=60).run()
    assert not at.exception and not at.metric  # the inspector is shut until something opens it
    at.button(key="click_conv2").click().run()
    assert not at.exception
    assert at.session_state["t_3d_unit"] == ("conv2", (3, 4, 4))
    assert at.metric[0].label == "conv2 map 3, row 4, column 4"
    assert at.selectbox(key="t_unit_layer").value == "conv2"
    at.button(key="click_input").click().run()  # an input pixel: selected, nothing to inspect
    assert at.session_state["t_3d_unit"] == ("input", (0, 5, 6))
    assert at.metric[0].label == "conv2 map 3, row 4, column 4"
