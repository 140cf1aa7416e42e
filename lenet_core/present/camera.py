"""The 3D view's camera: the presets, where a point of the scene lands on screen, and the frame
of each preset — the zoom, target and view height that fit a whole network, labels included,
in the narrowest view the page has — with every label placed so that no two overlap.

Orthographic, y up. A preset is a rotation R = rotateX(tilt) · rotateY(orbit) and a zoom: a point
lands 2^zoom · (R·(point − target))_xy pixels from the view's centre. The browser's element
(``pages/components/net3d/view3d.js``) sets its three.js orthographic camera from the same R,
target and zoom (:mod:`lenet_core.present.view_spec` sends them), so the labels placed here land
where this module says. Nothing depends on the view's width, which Python cannot know: a frame
fits NARROWEST, and a narrower view zooms out by its width's share of it.

Why orthographic: a selected unit's lines stay their width in pixels at any zoom, and a plane
near the camera is not blown up over the others.

Pure functions of plain data (a network's planes, its class names, a preset's name).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from lenet_core.inspect import geometry
from lenet_core.inspect.geometry import Plane

# ``rotationOrbit`` turns about the vertical axis, ``rotationX`` tilts towards a view from above.
# No preset looks exactly along a plane (orbit ±90, tilt 90): orthographic, a plane seen edge-on
# has no area and vanishes.
VIEWS = {
    "3/4": {"rotationOrbit": -40, "rotationX": 28},
    "front": {"rotationOrbit": 0, "rotationX": 0},
    "side": {"rotationOrbit": -75, "rotationX": 10},
    "top": {"rotationOrbit": 0, "rotationX": 65},
}
DEFAULT_VIEW = "3/4"

NARROWEST = 560  # px: the page's main column in a 1024 px window, sidebar open (564 in Chromium)
HEIGHTS = (360, 600)  # px: each preset's view is as tall as its frame needs, in this range
MARGIN = 12  # px between the network (tiles and labels) and the view's edges
MIN_ZOOM, MAX_ZOOM = -2, 6  # 2^6 = 64 px a scene unit: a tile 51 px across
ZOOM_STEP = 1 / 32  # framing tries zooms this far apart

FONT = 12  # px, every label
# A character's advance, in em: the element's labels are in the browser's monospace font
# (DejaVu Sans Mono, 0.60 em, on Linux; Consolas, 0.55 em, on Windows; Menlo 0.60 em on a Mac).
CHAR_EM = 0.62
LABEL_PADDING = (3, 1)  # px around the text: its pale background box
GAP = 3  # px between a label and what it names, and between two labels
ROWS = 8  # rows above its plane a name may climb before it drops the shape
CLASS_ROWS = 3  # staggered rows the class names may take under their tiles


@dataclass(frozen=True)
class Label:
    """A text pinned to a point of the scene: its box's centre lies ``offset`` pixels (x right,
    y down) from where ``anchor`` lands, so that it stays beside the same corner at any zoom.
    ``tile``: a class name under its tile, hidden where nearer tiles hide the tile."""

    text: str
    plane: str
    anchor: tuple[float, float, float]
    offset: tuple[float, float]
    tile: bool = False


@dataclass(frozen=True)
class Frame:
    """A preset's camera for one network, its view's height, and where its labels go."""

    zoom: float
    height: int
    target: tuple[float, float, float]
    labels: tuple[Label, ...]


def rotation(view: str) -> np.ndarray:
    """R of a preset, 3×3: deck.gl's rotateX(rotationX) · rotateY(rotationOrbit)."""
    orbit, tilt = (math.radians(VIEWS[view][key]) for key in ("rotationOrbit", "rotationX"))
    turn = np.array([[math.cos(orbit), 0, math.sin(orbit)], [0, 1, 0],
                     [-math.sin(orbit), 0, math.cos(orbit)]])
    tip = np.array([[1, 0, 0], [0, math.cos(tilt), -math.sin(tilt)],
                    [0, math.sin(tilt), math.cos(tilt)]])
    return tip @ turn


def to_screen(points, view: str, zoom: float, target=(0.0, 0.0, 0.0)) -> np.ndarray:
    """Where scene points land: N×2, pixels from the view's centre, x right, y down."""
    r = (np.asarray(points, float).reshape(-1, 3) - target) @ rotation(view).T * 2.0 ** zoom
    return np.stack([r[:, 0], -r[:, 1]], axis=1)


def plane_corners(plane: Plane) -> np.ndarray:
    """4×3: the corners of the rectangle that holds every tile of ``plane``."""
    left, right, bottom, top, z = geometry.plane_box(plane)
    h = geometry.plane_layout(plane).tile / 2
    return np.array([[left - h, bottom - h, z], [right + h, bottom - h, z],
                     [right + h, top + h, z], [left - h, top + h, z]])


