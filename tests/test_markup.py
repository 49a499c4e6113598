"""User Markdown for email and feeds: excerpts keep the lines a comment was typed in."""

from __future__ import annotations

import re

from paperfeed.markup import MAX_NESTING, excerpt, mentions, render_markdown
from paperfeed.templating import page_env


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


def test_typed_text_cannot_pose_as_held_maths() -> None:
    """The renderer holds maths behind a marker; typing one must neither fail nor pull maths."""
    for typed in (
        "a \u2063PFMATH7\u2063 b",
        "$x$ and \u2063PFMATH0\u2063",
        "\u2063PFMATH0x0\u2063",
    ):
        shown = str(render_markdown(typed))
        assert "PFMATH" in shown and shown.count('class="math"') == typed.count("$") // 2


def test_deep_nesting_is_capped_and_keeps_its_text() -> None:
    for marker, tag in (("> ", "<blockquote>"), ("- ", "<ul>"), ("1. ", "<ol>")):
        shown = str(render_markdown(marker * 5000 + "deep words"))
        assert "deep words" in shown and shown.count(tag) == MAX_NESTING, marker
    assert str(render_markdown("- a\n  - b\n- c")).count("<ul>") == 2  # ordinary lists unchanged
    assert str(render_markdown("> q\n> > r")).count("<blockquote>") == 2


def _deepest(html: str) -> int:
    depth = most = 0
    for closing in re.findall(r"<(/?)(?:ul|ol|blockquote)\b", html):
        depth += -1 if closing else 1
        most = max(most, depth)
    return most


def test_lists_nested_line_by_line_are_capped_and_keep_every_item() -> None:
    """One indented level a line got past the cap (which read one line's markers): 138 levels
    in a comment widened the paper page to 2,167 px, and items past the 50th were dropped."""
    for typed in (
        "".join("  " * i + f"- item{i}\n" for i in range(138)),
        "".join("   " * i + f"1. item{i}\n" for i in range(110)),
        "".join("  " * i + f"- > item{i}\n" for i in range(130)),
        "".join("  " * i + f"- item{i}\n\n" for i in range(100)),
    ):
        shown = str(render_markdown(typed[:20_000]))
        wanted = re.findall(r"item\d+", typed[:20_000])
        assert re.findall(r"item\d+", shown) == wanted, typed[:40]
        assert _deepest(shown) == MAX_NESTING, typed[:40]
    nine = str(render_markdown("".join("  " * i + f"- item{i}\n" for i in range(10))))
    assert "<p>item8</p>" in nine and "<p>item9</p>" in nine  # each its own paragraph


def test_an_image_becomes_a_link_named_by_its_alt_text() -> None:
    shown = str(render_markdown("See ![Figure 1: *arch*](https://example.org/f.png) end."))
    assert "<img" not in shown
    assert '<a href="https://example.org/f.png" rel="nofollow ugc noopener">image: Figure' in shown
    assert "image: Figure 1: arch</a> end." in shown
    plain = str(render_markdown("![Fig](https://example.org/f.png)", links=False))
    assert "image: Fig (https://example.org/f.png)" in plain and "<a" not in plain
    assert "<a" not in str(render_markdown("![x](javascript:alert(1))"))


def test_bare_web_addresses_become_links_but_file_names_do_not() -> None:
    shown = str(render_markdown("Code: https://github.com/a/b, see train.py or $https://x.y$."))
    assert '<a href="https://github.com/a/b" rel="nofollow ugc noopener">' in shown
    assert "train.py" in shown and shown.count("<a ") == 1
    assert "<a" not in str(render_markdown("Code: https://github.com/a/b", links=False))


def test_an_unclosed_bidi_override_is_closed_where_the_text_ends() -> None:
    page = page_env().from_string("<p>{{ name }} public</p>{{ n }}")
    shown = page.render(name="\u202eevil\u2067x", n=3)
    assert shown == "<p>\u202eevil\u2067x\u202c\u2069 public</p>3"
    assert page.render(name="\u202eok\u202c", n=1) == "<p>\u202eok\u202c public</p>1"


def test_www_addresses_become_links_to_https() -> None:
    html = str(
        render_markdown("see www.example.org/data?v=2. and train.py, example.org or www.foo")
    )
    assert '<a href="https://www.example.org/data?v=2"' in html
    assert ">www.example.org/data?v=2</a>." in html
    assert "train.py" in html and 'href="https://example.org' not in html
    assert 'href="https://www.foo"' not in html  # no dot after "www.": not an address
    assert "<code>www.code.org</code>" in str(render_markdown("`www.code.org`"))


def test_an_escaped_at_sign_neither_mentions_nor_links() -> None:
    text = r"thanks \@bob, and @alice"
    assert mentions(text) == ["alice"]
    html = str(render_markdown(text, named=["bob", "alice"]))
    assert 'href="/users/alice"' in html
    assert 'href="/users/bob"' not in html and "@bob" in html


def test_a_mention_right_after_cjk_text_counts_but_not_inside_an_address() -> None:
    text = "ありがとう@kim_lee, 감사@dan; mail bob@example.org or josé@ann"
    assert mentions(text) == ["kim_lee", "dan"]
