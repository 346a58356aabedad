"""Synthetic publisher files in the published layouts, for tests and benchmarks.

Values are random but plausible (Sahel coordinates, real-looking actor names, the
GED convention that ``low <= best <= high``); the layout and quoting are the
publisher's (UCDP, ACLED).
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from sentinelle.sources.acled import ACLED_COLUMNS
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


# ACLED event type, sub-event type, actor1, inter1, actor2, inter2 (0 = no actor2).
_ACLED_EVENTS = [
    ("Battles", "Armed clash", "Military Forces of Mali (2021-)", "1",
     "JNIM: Group for Support of Islam and Muslims", "2"),
    ("Battles", "Armed clash", "JNIM: Group for Support of Islam and Muslims", "2",
     "Dan Na Ambassagou", "4"),
    ("Explosions/Remote violence", "Air/drone strike", "Military Forces of France (2017-)", "8",
     "Islamic State (Greater Sahara)", "2"),
    ("Explosions/Remote violence", "Remote explosive/landmine/IED",
     "Islamic State (Greater Sahara)", "2", "Civilians (Mali)", "7"),
    ("Violence against civilians", "Attack", "JNIM: Group for Support of Islam and Muslims", "2",
     "Civilians (Mali)", "7"),
    ("Protests", "Peaceful protest", "Protesters (Mali)", "6", "", "0"),
    ("Riots", "Violent demonstration", "Rioters (Mali)", "5", "", "0"),
    ("Strategic developments", "Looting/property destruction",
     "Military Forces of Mali (2021-)", "1", "", "0"),
]  # fmt: skip

# The HXL tags of ACLED's HDX copies, written as the record after the header.
HDX_HXL_TAGS = {
    "event_id_cnty": "#event+code", "event_date": "#date+occurred", "year": "#date+year",
    "event_type": "#event+type", "actor1": "#group+name+first",
    "assoc_actor_1": "#group+name+first+assoc", "actor2": "#group+name+second",
    "assoc_actor_2": "#group+name+second+assoc", "region": "#region+name",
    "country": "#country+name", "admin1": "#adm1+name", "admin2": "#adm2+name",
    "admin3": "#adm3+name", "location": "#loc+name", "latitude": "#geo+lat",
    "longitude": "#geo+lon", "source": "#meta+source", "notes": "#description",
    "fatalities": "#affected+killed", "iso3": "#country+code",
}  # fmt: skip


def acled_frame(n: int, *, seed: int = 0, first_id: int = 1) -> pd.DataFrame:
    """``n`` ACLED events of Mali in the export layout, as text like the CSV export.

    Columns are ``data_id``, ``iso`` and the standard export columns; ids are
    ``MLI<first_id>``, ``MLI<first_id + 1>``, ...; every event type occurs.
    """
    rng = np.random.default_rng(seed)
    kinds = rng.permutation(np.arange(n) % len(_ACLED_EVENTS))
    events = pd.DataFrame([_ACLED_EVENTS[k] for k in kinds], columns=[
        "event_type", "sub_event_type", "actor1", "inter1", "actor2", "inter2",
    ])  # fmt: skip
    date = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D")
    numbers = np.arange(first_id, first_id + n)
    frame = pd.DataFrame({c: "" for c in ACLED_COLUMNS}, index=range(n))
    frame[list(events.columns)] = events.to_numpy()
    frame["event_id_cnty"] = "MLI" + numbers.astype(str)
    frame["event_date"] = date.strftime("%Y-%m-%d")
    frame["year"] = date.year.astype(str)
    frame["time_precision"] = rng.integers(1, 4, n).astype(str)
    frame["interaction"] = events["inter1"] + events["inter2"]
    frame["region"] = "Western Africa"
    frame["country"] = "Mali"
    frame["admin1"] = "Mopti"
    frame["admin2"] = "Bandiagara"
    frame["location"] = "Place " + (numbers % 97).astype(str)
    frame["latitude"] = rng.uniform(10.0, 20.0, n).round(4).astype(str)
    frame["longitude"] = rng.uniform(-10.0, 4.0, n).round(4).astype(str)
    frame["geo_precision"] = rng.integers(1, 4, n).astype(str)
    frame["source"] = "Studio Tamani; AMAP"
    frame["source_scale"] = "National"
    frame["notes"] = "On " + frame["event_date"] + ", an event occurred, reported by AMAP."
    frame["fatalities"] = rng.negative_binomial(1, 0.3, n).astype(str)
    frame["timestamp"] = (1_600_000_000 + rng.integers(0, 1_000_000, n)).astype(str)
    frame["iso3"] = "MLI"
    frame.insert(0, "iso", "466")
    frame.insert(0, "data_id", (7_000_000 + numbers).astype(str))
    return frame


def write_acled_csv(
    frame: pd.DataFrame,
    path: Path,
    *,
    hxl: dict[str, str] | None = None,
    index_column: bool = False,
) -> Path:
    """Write ACLED rows as the export does (comma-separated, minimal quoting, UTF-8).

    ``hxl`` adds an HDX tag row (column -> tag, e.g. :data:`HDX_HXL_TAGS`) after the
    header; ``index_column`` the unnamed leading index of copies saved by pandas.
    """
    if hxl is not None:
        tags = pd.DataFrame([{c: hxl.get(c, "") for c in frame.columns}])
        frame = pd.concat([tags, frame], ignore_index=True)
    frame.to_csv(path, index=index_column, quoting=csv.QUOTE_MINIMAL)
    return path
