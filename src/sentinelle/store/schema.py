"""The store's versioned schema: an ordered list of migrations applied once each.

A migration is appended, never edited: a store created by an older Sentinelle is
brought forward by running the migrations it has not seen, each in its own
transaction, and ``schema_version`` records which ran and when.
"""

from __future__ import annotations

import duckdb

from sentinelle.errors import StoreError
from sentinelle.store.transaction import transaction

# Violence types of the common event model. UCDP's type_of_violence 1/2/3 map onto the
# first three; ACLED events are classified by their event type and actors (see
# sources.acled); protests, riots and strategic developments are "other".
VIOLENCE_TYPES = ("state_based", "non_state", "one_sided", "other")

_V1 = """
CREATE TABLE ingests (
    ingest_id        INTEGER PRIMARY KEY,
    source           VARCHAR NOT NULL,
    source_version   VARCHAR,
    location         VARCHAR NOT NULL,   -- file path or URL
    sha256           VARCHAR NOT NULL,
    rows_read        BIGINT,
    rows_inserted    BIGINT,
    rows_updated     BIGINT,
    rows_unchanged   BIGINT,
    rows_deleted     BIGINT,
    rows_quarantined BIGINT,
    started_at       TIMESTAMP NOT NULL,
    finished_at      TIMESTAMP,
    status           VARCHAR NOT NULL    -- 'ok' (a failed ingest leaves no trace)
);
CREATE SEQUENCE ingest_id_seq START 1;

CREATE TYPE violence_type AS ENUM ('state_based', 'non_state', 'one_sided', 'other');

CREATE TABLE events (
    source            VARCHAR NOT NULL,  -- 'ged', 'ged_candidate', 'acled', ...
    source_event_id   VARCHAR NOT NULL,
    source_version    VARCHAR NOT NULL,  -- release ('23.1') or row revision (ACLED timestamp)
    date_start        DATE NOT NULL,
    date_end          DATE NOT NULL,
    date_precision    SMALLINT,          -- UCDP date_prec / ACLED time_precision (1 = day)
    latitude          DOUBLE,
    longitude         DOUBLE,
    where_precision   SMALLINT,          -- UCDP where_prec / ACLED geo_precision
    country_iso3      VARCHAR,
    country_gwno      INTEGER,
    country_name      VARCHAR,
    admin1            VARCHAR,
    admin2            VARCHAR,
    location_name     VARCHAR,
    violence_type     violence_type NOT NULL,
    event_type        VARCHAR,           -- source's own typology (ACLED event/sub-event)
    conflict_id       VARCHAR,
    dyad_id           VARCHAR,
    side_a            VARCHAR,
    side_b            VARCHAR,
    side_a_id         VARCHAR,
    side_b_id         VARCHAR,
    fatalities_best   INTEGER NOT NULL,
    fatalities_low    INTEGER,
    fatalities_high   INTEGER,
    civilian_deaths   INTEGER,
    notes             VARCHAR,
    deleted           BOOLEAN NOT NULL DEFAULT false,  -- withdrawn by the publisher
    ingest_id         INTEGER NOT NULL
    -- key (source, source_event_id): kept unique by the ingest merge, not by an index,
    -- which would make bulk loads of a 400,000-event release several times slower
);

CREATE TABLE actors (
    source           VARCHAR NOT NULL,
    source_actor_id  VARCHAR NOT NULL,   -- UCDP actor id; ACLED has none: the name
    name             VARCHAR NOT NULL,
    first_seen       DATE,
    last_seen        DATE,
    ingest_id        INTEGER NOT NULL   -- key (source, source_actor_id), kept by the merge
);

CREATE TABLE deployments (
    source           VARCHAR NOT NULL,   -- 'geopko_frontmap', 'geopko_full'
    mission          VARCHAR NOT NULL,
    location         VARCHAR NOT NULL,
    country          VARCHAR,
    latitude         DOUBLE NOT NULL,
    longitude        DOUBLE NOT NULL,
    year             SMALLINT NOT NULL,
    month            SMALLINT NOT NULL,  -- 0 where the source is yearly
    troops           DOUBLE,
    police           DOUBLE,
    observers        DOUBLE,
    -- Geo-PKO publishes several maps for some years: record numbers the rows of one
    -- mission-location-period in file order so that each map's row is kept.
    record           SMALLINT NOT NULL DEFAULT 1,
    hq               SMALLINT,           -- Geo-PKO HQ code as published: 0 none, 3 mission HQ
    ingest_id        INTEGER NOT NULL
    -- key (source, mission, location, year, month, record), kept by the ingest merge
);

CREATE TABLE quarantine (
    ingest_id    INTEGER NOT NULL,
    source       VARCHAR NOT NULL,
    location     VARCHAR NOT NULL,
    line         BIGINT,                 -- line in the file (header = line 1), when known
    reason       VARCHAR NOT NULL,
    raw          VARCHAR
);
"""

