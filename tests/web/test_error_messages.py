"""API errors are raised as catalogue messages and said once, in the request's language.

Each kind of refusal (401, 403, 404, 409, 413, 422, 429) is asked for by a French and an
English reader: ``detail`` stays the English of the API's contract, ``message`` is the
catalogue's text in the reader's language (chosen by ``Accept-Language``, the
remembered cookie or ``?lang=``), and the 422 of a period says why in that language.
A scan of ``sentinelle/web`` fails on any error raised with an unmarked English string.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import sentinelle.web
from sentinelle.i18n import N_, Lang, translator
from sentinelle.web import create_app
from sentinelle.web.app import MAX_BODY_BYTES
from sentinelle.web.language import LANG_COOKIE
from sentinelle.web.messages import Message, word
from tests.web.conftest import PASSWORD, csrf, incident, settings_for, sign_in

LANGS: tuple[Lang, ...] = ("fr", "en")


@pytest.fixture(scope="module")
def web_app(store: duckdb.DuckDBPyConnection) -> FastAPI:
    return create_app(settings_for(":memory:", heavy_rate_limit="1000/minute"), store)


@pytest.fixture
def reader(web_app: FastAPI, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """A signed-out client whose browser prefers the test's language."""
    lang = request.param
    with TestClient(web_app, headers={"Accept-Language": lang}) as client:
        yield client


def said(response: object, lang: Lang, msgid: str, **params: object) -> str:
    """Check an API error says ``msgid`` in ``lang`` (and its English as ``detail``)."""
    body = response.json()  # type: ignore[attr-defined]
    message = Message(msgid, params)
    assert body["detail"] == str(message)
    assert body["message"] == message.say(lang)
    assert response.headers["content-language"] == lang  # type: ignore[attr-defined]
    if lang == "fr":
        assert translator("fr").gettext(msgid) != msgid, f"no French for {msgid!r}"
        assert body["message"] != body["detail"]
    else:
        assert body["message"] == body["detail"]
    return str(body["message"])


by_lang = pytest.mark.parametrize(("reader", "lang"), [(x, x) for x in LANGS], indirect=["reader"])


@by_lang
def test_401_sign_in_first(reader: TestClient, lang: Lang) -> None:
    response = reader.get("/api/incidents")
    assert response.status_code == 401
    text = said(response, lang, N_("sign in first (POST /api/login)"))
    assert text.startswith("connectez-vous" if lang == "fr" else "sign in first")
    wrong = reader.post(
        "/api/login", json={"username": "ana", "password": "not it"}, headers=csrf(reader)
    )
    assert wrong.status_code == 401
    said(wrong, lang, N_("wrong user name or password"))


@by_lang
def test_403_role_and_csrf(reader: TestClient, lang: Lang) -> None:
    headers = sign_in(reader, "vic")
    refused = reader.post("/api/incidents", json=incident(), headers=headers)
    assert refused.status_code == 403
    text = said(
        refused,
        lang,
        N_("this needs the %(role)s role; you are %(current)s"),
        role=word("analyst"),
        current=word("viewer"),
    )
    if lang == "fr":  # the roles are words of the sentence, translated with it
        assert text == "il faut le rôle analyste ; vous avez le rôle lecteur"
    forged = reader.post("/api/incidents", json=incident())
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    assert ("formulaire a expiré" in forged.json()["message"]) == (lang == "fr")


@by_lang
def test_404_nothing_stored_and_no_such_path(reader: TestClient, lang: Lang) -> None:
    impact = reader.get("/api/impact", params={"mission": "UNMISS"})
    assert impact.status_code == 404
    text = said(
        impact,
        lang,
        N_("no impact analysis stored for %(mission)s (run `sentinelle impact --mission ...`)"),
        mission="UNMISS",
    )
    assert "UNMISS" in text
    bases = reader.get("/api/bases", params={"mission": "UNMISS"})
    assert bases.status_code == 404
    said(bases, lang, N_("no deployments of mission '%(mission)s' in the store"), mission="UNMISS")
    nowhere = reader.get("/api/no-such-thing")
    assert nowhere.status_code == 404 and nowhere.json()["detail"] == "Not Found"
    assert nowhere.json()["message"] == translator(lang).gettext("this page does not exist")
    page = reader.get("/no-such-page")
    assert page.status_code == 404
    assert translator(lang).gettext("this page does not exist") in page.text


@by_lang
def test_409_taken_name_and_second_review(reader: TestClient, lang: Lang) -> None:
    headers = sign_in(reader, "ada")
    taken = reader.post(
        "/api/users", json={"username": "ana", "password": PASSWORD, "role": "viewer"},
        headers=headers,
    )  # fmt: skip
    assert taken.status_code == 409
    text = said(taken, lang, N_("user '%(name)s' already exists"), name="ana")
    assert text == (
        "l\u2019utilisateur « ana » existe déjà" if lang == "fr" else "user 'ana' already exists"
    )
    author = TestClient(reader.app)
    filed = author.post("/api/incidents", json=incident(), headers=sign_in(author, "ana")).json()
    path = f"/api/incidents/{filed['incident_id']}/review"
    assert reader.post(path, json={"decision": "confirmed"}, headers=headers).status_code == 200
    again = reader.post(path, json={"decision": "rejected"}, headers=headers)
    assert again.status_code == 409
    said(
        again,
        lang,
        N_("incident report %(id)s was already reviewed (%(status)s)"),
        id=filed["incident_id"],
        status=word("confirmed"),
    )


