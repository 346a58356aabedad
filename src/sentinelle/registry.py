"""The one idiom for everything pluggable: a name → factory mapping.

Sources, panel engines, forecast models, impact estimators, alert rules and delivery
channels each keep one :class:`Registry`. It reads like the ``dict`` it wraps
(``name in MODELS``, ``MODELS[name]``, ``list(MODELS)``); a name it does not hold
raises :class:`~sentinelle.errors.UnknownNameError`, which lists the valid names, so a
typo on the command line gets a one-line answer. Plug-ins add themselves with
:meth:`Registry.register`, and the CLI and the main job pick them up from the same
mapping (``docs/extending.md``).

Examples
--------
>>> ENGINES: Registry[str] = Registry("panel engine")
>>> ENGINES.register("duckdb", "the embedded engine")
'the embedded engine'
>>> ENGINES["spark"]
Traceback (most recent call last):
...
sentinelle.errors.UnknownNameError: unknown panel engine 'spark'; choose from: duckdb
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TypeVar

from sentinelle.errors import UnknownNameError

T = TypeVar("T")


class Registry(Mapping[str, T]):
    """Named entries of one kind (``kind`` names it in error messages), in insertion order."""

    def __init__(self, kind: str, entries: Mapping[str, T] | None = None) -> None:
        self.kind = kind
        self._entries: dict[str, T] = dict(entries or {})

    def register(self, name: str, entry: T) -> T:
        """Add ``entry`` under ``name`` (replacing one of the same name) and return it."""
        self._entries[name] = entry
        return entry

    def unregister(self, name: str) -> None:
        """Remove ``name`` (tests that register a plug-in take it out again)."""
        self._entries.pop(name, None)

    def __getitem__(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(self.kind, name, self._entries) from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {list(self._entries)})"
