"""A curator's round: every source loaded into one store, what the site shows against the raw
records (the Kaggle snapshot sample, recorded OAI-PMH responses, real listing text)."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path
from xml.etree import ElementTree as ET

from sqlalchemy import Engine

from paperfeed.ingest.jobs import ingest_files
from paperfeed.ingest.oai import parse_page
from paperfeed.latex import plain
from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import get_paper, upsert_papers
from tests.replay import FIXTURES, fixture_bytes
from tests.web_support import DAYS, client

SNAPSHOT = FIXTURES / "snapshot" / "arxiv-metadata-oai-snapshot.head200.json"
ATOM = "{http://www.w3.org/2005/Atom}"


def _raw_authors(pid: str) -> str:
    for line in SNAPSHOT.read_text().splitlines():
        record = json.loads(line)
        if record["id"] == pid:
            return str(record["authors"])
    raise AssertionError(pid)


def test_snapshot_names_keep_hyphenated_initials_as_arxiv_prints_them(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    """The snapshot's parsed names read "C. -P. Yuan" where arXiv prints "C.-P. Yuan"."""
    ingest_files(engine, settings, "snapshot", [SNAPSHOT])
    with engine.connect() as conn:
        yuan = get_paper(conn, "0704.0001")
        fuchs = get_paper(conn, "0704.0027")
        shen = get_paper(conn, "0704.0093")
    assert yuan is not None and fuchs is not None and shen is not None
    assert yuan.authors[3] == "C.-P. Yuan" and "C.-P. Yuan" in _raw_authors("0704.0001")
    assert fuchs.authors[1] == "J.-N. Fuchs" and "J.-N. Fuchs" in _raw_authors("0704.0027")
    assert shen.authors[3] == "Z.-X. Shen"
    assert yuan.authors[0] == "C. Balázs"  # the rest of the name as before


def test_oai_arxiv_format_names_keep_hyphenated_initials() -> None:
    body = fixture_bytes("oai", "arXiv-hepcrawl", "arxiv-single.xml")
    assert b"<forenames>A.</forenames>" in body
    page = parse_page(body.replace(b"<forenames>A.</forenames>", b"<forenames>C. -P.</forenames>"))
    papers = [p for p in page.items if isinstance(p, Paper)]
    assert [p.authors for p in papers] == [("C.-P. Sergyeyev",)]


def test_a_control_word_before_a_greek_letter_keeps_the_letter_in_plain_text() -> None:
    """Real listing abstracts write $\\mathbfβ$ (74,728 papers hold 89 such): feeds read "()"."""
    abstract = (
        r"where a tuned weight ($\mathbfβ$) controls the guidance; $\mathbfβ=5$ is best, "
        r"with $\boldsymbolθ$, $\logρ$ and $\sqrtπ$."
    )
    assert plain(abstract) == (
        "where a tuned weight (β) controls the guidance; β=5 is best, with θ, log ρ and √(π)."
    )


def test_feeds_keep_a_greek_letter_after_a_control_word(site: Settings, engine: Engine) -> None:
    paper = Paper(
        id="2606.77778", title=r"Weighting by $\mathbfβ$", authors=("A B",), version=1,
        abstract=r"A tuned weight ($\mathbfβ$) controls it.", source="test",
        listing_date=DAYS[2],
    )  # fmt: skip
    with engine.begin() as conn:
        upsert_papers(conn, [paper])
    with client(site, engine) as c:
        atom = ET.fromstring(c.get(f"/feeds/daily.atom?date={DAYS[2]}").text)
    entry = next(
        e for e in atom.iter(f"{ATOM}entry") if "2606.77778" in e.findtext(f"{ATOM}id", "")
    )
    assert entry.findtext(f"{ATOM}title") == "Weighting by β"
    assert entry.findtext(f"{ATOM}summary") == "A tuned weight (β) controls it."


# Author names as real listing records write them (2506.05195, 2507.06261, 2512.04219, 2601.05747).
SLIPPED_NAMES = {
    "2506.05195": ("\\\\Ajinkya Umesh Mulik", "Ajinkya Umesh Mulik"),
    "2507.06261": ("Thanh Nguy\\~ên", "Thanh Nguyễn"),
    "2512.04219": ("Sathyanarayanan N. Aakur\\\\", "Sathyanarayanan N. Aakur"),
    "2601.05747": ("Peter St\\ütz", "Peter Stütz"),
}


