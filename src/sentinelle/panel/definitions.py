"""Panel definitions written once, as SQL that DuckDB and Spark SQL both run unchanged.

:func:`panel_steps` turns a :class:`FeatureSpec` into an ordered list of ``(name, sql)``
steps. Each step reads the input tables (see :mod:`sentinelle.panel.inputs`) or the
steps before it; the last one, ``FINAL``, is the panel. Only the common subset of the
two dialects is used: ``CASE``, ``COALESCE``, ``CAST(... AS INTEGER|BIGINT|DOUBLE)``,
joins, ``GROUP BY``, scalar subqueries and the window functions ``LAG``, ``LEAD``,
``SUM``/``MIN``/``MAX(...) OVER (PARTITION BY ... ORDER BY ... ROWS BETWEEN ...)``.
Every computed column is cast explicitly so both engines produce the same types (DuckDB
sums integers into HUGEINT, Spark into BIGINT). Geometry (point-in-polygon, distances)
never reaches this SQL: it is resolved while the inputs are prepared.

Input tables
------------
``_units(unit_id BIGINT, <static attributes>)``
    The panel's universe.
``_months(month_id INTEGER)``
    Every month from the history start to the panel's last month.
``_unit_events(unit_id BIGINT, month_id INTEGER, violence_type VARCHAR, best INTEGER,
civ INTEGER)``
    Selected events already placed in a unit and a month (the event model).
``_unit_aggregates(unit_id BIGINT, month_id INTEGER, <the model's outcomes> INTEGER)``
    Or, for a publisher's unit-month aggregates (ACLED's HDX series), their current
    values summed to the unit (the aggregate models).
``_neighbours(unit_id BIGINT, neighbour_id BIGINT, ord INTEGER)``
    Spatial neighbours of order ``ord`` (1, and 2 for PRIO-GRID rings).
``_pko_active(site_id INTEGER, unit_id BIGINT, month_id INTEGER, troops DOUBLE)``
    Peacekeeping sites listed for a month (one row per site and month; ``unit_id`` NULL
    for sites outside the universe).
``_pko_dist(unit_id BIGINT, site_id INTEGER, dist_km DOUBLE)``
    Great-circle distance from each unit's centre to each site within the search radius.

Rolling sums and times since the last event come from running totals, not from framed
window aggregates: ``<o>_tsum_k(t) = B(t) - B(t-k)`` where ``B(t)`` is the sum of ``o``
before month ``t``, and ``time_since(t) = t - L(t-1)`` where ``L`` is the last event
month so far. Both are running values over the few unit-months with an event
(``_active``), carried to every month of the grid by the count of event months so far
(``_state``), as is the month of the nearest closure so far behind
``pko_months_since_close``; the final step then needs only ``LAG``. On the benchmark's
10,000-cell x 420-month grid DuckDB spent about 65 ns a row on each framed
``SUM``/``MAX`` against 10 on a ``LAG``; this took the build from about 17 s to 13 s
with identical output (``benchmarks/panel.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sentinelle.errors import UsageError

# Short codes of the violence types of the event model used in column names.
VIOLENCE = {"sb": "state_based", "ns": "non_state", "os": "one_sided"}

FATALITIES = tuple(f"ged_{v}" for v in VIOLENCE)
EVENT_COUNTS = tuple(f"ev_{v}" for v in VIOLENCE)
OUTCOMES: tuple[str, ...] = (*FATALITIES, "civ_deaths", *EVENT_COUNTS)
# Outcomes of aggregate panels: political violence, and civilian targeting where the
# publisher releases that series (ACLED's HDX workbooks do for some countries).
AGGREGATE_OUTCOMES: tuple[str, ...] = ("fatalities", "events")
CIVILIAN_AGGREGATES: tuple[str, ...] = ("civ_fatalities", "civ_events")
KEYS = ("unit_id", "month_id")
PKO_COLUMNS = ("pko_troops", "pko_dist_km", "pko_months_since_close")

FINAL = "_panel"

_BY_UNIT = "PARTITION BY o.unit_id ORDER BY o.month_id"
_RUNNING = f"{_BY_UNIT} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"


@dataclass(frozen=True)
class OutcomeModel:
    """What a panel's outcomes are and where they come from.

    Parameters
    ----------
    outcomes : tuple of str
        Outcome columns of the panel, in order.
    counts : dict of str to str
        ``<name>_time_since`` columns and the event-count outcome each follows (months
        since that count was last positive).
    input_table : str
        ``_unit_events`` (events, summed by violence type) or ``_unit_aggregates``
        (one row per unit-month with the outcome columns).
    """

    outcomes: tuple[str, ...]
    counts: dict[str, str]
    input_table: str

    @property
    def any_event(self) -> str:
        """SQL: the unit-month ``o`` has at least one event."""
        return " + ".join(f"o.{c}" for c in self.counts.values()) + " > 0"


EVENT_MODEL = OutcomeModel(OUTCOMES, {f"ged_{v}": f"ev_{v}" for v in VIOLENCE}, "_unit_events")


def aggregate_model(civilian: bool) -> OutcomeModel:
    """The model of an aggregate panel, with the civilian-targeting series or without."""
    outcomes = (*AGGREGATE_OUTCOMES, *(CIVILIAN_AGGREGATES if civilian else ()))
    counts = {"events": "events", **({"civ_events": "civ_events"} if civilian else {})}
    return OutcomeModel(outcomes, counts, "_unit_aggregates")


@dataclass(frozen=True)
class FeatureSpec:
    """Which features a panel gets (see :mod:`sentinelle.panel` for their definitions).

    Parameters
    ----------
    lags : tuple of int
        Time lags ``k``: ``<outcome>_tlag_k``.
    lag_outcomes : tuple of str
        Outcomes that get time lags.
    sums : tuple of int
        Rolling windows ``k``: ``<outcome>_tsum_k``.
    sum_outcomes : tuple of str
        Outcomes that get rolling sums.
    spatial_outcomes : tuple of str
        Outcomes that get spatial lags ``<outcome>_splag_<order>``.
    pko : bool
        Whether to add ``pko_troops``, ``pko_dist_km`` and ``pko_months_since_close``.
    pko_max_km : float
        Search radius for the nearest base; ``pko_dist_km`` is NULL beyond it.
    """

    lags: tuple[int, ...] = tuple(range(1, 13))
    lag_outcomes: tuple[str, ...] = FATALITIES
    sums: tuple[int, ...] = (3, 6, 12, 24, 36)
    sum_outcomes: tuple[str, ...] = (*FATALITIES, "civ_deaths")
    spatial_outcomes: tuple[str, ...] = FATALITIES
    pko: bool = True
    pko_max_km: float = 500.0

    def __post_init__(self) -> None:
        known = (*OUTCOMES, *AGGREGATE_OUTCOMES, *CIVILIAN_AGGREGATES)
        unknown = {*self.lag_outcomes, *self.sum_outcomes, *self.spatial_outcomes} - set(known)
        if unknown:
            raise UsageError(f"unknown outcome(s) {sorted(unknown)}; choose from {known}")
        if any(k < 1 for k in (*self.lags, *self.sums)):
            raise UsageError("lags and rolling windows must be at least 1 month")

    @classmethod
    def for_aggregates(cls, civilian: bool, **changes: object) -> FeatureSpec:
        """The same features on an aggregate panel's outcomes (see :func:`aggregate_model`)."""
        civ = ("civ_fatalities",) if civilian else ()
        defaults: dict[str, object] = {
            "lag_outcomes": ("fatalities", *civ),
            "sum_outcomes": ("fatalities", "events", *civ),
            "spatial_outcomes": ("fatalities", *civ),
        }
        return cls(**{**defaults, **changes})  # type: ignore[arg-type]

    def check_against(self, model: OutcomeModel) -> None:
        """Refuse features of outcomes the panel's model does not have."""
        used = {*self.lag_outcomes, *self.sum_outcomes, *self.spatial_outcomes}
        missing = sorted(used - set(model.outcomes))
        if missing:
            raise UsageError(
                f"feature outcome(s) {missing} are not in this panel; it has {model.outcomes}"
            )

    @property
    def history(self) -> int:
        """Months of history the longest lag or window reaches back."""
        return max((*self.lags, *self.sums, 1))


