"""The one HTTP client every fetcher uses: retries, rate limit, download cache, clear errors.

Publishers' servers are slow, rate-limited and sometimes down, and Sentinelle often runs
on machines with a poor link or none. :class:`HttpClient` wraps :class:`httpx.Client`
so every fetcher behaves the same way:

* **retries** with exponential backoff (tenacity) when the server answers 429 or 5xx
  (a ``Retry-After`` header, in seconds or as a date, is honoured) or the connection
  drops mid-response; the whole request is sent again, nothing is resumed;
* **fail fast offline**: when the host cannot be reached at all, a few quick tries and
  then :class:`~sentinelle.errors.OfflineError`, whose message says how to
  ingest a file downloaded elsewhere (worst case about 9 s with the default policy);
* a **client-side rate limit** (requests started per second);
* a **download cache** ``<cache_dir>/<source>/<filename>``: files are streamed to a temp
  file beside their final name and renamed only once complete, with a sidecar
  ``<filename>.sha256`` (``sha256sum`` format). A cached file is reused when its
  sidecar matches, so an interrupted or corrupted download is fetched again;
* statuses mapped to the error tree: 401/403 → ``AuthError``, other refusals →
  ``FetchError``, a body cut short → ``IncompleteError``.

Webhooks post through the same client (:meth:`HttpClient.post_json`), so this is the
only module that imports httpx. How patient to be is an :class:`HttpPolicy`; tests pass
one with tiny waits, and an ``httpx.MockTransport`` as ``transport`` to answer without
a server.
"""

from __future__ import annotations

import csv
import email.utils
import os
import tempfile
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential

from sentinelle import __version__
from sentinelle.errors import AuthError, FetchError, IncompleteError, OfflineError, UsageError
from sentinelle.sources.ingest import sha256_of

T = TypeVar("T")

USER_AGENT = f"sentinelle/{__version__} (conflict early warning)"

# The host was never reached: retried only ``connect_attempts`` times (see HttpPolicy).
_UNREACHABLE = (httpx.ConnectError, httpx.ConnectTimeout)
# The connection broke after the request was sent: the body is short or missing.
_CUT_SHORT = (httpx.RemoteProtocolError, httpx.ReadError)


@dataclass(frozen=True)
class HttpPolicy:
    """How patient an :class:`HttpClient` is.

    Parameters
    ----------
    rate
        Most requests started per second (client-side rate limit).
    attempts
        Tries per request when the server answers 429/5xx or the connection drops.
    connect_attempts
        Tries when the host cannot be reached at all; small, so that an offline machine
        fails within seconds (3 tries of ``connect_timeout`` plus waits ≈ 9 s at worst).
    backoff, max_backoff
        First wait between tries in seconds, doubled at each try up to ``max_backoff``.
    max_retry_after
        Longest ``Retry-After`` honoured; a server asking for longer fails at once with
        a message to try later, rather than hanging the command.
    connect_timeout, read_timeout
        Seconds to open a connection, and to wait for each chunk of the answer.
    sleep
        How to wait; tests pass a recorder.

    Examples
    --------
    >>> HttpPolicy(rate=1.0).attempts
    5
    """

    rate: float = 2.0
    attempts: int = 5
    connect_attempts: int = 3
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 120.0
    connect_timeout: float = 2.5
    read_timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.attempts < 1 or self.connect_attempts < 1:
            raise UsageError("rate must be positive and attempts at least 1")


DEFAULT_POLICY = HttpPolicy()


class _Transient(Exception):
    """A 429 or 5xx answer: worth another try, after ``retry_after`` if the server said."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.status = response.status_code
        self.retry_after = _retry_after(response.headers.get("Retry-After"))


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" dates parse naive; HTTP dates are UTC
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _raise_if_transient(response: httpx.Response) -> None:
    if response.status_code == 429 or response.status_code >= 500:
        raise _Transient(response)


def sidecar(path: Path) -> Path:
    """The checksum file kept beside a cached file: ``<name>.sha256``."""
    return path.with_name(path.name + ".sha256")


def is_cached(path: Path) -> bool:
    """Whether ``path`` is a complete cached file: present and matching its sidecar.

    Examples
    --------
    >>> is_cached(Path("/nonexistent/ged251-csv.zip"))
    False
    """
    check = sidecar(path)
    if not (path.is_file() and check.is_file()):
        return False
    recorded = check.read_text(encoding="ascii", errors="replace").split()
    return bool(recorded) and recorded[0] == sha256_of(path)


@contextmanager
def cache_write(path: Path) -> Iterator[Path]:
    """Yield a temp path to write; on success it becomes ``path`` with its sidecar.

    The temp file sits beside ``path`` so the rename is atomic: readers see the old file
    or the complete new one, never a partial one. On an exception the temp file is
    removed and ``path`` is left as it was.

    Examples
    --------
    >>> with cache_write(Path("cache/ucdp/events.csv")) as tmp:  # doctest: +SKIP
    ...     tmp.write_text("id\\n1\\n")
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    check_tmp = sidecar(tmp)
    try:
        yield tmp
        digest = sha256_of(tmp)
        os.replace(tmp, path)
        # The sidecar is written last: a crash before it leaves a file is_cached rejects.
        check_tmp.write_text(f"{digest}  {path.name}\n", encoding="ascii")
        os.replace(check_tmp, sidecar(path))
    finally:
        tmp.unlink(missing_ok=True)
        check_tmp.unlink(missing_ok=True)


