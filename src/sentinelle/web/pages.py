"""The dashboard's HTML pages: server-rendered Jinja2, a little vanilla JavaScript.

Pages read the store through :mod:`sentinelle.web.data`, like the API, and draw
their charts as inline SVG computed here, so they work without scripts; only the map
(Leaflet, vendored from npm) needs JavaScript. Forms post back with the session's
CSRF token and are validated by the API's own models, so a form and a JSON client
are held to the same rules. The Content-Security-Policy (see :mod:`.app`) allows
scripts, styles and images from this server only: no CDN can be used, by mistake
or otherwise.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from urllib.parse import quote, urlencode

import duckdb
from fastapi import APIRouter, Depends, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from pydantic import ValidationError

from sentinelle.errors import NoDataError
from sentinelle.i18n import LANGS, N_, Lang, translator
from sentinelle.impact.results import MISSING, effect_strings
from sentinelle.places import unit_plural
from sentinelle.registry import Registry
from sentinelle.store.currency import source_label
from sentinelle.web import aggregates_data, data, exports, impact_view
from sentinelle.web.api.params import (
    Admin,
    Analyst,
    Cursor,
    OptionalCountry,
    OptionalMission,
    Period,
    Source,
    StatusFilter,
    Viewer,
    WebCursor,
)
from sentinelle.web.auth import (
    ROLES,
    AccountError,
    UnknownUserError,
    User,
    authenticate,
    create_user,
    csrf_token,
    current_user,
    end_session,
    list_users,
    rate_limit,
    reader,
    start_session,
    update_user,
)
from sentinelle.web.incidents import (
    IncidentIn,
    ReviewError,
    ReviewIn,
    file_incident,
    list_incidents,
    review_incident,
)
from sentinelle.web.language import (
    DEFAULT_LANG,
    LANG_COOKIE,
    LANG_COOKIE_MAX_AGE,
    lang_url,
    request_lang,
)
from sentinelle.web.messages import Explained, WebError
from sentinelle.web.state import web_state

if TYPE_CHECKING:
    from sentinelle.actors.activity import NetworkDrawing

__all__ = ["STATIC_DIR", "VENDOR_DIR", "login_redirect", "render", "router", "vendor_missing"]

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
VENDOR_FILES = ("leaflet/leaflet.js", "leaflet/leaflet.css")
templates = Jinja2Templates(directory=WEB_DIR / "templates")


@pass_context
def _gettext(context: Context, message: str, **values: object) -> str:
    """``{{ _("...") }}`` in the templates: the catalogue's text in the page's ``lang``.

    Placeholders are ``%(name)s``, filled from keyword arguments.
    """
    text = translator(context.get("lang") or DEFAULT_LANG).gettext(message)
    return text % values if values else text


@pass_context
def _effect(context: Context, row: dict[str, Any]) -> dict[str, str]:
    """An effect row written by impact's one formatter (three decimals), in the page's language."""
    return effect_strings(row, translator(context.get("lang") or DEFAULT_LANG), 3)


@pass_context
def _number(context: Context, value: object, digits: int = 0) -> str:
    """``{{ value | number(1) }}``: a number in the page's locale, a dash when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    return translator(context.get("lang") or DEFAULT_LANG).number(float(value), digits)  # type: ignore[arg-type]


@pass_context
def _percent(context: Context, value: object) -> str:
    """``{{ share | percent }}``: a share as a percentage in the page's locale."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    return translator(context.get("lang") or DEFAULT_LANG).percent(float(value))  # type: ignore[arg-type]


# Words of the pages' codes, for the catalogue (the templates translate them with ``_``).
VIOLENCE_LABELS = {
    "state_based": N_("state-based conflict"),
    "non_state": N_("non-state conflict"),
    "one_sided": N_("one-sided violence"),
    "other": N_("other"),
}
WORDS = (
    N_("viewer"), N_("analyst"), N_("admin"),  # roles
    N_("submitted"), N_("confirmed"), N_("rejected"),  # report statuses
    N_("low"), N_("medium"), N_("high"),  # confidence of a report
)  # fmt: skip
# Labels the page scripts (static/app.js) show, passed to every page translated.
JS_STRINGS = {
    "png": N_("PNG"),
    "pngTitle": N_("Download this chart as a PNG image"),
    "pngFailed": N_("The chart could not be turned into an image."),
}


@pass_context
def _source_name(context: Context, source: str | None) -> str:
    """``{{ source | source_name }}``: a stored source's name for readers (``UCDP GED``)."""
    if not source:
        return ""
    return source_label(source, context.get("lang") or DEFAULT_LANG)


