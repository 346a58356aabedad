"""The translation catalogue and locale formatting of everything Sentinelle shows a reader.

Source strings are English, marked where they are written: ``_("...")``/``ngettext``
in Python (:class:`Translator` methods; :func:`N_` marks a string translated later)
and ``{{ _("...") }}``/``{% trans %}`` in the Jinja2 templates. The catalogue is text
under ``locale/``: the template ``sentinelle.pot`` and the French translation
``fr/LC_MESSAGES/sentinelle.po``. No compiled ``.mo`` is kept in the repository:
:func:`translations` compiles the ``.po`` in memory on first use, so the catalogue
read is always the one committed and a forgotten compile step cannot ship stale text.

French is written as a francophone analyst in Bamako or Dakar writes it: *décès*,
*civils tués* (not *victimes civiles*, which counts the wounded too), *violences contre
les civils*, *groupes armés*, alert levels *vigilance* and *alerte*, a space before
``:`` and ``;``, day-month-year dates, ``12 345,6`` numbers (Babel's CLDR data).
English uses British conventions (``1 March 2025``), usual in international briefings.

Adding or changing a string
---------------------------
Mark it in the code or template, then regenerate the template and merge it into the
French catalogue::

    .venv/bin/python -m sentinelle.i18n

(equivalently ``pybabel extract -F src/sentinelle/locale/babel.cfg -o
src/sentinelle/locale/sentinelle.pot src/sentinelle`` then ``pybabel update -i
src/sentinelle/locale/sentinelle.pot -d src/sentinelle/locale -D sentinelle``), write
the French ``msgstr`` of every new entry, and clear any ``fuzzy``
flag after checking the suggestion. ``tests/test_i18n.py`` fails while a marked
string has no French translation or the ``.pot`` is out of date.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Literal

from babel import Locale as BabelLocale
from babel.core import get_global
from babel.dates import format_date, format_skeleton
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.numbers import format_decimal, format_percent, get_plus_sign_symbol

from sentinelle.errors import UsageError
from sentinelle.geo import year_month

__all__ = [
    "DOMAIN",
    "LANGS",
    "N_",
    "Lang",
    "Translator",
    "country_name",
    "extract_messages",
    "translations",
    "translator",
    "update_catalogue",
]

Lang = Literal["en", "fr"]
LANGS: tuple[Lang, ...] = ("en", "fr")
DOMAIN = "sentinelle"

PACKAGE_DIR = Path(__file__).parent
LOCALE_DIR = PACKAGE_DIR / "locale"
POT_FILE = LOCALE_DIR / f"{DOMAIN}.pot"
MAPPING_FILE = LOCALE_DIR / "babel.cfg"
# Messages are extracted from the whole package: any module may show text to a reader.
SOURCE_DIR = PACKAGE_DIR

# CLDR locales used for numbers and dates of each language (see the module docstring).
_CLDR: dict[Lang, str] = {"en": "en_GB", "fr": "fr"}


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (translated when shown)."""
    return message


