"""CSV export that a spreadsheet cannot turn into a formula.

A cell beginning with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets strip before looking) is run as a formula when the file is opened in Excel,
LibreOffice or Google Sheets (CSV injection). Text cells that start so get a leading ``'``, the
quote spreadsheets themselves use for "this is text". Numbers are left alone: ``-0.5`` is a value,
not a formula, and must stay a number for whoever reads the file back.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from lenet_core.errors import LabError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: object) -> object:
    """``value`` with a leading ``'`` if it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) are escaped; numbers untouched."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(escape_cell)
    out.columns = [escape_cell(str(c)) for c in out.columns]
    return out


def to_csv(frame: pd.DataFrame, path_or_buffer=None) -> str | None:
    """``frame.to_csv(index=False)`` with formula cells escaped: the one way we write CSV."""
    return safe_frame(frame).to_csv(path_or_buffer, index=False)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as escaped CSV to ``path`` whole or not at all: a temp file beside it, then
    a rename, so a full disk never leaves half a file (nor spoils one that was there)."""
    path = Path(path)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", newline="") as f:
            to_csv(frame, f)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise LabError(f"{path}: cannot write the CSV ({exc.strerror or exc}); "
                       "choose a writable place with free space") from None
    return path
