"""PRIO-GRID v2 cell arithmetic: the 0.5° global grid used by UCDP, VIEWS and PRIO.

The grid has 360 rows (latitude bands, counted from the south) and 720 columns
(longitude bands, counted from the date line eastwards). A cell's id is::

    row = floor((lat + 90) * 2)      # 0 .. 359
    col = floor((lon + 180) * 2)     # 0 .. 719
    gid = row * 720 + col + 1        # 1 .. 259200

so gid 1 is the south-west corner cell (lat -90..-89.5, lon -180..-179.5) and
gid 259200 the north-east one (lat 89.5..90, lon 179.5..180).

A cell contains its southern and western edges; a point on a cell edge therefore
belongs to the cell north or east of it. Latitude 90 and longitude 180 have no
cell north or east of them and fall into the last row / column.

Every function accepts scalars or array-likes. With scalar inputs it returns Python
scalars; otherwise numpy arrays (broadcast together). Invalid input (coordinates
out of range or NaN, gids or rows/columns off the grid) raises
:class:`~sentinelle.errors.UsageError` (a ``ValueError``) naming the first offending
value: filter bad records before calling, so that no sentinel value can leak into a
panel as if it were a cell.
"""

from __future__ import annotations

from typing import overload

import numpy as np
import numpy.typing as npt
import shapely

from sentinelle.errors import UsageError
from sentinelle.geo._arrays import IntArray, as_int_array, first_bad

N_ROWS = 360
N_COLS = 720
N_CELLS = N_ROWS * N_COLS
CELL_SIZE = 0.5  # degrees
EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius

FloatArray = npt.NDArray[np.float64]


def _check_gid(gid: npt.ArrayLike) -> IntArray:
    """Return ``gid`` as an int64 array, raising ``UsageError`` for ids off the grid."""
    arr = as_int_array(gid, "gid")
    bad = (arr < 1) | (arr > N_CELLS)
    if bad.any():
        raise UsageError(f"gid must lie in 1..{N_CELLS}, got {first_bad(arr, bad)!r}")
    return arr


@overload
def gid_from_latlon(lat: float, lon: float) -> int: ...
@overload
def gid_from_latlon(lat: npt.ArrayLike, lon: npt.ArrayLike) -> IntArray: ...
def gid_from_latlon(lat: npt.ArrayLike, lon: npt.ArrayLike) -> int | IntArray:
    """PRIO-GRID cell id of points given in decimal degrees (WGS84).

    Parameters
    ----------
    lat, lon : float or array_like
        Latitude in [-90, 90] and longitude in [-180, 180]; broadcast together.

    Returns
    -------
    int or numpy.ndarray of int64
        Cell ids in 1..259200; an ``int`` when both inputs are scalars.

    Raises
    ------
    UsageError
        If any coordinate is NaN or out of range (the message names the first one).

    Notes
    -----
    A point on a cell edge belongs to the cell north / east of the edge (floor
    convention); latitude 90 and longitude 180 fall into the last row / column.
    Some published datasets put points lying on a meridian into the western cell
    instead: Geo-PKO's ``prioid`` does, which affects 0.5 % of its records.
    """
    lat_arr = np.asarray(lat, dtype=np.float64)
    lon_arr = np.asarray(lon, dtype=np.float64)
    # Comparisons with NaN are False, so the negated range test flags NaN as well.
    bad_lat = ~((lat_arr >= -90.0) & (lat_arr <= 90.0))
    if bad_lat.any():
        raise UsageError(f"latitude must lie in [-90, 90], got {first_bad(lat_arr, bad_lat)!r}")
    bad_lon = ~((lon_arr >= -180.0) & (lon_arr <= 180.0))
    if bad_lon.any():
        raise UsageError(f"longitude must lie in [-180, 180], got {first_bad(lon_arr, bad_lon)!r}")
    # Shift after flooring: lat / 0.5 is exact in binary floating point, whereas
    # lat + 90 rounds a point 1e-20 south of the equator onto it (into the wrong row).
    row = np.floor(lat_arr / CELL_SIZE).astype(np.int64) + N_ROWS // 2
    col = np.floor(lon_arr / CELL_SIZE).astype(np.int64) + N_COLS // 2
    row = np.minimum(row, N_ROWS - 1)
    col = np.minimum(col, N_COLS - 1)
    gid = row * N_COLS + col + 1
    return int(gid) if gid.ndim == 0 else gid