def test_listing_names_with_tex_slips_read_as_the_name(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    """A TeX line break (\\\\), an accent on an accented letter and a stray backslash were shown
    as written ("Nguy\\ ên", "St\\ütz"), and "\\\\Ajinkya" lost Ajinkya from its author page."""
    path = tmp_path / "2026-06-15.jsonl"
    lines = [
        json.dumps({"id": pid, "title": f"Paper {pid}", "summary": "An abstract.",
                    "authors": [raw, "Ann Lee"], "categories": ["cs.CV"], "comment": None})
        for pid, (raw, _) in SLIPPED_NAMES.items()
    ]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    ingest_files(engine, settings, "listing", [path])
    with engine.connect() as conn:
        stored = {pid: get_paper(conn, pid) for pid in SLIPPED_NAMES}
    assert {pid: p.authors[0] for pid, p in stored.items() if p} == {
        pid: shown for pid, (_, shown) in SLIPPED_NAMES.items()
    }
    with client(settings, engine) as c:
        page = c.get("/authors/ajinkya-umesh-mulik")
    assert page.status_code == 200 and "2506.05195" in page.text


def test_feeds_read_the_text_macros_of_real_abstracts() -> None:
    """Abstracts of real listing days (1 in 70) carry \\href, \\url, \\, and nested groups, which
    feeds, email and link previews showed as raw TeX."""
    assert plain(r"Project page: \href{https://robotic-vis.github.io/}{this page}.") == (
        "Project page: this page (https://robotic-vis.github.io/)."
    )
    assert plain(r"Code: \url{https://github.com/a/b}.") == "Code: https://github.com/a/b."
    assert plain(r"a dataset (\textbf{15{,}729} images) of ACL\,2026") == (
        "a dataset (15,729 images) of ACL 2026"
    )
    assert plain(r"found \href{https://x.org/k}{\textcolor{blue}{here}}") == (
        "found here (https://x.org/k)"
    )
    assert plain(r"in {\em Cover and Thomas} with \emph{all} $x\,y$") == (
        "in Cover and Thomas with all x y"
    )
    assert plain(r"a set {1,2,3} and \href{https://a.b/}{https://a.b/}") == (
        "a set {1,2,3} and https://a.b/"
    )


def test_paper_pages_read_the_text_macros_of_real_abstracts(site: Settings, engine: Engine) -> None:
    """The page showed "\\href{https://...}{code}", "0.50\\,m" and "\\textbf{15{,}729}" as typed."""
    abstract = (
        r"We release our \href{https://github.com/a/b}{code}; see \url{https://x.org/p}. "
        r"The error is 0.50\,m on \textbf{15{,}729} images, with $a\,b$ and {1,2,3}."
    )
    paper = Paper(
        id="2606.77779", title="Macros", abstract=abstract, authors=("A B",), version=1,
        source="test", listing_date=DAYS[2],
    )  # fmt: skip
    with engine.begin() as conn:
        upsert_papers(conn, [paper])
    with client(site, engine) as c:
        page = c.get("/papers/2606.77779").text
    shown = page.split('class="abstract math">', 1)[1].split("</div>", 1)[0]
    assert shown == (
        '<p>We release our code (<a href="https://github.com/a/b" rel="nofollow ugc noopener">'
        'https://github.com/a/b</a>); see <a href="https://x.org/p" rel="nofollow ugc noopener">'
        "https://x.org/p</a>. The error is "
        "0.50\u2009m on <strong>15,729</strong> images, with $a\\,b$ and {1,2,3}.</p>"
    )  # addresses are links, as arXiv shows them


DEMO_LISTINGS = Path(__file__).parent.parent / "src" / "paperfeed" / "demo" / "listings"


def test_an_old_paper_back_in_a_listing_is_not_that_days_new_paper(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    """2411.19594 (November 2024) is in the real listing of 2026-06-29, as a replacement: it was
    shown among that day's new papers, and the API dated it 2026-06-29."""
    with gzip.open(DEMO_LISTINGS / "2026-06-29.jsonl.gz", "rt") as handle:
        records = [json.loads(line) for line in handle]
    old = next(r for r in records if r["id"] == "2411.19594")
    new = next(r for r in records if r["id"].startswith("2606."))
    path = tmp_path / "2026-06-29.jsonl"
    path.write_text(json.dumps(old) + "\n" + json.dumps(new) + "\n")
    ingest_files(engine, settings, "listing", [path])
    with engine.connect() as conn:
        kept, listed = get_paper(conn, "2411.19594"), get_paper(conn, new["id"])
    assert kept is not None and kept.title and kept.listing_date is None
    assert listed is not None and listed.listing_date == date(2026, 6, 29)
    with client(settings, engine) as c:
        day = c.get("/api/daily_papers?date=2026-06-29").json()
        assert c.get("/papers/2411.19594").status_code == 200
        shown = c.get("/api/papers/2411.19594").json()
    assert [d["paper"]["id"] for d in day] == [new["id"]]
    assert shown["publishedAt"] is None and shown["listingDate"] is None