@pass_context
def _actor_type(context: Context, kind: str | None) -> str:
    """``{{ type | actor_type }}``: an actor type in words ("state forces", "forces étatiques")."""
    from sentinelle.actors.registry import ACTOR_TYPE_LABELS

    labels = {**ACTOR_TYPE_LABELS, "unmatched": N_("not in the registry")}
    t = translator(context.get("lang") or DEFAULT_LANG)
    return t.gettext(labels[kind]) if kind in labels else (kind or "")


@pass_context
def _violence(context: Context, kind: str | None) -> str:
    """``{{ code | violence }}``: a violence type in words."""
    t = translator(context.get("lang") or DEFAULT_LANG)
    return t.gettext(VIOLENCE_LABELS[kind]) if kind in VIOLENCE_LABELS else (kind or "")


@pass_context
def _month(context: Context, value: str | int | None) -> str:
    """``{{ "2024-06" | month }}``: a month in words ("juin 2024", "June 2024")."""
    if value is None or value == "":
        return MISSING
    return translator(context.get("lang") or DEFAULT_LANG).month(value)


templates.env.globals["_"] = _gettext
templates.env.globals["effect"] = _effect
templates.env.globals["violence_label"] = _violence
templates.env.filters["number"] = _number
templates.env.filters["percent"] = _percent
templates.env.filters["source_name"] = _source_name
templates.env.filters["actor_type"] = _actor_type
templates.env.filters["violence"] = _violence
templates.env.filters["month"] = _month

MaybeUser = Annotated[User | None, Depends(reader)]

router = APIRouter(include_in_schema=False)

# The navigation bar: path -> label, in the order the pages are declared.
NAV: Registry[str] = Registry("dashboard page")
templates.env.globals["nav"] = NAV
PageView = TypeVar("PageView", bound=Callable[..., Any])


def page(path: str, label: str) -> Callable[[PageView], PageView]:
    """Declare a dashboard page: a GET route at ``path``, listed in the navigation as ``label``.

    A new page is this decorator on its view (anywhere imported before the app is made)
    and its template: ``docs/extending.md``.
    """
    NAV.register(path, label)
    return router.get(path, response_class=HTMLResponse)


def vendor_missing(vendor_dir: Path | None = None) -> list[str]:
    """Vendored browser files that are missing (run ``scripts/build_web.sh``)."""
    root = vendor_dir or VENDOR_DIR
    return [name for name in VENDOR_FILES if not (root / name).is_file()]


def render(
    request: Request, name: str, user: User | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render template ``name`` with the user, the CSRF token and ``context``.

    The page speaks :func:`request_lang`; a language asked in the URL is remembered
    in a cookie, so the switch on one page holds for the next ones.
    """
    lang = request_lang(request)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "csrf_token": csrf_token(request),
            "path": request.url.path,
            "lang": lang,
            "lang_urls": {other: lang_url(request, other) for other in LANGS},
            "js_strings": {key: translator(lang).gettext(text) for key, text in JS_STRINGS.items()},
            "export_query": urlencode(
                [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
            ),
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") in LANGS and request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=LANG_COOKIE_MAX_AGE,
            samesite="lax",
            secure=web_state(request).settings.cookie_secure,
        )
    response.headers["Content-Language"] = lang
    return response


def _country_choice(
    con: duckdb.DuckDBPyConnection, country: str | None
) -> tuple[list[data.CountryCoverage], data.CountryCoverage | None]:
    """Countries with events and the one to show (``country``, else the best covered)."""
    countries = data.coverage(con)
    chosen = data.find_country(countries, country)
    if chosen is None and country is None and countries:
        chosen = countries[0]
    return countries, chosen


# --------------------------------------------------------------------------- SVG charts


@dataclass(frozen=True)
class Chart:
    """A line chart's geometry in SVG user units (the template draws it)."""

    width: int
    height: int
    line: str
    band_outer: str
    band_inner: str
    y_max: float
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]


