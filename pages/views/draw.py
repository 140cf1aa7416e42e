"""Draw & Classify: draw a digit (or upload a picture of one), see the 28×28 image the network
gets, its first and second guess, which strokes drove the guess, and every layer's output.

The page's input is one RGBA array, from the canvas or from an upload (:func:`drawing` /
:func:`upload`); a test hands it a drawing through ``st.session_state["draw_canvas"]`` (pages/ui/state.py).
All the maths lives in lenet_core.data.preprocess / activations / visuals.
"""

import streamlit as st

from lenet_core import paths
from lenet_core.data.preprocess import MAX_FILE_BYTES, load_image, mnist_style
from lenet_core.errors import LabError
from lenet_core.format import format_probability
from lenet_core.inspect.activations import forward_pass, saliency, top_k, torch_threads
from lenet_core.present import pictures
from lenet_core.present.charts.guesses import probability_chart
from pages.ui import my_digits, state
from pages.ui.activations import render_layers
from pages.ui.charts import show_chart
from pages.ui.models import pick_model
from pages.ui.network_3d import render_network_3d
from pages.ui.unit_inspector import unit_inspector_expander

CANVAS_SIDE = 280  # ten canvas pixels per MNIST pixel
CELL = 8  # the 28×28 views: 224 pixels, so that three columns fit beside a sidebar at 1280 wide
# A digit drawn 200 pixels tall with this brush carries as much ink as an average MNIST digit.
STROKE = 26


# One key for the life of the page: the canvas is never replaced, so no stroke is ever drawn on
# a canvas on its way out. Clearing is the canvas's own bin (its toolbar), done in the browser at
# once: a page button had to rerun with a new key, and strokes drawn while the new canvas
# mounted (a quick next digit) were lost.
CANVAS_KEY = state.DRAW_CANVAS
home = paths.lab_home()


def drawing():
    """The canvas' RGBA array (white ink on black), or None before anything is drawn."""
    from streamlit_drawable_canvas import st_canvas  # only importable under a Streamlit run

    result = st_canvas(
        stroke_width=st.session_state.get(state.DRAW_STROKE, STROKE), stroke_color="#FFFFFF",
        background_color="#000000", width=CANVAS_SIDE, height=CANVAS_SIDE, drawing_mode="freedraw",
        update_streamlit=True, return_image_data=True, key=CANVAS_KEY,
    )
    st.caption("Clear, undo and redo: the bin and arrows above the canvas's top-right corner "
               "when you point at it.")
    st.slider("Stroke width", 6, 40, STROKE, key=state.DRAW_STROKE,
              help="MNIST's strokes are 2–3 of its 28 pixels wide: 20–30 on this canvas.")
    return result.image_data


def upload():
    """An uploaded PNG/JPEG as RGBA, or None: nothing uploaded yet, or a bad file (which shows
    why, and sets ``draw_upload_failed`` so the page adds nothing beside the error)."""
    st.session_state[state.DRAW_UPLOAD_FAILED] = False
    file = st.file_uploader("A PNG or JPEG of one digit", type=["png", "jpg", "jpeg"], key=state.DRAW_UPLOAD,
                            max_upload_size=MAX_FILE_BYTES // 2**20,
                            help="Dark ink on a light background is detected and inverted.")
    if file is None:
        return None
    try:
        rgba = load_image(file.getvalue(), file.name)
    except LabError as exc:
        st.error(str(exc), icon=":material/error:")
        st.session_state[state.DRAW_UPLOAD_FAILED] = True
        return None
    st.image(rgba, caption=f"{file.name} · {rgba.shape[1]}×{rgba.shape[0]}", width=200)
    return rgba


def show_guesses(guesses, probabilities, classes) -> None:
    first, second = guesses
    st.markdown(f"### First guess: {first.name}")
    st.progress(first.probability, text=f"{format_probability(first.probability)} confident")
    st.markdown(f"**Second guess: {second.name}** · {format_probability(second.probability)}")
    show_chart(probability_chart(probabilities, classes), width="stretch")
    st.caption("All ten classes: red is the first guess, pink the second.")


