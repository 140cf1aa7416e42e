"""CSV export that a spreadsheet cannot turn into a formula.

A cell beginning with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets strip before looking) is run as a formula when the file is opened in Excel,
LibreOffice or Google Sheets (CSV injection). Text cells that start so get a leading ``'``, the
quote spreadsheets themselves use for "this is text". Numbers are left alone: ``-0.5`` is a value,
not a formula, and must stay a number for whoever reads the file back.
"""

from __future__ import annotations

import pandas as pd

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
