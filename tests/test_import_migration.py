"""Moving over from arxiv-sanity-lite and Scholar Inbox: a table of rated papers (id,rating)
imported as 👍 / 👎, arxiv-sanity addresses read as the papers they name, and the old
site's bookmarked addresses (/?q=, /?rank=pid&pid=, /inspect?pid=) led to the pages here."""

from __future__ import annotations

from datetime import date

import pytest

from paperfeed import references
from paperfeed.arxiv_ids import parse_arxiv_id
from paperfeed.models import Paper
from paperfeed.settings import Settings
from tests.web_support import import_file, importing

DAY = date(2024, 1, 22)
LIKED = Paper(id="2401.12345", title="Sparse attention for long documents", listing_date=DAY)
DISLIKED = Paper(id="2401.12346", title="A survey of everything", listing_date=DAY)
UP_WORD = Paper(id="2401.12347", title="Graph transformers, revisited", listing_date=DAY)
OLD = Paper(id="hep-th/9901001", title="Strings ending on branes", listing_date=date(1999, 1, 4))
PAPERS = [LIKED, DISLIKED, UP_WORD, OLD]

RATINGS_CSV = (
    "# exported ratings\n"
    "id,rating\n"
    f"{LIKED.id},1\n"
    f"{DISLIKED.id}v2,-1\n"
    f"https://arxiv.org/abs/{UP_WORD.id},thumbs up\n"
    f"{OLD.id}v3,👍🏽\n"
    f"{LIKED.id}v1,1\n"  # the same paper again
    "2401.12348,5\n"  # a rating that is neither
    "not-a-paper,1\n"
)


def test_a_ratings_table_is_read_with_its_thumbs() -> None:
    parsed = references.read(RATINGS_CSV.encode())
    assert parsed.format == "table of ratings"
    assert [(r.where, r.arxiv_id, r.rating) for r in parsed.references] == [
        ("line 3", LIKED.id, 1),
        ("line 4", DISLIKED.id, -1),
        ("line 5", UP_WORD.id, 1),
        ("line 6", OLD.id, 1),
        ("line 7", LIKED.id, 1),
    ]
    assert parsed.errors == [
        "line 8: the rating '5' is neither 👍 nor 👎 (1 or -1, up or down)",
        "line 9: 'not-a-paper,1' holds no arXiv id, arXiv URL or DOI",
    ]


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("arxiv_id;vote\n2401.12345;up\n2401.12346;down\n", [(1), (-1)]),
        ("2401.12345\t1\n2401.12346\t-1\n", [1, -1]),  # no header: the column after the id
        ("Paper ID,Liked\n2401.12345,yes\n2401.12346,\n", [1, None]),
        ("2401.12345, Sparse attention, for long documents\n", [None]),  # a title, no rating
    ],
)
def test_tables_as_spreadsheets_write_them(text: str, read: list[int | None]) -> None:
    assert [r.rating for r in references.read(text.encode()).references] == read


def test_a_list_of_dois_with_semicolons_is_not_taken_for_a_table() -> None:
    doi = "10.1002/(SICI)1097-4636(199706)35:4<493::AID-JBM9>3.0.CO;2-A"
    parsed = references.read(f"{doi}\n".encode())
    assert parsed.format == "list of ids"
    assert [r.doi for r in parsed.references] == [doi.lower()]


@pytest.mark.parametrize(
    ("address", "read"),
    [
        ("https://arxiv-sanity-lite.com/?rank=pid&pid=2401.12345", ("2401.12345", None)),
        ("arxiv-sanity-lite.com/inspect?pid=2401.12345v3", ("2401.12345", 3)),
        ("http://localhost:5000/?rank=pid&pid=2401.12345&time_filter=7", ("2401.12345", None)),
        ("http://www.arxiv-sanity.com/1706.03762v5", ("1706.03762", 5)),
    ],
)
def test_arxiv_sanity_addresses_name_their_paper(address: str, read: tuple[str, int]) -> None:
    assert parse_arxiv_id(address) == read


def test_imported_ratings_become_thumbs_and_a_thumbs_down_is_not_saved(
    settings: Settings,
) -> None:
    with importing(settings, PAPERS, "mover") as (c, auth):
        report = import_file(c, auth, "scholar-inbox.csv", RATINGS_CSV)
        rated = c.get("/api/me/ratings", headers=auth).json()
        saved = c.get("/api/me/library", headers=auth).json()
    assert report["format"] == "table of ratings"
    assert report["matched"] == 4 and report["saved"] == 3 and report["added"] == 3
    assert report["duplicates"] == 1
    assert report["ratings"] == {"up": 3, "down": 1, "kept": 0}
    assert [(u["entry"], u["reason"]) for u in report["unmatched"]] == [
        ("line 8", "the rating '5' is neither 👍 nor 👎 (1 or -1, up or down)"),
        ("line 9", "'not-a-paper,1' holds no arXiv id, arXiv URL or DOI"),
    ]
    assert {r["paper"]["id"]: r["rating"] for r in rated} == {
        LIKED.id: 1,
        DISLIKED.id: -1,
        UP_WORD.id: 1,
        OLD.id: 1,
    }
    assert sorted(i["paper"]["id"] for i in saved) == sorted([LIKED.id, UP_WORD.id, OLD.id])


