"""The command line in French: every help text is a catalogue message translated into
French, ``--help`` and messages follow ``--lang``, ``SENTINELLE_LANG`` and the locale."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from typer import rich_utils
from typer.testing import CliRunner

from sentinelle.cli import app
from sentinelle.cli._common import set_lang
from sentinelle.cli._help import TranslatedCommand, TranslatedGroup, help_msgid
from sentinelle.i18n import po_file, translator

runner = CliRunner()
# No language chosen: what the locale says (English here, French with LANG=fr_FR).
NEUTRAL = {"SENTINELLE_LANG": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": "C.UTF-8"}
_EXAMPLE = re.compile(r"\[bold\](.*?)\[/\]", re.S)
_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z-]*")
_CODE = re.compile(r"`[^`]+`")


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    """Leave the command line's language as other tests expect it."""
    yield
    set_lang("en")


@pytest.fixture(scope="module")
def french() -> Catalog:
    with po_file("fr").open("rb") as handle:
        return read_po(handle, locale="fr")


def _walk(command: Any, name: str, parent: Any = None) -> Iterator[tuple[str, Any, Any]]:
    """Every command and group under ``command``, with a context to read its params."""
    ctx = command.context_class(command, info_name=name, parent=parent)
    yield ctx.command_path, command, ctx
    for sub_name, sub in getattr(command, "commands", {}).items():
        yield from _walk(sub, sub_name, ctx)


def _help_texts() -> list[tuple[str, str]]:
    """(where, text) of every help text of the app: commands, groups, options, arguments."""
    found = []
    for path, command, ctx in _walk(typer.main.get_command(app), "sentinelle"):
        for attribute in ("help", "short_help"):
            if getattr(command, attribute):
                found.append((f"{path} ({attribute})", getattr(command, attribute)))
        for param in command.get_params(ctx):
            found.append((f"{path} {param.name}", param.help or ""))
    return found


def test_every_command_and_group_translates_its_help() -> None:
    walked = list(_walk(typer.main.get_command(app), "sentinelle"))
    assert len(walked) > 20
    wrong = [
        path
        for path, command, _ in walked
        if not isinstance(command, TranslatedCommand | TranslatedGroup)
    ]
    assert not wrong, f"registered without cls=TranslatedCommand/TranslatedGroup: {wrong}"


@pytest.mark.parametrize(("where", "text"), _help_texts(), ids=lambda v: str(v)[:60])
def test_help_text_is_a_french_catalogue_message(french: Catalog, where: str, text: str) -> None:
    assert text, f"{where} has no help"
    msgid = help_msgid(text)
    entry = french.get(msgid)
    assert entry is not None, f"{where}: not a catalogue message: {msgid!r}"
    assert entry.string and not entry.fuzzy, f"{where}: no French translation: {msgid!r}"
    # Examples stay commands, and the options and commands a text names stay as typed.
    fr = str(entry.string)
    assert _EXAMPLE.findall(fr) == _EXAMPLE.findall(msgid), where
    assert sorted(_OPTION.findall(fr)) == sorted(_OPTION.findall(msgid)), where
    assert sorted(_CODE.findall(fr)) == sorted(_CODE.findall(msgid)), where
    assert fr.count("Exemple :") == msgid.count("Example:"), where


def _help(args: list[str], **env: str | None) -> str:
    env = {**NEUTRAL, "COLUMNS": "100", **env}
    result = runner.invoke(app, args, env=env, prog_name="sentinelle")
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--lang", "fr", "ingest", "--help"], {}),
        (["ingest", "--help"], {"SENTINELLE_LANG": "fr"}),
        (["ingest", "--help"], {"LANG": "fr_FR.UTF-8"}),
    ],
    ids=["--lang", "SENTINELLE_LANG", "LANG"],
)
def test_ingest_help_in_french(args: list[str], env: dict[str, str]) -> None:
    text = _help(args, **env)
    for french in (
        "Utilisation : sentinelle ingest",
        "Importe un fichier de SOURCE dans la base de données, en une seule transaction.",
        "Exemple : sentinelle ingest ged ~/Downloads/ged251-csv.zip",
        "L\u2019une de : ged,",  # a help text with values filled in
        "Fichier de la base de données DuckDB",
        "[obligatoire]",
        "Afficher ce message et quitter.",
    ):
        assert french in text
    for english in ("Ingest a file", "Example:", "Usage:", "One of:", "[required]", "Show this"):
        assert english not in text


