"""The 3D view as a pydeck ``Deck``: every unit a small tile coloured by its value, the lines of a
selected unit, plane titles and class names — built from a :class:`~lenet_core.inspect.geometry.Scene`.

deck.gl's ``OrbitView`` draws it without a map (``map_provider=None``), orthographic, framed for
each preset by :mod:`lenet_core.present.camera` (which also places the labels); the camera turns,
zooms and pans in the browser, so a camera move costs no Python. Units are flat square tiles in
their plane, one ``SolidPolygonLayer`` a plane (its id names the plane and the network,
``conv1~lenet5``, so a pick says which plane and which unit). Each update sends every visible
unit's index, colour and tooltip: :func:`payload_bytes` measures it, and the compact record (one
packed number and the tooltip) keeps a whole LeNet-5 under 500 KB.

Why tiles and not cubes: deck.gl's cube layers (``GridCellLayer``, ``ColumnLayer``) draw one
*instance* per unit, and Chromium's software WebGL (SwiftShader, what a machine without a GPU
uses) pays ~25 µs per instance. A click makes deck.gl pick synchronously on the press; with 9,134
cubes that pick took 200–500 ms, longer than the 250 ms deck.gl's click gesture allows, so the
click was dropped and nothing was selected. Flat polygons are one draw of plain triangles: the
same pick takes ~40 ms. Extruded polygons would not help: their walls are instanced too.
"""

from __future__ import annotations

import json
import zlib

import numpy as np
import pydeck as pdk
import torch
from pydeck.bindings.json_tools import default_serialize
from torch import nn

from lenet_core.format import format_fixed
from lenet_core.inspect import geometry
from lenet_core.inspect.geometry import Plane, PlaneLayout, Scene
from lenet_core.inspect.selection import Edges
from lenet_core.present import camera, colours
from lenet_core.present.colours import ColourScale

BACKGROUND = [250, 250, 250]
SELECTED = [255, 140, 0]  # the selected unit's frame: orange, in no colour scale
FRAME, FRAME_DEPTH = 1.3, 0.4  # its side and thickness
LINE_WIDTH = 1.5  # pixels; the strongest lines get three times that


class CompactDeck(pdk.Deck):
    """A Deck whose JSON has no indentation: pydeck indents by two spaces, which more than
    doubled the bytes of every update of a scene of 9,000 tiles."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"),
                          ensure_ascii=False)


def plane_scales(scene: Scene, model: nn.Sequential, outputs: dict[str, torch.Tensor],
                 difference: bool = False) -> dict[str, ColourScale]:
    """One rule per plane: the layer views' rule for the module the plane shows (a sigmoid's
    fixed 0…1, a ReLU's 0…max, a signed layer's ±max), grey for the input, 0…1 for the output's
    probabilities. A difference scene is signed everywhere: blue fell, red rose."""
    if difference:
        return {p.name: colours.signed_scale(scene.values_of(p), "change") for p in scene.planes}
    layer = colours.layer_scales(model, outputs)
    scales = {}
    for plane in scene.planes:
        values = scene.values_of(plane)
        if plane.kind == "input" and plane.shows == geometry.INPUT:
            low, high = float(values.min()), float(values.max())
            scales[plane.name] = ColourScale(low, high if high > low else low + 1, "grey",
                                             "the input the network sees: dark background, light ink")
        elif plane.kind == "output":
            scales[plane.name] = colours.fixed_scale(0.0, 1.0, "probability")
        else:
            scales[plane.name] = layer[plane.shows]
    return scales


# ---- the records the browser gets ---------------------------------------------------------------
#
# One SolidPolygonLayer a plane. A unit's record is a pair ``[u, tooltip]``: ``u`` packs the unit's
# index in its plane and its colour (index · 2^24 + RGB); deck.gl expressions unpack both in the
# browser (``this`` is the record), and the tile's place is geometry's own formula of the index
# (``unit_centre``) with the plane's layout numbers written in. A pair, not an object: keys would
# add 10 bytes to each of 9,000 records. Positions are not sent: two numbers more a unit made a
# LeNet-5 update 22 % larger (484 KB against 396 KB, near the 500 KB goal) and half again as slow
# to build (36 against 23 ms), for tiles that never move. Few layers matter too: with a layer per
# colour step (~140), a click in Chromium's software WebGL was too slow to count as a click and
# selected nothing.

PACK = 1 << 24  # one unit index step in ``u``


def pack(index: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb, np.int64)
    return np.asarray(index, np.int64) * PACK + (rgb[:, 0] << 16) + (rgb[:, 1] << 8) + rgb[:, 2]


def unpack(u: int) -> tuple[int, list[int]]:
    """``(index, [r, g, b])`` of a packed record, as the browser's expressions read it."""
    u = int(u)
    c = u % PACK
    return u // PACK, [c >> 16, (c >> 8) & 255, c & 255]


