"""LaTeX made readable where KaTeX cannot run: feeds and email."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from sqlalchemy import Engine

from paperfeed.digest.compose import Digest, DigestItem
from paperfeed.digest.render import Links, render_digest
from paperfeed.digest.subscriber import Subscriber
from paperfeed.latex import plain
from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from tests.web_support import DAYS, client

ATOM = "{http://www.w3.org/2005/Atom}"
TITLE = r"Fault-tolerant $CCZ$ gates with \(T\)-count $\mathcal{O}(n^2)$"
ABSTRACT = (
    r"We show \begin{equation*} F = 1 - \epsilon^2 \end{equation*} for \emph{all} "
    r"$\alpha \in \mathbb{R}$; 50% of runs use $\frac{1}{2}$ of the gates (\% kept)."
)


def test_plain_forms_of_math_and_text_macros() -> None:
    assert plain(TITLE) == "Fault-tolerant CCZ gates with T-count 𝒪(n^2)"
    assert plain(ABSTRACT) == (
        "We show F = 1 - ϵ^2 for all α∈ℝ; 50% of runs use 1/2 of the gates (% kept)."
    )
    assert plain("Attention <script>x</script> & more") == "Attention <script>x</script> & more"
    assert plain("an unclosed $x and \\(y") == "an unclosed $x and \\(y"
    assert plain(r"\textsc{DiARC} as in Lee~\citep{lee21}") == "DiARC as in Lee [lee21]"


def test_plain_maths_keeps_what_a_fraction_or_a_script_groups() -> None:
    """ "\\frac{1}{1-\\alpha}" read "1/1-α", "n^{1/2}" "n^1/2": another meaning."""
    assert plain(r"$\frac{1}{1-\alpha}\log\sum_i p_i^\alpha$") == "1/(1-α) log ∑_i p_i^α"
    assert (
        plain(r"$\frac{a+b}{c+d}$, $O(n^{1/2})$, $e^{-x^2}$") == "(a+b)/(c+d), O(n^(1/2)), e^(-x^2)"
    )
    assert plain(r"$x_{i,j}$ $x_{ij}$ $2^{10}$ $\frac12$") == "x_(i,j) x_ij 2^10 1/2"


def test_feeds_show_math_as_readable_text(site: Settings, engine: Engine) -> None:
    paper = Paper(
        id="2606.77777", title=TITLE, abstract=ABSTRACT, authors=("A B",), version=1,
        source="test", listing_date=DAYS[2],
    )  # fmt: skip
    with engine.begin() as conn:
        upsert_papers(conn, [paper])
    with client(site, engine) as c:
        atom = ET.fromstring(c.get(f"/feeds/daily.atom?date={DAYS[2]}").text)
        rss = ET.fromstring(c.get(f"/feeds/daily.rss?date={DAYS[2]}").text)
    entry = next(
        e for e in atom.iter(f"{ATOM}entry") if "2606.77777" in e.findtext(f"{ATOM}id", "")
    )
    assert entry.findtext(f"{ATOM}title") == plain(TITLE)
    assert "$" not in entry.findtext(f"{ATOM}summary", "$")
    item = next(i for i in rss.iter("item") if "2606.77777" in i.findtext("link", ""))
    assert item.findtext("title") == plain(TITLE) and "\\begin" not in item.findtext(
        "description", "\\"
    )


def test_digest_mail_shows_math_as_readable_text() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    item = DigestItem("2606.1", TITLE, ("Zoë",), "quant-ph", ABSTRACT, "trending", 1.0)
    digest = Digest(Subscriber(1, "a@b.org", "confirmed", "n"), "daily:x", (item,))
    now = datetime(2026, 7, 2, 9, tzinfo=UTC)
    msg = render_digest(settings, Links("https://p.example", "s", 1, "n"), digest, now).parsed()
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert msg["Subject"].startswith("Daily papers: Fault-tolerant CCZ gates with T-count")
    for body in (html, text):
        assert "Fault-tolerant CCZ gates with T-count 𝒪(n^2)" in body
        assert "$" not in body and "\\(" not in body and "\\begin" not in body