def test_forecast_help_in_french_and_english() -> None:
    french = _help(["forecast", "--help"], SENTINELLE_LANG="fr")
    assert "Prévisions probabilistes du nombre de décès" in french
    assert "Exemple : sentinelle forecast --unit pgm --target civ_deaths" in french
    assert "Tirages par unité-mois" in french and "[par défaut : 1000]" in french
    assert "Probabilistic" not in french and "draws per unit-month" not in french
    # The same objects, asked again in English: the messages were put back.
    english = _help(["forecast", "--help"])
    assert (
        "Probabilistic fatality forecasts" in english and "Example: sentinelle forecast" in english
    )
    assert "Prévisions" not in english and "[default: 1000]" in english


def test_command_lists_in_french() -> None:
    top = _help(["--lang", "fr", "--help"])  # --lang before --help, parsed before it
    assert "Commandes" in top and "Sentinelle : alerte précoce" in top
    assert "Importe un fichier de SOURCE" in top and "Panels unité-mois" in top
    assert "Commands" not in top and "Ingest a file" not in top
    panel = _help(["panel", "--help"], LANG="fr_FR.UTF-8")
    assert "Construit un panel unité-mois complet" in panel
    assert "Exemple : sentinelle panel build --unit cm" in panel
    impact = _help(["--lang", "fr", "impact", "--help"])
    assert "Estime l\u2019effet des fermetures (ou ouvertures) d\u2019emprises" in impact
    assert "compare Arrivées et retraits de plusieurs missions" in impact
    assert "Estimate what base closures" not in impact


def test_typer_words_are_put_back_after_a_french_invocation() -> None:
    _help(["--lang", "fr", "users", "--help"])
    assert rich_utils.COMMANDS_PANEL_TITLE == "Commands"
    assert rich_utils.REQUIRED_LONG_STRING == "[required]"


def test_messages_and_usage_errors_in_french(tmp_path: Path) -> None:
    env = {**NEUTRAL, "COLUMNS": "100"}
    missing = tmp_path / "none.duckdb"
    status = runner.invoke(app, ["--lang", "fr", "status", "--store", str(missing)], env=env)
    assert status.exit_code == 0, status.output
    text = " ".join(status.output.split())
    assert f"Pas encore de base de données à {missing} : commencez par `sentinelle ingest`" in text
    assert "No store" not in text

    refused = runner.invoke(
        app, ["ingest", "ged", "x.csv", "--series", "s", "--store", str(missing)],
        env={**env, "SENTINELLE_LANG": "fr"},
    )  # fmt: skip
    assert refused.exit_code == 2
    assert "erreur : --series est réservé à acled-hdx, pas à ged" in refused.output

    usage = runner.invoke(app, ["--lang", "fr", "impact"], env=env, prog_name="sentinelle")
    assert usage.exit_code == 2
    text = " ".join(usage.output.split())
    assert "Erreur" in text and "Pour l\u2019aide : 'sentinelle impact --help'" in text
    assert (
        "Valeur refusée : --mission (ou --missions) est obligatoire (par exemple MINUSMA)" in text
    )
    assert "Invalid value" not in text and "Error" not in text


def test_english_stays_english() -> None:
    text = _help(["ingest", "--help"])
    assert "Ingest a file of SOURCE into the store" in text and "Importe" not in text
    assert translator("en").gettext("Report") == "Report"