def write_cache_csv(
    path: Path, columns: Sequence[str], records: Iterable[Mapping[str, Any]]
) -> Path:
    """Write API records to the cache as a CSV with ``columns`` in order (a publisher's layout).

    Keys outside ``columns`` are dropped and missing ones left empty; ``None`` is an
    empty field and booleans are written 1/0 as in the publishers' CSV files. The output
    depends only on the records, so fetching unchanged data again gives the same bytes
    (and the ingest skips it by checksum).

    Examples
    --------
    >>> write_cache_csv(Path("cache/acled/x.csv"), ["a", "b"], [{"a": 1}])  # doctest: +SKIP
    PosixPath('cache/acled/x.csv')
    """

    def cell(value: object) -> object:
        if value is None:
            return ""
        if isinstance(value, bool):
            return int(value)
        return value

    with cache_write(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([cell(record.get(c)) for c in columns] for record in records)
    return path


def url_with_params(url: str, params: Mapping[str, str | int]) -> str:
    """``url`` with ``params`` as its query string, encoded as the request would send them.

    Examples
    --------
    >>> url_with_params("https://api.example/read", {"country": "Mali|Niger", "page": 2})
    'https://api.example/read?country=Mali%7CNiger&page=2'
    """
    return str(httpx.URL(url, params=params))


def json_body(response: httpx.Response) -> Any:
    """The decoded JSON of an answer, or a :class:`FetchError` quoting what came instead."""
    try:
        return response.json()
    except ValueError as exc:
        raise FetchError(
            f"{response.request.url}: expected JSON, got {response.text[:200]!r}"
        ) from exc


class HttpClient:
    """Downloads for one ``source``, with the retries, limits and cache described above.

    Parameters
    ----------
    source
        Name of the cache subdirectory (``ucdp``, ``acled``), or of the client in
        messages (``webhook``).
    cache_dir
        Root of the download cache (``Settings.cache_dir``); ``None`` for a client that
        only sends (webhooks), whose :attr:`cache` is then an error.
    offline_hint
        What the user can do instead when the host is unreachable, e.g.
        ``"Download the file elsewhere and run `sentinelle ingest ged PATH`"``.
    auth_hint
        Appended to :class:`AuthError` messages: where the credentials are set.
    policy
        Retry, rate-limit and timeout settings.
    transport
        What carries the requests (httpx's default network transport when ``None``;
        tests pass ``httpx.MockTransport``).

    Examples
    --------
    >>> with HttpClient(source="ucdp", cache_dir=Path("cache"),
    ...                 offline_hint="run `sentinelle ingest ged PATH`") as client:
    ...     path = client.download("https://ucdp.uu.se/downloads/ged/ged251-csv.zip",
    ...                            "ged251-csv.zip")                  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        source: str,
        cache_dir: Path | None,
        offline_hint: str,
        auth_hint: str = "",
        policy: HttpPolicy = DEFAULT_POLICY,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.source = source
        self._cache = None if cache_dir is None else Path(cache_dir) / source
        self.offline_hint = offline_hint
        self.auth_hint = auth_hint
        self.policy = policy
        self._client = httpx.Client(
            timeout=httpx.Timeout(policy.read_timeout, connect=policy.connect_timeout),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
            transport=transport,
        )
        self._last_start: float | None = None

    @property
    def cache(self) -> Path:
        """This source's folder of the download cache, ``<cache_dir>/<source>``."""
        if self._cache is None:
            raise UsageError(f"the {self.source} HTTP client was made without a cache_dir")
        return self._cache

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        json: Any = None,
        passthrough: Collection[int] = (),
    ) -> httpx.Response:
        """Send a request (retried as the policy says) and return the read answer.

        ``data`` is sent form-encoded, ``json`` as a JSON document. Statuses in
        ``passthrough`` are returned for the caller to handle (e.g. a 401 that means
        "refresh the token"); other refusals raise.
        """

        def attempt() -> httpx.Response:
            response = self._client.request(
                method, url, params=params, headers=headers, data=data, json=json
            )
            _raise_if_transient(response)
            return response

        response = self._retrying(url, attempt)
        if response.status_code not in passthrough:
            self._raise_for_status(response)
        return response

    def post_json(
        self, url: str, document: Any, *, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """POST ``document`` as JSON (a webhook) under the same retries and error mapping.

        Examples
        --------
        >>> hook = httpx.MockTransport(lambda request: httpx.Response(204))
        >>> with HttpClient(source="webhook", cache_dir=None, offline_hint="",
        ...                 transport=hook) as client:
        ...     client.post_json("https://ops.example/hook", {"level": 2}).status_code
        204
        """
        return self.request("POST", url, json=document, headers=headers)

    def download(
        self,
        url: str,
        filename: str,
        *,
        headers: Mapping[str, str] | None = None,
        refresh: bool = False,
    ) -> Path:
        """Stream ``url`` to ``<cache>/<filename>``, or reuse the cached copy.

        A connection dropped mid-body restarts the download from the beginning.
        """
        target = self.cache / filename
        if not refresh and is_cached(target):
            return target

        def attempt() -> None:
            with self._client.stream("GET", url, headers=headers) as response:
                _raise_if_transient(response)
                if response.is_error:
                    response.read()
                    self._raise_for_status(response)
                with cache_write(target) as tmp, tmp.open("wb") as fh:
                    for chunk in response.iter_bytes(1 << 20):
                        fh.write(chunk)

        self._retrying(url, attempt)
        return target

    def _throttle(self) -> None:
        """Wait until ``1 / rate`` seconds have passed since the previous request began."""
        now = time.monotonic()
        if self._last_start is not None:
            delay = self._last_start + 1.0 / self.policy.rate - now
            if delay > 0:
                self.policy.sleep(delay)
                now += delay
        self._last_start = now

    def _retrying(self, url: str, attempt: Callable[[], T]) -> T:
        """Run ``attempt`` under the retry policy; map the final failure to the error tree."""
        policy = self.policy
        backoff = wait_exponential(multiplier=policy.backoff, max=policy.max_backoff)

        def failure(state: RetryCallState) -> BaseException | None:
            return state.outcome.exception() if state.outcome else None

        def wait(state: RetryCallState) -> float:
            exc = failure(state)
            if isinstance(exc, _Transient) and exc.retry_after is not None:
                return exc.retry_after
            return backoff(state)

        def stop(state: RetryCallState) -> bool:
            exc = failure(state)
            if isinstance(exc, _Transient) and (exc.retry_after or 0) > policy.max_retry_after:
                return True
            limit = policy.connect_attempts if isinstance(exc, _UNREACHABLE) else policy.attempts
            return state.attempt_number >= limit

        def throttled() -> T:
            self._throttle()
            return attempt()

        retrying = Retrying(
            retry=retry_if_exception_type((httpx.TransportError, _Transient)),
            wait=wait,
            stop=stop,
            sleep=policy.sleep,
            reraise=True,
        )
        host = httpx.URL(url).host
        try:
            return retrying(throttled)
        except _UNREACHABLE as exc:
            raise OfflineError(f"cannot reach {host}: offline? {self.offline_hint}") from exc
        except _Transient as exc:
            if (exc.retry_after or 0) > policy.max_retry_after:
                raise FetchError(
                    f"{host} is rate-limiting (HTTP {exc.status}) and asks to wait "
                    f"{exc.retry_after:.0f} s: try again later"
                ) from None
            raise FetchError(
                f"HTTP {exc.status} from {url} after {policy.attempts} tries: "
                f"{host} is failing, try again later"
            ) from None
        except _CUT_SHORT as exc:
            raise IncompleteError(
                f"connection to {host} dropped before {url} was complete "
                f"({policy.attempts} tries): {exc}"
            ) from exc
        except httpx.TransportError as exc:
            raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from exc

    def _raise_for_status(self, response: httpx.Response) -> None:
        if not response.is_error:
            return
        what = f"HTTP {response.status_code} from {response.request.url}: {response.text[:200]!r}"
        if response.status_code in (401, 403):
            raise AuthError(f"credentials refused ({what}); {self.auth_hint}".rstrip("; "))
        raise FetchError(what)


__all__ = [
    "DEFAULT_POLICY",
    "HttpClient",
    "HttpPolicy",
    "cache_write",
    "is_cached",
    "json_body",
    "sidecar",
    "url_with_params",
    "write_cache_csv",
]