@overload
def row_col_from_gid(gid: int) -> tuple[int, int]: ...
@overload
def row_col_from_gid(gid: npt.ArrayLike) -> tuple[IntArray, IntArray]: ...
def row_col_from_gid(gid: npt.ArrayLike) -> tuple[int, int] | tuple[IntArray, IntArray]:
    """Zero-based (row, col) of PRIO-GRID cells.

    Parameters
    ----------
    gid : int or array_like of int
        Cell ids in 1..259200.

    Returns
    -------
    row, col : int or numpy.ndarray of int64
        Row 0 is the southernmost band (lat -90..-89.5); column 0 starts at lon -180.

    Raises
    ------
    UsageError
        If a gid is not an integer in 1..259200.
    """
    row, col = np.divmod(_check_gid(gid) - 1, N_COLS)
    if row.ndim == 0:
        return int(row), int(col)
    return row, col


@overload
def gid_from_row_col(row: int, col: int) -> int: ...
@overload
def gid_from_row_col(row: npt.ArrayLike, col: npt.ArrayLike) -> IntArray: ...
def gid_from_row_col(row: npt.ArrayLike, col: npt.ArrayLike) -> int | IntArray:
    """PRIO-GRID cell id from zero-based row and column.

    Parameters
    ----------
    row : int or array_like of int
        Row in 0..359, counted from the south.
    col : int or array_like of int
        Column in 0..719, counted eastwards from lon -180.

    Returns
    -------
    int or numpy.ndarray of int64
        ``row * 720 + col + 1``.

    Raises
    ------
    UsageError
        If a row or column is off the grid. Longitudes are not wrapped here: use
        :func:`neighbours` for wrap-around adjacency.
    """
    row_arr = as_int_array(row, "row")
    col_arr = as_int_array(col, "col")
    bad_row = (row_arr < 0) | (row_arr >= N_ROWS)
    if bad_row.any():
        raise UsageError(f"row must lie in 0..{N_ROWS - 1}, got {first_bad(row_arr, bad_row)!r}")
    bad_col = (col_arr < 0) | (col_arr >= N_COLS)
    if bad_col.any():
        raise UsageError(f"col must lie in 0..{N_COLS - 1}, got {first_bad(col_arr, bad_col)!r}")
    gid = row_arr * N_COLS + col_arr + 1
    return int(gid) if gid.ndim == 0 else gid


@overload
def cell_bounds(gid: int) -> tuple[float, float, float, float]: ...
@overload
def cell_bounds(
    gid: npt.ArrayLike,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]: ...