def _outcomes_sql(model: OutcomeModel) -> str:
    """The complete unit-month grid of outcomes, zeros where nothing happened."""
    if model.input_table == "_unit_events":
        sums = [
            *(
                f"SUM(CASE WHEN violence_type = '{t}' THEN best ELSE 0 END) AS ged_{v}"
                for v, t in VIOLENCE.items()
            ),
            "SUM(civ) AS civ_deaths",
            *(
                f"SUM(CASE WHEN violence_type = '{t}' THEN 1 ELSE 0 END) AS ev_{v}"
                for v, t in VIOLENCE.items()
            ),
        ]
    else:
        sums = [f"SUM({c}) AS {c}" for c in model.outcomes]
    cols = ", ".join(f"CAST(COALESCE(a.{c}, 0) AS INTEGER) AS {c}" for c in model.outcomes)
    return f"""
        SELECT u.unit_id, m.month_id, {cols}
        FROM _units u CROSS JOIN _months m
        LEFT JOIN (
            SELECT unit_id, month_id, {", ".join(sums)}
            FROM {model.input_table} GROUP BY unit_id, month_id
        ) a ON a.unit_id = u.unit_id AND a.month_id = m.month_id
    """


def _active_sql(sum_outcomes: tuple[str, ...], model: OutcomeModel) -> str:
    """Running sums and last event months over each unit's months with an event.

    ``seq`` numbers a unit's event months in order; ``_state`` finds a grid month's
    running values by the count of event months up to it.
    """
    cols = [f"ROW_NUMBER() OVER ({_BY_UNIT}) AS seq"]
    cols += [f"CAST(SUM(o.{c}) OVER ({_RUNNING}) AS BIGINT) AS cum_{c}" for c in sum_outcomes]
    cols += [
        f"MAX(CASE WHEN o.{count} > 0 THEN o.month_id END) OVER ({_RUNNING}) AS last_{name}"
        for name, count in model.counts.items()
    ]
    return f"SELECT o.unit_id, {', '.join(cols)} FROM _outcomes o WHERE {model.any_event}"


