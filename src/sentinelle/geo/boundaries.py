"""Country outlines for maps: a Natural Earth admin-0 file, or the copy pyogrio ships.

Maps need outlines but Sentinelle downloads nothing at run time, so when no boundary
file is configured the Natural Earth "lowres" countries bundled in the ``pyogrio``
wheel (177 countries, public domain) are used. Natural Earth files name the ISO3
code differently by edition (``ISO_A3``, ``ADM0_A3``, ``iso_a3``) and write ``-99``
where ISO has no code: :func:`read_country_outlines` returns one normalised ``iso3``
column either way.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from sentinelle.errors import UsageError

__all__ = ["default_boundaries", "read_country_outlines"]

# Offline country shapes shipped inside the pyogrio wheel (Natural Earth lowres).
_PYOGRIO_SHAPES = "tests/fixtures/naturalearth_lowres/naturalearth_lowres.shp"
_ISO3 = "[A-Z]{3}"


def default_boundaries() -> Path:
    """Path of the Natural Earth countries shipped with pyogrio (used when none is given)."""
    import pyogrio

    return Path(pyogrio.__file__).parent / _PYOGRIO_SHAPES


def read_country_outlines(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """Country outlines with columns ``iso3``, ``name`` and ``geometry`` (WGS84).

    Parameters
    ----------
    path : str or Path, optional
        A vector file (GeoJSON, shapefile, GeoPackage) with an ISO3 column
        (``ISO_A3``/``iso3``, else ``ADM0_A3``), e.g. Natural Earth admin-0; the
        pyogrio copy when omitted.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per shape; ``iso3`` is the ISO code, else Natural Earth's ``ADM0_A3``
        (``SOL`` for Somaliland), else None.

    Examples
    --------
    >>> shapes = read_country_outlines()
    >>> shapes.loc[shapes["iso3"] == "MLI", "name"].tolist()
    ['Mali']
    """
    shapes = gpd.read_file(path or default_boundaries())
    if shapes.crs is not None and not shapes.crs.equals("EPSG:4326"):
        shapes = shapes.to_crs("EPSG:4326")
    columns = {c.lower(): c for c in shapes.columns}
    codes = None
    for column in ("iso_a3", "iso3", "adm0_a3"):  # ISO first; ADM0_A3 fills its -99 gaps
        if column in columns:
            values = shapes[columns[column]].astype(str)
            codes = values if codes is None else codes.where(codes.str.fullmatch(_ISO3), values)
    if codes is None:
        raise UsageError(f"{path}: no ISO_A3, iso3 or ADM0_A3 column among {list(shapes.columns)}")
    names = shapes[columns["name"]].astype(str) if "name" in columns else codes
    return gpd.GeoDataFrame(
        {
            "iso3": codes.where(codes.str.fullmatch(_ISO3), None),
            "name": names,
        },
        geometry=shapes.geometry.make_valid().to_numpy(),
        crs="EPSG:4326",
    )
