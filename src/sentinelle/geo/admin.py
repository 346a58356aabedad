"""Administrative units from a user-supplied boundary file: reading, point lookup, contiguity.

Sentinelle ships no boundaries (GADM's licence forbids redistribution, and users
pick their own source); :func:`read_admin` reads any file GDAL does (GeoJSON,
GeoPackage, shapefile, ...) and normalises it to columns ``admin{L}_id``,
``admin{L}_name`` and, when the file has them, the parent unit's
``admin{L-1}_id`` / ``admin{L-1}_name``, in EPSG:4326. Field names are detected
for the common publishers:

============== ============================== ==========================
publisher      name field                     id field
============== ============================== ==========================
GADM           ``NAME_{L}``                   ``GID_{L}``
OCHA COD-AB    ``ADM{L}_EN``/``_FR``/``_PT``  ``ADM{L}_PCODE``
geoBoundaries  ``shapeName``                  ``shapeID``
============== ============================== ==========================

:func:`assign_admin` puts points (events, bases) into units and
:func:`admin_neighbours` lists units sharing a border, for spatial lags.
:func:`read_gazetteer` reads a tabular P-code list (OCHA COD-AB's, or one with
centroids) where no polygons are at hand: names and parents by P-code, and the
centroid when the list gives one.
"""

from __future__ import annotations

from os import PathLike

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from sentinelle.errors import UsageError

WGS84 = "EPSG:4326"


def _name_fields(level: int) -> list[str]:
    """Name fields of GADM and OCHA COD-AB for admin level ``level``, in preference order."""
    return [f"NAME_{level}", f"ADM{level}_EN", f"ADM{level}_FR", f"ADM{level}_PT"]


def _id_fields(level: int) -> list[str]:
    """Id fields of GADM and OCHA COD-AB for admin level ``level``, in preference order."""
    return [f"GID_{level}", f"ADM{level}_PCODE"]


def _first_present(columns: pd.Index, candidates: list[str]) -> str | None:
    """First candidate that is a column, or None."""
    return next((c for c in candidates if c in columns), None)


