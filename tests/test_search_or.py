"""`OR` in a keyword query: papers holding either side (it was read as noise: both sides needed)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from paperfeed.search import SearchService
from paperfeed.search.query import parse_query
from paperfeed.settings import Settings
from paperfeed.store import get_papers, open_store
from tests.web_support import client


@pytest.fixture(scope="module")
def service(
    demo_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SearchService]:
    """A service over the demo store, with its indexes in a folder of its own."""
    db_url = f"sqlite:///{demo_settings.data_dir / 'paperfeed.db'}"
    s = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path_factory.mktemp("search-or"), database_url=db_url, _env_file=None
    )
    svc = SearchService(s, open_store(s))
    svc.refresh()
    yield svc
    svc.close()


def _total(svc: SearchService, query: str) -> int:
    return svc.search(query, mode="keyword", limit=5).total


def test_or_groups_are_read_from_the_query() -> None:
    assert parse_query("GAN OR diffusion").either == ((("gan",), ("diffusion",)),)
    assert parse_query("(GAN OR diffusion OR VAE) image").either == (
        (("gan",), ("diffusion",), ("vae",)),
    )
    assert parse_query("GPT-4 || LLaMA").either == ((("gpt", "4"), ("llama",)),)
    assert parse_query("a OR b AND c OR d").either == ((("a",), ("b",)), (("c",), ("d",)))
    # Lower-case "or" is a word; exclusions and prefixes are not alternatives (a phrase is).
    for text in ("GAN or diffusion", "-GAN OR diffusion", "GAN OR diffus*"):
        assert parse_query(text).either == (), text


def test_or_finds_papers_holding_either_word(service: SearchService) -> None:
    diffusion, graph = _total(service, "diffusion"), _total(service, "graph")
    both = _total(service, "diffusion graph")  # every word needed
    assert 0 < both < min(diffusion, graph)
    assert _total(service, "diffusion OR graph") == diffusion + graph - both
    assert _total(service, "diffusion || graph") == diffusion + graph - both


def test_or_group_with_a_required_word(service: SearchService) -> None:
    with_a = _total(service, "diffusion image")
    with_b = _total(service, "graph image")
    with_both = _total(service, "diffusion graph image")
    either = service.search("(diffusion OR graph) image", mode="keyword", limit=50)
    assert either.total == with_a + with_b - with_both > max(with_a, with_b)
    with service.engine.connect() as conn:
        found = get_papers(conn, [hit.id for hit in either.hits])
    assert len(found) == len(either.hits) > 0
    for paper in found.values():
        text = f"{paper.title} {paper.abstract}".lower()
        assert "imag" in text and ("diffus" in text or "graph" in text), paper.id


def test_the_search_page_tells_how_to_write_a_query(site: Settings, engine: Engine) -> None:
    """The search page says its syntax (OR was nowhere to be learnt); its example works."""
    with client(site, engine) as c:
        page = c.get("/search").text
        assert "<summary>Search tips</summary>" in page and "<code>GAN OR diffusion</code>" in page
        for example in re.findall(r"<li><code>([^<]+)</code>", page):
            assert c.get("/search", params={"q": html.unescape(example)}).status_code == 200


def test_acronyms_are_read_from_capitals() -> None:
    assert parse_query("GAN image synthesis").acronyms == ("gan",)
    assert parse_query("RAG OR LLM agents").acronyms == ("rag", "llm")
    # Names, a word in lower case, and a query typed all in capitals are not acronyms.
    for text in ("HINTON", "gan", "Gan", "GRAPH NEURAL NETWORKS"):
        assert parse_query(text).acronyms == (), text


def test_an_acronym_is_not_found_in_authors_names(service: SearchService) -> None:
    """ "GAN" listed papers by people named Gan (author names are searched too) among GAN papers."""
    with service.engine.connect() as conn:
        gans = [h.id for h in service.search("GAN", mode="keyword", limit=100).hits]
        found = get_papers(conn, gans)
        by_name = [h.id for h in service.search("Gan", mode="keyword", limit=100).hits]
        named = get_papers(conn, by_name)
    assert gans and len(found) == len(gans)
    for paper in found.values():
        assert re.search(r"\bgans?\b", f"{paper.title} {paper.abstract}", re.I), paper.id
    # The name still finds its authors when written as a name.
    assert any(not re.search(r"\bgans?\b", f"{p.title} {p.abstract}", re.I) for p in named.values())
