"""Errors the dashboard raises as catalogue messages, translated once where they are answered.

A refusal is raised where it is decided, already as a message of the catalogue: an
``N_``-marked English msgid with ``%(name)s`` placeholders and their values
(:class:`Message`). Nothing downstream reads English text to find out what it said:

- :class:`WebError` is an ``HTTPException`` carrying its :class:`Message`; its
  ``detail`` is the English text (the API's contract), and the app's handler
  (:mod:`sentinelle.web.app`) says it in the request's language
  (:func:`~sentinelle.web.language.request_lang`) as the body's ``message`` or on the
  error page.
- :class:`InvalidValue` is the ``ValueError`` a validator of a query parameter or a
  body raises: FastAPI answers 422 naming the field, and the handler writes its
  ``msg`` in the request's language.
- :class:`Explained` is the mixin of an error raised below the routes (an account
  that cannot be created, a review that cannot be made, :class:`NotStored` data)
  that a route turns into a :class:`WebError` with the same message
  (:meth:`WebError.of`).

A value that is itself a word of the catalogue (a role, a unit of time) is passed as
a :class:`Message` too, and translated with the sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from fastapi import HTTPException

from sentinelle.errors import NoDataError
from sentinelle.i18n import Lang, country_name, translator

__all__ = [
    "Explained",
    "InvalidValue",
    "Message",
    "NotStored",
    "Said",
    "WebError",
    "country",
    "refusal",
    "word",
]


@dataclass(frozen=True)
class Message:
    """A catalogue message: an English ``msgid`` (marked with ``N_`` where it is written)
    and the values of its ``%(name)s`` placeholders.

    Examples
    --------
    >>> from sentinelle.i18n import N_
    >>> role = Message(N_("analyst"))
    >>> m = Message(N_("this needs the %(role)s role; you are %(current)s"),
    ...             {"role": role, "current": Message(N_("viewer"))})
    >>> str(m)
    'this needs the analyst role; you are viewer'
    >>> m.say("fr")
    'il faut le rôle analyste ; vous avez le rôle lecteur'
    """

    msgid: str
    params: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    def say(self, lang: Lang) -> str:
        """The message in ``lang``, placeholders filled (words among them translated)."""
        text = translator(lang).gettext(self.msgid)
        if not self.params:
            return text
        values = {k: v.say(lang) if isinstance(v, Message) else v for k, v in self.params.items()}
        return text % values

    def __str__(self) -> str:
        return self.say("en")


def word(text: str) -> Message:
    """A word of the catalogue marked elsewhere (a role, a unit), as a placeholder value."""
    return Message(text)


class Said(Message):
    """A placeholder value said in each language by a function of the language (a
    country's name from CLDR, what a country's admin units are called), not by the
    catalogue; its ``msgid`` is its English.

    Examples
    --------
    >>> from sentinelle.i18n import N_
    >>> m = Message(N_("no events of %(country)s in the store"), {"country": country("TCD")})
    >>> str(m), m.say("fr").startswith("Tchad")
    ('no events of Chad in the store', True)
    """

    def __init__(self, speak: Callable[[Lang], str]) -> None:
        super().__init__(speak("en"))
        object.__setattr__(self, "_speak", speak)

    def say(self, lang: Lang) -> str:
        speak: Callable[[Lang], str] = object.__getattribute__(self, "_speak")
        return speak(lang)


def country(iso3: str) -> Said:
    """A country (ISO3) as a placeholder value: its name in the reader's language."""
    return Said(lambda lang: country_name(iso3, lang))


class Explained(Exception):
    """An error whose text is a catalogue :class:`Message` (``str()`` is its English)."""

    def __init__(self, msgid: str, /, **params: Any) -> None:
        self.message = Message(msgid, params)
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)


class InvalidValue(Explained, ValueError):
    """A validator's refusal of a value: a 422 naming the field, said in the reader's language.

    Examples
    --------
    >>> from sentinelle.i18n import N_
    >>> str(InvalidValue(N_("unknown ISO3 country code '%(code)s'"), code="XYZ"))
    "unknown ISO3 country code 'XYZ'"
    """


class NotStored(Explained, NoDataError):
    """The store lacks what a read needs (the API answers 404), said as a catalogue message."""


class WebError(HTTPException):
    """An HTTP error whose ``detail`` is a catalogue message (English in ``detail``,
    the reader's language in the answer's ``message``).

    ``WebError(404, N_("no incident report %(id)s"), id=7)``; ``headers`` as for
    ``HTTPException`` (``Retry-After``).
    """

    def __init__(
        self,
        status_code: int,
        msgid: str,
        /,
        headers: Mapping[str, str] | None = None,
        **params: Any,
    ) -> None:
        self.message = Message(msgid, params)
        super().__init__(status_code, str(self.message), dict(headers) if headers else None)

    @classmethod
    def of(
        cls,
        status_code: int,
        said: Explained | Message,
        headers: Mapping[str, str] | None = None,
    ) -> WebError:
        """The HTTP error saying what ``said`` (an :class:`Explained` error or a
        :class:`Message`) says."""
        message = said.message if isinstance(said, Explained) else said
        return cls(status_code, message.msgid, headers, **message.params)


def refusal(status_code: int, error: Exception) -> HTTPException:
    """The HTTP error saying what ``error`` says: a :class:`WebError` with its message
    when it is :class:`Explained`, else its text as it is (English only: an error of a
    lower layer not written as a catalogue message yet)."""
    if isinstance(error, Explained):
        return WebError.of(status_code, error)
    return HTTPException(status_code, str(error))
