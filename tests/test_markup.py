"""User Markdown for email and feeds: excerpts keep the lines a comment was typed in."""

from __future__ import annotations

from paperfeed.markup import excerpt, render_markdown


def test_an_excerpt_keeps_lines_and_cuts_at_a_word() -> None:
    typed = "First line  \n\n\n\n```\ncode  x\n```\n- a\n- b"
    assert excerpt(typed, 500) == "First line\n\n```\ncode  x\n```\n- a\n- b"
    long = "word " * 100
    cut = excerpt(long, 50)
    assert len(cut) <= 50 and cut.endswith("word…")


def test_an_excerpt_renders_as_the_site_does() -> None:
    shown = str(render_markdown(excerpt("**x** and `y`\n\n> quoted", 500)))
    assert "<strong>x</strong>" in shown and "<code>y</code>" in shown
    assert "<blockquote>" in shown


def test_without_links_an_address_stays_readable_as_text() -> None:
    shown = str(render_markdown("see [the code](https://example.org/a?b=1&c=2) now", links=False))
    assert "<a" not in shown
    assert "see the code (https://example.org/a?b=1&amp;c=2) now" in shown
    hostile = str(render_markdown('[x](https://e.org/"><script>alert(1)</script>)', links=False))
    assert "<script" not in hostile