def po_file(lang: Lang) -> Path:
    """The ``.po`` file of a translated language."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: Lang) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang``, read from its ``.po`` once per process.

    English is the source language: its translations return the message itself.
    Fuzzy entries are not used (``write_mo`` skips them), so an unchecked suggestion
    falls back to English rather than showing a wrong French sentence.
    """
    if lang not in LANGS:
        raise UsageError(f"unknown language {lang!r}; expected one of {LANGS}")
    if lang == "en":
        return gettext.NullTranslations()
    with po_file(lang).open("rb") as handle:
        catalogue = read_po(handle, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


class Translator:
    r"""Translated text and locale-formatted numbers and dates for one language.

    Examples
    --------
    >>> fr = translator("fr")
    >>> fr.number(12345.6, 1), fr.month("2024-06"), fr.date(dt.date(2025, 3, 1))
    ('12\u202f345,6', 'juin 2024', '1 mars 2025')
    >>> en = translator("en")
    >>> en.number(12345.6, 1), en.month(534), en.date(dt.date(2025, 3, 1))
    ('12,345.6', 'June 2024', '1 March 2025')
    """

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self.locale = _CLDR[lang]
        self._translations = translations(lang)

    def gettext(self, message: str) -> str:
        """``message`` in this language."""
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The singular or plural form of a message for count ``n``, in this language."""
        return self._translations.ngettext(singular, plural, n)

    def number(self, value: float, digits: int = 0) -> str:
        """``value`` rounded to ``digits`` decimals with the locale's separators."""
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        # Adding 0.0 turns a rounded -0.0 into 0.0, which Babel would print as "-0".
        rounded = round(float(value), digits) + 0.0
        return format_decimal(rounded, format=pattern, locale=self.locale)

    def signed(self, value: float, digits: int = 0) -> str:
        """Like :meth:`number` with the locale's plus sign on increases, for changes."""
        return self._plus(value, self.number(value, digits))

    def percent(self, value: float, sign: bool = False) -> str:
        """A share (0.25) as a whole percentage in the locale's style (``25%``, ``25 %``).

        ``sign`` adds the plus sign to increases, for relative changes.
        """
        text = format_percent(float(value), locale=self.locale)
        return self._plus(value, text) if sign else text

    def _plus(self, value: float, text: str) -> str:
        """``text`` with a plus sign if ``value`` is an increase that shows as non-zero."""
        if value > 0 and any(c in "123456789" for c in text):
            return get_plus_sign_symbol(self.locale) + text
        return text

    def date(self, value: dt.date, length: Literal["long", "medium", "short"] = "long") -> str:
        """A day: ``1 mars 2025`` / ``1 March 2025`` (``long``), ``01/03/2025`` (``short``)."""
        return format_date(value, length, locale=self.locale)

    def month(self, value: int | str, short: bool = False) -> str:
        """A month from a VIEWS month id or ``'YYYY-MM'``: ``juin 2024`` / ``June 2024``.

        ``short`` abbreviates the month name (chart axes).
        """
        if isinstance(value, str):
            year, month = (int(part) for part in value.split("-"))
        else:
            year, month = year_month(int(value))
        skeleton = "yMMM" if short else "yMMMM"
        return format_skeleton(skeleton, dt.date(year, month, 1), locale=self.locale)


@cache
def translator(lang: Lang) -> Translator:
    """The (shared) :class:`Translator` of ``lang``."""
    return Translator(lang)


def country_name(iso3: str, lang: Lang) -> str:
    """The country's name in ``lang`` from CLDR (TCD: ``Tchad`` in French); ISO3 if unknown.

    Examples
    --------
    >>> country_name("TCD", "fr"), country_name("MLI", "en"), country_name("XXX", "fr")
    ('Tchad', 'Mali', 'XXX')
    """
    alpha2 = get_global("territory_aliases").get(iso3, [None])[0]
    names = BabelLocale.parse(translator(lang).locale).territories
    return str(names.get(alpha2, iso3))


def extract_messages() -> Catalog:
    """Every message marked in the package's code and templates, as a template catalogue.

    Uses the extraction rules of ``babel.cfg`` (the file ``pybabel extract -F`` reads).
    """
    with MAPPING_FILE.open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(MAPPING_FILE))  # type: ignore[no-untyped-call]
    catalogue = Catalog(
        project="Sentinelle",
        version=version("sentinelle"),
        copyright_holder="the Sentinelle contributors",
        domain=DOMAIN,
        charset="utf-8",
    )
    keywords = {"N_": None, "_": None, "gettext": None, "ngettext": (1, 2)}
    for filename, lineno, message, comments, context in extract_from_dir(
        str(SOURCE_DIR), method_map, options_map, keywords=keywords
    ):
        location = (f"sentinelle/{Path(filename).as_posix()}", lineno)
        catalogue.add(message, None, [location], auto_comments=comments, context=context)
    return catalogue


def update_catalogue() -> list[str]:
    """Regenerate ``sentinelle.pot`` and merge it into every ``.po``.

    Returns
    -------
    list of str
        Messages of the ``.po`` files still without a translation (new ones included).
    """
    template = extract_messages()
    with POT_FILE.open("wb") as handle:
        write_po(handle, template, width=88, sort_by_file=True, include_lineno=False)
    untranslated = []
    for lang in LANGS:
        if lang == "en":
            continue
        path = po_file(lang)
        with path.open("rb") as handle:
            catalogue = read_po(handle, locale=lang, domain=DOMAIN)
        catalogue.update(template)
        with path.open("wb") as handle:
            write_po(
                handle,
                catalogue,
                width=88,
                sort_by_file=True,
                ignore_obsolete=True,
                include_lineno=False,
            )
        untranslated += [f"{lang}: {m.id}" for m in catalogue if m.id and (not m.string or m.fuzzy)]
    return untranslated


if __name__ == "__main__":
    missing = update_catalogue()
    print(f"{POT_FILE} regenerated; {len(missing)} messages to translate")
    for line in missing:
        print("  " + line)
