"""Template helpers that touch untrusted text: LaTeX text macros and search snippets stay inert."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from paperfeed.web.render import safe_snippet, short_text, tex_text

_ALLOWED_TEX = re.compile(r'</?(em|strong|code|u)>|<span class="sc">|</span>')
_ALLOWED_SNIPPET = re.compile(r"</?mark>")
texty = st.sampled_from(
    list("ab $\\{}<>&\"'%_#/~[]") + ["emph", "textbf", "textsc", "citealp", "script", "img"]
)


@given(text=st.lists(texty, max_size=30).map("".join))
def test_tex_text_only_ever_adds_its_own_tags(text: str) -> None:
    html = _ALLOWED_TEX.sub("", str(tex_text(text)))
    assert "<" not in html and ">" not in html


def test_tex_text_turns_text_macros_into_html_but_leaves_math() -> None:
    html = str(tex_text(r"We \emph{study} 96\% of $a \% b$ and \textbf{<b>x</b>}"))
    assert "<em>study</em>" in html and "96%" in html
    assert r"$a \% b$" in html  # KaTeX reads this; unescaping it would start a comment
    assert "<b>" not in html


def test_tex_text_shows_small_caps_and_citations_readably() -> None:
    html = str(tex_text(r"\textsc{DiARC}: as in Smith~\citealp{smith20} and \cite[p.~3]{a,b}"))
    assert html == '<span class="sc">DiARC</span>: as in Smith [smith20] and  [a,b]'
    assert str(tex_text(r"\textsc{<img src=x>}")) == '<span class="sc">&lt;img src=x&gt;</span>'


@given(
    text=st.lists(
        st.sampled_from(["<mark>", "</mark>", "<script>", "<img src=x>", "a", "&amp;", " "]),
        max_size=30,
    ).map("".join)
)
def test_snippets_keep_only_balanced_marks(text: str) -> None:
    html = str(safe_snippet(text))
    assert "<" not in _ALLOWED_SNIPPET.sub("", html)
    assert html.count("<mark>") == html.count("</mark>")


@given(text=st.text(max_size=600), limit=st.integers(20, 400))
def test_short_text_is_short_and_a_prefix(text: str, limit: int) -> None:
    out = short_text(text, limit)
    assert len(out) <= limit + 1
    assert " ".join(text.split()).startswith(out.rstrip("…").rstrip(",;:. ")) or out == " ".join(
        text.split()
    )


def test_the_pager_of_an_estimated_list_says_about() -> None:
    """A long list with a reader's mutes is counted from the share seen so far: its pager said
    "Page 1 of 50" where 34 pages came (the papers said "about" already)."""
    from types import SimpleNamespace

    from paperfeed.web.render import create_env

    macro = '{% from "_macros.html" import pager with context %}{{ pager(listing, "/x") }}'
    page = create_env().from_string(macro)
    shown = {
        estimated: page.render(
            listing=SimpleNamespace(page=1, pages=50, estimated=estimated), show_muted=False
        )
        for estimated in (True, False)
    }
    assert "Page 1 of about 50" in shown[True]
    assert "Page 1 of 50" in shown[False] and "about" not in shown[False]


def test_a_snippet_shows_text_macros_as_the_abstract_does_and_leaves_maths() -> None:
    snippet = (
        r"… \textbf{<mark>scaling</mark>} laws cut 50\% \&amp; \emph{more} in "
        r"$\textbf{<mark>x</mark>}^2$ …"
    )
    html = str(safe_snippet(snippet))
    assert "<strong><mark>scaling</mark></strong> laws cut 50% &amp; <em>more</em>" in html
    assert r"$\textbf{x}^2$" in html  # maths as written, for KaTeX, without the highlight