def _floor(expression: str) -> str:
    """Integer part of a non-negative expression, as deck.gl expressions write it (pydeck adds
    the ``@@=`` that marks a string as an expression)."""
    return f"(({expression}) | 0)"


U = "this[0]"  # a record's packed number, in an expression
INDEX = _floor(f"{U} / {PACK}")  # the unit's index in its plane
COLOUR = f"[{_floor(f'{U} % {PACK} / 65536')}, {_floor(f'{U} % 65536 / 256')}, {U} % 256]"
# Ambient light only: every face of a cube shows its colour exactly as the legend draws it.
FLAT = {"ambient": 1.0, "diffuse": 0.0, "shininess": 1, "specularColor": [0, 0, 0]}


class Js:
    """A deck.gl expression being written: arithmetic on it writes the expression's text, so that
    geometry's formula, written once in Python (:func:`geometry.unit_centre`), is the browser's
    too. Every operation is parenthesised; ``a // b`` is ``((a / b) | 0)``, right for the whole,
    non-negative numbers it divides (unit indices)."""

    def __init__(self, text: str):
        self.text = text

    @staticmethod
    def text_of(value) -> str:
        """An expression's text, or a number's (plain decimals, as JavaScript reads them)."""
        return value.text if isinstance(value, Js) else f"{float(value):.12g}"

    def _join(self, op: str, other, swapped: bool = False) -> Js:
        a, b = (other, self) if swapped else (self, other)
        return Js(f"({Js.text_of(a)} {op} {Js.text_of(b)})")

    def __add__(self, other): return self._join("+", other)
    def __radd__(self, other): return self._join("+", other, swapped=True)
    def __sub__(self, other): return self._join("-", other)
    def __rsub__(self, other): return self._join("-", other, swapped=True)
    def __mul__(self, other): return self if other == 1 else self._join("*", other)
    def __rmul__(self, other): return self if other == 1 else self._join("*", other, swapped=True)
    def __mod__(self, other): return 0 if other == 1 else self._join("%", other)  # whole numbers
    def __floordiv__(self, other): return Js(_floor(f"{self.text} / {Js.text_of(other)}"))


def tile_expression(layout: PlaneLayout, i: str = INDEX) -> str:
    """Unit ``i``'s tile as a deck.gl polygon expression: the square of side ``layout.tile``
    centred where :func:`geometry.unit_centre` puts the unit, corners counter-clockwise."""
    x, y, z = geometry.unit_centre(Js(i), layout)
    half = layout.tile / 2
    left, right, bottom, top = x - half, x + half, y - half, y + half
    corners = [(left, bottom), (right, bottom), (right, top), (left, top)]
    return "[" + ", ".join(f"[{Js.text_of(a)}, {Js.text_of(b)}, {Js.text_of(z)}]"
                           for a, b in corners) + "]"


