"""AppTest: the Network Designer against a real home folder: the layer list edited through its
widgets, the shape table following it, saved files written and read back, bad names and broken
files refused in one line."""

from __future__ import annotations

import json

from helpers import open_page

from lenet_core.model.architectures import LENET_CLASSIC
from lenet_core.model.exercises import find_exercise
from lenet_core.model.grammar import layers_text, parse_layers

PAGE = "pages/views/designer.py"
CLASSIC = layers_text(LENET_CLASSIC.layers)


def designer(lab_home):
    at = open_page(PAGE)
    assert not at.exception
    return at


def table(at):
    """The shape table's rows: (#, name, output shape), the total or the break last."""
    frames = [f.value for f in at.dataframe]
    assert len(frames) == 1
    frame = frames[0].data if hasattr(frames[0], "data") else frames[0]  # a Styler when it breaks
    return list(zip(frame["index"], frame["name"], frame["output_shape"]))


def text(at) -> str:
    return at.text_area(key="designer_text").value


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def row_widget(at, index: int, part: str, kind: str = "number_input"):
    """Row ``index``'s widget (0 first): a number by field name, or the kind select."""
    found = [w for w in at.get(kind)
             if w.key.startswith("designer_row_") and w.key.endswith(f"_{index}_{part}")]
    assert len(found) == 1, [w.key for w in at.get(kind)]
    return found[0]


def row_button(at, index: int, help_text: str):
    found = [b for b in at.button if b.key and b.key.startswith("designer_row_")
             and b.key.endswith(f"_{index}_{'remove' if help_text == 'Remove' else help_text}")]
    assert len(found) == 1
    return found[0]


def saved_files(lab_home) -> list[str]:
    folder = lab_home / "architectures"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_it_opens_on_the_tutorials_network_with_its_twelve_layers(lab_home):
    at = designer(lab_home)
    rows = table(at)
    assert len(rows) == 13 and rows[-1][1] == "total"  # 12 layers, then the total
    assert [r[1] for r in rows[:3]] == ["conv1", "sigmoid1", "pool1"] and rows[6][2] == "1×400"
    assert text(at) == CLASSIC
    assert at.selectbox(key="designer_from").value == "lenet-classic"
    assert len([w for w in at.selectbox if w.key.startswith("designer_row_")]) == 12
    assert [m.value for m in at.metric][:2] == ["61,706", "416,520"]
    assert not button(at, "Save").disabled


def test_an_exercise_loads_with_one_click(lab_home):
    at = designer(lab_home)
    button(at, "Max pooling").click().run()
    assert not at.exception
    assert text(at) == find_exercise("lenet-maxpool").text != CLASSIC
    assert row_widget(at, 2, "kind", "selectbox").value == "maxpool"
    assert at.text_input(key="designer_name").value == "lenet-maxpool"
    button(at, "A third convolution").click().run()
    names = [r[1] for r in table(at)]
    assert names[:7] == ["conv1", "sigmoid1", "pool1", "conv2", "sigmoid2", "conv3", "sigmoid3"]


def test_a_window_too_large_marks_its_layer_with_the_reason_and_save_stays_disabled(lab_home):
    at = designer(lab_home)
    row_widget(at, 3, "kernel_size").set_value(15).run()  # conv2: 15×15 on 14×14 maps
    assert not at.exception
    assert "conv(16,15)" in text(at)
    reason = "layer 4 (conv(16,15)): a 15×15 window does not fit the 14×14 maps that reach it"
    assert [e.value for e in at.error] == [reason]
    assert table(at)[-1] == ("4", "conv2", "✗ does not fit") and len(table(at)) == 4
    assert button(at, "Save").disabled
    at.radio(key="designer_input").set_value(32).run()  # 16×16 maps reach it at 32: it fits
    assert not at.exception and not at.error
    assert text(at).startswith("input(32) conv(6,5,pad=2)") and table(at)[-1][1] == "total"
    assert not button(at, "Save").disabled


def test_add_move_and_remove_a_layer(lab_home):
    at = designer(lab_home)
    at.selectbox(key="designer_add_kind").set_value("dropout")
    button(at, "Add").click().run()  # before the output layer, unless told otherwise
    assert text(at).endswith("fc(84) sigmoid dropout(0.5) fc(10)")
    assert len(table(at)) == 14
    row_button(at, 11, "Move up").click().run()
    assert text(at).endswith("fc(84) dropout(0.5) sigmoid fc(10)")
    row_widget(at, 10, "p").set_value(0.25).run()
    assert text(at).endswith("fc(84) dropout(0.25) sigmoid fc(10)")
    row_button(at, 10, "Remove").click().run()
    assert text(at) == CLASSIC and len(table(at)) == 13
    row_widget(at, 1, "kind", "selectbox").set_value("relu").run()
    assert text(at).startswith("conv(6,5,pad=2) relu avgpool(2)")
    assert not at.exception


def test_the_text_applied_replaces_the_list_and_a_text_that_does_not_read_changes_nothing(lab_home):
    at = designer(lab_home)
    at.text_area(key="designer_text").set_value("conv(6,5,pad=2) relu flatten fc(3)")
    button(at, "Apply text").click().run()
    assert text(at) == "conv(6,5,pad=2) relu flatten fc(10)"  # the output follows the dataset's classes
    assert [r[1] for r in table(at)] == ["conv1", "relu1", "flatten", "fc1", "total"]
    at.text_area(key="designer_text").set_value("conv(6,5 relu")
    button(at, "Apply text").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("The text was not applied: cannot read the network")
    assert "\n" not in errors[0]
    assert [r[1] for r in table(at)] == ["conv1", "relu1", "flatten", "fc1", "total"]


