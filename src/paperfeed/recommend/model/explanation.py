"""Why a paper is recommended and what a model learned: reasons, terms, papers leaned on."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from paperfeed.latex import plain
from paperfeed.recommend.model.features import Space
from paperfeed.recommend.model.mutes import followed_authors, matched_search
from paperfeed.recommend.model.scoring import Scored
from paperfeed.recommend.model.signals import SOURCE_LABELS, SOURCE_PHRASES, Signal, Tuning, _weight
from paperfeed.recommend.model.training import UserModel


def explain(model: UserModel, space: Space, scored: Scored, row: int) -> str:
    """One line saying why this paper is recommended."""
    doc, f = space.docs[row], model.follows
    authors = followed_authors(doc, f)
    if authors:
        return f"by {_and(authors)}, whom you follow"
    query = matched_search(doc, f)
    if query:
        return f"matches your search “{query}”"
    near = int(scored.nearest[row])
    if near >= 0 and scored.near_sim[row] >= model.tuning.near_threshold:
        sig = model.positives[model.pos_index[near]]
        return f"close to “{_clip(sig.doc.title)}” {SOURCE_PHRASES.get(sig.source, '')}".strip()
    cats = sorted(f.categories.intersection(doc.categories))
    if cats:
        return f"in {_and(cats)}, which you follow"
    terms = matching_terms(model, space, row, 3)
    if terms:
        about = "this collection is" if _of_a_collection(model) else "your papers are"
        return "mentions " + ", ".join(f"“{t}”" for t in terms) + f", which {about} about"
    return "new in this period"


def _and(names: list[str], most: int = 3) -> str:
    """Names as a sentence says them: "A", "A and B", "A, B and C", "A, B, C and 2 more"."""
    shown = names[:most]
    rest = len(names) - len(shown)
    if rest:
        return f"{', '.join(shown)} and {rest} more"
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def _of_a_collection(model: UserModel) -> bool:
    """Whether the model learned from one collection's papers (they are all its positives)."""
    return bool(model.positives) and model.positives[0].source == "collection"


def _clip(title: str, limit: int = 80) -> str:
    """A title for a one-line reason: its LaTeX as text (a cut through "$\\mathbb{F}_q$" showed
    raw TeX on the page, in the API, feeds and email), then cut at `limit`."""
    title = plain(title)
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


# Words of a comment line's scaffolding (links, page counts, "project page", "accepted at").
# The model may weigh them (a reader's group publishes project pages), but a term made only of
# them says nothing to the reader, so reasons and the learned page never show one. Words that
# are also topics ("code", "data", "table") are not among them.
SCAFFOLDING = frozenset(
    "http https www com org io net edu html github gitlab huggingface co git sites google "  # noqa: SIM905
    "page pages project projects website homepage figure figures fig tables appendix "
    "appendices available supplementary material materials version camera ready accepted "
    "submitted preprint conference proceedings pp".split()
)


# Words any abstract may use, which say nothing of its topic ("tremendous potential"), and of
# them the glue that makes a two-word term read as a fragment ("based inverse", "used design").
GLUE = frozenset(
    "based using used use uses via also well including across within without however "  # noqa: SIM905
    "moreover furthermore first novel new propose proposed proposes present presents "
    "presented show shows shown introduce introduces introduced".split()
)
FILLER = GLUE | frozenset(
    "approach approaches method methods result results paper work works demonstrate "  # noqa: SIM905
    "demonstrates demonstrated potential tremendous inherent capability capabilities diverse "
    "maintaining maintain precise significant significantly effective effectively various "
    "existing recent recently key important achieve achieves achieving improve improves "
    "improved improving extensive experiments experimental enable enables enabling provide "
    "provides providing remarkable promising crucial critical robust robustness superior "
    "outperforms outperform comprehensive study studies task tasks".split()
)


# Words of LaTeX source an abstract's maths leaves among the terms ("$\\mathbb{F}_q$" gives
# "mathbb" and "_q"): the model may weigh them (they mark a mathematical reader), but a reason
# or the learned page naming one shows TeX, not a topic. Greek letters' names are among them;
# words that are also English ("log", "top", "left") are not.
TEX_WORDS = frozenset(
    "mathbb mathcal mathrm mathbf mathfrak mathsf mathit mathscr mathtt mathop mathbbm "  # noqa: SIM905
    "operatorname boldsymbol textbf textit textrm texttt textsc textsf textsuperscript emph "
    "frac dfrac tfrac sqrt cdot cdots ldots vdots ddots leq geq neq le ge ne leqslant "
    "geqslant approx simeq equiv propto infty nabla varepsilon epsilon vartheta varphi "
    "varrho varsigma varpi alpha beta gamma delta zeta eta theta iota kappa lambda mu nu xi "
    "omicron rho sigma tau upsilon phi chi psi omega qquad quad widehat widetilde overline "
    "underline overrightarrow hbar ket bra braket rangle langle lvert rvert lfloor rfloor "
    "lceil rceil emptyset varnothing setminus subseteq supseteq notin forall otimes oplus "
    "rightarrow leftarrow mapsto longrightarrow ell mathrel limits displaystyle bm".split()
)


