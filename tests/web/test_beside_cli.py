"""Regression test of issue 13 item 12: the dashboard and the command line side by side.

While an app serves a store file, another process must be able to take the store
read-write (as ``sentinelle ingest`` does), ``sentinelle users add`` must work, the
new data must show without a restart, and a read made while the writer holds the file
waits a bounded time and then answers 503 with Retry-After, or the last committed
answer when it has one; sign-ins and reports, kept in the web store, go on.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sentinelle.cli import app as cli
from sentinelle.web import create_app
from tests.web.conftest import PASSWORD, build_store, incident, settings_for, sign_in

# A second process holding the store read-write, as an ingest does: it adds an event
# in Niger, says so, and commits when its standard input closes.
_WRITER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("BEGIN")
con.execute(
    "INSERT INTO events (source, source_event_id, source_version, date_start, date_end, "
    "latitude, longitude, country_iso3, violence_type, fatalities_best, ingest_id) "
    "VALUES ('acled', 'NER2', 'test', DATE '2020-04-01', DATE '2020-04-01', 14.1, 2.1, "
    "'NER', 'one_sided', 3, 1)"
)
print("holding", flush=True)
sys.stdin.read()
con.execute("COMMIT")
con.close()
"""


def _niger_events(client: TestClient) -> int:
    answer = client.get("/api/events", params={"country": "NER"})
    assert answer.status_code == 200, answer.text
    count: int = answer.json()["count"]
    return count


def test_ingest_users_add_and_reads_while_the_dashboard_serves(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    build_store(path).close()
    app = create_app(settings_for(path, heavy_rate_limit="1000/minute"))
    app.state.web.main.wait = 0.3  # the bounded wait, short for the test
    client = TestClient(app)
    analyst = TestClient(app)
    headers = sign_in(analyst, "ana")  # copied from the main store's users on start
    assert _niger_events(client) == 1

    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "holding"
        # An uncached read waits, then says the store is busy and when to retry.
        busy = client.get("/api/trends", params={"country": "NER"})
        assert busy.status_code == 503 and int(busy.headers["Retry-After"]) > 0
        assert "being written" in busy.json()["detail"]
        assert _niger_events(client) == 1  # cached: the last committed answer
        # The server's own writes do not need the main store.
        added = CliRunner().invoke(
            cli, ["users", "add", "kadi", "--role", "analyst", "--password-stdin",
                  "--store", str(path)],
            input=PASSWORD + "\n",
        )  # fmt: skip
        assert added.exit_code == 0, added.output
        sign_in(TestClient(app), "kadi")
        assert analyst.post("/api/incidents", json=incident(), headers=headers).status_code == 201
    finally:
        writer.communicate("", timeout=30)
    assert writer.returncode == 0
    assert _niger_events(client) == 2  # the committed event shows, no restart
