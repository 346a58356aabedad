"""The error tree: one root, a branch per stage, distinct exit codes, built-in bases."""

from __future__ import annotations

import inspect

import sentinelle.errors as errors
from sentinelle.errors import (
    NoDataError,
    SentinelleError,
    StoreBusyError,
    UnknownNameError,
    UsageError,
)


def _classes() -> list[type[SentinelleError]]:
    return [
        c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, SentinelleError)
    ]


def test_every_error_is_drawn_in_the_tree_of_the_module_docstring() -> None:
    doc = errors.__doc__ or ""
    for cls in _classes():
        assert f" {cls.__name__} " in doc.replace("\n", " "), cls.__name__


def test_each_stage_has_its_own_exit_code_and_skipping_is_only_no_data() -> None:
    codes = {c.__name__: c.exit_code for c in _classes() if c.__base__ is SentinelleError}
    assert codes["UsageError"] == 2 and codes["NoDataError"] == 3
    assert len({codes[n] for n in ("UsageError", "NoDataError", "StoreError", "IngestError")}) == 4
    assert all(code != 0 for code in codes.values())
    # what the main job skips on is NoDataError alone: no other branch derives from it
    assert [c for c in _classes() if issubclass(c, NoDataError)] == [NoDataError]
    assert StoreBusyError.exit_code == 4


def test_branches_are_the_builtins_callers_expect() -> None:
    assert issubclass(UsageError, ValueError) and issubclass(NoDataError, LookupError)
    assert issubclass(UnknownNameError, KeyError)
    assert str(UnknownNameError("source", "gde", ["ged"])) == (
        "unknown source 'gde'; choose from: ged"
    )
