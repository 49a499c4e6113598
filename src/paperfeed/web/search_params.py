"""The search filters' query parameters, declared once for the JSON API and the search feed."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from paperfeed.web.periods import CATEGORY, OptionalDay

SearchWords = Annotated[
    str,
    Query(
        min_length=1,
        max_length=500,
        description=(
            'words, "a phrase", OR, -word, and fields: author:, title:, abstract:, '
            "category:, year:2025, year:2024..2025, after:2025-06-01, before:2025-09-30 "
            "(a malformed date: 400)"
        ),
    ),
]
SearchMode = Annotated[str, Query(pattern="^(hybrid|keyword|semantic)$")]
SearchCategory = Annotated[
    str | None,
    CATEGORY.query(
        "an arXiv category, like cs.CL, or an archive, like cs (all of its); several "
        "comma-separated (cs.CL,cs.LG) keep papers in any of them; any case; empty: any",
        max_length=64,
    ),
]
SearchAuthor = Annotated[str | None, Query(max_length=200)]
ListedSince = Annotated[
    OptionalDay, Query(description="listed on or after (YYYY-MM-DD); empty: no limit")
]
ListedUntil = Annotated[
    OptionalDay, Query(description="listed on or before (YYYY-MM-DD); empty: no limit")
]