def _state_sql(sum_outcomes: tuple[str, ...], pko: bool, model: OutcomeModel) -> str:
    """The grid of outcomes with the running values: sums before the month, last months up to it.

    With ``pko``, ``last_close`` is the latest month, up to this one, in which the
    nearest closed site so far closed (``_pko_records``). Every closure falls on a grid
    month: ``_pko_active`` starts one month before the grid, so the earliest possible
    closure is the grid's first month.
    """
    # cum_<c> is the sum before this month: the rolling sums then take one LAG each.
    cols = [f"COALESCE(a.cum_{c}, 0) - o.{c} AS cum_{c}" for c in sum_outcomes]
    cols += [f"a.last_{name}" for name in model.counts]
    running = [f"COUNT(CASE WHEN {model.any_event} THEN 1 END) OVER ({_RUNNING}) AS seq"]
    closures = ""
    if pko:
        running.append(f"MAX(r.closed) OVER ({_RUNNING}) AS last_close")
        closures = (
            "LEFT JOIN (SELECT DISTINCT unit_id, closed FROM _pko_records) r "
            "ON r.unit_id = o.unit_id AND r.closed = o.month_id"
        )
    return f"""
        SELECT o.*, {", ".join(cols)}
        FROM (SELECT o.*, {", ".join(running)} FROM _outcomes o {closures}) o
        LEFT JOIN _active a ON a.unit_id = o.unit_id AND a.seq = o.seq
    """


def _splag_sql(outcomes: tuple[str, ...], orders: tuple[int, ...]) -> str:
    """Neighbours' outcomes in month t-1, summed by order, keyed by month t (sparse)."""
    cols = ", ".join(
        f"CAST(SUM(CASE WHEN n.ord = {k} THEN o.{c} ELSE 0 END) AS INTEGER) AS {c}_splag_{k}"
        for c in outcomes
        for k in orders
    )
    # Months where every summed outcome is zero add nothing: skip them (most of a grid).
    nonzero = " + ".join(f"o.{c}" for c in outcomes)
    return f"""
        SELECT n.unit_id, o.month_id + 1 AS month_id, {cols}
        FROM _neighbours n JOIN _outcomes o ON o.unit_id = n.neighbour_id
        WHERE {nonzero} > 0
        GROUP BY n.unit_id, o.month_id + 1
    """


_PKO_STEPS: tuple[tuple[str, str], ...] = (
    (
        "_pko_troops",
        """
        SELECT unit_id, month_id + 1 AS month_id, CAST(SUM(troops) AS DOUBLE) AS pko_troops
        FROM _pko_active WHERE unit_id IS NOT NULL GROUP BY unit_id, month_id + 1
        """,
    ),
    (
        "_pko_near",
        """
        SELECT d.unit_id, a.month_id + 1 AS month_id, CAST(MIN(d.dist_km) AS DOUBLE) AS pko_dist_km
        FROM _pko_dist d JOIN _pko_active a ON a.site_id = d.site_id
        GROUP BY d.unit_id, a.month_id + 1
        """,
    ),
    # A site closes in the first month it is no longer listed, provided the data go on
    # past it (a site listed in the last month of the data is still open).
    (
        "_pko_closures",
        """
        SELECT site_id, month_id + 1 AS closed FROM (
            SELECT site_id, month_id,
                   LEAD(month_id) OVER (PARTITION BY site_id ORDER BY month_id) AS next_month
            FROM _pko_active
        ) s
        WHERE (next_month IS NULL OR next_month > month_id + 1)
          AND month_id < (SELECT MAX(month_id) FROM _pko_active)
        """,
    ),
    # Closures that are the nearest of all closures so far for a unit; the nearest
    # closed base at month t is then the latest of these closed before t.
    (
        "_pko_records",
        """
        SELECT unit_id, closed FROM (
            SELECT d.unit_id, c.closed, d.dist_km,
                   MIN(d.dist_km) OVER (
                       PARTITION BY d.unit_id ORDER BY c.closed, d.dist_km
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                   ) AS nearest_before
            FROM _pko_dist d JOIN _pko_closures c ON c.site_id = d.site_id
        ) r
        WHERE nearest_before IS NULL OR dist_km <= nearest_before
        """,
    ),
)