def test_a_network_over_the_machines_limits_is_refused_in_one_line_and_cannot_be_saved(lab_home):
    at = designer(lab_home)
    huge = "conv(1024,3,pad=1) conv(1024,3,pad=1) flatten fc(1024) fc(10)"  # 832 million parameters
    at.text_area(key="designer_text").set_value(huge)
    button(at, "Apply text").click().run()
    assert not at.exception
    assert any("831,543,306 parameters: at most 2,000,000 train here" in e.value for e in at.error)
    assert not at.dataframe and button(at, "Save").disabled


def test_save_writes_a_file_whose_layers_parse_and_never_overwrites_silently(lab_home):
    at = designer(lab_home)
    button(at, "Max pooling").click().run()
    at.text_input(key="designer_description").set_value("max pooling, the rest as the tutorial")
    button(at, "Save").click().run()
    assert not at.exception
    path = lab_home / "architectures" / "lenet-maxpool.json"
    written = json.loads(path.read_text())
    assert written["description"] == "max pooling, the rest as the tutorial"
    assert [s.module for s in parse_layers(written["layers"])][2] == "MaxPool2d"
    assert any("Saved lenet-maxpool" in s.value for s in at.success)
    assert button(at, "Train it")
    assert at.selectbox(key="designer_from").value == "lenet-maxpool"  # listed, and chosen

    button(at, "ReLU").click().run()  # the same name again: refused until Replace is ticked
    at.text_input(key="designer_name").set_value("lenet-maxpool").run()
    button(at, "Save").click().run()
    assert any("saved already" in e.value for e in at.error)
    assert json.loads(path.read_text()) == written
    at.checkbox(key="designer_replace_lenet-maxpool").check().run()
    button(at, "Save").click().run()
    assert "relu" in json.loads(path.read_text())["layers"]
    assert saved_files(lab_home) == ["lenet-maxpool.json"]


def test_bad_names_are_refused_in_one_line_and_nothing_is_written(lab_home):
    at = designer(lab_home)
    for name, says in [("../evil", "cannot name a network"), ("x" * 200, "cannot name a network"),
                       ("   ", "a network needs a name"), ("lenet-classic", "is a built-in network")]:
        at.text_input(key="designer_name").set_value(name).run()
        button(at, "Save").click().run()
        assert not at.exception
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and says in errors[0] and "\n" not in errors[0], (name, errors)
        assert not any("Train it" == b.label for b in at.button)
    assert saved_files(lab_home) == [] and not (lab_home.parent / "evil.json").exists()


def test_a_broken_file_is_listed_with_its_error_and_the_page_still_works(lab_home):
    folder = lab_home / "architectures"
    folder.mkdir()
    (folder / "broken.json").write_text("{\"name\": ")
    (folder / "good.json").write_text(json.dumps({"name": "good", "description": "", "input_size": 28,
                                                  "layers": "flatten fc(10)"}))
    at = designer(lab_home)
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and "broken.json: cannot be read as a network file" in warnings[0]
    assert at.selectbox(key="designer_from").options == ["lenet-classic", "lenet5", "lenet-modern",
                                                         "lenet-wide", "good (saved)"]
    at.selectbox(key="designer_from").set_value("good").run()
    assert not at.exception
    assert text(at) == "flatten fc(10)" and [r[1] for r in table(at)] == ["flatten", "fc1", "total"]


def test_a_saved_network_is_deleted_only_after_the_confirmation(lab_home):
    folder = lab_home / "architectures"
    folder.mkdir()
    (folder / "mine.json").write_text(json.dumps({"name": "mine", "description": "", "input_size": 32,
                                                  "layers": "flatten fc(10)"}))
    at = designer(lab_home)
    at.selectbox(key="designer_from").set_value("mine").run()
    assert text(at) == "input(32) flatten fc(10)"
    button(at, "Delete mine").click().run()
    button(at, "No").click().run()
    assert saved_files(lab_home) == ["mine.json"]
    button(at, "Delete mine").click().run()
    button(at, "Yes, delete").click().run()
    assert not at.exception
    assert any(s.value.startswith("Deleted mine.") for s in at.success)
    assert saved_files(lab_home) == []
    assert at.selectbox(key="designer_from").value == "lenet-classic"
    assert text(at) == "input(32) flatten fc(10)"  # the list keeps its layers, to save again
    button(at, "Load lenet-classic again").click().run()
    assert text(at) == CLASSIC and at.radio(key="designer_input").value == 28


def test_train_it_opens_the_training_page_with_the_saved_network_chosen(lab_home):
    at = designer(lab_home)  # a fresh session: the Training form has never been drawn
    button(at, "One dense layer fewer").click().run()
    button(at, "Save").click().run()
    button(at, "Train it").click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Training"]
    assert at.sidebar.selectbox(key="form_arch").value == "lenet-fc2"


def test_an_imported_dataset_sets_the_output_width_to_its_classes(lab_home, tmp_path):
    from helpers import write_shapes

    from lenet_core.data.imported import import_dataset

    import_dataset(write_shapes(tmp_path / "shapes", per_class=4), "shapes")
    at = open_page("pages/views/designer.py")
    at.selectbox(key="designer_dataset").set_value("shapes").run()
    assert not at.exception
    assert any("class: 3 for shapes." in c.value for c in at.caption)