# Panel provenance (sentinelle.store.panels) and the alert outbox (sentinelle.alerts).
_V2 = """
CREATE TABLE panels (
    panel_table     VARCHAR PRIMARY KEY,  -- 'panel_pgm', 'panel_cm', 'panel_admin2', ...
    unit            VARCHAR NOT NULL,     -- 'cm', 'pgm', 'admin1', 'admin2'
    source          VARCHAR NOT NULL,     -- 'ged' (GED + Candidate after it), 'acled', 'views-cm'
    first_month     INTEGER NOT NULL,     -- VIEWS month ids, both ends included
    last_month      INTEGER NOT NULL,
    history_start   INTEGER,              -- first month whose outcomes feed the features
    ged_last_month  INTEGER,              -- last month taken from GED; Candidate after it
    countries       VARCHAR[],            -- ISO3 codes requested, NULL for all
    versions        VARCHAR NOT NULL,     -- JSON {source: [source_version, ...]}
    ingest_ids      INTEGER[] NOT NULL,   -- ingests whose rows the panel uses
    engine          VARCHAR NOT NULL,     -- 'duckdb', 'spark', 'ingest'
    n_units         INTEGER NOT NULL,
    n_rows          BIGINT NOT NULL,
    events_used     BIGINT,
    events_outside  BIGINT,               -- events of the requested countries in no unit
    params          VARCHAR NOT NULL,     -- JSON of every build parameter
    built_at        TIMESTAMP NOT NULL
);
CREATE SEQUENCE alert_id_seq START 1;
CREATE TABLE alerts (
    alert_id    BIGINT PRIMARY KEY DEFAULT nextval('alert_id_seq'),
    rule        VARCHAR NOT NULL,   -- 'hdx_conflict', 'forecast_exceedance', 'new_area', ...
    unit_type   VARCHAR NOT NULL,   -- 'country', 'admin1', 'admin2', 'actor_admin1'
    unit_id     VARCHAR NOT NULL,   -- ISO3, 'ISO3/admin1', 'ISO3/admin1/admin2', ...
    period      VARCHAR NOT NULL,   -- 'YYYY-MM'
    level       SMALLINT NOT NULL,  -- 1 vigilance, 2 alerte
    value       DOUBLE,
    threshold   DOUBLE,
    evidence    JSON,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    UNIQUE (rule, unit_type, unit_id, period)
);
CREATE TABLE alert_deliveries (
    alert_id      BIGINT NOT NULL,
    channel       VARCHAR NOT NULL,  -- 'webhook', 'email'
    target        VARCHAR NOT NULL,  -- URL or recipient list
    status        VARCHAR NOT NULL DEFAULT 'pending',  -- 'pending' or 'delivered'
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    VARCHAR,
    delivered_at  TIMESTAMP,
    PRIMARY KEY (alert_id, channel, target)
);
"""

