"""Synthetic publisher files in the published layouts, for tests and benchmarks.

Values are random but plausible (Sahel coordinates, real-looking actor names, the
GED convention that ``low <= best <= high``); the layout and quoting are UCDP's.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from sentinelle.sources.ucdp_ged import GED_COLUMNS

_SIDES = [
    ("Government of Mali", "JNIM"),
    ("Government of Mali", "IS Sahel"),
    ("JNIM", "IS Sahel"),
    ("JNIM", "Civilians"),
    ("Government of Burkina Faso", "JNIM"),
]


def ged_frame(n: int, *, seed: int = 0, first_id: int = 1_000_000) -> pd.DataFrame:
    """``n`` GED events with every published column, as text like the CSV release."""
    rng = np.random.default_rng(seed)
    tov = rng.integers(1, 4, n)
    sides = rng.integers(0, len(_SIDES), n)
    start = pd.Timestamp("1989-01-01") + pd.to_timedelta(rng.integers(0, 12_400, n), unit="D")
    end = start + pd.to_timedelta(rng.integers(0, 3, n), unit="D")
    best = rng.negative_binomial(1, 0.2, n)
    low = (best * rng.uniform(0.5, 1.0, n)).astype(int)
    high = best + rng.integers(0, 10, n)
    lat = rng.uniform(10.0, 20.0, n).round(6)
    lon = rng.uniform(-10.0, 4.0, n).round(6)
    ids = np.arange(first_id, first_id + n)
    year = start.year.astype(str)
    frame = pd.DataFrame({c: "" for c in GED_COLUMNS}, index=range(n))
    frame["id"] = ids.astype(str)
    frame["relid"] = "MLI-" + year + "-" + tov.astype(str) + "-" + ids.astype(str)
    frame["year"] = year
    frame["active_year"] = "1"
    frame["code_status"] = "Clear"
    frame["type_of_violence"] = tov.astype(str)
    frame["conflict_new_id"] = (11_000 + sides).astype(str)
    frame["dyad_new_id"] = (20_000 + sides).astype(str)
    frame["side_a"] = [_SIDES[s][0] for s in sides]
    frame["side_b"] = [_SIDES[s][1] for s in sides]
    frame["side_a_new_id"] = (100 + sides).astype(str)
    frame["side_b_new_id"] = (200 + sides).astype(str)
    frame["number_of_sources"] = "2"
    frame["source_article"] = '"Agence France Presse,' + year + ',Attack near the river"'
    frame["source_headline"] = "Attack near the river;Clashes reported"
    frame["where_prec"] = rng.integers(1, 8, n).astype(str)
    frame["where_coordinates"] = "Place " + (ids % 997).astype(str)
    frame["adm_1"] = "Mopti region"
    frame["latitude"] = lat.astype(str)
    frame["longitude"] = lon.astype(str)
    frame["geom_wkt"] = "POINT (" + frame["longitude"] + " " + frame["latitude"] + ")"
    frame["country"] = "Mali"
    frame["country_id"] = "432"
    frame["region"] = "Africa"
    frame["event_clarity"] = "1"
    frame["date_prec"] = "1"
    frame["date_start"] = start.strftime("%Y-%m-%d 00:00:00.000")
    frame["date_end"] = end.strftime("%Y-%m-%d 00:00:00.000")
    frame["deaths_civilians"] = np.where(tov == 3, best, 0).astype(str)
    frame["best"] = best.astype(str)
    frame["low"] = low.astype(str)
    frame["high"] = high.astype(str)
    return frame


def write_ged_csv(frame: pd.DataFrame, path: Path, *, header: bool = True) -> Path:
    """Write GED rows as UCDP does: comma-separated, minimal quoting, UTF-8."""
    frame.to_csv(path, index=False, header=header, quoting=csv.QUOTE_MINIMAL)
    return path


def zip_file(path: Path, zip_path: Path) -> Path:
    """Zip one file the way UCDP ships its CSV releases."""
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(path, arcname=path.name)
    return zip_path
