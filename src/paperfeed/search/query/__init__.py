"""Reading what a user typed into parts a search engine can run, never failing on odd text."""

from paperfeed.search.query.dates import QueryDates, query_dates, within
from paperfeed.search.query.fields import category_problems, filter_notes
from paperfeed.search.query.ids import paper_id_in
from paperfeed.search.query.model import MAX_QUERY_CHARS, MAX_WORDS, ParsedQuery
from paperfeed.search.query.parsing import parse_query
from paperfeed.search.query.semantic import semantic_text
from paperfeed.search.query.words import (
    CJK_RUN_RE,
    CODE_RE,
    CODE_WORDS,
    STOP_WORDS,
    code_words,
    has_cjk_run,
    name_words,
    words_of,
)

__all__ = [
    "CJK_RUN_RE",
    "CODE_RE",
    "CODE_WORDS",
    "MAX_QUERY_CHARS",
    "MAX_WORDS",
    "STOP_WORDS",
    "ParsedQuery",
    "QueryDates",
    "category_problems",
    "code_words",
    "filter_notes",
    "has_cjk_run",
    "name_words",
    "paper_id_in",
    "parse_query",
    "query_dates",
    "semantic_text",
    "within",
    "words_of",
]
