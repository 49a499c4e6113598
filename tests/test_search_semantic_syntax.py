"""Search syntax is not read by the embedding model as words: a stray parenthesis left over from
grouping ("robot)", "(robot)") asked the default model for papers near a bracket, and semantic
search listed a few of what "robot" lists (the bundled demo store, MiniLM vectors)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from paperfeed.search import SearchService
from paperfeed.search.query import semantic_text
from paperfeed.settings import Settings
from paperfeed.store import open_store


@pytest.fixture(scope="module")
def service(
    demo_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SearchService]:
    """The default model over the demo store, with indexes in a folder of their own."""
    engine: Engine = open_store(demo_settings)
    s = demo_settings.model_copy(
        update={
            "data_dir": tmp_path_factory.mktemp("syntax"),
            "database_url": demo_settings.sqlalchemy_url,
            "embed_model": "minilm",
        }
    )
    svc = SearchService(s, engine)
    svc.refresh()
    yield svc
    svc.close()
    engine.dispose()


def _semantic(service: SearchService, query: str) -> list[str]:
    result = service.search(query, mode="semantic", limit=100)
    assert result.mode == "semantic", result.fallback
    return [hit.id for hit in result.hits]


@pytest.mark.parametrize("typed", ["robot)", "(robot", "(robot)", "robot )"])
def test_parentheses_are_not_part_of_the_meaning(service: SearchService, typed: str) -> None:
    plain = _semantic(service, "robot")
    assert len(plain) > 10
    assert _semantic(service, typed) == plain


def test_the_model_reads_the_words_of_a_grouped_query() -> None:
    assert semantic_text("(GAN OR VAE) image -survey") == "GAN OR VAE image"
    assert semantic_text('"deep learning" (IL-6)') == "deep learning IL-6"