# Stored outputs the briefings and the dashboard read (forecasts, impact estimates) and
# the dashboard's own data: its users and the incidents analysts file. Incidents are a
# source of their own, reviewed before anyone relies on them, never mixed into events.
_V3 = """
CREATE SEQUENCE forecast_run_seq START 1;
CREATE TABLE forecast_runs (
    run_id        INTEGER PRIMARY KEY DEFAULT nextval('forecast_run_seq'),
    model         VARCHAR NOT NULL,
    target        VARCHAR NOT NULL,     -- 'ged_sb', 'ged_os', 'civ_deaths', ...
    unit          VARCHAR NOT NULL,     -- 'cm', 'pgm', 'admin1'
    origin        INTEGER NOT NULL,     -- VIEWS month id of the last month of data
    first_month   INTEGER NOT NULL,
    last_month    INTEGER NOT NULL,
    n_units       INTEGER NOT NULL,
    n_draws       INTEGER NOT NULL,
    data_version  VARCHAR NOT NULL,
    meta          JSON,
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
    UNIQUE (model, target, unit, origin, data_version)
);
CREATE TABLE forecast_draws (
    run_id    INTEGER NOT NULL,
    month_id  INTEGER NOT NULL,
    unit_id   BIGINT NOT NULL,          -- VIEWS country_id, PRIO-GRID gid, admin1 id
    draw      SMALLINT NOT NULL,
    outcome   INTEGER NOT NULL
);
CREATE SEQUENCE impact_run_seq START 1;
CREATE TABLE impact_runs (
    run_id        INTEGER PRIMARY KEY DEFAULT nextval('impact_run_seq'),
    mission       VARCHAR NOT NULL,
    outcome       VARCHAR NOT NULL,
    unit          VARCHAR NOT NULL,
    radii_km      DOUBLE[] NOT NULL,
    first_month   INTEGER NOT NULL,
    last_month    INTEGER NOT NULL,
    event_source  VARCHAR,
    notes         VARCHAR[],
    runtime_s     DOUBLE,
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE impact_effects (
    run_id      INTEGER NOT NULL,
    estimator   VARCHAR NOT NULL,       -- 'callaway_santanna', 'did2s', 'placebo', 'synth:<base>'
    ring        INTEGER NOT NULL,
    ring_label  VARCHAR NOT NULL,
    estimate    DOUBLE,
    se          DOUBLE,
    lower       DOUBLE,
    upper       DOUBLE,
    p_value     DOUBLE,
    n_treated   INTEGER,
    n_units     INTEGER,
    pretrend_f  DOUBLE,
    pretrend_p  DOUBLE
);
CREATE TABLE impact_event_study (
    run_id     INTEGER NOT NULL,
    estimator  VARCHAR NOT NULL,
    ring       INTEGER NOT NULL,
    rel_month  INTEGER NOT NULL,
    estimate   DOUBLE,
    se         DOUBLE,
    lower      DOUBLE,
    upper      DOUBLE
);
CREATE SEQUENCE user_id_seq START 1;
CREATE TABLE users (
    user_id        INTEGER PRIMARY KEY DEFAULT nextval('user_id_seq'),
    username       VARCHAR NOT NULL UNIQUE,
    password_hash  VARCHAR NOT NULL,    -- argon2id, never the password
    role           VARCHAR NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
    disabled       BOOLEAN NOT NULL DEFAULT false,
    created_at     TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE SEQUENCE incident_id_seq START 1;
CREATE TABLE incidents (
    incident_id      INTEGER PRIMARY KEY DEFAULT nextval('incident_id_seq'),
    event_date       DATE NOT NULL,
    latitude         DOUBLE NOT NULL,
    longitude        DOUBLE NOT NULL,
    country_iso3     VARCHAR,
    location_name    VARCHAR,
    actors           VARCHAR[],
    violence_type    violence_type,
    fatalities       INTEGER NOT NULL CHECK (fatalities >= 0),
    civilian_deaths  INTEGER CHECK (civilian_deaths >= 0),
    source           VARCHAR NOT NULL,  -- where the analyst learnt of it
    confidence       VARCHAR NOT NULL CHECK (confidence IN ('low', 'medium', 'high')),
    notes            VARCHAR,
    status           VARCHAR NOT NULL DEFAULT 'submitted'
                     CHECK (status IN ('submitted', 'confirmed', 'rejected')),
    submitted_by     VARCHAR NOT NULL,
    submitted_at     TIMESTAMP NOT NULL DEFAULT current_timestamp,
    reviewed_by      VARCHAR,
    reviewed_at      TIMESTAMP,
    review_note      VARCHAR
);
"""

