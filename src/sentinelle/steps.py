"""Progress of long work: the one ``Step`` callback every stage reports through.

A job calls ``step("what starts now")`` as each part begins; the CLI passes a Rich
progress line, the dashboard and tests pass :func:`no_step`.
"""

from __future__ import annotations

from collections.abc import Callable

Step = Callable[[str], None]


def no_step(_: str) -> None:
    """A :data:`Step` that shows nothing."""
