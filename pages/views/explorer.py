"""Layer Explorer: every layer's output for real dataset samples, for any model and any saved
epoch, per-channel statistics, two samples side by side, and one unit taken apart.

Sample choice lives in ui.sample_picker, epochs in ui.epoch_picker, the layer views in
ui.activations (shared with the Draw page), the unit inspector in ui.unit_inspector.
"""

import streamlit as st

from lenet_core import data
from lenet_core.errors import LabError
from lenet_core.format import format_percent, format_probability
from lenet_core.inspect import explore
from lenet_core.inspect.activations import forward_pass, top_k
from lenet_core.model.shapes import layer_label
from lenet_core.present import pictures
from lenet_core.present.charts.guesses import probability_chart
from pages.ui import state
from pages.ui.activations import render_layers
from pages.ui.charts import show_chart
from pages.ui.epoch_picker import epoch_models, pick_epoch
from pages.ui.models import ModelOption, PickedModel, pick_model
from pages.ui.network_3d import explorer_network_3d
from pages.ui.sample_picker import pick_pool, pick_sample, pick_source
from pages.ui.unit_inspector import render_unit_inspector

KEY = "explore"


@st.cache_data(max_entries=6, show_spinner="Classifying every sample of the split…")
def split_predictions(path: str, mtime: float, dataset: str, split: str, _model, _meta
                      ) -> explore.Predictions:
    # Keyed by the checkpoint file and its mtime: the model object itself is not hashed.
    images, labels = data.load_split(dataset, split)
    return explore.predict(_model, _meta, images, labels)


def load(dataset: str, split: str):
    try:
        return data.load_split(dataset, split)
    except LabError as exc:
        st.error(f"**{dataset} {split} cannot be read.** {exc}", icon=":material/error:")
        st.stop()


def show_sample(picked: PickedModel, run_option: ModelOption, dataset: str, split: str, index: int,
                caption: str, prefix: str, narrow: bool = False):
    """The input, its label, the model's guess, and every layer's output; returns what the unit
    inspector needs, or None (with an error shown) when the index is out of range. ``narrow``:
    half the page (two samples side by side), so the picture goes above the words."""
    try:
        pixels, label, class_name = data.sample(dataset, split, index)
    except LabError as exc:
        st.error(str(exc), icon=":material/error:")
        return None
    image = pixels / 255.0
    seen = forward_pass(picked.model, picked.meta, pixels)
    probabilities = seen.probabilities
    first = top_k(probabilities, picked.meta.classes, k=1)[0]
    right = picked.meta.classes[first.label] == class_name
    if narrow:
        picture = words = st.container()
    else:
        picture, words = st.columns([1, 2], vertical_alignment="top")
    picture.image(pictures.pixel_view(image, cell=6), width=168, caption=f"{caption} · #{index:,}")
    words.markdown(f"**Label:** {class_name}  \n**Prediction:** {first.name} · "
                   f"{format_probability(first.probability)} confident "
                   + (":green[right]" if right else ":red[wrong]"))
    truth = picked.meta.classes.index(class_name) if class_name in picked.meta.classes else None
    show_chart(probability_chart(probabilities, picked.meta.classes, truth=truth), words,
               width="stretch")
    words.caption("Green: the guess, right. Red: a wrong guess, its true class in light green."
                  if truth is not None else "Red: the model's first guess; pink: its second.")
    show_epoch_trace(picked, run_option, pixels, label)
    render_layers(picked.model, picked.arch, seen, prefix, classes=picked.meta.classes, narrow=narrow)
    return seen, image


def show_epoch_trace(picked: PickedModel, run_option: ModelOption, pixels, label: int) -> None:
    """For a run: this sample's guess at every saved epoch, the epoch on the slider marked."""
    checkpoints = epoch_models(run_option)
    if len(checkpoints) < 2:
        return
    trace = explore.epoch_trace(checkpoints, pixels, label)
    trace["guess"] = [picked.meta.classes[g] for g in trace["guess"]]
    trace["shown"] = ["◀" if e == picked.meta.epoch else "" for e in trace["epoch"]]
    with st.expander("This sample at each saved epoch", icon=":material/timeline:"):
        percent = {"format": "percent", "min_value": 0.0, "max_value": 1.0}
        st.dataframe(trace, hide_index=True, width="stretch", column_config={
            "confidence": st.column_config.ProgressColumn("confidence", **percent),
            "p_label": st.column_config.ProgressColumn("probability of the label", **percent),
            "shown": st.column_config.TextColumn("", width="small")})