def test_an_import_never_overwrites_a_rating_given_here(settings: Settings) -> None:
    with importing(settings, PAPERS, "rater") as (c, auth):
        put = c.put(f"/api/me/ratings/{LIKED.id}", json={"rating": -1}, headers=auth)
        assert put.status_code == 200, put.text
        first = import_file(c, auth, "r.csv", f"id,rating\n{LIKED.id},1\n{UP_WORD.id},1\n")
        again = import_file(c, auth, "r.csv", f"id,rating\n{LIKED.id},1\n{UP_WORD.id},1\n")
        rated = c.get("/api/me/ratings", headers=auth).json()
    assert first["ratings"] == {"up": 1, "down": 0, "kept": 1}
    assert again["ratings"] == {"up": 0, "down": 0, "kept": 2}
    assert {r["paper"]["id"]: r["rating"] for r in rated} == {LIKED.id: -1, UP_WORD.id: 1}


def test_a_list_of_arxiv_sanity_addresses_is_imported(settings: Settings) -> None:
    listing = (
        f"https://arxiv-sanity-lite.com/?rank=pid&pid={LIKED.id}\n"
        f"https://arxiv-sanity-lite.com/inspect?pid={DISLIKED.id}\n"
        f"{OLD.id}\n"
        "cs/0112017v1\n"  # an old-style id this store lacks (and arXiv is not reached)
    )
    with importing(settings, PAPERS, "sanity") as (c, auth):
        report = import_file(c, auth, "tag-rl.txt", listing)
    assert report["ids"] == [LIKED.id, DISLIKED.id, OLD.id]
    assert [u["entry"] for u in report["unmatched"]] == ["line 4"]


def test_imported_thumbs_make_the_home_page_for_you_at_once(sqlite_settings: Settings) -> None:
    with importing(sqlite_settings, PAPERS, "homer") as (c, auth):
        before = c.get("/", headers=auth)
        import_file(c, auth, "r.csv", f"id,rating\n{LIKED.id},1\n")
        after = c.get("/", headers=auth)
    assert "Papers for homer" not in before.text
    assert "Papers for homer" in after.text


@pytest.mark.parametrize(
    ("address", "to"),
    [
        ("/?q=graph+transformers", "/search?q=graph+transformers"),
        ("/?rank=search&q=sparse%20attention", "/search?q=sparse+attention"),
        (f"/?rank=pid&pid={LIKED.id}", f"/papers/{LIKED.id}"),
        (f"/?rank=pid&pid={OLD.id}", f"/papers/{OLD.id}"),
        (f"/inspect?pid={LIKED.id}v2", f"/papers/{LIKED.id}"),
        ("/?rank=tags&tags=rl,vision", "/for-you"),
    ],
)
def test_arxiv_sanity_bookmarks_lead_to_the_pages_here(
    sqlite_settings: Settings, address: str, to: str
) -> None:
    with importing(sqlite_settings, PAPERS, "bookmarks") as (c, _auth):
        moved = c.get(address, follow_redirects=False)
        landed = c.get(address)
    assert moved.status_code == 301 and moved.headers["location"] == to
    assert landed.status_code == 200


def test_a_bookmark_of_no_paper_is_a_clear_404(sqlite_settings: Settings) -> None:
    with importing(sqlite_settings, PAPERS, "lost") as (c, _auth):
        for address in ("/?rank=pid&pid=<b>junk</b>", "/inspect?pid=junk"):
            got = c.get(address, follow_redirects=False)
            assert got.status_code == 404, address
            assert "<b>junk" not in got.text
        assert c.get("/inspect").status_code in (400, 422)
        assert c.get("/", follow_redirects=False).status_code == 200


STARS_CSV = (
    "Title,arXiv ID,My Rating\n"
    f"Sparse attention,{LIKED.id},5\n"
    f"A survey,{DISLIKED.id},1\n"
    f"Graph transformers,{UP_WORD.id},3\n"
    f"Strings,{OLD.id},0\n"
    "Another,2401.12348,4\n"
)


@pytest.mark.parametrize(
    ("text", "read"),
    [
        (STARS_CSV, [1, -1, None, None, 1]),
        ("id,rating\n2401.12345,4\n2401.12346,2\n2401.12347,\n", [1, -1, None]),
        ("2401.12345,5\n2401.12346,1\n", [1, -1]),  # no header: stars after the id
        ("id,stars\n2401.12345,4.5\n2401.12346,2.5\n", [1, None]),
    ],
)
def test_star_ratings_are_read_as_thumbs(text: str, read: list[int | None]) -> None:
    parsed = references.read(text.encode())
    assert [r.rating for r in parsed.references] == read
    assert parsed.errors == [] and "read as stars" in parsed.reading


def test_a_column_of_ones_and_zeros_stays_thumbs() -> None:
    parsed = references.read(b"id,rating\n2401.12345,1\n2401.12346,0\n")
    assert [r.rating for r in parsed.references] == [1, None] and parsed.reading == ""


def test_imported_star_ratings_become_thumbs_and_the_report_says_how(settings: Settings) -> None:
    with importing(settings, PAPERS, "goodreader") as (c, auth):
        report = import_file(c, auth, "mendeley.csv", STARS_CSV)
        rated = c.get("/api/me/ratings", headers=auth).json()
        saved = c.get("/api/me/library", headers=auth).json()
    assert report["format"] == "table of ratings"
    assert report["ratings"] == {"up": 1, "down": 1, "kept": 0}
    assert report["ratings_read_as"].startswith("Ratings were read as stars: 4 or 5 became 👍")
    assert [u["entry"] for u in report["unmatched"]] == ["line 6"]  # not in this store
    assert {r["paper"]["id"]: r["rating"] for r in rated} == {LIKED.id: 1, DISLIKED.id: -1}
    assert sorted(i["paper"]["id"] for i in saved) == sorted([LIKED.id, UP_WORD.id, OLD.id])
