"""Soak test: 50 clients mixing reads, sign-ins and reports, with an ingest in the middle.

Run: ``python benchmarks/soak.py [--data ../shared/data] [--clients 50] [--duration 120]``.

Ingests the real ACLED events of Mali (HDX export) into a fresh store, creates one
analyst per client, and serves the dashboard with uvicorn in a subprocess on
127.0.0.1. For ``--duration`` seconds every client, on its own kept-alive connection,
picks at random: a read (map events, store coverage, trends, dyads, the report list;
60%), signing out and in again (20%), or filing a report (20%). Half-way, the
benchmark writes an ACLED file (the first ``--ingest-rows`` rows of the Niger export,
in a temporary folder it deletes) and runs ``sentinelle ingest acled FILE`` in a
subprocess while the load goes on (re-run, up to 5 times, if it finds the store busy).

It prints p50/p95 and error counts per endpoint (a server error or a failed
connection is an error; 429 and 503 are counted apart), the server's resident memory
every 10 s, and checks that nothing was lost: every report a client was answered 201
for is in the web store, and the store holds the Mali events plus every ingested
Niger event (a row the file repeats is one event), which ``GET /api/events?country=NER``
shows without a restart. Exits 1 if a check fails. Bounded in time (the duration, then
a 30 s grace) and in clients; only the loopback address is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx
from _loopback import HOST, dashboard  # benchmarks/ is on the path of a script run from it
from rich.console import Console
from rich.table import Table

from sentinelle.config import Settings
from sentinelle.sources import SOURCES
from sentinelle.store import open_store
from sentinelle.web import create_user, open_web_store
from sentinelle.web.webstore import web_store_path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "soak-test passphrase"
READS = (
    ("GET /api/events", "/api/events", {"country": "MLI"}),
    ("GET /api/meta", "/api/meta", {}),
    ("GET /api/trends", "/api/trends", {"country": "MLI"}),
    ("GET /api/dyads", "/api/dyads", {"country": "MLI"}),
    ("GET /api/incidents", "/api/incidents", {"limit": 50}),
)
REPORT = {
    "event_date": "2020-06-14", "latitude": 14.35, "longitude": -3.6, "country_iso3": "MLI",
    "fatalities": 2, "source": "soak test", "confidence": "low",
}  # fmt: skip


def serve(store: Path, port: int) -> None:
    """Subprocess entry: the dashboard on loopback, limits high enough for the soak."""
    import uvicorn

    from sentinelle.web import create_app

    settings = Settings(
        store=store, secret_key="soak-" + "x" * 32,
        login_rate_limit="100000/minute", write_rate_limit="100000/minute",
    )  # fmt: skip
    uvicorn.run(create_app(settings), host=HOST, port=port, log_level="warning")


def rss_mb(pid: int) -> float:
    """Resident memory of a process (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class Tally:
    """Latencies and statuses per endpoint, and the ids of reports answered 201."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.filed: set[int] = set()

    async def call(
        self, client: httpx.AsyncClient, name: str, method: str, url: str, **kwargs: object
    ) -> httpx.Response | None:
        t0 = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError:
            self.statuses[name]["error"] += 1
            return None
        self.latencies[name].append((time.perf_counter() - t0) * 1e3)
        code = response.status_code
        self.statuses[name]["error" if code >= 500 and code != 503 else str(code)] += 1
        return response


async def sign_in(tally: Tally, client: httpx.AsyncClient, user: str) -> dict[str, str]:
    session = await tally.call(client, "GET /api/session", "GET", "/api/session")
    token = session.json()["csrf_token"] if session is not None else ""
    body = {"username": user, "password": PASSWORD}
    answer = await tally.call(
        client, "POST /api/login", "POST", "/api/login", json=body, headers={"X-CSRF-Token": token}
    )
    ok = answer is not None and answer.status_code == 200
    return {"X-CSRF-Token": answer.json()["csrf_token"] if ok and answer else token}


async def client_loop(base: str, index: int, tally: Tally, deadline: float) -> None:
    rng = random.Random(index)
    user = f"soak{index}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        headers = await sign_in(tally, client, user)
        while time.perf_counter() < deadline:
            pick = rng.random()
            if pick < 0.6:
                name, url, params = rng.choice(READS)
                await tally.call(client, name, "GET", url, params=params)
            elif pick < 0.8:
                await tally.call(client, "POST /api/logout", "POST", "/api/logout", headers=headers)
                headers = await sign_in(tally, client, user)
            else:
                answer = await tally.call(
                    client, "POST /api/incidents", "POST", "/api/incidents",
                    json={**REPORT, "notes": f"{user} {rng.random()}"}, headers=headers,
                )  # fmt: skip
                if answer is not None and answer.status_code == 201:
                    tally.filed.add(answer.json()["incident_id"])


async def run_clients(base: str, clients: int, tally: Tally, deadline: float) -> None:
    """Every client's loop, stopped 30 s after the deadline whatever happens."""
    loops = asyncio.gather(*(client_loop(base, i, tally, deadline) for i in range(clients)))
    await asyncio.wait_for(loops, timeout=deadline - time.perf_counter() + 30)


def write_ingest_file(source: Path, target: Path, rows: int) -> int:
    """The header and first ``rows`` rows of ``source`` at ``target``; how many rows."""
    with source.open(newline="", encoding="utf-8") as fin:
        reader = csv.reader(fin)
        kept = [next(reader), *(row for _, row in zip(range(rows), reader, strict=False))]
    with target.open("w", newline="", encoding="utf-8") as fout:
        csv.writer(fout).writerows(kept)
    return len(kept) - 1


def ingest(store: Path, path: Path, log: list[str]) -> None:
    """``sentinelle ingest acled`` in a subprocess, re-run while the store is busy."""
    cli = Path(sys.executable).parent / "sentinelle"
    command = [str(cli), "ingest", "acled", str(path), "--store", str(store)]
    for attempt in range(1, 6):
        t0 = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        last = (done.stdout.strip() or done.stderr.strip()).splitlines()[-1:] or [""]
        log.append(f"attempt {attempt}: exit {done.returncode} in {time.perf_counter() - t0:.1f}"
                   f" s: {last[0][:120]}")  # fmt: skip
        if done.returncode != 4:  # 4: StoreError (busy); anything else is final
            return
        time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=120, help="seconds of load")
    parser.add_argument("--ingest-rows", type=int, default=2000)
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return

    console = Console(width=150)
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "soak.duckdb"
        with console.status("ingesting ACLED Mali, creating users"):
            con = open_store(store)
            SOURCES["acled"].ingest(
                con, args.data / "acled" / "acled_hdx_mli_1997-2020.csv", None, lambda _: None
            )
            (before,) = con.execute("SELECT count(*) FROM events").fetchone() or (0,)
            con.close()
            with open_web_store(store).connect() as web:
                for i in range(args.clients):
                    create_user(web, f"soak{i}", PASSWORD, "analyst")
        niger = Path(tmp) / "acled_niger_part.csv"
        expected_new = write_ingest_file(
            args.data / "acled" / "acled_hdx_ner_1997-2020.csv", niger, args.ingest_rows
        )
        tally, memory, ingest_log = Tally(), [], []
        with dashboard(__file__, store, args.port) as (server, base):
            start = time.perf_counter()
            deadline = start + args.duration
            ingester = threading.Timer(args.duration / 2, ingest, (store, niger, ingest_log))
            ingester.start()

            def sample() -> None:
                while time.perf_counter() < deadline and server.poll() is None:
                    memory.append((time.perf_counter() - start, rss_mb(server.pid)))
                    time.sleep(10)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            with console.status(f"{args.clients} clients for {args.duration:.0f} s"):
                asyncio.run(run_clients(base, args.clients, tally, deadline))
                ingester.join(timeout=300)
            memory.append((time.perf_counter() - start, rss_mb(server.pid)))
            shown = httpx.get(f"{base}/api/events", params={"country": "NER"}, timeout=30)

        con = open_store(store, read_only=True)
        (after,) = con.execute("SELECT count(*) FROM events").fetchone() or (0,)
        (niger_stored,) = con.execute(
            "SELECT count(*) FROM events WHERE country_iso3 = 'NER'"
        ).fetchone() or (0,)
        con.close()
        with sqlite3.connect(web_store_path(store)) as web:
            stored_ids = {i for (i,) in web.execute("SELECT incident_id FROM incidents")}

    table = Table(title=f"Soak: {args.clients} clients, {args.duration:.0f} s, loopback")
    for column in ("endpoint", "requests", "p50 ms", "p95 ms", "statuses", "errors"):
        table.add_column(column, justify="left" if column in ("endpoint", "statuses") else "right")
    for name in sorted(tally.statuses):
        lat = tally.latencies[name]
        counts = tally.statuses[name]
        table.add_row(
            name, f"{sum(counts.values()):,}",
            *(f"{percentile(lat, q):.1f}" if lat else "" for q in (50, 95)),
            ", ".join(f"{k}: {v:,}" for k, v in sorted(counts.items()) if k != "error"),
            f"{counts.get('error', 0):,}",
        )  # fmt: skip
    console.print(table)
    console.print("server memory (s: MB): " + ", ".join(f"{t:.0f}: {m:.0f}" for t, m in memory))
    console.print("ingest in the middle: " + "; ".join(ingest_log or ["did not run"]))
    lost_reports = tally.filed - stored_ids
    shown_count = shown.json().get("count") if shown.status_code == 200 else None
    checks = {
        f"every report answered 201 is stored ({len(tally.filed):,} filed)": not lost_reports,
        f"events: {before:,} Mali + {niger_stored:,} Niger (of {expected_new:,} rows written)"
        f" = {after:,} stored": after == before + niger_stored and niger_stored > 0,
        f"the server shows the ingested Niger events ({shown_count})": shown_count == niger_stored,
        "no server error": not any(c.get("error") for c in tally.statuses.values()),
    }
    for text, ok in checks.items():
        console.print(f"{'[green]ok' if ok else '[red]FAILED'}[/] {text}")
    if not all(checks.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