def plane_label(plane: Plane) -> str:
    """A plane's name and shape in ASCII (deck.gl's text atlas has no "×"): ``conv1 6@28x28``."""
    shape = plane.shape
    return f"{plane.name} {shape[0]}@{shape[1]}x{shape[2]}" if len(shape) == 3 else f"{plane.name} {shape[0]}"


def label_size(text: str) -> tuple[float, float]:
    """A label's box in pixels, background included: an estimate from its length."""
    return len(text) * CHAR_EM * FONT + 2 * LABEL_PADDING[0], FONT + 2 * LABEL_PADDING[1]


def label_box(label: Label, view: str, zoom: float, target=(0.0, 0.0, 0.0)) -> np.ndarray:
    """``[left, top, right, bottom]`` of a label's box, pixels from the view's centre."""
    centre = to_screen(label.anchor, view, zoom, target)[0] + label.offset
    half = np.array(label_size(label.text)) / 2
    return np.concatenate([centre - half, centre + half])


def apart(box, taken) -> bool:
    """Whether ``box`` keeps GAP pixels from every box in ``taken`` (``[left, top, right, bottom]``
    each: arrays, or lists, which are read much faster)."""
    return all(box[0] >= t[2] + GAP or t[0] >= box[2] + GAP or box[1] >= t[3] + GAP
               or t[1] >= box[3] + GAP for t in taken)


def hidden(plane: Plane, planes, view: str) -> bool:
    """Whether the middle of ``plane`` lies inside a nearer plane's rectangle on screen."""
    middle = plane_corners(plane).mean(axis=0)
    point, depth = to_screen(middle, view, 0.0)[0], (rotation(view) @ middle)[2]
    for other in planes:
        corners = plane_corners(other)
        if (rotation(view) @ corners.mean(axis=0))[2] <= depth:
            continue
        quad = to_screen(corners, view, 0.0)
        edges, to_point = np.roll(quad, -1, axis=0) - quad, point - quad
        turns = edges[:, 0] * to_point[:, 1] - edges[:, 1] * to_point[:, 0]
        if (turns > 0).all() or (turns < 0).all():
            return True
    return False


def class_labels(planes: tuple[Plane, ...], classes, view: str, zoom: float) -> list[Label]:
    """Each class's name under its tile, in as few staggered rows (up to CLASS_ROWS) as keep
    them apart; none when even that fails (seen side on, the tiles line up behind each other)
    or when a nearer plane hides the classes' tiles (seen from the front)."""
    output = planes[-1]
    if hidden(output, planes, view):
        return []
    half = geometry.plane_layout(output).tile / 2
    anchors = geometry.plane_positions(output) - np.array([0, half, 0], np.float32)
    names = [str(c).encode("ascii", "replace").decode() for c in classes[:len(anchors)]]
    for rows in range(1, CLASS_ROWS + 1):
        labels = [Label(name, output.name, tuple(map(float, anchor)),
                        (0.0, GAP + (i % rows + 0.5) * (label_size(name)[1] + GAP)), tile=True)
                  for i, (name, anchor) in enumerate(zip(names, anchors))]
        taken = []
        for box in (label_box(label, view, zoom) for label in labels):
            if not apart(box, taken):
                break
            taken.append(box)
        else:
            return labels
    return []


def name_label(plane: Plane, view: str, zoom: float, taken: list[np.ndarray],
               within: np.ndarray | None = None) -> Label | None:
    """The plane's name and shape, starting at its top-left corner: just above it, else as few
    rows higher as find room (a staircase, for planes seen one behind the other); the name alone
    when ROWS rows do not; at last the name alone as high as it takes (100 · ROWS rows). ``within``
    (``[left, top, right, bottom]``): only there, and None when no row there has room."""
    left, _, _, top, z = geometry.plane_box(plane)
    half = geometry.plane_layout(plane).tile / 2
    corner = (left - half, top + half, z)

    for text, count in ((plane_label(plane), ROWS), (plane.name, 100 * ROWS)):
        w, h = label_size(text)
        lowest = label_box(Label(text, plane.name, corner, (w / 2, -(GAP + h / 2))), view, zoom).tolist()
        for row in range(count):  # each row h + GAP higher than the one below
            up = row * (h + GAP)
            box = [lowest[0], lowest[1] - up, lowest[2], lowest[3] - up]
            if within is not None and box[1] < within[1]:
                break  # and every row above it
            if apart(box, taken) and (within is None or (box[0] >= within[0] and box[2] <= within[2]
                                                         and box[3] <= within[3])):
                return Label(text, plane.name, corner, (w / 2, -(GAP + h / 2) - row * (h + GAP)))
    return None


