"""The translation catalogue: complete, current, placeholders intact; locale formats."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from sentinelle.i18n import (
    POT_FILE,
    Translator,
    extract_messages,
    po_file,
    translations,
    translator,
)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


def _read(path: object) -> Catalog:
    with open(str(path), "rb") as handle:
        return read_po(handle)


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    return extract_messages()


def test_every_message_has_a_french_translation(extracted: Catalog) -> None:
    french = _read(po_file("fr"))
    problems = []
    for message in extracted:
        if not message.id:
            continue
        entry = french.get(message.id)
        strings = entry.string if entry is not None else None
        forms = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(forms):
            problems.append(message.id)
    assert len(extracted) > 100  # the extraction found the code and the template
    assert not problems, f"untranslated or fuzzy in fr: {problems}"


def test_template_is_up_to_date(extracted: Catalog) -> None:
    """The committed .pot lists exactly the messages of the code (run i18n to update)."""
    committed = {m.id for m in _read(POT_FILE) if m.id}
    current = {m.id for m in extracted if m.id}
    assert current - committed == set(), "messages missing from sentinelle.pot"
    assert committed - current == set(), "sentinelle.pot lists messages no longer used"


def test_translations_keep_their_placeholders() -> None:
    for message in _read(po_file("fr")):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = sorted(_PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert sorted(_PLACEHOLDER.findall(string)) == wanted, message.id


def test_catalogue_is_compiled_once_and_used() -> None:
    assert translations("fr") is translations("fr")
    fr = translator("fr")
    assert fr.gettext("Key numbers") == "Chiffres clés"
    assert translator("en").gettext("Key numbers") == "Key numbers"
    # French plural: 0 and 1 take the singular.
    assert fr.ngettext(
        "%(num)s event in %(month)s, sized by deaths (%(source)s).",
        "%(num)s events in %(month)s, sized by deaths (%(source)s).",
        0,
    ).startswith("%(num)s événement en")
    with pytest.raises(ValueError, match="unknown language"):
        translations("de")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("lang", "number", "change", "share", "day", "month"),
    [
        ("fr", "12\u202f345,6", "+1\u202f234", "-21\u00a0%", "1 mars 2025", "juin 2024"),
        ("en", "12,345.6", "+1,234", "-21%", "1 March 2025", "June 2024"),
    ],
)
def test_locale_formats(
    lang: str, number: str, change: str, share: str, day: str, month: str
) -> None:
    t = Translator(lang)  # type: ignore[arg-type]
    assert t.number(12345.6, 1) == number
    assert t.signed(1234) == change and t.signed(-0.2) == "0"
    assert t.percent(-0.213) == share and t.percent(0.004, sign=True) == t.percent(0)
    assert t.date(dt.date(2025, 3, 1)) == day
    assert t.month("2024-06") == month and t.month(534) == month
