"""A drawing or a photo of a digit -> the 28×28 image an MNIST-trained network expects.

MNIST was made this way (LeCun, Cortes & Burges): each digit's ink was scaled so that its
bounding box's longest side is 20 pixels, keeping the aspect ratio, with anti-aliasing that turns
the black-and-white strokes into grey levels; then it was placed in a 28×28 field so that its
centre of mass falls on the field's centre. In the MNIST files that centre is pixel (14, 14):
the mean centre of mass of the mnist-5k training digits is (13.99, 14.00). :func:`mnist_style`
repeats those steps for any RGBA, RGB or grey array (the canvas, an upload, a file);
:func:`lenet_core.model.inputs.model_input` then applies the model's normalisation and padding.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from lenet_core.errors import LabError

SIZE = 28  # the field
BOX = 20  # the longest side of the digit's bounding box inside the field
CENTRE = 14.0  # where the centre of mass lands (pixel index, as in the MNIST files)

# Ink below this share of the image's strongest ink is noise (JPEG ringing, paper grain).
NOISE_FLOOR = 0.12
# An image whose strongest ink differs from its background by less than this is blank.
BLANK_CONTRAST = 0.15

# A digit enlarged more than this many times beyond fitting the whole picture into 28×28 was
# drawn small: its strokes come out thicker than MNIST's (a 280-pixel canvas: under ~80 pixels).
SMALL_DRAWING_ZOOM = 2.5

MAX_FILE_BYTES = 10 * 2**20  # uploads and CLI files: 10 MiB
MAX_PIXELS = 4096 * 4096
DRAWING_FORMATS = ("PNG", "JPEG")  # the Draw page's uploads and `predict`


@dataclass(frozen=True)
class Preprocessed:
    """The 28×28 image in [0, 1] (white ink on black), or ``None`` with a note when blank."""

    image: np.ndarray | None
    note: str | None = None
    inverted: bool = False  # the source had dark ink on a light background
    box: tuple[int, int, int, int] | None = None  # ink bounding box in the source: top, left, bottom, right

    @property
    def blank(self) -> bool:
        return self.image is None


def ink_map(array: np.ndarray) -> tuple[np.ndarray, bool]:
    """Any image array -> (ink intensity H×W in [0, 1] with 0 = background, inverted?).

    A transparent background means the opaque pixels are the ink, whatever their colour.
    Otherwise ink is told from background by brightness: the background is the median of the
    image's outer frame, so dark ink on a light page is detected and inverted.
    """
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)) or min(a.shape[:2]) < 1:
        raise LabError(f"an image must be H×W (grey), H×W×3 (RGB) or H×W×4 (RGBA); got shape {a.shape}")
    scale = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}.get(a.dtype, 1.0)
    if a.ndim == 3 and a.shape[2] == 4 and np.median(_frame(a[:, :, 3])) < 0.5 * scale:
        return a[:, :, 3].astype(np.float32) / scale, False  # a transparent background
    # Brightness: the max over channels keeps coloured ink on black (the canvas' white, or red)
    # bright. Channels are reduced in the source dtype: converting 280×280×4 to float first is
    # ten times slower.
    grey = np.maximum(np.maximum(a[:, :, 0], a[:, :, 1]), a[:, :, 2]) if a.ndim == 3 else a
    grey = grey.astype(np.float32) / scale
    background = float(np.median(_frame(grey)))
    inverted = background > 0.5
    ink = (background - grey) if inverted else (grey - background)
    return np.clip(ink, 0.0, 1.0), inverted


def _frame(image: np.ndarray) -> np.ndarray:
    """The pixels of the outer border (one pixel wide) of a 2-D image."""
    if min(image.shape) <= 2:
        return image.ravel()
    return np.concatenate([image[0], image[-1], image[1:-1, 0], image[1:-1, -1]])


def mnist_style(array: np.ndarray) -> Preprocessed:
    """RGBA/RGB/grey array of any size -> :class:`Preprocessed` (28×28 float32, MNIST's steps)."""
    ink, inverted = ink_map(array)
    strongest = float(ink.max()) if ink.size else 0.0
    if strongest < BLANK_CONTRAST:
        return Preprocessed(None, "blank: no ink was found (nothing stands out from the background)",
                            inverted)
    ink = ink / strongest  # the strongest stroke becomes full white, as in MNIST
    ink[ink < NOISE_FLOOR] = 0.0
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    digit = _fit_box(ink[top:bottom, left:right])
    field = _place_centred(digit)
    zoom = (BOX / max(bottom - top, right - left)) / (SIZE / max(ink.shape))
    note = (f"the digit is small: it was enlarged {zoom:.1f}× more than one filling the picture, so "
            "its strokes came out thick; draw it larger, or with a thinner stroke"
            ) if zoom > SMALL_DRAWING_ZOOM else None
    return Preprocessed(field, note, inverted, (int(top), int(left), int(bottom), int(right)))


def _fit_box(crop: np.ndarray) -> np.ndarray:
    """Scale so the longest side is BOX pixels, keeping the aspect ratio, anti-aliased.

    Shrinking uses PIL's area-averaging filter (each output pixel is the mean of the source
    pixels it covers: MNIST's grey edges); enlarging a tiny drawing uses bilinear interpolation.
    """
    h, w = crop.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # PIL wants (width, height)
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    scaled = Image.fromarray(crop.astype(np.float32)).resize(size, resample)
    return np.clip(np.asarray(scaled, dtype=np.float32), 0.0, 1.0)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the ink's centre of mass, in pixel indices."""
    total = float(image.sum())
    rows = np.arange(image.shape[0], dtype=np.float64)
    cols = np.arange(image.shape[1], dtype=np.float64)
    return (float(image.sum(axis=1) @ rows) / total, float(image.sum(axis=0) @ cols) / total)


def _place_centred(digit: np.ndarray) -> np.ndarray:
    """Put the digit in the 28×28 field with its centre of mass at (14, 14).

    The shift is rounded to whole pixels and clamped so that no ink leaves the field: a digit
    whose mass sits far to one side (a "7" with a heavy bar) stays whole, a pixel or two off.
    """
    h, w = digit.shape
    cy, cx = centre_of_mass(digit)
    top = int(np.clip(round(CENTRE - cy), 0, SIZE - h))
    left = int(np.clip(round(CENTRE - cx), 0, SIZE - w))
    field = np.zeros((SIZE, SIZE), dtype=np.float32)
    field[top:top + h, left:left + w] = digit
    return field


# ---- image files and uploads -----------------------------------------------------------------

def _use(formats: tuple[str, ...]) -> str:
    """``use a PNG or JPEG file``: what a refusal asks for."""
    return f"use a {', '.join(formats[:-1])} or {formats[-1]} file"


def load_image(source: str | Path | bytes, name: str | None = None,
               formats: tuple[str, ...] = DRAWING_FORMATS) -> np.ndarray:
    """An image file (PNG or JPEG, or ``formats``: PIL's names) as an RGBA uint8 array, with clear
    size limits (checked on the header first). A GIF gives its first frame.

    ``source`` is a path or the file's bytes (an upload); ``name`` is how messages refer to it.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or str(path)
        if not path.is_file():
            raise LabError(f"{name}: no such file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise LabError(f"{name}: {path.stat().st_size / 2**20:.1f} MiB is too large: "
                           f"images up to {MAX_FILE_BYTES // 2**20} MiB are accepted")
        data = path.read_bytes()
    else:
        data = bytes(source)
        name = name or "the image"
        if len(data) > MAX_FILE_BYTES:
            raise LabError(f"{name}: {len(data) / 2**20:.1f} MiB is too large: images up to "
                           f"{MAX_FILE_BYTES // 2**20} MiB are accepted")
    if not data:
        raise LabError(f"{name}: not an image: the file is empty (0 bytes); {_use(formats)}")
    size = image_size(data, name, formats)
    if size is None:
        raise LabError(f"{name}: not an image this program can read: {_use(formats)}")
    w, h = size
    if w * h > MAX_PIXELS:  # from the header alone: a decompression bomb is never opened
        raise LabError(f"{name}: {w:,}×{h:,} pixels is too large: images up to 4,096×4,096 "
                       "are accepted")
    try:
        with Image.open(io.BytesIO(data), formats=formats) as img:
            return np.asarray(img.convert("RGBA"))
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise LabError(f"{name}: not an image this program can read: {_use(formats)}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise LabError(f"{name}: a damaged or truncated image ({exc}): {_use(formats)}") from None


def image_size(data: bytes, name: str, formats: tuple[str, ...] = DRAWING_FORMATS) -> tuple[int, int] | None:
    """(width, height) of an image in one of ``formats``, or None when it is none: PIL's ``Image.open`` reads
    the header and decodes nothing until asked. PIL's own guard against decompression bombs (a
    warning above 89 megapixels, an error above twice that) is kept quiet here: the limit is ours
    (:data:`MAX_PIXELS`), said in words, and a server's log gets no warning for a refused upload."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=formats) as img:
                return img.size
        except Image.DecompressionBombError:
            raise LabError(f"{name}: over {2 * Image.MAX_IMAGE_PIXELS:,} pixels is too large: images up "
                           "to 4,096×4,096 are accepted") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            return None