def place_labels(planes: tuple[Plane, ...], classes, view: str, zoom: float,
                 within: np.ndarray | None = None) -> list[Label]:
    """Every label of the network at this zoom, no two overlapping: the class names first (they
    sit at their tiles), then each plane's name, from the input on. ``within`` (``[left, top,
    right, bottom]``, pixels from the view's centre): the labels that fit there, the class names
    all or none."""
    labels = class_labels(planes, classes, view, zoom)
    taken = [label_box(label, view, zoom).tolist() for label in labels]  # lists: apart reads them fast
    if within is not None and not all(b[0] >= within[0] and b[1] >= within[1] and b[2] <= within[2]
                                      and b[3] <= within[3] for b in taken):
        labels, taken = [], []
    for plane in planes:
        label = name_label(plane, view, zoom, taken, within)
        if label is not None:
            labels.append(label)
            taken.append(label_box(label, view, zoom).tolist())
    return labels


def room_above(corners: np.ndarray, classes_box: np.ndarray | None, view: str, zoom: float,
               room: np.ndarray) -> np.ndarray:
    """``[left, top, right, bottom]``: a view's room, centred across the tiles, its bottom at their
    lowest point (or their class names'), where the planes' names go above them."""
    points = to_screen(corners, view, zoom)
    bottom = points[:, 1].max() if classes_box is None else max(points[:, 1].max(), classes_box[3])
    across = (points[:, 0].min() + points[:, 0].max()) / 2
    return np.array([across - room[0] / 2, bottom - room[1], across + room[0] / 2, bottom])


def bounds(corners: np.ndarray, labels, view: str, zoom: float) -> np.ndarray:
    """``[left, top, right, bottom]``, pixels from the view's centre, of every tile corner and
    label box (target at the origin)."""
    points = to_screen(corners, view, zoom)
    boxes = np.array([label_box(label, view, zoom) for label in labels]).reshape(-1, 4)
    return np.concatenate([np.minimum(points.min(axis=0), boxes[:, :2].min(axis=0, initial=np.inf)),
                           np.maximum(points.max(axis=0), boxes[:, 2:].max(axis=0, initial=-np.inf))])


def min_zoom(framed: Frame) -> float:
    """The smallest zoom a person may wheel out to: MIN_ZOOM, or the frame's own for a network
    framed smaller (the view must never open clamped past its frame)."""
    return min(MIN_ZOOM, framed.zoom)


@lru_cache(maxsize=64)
def frame(planes: tuple[Plane, ...], classes: tuple[str, ...], view: str) -> Frame:
    """The largest zoom (in ZOOM_STEPs) at which the whole network, labels included, fits a view
    NARROWEST wide and at most HEIGHTS[1] tall with MARGIN to spare; the view as tall as that
    needs (at least HEIGHTS[0]); the target that puts the middle of it all in the view's centre,
    as deep as the middle of the network (the point the camera turns about). A network whose
    names do not fit even at MIN_ZOOM keeps every tile in view and the names that fit."""
    corners = np.concatenate([plane_corners(plane) for plane in planes])
    room = np.array([NARROWEST, HEIGHTS[1]], float) - 2 * MARGIN
    extent = np.ptp(to_screen(corners, view, 0.0), axis=0)
    zoom = math.floor(math.log2(min(room / extent)) / ZOOM_STEP) * ZOOM_STEP
    while True:
        labels = place_labels(planes, classes, view, zoom)
        box = bounds(corners, labels, view, zoom)
        if (box[2:] - box[:2] <= room).all():
            break
        if zoom <= MIN_ZOOM:  # more names than fit at any zoom (40 planes seen from the front)
            named = [label_box(label, view, zoom) for label in labels if label.tile]
            classes_box = np.array(named).max(axis=0) if named else None
            within = room_above(corners, classes_box, view, zoom, room)
            labels = place_labels(planes, classes, view, zoom, within)
            box = bounds(corners, labels, view, zoom)
            break
        zoom -= ZOOM_STEP
    across, down = (box[:2] + box[2:]) / 2 / 2.0 ** zoom  # the middle, in scene units
    depth = (rotation(view) @ ((corners.min(axis=0) + corners.max(axis=0)) / 2))[2]
    target = rotation(view).T @ np.array([across, -down, depth])
    height = min(max(math.ceil(box[3] - box[1]) + 2 * MARGIN, HEIGHTS[0]), HEIGHTS[1])
    return Frame(zoom, height, tuple(round(float(v), 3) for v in target), tuple(labels))