def unit_where(plane: Plane, unit: int, classes) -> str:
    """Where unit number ``unit`` (flat) of ``plane`` is: ``map 3 (12, 7)``, ``unit 17``, ``class 7``
    (maps, rows, columns and units from 0, as everywhere in the lab)."""
    if len(plane.shape) == 3:
        m, r, c = np.unravel_index(unit, plane.shape)
        return f"map {m} ({r}, {c})" if plane.kind != "input" else f"({r}, {c})"  # from 0, as PyTorch
    if plane.kind == "output" and unit < len(classes):
        return f"class {classes[unit]}"
    return f"unit {unit}"


def _value_text(plane: Plane, value: float, difference: bool) -> str:
    if difference:
        return ("+" if value >= 0 else "") + format_fixed(value, 3)
    return f"p = {format_fixed(value, 3)}" if plane.kind == "output" else format_fixed(value, 3)


def plane_layer(scene: Scene, plane: Plane, scale: ColourScale, difference: bool = False) -> pdk.Layer:
    """The plane's tiles: one pickable layer, its id the plane's name and the network's
    (:func:`layer_id`)."""
    values = scene.values_of(plane)
    packed = pack(np.arange(plane.size), scale.colour(values))
    records = [[int(u), f"{plane.name} {unit_where(plane, i, scene.classes)}: "
                        f"{_value_text(plane, float(values[i]), difference)}"]
               for i, u in enumerate(packed)]
    polygon = tile_expression(geometry.plane_layout(plane))
    return pdk.Layer(
        "SolidPolygonLayer", data=records, id=layer_id(scene, plane), get_polygon=polygon,
        get_fill_color=COLOUR, extruded=False, pickable=True,
        data_comparator=SAME_DATA, update_triggers=update_triggers(polygon, packed))


# deck.gl rebuilds every attribute of a layer whose ``data`` is a new array, and after each
# stroke every layer's is (the JSON is parsed anew). A plane's tiles never move, so its data
# counts as unchanged (``dataComparator``) and the triggers say what did: the tiles are rebuilt
# only when their polygon expression changes (another network), the colours only when the
# values do. Rebuilding the tiles of 9,000 units took ~60 ms of the browser's time per stroke.
SAME_DATA = "true"  # a deck.gl expression: the comparator's "no change"


def digest(value) -> int:
    """A short fingerprint of a string or an array, for an update trigger."""
    data = value.encode() if isinstance(value, str) else np.ascontiguousarray(value).tobytes()
    return zlib.crc32(data)


def update_triggers(polygon: str, packed: np.ndarray) -> dict[str, int]:
    """What makes deck.gl recompute a plane layer's attributes: its tiles' expression, and
    its units' packed colours."""
    return {"getPolygon": digest(polygon), "getFillColor": digest(packed)}


ID_SEP = "~"  # a layer id's plane name ends here, if anything follows it


def layer_id(scene: Scene, plane: Plane) -> str:
    """``conv1~lenet5``: another network's conv1 is another layer. A layer keeps its data for as
    long as SAME_DATA says "same", so a model of another size must start a new layer rather
    than colour the old network's units."""
    return f"{plane.name}{ID_SEP}{scene.arch}"


def line_colours(products: np.ndarray) -> np.ndarray:
    """N×4 uint8: input × weight on a signed scale (blue lowers the sum, red raises it), never
    paler than half-strength so that a weak line still shows."""
    scale = colours.signed_scale(products, "input × weight")
    rgb = scale.colour(products).astype(float)
    strength = np.abs(products) / colours.largest(products)
    rgb = rgb * (0.5 + 0.5 * strength[:, None]) if len(products) else rgb
    alpha = np.full((len(products), 1), 255.0)
    return np.concatenate([rgb, alpha], axis=1).round().astype(np.uint8)


