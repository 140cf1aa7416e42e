"""Choosing a dataset sample for the Layer Explorer: dataset and split, a pool (all, one class,
misclassified only), and an index with Previous / Random / Next buttons that step through the pool.

    source = pick_source("explore", default_dataset, arch)    # -> (dataset name, split) or stops
    index = pick_sample("explore", dataset, split, labels, predictions)

The index is the sample's place in the split (as ``lenet_core.data.sample`` counts it); a typed
index outside the split is shown as an error by the page, not clamped.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from lenet_core.data import AVAILABLE, DATASETS, SPLITS, dataset_availability, get_dataset
from lenet_core.data.imported import all_datasets
from lenet_core.errors import LabError
from lenet_core.inspect import explore
from lenet_core.model.architectures import Architecture
from lenet_core.model.inputs import reads
from pages.ui import state


def pick_source(key: str, default_dataset: str, arch: Architecture) -> tuple[str, str]:
    """Dataset and split selectors (the datasets whose images ``arch`` reads); an unavailable
    dataset stops the page with its remedy."""
    left, right = st.columns([2, 1])
    names = [name for name, info in all_datasets().items()  # the built-in ones, then yours
             if reads(arch, info.side, info.channels)]
    chosen = state.key(key, "dataset")
    if st.session_state.get(chosen, names[0]) not in names:  # a grey model chosen after a colour set
        del st.session_state[chosen]
    dataset = left.selectbox("Dataset", names, key=state.key(key, "dataset"),
                             index=names.index(default_dataset) if default_dataset in names else 0,
                             format_func=lambda n: DATASETS[n].title if n in DATASETS else f"{n} (yours)")
    split = right.segmented_control("Split", SPLITS, default="test", key=state.key(key, "split"),
                                    required=True)
    found = dataset_availability(dataset)
    if found.state != AVAILABLE:
        st.error(f"**{found.title} is not available here.** {found.remedy or ''}",
                 icon=":material/database_off:")
        st.stop()
    return dataset, split


def _move(key: str, members: np.ndarray, delta: int) -> None:
    ss = st.session_state
    try:
        index = state.key(key, "index")
        ss[index] = explore.step(members, int(ss.get(index, 0)), delta)
    except LabError as exc:
        ss[state.key(key, "notice")] = str(exc)


def _random(key: str, members: np.ndarray) -> None:
    ss = st.session_state
    rng = np.random.default_rng()
    try:
        index = state.key(key, "index")
        ss[index] = explore.random_member(members, rng, avoid=ss.get(index))
    except LabError as exc:
        ss[state.key(key, "notice")] = str(exc)


def pick_pool(key: str, dataset: str, labels: np.ndarray, predictions_for) -> tuple[np.ndarray, str]:
    """The pool selector: ``(sorted indices, its description)``. ``predictions_for()`` is called
    only for the misclassified pool (it classifies the whole split)."""
    classes = get_dataset(dataset).classes
    left, right = st.columns([2, 1])
    kind = left.segmented_control("Browse", explore.POOLS, default="all", key=state.key(key, "pool"),
                                  required=True, format_func=explore.POOL_TITLES.get)
    label = None
    if kind != "all":
        choices = ([] if kind == "class" else [None]) + list(range(len(classes)))
        label = right.selectbox("Class", choices, key=state.key(key, f"class_{kind}"),
                                format_func=lambda c: "any class" if c is None else f"{c} · {classes[c]}")
    predictions = predictions_for() if kind == "misclassified" else None
    members = explore.pool(labels, kind, label, predictions)
    text = explore.describe_pool(kind, len(members), None if label is None else classes[label])
    return members, text


def _follow_pool(key: str, members: np.ndarray) -> None:
    """When the pool changes (another class, *Misclassified only*, another split), a sample that
    is not in the new pool moves to the pool's next member: choosing *Misclassified only* shows a
    misclassified sample, not the right answer that was on screen. Runs before the index widget
    is drawn, so it may set its value."""
    ss = st.session_state
    seen = (len(members), hash(members.tobytes()))
    changed = ss.get(state.key(key, "pool_seen"), seen) != seen
    ss[state.key(key, "pool_seen")] = seen
    current = int(ss.get(state.key(key, "index"), 0))
    if changed and len(members) and explore.position(members, current) is None:
        ss[state.key(key, "index")] = explore.step(members, current, +1)


def pick_sample(key: str, members: np.ndarray, pool_text: str, count: int) -> int:
    """Index input and Previous / Random / Next; returns the chosen index (maybe out of range)."""
    ss = st.session_state
    ss.setdefault(state.key(key, "index"), int(members[0]) if len(members) else 0)
    _follow_pool(key, members)
    nav = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
    index = nav[0].number_input(f"Sample index (0–{count - 1:,})", min_value=0, step=1,
                                key=state.key(key, "index"),
                                help="The sample's place in the split. Previous and Next step through "
                                "the chosen pool and wrap around at its ends.")
    disabled = len(members) == 0
    nav[1].button("Previous", icon=":material/chevron_left:", key=state.key(key, "prev"), width="stretch",
                  on_click=_move, args=(key, members, -1), disabled=disabled)
    nav[2].button("Random", icon=":material/casino:", key=state.key(key, "random"), width="stretch",
                  on_click=_random, args=(key, members), disabled=disabled)
    nav[3].button("Next", icon=":material/chevron_right:", key=state.key(key, "next"), width="stretch",
                  on_click=_move, args=(key, members, +1), disabled=disabled)
    notice = ss.pop(state.key(key, "notice"), None)
    if notice:
        st.warning(notice, icon=":material/info:")
    place = explore.position(members, int(index))
    if len(members) == 0:
        st.warning(f"No sample matches: {pool_text}. Choose another class or pool.", icon=":material/info:")
    elif place is not None:
        st.caption(f"Sample {place:,} of {pool_text}.")
    elif int(index) < count:  # an index past the split gets the page's out-of-range error alone
        st.caption(f"Sample {int(index):,} is not in this pool ({pool_text}): Previous or Next joins it.")
    return int(index)