def show_channel_stats(picked: PickedModel, outputs, prefix: str) -> None:
    with st.expander("Per-channel statistics", icon=":material/functions:"):
        layer = st.selectbox("Layer", list(outputs), key=state.key(prefix, "stats_layer"),
                             format_func=lambda n: layer_label(n, [1, *outputs[n].shape]))
        threshold = explore.active_threshold(picked.arch, layer)
        st.dataframe(explore.channel_stats(outputs[layer], threshold), hide_index=True, width="stretch",
                     column_config={"active": st.column_config.ProgressColumn(
                         "fraction active", format="percent", min_value=0.0, max_value=1.0,
                         help=f"Share of values above {threshold:g}")})
        st.caption(f"Active: above {threshold:g} ("
                   + ("a sigmoid's midpoint" if threshold else "positive") + ").")


st.title("Layer explorer")
st.caption("Every layer's output for real samples: choose a model (and, for a training run, an "
           "epoch), a dataset and a sample; compare two samples, or inspect one unit down to its "
           "weighted sum.")

run_pick = pick_model(KEY, digits_only=False, any_status=True)
picked = pick_epoch(run_pick, KEY)
st.caption(f"{picked.arch.title} trained on {picked.meta.dataset} · checkpoint after epoch "
           f"{picked.meta.epoch}" + (f" · test accuracy {format_percent(picked.meta.metrics['test_acc'])}"
                                      if "test_acc" in picked.meta.metrics else ""))

dataset, split = pick_source(KEY, picked.meta.dataset, picked.arch)
images, labels = load(dataset, split)
mismatch = explore.class_mismatch(picked.meta.classes, data.get_dataset(dataset).classes)
if mismatch:
    st.warning(mismatch[0].upper() + mismatch[1:] + ".", icon=":material/warning:")


def predictions_for(picked: PickedModel, dataset: str, split: str) -> explore.Predictions:
    """The model's answer for every sample of the split (cached), its accuracy said above."""
    path = picked.option.path
    found = split_predictions(str(path), path.stat().st_mtime, dataset, split, picked.model, picked.meta)
    st.caption(f"The model gets {format_percent(found.accuracy)} of {dataset} {split} right "
               f"({int(found.wrong.sum()):,} wrong).")
    return found


members, pool_text = pick_pool(KEY, dataset, labels.numpy(), lambda: predictions_for(picked, dataset, split))
index = pick_sample(KEY, members, pool_text, len(labels))
compare = st.toggle("Compare with a second sample", key=state.key(KEY, "compare"))

if compare:
    st.session_state.setdefault(state.key(KEY, "second"),
                                explore.step(members, index, +1) if len(members) else 0)
    second = st.number_input("Second sample index", min_value=0, step=1, key=state.key(KEY, "second"))
    left, right = st.columns(2, gap="medium")
    with left:
        first_shown = show_sample(picked, run_pick.option, dataset, split, index, "sample A",
                                  state.key(KEY, "a"), narrow=True)
    with right:
        second_shown = show_sample(picked, run_pick.option, dataset, split, int(second), "sample B",
                                   state.key(KEY, "b"), narrow=True)
    shown = {"sample A": first_shown, "sample B": second_shown}
    which = st.segmented_control("Inspect a unit of", list(shown), default="sample A",
                                 key=state.key(KEY, "which"), required=True)
    chosen = shown[which]
    other = second_shown if which == "sample A" else first_shown
else:
    chosen = show_sample(picked, run_pick.option, dataset, split, index, "sample", KEY)
    other = None

if chosen is None:
    st.stop()
seen, image = chosen
st.subheader("The network in 3D")
if st.toggle("Show the 3D view", key=state.key(KEY, state.NET3D_SHOW),
             help="Every unit of every layer as a tile, for the sample chosen above."):
    explorer_network_3d(KEY, picked, run_pick.option, image, other[1] if other else None)
show_channel_stats(picked, seen.outputs, KEY)
st.subheader("Inspect one unit")
st.caption("Pick a layer, a map and a position, or click a square of the map: the unit's receptive "
           "field, what it reads, its weights, the weighted sum and bias, its rule and its value.")
render_unit_inspector(picked.model, picked.arch, seen, image, KEY)