def edge_records(scene: Scene, edges: Edges, visible: set[str]) -> list[dict]:
    """One dict per line whose source plane is visible: ``s`` source, ``e`` end, ``c`` colour,
    ``w`` width in pixels (the strongest lines wider)."""
    rgba = line_colours(edges.product)
    end = [round(float(v), 2) for v in scene.position[edges.target]]
    records = []
    for k, i in enumerate(edges.source):
        if scene.planes[scene.plane[i]].name not in visible:
            continue
        records.append({"s": [round(float(v), 2) for v in scene.position[i]], "e": end,
                        "c": rgba[k].tolist(), "w": LINE_WIDTH * (3 if edges.strongest[k] else 1)})
    return records


# ---- the camera and the labels ------------------------------------------------------------------

def scene_frame(scene: Scene, view: str) -> camera.Frame:
    """A preset's frame for this scene's network (:func:`camera.frame`, worked out once)."""
    return camera.frame(tuple(scene.planes), tuple(scene.classes), view)


def view_state(scene: Scene, view: str) -> pdk.ViewState:
    framed = scene_frame(scene, view)
    return pdk.ViewState(target=list(framed.target), zoom=framed.zoom, min_zoom=camera.min_zoom(framed),
                         max_zoom=camera.MAX_ZOOM, **camera.VIEWS[view])


def view_height(scene: Scene, view: str) -> int:
    """The view's height in pixels for a preset: what the framed network needs."""
    return scene_frame(scene, view).height


LABEL_BACKGROUND = [255, 255, 255, 225]


def label_records(scene: Scene, view: str, visible: set[str], tile: bool) -> list[dict]:
    """The visible planes' names (``tile`` False) or class names (True), as a TextLayer reads
    them: ``p`` anchor, ``t`` text, ``o`` the box centre's offset in pixels."""
    return [{"p": [round(v, 2) for v in label.anchor], "t": label.text,
             "o": [round(v, 1) for v in label.offset]}
            for label in scene_frame(scene, view).labels if label.plane in visible and label.tile == tile]


def label_layer(records: list[dict], layer_id: str, on_top: bool) -> pdk.Layer:
    """Labels on pale boxes. ``on_top``: drawn over every tile (a plane's name may fall over a
    nearer plane); otherwise hidden where nearer tiles hide the point it names."""
    return pdk.Layer(
        "TextLayer", data=records, id=layer_id, get_position="p", get_text="t", get_pixel_offset="o",
        get_size=camera.FONT, get_color=[40, 40, 40], billboard=True, pickable=False,
        get_text_anchor='"middle"', get_alignment_baseline='"center"', background=True,
        get_background_color=LABEL_BACKGROUND, background_padding=list(camera.LABEL_PADDING),
        parameters={"depthCompare": "always"} if on_top else {})


# ---- the deck -----------------------------------------------------------------------------------

def build_deck(scene: Scene, scales: dict[str, ColourScale], visible: set[str],
               view: str = camera.DEFAULT_VIEW, edges: Edges | None = None, difference: bool = False
               ) -> CompactDeck:
    """The whole view: the tiles of every visible plane, the selected unit's frame and lines,
    and the labels."""
    layers = []
    for plane in scene.planes:
        if plane.name in visible:
            layers.append(plane_layer(scene, plane, scales[plane.name], difference))
    if edges is not None:
        # an orange block just behind the selected tile: a frame from the front, a block from
        # any other side
        half, back = FRAME / 2, FRAME_DEPTH + 0.02
        corner = scene.position[edges.target] - np.array([half, half, back], np.float32)
        layers.append(pdk.Layer(
            "GridCellLayer", data=[{"p": [round(float(v), 2) for v in corner]}], id="selected",
            get_position="p", get_fill_color=SELECTED, cell_size=FRAME, get_elevation=FRAME_DEPTH,
            elevation_scale=1, extruded=True, pickable=False, material=FLAT))
        layers.append(pdk.Layer(
            "LineLayer", data=edge_records(scene, edges, visible), id="lines",
            get_source_position="s", get_target_position="e", get_color="c", get_width="w",
            # quoted: pydeck reads a bare string as an expression ("@@=pixels", a field of each
            # record), and deck.gl then took the widths in scene units, wider with every zoom
            width_units='"pixels"', pickable=False))
    layers.append(label_layer(label_records(scene, view, visible, tile=True), "classes", on_top=False))
    layers.append(label_layer(label_records(scene, view, visible, tile=False), "labels", on_top=True))
    orbit = pdk.View(type="OrbitView", controller=True, orbitAxis="Y", orthographic=True,
                     near=camera.NEAR, far=camera.FAR)
    return CompactDeck(
        layers=layers, views=[orbit], initial_view_state=view_state(scene, view), map_provider=None,
        parameters={"clearColor": [c / 255 for c in BACKGROUND] + [1]},
        tooltip={"html": "{1}", "style": {"fontSize": "13px", "padding": "4px 8px"}})