def read_admin(
    path: str | PathLike[str],
    level: int,
    name_field: str | None = None,
    parent_field: str | None = None,
    id_field: str | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read administrative units of one level from a boundary file.

    Parameters
    ----------
    path : str or path-like
        GeoJSON, GeoPackage, shapefile or any other vector format GDAL reads.
    level : int
        Administrative level of the units in the file (1 = regions, 2 = districts).
    name_field : str, optional
        Column holding the unit names; detected when omitted (see module docstring).
    parent_field : str, optional
        Column holding the parent unit's name; detected when omitted, and left out
        if the file has none (geoBoundaries files carry only their own level).
    id_field : str, optional
        Column holding unique unit ids; detected when omitted. Files without one use
        the names as ids, which then must be unique.
    layer : str, optional
        Layer to read from multi-layer files (GADM GeoPackages: ``'ADM_ADM_2'``).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``admin{L}_id``, ``admin{L}_name``, then ``admin{L-1}_id`` and
        ``admin{L-1}_name`` when found, and ``geometry``, in EPSG:4326. Invalid
        polygons are repaired with ``make_valid`` so point lookups are well defined.

    Raises
    ------
    UsageError
        If no name field is given or detected (the message lists the columns), if
        ids are not unique (e.g. a level-2 file read as level 1), or if the file has
        no CRS and its coordinates are not longitude/latitude.
    """
    raw = gpd.read_file(path, layer=layer)
    columns = raw.columns
    name_col = name_field or _first_present(columns, [*_name_fields(level), "shapeName"])
    if name_col is None:
        attributes = [c for c in columns if c != raw.geometry.name]
        raise UsageError(
            f"cannot detect the admin-{level} name field of {path}; pass name_field= "
            f"one of its columns: {attributes}"
        )
    id_col = id_field or _first_present(columns, [*_id_fields(level), "shapeID"]) or name_col
    parent_name_col = parent_field or _first_present(columns, _name_fields(level - 1))
    parent_id_col = _first_present(columns, _id_fields(level - 1))

    out = pd.DataFrame({f"admin{level}_id": raw[id_col], f"admin{level}_name": raw[name_col]})
    if parent_id_col is not None:
        out[f"admin{level - 1}_id"] = raw[parent_id_col]
    if parent_name_col is not None:
        out[f"admin{level - 1}_name"] = raw[parent_name_col]
    duplicated = out[f"admin{level}_id"].duplicated()
    if duplicated.any():
        example = out[f"admin{level}_id"][duplicated].iloc[0]
        raise UsageError(
            f"admin-{level} ids in column {id_col!r} of {path} are not unique (e.g. {example!r}); "
            "is the file of another level? pass id_field= otherwise"
        )

    geometry = raw.geometry
    if geometry.crs is None:
        min_x, min_y, max_x, max_y = geometry.total_bounds
        if min_x < -180 or max_x > 180 or min_y < -90 or max_y > 90:
            raise UsageError(f"{path} has no CRS and its coordinates are not lon/lat degrees")
        geometry = geometry.set_crs(WGS84)
    # make_valid leaves valid polygons untouched.
    geometry = geometry.to_crs(WGS84).make_valid()
    return gpd.GeoDataFrame(out, geometry=geometry.to_numpy(), crs=WGS84)


def read_gazetteer(path: str | PathLike[str], level: int) -> pd.DataFrame:
    """Units of one level from a tabular P-code list (CSV), without polygons.

    Column names are matched case-insensitively: ``ADM{L}_PCODE``, a name among
    ``ADM{L}_FR``/``_EN``/``_PT``/``ADM{L}_NAME``, the parent's ``ADM{L-1}_PCODE`` and
    name, and, when present, ``centroid_lat``/``centroid_lon``.

    Parameters
    ----------
    path : str or path-like
        The CSV (OCHA COD-AB tabular export, or a gazetteer in that style).
    level : int
        Administrative level of its rows.

    Returns
    -------
    pandas.DataFrame
        ``admin{L}_id`` (the P-code), ``admin{L}_name``, ``admin{L-1}_id`` and
        ``admin{L-1}_name`` when the file has them, and ``latitude``/``longitude``
        of the centroid when it gives one.

    Raises
    ------
    UsageError
        If the file has no P-code or name column of that level, or P-codes repeat.

    Examples
    --------
    >>> read_gazetteer("bfa_adm2_gazetteer_cod2020.csv", 2).columns.tolist()  # doctest: +SKIP
    ['admin2_id', 'admin2_name', 'admin1_id', 'admin1_name']
    """
    raw = pd.read_csv(path, dtype=str)
    lower = {c.lower(): c for c in raw.columns}

    def pick(*names: str) -> str | None:
        return next((lower[n] for n in names if n in lower), None)

    def fields(lvl: int) -> tuple[str | None, str | None]:
        names = (f"adm{lvl}_{suffix}" for suffix in ("fr", "en", "pt", "name"))
        return pick(f"adm{lvl}_pcode"), pick(*names)

    code, name = fields(level)
    if code is None or name is None:
        raise UsageError(
            f"{path}: no admin-{level} P-code and name columns (ADM{level}_PCODE, "
            f"ADM{level}_FR/_EN); it has {list(raw.columns)}"
        )
    out = pd.DataFrame({f"admin{level}_id": raw[code], f"admin{level}_name": raw[name]})
    parent_code, parent_name = fields(level - 1)
    if parent_code is not None:
        out[f"admin{level - 1}_id"] = raw[parent_code]
    if parent_name is not None:
        out[f"admin{level - 1}_name"] = raw[parent_name]
    lat, lon = pick("centroid_lat"), pick("centroid_lon")
    if lat is not None and lon is not None:
        out["latitude"] = pd.to_numeric(raw[lat], errors="coerce")
        out["longitude"] = pd.to_numeric(raw[lon], errors="coerce")
    repeated = out[f"admin{level}_id"].duplicated()
    if repeated.any():
        raise UsageError(
            f"{path}: P-code {out[f'admin{level}_id'][repeated].iloc[0]!r} is listed twice"
        )
    return out


def assign_admin(lat: npt.ArrayLike, lon: npt.ArrayLike, admin: gpd.GeoDataFrame) -> pd.DataFrame:
    """Administrative unit of each point (vectorised point-in-polygon).

    Parameters
    ----------
    lat, lon : float, array_like or pandas.Series
        Point coordinates in decimal degrees (EPSG:4326), same length (1-D).
    admin : geopandas.GeoDataFrame
        Units in EPSG:4326, e.g. from :func:`read_admin`.

    Returns
    -------
    pandas.DataFrame
        The attribute columns of ``admin`` (all but the geometry), one row per point
        in input order (indexed like ``lat`` when it is a Series). Points in no unit,
        or with NaN coordinates, get missing values. A point on a border shared by
        several units goes to the unit that comes first in ``admin``.

    Raises
    ------
    UsageError
        If ``admin`` is not in EPSG:4326 or ``lat`` and ``lon`` differ in length.
    """
    if admin.crs is None or admin.crs.to_epsg() != 4326:
        raise UsageError(f"admin units must be in {WGS84}, got {admin.crs}; use to_crs()")
    lat_arr = np.ravel(np.asarray(lat, dtype=np.float64))
    lon_arr = np.ravel(np.asarray(lon, dtype=np.float64))
    if lat_arr.shape != lon_arr.shape:
        raise UsageError(f"lat and lon differ in shape: {lat_arr.shape} vs {lon_arr.shape}")
    points = shapely.points(lon_arr, lat_arr)
    tree = shapely.STRtree(admin.geometry.to_numpy())
    # 'intersects' rather than 'within' so that points on a boundary are not lost.
    point_idx, unit_idx = tree.query(points, predicate="intersects")
    # Sort hits by point, then by unit order, and keep each point's first hit.
    order = np.lexsort((unit_idx, point_idx))
    hit_points, first = np.unique(point_idx[order], return_index=True)
    unit_of_point = np.full(lat_arr.size, -1, dtype=np.int64)
    unit_of_point[hit_points] = unit_idx[order][first]

    attributes = pd.DataFrame(admin.drop(columns=admin.geometry.name)).reset_index(drop=True)
    # Label -1 is absent from the RangeIndex, so unmatched points become all-missing rows.
    result = attributes.reindex(unit_of_point)
    result.index = lat.index if isinstance(lat, pd.Series) else pd.RangeIndex(lat_arr.size)
    return result


def admin_neighbours(admin: gpd.GeoDataFrame, id_column: str) -> pd.DataFrame:
    """Pairs of units that share a border or a corner (queen contiguity).

    Parameters
    ----------
    admin : geopandas.GeoDataFrame
        Units, e.g. from :func:`read_admin`.
    id_column : str
        Column with unique unit ids (``'admin2_id'`` for a level-2 file).

    Returns
    -------
    pandas.DataFrame
        Columns ``unit`` and ``neighbour`` (ids), both directions of every pair,
        sorted; units without neighbours (islands) do not appear.

    Notes
    -----
    Two units are neighbours when their polygons intersect. Boundary files from one
    publisher share vertices along common borders, so this finds exactly the units
    with a common border; files mixing sources may have slivers or gaps that add or
    hide neighbours.
    """
    ids = admin[id_column].to_numpy()
    geometries = admin.geometry.to_numpy()
    left, right = shapely.STRtree(geometries).query(geometries, predicate="intersects")
    pairs = pd.DataFrame({"unit": ids[left[left != right]], "neighbour": ids[right[left != right]]})
    return pairs.sort_values(["unit", "neighbour"], ignore_index=True)
