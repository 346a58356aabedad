"""Simulated unit-month panels with a known closure effect, staggered timing and spillover."""

from __future__ import annotations

import numpy as np
import pandas as pd

TRUE_ATT = 2.0
TRUE_SPILLOVER = 1.0
COHORTS = (34, 42, 50)


def simulate_panel(
    seed: int = 0,
    *,
    n_core: int = 60,
    n_ring: int = 40,
    n_control: int = 200,
    n_months: int = 80,
) -> pd.DataFrame:
    """Panel of counts with +2 a month in core units and +1 in the ring after closure.

    Columns: unit_id, month_id (1..n_months), y, cohort (NaN for controls), ring
    (0 core, 1 the 25-50 km ring, -1 control). Units differ in level and trend, and
    treated units have a higher level than controls (closures are not random), but
    trends are parallel absent treatment, so DiD identifies the effect.
    """
    rng = np.random.default_rng(seed)
    n = n_core + n_ring + n_control
    ring = np.repeat([0, 1, -1], [n_core, n_ring, n_control])
    cohort = np.where(ring >= 0, rng.choice(COHORTS, n), np.nan)
    level = rng.gamma(2.0, 1.0, n) + np.where(ring == 0, 1.5, 0.0)
    months = np.arange(1, n_months + 1)
    # Additive month effects (season, trend) keep trends parallel in levels, which is
    # what DiD on counts assumes; a multiplicative trend would favour high-level units.
    common = 0.8 * np.sin(2 * np.pi * months / 12) + 0.02 * months + 1.0
    mu = level[:, None] + common[None, :]
    post = months[None, :] >= np.nan_to_num(cohort, nan=np.inf)[:, None]
    effect = np.where(ring == 0, TRUE_ATT, np.where(ring == 1, TRUE_SPILLOVER, 0.0))
    y = rng.poisson(mu) + rng.poisson(post * effect[:, None])
    return pd.DataFrame(
        {
            "unit_id": np.repeat(np.arange(n), n_months),
            "month_id": np.tile(months, n),
            "y": y.ravel().astype(np.float64),
            "cohort": np.repeat(cohort, n_months),
            "ring": np.repeat(ring, n_months),
        }
    )


# Cross-mission design (sentinelle.impact.staggered): effect of a base's presence on the
# cell hosting it and on its Queen neighbours, by year.
PRESENCE_EFFECT = -2.0
NEIGHBOUR_EFFECT = -1.0
SIM_YEARS = (2000, 2015)


def simulate_deployments(
    seed: int = 0,
    *,
    size: int = 40,
    spacing: int = 4,
    presence: float = PRESENCE_EFFECT,
    neighbour: float = NEIGHBOUR_EFFECT,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Bases opening, closing or staying on a ``size`` x ``size`` block of PRIO-GRID cells.

    Sites lie every ``spacing`` cells; each gets no base, a base opening in 2003-2010
    (kept to the end), a base present from 2000 and last listed in 2004-2011, or a base
    present throughout, split between missions 'AAA' and 'BBB' (in Mali, so that the
    cells' country is known). Civilian deaths per cell-year are Poisson with a cell
    level, a common year effect, ``presence`` in every year a base is listed in the cell
    and ``neighbour`` in every year one is listed in a Queen neighbour (cells hosting
    none): entry effects are ``presence``/``neighbour``, exit effects their opposites.

    Returns
    -------
    (deployments, events, cells)
        A Geo-PKO-shaped deployments frame (yearly rows), common-model events (one per
        cell-year with deaths, at the cell centre), and the cells (``gid, iso3``).
    """
    from sentinelle.geo import centroid, gid_from_row_col, row_col_from_gid
    from sentinelle.geo.priogrid import ring_pairs

    rng = np.random.default_rng(seed)
    first, last = SIM_YEARS
    years = np.arange(first, last + 1)
    origin_row, origin_col = row_col_from_gid(gid_from_row_col(200, 340))
    rows, cols = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    gids = gid_from_row_col(origin_row + rows.ravel(), origin_col + cols.ravel())
    cells = pd.DataFrame({"gid": np.sort(gids), "iso3": "MLI"})
    index = pd.Series(np.arange(len(cells)), index=cells["gid"].to_numpy())
    sites = (
        cells["gid"]
        .to_numpy()
        .reshape(size, size)[spacing // 2 :: spacing, spacing // 2 :: spacing]
    )
    sites = sites.ravel()
    kind = rng.choice(["none", "entry", "exit", "kept"], len(sites), p=[0.1, 0.35, 0.35, 0.2])
    kind[:2] = "kept"  # both missions listed to the last year
    spans = []
    for i, (gid, k) in enumerate(zip(sites, kind, strict=True)):
        if k == "none":
            continue
        start = int(rng.integers(2003, 2011)) if k == "entry" else first
        end = int(rng.integers(2004, 2012)) if k == "exit" else last
        spans.append((f"site{i}", "AAA" if i % 2 == 0 else "BBB", int(gid), start, end))
    lat, lon = centroid(np.array([s[2] for s in spans]))
    deployments = pd.DataFrame(
        [
            {"source": "geopko_frontmap", "mission": m, "location": name, "country": "Mali",
             "latitude": la, "longitude": lo, "year": y, "troops": 100.0, "hq": 0}
            for (name, m, _, start, end), la, lo in zip(spans, lat, lon, strict=True)
            for y in range(start, end + 1)
        ]
    )  # fmt: skip
    present = np.zeros((len(cells), len(years)), dtype=bool)
    for _, _, gid, start, end in spans:
        present[index[gid], start - first : end - first + 1] = True
    src, nbr = ring_pairs(cells["gid"].to_numpy())
    inside = np.isin(nbr, cells["gid"].to_numpy())
    near = np.zeros_like(present)
    np.logical_or.at(near, index[src[inside]].to_numpy(), present[index[nbr[inside]].to_numpy()])
    near &= ~present.any(axis=1)[:, None]
    level = rng.gamma(4.0, 1.0, len(cells)) + 2.5
    common = 0.5 * np.sin(years / 2.0)
    mu = level[:, None] + common[None, :] + presence * present + neighbour * near
    deaths = rng.poisson(np.clip(mu, 0.05, None))
    cell_i, year_i = np.nonzero(deaths)
    lat_c, lon_c = centroid(cells["gid"].to_numpy()[cell_i])
    events = pd.DataFrame(
        {
            "date_start": pd.to_datetime([f"{years[j]}-06-15" for j in year_i]),
            "latitude": lat_c,
            "longitude": lon_c,
            "civilian_deaths": deaths[cell_i, year_i].astype(np.float64),
            "violence_type": "one_sided",
            "side_a": np.where(rng.random(len(cell_i)) < 0.5, "Government of Mali", "JNIM"),
        }
    )
    return deployments, events, cells
