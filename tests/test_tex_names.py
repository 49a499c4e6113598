"""Names and titles as arXiv means them: TeX accents decoded, each script's names their own."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, insert, select, text, update

from paperfeed.ingest.jobs import ingest_files
from paperfeed.ingest.validate import check_paper
from paperfeed.latex import decode_name, decode_prose, plain
from paperfeed.models import Paper
from paperfeed.search.service import SearchService
from paperfeed.settings import Settings
from paperfeed.store import get_paper, migrate, upsert_papers
from paperfeed.store.accounts import create_user
from paperfeed.store.community import author_claims
from paperfeed.store.library import add_interest, follows, mutes
from paperfeed.store.papers import author_key
from paperfeed.store.tables import paper_authors, papers
from paperfeed.web.bibtex import cite_key
from paperfeed.web.render import author_url
from tests.web_support import DAYS, client, import_file, importing, web_settings

BEFORE = "0015"  # the revision before the one that decodes stored TeX
TITLE = r"On Erd\H{o}s--R\'{e}nyi graphs: $\"o$ and $\hat{x}$ stay, Fr\"ohlich goes"
SNAPSHOT = {
    "id": "0704.9001",
    "submitter": "Paul Erdos",
    "authors": r"Paul Erd\H{o}s, Alfr\'ed R\'{e}nyi and Mikkel {\O}bro",
    "title": TITLE,
    "comments": None,
    "journal-ref": None,
    "doi": None,
    "report-no": None,
    "categories": "math.CO",
    "license": None,
    "abstract": r"  We count $\"o$-free graphs \`a la Erd\H{o}s.",
    "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}],
    "update_date": "2007-05-23",
    "authors_parsed": [
        ["Erd\\H{o}s", "Paul", ""],
        ["R\\'{e}nyi", "Alfr\\'ed", ""],
        ["{\\O}bro", "Mikkel", ""],
    ],
}


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        (r"P\'eter E. Frenkel", "Péter E. Frenkel"),
        (r"Mikkel {\O}bro", "Mikkel Øbro"),
        (r"Rastislav \v{S}r\'amek", "Rastislav Šrámek"),
        (r"Paul Erd\H{o}s", "Paul Erdős"),
        (r"J. Fr\"ohlich", "J. Fröhlich"),
        (r"Alfr\'ed R\'{e}nyi", "Alfréd Rényi"),
        (r"Stra{\ss}e Stra\ss e", "Straße Straße"),
        (r"Fran\c{c}ois \c c", "François ç"),
        (r"Ko{\l}os \L ukasz", "Kołos Łukasz"),
        (r"H\aa kon", "Håkon"),
        (r"Nu\~nez Ph\^o \`a", "Nuñez Phô à"),
        (r"\=a \.z \u{g} \k{a} \r{a}", "ā ż ğ ą å"),
        (r"I\c{s}\i k {\.I}smail", "Işık İsmail"),
        (r"Bj\o rn S{\o}ren", "Bjørn Søren"),
        (r"\ae\oe{} {\"{o}} \"{\i} \'\i", "æœ ö ï í"),
        (r"\"q \vS", r"\"q \vS"),  # no character for it; not an accent: as written
    ],
)
def test_tex_names_read_as_unicode(raw: str, name: str) -> None:
    assert decode_name(raw) == name
    assert author_key(raw) == author_key(name)


def test_titles_decode_outside_math_only() -> None:
    assert decode_prose(TITLE) == (
        r"On Erdős--Rényi graphs: $\"o$ and $\hat{x}$ stay, Fröhlich goes"
    )
    assert decode_prose(r"\(\'e\) and \[\"o\] \begin{equation}\v{s}\end{equation} \v{s}") == (
        r"\(\'e\) and \[\"o\] \begin{equation}\v{s}\end{equation} š"
    )
    assert decode_prose(r"Code: http://x.org/\~nobody/\'e, by \~nobody") == (
        r"Code: http://x.org/\~nobody/\'e, by ñobody"
    )  # a link keeps what it holds
    assert plain(r"Gr\"obner bases") == "Gröbner bases"  # feeds and email, even of old rows


def test_author_keys_keep_scripts_apart_and_fold_latin() -> None:
    assert author_key("张伟") != author_key("章伟")
    assert author_key("李明") == "李明" != author_key("Li Ming") == "li ming"
    assert author_key("Мария Иванова") == author_key("МАРИЯ ИВАНОВА") == "мария иванова"
    assert author_key("İsmail Işık") == author_key("Ismail Isik") == "ismail isik"
    assert author_key("Łukasz Søren") == "lukasz soren"
    assert author_key("山田・太郎") == "山田太郎"  # one name, as "山田 太郎" is
    assert author_key("Ｌｉ Ｍｉｎｇ") == "li ming"  # NFKC: full-width letters are Latin
    for name in ("张伟", "İsmail Işık", r"Paul Erd\H{o}s", "Zhang Wei (张伟)", "Ἀθηνᾶ Πάλλας"):
        assert author_key(author_key(name)) == author_key(name), name
    assert author_url("李明") == "/authors/" + quote("李明")
    assert author_url(r"Paul Erd\H{o}s") == "/authors/paul-erdos"


def test_every_source_is_decoded_at_ingest() -> None:
    paper = Paper(id="2606.70001", title=TITLE, abstract=r"\'a $\'a$", authors=(r"A. {\O}bro",))
    checked, _ = check_paper(paper)
    assert checked.title == decode_prose(TITLE)
    assert (checked.abstract, checked.authors) == (r"á $\'a$", ("A. Øbro",))
    plain_paper = Paper(id="2606.70002", title="Plain", abstract="Text", authors=("A B",))
    assert check_paper(plain_paper)[0] is plain_paper


def test_imports_match_and_cite_keys_read_the_decoded_names(settings: Settings) -> None:
    raw = Paper(
        id="2606.70003", title=r"Erd\H{o}s--R\'enyi random graphs", abstract="Text.",
        authors=(r"Rastislav \v{S}r\'amek", r"Paul Erd\H{o}s"), version=1, source="test",
        published=datetime(2026, 6, 1),
    )  # fmt: skip
    paper = check_paper(raw)[0]  # as ingest stores it
    assert cite_key(paper) == "sramek2026erdos"
    bib = "@article{k, title={Erdős–Rényi random graphs}, author={Erdős, Paul}, year={2026}}"
    with importing(settings, [paper], "reader") as (c, auth):
        report = import_file(c, auth, "lib.bib", bib)
    assert (report["ids"], report["unmatched"]) == ([paper.id], [])


def _search(settings: Settings, engine: Engine) -> SearchService:
    return SearchService(web_settings(settings), engine)


def _ids(service: SearchService, query: str, **kw: str) -> list[str]:
    return [h.id for h in service.search(query, mode="keyword", **kw).hits]  # type: ignore[arg-type]


def test_snapshot_names_are_stored_searched_and_linked_decoded(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    site = web_settings(settings)
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(SNAPSHOT) + "\n")
    report, failed = ingest_files(engine, site, "snapshot", [path])
    assert not failed and report.inserted == 1
    with engine.connect() as conn:
        paper = get_paper(conn, "0704.9001")
    assert paper is not None
    assert paper.authors == ("Paul Erdős", "Alfréd Rényi", "Mikkel Øbro")
    assert paper.title == r"On Erdős--Rényi graphs: $\"o$ and $\hat{x}$ stay, Fröhlich goes"
    assert paper.abstract == r"We count $\"o$-free graphs à la Erdős."
    service = _search(settings, engine)
    for query in ("erdos", "Erdős", "frohlich", "Fröhlich", "renyi"):
        assert _ids(service, query) == ["0704.9001"], query
    assert _ids(service, "", author="Paul Erdős") == ["0704.9001"]
    with client(site, engine) as c:
        page = c.get("/papers/0704.9001")
        assert 'href="/authors/paul-erdos"' in page.text and "Erdős" in page.text
        assert "Erd\\H" not in page.text
        author = c.get("/authors/paul-erdos")
        assert author.status_code == 200 and "0704.9001" in author.text
        assert c.get("/authors/mikkel-obro").status_code == 200
        assert c.get("/authors/paul-erd-o-s").status_code == 404


def _raw_row(engine: Engine, paper: Paper, old_keys: dict[str, str]) -> None:
    """Store a paper as a version before decoding did: its TeX as written, its old keys."""
    with engine.begin() as conn:
        upsert_papers(conn, [paper])
        conn.execute(
            update(papers).where(papers.c.id == paper.id).values(title_key="erd h o s old")
        )
        for name, key in old_keys.items():
            conn.execute(
                update(paper_authors).where(paper_authors.c.name == name).values(name_key=key)
            )


def test_migration_decodes_rows_stored_raw_and_search_finds_them(
    settings: Settings, engine: Engine
) -> None:
    site = web_settings(settings)
    authors = (r"Paul Erd\H{o}s", "张伟", "Li Ming", r"Mikkel {\O}bro")
    raw = Paper(
        id="2606.71001", title=TITLE, abstract=r"Counting \`a la $\"o$.", authors=authors,
        version=1, source="test", listing_date=DAYS[0],
    )  # fmt: skip
    other = replace(raw, id="2606.71002", title="Another", abstract="Graphs.", authors=("章伟",))
    old = {r"Paul Erd\H{o}s": "paul erd h o s", "张伟": "zhang wei", "章伟": "zhang wei"}
    _raw_row(engine, raw, old)
    _raw_row(engine, other, {})
    with engine.begin() as conn:
        conn.execute(update(paper_authors).values(name_key="zhang wei").where(
            paper_authors.c.name == "章伟"))  # fmt: skip
        user = create_user(conn, "ada", "hash").id
        add_interest(conn, user, "follow", "author", "paul erd h o s", r"Paul Erd\H{o}s")
        add_interest(conn, user, "follow", "author", "zhang wei", "张伟")
        add_interest(conn, user, "follow", "author", "zhang wei ~ li ming", "张伟 (with Li Ming)")
        add_interest(conn, user, "mute", "author", "mikkel o bro", r"Mikkel {\O}bro")
        conn.execute(
            insert(author_claims).values(
                user_id=user, paper_id=raw.id, author=r"Paul Erd\H{o}s", status="pending",
                reason="", created_at=datetime(2026, 6, 1),
            )
        )  # fmt: skip
        stamps = dict(conn.execute(select(papers.c.id, papers.c.changed_at)).all())
        conn.execute(text(f"UPDATE alembic_version SET version_num = '{BEFORE}'"))
    service = _search(settings, engine)
    assert _ids(service, "erdos") == []  # what old stores answered
    with client(site, engine) as c:
        assert c.get("/authors/paul-erdos").status_code == 404

    migrate(engine)
    with engine.connect() as conn:
        paper = get_paper(conn, raw.id)
        row = conn.execute(select(papers).where(papers.c.id == raw.id)).one()
        keys = dict(conn.execute(select(paper_authors.c.name, paper_authors.c.name_key)).all())
        followed = sorted(conn.execute(select(follows.c.value, follows.c.label)).all())
        muted = conn.execute(select(mutes.c.value, mutes.c.label)).all()
        claimed = conn.execute(select(author_claims.c.author)).scalar_one()
        unchanged = conn.execute(
            select(papers.c.changed_at).where(papers.c.id == other.id)
        ).scalar_one()  # its name's key changed, its text did not
    assert paper is not None
    assert paper.title == decode_prose(TITLE)
    assert paper.abstract == r"Counting à la $\"o$."
    assert paper.authors == ("Paul Erdős", "张伟", "Li Ming", "Mikkel Øbro")
    assert row.title_key == "on erdos renyi graphs o and x stay frohlich goes"
    assert row.changed_at > stamps[raw.id] and row.fingerprint is None
    assert unchanged == stamps[other.id]
    assert keys == {
        "Paul Erdős": "paul erdos",
        "张伟": "张伟",
        "Li Ming": "li ming",
        "Mikkel Øbro": "mikkel obro",
        "章伟": "章伟",
    }
    assert followed == [
        ("paul erdos", "Paul Erdős"), ("张伟", "张伟"), ("张伟 ~ li ming", "张伟 (with Li Ming)")
    ]  # fmt: skip
    assert muted == [("mikkel obro", "Mikkel Øbro")]
    assert claimed == "Paul Erdős"

    service.refresh()
    assert _ids(service, "erdos") == [raw.id]
    assert _ids(service, "Fröhlich") == [raw.id]
    with client(site, engine) as c:
        page = c.get("/authors/paul-erdos")
        assert page.status_code == 200 and raw.id in page.text
        assert c.get("/authors/zhang-wei").status_code == 404  # no Latin-script Zhang Wei here


def test_namesakes_in_other_scripts_have_pages_of_their_own(
    settings: Settings, engine: Engine
) -> None:
    site = web_settings(settings)
    base = Paper(
        id="2606.72001", title="Graphs one", abstract="Text.", authors=("张伟", "İsmail Işık"),
        version=1, source="test", listing_date=DAYS[0],
    )  # fmt: skip
    second = replace(base, id="2606.72002", title="Graphs two", authors=("章伟", "李明"))
    third = replace(base, id="2606.72003", title="Graphs three", authors=("Li Ming",))
    with engine.begin() as conn:
        upsert_papers(conn, [base, second, third])
    with client(site, engine) as c:
        page = c.get("/papers/2606.72001")
        assert f'href="/authors/{quote("张伟")}"' in page.text
        assert 'href="/authors/ismail-isik"' in page.text
        for name, mine, theirs in (
            ("张伟", "2606.72001", "2606.72002"),
            ("章伟", "2606.72002", "2606.72001"),
            ("李明", "2606.72002", "2606.72003"),
            ("li-ming", "2606.72003", "2606.72002"),
            ("ismail-isik", "2606.72001", "2606.72002"),
        ):
            got = c.get(f"/authors/{quote(name)}")
            assert got.status_code == 200 and mine in got.text and theirs not in got.text, name
            feed = c.get(f"/feeds/author/{quote(name)}.atom")
            assert feed.status_code == 200 and mine in feed.text and theirs not in feed.text
        assert c.get(f"/authors/{quote('张伟')}").text.count("2606.72001") >= 1
        assert c.get("/authors/zhang-wei").status_code == 404
        assert c.get(f"/authors/{quote('Zhang Wei')}").status_code == 404
    service = _search(settings, engine)
    for who in ("Işık", "Isik", "张伟"):  # the keyword index's author filter
        assert _ids(service, "", author=who) == ["2606.72001"], who