def shown_term(term: str) -> bool:
    """Whether a term means something to a reader: not only a comment line's scaffolding or
    an abstract's filler, nor a fragment that begins or ends with glue, nor LaTeX source."""
    words = term.split()
    if any(word in TEX_WORDS or word.startswith("_") for word in words):
        return False
    if all(word in SCAFFOLDING or word in FILLER for word in words):
        return False
    return not (len(words) > 1 and (words[0] in GLUE or words[-1] in GLUE))


def matching_terms(model: UserModel, space: Space, row: int, k: int) -> list[str]:
    """The paper's terms that raise its keyword score most (scaffolding left out)."""
    rows = space.keywords  # the row's slice of the CSR arrays (indexing a row costs ~1 ms)
    start, end = rows.indptr[row], rows.indptr[row + 1]
    indices = rows.indices[start:end]
    contrib = rows.data[start:end] * model.term_weights[indices]
    names = space.terms
    assert names is not None
    best = (str(names[indices[i]]) for i in np.argsort(-contrib, kind="stable") if contrib[i] > 0)
    return list(itertools.islice(_apart(t for t in best if shown_term(t)), k))


def _apart(terms: Iterable[str]) -> Iterator[str]:
    """Terms sharing no word with an earlier one: "inverse problems", not then "inverse" and
    "problems" as well."""
    seen: set[str] = set()
    for term in terms:
        words = set(term.split())
        if not words & seen:
            seen |= words
            yield term


def strongest_terms(model: UserModel, space: Space, k: int = 20) -> list[tuple[str, float]]:
    """The terms the keyword model weighs most (positive first; scaffolding left out)."""
    names = space.terms
    assert names is not None
    weights = model.term_weights
    width = k * 8  # the heaviest few first: sorting a whole vocabulary took 40 ms a view
    while True:
        best = ((str(names[i]), float(weights[i])) for i in _heaviest(weights, width))
        found = list(itertools.islice((tw for tw in best if tw[1] > 0 and shown_term(tw[0])), k))
        if len(found) == k or width >= len(weights):
            return found
        width *= 8


def _heaviest(weights: np.ndarray, n: int) -> np.ndarray:
    """Indexes of the `n` largest weights, largest first."""
    if n >= len(weights):
        return np.argsort(-weights)
    top = np.argpartition(-weights, n)[:n]
    return top[np.argsort(-weights[top])]


@dataclass(frozen=True)
class LeanedOn:
    """A paper the model learned from, its signals combined: the strongest one's weight, all
    their sources (a paper saved, rated 👍 and upvoted is one paper, not three)."""

    id: str
    title: str
    weight: float
    sources: tuple[str, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        """The sources as a reader says them: saved, 👍, upvoted, submitted."""
        return tuple(SOURCE_LABELS.get(s, s) for s in self.sources)


def papers_leaned_on(model: UserModel, k: int = 10) -> list[LeanedOn]:
    """The model's positive papers, once each, the most weighted first."""
    by_paper: dict[str, list[Signal]] = {}
    for s in model.positives:
        by_paper.setdefault(s.doc.id, []).append(s)

    # The weights first, the k heaviest described: a library of thousands is not built whole.
    def weight(signals: list[Signal]) -> float:
        return max(_weight(s, model.tuning) for s in signals)

    heaviest = heapq.nlargest(k, by_paper.values(), key=weight)  # = sorted(...)[:k], ties too
    return [_leaned_on(signals, model.tuning) for signals in heaviest]


def positive_papers(model: UserModel) -> int:
    """How many distinct papers the model learned from (a paper's signals count once)."""
    return len({s.doc.id for s in model.positives})


def _leaned_on(signals: Sequence[Signal], tuning: Tuning) -> LeanedOn:
    order = {source: i for i, source in enumerate(SOURCE_LABELS)}  # saved first, then the rest
    every = {source for s in signals for source in (s.source, *s.also)}
    sources = sorted(every, key=lambda x: (order.get(x, len(order)), x))
    weight = max(_weight(s, tuning) for s in signals)
    return LeanedOn(signals[0].doc.id, signals[0].doc.title, weight, tuple(sources))
