"""Geography: the spatial and temporal units Sentinelle panels are indexed by.

- :mod:`~sentinelle.geo.priogrid`: PRIO-GRID 0.5° cells (gid, row/col, centroids,
  polygons, neighbour rings, great-circle distances).
- :mod:`~sentinelle.geo.months`: VIEWS ``month_id`` (1 = January 1980) and periods.
- :mod:`~sentinelle.geo.countries`: ISO3, Gleditsch-Ward, VIEWS country_id, ISO
  numeric codes and names.
- :mod:`~sentinelle.geo.admin`: administrative units from user-supplied boundary
  files (reading, point-in-polygon, contiguity).
"""

from sentinelle.geo.admin import admin_neighbours, assign_admin, read_admin, read_gazetteer
from sentinelle.geo.countries import (
    convert_code,
    country_table,
    current_gw_iso3,
    iso3_from_name,
    map_codes,
)
from sentinelle.geo.months import (
    month_id,
    month_id_from_date,
    month_id_from_str,
    month_string,
    normalise_period,
    parse_period,
    year_month,
)
from sentinelle.geo.priogrid import (
    cell_bounds,
    cell_distance_km,
    cell_polygon,
    centroid,
    gid_from_latlon,
    gid_from_row_col,
    haversine_km,
    neighbours,
    ring_pairs,
    row_col_from_gid,
)

__all__ = [
    "admin_neighbours",
    "assign_admin",
    "cell_bounds",
    "cell_distance_km",
    "cell_polygon",
    "centroid",
    "convert_code",
    "country_table",
    "current_gw_iso3",
    "gid_from_latlon",
    "gid_from_row_col",
    "haversine_km",
    "iso3_from_name",
    "map_codes",
    "month_id",
    "month_id_from_date",
    "month_id_from_str",
    "month_string",
    "neighbours",
    "normalise_period",
    "parse_period",
    "read_admin",
    "read_gazetteer",
    "ring_pairs",
    "row_col_from_gid",
    "year_month",
]
