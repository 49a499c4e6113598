"""A librarian and a science journalist cite and share a paper: the Cite box's text reference,
the page's description for search engines and link previews, and a comment's own address."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.models import Paper, Version
from paperfeed.settings import Settings
from paperfeed.web.citation import apa
from tests.web_support import HOSTILE_ID, client, csrf_token, fill_store, web_settings

BASE = "https://papers.example.org/lab"


def _paper(authors: tuple[str, ...], **changes: object) -> Paper:
    fields: dict[str, object] = {
        "id": "2401.00001",
        "title": "$\\alpha$-Nets: \\emph{fast} & <b>sound</b>",
        "authors": authors,
        "versions": (Version(1, datetime(2024, 1, 2)),),
        "source": "test",
    }
    return Paper(**(fields | changes))  # type: ignore[arg-type]


def test_the_text_reference_names_authors_as_apa_does() -> None:
    """Initials with hyphens, particles and suffixes kept; names in a script without initials
    as written; arXiv's DOI as the address."""
    names = ("Jean-Paul Sartre", "Ludwig van Beethoven", "Martin Luther King Jr.", "山田 太郎")
    assert apa(_paper((*names, "张伟", "Ada Lovelace"))) == (
        "Sartre, J.-P., van Beethoven, L., King, M. L., Jr., 山田 太郎, 张伟, & Lovelace, A. "
        "(2024). α-Nets: fast & <b>sound</b> (arXiv:2401.00001). arXiv. "
        "https://doi.org/10.48550/arXiv.2401.00001"
    )


def test_the_text_reference_of_many_or_no_authors_and_a_published_paper() -> None:
    many = tuple(f"Author Number{n}" for n in range(1, 31))
    cited = apa(_paper(many))
    assert cited.startswith("Number1, A., Number2, A., ") and "Number20" not in cited
    assert ", Number19, A., … Number30, A. (2024)." in cited  # APA: 19 names, …, the last
    assert apa(_paper((), title="Why?")) == (
        "Why? (arXiv:2401.00001). arXiv. (2024). https://doi.org/10.48550/arXiv.2401.00001"
    )
    published = _paper(("Ada Lovelace",), journal_ref="Nature 1, 2 (2024)", doi="10.1/x")
    assert apa(published) == (
        "Lovelace, A. (2024). α-Nets: fast & <b>sound</b>. Nature 1, 2 (2024). "
        "https://doi.org/10.1/x"
    )


class _Page(HTMLParser):
    """What machines read of a paper page: meta tags, the canonical link, JSON-LD, the Cite
    box's text and the comments' own links."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.json_ld: list[str] = []
        self.scripts = 0
        self.permalinks: list[str] = []
        self._in: str | None = None
        self.cite = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        key = found.get("name") or found.get("property")
        if tag == "meta" and key:
            self.meta.setdefault(key, []).append(found.get("content") or "")
        elif tag == "link" and found.get("rel") == "canonical":
            self.meta["canonical"] = [found.get("href") or ""]
        elif tag == "script":
            self.scripts += 1
            self._in = "json" if found.get("type") == "application/ld+json" else None
        elif tag == "p" and found.get("id") == "cite-apa":
            self._in = "cite"
        elif tag == "a" and found.get("class") == "permalink":
            self.permalinks.append(found.get("href") or "")
        elif self._in == "cite":
            raise AssertionError(f"an element <{tag}> inside the text reference")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "p"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "json":
            self.json_ld.append(data)
        elif self._in == "cite":
            self.cite += data


def _read(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _form(c: TestClient, path: str, data: dict[str, str]) -> str:
    """Post a form under the base URL's path; where it led."""
    answer = c.post(
        path, data=data | {"csrf_token": csrf_token(c, "/lab/signin")}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text[:300]
    return str(answer.headers["location"])


@pytest.fixture
def under_path(
    settings: Settings, tmp_path: Path, open_migrated: Callable[[Settings], Engine]
) -> Iterator[tuple[Settings, Engine]]:
    """A store of real papers and the hostile one, its site's base URL with a path."""
    s = web_settings(settings, base_url=BASE, secret_key="s" * 32)
    engine = open_migrated(s)
    fill_store(engine, s, tmp_path / "listings")
    yield s, engine
    engine.dispose()


def test_a_paper_page_describes_itself_to_search_engines_and_reference_managers(
    under_path: tuple[Settings, Engine],
) -> None:
    """Google reads schema.org JSON-LD, Google Scholar citation_abstract_html_url; the page had
    neither. A hostile title stays text everywhere: no `</script>` ends the JSON early."""
    s, engine = under_path
    with client(s, engine) as c:
        html = c.get(f"/lab/papers/{HOSTILE_ID}").text
    page = _read(html)
    here = f"{BASE}/papers/{HOSTILE_ID}"
    title = "Attention <script>alert('title')</script> Is Not Enough"
    assert page.meta["canonical"] == page.meta["citation_abstract_html_url"] == [here]
    assert page.meta["twitter:title"] == page.meta["og:title"] == [title]
    assert len(page.json_ld) == 1 and "</" not in page.json_ld[0]
    data = json.loads(page.json_ld[0])
    assert data["@type"] == "ScholarlyArticle" and data["@context"] == "https://schema.org"
    assert data["url"] == data["@id"] == here and data["headline"] == title
    assert [a["name"] for a in data["author"]] == ["Mallory O'Hara", "Eve <b>Bold</b>"]
    assert data["abstract"].startswith("We study x<img src=x")  # maths as text
    assert data["identifier"] == [
        {"@type": "PropertyValue", "propertyID": "arXiv", "value": HOSTILE_ID}
    ]
    assert data["sameAs"] == [f"https://arxiv.org/abs/{HOSTILE_ID}"]
    assert page.scripts == html.count("<script")  # each script the parser saw is one we wrote
    assert page.cite == (
        f"O'Hara, M., & <b>Bold</b>, E. (2026). {title} (arXiv:{HOSTILE_ID}). arXiv. "
        f"https://doi.org/10.48550/arXiv.{HOSTILE_ID}"
    )


def test_a_comment_has_a_link_of_its_own(under_path: tuple[Settings, Engine]) -> None:
    """A journalist quoting a comment needs its address; a comment had an anchor but no link
    to it. The link leads to the discussion's page that holds the comment, in any order."""
    s, engine = under_path
    with client(s, engine, https=True) as c:  # the site's cookies are https-only
        _form(c, "/lab/signup", {"username": "journalist", "password": "correct horse battery"})
        said = _form(c, f"/lab/papers/{HOSTILE_ID}/comments", {"body": "Quotable."})
        html = c.get(f"/lab/papers/{HOSTILE_ID}?sort=new").text
        links = _read(html).permalinks
        assert len(links) == 1 and links[0].startswith(f"/lab/papers/{HOSTILE_ID}?comment=")
        number = links[0].rsplit("#c", 1)[1]
        assert said.endswith(f"#c{number}")
        target = c.get(links[0])
    assert target.status_code == 200 and f'id="c{number}"' in target.text
    assert "Quotable." in target.text
