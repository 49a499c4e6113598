"""The API's leftovers: subscribe bodies held to their schema, Allow and the schema agreeing,
the search feed's category shape, cross-origin subscriptions, and account tooling (DELETE
/api/me, `paperfeed user delete`, `paperfeed user passwd`), on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from paperfeed.cli import app as cli
from paperfeed.digest.api_doc import LISTS, SubscribeJson, schema_problem
from paperfeed.settings import Settings
from paperfeed.store.accounts import find_user, users
from paperfeed.store.digests import find_subscriber
from paperfeed.store.jobs import admin_actions
from paperfeed.store.library import feed_token_user, new_feed_token
from tests.digest_support import Sink
from tests.web_support import bearer, client

PASSWORD = "correct horse battery"
APP_ORIGIN = "https://app.example.org"


@pytest.fixture
def mailing(site: Settings, sink: Sink) -> Settings:
    return site.model_copy(update={"smtp_port": sink.port, "digest_send_rate": 0})


# --- POST /api/subscribe holds a body to its schema ------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("authors", 5),
        ("authors", {"name": "Ada"}),
        ("keywords", [1, 2]),
        ("skip_weekends", "yes"),
        ("include_trending", 1),
        ("frequency", "Daily"),
        ("weekday", "3"),
        ("max_papers", "20"),
    ],
)
def test_a_body_that_breaks_the_schema_is_a_422_naming_the_field(
    mailing: Settings, engine: Engine, sink: Sink, field: str, value: object
) -> None:
    """Each was taken (202, a confirmation mail) though the published schema refuses it."""
    body = {"email": "bad@example.org", field: value}
    with client(mailing, engine) as c:
        schema = _subscribe_schema(c.get("/openapi.json").json())
        got = c.post("/api/subscribe", json=body)
    assert not jsonschema_rs.validator_for(schema).is_valid(body)  # the document refuses it
    assert got.status_code == 422, got.text
    assert got.json()["detail"].startswith(f"{field}: "), got.json()
    assert sink.received == []
    with engine.connect() as conn:
        assert find_subscriber(conn, "bad@example.org") is None


def test_what_the_schema_allows_is_still_taken(mailing: Settings, engine: Engine) -> None:
    body = {
        "email": "good@example.org",
        "frequency": "weekly",
        "weekday": "friday",
        "max_papers": 20.0,  # JSON's whole number
        "skip_weekends": False,
        "authors": "Ada Lovelace; Alan Turing",  # one text, entries split by ';'
        "keywords": ["graph neural network"],
        "seeds": None,
    }
    with client(mailing, engine) as c:
        schema = _subscribe_schema(c.get("/openapi.json").json())
        got = c.post("/api/subscribe", json=body)
    assert jsonschema_rs.validator_for(schema).is_valid(body)
    assert got.status_code == 202, got.text
    with engine.connect() as conn:
        row = find_subscriber(conn, "good@example.org")
    assert row is not None and row["max_papers"] == 20 and row["weekday"] == 4


def _subscribe_schema(doc: dict[str, Any]) -> dict[str, Any]:
    body = doc["paths"]["/api/subscribe"]["post"]["requestBody"]["content"]["application/json"]
    return dict(body["schema"])


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 60) | st.floats(-1, 60) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=4,
)
_FIELDS = [f for f in SubscribeJson.model_fields if f != "email"]
_VALID = jsonschema_rs.validator_for(SubscribeJson.model_json_schema())


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.dictionaries(
        st.sampled_from(_FIELDS),
        _JSON | st.sampled_from(["daily", "monday", "08:00", "UTC", 3, 3.0, ["cs.CL"]]),
    ),
    st.one_of(st.just("x@example.org"), _JSON),
)
def test_the_server_and_its_published_schema_agree(data: dict[str, Any], email: object) -> None:
    """The model that checks a body and the schema the document shows refuse the same bodies."""
    body = data | {"email": email}
    assert (schema_problem(body) is None) == _VALID.is_valid(body), body


def test_lists_name_the_field_and_what_it_takes() -> None:
    for name in LISTS:
        said = schema_problem({"email": "a@b.org", name: 7})
        assert said == f"{name}: give a list of at most 10 texts, one text or null"


# --- Allow and the schema agree; the search feed's category has the API's shape --------------


def test_every_documented_address_allows_what_its_schema_documents(
    site: Settings, engine: Engine
) -> None:
    """OPTIONS /subscribe said GET, HEAD, POST while the document hid the GET (a redirect)."""
    with client(site, engine) as c:
        doc = c.get("/openapi.json").json()
        for path, item in doc["paths"].items():
            documented = {m.upper() for m in item if m != "parameters"}
            if "GET" in documented:
                documented.add("HEAD")
            address = re.sub(r"\{[^}]+\}", "x", path)
            allow = c.options(address).headers.get("allow", "")
            assert set(allow.split(", ")) == documented, (path, allow)
        again = c.get("/subscribe", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/#subscribe-email"
    assert "303" in doc["paths"]["/subscribe"]["get"]["responses"]


def test_the_search_feeds_category_has_the_apis_pattern(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        doc = c.get("/openapi.json").json()
        shaped = c.get("/feeds/search.atom", params={"q": "model", "category": "cs.LG;drop"})
        fine = c.get("/feeds/search.atom", params={"q": "model", "category": "cs.lg"})

    def category(path: str) -> dict[str, Any]:
        params = doc["paths"][path]["get"]["parameters"]
        return dict(next(p for p in params if p["name"] == "category")["schema"])

    assert category("/feeds/search.{fmt}")["pattern"] == category("/api/papers/search")["pattern"]
    assert shaped.status_code == 400 and "category: give an arXiv category" in shaped.text
    assert fine.status_code == 200


# --- cross-origin subscriptions ----------------------------------------------------------------


def test_a_configured_origin_subscribes_and_others_need_a_token(
    mailing: Settings, engine: Engine, sink: Sink
) -> None:
    """A page at an origin in PAPERFEED_CORS_ORIGINS was refused by the same-origin check; a
    bearer token is enough from any page, an anonymous post from elsewhere stays refused."""
    s = mailing.model_copy(update={"cors_origins": APP_ORIGIN})
    with client(s, engine) as c:
        preflight = {"Access-Control-Request-Method": "POST"}
        asked = c.options(
            "/api/subscribe",
            headers=preflight
            | {"Origin": APP_ORIGIN, "Access-Control-Request-Headers": "content-type"},
        )
        ours = c.post(
            "/api/subscribe", json={"email": "app@example.org"}, headers={"Origin": APP_ORIGIN}
        )
        evil = {"Origin": "https://evil.example"}
        anonymous = c.post("/api/subscribe", json={"email": "anon@example.org"}, headers=evil)
        auth = bearer(c, "ada", PASSWORD)
        c.cookies.clear()
        tokened = c.post("/api/subscribe", json={"email": "ada@example.org"}, headers=evil | auth)
        forged = {"Authorization": "Bearer not-a-token"}
        bogus = c.post("/api/subscribe", json={"email": "bog@example.org"}, headers=evil | forged)
    assert asked.status_code == 200 and asked.headers["access-control-allow-origin"] == APP_ORIGIN
    assert ours.status_code == 202, ours.text
    assert ours.headers["access-control-allow-origin"] == "*"  # its page may read the answer
    assert anonymous.status_code == 403 and "PAPERFEED_CORS_ORIGINS" in anonymous.json()["detail"]
    assert tokened.status_code == 202, tokened.text
    assert bogus.status_code == 401 and "bearer token is not valid" in bogus.json()["detail"]
    with engine.connect() as conn:
        assert find_subscriber(conn, "app@example.org") is not None
        assert find_subscriber(conn, "anon@example.org") is None
        assert find_subscriber(conn, "bog@example.org") is None
        linked = find_subscriber(conn, "ada@example.org")
        ada = find_user(conn, "ada")
    assert linked is not None and ada is not None and linked["user_id"] == ada[0].id
    assert sorted(r for m in sink.received for r in m.recipients) == [
        "ada@example.org",
        "app@example.org",
    ]


# --- DELETE /api/me ------------------------------------------------------------------------------


def test_delete_me_takes_the_password_then_erases_the_account(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        auth = bearer(c, "ada", PASSWORD)
        c.cookies.clear()
        with engine.begin() as conn:
            feed = new_feed_token(conn, _uid(engine, "ada"))
        anonymous = c.request("DELETE", "/api/me", json={"password": PASSWORD})
        wrong = c.request("DELETE", "/api/me", json={"password": "not it"}, headers=auth)
        empty = c.request("DELETE", "/api/me", json={}, headers=auth)
        kept = c.get("/api/me/export", headers=auth)
        done = c.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=auth)
        after = c.get("/api/me/export", headers=auth)
        doc = c.get("/openapi.json").json()["paths"]["/api/me"]["delete"]
    assert anonymous.status_code == 401
    assert wrong.status_code == 403 and "nothing was deleted" in wrong.json()["detail"]
    assert empty.status_code == 422 and "password" in empty.json()["detail"]
    assert kept.status_code == 200
    assert done.status_code == 200 and done.json() == {"deleted": "ada"}
    assert after.status_code == 401  # this token went with the account
    with engine.connect() as conn:
        assert find_user(conn, "ada") is None
        assert feed_token_user(conn, feed) is None
        gone = select(func.count()).select_from(users).where(users.c.deleted_at.is_not(None))
        assert conn.scalar(gone) == 1
    assert doc["security"] == [{"bearerAuth": []}] and "requestBody" in doc


def _uid(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        found = find_user(conn, name)
    assert found is not None
    return int(found[0].id)


# --- paperfeed user delete / passwd ------------------------------------------------------------


@pytest.fixture
def console(site: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The `paperfeed` command line over the test's store (either database)."""
    for key in [k for k in os.environ if k.startswith("PAPERFEED_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(site.data_dir))
    if site.database_url:
        monkeypatch.setenv("PAPERFEED_DATABASE_URL", site.database_url)
    yield CliRunner()


def test_user_delete_asks_first_then_erases_as_the_site_does(
    site: Settings, engine: Engine, console: CliRunner
) -> None:
    with client(site, engine) as c:
        auth = bearer(c, "ada", PASSWORD)
        bearer(c, "bob", PASSWORD)
    declined = console.invoke(cli, ["user", "delete", "Ada"], input="n\n")
    assert declined.exit_code == 1 and "Delete the account ada?" in declined.output
    assert find_user_in(engine, "ada")
    agreed = console.invoke(cli, ["user", "delete", "ada"], input="y\n")
    assert agreed.exit_code == 0 and "deleted the account ada" in agreed.output, agreed.output
    unasked = console.invoke(cli, ["user", "delete", "bob", "--yes"])
    assert unasked.exit_code == 0 and "?" not in unasked.output
    nobody = console.invoke(cli, ["user", "delete", "ada", "--yes"])  # its handle finds nobody
    assert nobody.exit_code == 1 and "no user 'ada'" in nobody.output
    assert not find_user_in(engine, "ada") and not find_user_in(engine, "bob")
    with engine.connect() as conn:
        logged = conn.execute(select(admin_actions.c.who, admin_actions.c.action)).all()
    assert logged.count(("command line", "delete account")) == 2
    with client(site, engine) as c:
        assert c.get("/api/me/export", headers=auth).status_code == 401


def find_user_in(engine: Engine, name: str) -> bool:
    with engine.connect() as conn:
        return find_user(conn, name) is not None


def test_user_passwd_revokes_the_private_feed_url_as_a_change_on_the_site_does(
    site: Settings, engine: Engine, console: CliRunner
) -> None:
    with client(site, engine) as c:
        bearer(c, "ada", PASSWORD)
        with engine.begin() as conn:
            feed = new_feed_token(conn, _uid(engine, "ada"))
        assert c.get(f"/feeds/for-you/{feed}.atom").status_code == 200
        reset = console.invoke(
            cli, ["user", "passwd", "ada", "--password-stdin"], input="a brand new passphrase\n"
        )
        assert reset.exit_code == 0, reset.output
        assert "private feed URL is revoked" in reset.output
        assert c.get(f"/feeds/for-you/{feed}.atom").status_code == 404
    with engine.connect() as conn:
        assert feed_token_user(conn, feed) is None