def payload_bytes(deck: pdk.Deck) -> int:
    """The size of what one update sends the browser: the deck's JSON, as Streamlit sends it."""
    return len(deck.to_json().encode())


# The most units the 3D view draws. Every stroke sends each unit's colour and tooltip: 44 bytes
# and ~3 µs of server work a unit, whatever the network (bench/scene_update.py; 8 to 48 maps:
# 442 KB and 31 ms for 10,266 units, 2.5 MB and 155 ms for 57,306). The bundled lenet-wide,
# 20,570 units, was repainted 603 ms after a stroke in Chromium's software WebGL, 200 ms of it the
# canvas's own wait (docs/draw.md); the rest grows with the units, so twice its units keeps a
# stroke near the 1 s the Draw page allows. Larger networks get their layer grids only.
MAX_3D_UNITS = 40_000


def units_drawn(planes: list[Plane]) -> int:
    """How many tiles the 3D view would draw: every unit of every plane."""
    return sum(plane.size for plane in planes)


def too_many_to_draw(planes: list[Plane]) -> str | None:
    """Why the 3D view does not draw a network of ``planes`` (more units than MAX_3D_UNITS), in
    one line, or None when it does."""
    units = units_drawn(planes)
    if units <= MAX_3D_UNITS:
        return None
    return f"this network has {units:,} units to draw; the 3D view draws at most {MAX_3D_UNITS:,}"


PAYLOAD_GOAL = 500_000  # bytes an update may send for LeNet's own sizes (up to GOAL_UNITS units)
GOAL_UNITS = 10_000  # lenet-classic, lenet5, lenet-modern; lenet-wide draws 20,570


def payload_goal(planes: list[Plane]) -> float:
    """The most bytes one update of a scene of ``planes`` should send: PAYLOAD_GOAL, and as much
    more per unit for a network that draws more units than LeNet's own."""
    return PAYLOAD_GOAL * max(1.0, units_drawn(planes) / GOAL_UNITS)


def picked_unit(planes: list[Plane], selection: dict | None) -> tuple[str, tuple[int, ...]] | None:
    """The plane and unit a pydeck selection picked (``{"objects": {"conv1": [[u, tooltip]]}}``),
    or None: the layer id names the plane, the record's packed ``u`` the unit."""
    objects = (selection or {}).get("objects") or {}
    for layer_id, picked in objects.items():
        name = layer_id.split(ID_SEP)[0]
        plane = next((p for p in planes if p.name == name), None)
        if plane is not None and picked and isinstance(picked[0], list) and picked[0]:
            index, _ = unpack(picked[0][0])
            return name, tuple(int(v) for v in np.unravel_index(index, plane.shape))
    return None


def legend_text(edges: Edges | None) -> str:
    """What the colours and lines mean, in two sentences for under the view."""
    text = ("Each tile is one unit; its colour is its value on its plane's own rule (the legends "
            "beside the view). Turn: drag · zoom: scroll · pan: shift-drag or right-drag.")
    if edges is not None:
        text += (" Lines run from the selected unit (orange) to every unit it reads: red lines "
                 "push its sum up, blue ones pull it down, the five strongest drawn thick. "
                 + edges.note[0].upper() + edges.note[1:] + ".")
    return text


