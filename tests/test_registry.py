"""The one registry idiom: a mapping by name whose typos list the valid names."""

from __future__ import annotations

import pytest

from sentinelle.errors import SentinelleError, UnknownNameError, UsageError
from sentinelle.registry import Registry


def test_reads_like_a_dict_in_insertion_order() -> None:
    things: Registry[int] = Registry("thing", {"b": 2})
    assert things.register("a", 1) == 1
    assert list(things) == ["b", "a"]
    assert things["a"] == 1 and "a" in things and "z" not in things and len(things) == 2
    assert things.get("z") is None and dict(things.items()) == {"b": 2, "a": 1}


def test_a_typo_names_the_kind_and_lists_the_valid_names() -> None:
    things: Registry[int] = Registry("forecast model", {"ensemble": 1, "lightgbm": 2})
    with pytest.raises(UnknownNameError) as caught:
        things["ensembel"]
    assert str(caught.value) == "unknown forecast model 'ensembel'; choose from: ensemble, lightgbm"
    # one except clause catches it whichever way the caller thinks of it
    assert isinstance(caught.value, KeyError | UsageError | ValueError | SentinelleError)
    assert caught.value.valid == ("ensemble", "lightgbm")


def test_plugins_register_and_unregister() -> None:
    things: Registry[str] = Registry("channel")
    things.register("webhook", "w")
    things.register("webhook", "w2")  # a later registration replaces the earlier one
    assert things["webhook"] == "w2"
    things.unregister("webhook")
    things.unregister("webhook")  # idempotent
    assert len(things) == 0
