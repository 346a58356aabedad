"""VIEWS 2023/24 prediction challenge country-month files into the store's ``panel_cm``.

The files (``features_monthly/cm_features_YYYY.csv`` and ``actuals/cm_actuals_YYYY.parquet``)
are parsed by :func:`sentinelle.sources.views_data.load_views_cm`, which also rebuilds
``ged_sb`` back to February 2016 from the published lags and sums, and joins the
state-based history from January 1990 (``history/``) when the folder has it; this adapter checks
the actuals against that panel, stores it as ``panel_cm`` (``unit_id`` = VIEWS
``country_id``, ``month_id``, ``ged_sb``, ``ged_ns``, ``ged_os`` and the challenge's
feature columns under their published names) and records the load in ``ingests`` and
``panels``, in one transaction. Loading the same files again does nothing.

Timing of the challenge's columns. ``ged_sb_tlag_k`` (= ``ged_sb`` at t-k) already
follows Sentinelle's convention that a feature of month t uses data up to t-1 only.
The challenge's ``ged_sb_tsum_24`` includes month t itself; it is stored shifted by one
month (the sum over t-24..t-1, Sentinelle's ``tsum``), so that one column name means
one thing in every panel. The other challenge columns (WDI, V-Dem, decay and spatial
lag variables) are stored as published: they are VIEWS's, not strictly causal.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from sentinelle.errors import IngestError, SourceFileError
from sentinelle.sources.ingest import IngestReport, sha256_of
from sentinelle.sources.views_data import HISTORY_FILE, load_views_cm
from sentinelle.steps import Step, no_step
from sentinelle.store import transaction
from sentinelle.store.panels import PanelRecord, record_panel

SOURCE = "views-cm"


def _files(data_dir: Path) -> list[Path]:
    """The challenge files that make up the panel, in a fixed order."""
    features = sorted(data_dir.glob("features_monthly/cm_features_*.csv"))
    if not features:
        raise SourceFileError(f"{data_dir}: no features_monthly/cm_features_*.csv")
    history = [data_dir / HISTORY_FILE] if (data_dir / HISTORY_FILE).is_file() else []
    return features + sorted(data_dir.glob("actuals/cm_actuals_*.parquet")) + history


def _check_actuals(panel: pd.DataFrame, files: list[Path]) -> None:
    """Raise if an actuals file disagrees with the ``ged_sb`` of the feature files."""
    actuals = [pd.read_parquet(p).reset_index() for p in files if p.suffix == ".parquet"]
    if not actuals:
        return
    merged = pd.concat(actuals).merge(
        panel[["unit_id", "month_id", "ged_sb"]],
        left_on=["country_id", "month_id"],
        right_on=["unit_id", "month_id"],
        how="left",
    )
    bad = merged[merged["outcome"] != merged["ged_sb"]]
    if not bad.empty:
        first = bad.iloc[0]
        raise IngestError(
            f"{len(bad)} actuals disagree with the feature files' ged_sb, e.g. country "
            f"{first['country_id']} month {first['month_id']}: {first['outcome']} vs "
            f"{first['ged_sb']}: not one data version"
        )


def ingest_views_cm(
    con: duckdb.DuckDBPyConnection, data_dir: str | Path, *, step: Step = no_step
) -> IngestReport:
    """Load the VIEWS challenge cm files into ``panel_cm`` (replacing it) with provenance.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        An open store.
    data_dir : str or pathlib.Path
        The ``views-cm`` folder (``features_monthly/``, optionally ``actuals/``).
    step : callable, optional
        Progress callback.

    Returns
    -------
    IngestReport
        ``skipped`` when the same files were loaded before; ``rows_inserted`` is the
        number of panel rows.

    Raises
    ------
    SourceFileError
        If the folder has no feature files.
    IngestError
        If the actuals disagree with the feature files; the store is unchanged.

    Examples
    --------
    >>> from sentinelle.store import open_store
    >>> con = open_store("sentinelle.duckdb")                                 # doctest: +SKIP
    >>> ingest_views_cm(con, "../shared/data/views-cm").rows_inserted         # doctest: +SKIP
    77928
    """
    data_dir = Path(data_dir)
    files = _files(data_dir)
    step("checksum")
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.relative_to(data_dir)}:{sha256_of(path)}\n".encode())
    report = IngestReport(
        source=SOURCE, version=None, location=str(data_dir.resolve()), sha256=digest.hexdigest()
    )
    previous = con.execute(
        "SELECT ingest_id, source_version FROM ingests "
        "WHERE source = ? AND sha256 = ? AND status = 'ok'",
        [SOURCE, report.sha256],
    ).fetchone()
    if previous:
        report.ingest_id, report.version, report.skipped = int(previous[0]), previous[1], True
        return report

    step("read")
    started = datetime.now()
    panel = load_views_cm(data_dir)
    _check_actuals(panel, files)
    report.version = str(panel.attrs["data_version"])
    report.rows_read = report.rows_inserted = len(panel)
    step("store")
    with transaction(con):
        ingest_id = int(con.execute("SELECT nextval('ingest_id_seq')").fetchone()[0])  # type: ignore[index]
        report.ingest_id = ingest_id
        con.register("_views_cm", panel)
        con.execute(
            """
            CREATE OR REPLACE TABLE panel_cm AS
            SELECT CAST(unit_id AS BIGINT) AS unit_id, CAST(month_id AS INTEGER) AS month_id,
                   CAST(ged_sb AS INTEGER) AS ged_sb, CAST(ged_ns AS INTEGER) AS ged_ns,
                   CAST(ged_os AS INTEGER) AS ged_os,
                   * EXCLUDE (unit_id, month_id, ged_sb, ged_ns, ged_os)
                     REPLACE (lag(ged_sb_tsum_24) OVER (PARTITION BY unit_id ORDER BY month_id)
                              AS ged_sb_tsum_24)
            FROM _views_cm ORDER BY unit_id, month_id
            """
        )
        con.unregister("_views_cm")
        months = con.execute(
            "SELECT min(month_id), max(month_id), count(DISTINCT unit_id) FROM panel_cm"
        ).fetchone()
        assert months is not None
        con.execute(
            "INSERT INTO ingests VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, ?, ?, 'ok')",
            [
                ingest_id, SOURCE, report.version, report.location, report.sha256,
                report.rows_read, report.rows_inserted, started, datetime.now(),
            ],
        )  # fmt: skip
        record_panel(
            con,
            PanelRecord(
                panel_table="panel_cm",
                unit="cm",
                source=SOURCE,
                first_month=int(months[0]),
                last_month=int(months[1]),
                history_start=None,
                ged_last_month=None,
                countries=None,
                versions={SOURCE: [report.version]},
                ingest_ids=[ingest_id],
                engine="ingest",
                n_units=int(months[2]),
                n_rows=len(panel),
                events_used=None,
                events_outside=None,
                params=json.dumps({"data_dir": report.location}),
            ),
        )
    return report
