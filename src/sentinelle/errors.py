"""Every error Sentinelle raises on purpose, one tree for all stages.

The tree (catch the branch you can act on)::

    SentinelleError                  exit 1 unless a branch says otherwise
    ├── UsageError                   a value given to a command or function is not one
    │   │                            Sentinelle accepts (exit 2; also a ValueError)
    │   └── UnknownNameError         a registry has no entry of that name; the message
    │                                lists the valid ones (also a KeyError)
    ├── NoDataError                  the store lacks what the job needs: the main job
    │                                skips the stage with this reason (exit 3; also a
    │                                LookupError)
    ├── StoreError                   the store cannot be opened or written (exit 4)
    │   ├── StoreBusyError           another process holds the store's lock
    │   ├── StoreReadOnlyError       the store or its folder is read-only
    │   └── DiskFullError            no space left to write
    ├── IngestError                  nothing was stored; the store is as before (exit 5)
    │   ├── SourceFileError          the file cannot be opened or decoded at all
    │   └── SchemaError              the file lacks columns its layout requires
    ├── FetchError                   a download did not complete; nothing was cached (exit 6)
    │   ├── OfflineError             the publisher cannot be reached (pass a local file)
    │   ├── AuthError                credentials missing or refused
    │   └── IncompleteError          fewer rows or bytes arrived than announced
    ├── PanelError                   a panel cannot be built or fails its checks (exit 7)
    ├── ForecastError                a model cannot fit or sample (exit 7)
    ├── ImpactError                  an impact design cannot be estimated (exit 7)
    ├── AlertError                   alert rules cannot run (exit 7)
    │   └── DeliveryError            a channel refused or could not take an alert
    └── ReportError                  a briefing or export cannot be written (exit 7)

Rows that can be read but not accepted (bad coordinates, unknown codes, duplicate ids)
are not errors: they go to the ``quarantine`` table and are counted in the report.
Several branches also derive from the built-in exception a caller would expect
(``ValueError`` for a bad value, ``LookupError`` for missing data), so code written
against the built-ins keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable


class SentinelleError(Exception):
    """Base class of every error Sentinelle raises on purpose.

    ``exit_code`` is the command line's exit status for this branch.
    """

    exit_code = 1


class UsageError(SentinelleError, ValueError):
    """An option or argument has a value Sentinelle does not accept."""

    exit_code = 2


class UnknownNameError(UsageError, KeyError):
    """A registry was asked for a name it does not hold; the message lists the valid ones.

    Examples
    --------
    >>> str(UnknownNameError("forecast model", "ensembel", ["ensemble", "lightgbm"]))
    "unknown forecast model 'ensembel'; choose from: ensemble, lightgbm"
    """

    def __init__(self, kind: str, name: str, valid: Iterable[str]) -> None:
        self.kind = kind
        self.name = name
        self.valid = tuple(valid)
        super().__init__(f"unknown {kind} {name!r}; choose from: {', '.join(self.valid)}")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class NoDataError(SentinelleError, LookupError):
    """The store has no data for what was asked; the message says what to ingest."""

    exit_code = 3


class StoreError(SentinelleError):
    """The store cannot be opened or written."""

    exit_code = 4


class StoreBusyError(StoreError):
    """Another process holds the store (DuckDB allows one writer per file)."""


class StoreReadOnlyError(StoreError):
    """The store, or the folder it would be created in, cannot be written."""


class DiskFullError(StoreError):
    """The disk has no space left for the store's writes."""


class IngestError(SentinelleError):
    """An ingest was abandoned and rolled back."""

    exit_code = 5


class SourceFileError(IngestError):
    """A file cannot be opened, unzipped or parsed as the source's format."""


class SchemaError(IngestError):
    """A file does not have the columns of the layout it claims to be."""


class FetchError(SentinelleError):
    """A download from a publisher failed."""

    exit_code = 6


class OfflineError(FetchError):
    """The publisher is unreachable; the message says how to ingest a local file."""


class AuthError(FetchError):
    """Credentials are missing or were refused by the publisher."""


class IncompleteError(FetchError):
    """The download ended early or disagrees with the publisher's announced count."""


class PanelError(SentinelleError, ValueError):
    """A panel cannot be built from the request, or a built panel fails its checks."""

    exit_code = 7


class ForecastError(SentinelleError, ValueError):
    """A forecast cannot be made as asked (origin, horizons, target, model)."""

    exit_code = 7


class ImpactError(SentinelleError, ValueError):
    """An impact design cannot be estimated (no treated units, no controls...)."""

    exit_code = 7


class AlertError(SentinelleError):
    """Alert rules cannot run as asked."""

    exit_code = 7


class DeliveryError(AlertError):
    """A delivery channel refused an alert or could not be reached."""


class ReportError(SentinelleError):
    """A briefing, chart or export cannot be written."""

    exit_code = 7