def _feature_columns(
    spec: FeatureSpec,
    start: int,
    splag: tuple[str, ...],
    static: tuple[str, ...],
    model: OutcomeModel,
) -> list[str]:
    """SELECT expressions of the panel over ``_state o`` and the feature joins."""
    cols = [f"o.{c}" for c in (*KEYS, *model.outcomes)]
    cols += [
        f"CAST(LAG(o.{c}, {k}) OVER ({_BY_UNIT}) AS INTEGER) AS {c}_tlag_{k}"
        for c in spec.lag_outcomes
        for k in spec.lags
    ]
    # A window reaching before the history start is unknown, not a partial sum.
    cols += [
        f"CASE WHEN o.month_id - {k} >= {start} THEN CAST(o.cum_{c} - "
        f"COALESCE(LAG(o.cum_{c}, {k}) OVER ({_BY_UNIT}), 0) AS INTEGER) END AS {c}_tsum_{k}"
        for c in spec.sum_outcomes
        for k in spec.sums
    ]
    cols += [
        f"CAST(o.month_id - LAG(o.last_{name}, 1) OVER ({_BY_UNIT}) AS INTEGER) "
        f"AS {name}_time_since"
        for name in model.counts
    ]
    cols += [f"CASE WHEN o.month_id > {start} THEN COALESCE(s.{c}, 0) END AS {c}" for c in splag]
    if spec.pko:
        cols += [
            "COALESCE(pt.pko_troops, 0) AS pko_troops",
            "pn.pko_dist_km",
            "CAST(o.month_id - LAG(o.last_close, 1) OVER ("
            f"{_BY_UNIT}) AS INTEGER) AS pko_months_since_close",
        ]
    cols += [f"u.{c}" for c in static]
    return cols


def panel_steps(
    spec: FeatureSpec,
    *,
    history_start: int,
    first_month: int,
    last_month: int,
    splag_orders: tuple[int, ...],
    static: tuple[str, ...],
    model: OutcomeModel = EVENT_MODEL,
) -> list[tuple[str, str]]:
    """The SQL steps that build a panel, in order; the last one is named ``FINAL``.

    Parameters
    ----------
    spec : FeatureSpec
        Features to compute.
    history_start : int
        First month of ``_months``: outcomes before it are unknown, so lags and sums
        reaching before it are NULL.
    first_month, last_month : int
        Months kept in the panel (features of ``first_month`` use earlier months).
    splag_orders : tuple of int
        Neighbour orders present in ``_neighbours`` (empty: no spatial lags).
    static : tuple of str
        Static attribute columns of ``_units`` copied into every row.
    model : OutcomeModel, default EVENT_MODEL
        The panel's outcomes and input table.

    Returns
    -------
    list of (str, str)
        ``(table name, SELECT statement)`` pairs.

    Examples
    --------
    >>> steps = panel_steps(FeatureSpec(pko=False), history_start=469, first_month=481,
    ...                     last_month=492, splag_orders=(1,), static=())
    >>> [name for name, _ in steps]
    ['_outcomes', '_active', '_state', '_splag', '_panel']
    """
    spec.check_against(model)
    steps = [("_outcomes", _outcomes_sql(model))]
    if spec.pko:  # before _state, which reads _pko_records
        steps += _PKO_STEPS
    steps += [
        ("_active", _active_sql(spec.sum_outcomes, model)),
        ("_state", _state_sql(spec.sum_outcomes, spec.pko, model)),
    ]
    splag: tuple[str, ...] = ()
    joins = ["JOIN _units u ON u.unit_id = o.unit_id"]
    if splag_orders and spec.spatial_outcomes:
        steps.append(("_splag", _splag_sql(spec.spatial_outcomes, splag_orders)))
        splag = tuple(f"{c}_splag_{k}" for c in spec.spatial_outcomes for k in splag_orders)
        joins.append("LEFT JOIN _splag s ON s.unit_id = o.unit_id AND s.month_id = o.month_id")
    if spec.pko:
        joins += [
            f"LEFT JOIN {table} {alias} ON {alias}.unit_id = o.unit_id "
            f"AND {alias}.month_id = o.month_id"
            for table, alias in (("_pko_troops", "pt"), ("_pko_near", "pn"))
        ]
    cols = ",\n            ".join(_feature_columns(spec, history_start, splag, static, model))
    # Window functions run after WHERE: select the panel's months outside them.
    steps.append(
        (
            FINAL,
            f"""
        SELECT * FROM (
            SELECT {cols}
            FROM _state o {" ".join(joins)}
        ) p WHERE month_id BETWEEN {first_month} AND {last_month}
        """,
        )
    )
    return steps
