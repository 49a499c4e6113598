"""A mathematician's and a physicist's papers as Chromium shows them: every formula KaTeX can
read typeset, one it cannot left as written in the text's colour, never the whole abstract raw."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from paperfeed.ingest.validate import check_paper
from paperfeed.models import Paper
from paperfeed.store import upsert_papers
from tests.browser.conftest import LiveSite

DAY = date(2026, 7, 3)  # a day of its own: the demo store lists none
# Real abstracts (arXiv 2504.04427, and 2511.09388 with its name written in one formula, as its
# authors meant: \texttt{\textbf{..}} makes KaTeX throw, not report a parse error) and a math.AG
# record written as arXiv writes one.
FLORA = (
    r"We propose a novel method for zero-shot skeleton action recognition, termed "
    r"$\texttt{\textbf{Flora}}$, which builds upon $\textbf{F}$lexib$\textbf{L}$e "
    r"neighb$\textbf{O}$r-aware semantic attunement and open-form dist$\textbf{R}$ibution-aware "
    r"flow cl$\textbf{A}$ssifier, trained with only 10\% of the seen data."
)
FLUENTLIP = (
    r"In particular, it outperforms these SOTA approaches by approximately $\textbf{16.3%}$ in "
    r"Fr\'echet Inception Distance (FID) and $\textbf{35.2%}$ in PER."
)
QUINTIC = (
    r"Let $X\subset\mathbb{P}^4$ be a smooth quintic. We compute "
    r"$\operatorname{Hom}(\mathcal{O}_X, \Omega^1_X)$ and show $$\sum_{d\geq 1} N_d q^d = "
    r"\frac{5}{(1-q)^2} + \text{higher terms}.$$ A misprint $\begin{foo} y$ in the abstract, and "
    r"the $\mathbb{Z}_2$ quotient \begin{equation} h^{1,1}(X/\mathbb{Z}_2)=\frac{1}{2}"
    r"\left(h^{1,1}+1\right) \end{equation} follows. Gr\"obner bases verify this."
)


def _paper(pid: str, title: str, abstract: str, *categories: str) -> Paper:
    paper = Paper(
        id=pid, title=title, abstract=abstract, authors=("Maxim Kontsevich",),
        categories=categories, version=1, source="test", listing_date=DAY,
    )  # fmt: skip
    return check_paper(paper)[0]  # as ingest stores it


def _source_outside_katex(box: Locator) -> str:
    """The text a reader sees outside typeset formulas."""
    return str(
        box.evaluate("e => { const c = e.cloneNode(true); c.querySelectorAll('.katex')"
                     ".forEach(k => k.remove()); return c.textContent; }")
    )  # fmt: skip


def test_one_unreadable_formula_leaves_the_rest_of_the_abstract_typeset(
    page: Page, live_site: LiveSite
) -> None:
    flora = _paper("2607.91001", "Towards robust zero-shot skeleton action recognition", FLORA)
    with live_site.engine.begin() as conn:
        upsert_papers(conn, [flora])
    page.goto(live_site.url + "/papers/2607.91001")
    page.wait_for_selector("html.math-ready")
    abstract = page.locator(".abstract")
    # KaTeX threw on \texttt{\textbf{..}} (no font for it) and the whole abstract stayed raw TeX.
    expect(abstract.locator(".katex")).to_have_count(5)  # F, L, O, R, A
    seen = _source_outside_katex(abstract)
    assert r"$\texttt{\textbf{Flora}}$" in seen  # the one it cannot read, as written
    assert r"$\textbf{F}$" not in seen and "10% of the seen data" in seen


def test_a_percent_sign_in_a_formula_is_a_percent_sign(page: Page, live_site: LiveSite) -> None:
    lip = _paper("2607.91002", "FluentLip: audio-driven lip synthesis", FLUENTLIP, "cs.CV")
    with live_site.engine.begin() as conn:
        upsert_papers(conn, [lip])
    page.goto(live_site.url + "/papers/2607.91002")
    page.wait_for_selector("html.math-ready")
    abstract = page.locator(".abstract")
    # TeX reads "%" as a comment: "\textbf{16.3" lost its closing brace and showed as an error.
    expect(abstract.locator(".katex")).to_have_count(2)
    expect(abstract.locator(".katex-error")).to_have_count(0)
    expect(abstract.locator(".katex-html").first).to_have_text("16.3%")
    assert "$" not in _source_outside_katex(abstract)


def test_a_geometers_card_and_page_show_typeset_maths_and_a_misprint_calmly(
    page: Page, live_site: LiveSite
) -> None:
    title = (
        r"Mirror symmetry for Calabi-Yau threefolds in $\mathbb{P}^4$ and $\mathbb{Z}_2$-orbifolds"
    )
    paper = _paper("2607.91003", title, QUINTIC, "math.AG", "hep-th", "math-ph")
    with live_site.engine.begin() as conn:
        upsert_papers(conn, [paper])
    page.goto(live_site.url + "/papers/date/2026-07-03")
    card = page.locator("article.card", has=page.locator('a[href="/papers/2607.91003"]'))
    page.wait_for_selector("html.math-ready")
    expect(card.locator("h3 .katex")).to_have_count(2)
    assert "$" not in _source_outside_katex(card.locator("h3"))
    # The card's short abstract ended in "\begin{equation}…", shown as typed.
    assert "begin{equation}" not in _source_outside_katex(card.locator(".abstract"))
    card.get_by_role("link", name="Mirror symmetry").first.click()
    page.wait_for_url(live_site.url + "/papers/2607.91003")
    page.wait_for_selector("html.math-ready")
    expect(page.locator("h1 .katex")).to_have_count(2)
    abstract = page.locator(".abstract")
    expect(abstract.locator(".katex-display")).to_have_count(2)  # $$..$$ and the equation
    expect(abstract).to_contain_text("Gröbner bases")
    misprint = abstract.locator(".katex-error")
    expect(misprint).to_have_text(r"\begin{foo} y")  # as written, not dropped
    # ... in the abstract's own colour, not KaTeX's alarm red.
    colour = "e => getComputedStyle(e).color"
    assert misprint.evaluate(colour) == abstract.evaluate(colour)
    expect(page.locator("a.chip", has_text="math-ph")).to_have_attribute(
        "title", "Mathematical Physics"
    )


def test_a_collaboration_of_2900_authors_leaves_the_abstract_on_the_first_screen(
    page: Page, live_site: LiveSite
) -> None:
    names = tuple(f"Author{i} Physicist{i}" for i in range(2899)) + ("Zofia Zwalinska",)
    title = (
        r"Measurement of the $t\bar{t}$ cross-section at $\sqrt{s}=13$ TeV with the ATLAS detector"
    )
    atlas = _paper("2607.91004", title, r"We find $\sigma_{t\bar t} = 830 \pm 38$ pb.", "hep-ex")
    with live_site.engine.begin() as conn:
        upsert_papers(conn, [replace(atlas, authors=names)])
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(live_site.url + "/papers/2607.91004")
    page.wait_for_selector("html.math-ready")
    # All 2,900 names came first: the abstract began about 50 screens down.
    heading = page.get_by_role("heading", name="Abstract").bounding_box()
    assert heading and heading["y"] < 844
    expect(page.locator("#authors a")).to_have_count(20)
    last = page.get_by_role("link", name="Zofia Zwalinska", exact=True)
    expect(last).to_be_hidden()
    page.get_by_text("and 2,880 more authors").click()
    violations = Axe().run(page).response["violations"]  # the folded list, opened
    assert [v["id"] for v in violations] == []
    last.click()
    page.wait_for_url(live_site.url + "/authors/zofia-zwalinska")
    expect(page.locator("main")).to_contain_text("ATLAS detector")