@by_lang
def test_413_body_too_large(reader: TestClient, lang: Lang) -> None:
    big = b"x" * (MAX_BODY_BYTES + 1)
    response = reader.post("/api/login", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    said(
        response,
        lang,
        N_("request body too large: the limit is %(kib)s KiB"),
        kib=MAX_BODY_BYTES // 1024,
    )
    assert response.json()["title"] == translator(lang).gettext("Request too large")


@by_lang
def test_422_period_field(reader: TestClient, lang: Lang) -> None:
    response = reader.get("/api/actors", params={"country": "MLI", "period": "last-summer"})
    assert response.status_code == 422
    assert response.headers["content-language"] == lang
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "period"]
    expected = "expected a year (2023), a month (2023-07) or a period (2023-07..2024-06)"
    assert error["msg"] == translator(lang).gettext(expected)
    assert error["msg"].startswith("attendu : une année" if lang == "fr" else "expected a year")
    reversed_ = reader.get("/api/actors", params={"country": "MLI", "period": "2020..2019"})
    (error,) = reversed_.json()["detail"]
    assert error["msg"] == translator(lang).gettext("the period ends before it starts")
    country = reader.get("/api/events", params={"country": "XYZ"}).json()["detail"][0]
    code = "code pays ISO3 inconnu : « XYZ »" if lang == "fr" else "unknown ISO3 country code 'XYZ'"
    assert country["msg"] == code and country["ctx"] == {"error": {}}
    order = reader.get("/api/events", params={"country": "MLI", "from": "2020-01", "to": "2019-01"})
    assert ("précède" in order.json()["detail"][0]["msg"]) == (lang == "fr")


@pytest.mark.parametrize("lang", LANGS)
def test_429_too_many_requests(store: duckdb.DuckDBPyConnection, lang: Lang) -> None:
    app = create_app(settings_for(":memory:", login_rate_limit="1/minute"), store)
    client = TestClient(app, headers={"Accept-Language": lang})
    headers = csrf(client)
    body = {"username": "ana", "password": "not it"}
    assert client.post("/api/login", json=body, headers=headers).status_code == 401
    limited = client.post("/api/login", json=body, headers=headers)
    assert limited.status_code == 429
    retry = int(limited.headers["retry-after"])
    text = said(
        limited,
        lang,
        N_("too many requests: the limit is %(amount)s per %(per)s %(unit)s; retry in %(retry)s s"),
        amount=1,
        per=1,
        unit=word("minute"),
        retry=retry,
    )
    assert "1 per 1 minute" in limited.json()["detail"]
    if lang == "fr":
        assert text.startswith("trop de requêtes : la limite est de 1 par 1 minute ;")


def test_the_language_is_the_cookie_or_the_url_parameter(web_app: FastAPI) -> None:
    client = TestClient(web_app, headers={"Accept-Language": "en"})
    client.cookies.set(LANG_COOKIE, "fr")
    assert client.get("/api/incidents").json()["message"].startswith("connectez-vous")
    english = client.get("/api/incidents", params={"lang": "en"}).json()
    assert english["message"] == english["detail"] == "sign in first (POST /api/login)"


def test_a_page_says_the_refusal_in_its_language(web_app: FastAPI) -> None:
    client = TestClient(web_app, headers={"Accept-Language": "fr"})
    sign_in(client, "vic")
    page = client.get("/users")
    assert page.status_code == 403 and "text/html" in page.headers["content-type"]
    assert "il faut le rôle administrateur ; vous avez le rôle lecteur" in page.text


# ----------------------------------------------------------- no unmarked English raised

WEB_DIR = Path(sentinelle.web.__file__).parent
# Calls whose text reaches a reader: HTTP errors, catalogue errors and validators' refusals.
ERRORS = {
    "HTTPException", "StarletteHTTPException", "WebError", "Explained", "InvalidValue",
    "NotStored", "AccountError", "UnknownUserError", "ReviewError", "StoreBusy", "ValueError",
    "invalid",
}  # fmt: skip


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _is_text(node: ast.expr) -> bool:
    """A literal, an f-string or a formatted or joined string: English written in place."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    return False


def unmarked_raises(source: str) -> list[int]:
    """Lines of ``source`` raising an error (or building one) with an unmarked string:
    a literal or f-string instead of ``N_("...")``, or a module constant holding one."""
    tree = ast.parse(source)
    plain = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign) and _is_text(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _name(node.func) in ERRORS):
            continue
        values = [*node.args, *(k.value for k in node.keywords if k.arg == "detail")]
        if any(_is_text(v) or (isinstance(v, ast.Name) and v.id in plain) for v in values):
            found.append(node.lineno)
    return found


def test_no_error_in_web_is_raised_with_unmarked_english() -> None:
    offenders = {
        str(path.relative_to(WEB_DIR)): lines
        for path in sorted(WEB_DIR.rglob("*.py"))
        if (lines := unmarked_raises(path.read_text(encoding="utf-8")))
    }
    assert not offenders, f"errors raised with unmarked text (use N_): {offenders}"


@pytest.mark.parametrize(
    "source",
    [
        'raise HTTPException(404, "no such thing")',
        'raise HTTPException(status_code=404, detail="no such thing")',
        'raise HTTPException(404, f"no report {n}")',
        'raise WebError(403, "not for you")',
        'raise ValueError("the date is wrong")',
        'raise HTTPException(409, "taken: %s" % name)',
        'MESSAGE = "refused"\nraise WebError(403, MESSAGE)',
    ],
)
def test_the_scan_catches_unmarked_strings(source: str) -> None:
    assert unmarked_raises(source)


def test_the_scan_passes_marked_messages() -> None:
    marked = (
        'M = N_("refused")\nraise WebError(403, M)\n'
        'raise WebError(404, N_("no report %(id)s"), id=n)\n'
        "raise HTTPException(404, str(exc))\n"
    )
    assert unmarked_raises(marked) == []