def cell_bounds(
    gid: npt.ArrayLike,
) -> tuple[float, float, float, float] | tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Bounding box of PRIO-GRID cells in shapely order.

    Parameters
    ----------
    gid : int or array_like of int
        Cell ids in 1..259200.

    Returns
    -------
    min_lon, min_lat, max_lon, max_lat : float or numpy.ndarray of float64
        Cell edges in degrees (each cell spans 0.5° in both directions).

    Raises
    ------
    UsageError
        If a gid is not an integer in 1..259200.
    """
    row, col = np.divmod(_check_gid(gid) - 1, N_COLS)
    min_lat = row * CELL_SIZE - 90.0
    min_lon = col * CELL_SIZE - 180.0
    bounds = (min_lon, min_lat, min_lon + CELL_SIZE, min_lat + CELL_SIZE)
    if row.ndim == 0:
        return (float(bounds[0]), float(bounds[1]), float(bounds[2]), float(bounds[3]))
    return bounds


@overload
def centroid(gid: int) -> tuple[float, float]: ...
@overload
def centroid(gid: npt.ArrayLike) -> tuple[FloatArray, FloatArray]: ...
def centroid(gid: npt.ArrayLike) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    """Latitude and longitude of the centre of PRIO-GRID cells.

    Parameters
    ----------
    gid : int or array_like of int
        Cell ids in 1..259200.

    Returns
    -------
    lat, lon : float or numpy.ndarray of float64
        Cell centre (edges + 0.25°), e.g. gid 1 -> (-89.75, -179.75).

    Raises
    ------
    UsageError
        If a gid is not an integer in 1..259200.
    """
    min_lon, min_lat, _, _ = cell_bounds(gid)
    half = CELL_SIZE / 2
    return min_lat + half, min_lon + half


@overload
def cell_polygon(gid: int) -> shapely.Polygon: ...
@overload
def cell_polygon(gid: npt.ArrayLike) -> npt.NDArray[np.object_]: ...
def cell_polygon(gid: npt.ArrayLike) -> shapely.Polygon | npt.NDArray[np.object_]:
    """PRIO-GRID cells as shapely rectangles in lon/lat (EPSG:4326).

    Parameters
    ----------
    gid : int or array_like of int
        Cell ids in 1..259200.

    Returns
    -------
    shapely.Polygon or numpy.ndarray of shapely.Polygon
        One ``shapely.box`` per cell, e.g. to build a ``geopandas.GeoSeries``.

    Raises
    ------
    UsageError
        If a gid is not an integer in 1..259200.
    """
    return shapely.box(*cell_bounds(gid))


def neighbours(gid: int, order: int = 1) -> IntArray:
    """Cells at Chebyshev (queen) distance exactly ``order`` from one cell.

    Parameters
    ----------
    gid : int
        Cell id in 1..259200.
    order : int, default 1
        Ring to return: 1 gives the (up to) 8 queen neighbours, 2 the (up to) 16
        cells two steps away. Rings are exclusive: ``order=2`` does **not** include
        the ``order=1`` cells; concatenate rings for a full neighbourhood.

    Returns
    -------
    numpy.ndarray of int64
        Sorted, unique cell ids.

    Raises
    ------
    UsageError
        If ``gid`` is off the grid or ``order`` is not in 1..360 (360 columns east
        or west is already half-way round the globe).

    Notes
    -----
    Longitude wraps around: the columns at lon -180 and lon +180 are adjacent, as
    on the globe. Latitude does not: rows beyond the poles do not exist, so a polar
    cell has 5 first-order neighbours (the grid is treated as a cylinder, not as
    cells meeting at the pole point).
    """
    return ring_pairs(np.array([gid]), order)[1]


def ring_pairs(gids: npt.ArrayLike, order: int = 1) -> tuple[IntArray, IntArray]:
    """Every (cell, neighbour) pair of the ring ``order`` around each of ``gids``.

    The vectorised form of :func:`neighbours` (same ring, same wrap-around), for
    building the neighbour table of a whole grid at once.

    Parameters
    ----------
    gids : array_like of int
        Cell ids in 1..259200.
    order : int, default 1
        Ring distance, in 1..360.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray) of int64
        Cells and their neighbours, sorted by cell then neighbour, without duplicates.
    """
    if not 1 <= order <= N_COLS // 2:
        raise UsageError(f"order must lie in 1..{N_COLS // 2}, got {order!r}")
    cells = np.atleast_1d(np.asarray(gids, dtype=np.int64))
    row, col = row_col_from_gid(cells)
    steps = np.arange(-order, order + 1)
    d_row, d_col = (a.ravel() for a in np.meshgrid(steps, steps, indexing="ij"))
    on_ring = np.maximum(np.abs(d_row), np.abs(d_col)) == order
    rows = row[:, None] + d_row[on_ring]
    cols = (col[:, None] + d_col[on_ring]) % N_COLS
    inside = (rows >= 0) & (rows < N_ROWS)
    source = np.broadcast_to(cells[:, None], rows.shape)[inside]
    # unique() also merges the two columns 360 steps east and west, which are the same.
    key = np.unique(source * (N_CELLS + 1) + rows[inside] * N_COLS + cols[inside] + 1)
    return key // (N_CELLS + 1), key % (N_CELLS + 1)


@overload
def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float: ...
@overload
def haversine_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray: ...
def haversine_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> float | FloatArray:
    """Great-circle distance in km between points in decimal degrees.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : float or array_like
        Coordinates of the two point sets; broadcast together.

    Returns
    -------
    float or numpy.ndarray of float64
        Distance on a sphere of radius ``EARTH_RADIUS_KM`` (6371.0088 km); the
        spherical approximation is within about 0.5 % of the ellipsoid.
    """
    phi1, lam1, phi2, lam2 = (
        np.radians(np.asarray(v, dtype=np.float64)) for v in (lat1, lon1, lat2, lon2)
    )
    h = (
        np.sin((phi2 - phi1) / 2) ** 2
        + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2) ** 2
    )
    # Rounding can push h a hair above 1 for antipodal points; arcsin would give NaN.
    dist = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
    return float(dist) if dist.ndim == 0 else dist


@overload
def cell_distance_km(gid1: int, gid2: int) -> float: ...
@overload
def cell_distance_km(gid1: npt.ArrayLike, gid2: npt.ArrayLike) -> FloatArray: ...
def cell_distance_km(gid1: npt.ArrayLike, gid2: npt.ArrayLike) -> float | FloatArray:
    """Great-circle distance in km between the centroids of PRIO-GRID cells.

    Parameters
    ----------
    gid1, gid2 : int or array_like of int
        Cell ids in 1..259200; broadcast together.

    Returns
    -------
    float or numpy.ndarray of float64
        :func:`haversine_km` between the :func:`centroid` of each pair.

    Raises
    ------
    UsageError
        If a gid is not an integer in 1..259200.
    """
    lat1, lon1 = centroid(gid1)
    lat2, lon2 = centroid(gid2)
    return haversine_km(lat1, lon1, lat2, lon2)
