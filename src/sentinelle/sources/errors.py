"""Errors raised while reading publishers' files and APIs.

The tree (catch the branch you can act on)::

    SentinelleError
    ├── IngestError                 nothing was stored; the store is as before
    │   ├── SourceFileError         the file cannot be opened or decoded at all
    │   └── SchemaError             the file lacks columns the source's layout requires
    └── FetchError                  a download did not complete; nothing was cached
        ├── OfflineError            the publisher cannot be reached (pass a local file)
        ├── AuthError               credentials missing or refused
        └── IncompleteError         fewer rows or bytes arrived than the publisher announced

Rows that can be read but not accepted (bad coordinates, unknown codes, duplicate ids)
are not errors: they go to the ``quarantine`` table and are counted in the report.
"""

from __future__ import annotations


class SentinelleError(Exception):
    """Base class of every error Sentinelle raises on purpose."""


class IngestError(SentinelleError):
    """An ingest was abandoned and rolled back."""


class SourceFileError(IngestError):
    """A file cannot be opened, unzipped or parsed as the source's format."""


class SchemaError(IngestError):
    """A file does not have the columns of the layout it claims to be."""


class FetchError(SentinelleError):
    """A download from a publisher failed."""


class OfflineError(FetchError):
    """The publisher is unreachable; the message says how to ingest a local file."""


class AuthError(FetchError):
    """Credentials are missing or were refused by the publisher."""


class IncompleteError(FetchError):
    """The download ended early or disagrees with the publisher's announced count."""