def show_empty_state(where, source: str, prepared) -> None:
    """What to do next when there is nothing to classify: draw, or (for a picture without any
    ink) why this picture gave nothing, not a request to draw in a box that is not on screen."""
    if source == "Upload" and prepared is not None:
        why = prepared.note.removeprefix("blank: ")  # the warning's first words say it already
        where.warning(f"No digit found in this picture: {why}. Upload a picture whose "
                      "digit stands out from its background.", icon=":material/image_not_supported:")
        return
    if source == "Upload":
        if not st.session_state.get(state.DRAW_UPLOAD_FAILED):  # an error under the uploader says it all
            where.info("Upload a PNG or JPEG of one digit: the first and second guess and every "
                       "layer's output appear here.", icon=":material/upload:")
        return
    where.info("Draw a digit in the black box (or upload a picture of one): the first and second "
               "guess and every layer's output appear here.", icon=":material/draw:")


def show_seen(prepared, picked, x, guesses) -> None:
    """The 28×28 image the network gets, and the occlusion map of what drove the first guess."""
    st.markdown("**What the network sees** · 28×28")
    # Inline (a data URL), as the overlay below: a media file of one stroke's rerun can be removed
    # by the next before the browser has fetched it.
    st.image(pictures.png_data_url(pictures.pixel_view(prepared.image, cell=CELL)), width=28 * CELL)
    if prepared.inverted:
        st.caption("Dark ink on a light background was inverted to MNIST's white on black.")
    if prepared.note:
        st.warning(prepared.note[0].upper() + prepared.note[1:] + ".", icon=":material/zoom_out_map:")
    with torch_threads(1):
        heat = saliency(picked.model, x, guesses[0].label, "occlusion", crop=picked.arch.pad)
    overlay, strength = pictures.saliency_overlay(prepared.image, heat, cell=CELL)
    st.markdown(f"**What drove “{guesses[0].name}”** · occlusion")
    st.image(pictures.png_data_url(overlay), width=28 * CELL)
    st.caption("Red strokes support the first guess, blue ones argue against it. Each 4×4 patch "
               "was erased in turn and the guess re-scored; full colour marks the largest change "
               f"(its log-probability moved by {strength:.2g}).")


st.title("Draw & classify")
st.caption("Draw a digit with the mouse — white ink on black, like MNIST — and watch LeNet decide. "
           "Your drawing is prepared the way MNIST's digits were: cropped to its ink, scaled to fit "
           "20×20 keeping its shape, and centred by its centre of mass in a 28×28 field.")

picked = pick_model("draw", digits_only=True)
st.caption(f"{picked.arch.title} trained on {picked.meta.dataset}. {picked.arch.description}")
my_digits.section(picked, home)

# Fixed widths for the canvas and the 28×28 view (a squeezed canvas would distort the strokes);
# the guesses take the rest and wrap below on a narrow screen.
with st.container(horizontal=True, gap="medium"):
    source_col = st.container(width=CANVAS_SIDE + 16)
    seen_col = st.container(width=28 * CELL + 8)
    guess_col = st.container(width="stretch")
with source_col:
    source = st.segmented_control("Input", ["Draw", "Upload"], default="Draw", key=state.DRAW_SOURCE,
                                  required=True, label_visibility="collapsed")
    rgba = drawing() if source == "Draw" else upload()

prepared = mnist_style(rgba) if rgba is not None else None
if prepared is None or prepared.blank:
    show_empty_state(seen_col, source, prepared)
    st.stop()

with torch_threads(1):  # one image: a single thread is fastest, and robust on a busy machine
    seen = forward_pass(picked.model, picked.meta, prepared.image)
x, outputs, probabilities = seen.x, seen.outputs, seen.probabilities
guesses = top_k(probabilities, picked.meta.classes, k=2)
with guess_col:  # filled first: the guess reaches the screen before the pictures are made
    show_guesses(guesses, probabilities, picked.meta.classes)
    my_digits.add_buttons(prepared.image, guesses[0].label, home)

st.subheader("The network in 3D")
if st.toggle("Show the 3D view", value=True, key=state.key("draw", state.NET3D_SHOW),
             help="Every unit of every layer as a tile. Off: a lighter page on a slow machine."):
    render_network_3d("draw", picked, x, outputs, probabilities)

# The 3D view is made before the 28×28 views in its column above: it is the heaviest thing the
# browser redraws after a stroke, and the sooner its data leaves, the sooner it is on screen.
with seen_col:
    show_seen(prepared, picked, x, guesses)

st.subheader("Inside the network")
st.caption("Every layer's output for this drawing, in order. Colours follow one rule per layer, "
           "shown beside it; the number above each map is its channel.")
render_layers(picked.model, picked.arch, seen, "draw", classes=picked.meta.classes)
unit_inspector_expander(picked.model, picked.arch, seen, prepared.image, "draw")
