"""A zotero-arxiv-daily user moves in without exporting: on the import page they give their
Zotero user ID and API key, their library is read from Zotero (replayed on loopback), its arXiv
papers land in their library and the rest are listed; a wrong key says what to change and
keeps what they typed, except the key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from paperfeed.store.tables import papers
from paperfeed.store.zotero_links import zotero_links
from tests.browser.a11y_support import checked, screens
from tests.browser.conftest import ZOTERO_PATH, LiveSite, answer_next_dialog, sign_up
from tests.replay import ZOTERO_KEY


def _library(ids: list[str]) -> list[dict[str, object]]:
    """CSL-JSON items as Zotero keeps arXiv preprints, and one journal article not here."""
    items: list[dict[str, object]] = [
        {
            "id": f"4455/K{n:07d}",
            "type": "article",
            "title": f"stored paper {pid}",  # Zotero's title may differ: the id decides
            "URL": f"http://arxiv.org/abs/{pid}",
            "number": f"arXiv:{pid}",
        }
        for n, pid in enumerate(ids)
    ]
    items.append(
        {
            "id": "4455/KJOURNAL",
            "type": "article-journal",
            "title": "A wet-lab protocol for zebrafish",
            "DOI": "10.1000/zebrafish.1",
            "author": [{"family": "Moss", "given": "Kim"}],
        }
    )
    return items


def test_a_zotero_library_is_imported_from_the_import_page(page: Page, live_site: LiveSite) -> None:
    with live_site.engine.connect() as conn:
        ids = list(conn.scalars(select(papers.c.id).order_by(papers.c.id).limit(3)))
    live_site.zotero_libraries[ZOTERO_PATH] = _library(ids)
    sign_up(page, live_site.url, "zoterouser")
    page.goto(live_site.url + "/library/import")
    form = page.locator("form.zotero-import")
    expect(form.get_by_role("heading", name="From your Zotero library")).to_be_visible()
    for _scheme, width in screens(page):
        assert checked(page, f"the import page at {width} px", width) == []
    page.set_viewport_size({"width": 1280, "height": 800})

    form.get_by_label("Library ID").fill("4455")
    form.get_by_label("API key").fill("WRONGKEY0123456789abcdef")
    form.get_by_role("button", name="Import from Zotero").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Nothing was imported: Zotero refused the API key")
    form = page.locator("form.zotero-import")
    expect(form.get_by_label("Library ID")).to_have_value("4455")
    expect(form.get_by_label("API key")).to_have_value("")

    form.get_by_label("API key").fill(ZOTERO_KEY)
    form.get_by_label("Into your collection here (optional)").fill("From Zotero")
    form.get_by_role("button", name="Import from Zotero").click()
    report = page.locator(".import-report")
    expect(report).to_contain_text("3 papers matched and saved (Zotero library)")
    expect(report.locator("ul.unmatched")).to_contain_text("A wet-lab protocol for zebrafish")
    assert checked(page, "the Zotero import's report", 1280) == []
    report.get_by_role("link", name="From Zotero").click()
    for pid in ids:
        expect(page.locator(f"a[href$='/papers/{pid}']").first).to_be_visible()
    asked = [r for r in live_site.zotero.requests if r.path == ZOTERO_PATH]
    assert [r.headers.get("zotero-api-key") for r in asked] == [
        "WRONGKEY0123456789abcdef",
        ZOTERO_KEY,
    ]


def test_a_kept_zotero_library_syncs_on_request_and_unlinks(
    page: Page, live_site: LiveSite
) -> None:
    with live_site.engine.connect() as conn:
        ids = list(conn.scalars(select(papers.c.id).order_by(papers.c.id).limit(5)))
    items = _library(ids[:2])
    live_site.zotero_libraries[ZOTERO_PATH] = items
    sign_up(page, live_site.url, "keeper")
    page.goto(live_site.url + "/library/import")
    form = page.locator("form.zotero-import")
    form.get_by_label("Library ID").fill("4455")
    form.get_by_label("API key").fill(ZOTERO_KEY)
    form.get_by_label("Keep it in step").check()
    form.get_by_role("button", name="Import from Zotero").click()
    expect(page.locator(".import-report")).to_contain_text("2 papers matched and saved")
    page.goto(live_site.url + "/library/import")
    kept = page.locator("section.zotero-link")
    expect(kept).to_contain_text("Your library 4455, read with the key …" + ZOTERO_KEY[-4:])
    expect(kept).to_contain_text("2 papers added")
    assert ZOTERO_KEY not in page.content()
    assert checked(page, "the import page with a kept Zotero library", 1280) == []

    # a paper saved in Zotero later; the last sync dated an hour back ("Sync now" waits a minute)
    items.append(_library(ids[2:3])[0] | {"id": "4455/K0000002"})
    with live_site.engine.begin() as conn:
        an_hour_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
        conn.execute(update(zotero_links).values(synced_at=an_hour_ago))
    kept.get_by_role("button", name="Sync now").click()
    expect(page.get_by_role("status")).to_contain_text("1 paper added to your library")
    page.goto(live_site.url + "/library")
    for pid in ids[:3]:
        expect(page.locator(f"a[href$='/papers/{pid}']").first).to_be_visible()

    # the first paper deleted in Zotero: the next sync takes it out of the library here too
    items[0] = items[0] | {"_gone": True, "_v": len(items) + 1}
    with live_site.engine.begin() as conn:
        conn.execute(update(zotero_links).values(synced_at=an_hour_ago))
    page.goto(live_site.url + "/library/import")
    page.locator("section.zotero-link").get_by_role("button", name="Sync now").click()
    expect(page.get_by_role("status")).to_contain_text("1 taken out (gone from Zotero)")
    page.goto(live_site.url + "/library")
    expect(page.locator(f"a[href$='/papers/{ids[1]}']").first).to_be_visible()
    expect(page.locator(f"a[href$='/papers/{ids[0]}']")).to_have_count(0)

    page.goto(live_site.url + "/library/import")
    asked: list[str] = []
    answer_next_dialog(page, True, asked)
    page.locator("section.zotero-link").get_by_role("button", name="Unlink").click()
    expect(page.get_by_role("status")).to_contain_text("Unlinked: the key is forgotten")
    assert asked and "Unlink your Zotero library?" in asked[0]
    expect(page.locator("section.zotero-link")).to_have_count(0)
