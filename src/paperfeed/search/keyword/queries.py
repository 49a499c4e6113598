"""A query's words as the keyword index holds them, and the tantivy queries of a parsed query."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from itertools import combinations, pairwise

import tantivy
from tantivy import FieldType, Occur, Query

from paperfeed import categories
from paperfeed.search.keyword.schema import UMLAUTS_SINCE, VENUE_SINCE
from paperfeed.search.query import ParsedQuery, name_words, words_of
from paperfeed.text import CJK_LETTERS, HANGUL_LETTERS, name_parts_joined, spelled_in, spelled_out

_TEXT_FIELDS = ("title", "text")
_ONE_CJK = re.compile(f"[{CJK_LETTERS}]")  # a query word of one Chinese or Japanese character
_CJK_WORD = re.compile(f"[{CJK_LETTERS}]+")
_HANGUL_WORD = re.compile(f"[{HANGUL_LETTERS}]+")


@dataclass(frozen=True)
class Filters:
    """Restrictions a search can carry."""

    since: date | None = None
    until: date | None = None
    # A category, or a whole archive ("cs", "q-bio"): any of its categories; several joined by
    # commas ("cs.CL,cs.LG", the query's "cat:cs.CL cat:cs.LG"): any of them.
    category: str | None = None
    author: str | None = None
    # Only these papers (a conference's: `store.listings.venue_paper_ids`); None: any paper.
    among: frozenset[str] | None = None

    @property
    def any(self) -> bool:
        """True when at least one filter is set."""
        return any((self.since, self.until, self.category, self.author)) or self.among is not None


@dataclass(frozen=True)
class Weights:
    """Per-field BM25 weights: the title, the combined `text` field (which carries the
    abstract's evidence, and the title's and names' once more), the author names, and the
    comments and journal reference (`venue`: low, so that ordinary queries rank as before)."""

    title: float = 1.0
    abstract: float = 1.0
    authors: float = 1.0
    # 0.1: ordinary queries' top 10 as before (known-item MRR@10 unchanged, 94% of 3-word
    # queries' top 10 identical; 0.5 lowered it 0.0075: bench/RESULTS.md, "Comments searched")
    venue: float = 0.1


# Keyword mode: a title word counts in `text` and again in the title's own, short-field BM25.
# (Schema 4, SciFact dev: title 1.0 gives nDCG@10 0.640; 1.5, 0.613; 2.0, 0.601. Title 2.0 over
# a separate abstract field gave 0.610: bench/RESULTS.md, "Keyword at 1 M".)
KEYWORD = Weights()
# Hybrid mode's keyword half, tuned on SciFact dev: the dense half already reads titles, so the
# keyword half does best weighing exact evidence in the abstract (title 0.25: nDCG@10 0.701 with
# MiniLM, 0.663 with the static model; 0.5: 0.696 and 0.660; 0.0: 0.654 static). A proximity
# bonus added 0.005 nDCG@10 there at ~2.5x the keyword time at 1 M papers: dropped.
HYBRID = Weights(title=0.25)
FULL_NAME_BOOST = 4.0
# The index stores days as nanoseconds since 1970: filters beyond these days mean "no bound".
FIRST_DAY, LAST_DAY = (
    date(1678, 1, 1),
    date(2262, 1, 1),
)  # the whole query found as one author's name


class QueryBuilder:
    """`KeywordIndex`'s words and queries: terms as its fields hold them, and tantivy queries."""

    schema: tantivy.Schema
    index: tantivy.Index
    stem: tantivy.TextAnalyzer
    names: tantivy.TextAnalyzer
    fields: int  # the schema version whose fields the index has

    def frequencies(self, words: Sequence[str]) -> list[int]:
        """`frequency` of many plain lower-case ASCII words at once (one analyzer call)."""
        stems = self.stem.analyze(" ".join(words)) if words else []
        if len(stems) != len(words):  # a word the analyzer split or dropped: one at a time
            return [self.frequency(w) for w in words]
        searcher = self.index.searcher()
        venue = self.fields >= VENUE_SINCE
        return [
            max(
                searcher.doc_freq("text", stem),
                searcher.doc_freq("author_words", word),
                searcher.doc_freq("venue", stem) if venue else 0,
            )
            for word, stem in zip(words, stems, strict=True)
        ]

    def frequency(self, word: str) -> int:
        """In how many papers the word occurs (as the index reads it): title, abstract or name."""
        searcher = self.index.searcher()
        counts = [searcher.doc_freq("text", t) for t in self._stems(word)]
        counts += [searcher.doc_freq("author_words", t) for t in self._name_tokens(word)]
        if self.fields >= VENUE_SINCE:
            counts += [searcher.doc_freq("venue", t) for t in self._stems(word)]
        return int(max(counts, default=0))

    def _stems(self, word: str) -> list[str]:
        """A query word's stem as the index holds it, and its stem spelled out when it holds an
        umlaut ("müller": muller, and mueller as other papers write it), or in the other way
        papers wrote it ("schrodinger": schroedinger too, `other_spellings`)."""
        return self._forms(word, self.stem)

    def _name_tokens(self, word: str) -> list[str]:
        """`_stems` for author names (not stemmed)."""
        return self._forms(word, self.names)

    def _forms(self, word: str, analyzer: tantivy.TextAnalyzer) -> list[str]:
        spelled = spelled_out(word)
        others = [spelled] if spelled != word else self.other_spellings(word)
        tokens = analyzer.analyze(word)
        return list(dict.fromkeys(tokens + [t for o in others for t in analyzer.analyze(o)]))

    def other_spellings(self, word: str) -> list[str]:
        """A plain lower-case word's other spelling where a paper wrote it with an umlaut:
        "schroedinger" as "schrodinger" and back, once a paper wrote "Schrödinger"; none where
        no paper backs the guess ("does" is not "dos": no paper wrote "Dös"), nor in an index
        older than the field that says so."""
        if self.fields < UMLAUTS_SINCE or not word.isascii() or not word.isalpha():
            return []
        searcher = self.index.searcher()
        plain = spelled_in(word)
        if plain != word and searcher.doc_freq("umlauts", word):
            return [plain]
        return [w for w in _umlauts_spelled_out(word) if searcher.doc_freq("umlauts", w)]

    def _query(
        self,
        parsed: ParsedQuery,
        filters: Filters,
        weights: Weights = KEYWORD,
        all_words: bool = False,
    ) -> Query:
        base = self._match(parsed, weights, all_words) if parsed.positive else Query.all_query()
        others = self._exclusions(parsed) + self._filter_clauses(filters)
        return Query.boolean_query([(Occur.Must, base), *others]) if others else base

    def _quorum(self, parsed: ParsedQuery, filters: Filters, size: int) -> Query:
        """Papers under `filters` holding `size` of the query's words (any of them) and all
        its phrases and prefixes: one coordination level below every word."""
        words = list(dict.fromkeys(parsed.meaningful))
        if size >= len(words):
            return self._query(parsed, filters, all_words=True)
        subsets = [replace(parsed, words=c) for c in combinations(words, size)]
        some = [(Occur.Should, self._match(p, all_words=True)) for p in subsets]
        others = self._exclusions(parsed) + self._filter_clauses(filters)
        return Query.boolean_query([(Occur.Must, Query.boolean_query(some)), *others])

    def _match(
        self, parsed: ParsedQuery, weights: Weights = KEYWORD, all_words: bool = False
    ) -> Query:
        words = list(dict.fromkeys(parsed.meaningful))
        if all_words:
            clauses = self._every_word(
                words, parsed.prefixes, weights, parsed.either, parsed.acronyms, parsed.phrased
            )
        else:  # one flat union of term queries scores the same, and tantivy runs it faster
            each = [self._word(w, weights, w in parsed.acronyms) for w in words]
            each += [self._prefix(p) for p in parsed.prefixes]
            clauses = [(Occur.Should, q) for qs in each for q in qs]
        clauses += [(Occur.Should, q) for q in self._full_name(words)]
        clauses += [(Occur.Must, self._phrase(p, weights)) for p in parsed.phrases]
        if not clauses:
            return Query.empty_query()
        return Query.boolean_query(clauses)

    def _every_word(
        self,
        words: Sequence[str],
        prefixes: Sequence[str],
        weights: Weights,
        either: Sequence[Sequence[Sequence[str]]] = (),
        acronyms: Sequence[str] = (),
        phrased: Collection[Sequence[str]] = (),
    ) -> list[tuple[Occur, Query]]:
        """Every word required in the combined `text` field (scored as the abstract is), the
        title and author names adding their own evidence as the separate fields do; words
        and phrases joined by OR need one of their group."""
        clauses: list[tuple[Occur, Query]] = []
        alternatives = {w for group in either for alternative in group for w in alternative}
        for group in either:
            clauses.append((Occur.Must, self._one_of(group, weights, phrased)))
        korean = _korean_names(words)
        clauses += [(Occur.Must, self._korean_name(parts, weights)) for parts in korean]
        alternatives |= {w for parts in korean for w in parts}
        for word in words:
            if word in alternatives:
                for query in self._word(word, weights, word in acronyms):  # evidence only
                    clauses.append((Occur.Should, query))
                continue
            if _ONE_CJK.fullmatch(word):
                letter = self._cjk_letter(word, weights)
                clauses.append(
                    (Occur.Must, Query.boolean_query([(Occur.Should, q) for q in letter]))
                )
                continue
            stems = self._stems(word)
            if not stems:
                continue
            text = self._text(word, stems, word in acronyms)
            clauses.append((Occur.Must, self._text_or_venue(text, stems, weights)))
            title = _best([Query.term_query(self.schema, "title", t) for t in stems])
            clauses.append((Occur.Should, Query.boost_query(title, weights.title)))
            names = [] if word in acronyms else self._name_tokens(word)
            if names:
                author = _best([Query.term_query(self.schema, "author_words", t) for t in names])
                clauses.append((Occur.Should, Query.boost_query(author, weights.authors)))
        for prefix in prefixes:
            pattern = _regex_escape(self._prefix_stem(prefix)) + ".*"
            clauses.append((Occur.Must, Query.regex_query(self.schema, "text", pattern)))
        return clauses

    def _one_of(
        self,
        group: Sequence[Sequence[str]],
        weights: Weights,
        phrased: Collection[Sequence[str]] = (),
    ) -> Query:
        """Papers holding every word of one of these alternatives (in the `text` field), or
        the words of a phrase alternative in its order."""
        options: list[tuple[Occur, Query]] = []
        for alternative in group:
            if alternative in phrased:
                phrase = self._phrase(tuple(alternative), weights)
                options.append((Occur.Should, Query.boost_query(phrase, weights.abstract)))
                continue
            needed = [
                (Occur.Must, self._text_or_venue(self._text(word, stems, False), stems, weights))
                for word in alternative
                if (stems := self._stems(word))
            ]
            if needed:
                query = Query.boolean_query(needed)
                options.append((Occur.Should, Query.boost_query(query, weights.abstract)))
        return Query.boolean_query(options) if options else Query.empty_query()

    def _korean_name(self, parts: Sequence[str], weights: Weights) -> Query:
        """The parts of a Korean name typed apart ("김 민수"): each in the paper, or the name
        written together ("김민수": as papers and author keys also write it)."""
        apart = [(Occur.Must, _best(self._text(w, self._stems(w), False))) for w in parts]
        together = [
            Query.term_query(self.schema, "text", t) for t in self.stem.analyze("".join(parts))
        ]
        either = [(Occur.Should, Query.boolean_query(apart))]
        either += [(Occur.Should, q) for q in together]
        return Query.boost_query(Query.boolean_query(either), weights.abstract)

    def _full_name(self, words: Sequence[str]) -> list[Query]:
        # A query that is someone's name ("Carlos Guestrin") puts their papers first, above
        # papers that only share one of the words ("Monte Carlo").
        spellings = _spellings(_as_name(words), self.names)
        if not 2 <= len(spellings[0]) <= 4:
            return []
        name = [Query.phrase_query(self.schema, "author_words", list(t)) for t in spellings]
        name += [Query.term_query(self.schema, "author_words", t) for t in _korean_joined(words)]
        return [Query.boost_query(_best(name), FULL_NAME_BOOST)]

    def _word(self, word: str, weights: Weights = KEYWORD, acronym: bool = False) -> list[Query]:
        if _ONE_CJK.fullmatch(word):
            return self._cjk_letter(word, weights)
        out = []
        stems = self._stems(word)
        if stems:  # the `text` field's match is the abstract's evidence
            title = _best([Query.term_query(self.schema, "title", t) for t in stems])
            abstract = _best(self._text(word, stems, acronym))
            out += [
                Query.boost_query(title, weights.title),
                Query.boost_query(abstract, weights.abstract),
            ]
            venue = self._venue(stems, weights)
            out += [venue] if venue else []
        names = [] if acronym else self._name_tokens(word)
        if names:
            author = _best([Query.term_query(self.schema, "author_words", t) for t in names])
            out.append(Query.boost_query(author, weights.authors))
        return out

    def _text(self, word: str, stems: Sequence[str], acronym: bool) -> list[Query]:
        """The `text` field's query for each stem of a word. An acronym ("GAN") is not found in
        an author's name ("Lu Gan"): a paper by a Gan needs none (scored as the word alone)."""
        text = [Query.term_query(self.schema, "text", t) for t in stems]
        names = self.names.analyze(word) if acronym else []
        if not names:
            return text
        unnamed = [(Occur.MustNot, Query.term_query(self.schema, "author_words", t)) for t in names]
        return [Query.boolean_query([(Occur.Must, query), *unnamed]) for query in text]

    def _venue(self, stems: Sequence[str], weights: Weights) -> Query | None:
        """The word in the comments or journal reference, weighed low (None: an index older
        than the field)."""
        if self.fields < VENUE_SINCE or not stems or not weights.venue:
            return None
        venue = _best([Query.term_query(self.schema, "venue", t) for t in stems])
        return Query.boost_query(venue, weights.venue)

    def _text_or_venue(self, text: list[Query], stems: Sequence[str], weights: Weights) -> Query:
        """A word an every-word query needs: in the title, abstract or names, or in the comments
        or journal reference ("ICML 2026" where only the comments name the conference)."""
        found = Query.boost_query(_best(text), weights.abstract)
        venue = self._venue(stems, weights)
        if venue is None:
            return found
        return Query.boolean_query([(Occur.Should, found), (Occur.Should, venue)])

    def _cjk_letter(self, letter: str, weights: Weights) -> list[Query]:
        """One Chinese or Japanese character: it stands alone or in the pairs its runs were
        indexed as (`query.code_words`), so any term of one or two such characters that holds
        it matches."""
        pattern = f"[{CJK_LETTERS}]?{letter}[{CJK_LETTERS}]?"
        title, text = (Query.regex_query(self.schema, f, pattern) for f in _TEXT_FIELDS)
        return [Query.boost_query(title, weights.title), Query.boost_query(text, weights.abstract)]

    def _prefix(self, prefix: str) -> list[Query]:
        pattern = _regex_escape(self._prefix_stem(prefix)) + ".*"
        return [Query.regex_query(self.schema, field, pattern) for field in _TEXT_FIELDS]

    def _prefix_stem(self, prefix: str) -> str:
        tokens = self.stem.analyze(prefix)
        return tokens[0] if tokens and prefix.startswith(tokens[0]) else prefix

    def _phrase(self, words: tuple[str, ...], weights: Weights = KEYWORD) -> Query:
        spellings = _spellings(words, self.stem, guess=True)
        other = [(self.other_spellings(w) or [w])[0] for w in words]
        if other != list(words):  # "Schrodinger bridge" as "Schroedinger bridge" too
            spellings += [t for t in _spellings(other, self.stem) if t not in spellings]
        if len(spellings[0]) < 2:
            return Query.boolean_query([(Occur.Should, q) for w in words for q in self._word(w)])
        title, text = (
            _best([Query.phrase_query(self.schema, f, list(t)) for t in spellings])
            for f in _TEXT_FIELDS
        )
        boosted = [Query.boost_query(title, weights.title), text]
        if self.fields >= VENUE_SINCE and weights.venue:  # "ICML 2026" in the comments
            venue = _best([Query.phrase_query(self.schema, "venue", list(t)) for t in spellings])
            boosted.append(Query.boost_query(venue, weights.venue))
        return Query.boolean_query([(Occur.Should, q) for q in boosted])

    def _exclusions(self, parsed: ParsedQuery) -> list[tuple[Occur, Query]]:
        out = [(Occur.MustNot, q) for w in parsed.excluded_words for q in self._word(w)]
        return out + [(Occur.MustNot, self._phrase(p)) for p in parsed.excluded_phrases]

    def _filter_clauses(self, filters: Filters) -> list[tuple[Occur, Query]]:
        out: list[tuple[Occur, Query]] = []
        if filters.since or filters.until:
            low = datetime.combine(_clamp(filters.since), time()) if filters.since else None
            high = datetime.combine(_clamp(filters.until), time()) if filters.until else None
            out.append(
                (Occur.Must, Query.range_query(self.schema, "day", FieldType.Date, low, high))
            )
        if filters.category:
            out.append((Occur.Must, self._category(filters.category)))
        if filters.author:
            out.append((Occur.Must, self._author(filters.author)))
        if filters.among is not None:
            out.append((Occur.Must, self._among(filters.among)))
        return out

    def _among(self, ids: frozenset[str]) -> Query:
        """Only these papers (none: nothing matches)."""
        if not ids:
            return Query.empty_query()
        return Query.term_set_query(self.schema, "id", list(ids))

    def _category(self, category: str) -> Query:
        """Papers listed in the category, or in any category of an archive ("cs": cs.AI, ...)."""
        held = categories.kept_by(category)
        if len(held) == 1:
            return Query.term_query(self.schema, "category", held[0])
        return Query.term_set_query(self.schema, "category", list(held))

    def _author(self, name: str) -> Query:
        typed = _given_name_first(name)
        spellings = _spellings(words_of(name_words(typed)), self.names)
        if not spellings[0]:
            return Query.empty_query()
        joined = tuple(words_of(name_words(name_parts_joined(typed))))
        if joined not in spellings:  # "김 민수" as "김민수" too (a paper may write either)
            spellings.append(joined)
        return _best([self._one_name(list(tokens)) for tokens in spellings])

    def _one_name(self, tokens: list[str]) -> Query:
        if len(tokens) == 1:
            return Query.term_query(self.schema, "author_words", tokens[0])
        if any(len(t) == 1 for t in tokens):  # an initial ("M. Färber") stands for any name
            patterns: list[str | tuple[int, str]] = [
                f"{t}.*" if len(t) == 1 else _regex_escape(t) for t in tokens
            ]
            return Query.regex_phrase_query(self.schema, "author_words", patterns)
        return Query.phrase_query(self.schema, "author_words", list(tokens))


def _several(parsed: ParsedQuery) -> bool:
    """Whether the query asks for more than one thing (words, prefixes, phrases), so that papers
    holding all of them come first: '"graph neural network" diffusion' needs both."""
    return len(parsed.meaningful) + len(parsed.prefixes) + len(parsed.phrases) > 1


def _as_name(words: Sequence[str]) -> Sequence[str]:
    """Words that are the parts of a Chinese or Japanese name ("山田 太郎") as the index holds
    the name: written together, as its pairs of characters."""
    if len(words) > 1 and all(_CJK_WORD.fullmatch(w) for w in words):
        return words_of("".join(words))
    return words


def _korean_names(words: Sequence[str]) -> list[tuple[str, ...]]:
    """Runs of two or more Hangul words in a query ("pooling 김 민수"): maybe a Korean name's
    parts, which papers also write together."""
    runs: list[list[str]] = [[]]
    for word in words:
        if _HANGUL_WORD.fullmatch(word):
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    return [tuple(run) for run in runs if len(run) > 1]


def _korean_joined(words: Sequence[str]) -> list[str]:
    """Words that are the parts of a Korean name ("김 민수") written together, as papers also
    write it ("김민수"); none for other words."""
    if len(words) > 1 and all(_HANGUL_WORD.fullmatch(w) for w in words):
        return ["".join(words)]
    return []


def _given_name_first(name: str) -> str:
    """A name as papers write it: "Färber, Michael" and arXiv's "Farber_M" as "Michael Färber"
    and "M Farber"."""
    family, comma, given = name.replace("_", ",", 1).partition(",")
    return f"{given} {family}" if comma else name


def _spellings(
    words: Sequence[str], analyzer: tantivy.TextAnalyzer, guess: bool = False
) -> list[tuple[str, ...]]:
    """The terms of these words in a row, and once more with their umlauts spelled out when
    they hold any ("Müller" as muller and mueller: a paper writes one or the other). With
    `guess`, spelled-out umlauts are read back too ("Mueller" as muller): for phrases, where
    the words around make a wrong guess ("does" as "dos") unlikely to match."""
    typed = tuple(t for w in words for t in analyzer.analyze(w))
    spelled = tuple(t for w in words for t in analyzer.analyze(spelled_out(w)))
    guessed = tuple(t for w in words for t in analyzer.analyze(spelled_in(w))) if guess else ()
    return [typed] + [s for s in dict.fromkeys((spelled, guessed)) if s and s != typed]


def _umlauts_spelled_out(word: str) -> list[str]:
    """The ways a plain word could spell umlauts out: an "e" after an "a", "o" or "u" (its
    first four), "schrodinger" as "schroedinger"."""
    spots = [i + 1 for i, c in enumerate(word) if c in "aou" and word[i + 1 : i + 2] != "e"][:4]
    return [
        "".join(word[a:b] + "e" for a, b in pairwise((0, *combo))) + word[combo[-1] :]
        for n in range(1, len(spots) + 1)
        for combo in combinations(spots, n)
    ]


def _best(queries: list[Query]) -> Query:
    """One query, or the best-scoring of several spellings of one thing (never their sum)."""
    return queries[0] if len(queries) == 1 else Query.disjunction_max_query(queries)


def _clamp(day: date) -> date:
    """A day inside the range the index can hold (no paper lies outside it)."""
    return min(max(day, FIRST_DAY), LAST_DAY)


def _regex_escape(text: str) -> str:
    return "".join(c if c.isalnum() else "\\" + c for c in text)