_PAD = 40


def _scale(values: list[float], height: int) -> tuple[float, Any]:
    top = max([*values, 1.0])
    nice = 10 ** math.floor(math.log10(top))
    top = math.ceil(top / nice) * nice
    return top, lambda v: height - _PAD / 2 - (v / top) * (height - _PAD)


def line_chart(
    months: list[str],
    values: list[float],
    *,
    bands: tuple[list[float], list[float], list[float], list[float]] | None = None,
    width: int = 760,
    height: int = 240,
) -> Chart:
    """Geometry of a monthly series (and optional 90%/50% interval bands)."""
    n = max(len(months), 1)
    band_values = [v for band in bands for v in band] if bands else []
    top, y = _scale([*values, *band_values], height)

    def x(i: int) -> float:
        return _PAD + (i / max(n - 1, 1)) * (width - 1.5 * _PAD)

    def points(series: list[float]) -> str:
        return " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(series))

    def band(lower: list[float], upper: list[float]) -> str:
        back = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in reversed(list(enumerate(lower))))
        return f"{points(upper)} {back}"

    step = max(1, n // 8)
    return Chart(
        width=width,
        height=height,
        line=points(values),
        band_outer=band(bands[0], bands[3]) if bands else "",
        band_inner=band(bands[1], bands[2]) if bands else "",
        y_max=top,
        x_labels=[(x(i), months[i]) for i in range(0, len(months), step)],
        y_ticks=[(y(top * f), f"{top * f:,.0f}") for f in (0, 0.5, 1)],
    )


def network_svg(drawing: NetworkDrawing, lang: Lang) -> dict[str, Any]:
    """SVG geometry of a :func:`~sentinelle.actors.activity.network_drawing`: the picture
    ``sentinelle actors`` writes as PNG (same actors, short names, colours, widths and
    places), in the page's language.

    Positions in [-1, 1] become a ``width`` x ``height`` view (y upwards there, downwards
    in SVG); node areas (matplotlib points²) become radii; labels sit outside the circle
    (beside the node on the sides, above or below it at the top and bottom) and under
    the targets at the centre.
    """
    from sentinelle.actors.registry import TARGET_TYPES, actor_type_label, display_name

    width, height, radius = 800, 600, 220.0
    t = translator(lang)
    graph = drawing.graph

    def place(node: str) -> tuple[float, float]:
        x, y = drawing.positions[node]
        return width / 2 + x * radius, height / 2 - y * radius

    nodes = []
    for node in graph.nodes:
        x, y = drawing.positions[node]
        px, py = place(node)
        r = math.sqrt(drawing.sizes[node]) / 2 * 0.8
        kind = graph.nodes[node].get("type")
        outside = math.hypot(x, y) > 0.5
        if outside and abs(x) >= 0.2:
            anchor, lx, ly = ("start" if x > 0 else "end"), px + math.copysign(r + 6, x), py + 4
        elif outside:
            anchor, lx, ly = "middle", px, py - r - 6 if y > 0 else py + r + 14
        else:
            anchor, lx, ly = "middle", px, py + r + 14
        edges = [graph.edges[node, other] for other in graph[node]]
        nodes.append(
            {
                "x": round(px, 1),
                "y": round(py, 1),
                "r": round(r, 1),
                "left": round(px - r, 1),
                "top": round(py - r, 1),
                "side": round(2 * r, 1),
                "target": kind in TARGET_TYPES,
                "colour": drawing.colours[node],
                "label": drawing.labels[node],
                "label_x": round(lx, 1),
                "label_y": round(ly, 1),
                "anchor": anchor,
                "tooltip": t.gettext(
                    "%(actor)s, %(type)s: %(events)s events, %(fatalities)s fatalities"
                )
                % {
                    "actor": display_name(node, lang),
                    "type": actor_type_label(kind, lang),
                    "events": t.number(sum(e["events"] for e in edges)),
                    "fatalities": t.number(sum(e["fatalities"] for e in edges)),
                },
            }
        )
    lines = []
    for a, b, attrs in graph.edges(data=True):
        (x1, y1), (x2, y2) = place(a), place(b)
        lines.append(
            {
                "x1": round(x1, 1),
                "y1": round(y1, 1),
                "x2": round(x2, 1),
                "y2": round(y2, 1),
                "w": round(drawing.widths.get((a, b), drawing.widths.get((b, a), 1.0)), 2),
                "tooltip": t.gettext(
                    "%(a)s \u2013 %(b)s: %(events)s events, %(fatalities)s fatalities"
                )
                % {
                    "a": drawing.labels[a],
                    "b": drawing.labels[b],
                    "events": t.number(attrs["events"]),
                    "fatalities": t.number(attrs["fatalities"]),
                },
            }
        )
    return {
        "width": width,
        "height": height,
        "title": drawing.title,
        "note": drawing.note,
        "legend": drawing.legend,
        "nodes": nodes,
        "edges": lines,
    }


# -------------------------------------------------------------------------------- pages


@page("/", N_("Map"))
def map_page(
    request: Request,
    con: Cursor,
    user: MaybeUser,
    country: OptionalCountry = None,
    source: Source = None,
) -> HTMLResponse:
    """The map: events, forecast risk, bases, analyst reports and a choropleth of the
    subnational aggregates (ACLED's HDX workbooks), with a time slider over the data."""
    lang = request_lang(request)
    countries, chosen = _map_countries(con, country)
    iso3 = chosen["iso3"] if chosen else country
    missions = [m["mission"] for m in data.missions(con) if iso3 in m["countries"]]
    units = set(data.forecast_units(con))
    aggregates = None
    if iso3:
        try:
            aggregates = aggregates_data.aggregate_months(con, iso3)
        except NoDataError:
            aggregates = None
    unit_label = _unit_label(lang, iso3, aggregates["level"]) if aggregates else ""
    # The latest forecast of the aggregates' units, drawn on their polygons (#15).
    unit_forecast = ""
    if iso3 and aggregates:
        level_unit = f"admin{aggregates['level']}"
        if aggregates_data.has_unit_forecast(con, iso3, level_unit, aggregates["source"]):
            unit_forecast = level_unit
    return render(
        request,
        "map.html",
        user,
        countries=countries,
        chosen=chosen,
        iso3=iso3,
        source=data.event_source(chosen, source) if chosen and chosen["sources"] else None,
        missions=missions,
        forecast_unit="pgm" if "pgm" in units else "cm" if "cm" in units else "",
        vendor_missing=vendor_missing(),
        aggregates=aggregates,
        unit_label=unit_label,
        agg_source=source_label(aggregates["source"], lang) if aggregates else "",
        currency=aggregates_data.currency_line(con, iso3, lang) if iso3 else "",
        boundaries_set=bool(web_state(request).settings.admin_boundaries),
        unit_forecast=unit_forecast,
        series_label=_series_label(lang, aggregates["series"]) if aggregates else "",
    )


def _series_label(lang: Lang, series: str) -> str:
    """A stored aggregate series in words ("violences politiques"), else its name."""
    from sentinelle.store.currency import SERIES_LABELS

    known = SERIES_LABELS.get(series)
    return translator(lang).gettext(known) if known else series.replace("_", " ")


def _unit_label(lang: Lang, iso3: str | None, level: int) -> str:
    """What the units of ``level`` are called in ``iso3`` ("cercles"), in ``lang``
    (the one table of :mod:`sentinelle.places`)."""
    return unit_plural(iso3, level, lang)


def _map_countries(
    con: duckdb.DuckDBPyConnection, country: str | None
) -> tuple[list[data.CountryCoverage], data.CountryCoverage | None]:
    """Countries with events or subnational aggregates, and the one to show.

    A country with aggregates but no events is listed with no sources; its months are
    the aggregates'. A country with both spans the months of either.
    """
    countries = data.coverage(con)
    by_iso3 = {c["iso3"]: c for c in countries}
    extra = []
    for found in aggregates_data.aggregate_countries(con):
        entry = by_iso3.get(found["iso3"])
        if entry is None:
            extra.append(
                data.CountryCoverage(
                    iso3=found["iso3"],
                    name=found["name"],
                    events=0,
                    sources={},
                    first_month=found["first_month"],
                    last_month=found["last_month"],
                )
            )
            continue
        entry["first_month"] = min(entry["first_month"], found["first_month"])
        entry["last_month"] = max(entry["last_month"], found["last_month"])
    countries = countries + extra
    chosen = data.find_country(countries, country)
    if chosen is None and country is None and countries:
        chosen = countries[0]
    return countries, chosen


@page("/trends", N_("Trends"))
def trends_page(
    request: Request,
    con: Cursor,
    user: MaybeUser,
    country: OptionalCountry = None,
    level: Annotated[str, Query(pattern="^(country|admin1)$")] = "country",
    source: Source = None,
) -> HTMLResponse:
    """Monthly fatalities of a country, or of each admin-1 region with a sparkline.

    Countries with ACLED's HDX aggregates offer them as a source beside their events
    (chosen by default: they reach the latest months, the withdrawal window).
    """
    countries, chosen = _map_countries(con, country)
    if chosen is not None:
        found = {c["iso3"]: c for c in aggregates_data.aggregate_countries(con)}
        if chosen["iso3"] in found:
            chosen = {**chosen, "sources": {**chosen["sources"], "acled-hdx": 0}}
            if source is None:
                source = "acled-hdx"
    source = data.event_source(chosen, source)
    points = data.trend_points(con, chosen["iso3"], level, source) if chosen and source else []
    series: dict[str, list[data.TrendPoint]] = {}
    for point in points:
        series.setdefault(point["unit"], []).append(point)
    charts = []
    for unit, rows in sorted(series.items(), key=lambda kv: -sum(p["fatalities"] for p in kv[1])):
        months = [p["month"] for p in rows]
        values = [float(p["fatalities"]) for p in rows]
        small = level == "admin1"
        charts.append(
            {
                "unit": unit,
                "total": int(sum(values)),
                "last12": int(sum(values[-12:])),
                "chart": line_chart(
                    months, values, width=360 if small else 760, height=90 if small else 240
                ),
            }
        )
    return render(
        request, "trends.html", user, countries=countries, chosen=chosen, level=level,
        source=source, charts=charts,
    )  # fmt: skip


@page("/actors", N_("Actors"))
def actors_page(
    request: Request,
    con: Cursor,
    user: MaybeUser,
    country: OptionalCountry = None,
    period: Period = None,
    source: Source = None,
) -> HTMLResponse:
    """The most lethal actors and the dyad network of a country (the picture of
    ``sentinelle actors``: :func:`network_svg`)."""
    countries, chosen = _country_choice(con, country)
    source = data.event_source(chosen, source)
    table, network = [], None
    if chosen:
        lang = request_lang(request)
        table = data.actors_table(con, chosen["iso3"], period, source, limit=30)
        drawing = data.network_picture(con, chosen["iso3"], period, source, lang)
        network = network_svg(drawing, lang) if drawing.graph.number_of_nodes() else None
    return render(
        request, "actors.html", user, countries=countries, chosen=chosen, period=period or "",
        source=source, table=table, network=network,
    )  # fmt: skip


@page("/forecasts", N_("Forecasts"))
def forecasts_page(
    request: Request, con: Cursor, user: MaybeUser, country: OptionalCountry = None
) -> HTMLResponse:
    """Country-month forecasts: median with 50% and 90% intervals, and P(>=25 deaths)."""
    countries, chosen = _country_choice(con, country)
    found = data.forecast_rows(con, None, "cm", chosen["iso3"] if chosen else None)
    chart = None
    if found and found["rows"]:
        rows = found["rows"]
        chart = line_chart(
            [r["month"] for r in rows],
            [r["median"] for r in rows],
            bands=tuple([r[q] for r in rows] for q in ("q05", "q25", "q75", "q95")),  # type: ignore[arg-type]
        )
    return render(
        request, "forecasts.html", user, countries=countries, chosen=chosen, found=found,
        chart=chart,
    )  # fmt: skip


@page("/impact", N_("Impact"))
def impact_page(
    request: Request,
    con: Cursor,
    user: MaybeUser,
    mission: OptionalMission = None,
) -> HTMLResponse:
    """Every mission with stored results (linked), and the newest results of one: for a
    single mission's closures a summary in words, the event-study plot, each
    estimator's estimate explained and the per-base table; for entries and exits across
    missions (cells) a summary per event and ring, every outcome and the caveats."""
    from sentinelle.impact import latest_impact

    lang = request_lang(request)
    stored = latest_impact(con, mission)
    found: dict[str, Any] | None
    if stored is not None and impact_view.is_staggered(str(stored.run["unit"])):
        found = impact_view.staggered_view(con, stored, lang)
    else:
        found = exports.impact_view(con, mission, lang)
    return render(
        request, "impact.html", user, missions=impact_view.impact_missions(con, lang),
        mission=mission, found=found,
    )  # fmt: skip


@page("/alerts", N_("Alerts"))
def alerts_page(
    request: Request, con: Cursor, user: MaybeUser, country: OptionalCountry = None
) -> HTMLResponse:
    """Recorded alerts, newest first, each with its explanation (rule, numbers, evidence)."""
    countries = data.coverage(con)
    rows = exports.alerts_view(con, country, request_lang(request))
    return render(request, "alerts.html", user, countries=countries, country=country, alerts=rows)


@page("/incidents", N_("Analyst reports"))
def incidents_page(
    request: Request,
    con: WebCursor,
    user: Viewer,
    country: OptionalCountry = None,
    status_: StatusFilter = None,
) -> HTMLResponse:
    """Analyst reports: the list, the filing form (analysts), review buttons (admins)."""
    return _incidents(request, con, user, country=country, status_filter=status_)


def _incidents(
    request: Request,
    con: sqlite3.Connection,
    user: User,
    *,
    country: str | None = None,
    status_filter: str | None = None,
    errors: list[str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    reports = list_incidents(con, country_iso3=country, status=status_filter)  # type: ignore[arg-type]
    with web_state(request).main.connect() as main:
        countries = data.coverage(main)
    return render(
        request, "incidents.html", user, status_code=status_code, reports=reports,
        countries=countries, country=country, status_filter=status_filter, errors=errors or [],
        form=form or {}, filed=request.query_params.get("filed"),
    )  # fmt: skip


@router.post("/incidents", response_class=HTMLResponse, dependencies=[Depends(rate_limit("write"))])
async def file_incident_form(request: Request, con: WebCursor, user: Analyst) -> Response:
    """File a report from the form; on errors show the form again with the reasons."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    fields: dict[str, Any] = {
        k: (v.strip() or None)
        for k, v in form.items()
        if k in IncidentIn.model_fields and k != "actors"
    }
    fields["actors"] = form.get("actors", "").replace(";", "\n").splitlines()
    try:
        report = IncidentIn.model_validate(fields)
    except ValidationError as exc:
        errors = [_form_error(e, request_lang(request)) for e in exc.errors()]
        return _incidents(request, con, user, errors=errors, form=form, status_code=422)
    stored = file_incident(con, report, user)
    return RedirectResponse(f"/incidents?filed={stored.incident_id}", status.HTTP_303_SEE_OTHER)


def _form_error(error: Any, lang: Lang) -> str:
    """A refused form field and why, the reason in ``lang`` where it is a catalogue message."""
    reason = (error.get("ctx") or {}).get("error")
    said = reason.message.say(lang) if isinstance(reason, Explained) else error["msg"]
    return f"{'.'.join(map(str, error['loc'])) or 'form'}: {said}"


@router.post("/incidents/{incident_id}/review", dependencies=[Depends(rate_limit("write"))])
def review_incident_form(
    request: Request,
    con: WebCursor,
    user: Admin,
    incident_id: int,
    decision: Annotated[str, Form()],
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Confirm or reject a report from its review buttons."""
    try:
        review = ReviewIn.model_validate({"decision": decision, "note": note or None})
        review_incident(con, incident_id, review, user)
    except ValidationError as exc:
        field = ".".join(map(str, exc.errors()[0]["loc"])) or "form"
        raise WebError(422, N_("%(field)s: the value was not understood"), field=field) from None
    except ReviewError as exc:
        raise WebError.of(exc.status, exc) from None
    return RedirectResponse("/incidents", status.HTTP_303_SEE_OTHER)


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request,
    user: Annotated[User | None, Depends(current_user)],
    next_: Annotated[str, Query(alias="next", max_length=200)] = "/",
) -> HTMLResponse:
    """The sign-in form."""
    return render(request, "login.html", user, next=_local(next_), error=None)


def _local(target: str) -> str:
    """``target`` if it is a path on this site, else ``/`` (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(rate_limit("login"))])
def login_form(
    request: Request,
    con: WebCursor,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next_: Annotated[str, Form(alias="next", max_length=200)] = "/",
) -> Response:
    """Sign in from the form and go back where the user was."""
    user = authenticate(con, username, password)
    if user is None:
        return render(
            request, "login.html", None, status_code=401, next=_local(next_),
            error=N_("Wrong user name or password."),
        )  # fmt: skip
    start_session(request, user, con)
    return RedirectResponse(_local(next_), status.HTTP_303_SEE_OTHER)


@router.post("/logout")
def logout_form(request: Request, con: WebCursor) -> Response:
    """Sign out and return to the map."""
    end_session(request, con)
    return RedirectResponse("/", status.HTTP_303_SEE_OTHER)


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, con: WebCursor, user: Admin) -> HTMLResponse:
    """User management (admins)."""
    return render(request, "users.html", user, users=list_users(con), roles=ROLES, error=None)


@router.post("/users", response_class=HTMLResponse, dependencies=[Depends(rate_limit("write"))])
def add_user_form(
    request: Request,
    con: WebCursor,
    user: Admin,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    role: Annotated[str, Form(pattern="^(viewer|analyst|admin)$")],
) -> Response:
    """Create a user from the form."""
    try:
        create_user(con, username, password, role)  # type: ignore[arg-type]
    except AccountError as exc:
        return render(
            request, "users.html", user, status_code=422, users=list_users(con), roles=ROLES,
            error=exc.message.say(request_lang(request)),
        )  # fmt: skip
    return RedirectResponse("/users", status.HTTP_303_SEE_OTHER)


@router.post("/users/{username}", dependencies=[Depends(rate_limit("write"))])
def change_user_form(
    con: WebCursor,
    user: Admin,
    username: str,
    role: Annotated[str | None, Form(pattern="^(viewer|analyst|admin)$")] = None,
    disabled: Annotated[str | None, Form(pattern="^(true|false)$")] = None,
) -> Response:
    """Change a user's role or enable/disable them (not oneself)."""
    if username.lower() == user.username:
        raise WebError(status.HTTP_403_FORBIDDEN, N_("admins cannot change their own account"))
    try:
        update_user(
            con,
            username,
            role=role,  # type: ignore[arg-type]
            disabled=None if disabled is None else disabled == "true",
        )
    except UnknownUserError as exc:
        raise WebError.of(status.HTTP_404_NOT_FOUND, exc) from None
    return RedirectResponse("/users", status.HTTP_303_SEE_OTHER)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request, user: Annotated[User | None, Depends(current_user)]) -> HTMLResponse:
    """The API reference, rendered here from the OpenAPI schema (no CDN-hosted UI)."""
    schema = request.app.openapi()
    operations = [
        {"method": method.upper(), "path": path, **op}
        for path, item in schema["paths"].items()
        for method, op in item.items()
    ]
    return render(request, "docs.html", user, operations=operations, schema=schema)


def login_redirect(request: Request) -> RedirectResponse:
    """Where a signed-out visitor of a protected page is sent: the sign-in page in the
    language the page was asked in (a link carrying ``?lang=fr`` stays French)."""
    target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    # The cookie and Accept-Language travel with the browser; a ?lang= must be carried.
    asked = request.query_params.get("lang")
    lang = f"&lang={asked}" if asked in LANGS else ""
    return RedirectResponse(f"/login?next={target}{lang}", status.HTTP_303_SEE_OTHER)
