"""Signing out on a full disk: the browser is signed out even when the store cannot be written.

A real full disk: a small tmpfs (root only; skips with the reason elsewhere).
"""

from __future__ import annotations

from pathlib import Path

from paperfeed.settings import Settings
from paperfeed.store import open_store
from tests.disk_support import small_disk, truncate_wal
from tests.web_support import client, csrf_token, sign_up, web_settings


def test_sign_out_on_a_full_disk_clears_the_cookie_and_says_the_session_lives_on(
    tmp_path: Path,
) -> None:
    with small_disk(tmp_path / "disk") as disk:
        base = Settings(data_dir=disk.path / "data", _env_file=None)  # type: ignore[call-arg]
        settings = web_settings(base)
        engine = open_store(settings)
        with client(settings, engine) as c:
            sign_up(c, "ada")
            token = c.cookies["pf_session"]
            form = {"csrf_token": csrf_token(c, "/account")}
            truncate_wal(engine)
            disk.fill()
            out = c.post("/signout", data=form, follow_redirects=False)
            assert out.status_code == 303, out.text
            assert 'pf_session=""' in out.headers["set-cookie"]
            assert "pf_session" not in c.cookies
            home = c.get("/")
            assert home.status_code == 200 and ">Sign in<" in home.text
            assert "could not be ended on the server" in home.text
            assert "within 30 days" in home.text
            # the session row is still there: the old cookie, sent again, still signs in
            c.cookies.set("pf_session", token)
            again = c.get("/account", follow_redirects=False)
            assert again.status_code == 200
            disk.free()
        engine.dispose()
