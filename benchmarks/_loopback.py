"""What the dashboard benchmarks share: the server, started in a subprocess on loopback.

Each benchmark script re-runs itself with ``--serve STORE --port N`` as the server
process (so the load and the server do not share an interpreter); :func:`dashboard`
starts it on a free port, waits until it answers, and stops it afterwards.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def dashboard(
    script: str, store: Path, port: int = 0
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``python SCRIPT --serve STORE --port PORT`` running and answering: (process, base URL)."""
    port = port or free_port()
    server = subprocess.Popen([sys.executable, script, "--serve", str(store), "--port", str(port)])
    base = f"http://{HOST}:{port}"
    try:
        for _ in range(300):  # up to about 30 s to start
            try:
                httpx.get(f"{base}/api/session", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield server, base
    finally:
        server.terminate()
        server.wait(timeout=10)
