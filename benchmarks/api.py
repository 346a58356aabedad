"""Latency of the map endpoint under 50 concurrent clients, on loopback only.

Run: ``python benchmarks/api.py [--data ../shared/data] [--clients 50] [--requests 2000]``.

Ingests the real ACLED events of Mali (HDX export, 1997-2020) into a fresh store,
measures the bare SQL query behind ``GET /api/events`` in this process as the
reference, then serves the dashboard with uvicorn in a subprocess on 127.0.0.1 and
sends ``--requests`` requests per scenario from ``--clients`` concurrent httpx
clients, each on its own kept-alive connection and accepting gzip as browsers do:

* one year of a country's events (``from=2019-01&to=2019-12``);
* the country's full record (1997-2020), the map page's own request;
* the full record again, the clients sending the ETag they hold (answers 304);
* the full record while ``--heavy`` more anonymous clients ask for uncached dyad
  networks (a distinct ``limit`` each time), as in issue 13 item 11: they are
  rate-limited (429) and at most two answers are computed at once.

The server opens the store read-only for each uncached read (decision 0009): the
first table compares that open with a cursor on a held connection, the old way.

Latency is measured by the clients, so on this 2-core machine it includes their own
CPU time (httpx spends about 2 ms of CPU per request, the server about 0.5 ms): the
table also gives the server's CPU time per request, read from /proc. Every loop is
bounded in requests and in time (``--timeout``), and only the loopback address is
contacted. Goal (issues 7 and 13): p95 under 100 ms for a country's events, also
beside the heavy load.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from _loopback import HOST, dashboard  # benchmarks/ is on the path of a script run from it
from rich.console import Console
from rich.table import Table

from sentinelle.config import Settings
from sentinelle.sources import SOURCES
from sentinelle.store import open_store
from sentinelle.web.data import events_geojson

ROOT = Path(__file__).resolve().parents[1]
FULL = "full record (1997-2020)"
SCENARIOS = (  # name, query, revalidate, heavy clients beside
    ("one year (2019)", {"country": "MLI", "from": "2019-01", "to": "2019-12"}, False, False),
    (FULL, {"country": "MLI"}, False, False),
    ("full record, ETag revalidation (304)", {"country": "MLI"}, True, False),
    ("full record beside uncached dyads", {"country": "MLI"}, False, True),
)


def serve(store: Path, port: int) -> None:
    """Subprocess entry: the dashboard on loopback (one uvicorn worker, as shipped)."""
    import uvicorn

    from sentinelle.web import create_app

    settings = Settings(store=store, secret_key="benchmark-" + "x" * 32)
    uvicorn.run(create_app(settings), host=HOST, port=port, log_level="warning")


def sql_reference(store: Path, runs: int = 30) -> dict[str, float]:
    """Median milliseconds of the query behind each scenario, run in this process."""
    con = open_store(store, read_only=True)
    out = {}
    for name, params, *_ in SCENARIOS[:2]:
        events_geojson(con, "MLI", params.get("from"), params.get("to"))  # warm
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            events_geojson(con, "MLI", params.get("from"), params.get("to"))
            times.append((time.perf_counter() - t0) * 1e3)
        out[name] = statistics.median(times)
    con.close()
    return out


def open_cost(store: Path, runs: int = 50) -> dict[str, float]:
    """Median milliseconds to get a connection for one read: the new way and the old."""

    def median_ms(step: Callable[[], None]) -> float:
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            step()
            times.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(times)

    # First, while nothing holds the store (a held one would share its instance).
    per_read = median_ms(lambda: open_store(store, read_only=True).close())
    held = open_store(store, read_only=True)
    cursor = median_ms(lambda: held.cursor().close())
    held.close()
    return {
        "open read-only + close (each uncached read, now)": per_read,
        "cursor on a held connection (before)": cursor,
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(
    base: str,
    params: dict[str, str],
    revalidate: bool,
    clients: int,
    total: int,
    timeout: float,
    heavy: int = 0,
) -> tuple[list[float], list[int], float, int, dict[int, int]]:
    """Latencies (ms), statuses seen, wall time and body bytes of ``total`` requests,
    and the statuses of the ``heavy`` clients' uncached dyad requests sent meanwhile.

    Each client is its own ``httpx.AsyncClient`` with one kept-alive connection (as
    50 browsers would be), opened by an untimed first request. Bodies are read as
    sent (gzip): unpacking them is the client's work, not the server's latency.
    """
    first = httpx.get(f"{base}/api/events", params=params)  # fills the server's cache
    first.raise_for_status()
    headers = {"If-None-Match": first.headers["etag"]} if revalidate else {}
    size = int(first.headers.get("content-length", len(first.content)))
    latencies: list[float] = []
    statuses: set[int] = set()
    remaining = total
    deadline = time.perf_counter() + timeout
    ready = asyncio.Barrier(clients + heavy)
    heavy_statuses: dict[int, int] = {}
    limits = itertools.cycle(range(1, 501))

    async def client_loop() -> None:
        nonlocal remaining
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            await client.get("/api/session")  # connect before the clock starts
            await ready.wait()
            while remaining > 0 and time.perf_counter() < deadline:
                remaining -= 1
                t0 = time.perf_counter()
                async with client.stream("GET", "/api/events", params=params,
                                         headers=headers) as response:  # fmt: skip
                    async for _ in response.aiter_raw():
                        pass
                latencies.append((time.perf_counter() - t0) * 1e3)
                statuses.add(response.status_code)

    async def heavy_loop() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            await client.get("/api/session")
            await ready.wait()
            while remaining > 0 and time.perf_counter() < deadline:
                query = {"country": "MLI", "limit": next(limits)}
                response = await client.get("/api/dyads", params=query)
                heavy_statuses[response.status_code] = (
                    heavy_statuses.get(response.status_code, 0) + 1
                )

    t0 = time.perf_counter()
    await asyncio.gather(
        *(client_loop() for _ in range(clients)), *(heavy_loop() for _ in range(heavy))
    )
    wall = time.perf_counter() - t0
    return latencies, sorted(statuses), wall, size, heavy_statuses


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000, help="per scenario")
    parser.add_argument("--timeout", type=float, default=60, help="seconds per scenario")
    parser.add_argument("--heavy", type=int, default=40, help="clients on uncached dyads")
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return

    console = Console(width=160)
    csv = args.data / "acled" / "acled_hdx_mli_1997-2020.csv"
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "bench.duckdb"
        with console.status("ingesting ACLED Mali"):
            con = open_store(store)
            report = SOURCES["acled"].ingest(con, csv, None, lambda _: None)
            con.close()
        reference = sql_reference(store)
        opening = open_cost(store)
        with dashboard(__file__, store, args.port) as (server, base):
            rows = []
            for name, params, revalidate, beside in SCENARIOS:
                with console.status(f"{name}: {args.requests} requests"):
                    cpu0 = cpu_seconds(server.pid)
                    heavy = args.heavy if beside else 0
                    result = asyncio.run(
                        load(base, params, revalidate, args.clients, args.requests,
                             args.timeout, heavy)
                    )  # fmt: skip
                    server_ms = (cpu_seconds(server.pid) - cpu0) * 1e3 / len(result[0])
                    rows.append((name, *result, server_ms))

    opened = Table(title="A connection for one read, ACLED Mali store")
    opened.add_column("way")
    opened.add_column("median ms", justify="right")
    for name, ms in opening.items():
        opened.add_row(name, f"{ms:.2f}")
    console.print(opened)
    table = Table(
        title=f"GET /api/events, ACLED Mali ({report.rows_inserted:,} events), "
        f"{args.clients} concurrent clients on loopback"
    )
    for column in ("scenario", "requests", "status", "gzip body", "p50 ms", "p95 ms",
                   "p99 ms", "max ms", "req/s", "server CPU ms/req", "bare SQL ms",
                   "dyads beside (status: count)"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("scenario", "status") else "right")
    for name, latencies, statuses, wall, size, heavy_statuses, server_ms in rows:
        table.add_row(
            name, f"{len(latencies):,}", ",".join(map(str, statuses)), f"{size / 1e3:,.0f} kB",
            f"{percentile(latencies, 50):.1f}", f"{percentile(latencies, 95):.1f}",
            f"{percentile(latencies, 99):.1f}", f"{max(latencies):.1f}",
            f"{len(latencies) / wall:,.0f}", f"{server_ms:.2f}",
            f"{reference[name]:.1f}" if name in reference else "",
            ", ".join(f"{code}: {n:,}" for code, n in sorted(heavy_statuses.items())),
        )  # fmt: skip
    console.print(table)
    worst = max(percentile(r[1], 95) for r in (rows[0], rows[1], rows[3]))
    verdict = "met" if worst < 100 else "NOT met"
    console.print(f"Goal p95 < 100 ms for a country's events: {verdict} (worst p95 {worst:.1f} ms)")


if __name__ == "__main__":
    main()
