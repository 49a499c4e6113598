"""paperfeed as a mathematician and a physicist read it: their categories named, their papers
(TeX titles, cross-lists, a collaboration of thousands) on pages, feeds and exports."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import Engine

from paperfeed.categories import KNOWN, name_of
from paperfeed.ingest.validate import check_paper
from paperfeed.latex import plain
from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.web.render import tex_text
from tests.web_support import client, web_settings

DAY = date(2026, 7, 1)
PAPERS = [
    Paper(
        id="2607.00001",
        title=r"Mirror symmetry for Calabi-Yau threefolds in $\mathbb{P}^4$",
        abstract=r"Let $X\subset\mathbb{P}^4$ be a smooth quintic.",
        authors=("Maxim Kontsevich",),
        categories=("math.AG", "hep-th", "math-ph", "math.MP"),
        journal_ref="Invent. Math. 231 (2023) 1--58",
        source="test",
        listing_date=DAY,
    ),
    Paper(
        id="2607.00005",
        title=r"Kondo lattices in $\mathrm{CeCoIn}_5$ seen by light",
        abstract="Optical conductivity of a heavy-fermion metal.",
        authors=("A. Physicist",),
        categories=("cond-mat.str-el", "physics.optics", "astro-ph.CO", "nlin.CD"),
        source="test",
        listing_date=DAY,
    ),
]


def test_every_arxiv_category_has_its_name() -> None:
    assert {c for c in KNOWN if not name_of(c)} == set()  # physics.*, cond-mat.*, astro-ph.*: none
    assert name_of("cond-mat.str-el") == "Strongly Correlated Electrons"
    assert name_of("astro-ph.CO") == "Cosmology and Nongalactic Astrophysics"
    assert name_of("physics.optics") == "Optics" and name_of("nlin.CD") == "Chaotic Dynamics"
    assert name_of("alg-geom") == "Algebraic Geometry"  # an archive older papers still carry


def test_physics_category_pages_and_chips_say_what_the_category_is(
    settings: Settings, engine: Engine
) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, [check_paper(p)[0] for p in PAPERS])
    with client(web_settings(settings), engine) as c:
        for category in ("cond-mat.str-el", "physics.optics", "astro-ph.CO", "nlin.CD"):
            page = c.get(f"/categories/{category}")
            assert page.status_code == 200
            heading = re.search(r"<h1>(.*?)</h1>", page.text)
            assert heading and heading[1] == f"{category} · {name_of(category)}"
        paper = c.get("/papers/2607.00005").text
        assert 'title="Strongly Correlated Electrons">cond-mat.str-el</a>' in paper
        assert 'title="Cosmology and Nongalactic Astrophysics">astro-ph.CO</a>' in paper


def test_text_macros_around_escapes_nested_or_old_style_show_as_html_not_tex() -> None:
    """Real abstracts' prose (arXiv 2503.14891, 2503.15390, 2504.11379, 2503.20925, 2503.18484):
    one in forty showed a TeX command as typed on its page."""
    cases = {
        r"(\textbf{10.3\%} accuracy gain)": "(<strong>10.3%</strong> accuracy gain)",
        r"\underline{\textbf{Fed}}erated": "<u><strong>Fed</strong></u>erated",
        r"(\textbf{\textit{Any2Omni}})": "(<strong><em>Any2Omni</em></strong>)",
        r"to {\em backdoor attacks} and {\it target similarity}": (
            "to <em>backdoor attacks</em> and <em>target similarity</em>"
        ),
        r"PM\textsuperscript{4}Bench": "PM<sup>4</sup>Bench",
        r"at \textcolor{red}{our site}.": "at our site.",
        r"for $\textbf{x}_{10\%}$ \emph{only}": r"for $\textbf{x}_{10\%}$ <em>only</em>",
    }
    for tex, html in cases.items():
        assert str(tex_text(tex)) == html, tex
    assert str(tex_text(r"\emph{<img src=x>}")) == "<em>&lt;img src=x&gt;</em>"  # still inert


def test_feeds_and_email_unwrap_nested_text_macros() -> None:
    """Feeds and digests (plain text) showed "\\textbf{Fed}erated" for arXiv 2503.15390."""
    assert plain(r"a \underline{\textbf{Fed}}erated \underline{\textbf{S}}imilarity") == (
        "a Federated Similarity"
    )
    assert plain(r"(\textbf{\textit{Any2Omni}}) in $\mathbb{Z}_2$") == "(Any2Omni) in ℤ_2"


def test_an_archive_page_and_feed_hold_all_of_its_categories(
    settings: Settings, engine: Engine
) -> None:
    """/categories/cond-mat and /categories/astro-ph answered 404 with cond-mat.str-el and
    astro-ph.CO papers in the store; /categories/math was no page at all."""
    with engine.begin() as conn:
        upsert_papers(conn, [check_paper(p)[0] for p in PAPERS])
    with client(web_settings(settings), engine) as c:
        for archive, name, pid in (
            ("cond-mat", "Condensed Matter", "2607.00005"),
            ("astro-ph", "Astrophysics", "2607.00005"),
            ("math", "Mathematics", "2607.00001"),
        ):
            page = c.get(f"/categories/{archive}")
            assert page.status_code == 200, archive
            assert f"<h1>{archive} · {name}</h1>" in page.text
            assert f'href="/papers/{pid}"' in page.text
            feed = c.get(f"/feeds/category/{archive}.atom")
            assert feed.status_code == 200 and f"/papers/{pid}</id>" in feed.text
        assert 'href="/papers/2607.00005"' not in c.get("/categories/math").text
        moved = c.get("/categories/MATH", follow_redirects=False)
        assert moved.status_code == 301 and moved.headers["location"].endswith("/categories/math")
        assert c.get("/categories/q-fin").status_code == 404  # an archive with no papers here


ORBIFOLD = (
    r"For the $\mathbb{Z}_2$ quotient of a Calabi-Yau threefold we show that the Hodge numbers "
    r"change as \begin{equation} h^{1,1}(X/\mathbb{Z}_2)=\frac{1}{2}\left(h^{1,1}+1\right) "
    r"+ \sum_{p \in \mathrm{Fix}} \chi(E_p) \end{equation} and that the quotient is again a "
    r"Calabi-Yau orbifold with $\mathrm{SU}(3) \times \mathrm{U}(1)$ holonomy; mirror symmetry "
    r"then follows for "
    r"every $\mathbb{Z}_2$ action in the list."
)


def test_cards_and_snippets_never_cut_a_formula_in_two() -> None:
    """A card's short abstract and a search snippet ended inside "\\begin{equation} h^{1,1}…",
    which KaTeX cannot typeset: the reader saw the TeX."""
    from paperfeed.search.keyword import stemmer
    from paperfeed.search.query import parse_query
    from paperfeed.search.snippets import Highlighter
    from paperfeed.web.render import short_text

    card = short_text(ORBIFOLD, 150)
    assert card.endswith("change as…") and "\\begin" not in card
    highlighter = Highlighter(stemmer())
    snippet = highlighter.snippet(ORBIFOLD, parse_query("Hodge"), size=100)
    assert "<mark>Hodge</mark> numbers change as …" in snippet and "\\begin" not in snippet
    late = highlighter.snippet(ORBIFOLD, parse_query("holonomy"), size=40)
    assert late.startswith(r"… $\mathrm{SU}(3) \times \mathrm{U}(1)$ <mark>holonomy</mark>")
