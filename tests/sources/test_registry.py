"""The source registry: names for ingest and fetch, fetch requests checked per publisher,
and a source registered at run time found like the built-in ones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from sentinelle.config import Settings
from sentinelle.errors import UnknownNameError, UsageError
from sentinelle.sources import SOURCES, FetchRequest, IngestReport, Source, get_source, ingest_url
from sentinelle.steps import Step, no_step
from sentinelle.store import open_store
from tests.sources.loopback import FAST, Loopback, Reply


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return open_store(tmp_path / "store.duckdb")


def test_every_source_ingests_and_the_publishers_with_a_download_fetch() -> None:
    assert list(SOURCES) == [
        "ged",
        "ged-candidate",
        "acled",
        "geopko",
        "radpko",
        "views-cm",
        "ged-api",
        "acled-hdx",
    ]
    fetchable = [name for name, source in SOURCES.items() if source.fetch is not None]
    assert fetchable == ["ged", "acled", "ged-api", "acled-hdx"]
    assert get_source("ged-api").ingest is get_source("ged").ingest


def test_a_typo_lists_the_valid_names() -> None:
    with pytest.raises(UnknownNameError, match="unknown source 'gde'; choose from: ged, "):
        get_source("gde")


@pytest.mark.parametrize(
    ("name", "request_", "message"),
    [
        ("ged", FetchRequest(), r"GED needs --version \(e\.g\. 25\.1\)"),
        ("ged-api", FetchRequest(countries=("432",)), r"GED needs --version \(e\.g\. 25\.1\)"),
        ("ged-api", FetchRequest(version="25.1", countries=("Mali",)), "Gleditsch-Ward"),
        ("acled", FetchRequest(countries=("Mali",)), "ACLED needs --countries, --from and --to"),
        ("acled", FetchRequest(start=date(2023, 1, 1), end=date(2023, 12, 31)), "ACLED needs"),
    ],
)
def test_each_fetcher_checks_its_request(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, name: str, request_: FetchRequest, message: str
) -> None:
    fetch = get_source(name).fetch
    assert fetch is not None
    with pytest.raises(UsageError, match=message):
        fetch(con, request_, settings=Settings(cache_dir=tmp_path), step=no_step)


Calls = list[tuple[Path, str | None, str | None]]


@pytest.fixture
def plugin() -> Iterator[Calls]:
    """A source registered at run time that records what it was asked to ingest."""
    calls: Calls = []

    def ingest(
        con: duckdb.DuckDBPyConnection,
        path: Path,
        version: str | None,
        step: Step,
        location: str | None = None,
        /,
    ) -> IngestReport:
        calls.append((path, version, location))
        return IngestReport("plugin", version, location or str(path), "0" * 64)

    SOURCES.register("plugin", Source("plugin", ingest, description="a test plug-in"))
    yield calls
    SOURCES.unregister("plugin")


def test_a_source_registered_at_run_time_is_found_by_name_and_by_ingest_url(
    con: duckdb.DuckDBPyConnection,
    tmp_path: Path,
    plugin: Calls,
) -> None:
    assert get_source("plugin").description == "a test plug-in"
    with Loopback(lambda _: Reply(body=b"a,b\n1,2\n")) as server:
        url = f"{server.url}/files/plugin.csv"
        report = ingest_url(
            con, "plugin", url, "1.0", settings=Settings(cache_dir=tmp_path), policy=FAST
        )
    assert report.source == "plugin" and report.location == url
    [(path, version, location)] = plugin
    assert (path, version, location) == (tmp_path / "plugin" / "plugin.csv", "1.0", url)
    assert path.read_bytes() == b"a,b\n1,2\n"


def test_ingest_url_refuses_an_unknown_source(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    with pytest.raises(UnknownNameError, match="unknown source 'nope'"):
        ingest_url(con, "nope", "http://127.0.0.1:9/x.csv", settings=Settings(cache_dir=tmp_path))
