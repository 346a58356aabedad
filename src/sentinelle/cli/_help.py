"""The command line's help in the reader's language: commands, options and Typer's words.

Every help text (a command's, an option's or an argument's) is an English message of
the catalogue, marked with :func:`~sentinelle.i18n.N_` where it is declared, and is
translated when the help is shown. :class:`TranslatedCommand` and
:class:`TranslatedGroup` (the ``cls`` of every command and group of the app) swap each
text for its translation while Typer renders the help, then put the message back, so
the click objects keep the catalogue's messages. A help text with values filled in
when the module loads (the list of sources, plug-ins included) is declared with
:func:`help_text`, which remembers its message and values.

The language is that of the invocation: ``--lang``, else ``SENTINELLE_LANG``, else the
locale of the environment. :meth:`TranslatedGroup.main` reads it before Typer parses
the command line, so ``sentinelle --lang fr --help`` and the usage errors of the
command line are in French too; Typer's own words (panel titles, ``[required]``,
"Try ... for help") are translated for the length of the invocation.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from typer import rich_utils
from typer.core import TyperCommand, TyperGroup

from sentinelle.cli._common import cli_lang, set_lang
from sentinelle.i18n import LANGS, N_, Translator, translator

if TYPE_CHECKING:
    from typer._click import Context, HelpFormatter

__all__ = ["TranslatedCommand", "TranslatedGroup", "help_msgid", "help_text", "translate_help"]

# Help texts with values filled in: the text shown in English -> (message, values).
_FORMATTED: dict[str, tuple[str, dict[str, str]]] = {}

# Help texts Typer and click write themselves (the --help and completion options).
TYPER_HELP = (
    N_("Show this message and exit."),
    N_("Install completion for the current shell."),
    N_("Show completion for the current shell, to copy it or customize the installation."),
)

# Typer's own words in the help and error panels (rich_utils), by constant.
_RICH_WORDS = {
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "ERRORS_PANEL_TITLE": N_("Error"),
    "DEFAULT_STRING": N_("[default: {}]"),
    "ENVVAR_STRING": N_("[env var: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "DEPRECATED_STRING": N_("(deprecated) "),
    "ABORTED_TEXT": N_("Aborted."),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
}
_USAGE = N_("Usage:")


def help_text(message: str, **values: object) -> str:
    """``message`` with its ``%(name)s`` placeholders filled, translated when shown.

    For help texts that list what is only known when the module loads (sources,
    series, models): the English text is returned, and its message and values are
    kept for the translation.
    """
    filled = {name: str(value) for name, value in values.items()}
    text = message % filled
    _FORMATTED[text] = (message, filled)
    return text


def help_msgid(text: str) -> str:
    """The catalogue message of a help text (the text itself unless from :func:`help_text`)."""
    return _FORMATTED.get(text, (text, {}))[0]


def translate_help(text: str, t: Translator) -> str:
    """A help text in the language of ``t``."""
    message, values = _FORMATTED.get(text, (text, {}))
    translated = t.gettext(message)
    return translated % values if values else translated


@contextmanager
def _translated(command: Any, ctx: Context) -> Iterator[None]:
    """The help texts of ``command``, its parameters and its subcommands translated
    for the length of the block, then put back."""
    t = translator(cli_lang())
    saved: list[tuple[object, str, str]] = []

    def swap(item: object, attribute: str) -> None:
        text = getattr(item, attribute, None)
        if text:
            saved.append((item, attribute, text))
            setattr(item, attribute, translate_help(text, t))

    for attribute in ("help", "short_help", "epilog"):
        swap(command, attribute)
    for param in command.get_params(ctx):
        swap(param, "help")
    if isinstance(command, TyperGroup):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            swap(sub, "help")
            swap(sub, "short_help")
    try:
        yield
    finally:
        for item, attribute, text in reversed(saved):
            setattr(item, attribute, text)


@contextmanager
def _typer_words(t: Translator) -> Iterator[None]:
    """Typer's panel titles and notes (``rich_utils``) in the language of ``t``."""
    saved = {name: getattr(rich_utils, name) for name in _RICH_WORDS}
    for name, message in _RICH_WORDS.items():
        setattr(rich_utils, name, t.gettext(message))
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(rich_utils, name, value)


def _format_usage(command: Any, ctx: Context, formatter: HelpFormatter) -> None:
    """The usage line with its prefix in the reader's language."""
    pieces = command.collect_usage_pieces(ctx)
    prefix = translator(cli_lang()).gettext(_USAGE) + " "
    formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=prefix)


class TranslatedCommand(TyperCommand):
    """A command whose help is shown in the command line's language."""

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        with _translated(self, ctx):
            super().format_help(ctx, formatter)

    def format_usage(self, ctx: Context, formatter: HelpFormatter) -> None:
        _format_usage(self, ctx, formatter)


class TranslatedGroup(TyperGroup):
    """A group whose help, and its command list, are shown in the command line's
    language; as the app's group, it sets that language before parsing."""

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        with _translated(self, ctx):
            super().format_help(ctx, formatter)

    def format_usage(self, ctx: Context, formatter: HelpFormatter) -> None:
        _format_usage(self, ctx, formatter)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        set_lang(self._requested_lang(argv, prog_name))
        with _typer_words(translator(cli_lang())):
            return super().main(
                argv, prog_name, complete_var, standalone_mode, windows_expand_args, **extra
            )

    def _requested_lang(self, argv: list[str], prog_name: str | None) -> str | None:
        """The ``--lang`` of the command line (or ``SENTINELLE_LANG``) if valid, parsed
        without running anything; an invalid one is reported by the real parse."""
        try:
            name = prog_name or "sentinelle"
            with self.make_context(name, list(argv), resilient_parsing=True) as ctx:
                value = ctx.params.get("lang")
        except Exception:  # the real parse that follows reports what is wrong
            return None
        return value if value in LANGS else None
