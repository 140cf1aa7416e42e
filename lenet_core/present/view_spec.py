"""The 3D view as the browser draws it: the network's planes, where each unit sits, each plane's
colour rule, the colour tables and every camera preset with its labels — plain data (JSON), sent
once per network to the page's own component (``pages/components/net3d``).

Nothing here is per input: the browser colours the units from values it computes itself (the
Network in 3D page runs the checkpoint in the browser) or is sent (Draw, the Explorer). Each
piece is declared once in Python and read by the browser:

- where a unit sits: :func:`lenet_core.inspect.geometry.unit_centre`, written out as three
  JavaScript expressions of the unit's index ``i`` by the same ``Js`` writer the deck uses;
- colours: :func:`lenet_core.present.colours.layer_rules` (what a layer outputs, hence its
  scale) and :func:`~lenet_core.present.colours.colour_table` (the 257 colours of each map);
- the camera: :mod:`lenet_core.present.camera` (each preset's rotation, zoom, target, height and
  labels placed so that no two overlap).
"""

from __future__ import annotations

import base64
import json
import zlib

from lenet_core.inspect import geometry
from lenet_core.inspect.geometry import Plane
from lenet_core.model.architectures import Architecture
from lenet_core.present import camera, colours
from lenet_core.present.scene import Js, map_names, too_many_to_draw

# A plane's colour rule in the browser: what its layer outputs (colours.layer_rules: unit, tanh,
# positive, signed), or the input's grey and the output's probabilities.
INPUT_RULE, OUTPUT_RULE = "grey", "probability"
RULE_MAPS = {"unit": "sequential", "probability": "sequential", "positive": "sequential",
             "tanh": "diverging", "signed": "diverging", "grey": "grey"}


def plane_rules(arch: Architecture, planes: list[Plane]) -> dict[str, str]:
    """Each plane's colour rule, by name."""
    layer = colours.layer_rules([(spec.name, spec.module) for spec in arch.layers])
    rules = {}
    for plane in planes:
        if plane.kind == "input" and plane.shows == geometry.INPUT:
            rules[plane.name] = INPUT_RULE
        elif plane.kind == "output":
            rules[plane.name] = OUTPUT_RULE
        else:
            rules[plane.name] = layer[plane.shows]
    return rules


def centre_code(plane: Plane) -> list[str]:
    """``[x, y, z]`` of unit ``i`` of the plane as JavaScript expressions of ``i``: the layout's
    one formula (:func:`geometry.unit_centre`), written by the code that NumPy runs."""
    return [Js.text_of(v) for v in geometry.unit_centre(Js("i"), geometry.plane_layout(plane))]


def _plane(plane: Plane, rule: str) -> dict:
    return {"name": plane.name, "index": plane.index, "title": plane.title, "kind": plane.kind,
            "shape": list(plane.shape), "size": plane.size, "shows": plane.shows,
            "weighted": plane.weighted, "centre": centre_code(plane),
            "tile": geometry.plane_layout(plane).tile, "rule": rule, "map_names": map_names(plane)}


def _preset(planes: tuple[Plane, ...], classes: tuple[str, ...], view: str) -> dict:
    framed = camera.frame(planes, classes, view)
    return {"rotation": camera.rotation(view).round(6).tolist(), "zoom": framed.zoom,
            "zoom_range": [camera.min_zoom(framed), camera.MAX_ZOOM],
            "height": framed.height, "target": list(framed.target),
            "labels": [{"text": label.text, "plane": label.plane, "anchor": list(label.anchor),
                        "offset": list(label.offset), "tile": label.tile} for label in framed.labels]}


def view_spec(arch: Architecture, classes) -> dict:
    """Everything the browser needs to draw ``arch``'s units, whatever their values."""
    planes = geometry.planes(arch)
    classes = tuple(str(c) for c in classes)
    rules = plane_rules(arch, planes)
    # each named map (a colour input's red, green, blue) is coloured by the colour map of its name
    tables = set(RULE_MAPS.values()) | {name for p in planes for name in map_names(p) or ()}
    return {
        "format": 1, "arch": arch.name, "classes": list(classes),
        "planes": [_plane(p, rules[p.name]) for p in planes],
        "rule_maps": RULE_MAPS,
        "colour_tables": {name: colours.colour_table(name).tolist() for name in sorted(tables)},
        "views": {view: _preset(tuple(planes), classes, view) for view in camera.VIEWS},
        "default_view": camera.DEFAULT_VIEW,
        "narrowest": camera.NARROWEST,  # the width every preset is framed for
        "too_large": too_many_to_draw(planes),
    }


def scene_values(scene: geometry.Scene) -> dict[str, str]:
    """Each plane's values as the element takes them for one input: little-endian float32,
    base64 (4/3 × 4 bytes a unit)."""
    return {plane.name: base64.b64encode(scene.values_of(plane).astype("<f4").tobytes()).decode("ascii")
            for plane in scene.planes}


def spec_json(arch: Architecture, classes) -> str:
    return json.dumps(view_spec(arch, classes), separators=(",", ":"))


def digest(*texts: str) -> str:
    """A short name for what the browser holds (a model's bundle and its view): it asks for them
    again only when this changes."""
    crc = 0
    for text in texts:
        crc = zlib.crc32(text.encode(), crc)
    return f"{crc:08x}"