# Row versions (sentinelle.sources.history): the stored row each ingest replaced, in
# the same transaction, so that any ingest can be undone exactly. A row an ingest
# inserted needs no copy: it is the live row carrying that ingest_id. Columns are the
# table's own, without constraints, plus the ingest that replaced the row. An undone
# ingest keeps its provenance row with status 'undone'.
_V4 = """
CREATE TABLE events_history AS SELECT *, NULL::INTEGER AS replaced_by FROM events LIMIT 0;
CREATE TABLE deployments_history AS
    SELECT *, NULL::INTEGER AS replaced_by FROM deployments LIMIT 0;
"""

# Subnational unit-month aggregates as publishers release them (ACLED's HDX workbooks):
# one row per source, series, as-of version, unit and month. Every version is kept
# (provenance); the current value of a unit-month is the row of its latest as-of
# (NULL, unknown, lowest), then of its latest ingest (sentinelle.store.aggregates).
_V5 = """
CREATE TABLE admin_aggregates (
    source           VARCHAR NOT NULL,   -- 'acled-hdx'
    series           VARCHAR NOT NULL,   -- 'political_violence', 'civilian_targeting', ...
    as_of            DATE,               -- the publisher's as-of date; NULL when unknown
    iso3             VARCHAR NOT NULL,
    admin_level      SMALLINT NOT NULL,  -- 1 or 2
    pcode            VARCHAR NOT NULL,   -- OCHA P-code of the unit
    name             VARCHAR,
    admin1_pcode     VARCHAR,
    admin1_name      VARCHAR,
    month_id         INTEGER NOT NULL,   -- VIEWS month id
    events           INTEGER NOT NULL,
    fatalities       INTEGER NOT NULL,
    ingest_id        INTEGER NOT NULL
    -- key (source, series, as_of, iso3, admin_level, pcode, month_id), kept by the ingest
);
CREATE TABLE admin_aggregates_history AS
    SELECT *, NULL::INTEGER AS replaced_by FROM admin_aggregates LIMIT 0;
"""

# The per-base table of an impact run (sentinelle.impact.bases), and the ring labels
# and country of the run (contiguity designs label rings by border, not km).
_V6 = """
CREATE TABLE impact_bases (
    run_id             INTEGER NOT NULL,
    base               VARCHAR NOT NULL,
    unit_id            BIGINT,
    unit_code          VARCHAR,
    unit_name          VARCHAR,
    closure_date       DATE,
    date_precision     VARCHAR,
    cohort_month       INTEGER,
    what_happened      VARCHAR,
    taken_over_by      VARCHAR,
    citation           VARCHAR,
    outcome            VARCHAR,
    before_12m         DOUBLE,
    after_12m          DOUBLE,
    months_after       INTEGER,
    synthetic_after    DOUBLE,
    events_before_12m  DOUBLE,
    events_after_12m   DOUBLE
);
ALTER TABLE impact_runs ADD COLUMN ring_labels VARCHAR[];
ALTER TABLE impact_runs ADD COLUMN country VARCHAR;
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4, _V5, _V6)


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied to this store (0 for an empty file)."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply the migrations this store has not seen; return the resulting version."""
    version = current_version(con)
    if version > len(MIGRATIONS):
        raise StoreError(
            f"store schema version {version} is newer than this Sentinelle knows "
            f"({len(MIGRATIONS)}): upgrade Sentinelle"
        )
    for number, sql in enumerate(MIGRATIONS[version:], start=version + 1):
        with transaction(con):
            con.execute(sql)
            con.execute("INSERT INTO schema_version (version) VALUES (?)", [number])
    return len(MIGRATIONS)
