"""Telling apart the authors who share a name, by whom they write with (pure, no I/O).

Papers under one name that share a co-author (directly, or through a chain of papers that
do) are taken as one person's: a group. Papers that share no co-author with any other are
grouped by their primary category. A follow of one group keeps its co-authors (its anchors);
a paper under the name then counts for it when it shares a co-author with the anchors, or with
a paper under the name that did: the group grows as its author writes with new people.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from paperfeed.store.library import NamedPaper

MAX_GROUPS = 12  # groups a page shows (the biggest; the rest are counted)


@dataclass(frozen=True)
class Group:
    """Papers under one name that look like one person's, with their co-authors (name, key,
    papers together; most first) and primary categories (most common first)."""

    papers: tuple[NamedPaper, ...]
    coauthors: tuple[tuple[str, str, int], ...]
    categories: tuple[str, ...]
    by_category: bool  # joined by their category only: no co-author in common

    @property
    def anchor(self) -> str | None:
        """The key of the group's most frequent co-author: what a form names the group by."""
        return self.coauthors[0][1] if self.coauthors else None

    @property
    def keys(self) -> frozenset[str]:
        """The group's co-author keys."""
        return frozenset(k for _name, k, _n in self.coauthors)


def others(paper: NamedPaper, key: str) -> set[str]:
    """The paper's co-author keys: its authors but the one named `key`."""
    return {k for _name, k in paper.authors if k != key}


def groups(papers: Sequence[NamedPaper], key: str) -> list[Group]:
    """The papers under the name `key` in groups, the biggest first (ties: the newest first;
    `papers` come newest first)."""
    joined = _components(papers, key)
    alone = [c[0] for c in joined if len(c) == 1]
    found = [_group(c, key, False) for c in joined if len(c) > 1]
    by_category: dict[str, list[NamedPaper]] = {}
    for paper in alone:
        by_category.setdefault(paper.categories[0] if paper.categories else "", []).append(paper)
    found += [_group(ps, key, True) for ps in by_category.values()]
    order = {p.id: i for i, p in enumerate(papers)}
    return sorted(found, key=lambda g: (-len(g.papers), order[g.papers[0].id]))


def _components(papers: Sequence[NamedPaper], key: str) -> list[list[NamedPaper]]:
    """The papers joined through shared co-authors (union-find over papers), each component
    in the papers' order."""
    parent = list(range(len(papers)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}  # each co-author's first paper
    for i, paper in enumerate(papers):
        for k in others(paper, key):
            parent[root(i)] = root(first.setdefault(k, i))
    out: dict[int, list[NamedPaper]] = {}
    for i, paper in enumerate(papers):
        out.setdefault(root(i), []).append(paper)
    return list(out.values())


def _group(papers: Sequence[NamedPaper], key: str, by_category: bool) -> Group:
    names: dict[str, Counter[str]] = {}
    for paper in papers:
        for name, k in paper.authors:
            if k != key:
                names.setdefault(k, Counter())[name] += 1
    together = Counter(k for paper in papers for k in others(paper, key))
    coauthors = tuple(
        (names[k].most_common(1)[0][0], k, n)
        for k, n in sorted(together.items(), key=lambda kn: (-kn[1], kn[0]))
    )
    cats = Counter(p.categories[0] for p in papers if p.categories)
    categories = tuple(c for c, _n in sorted(cats.items(), key=lambda cn: (-cn[1], cn[0])))
    return Group(tuple(papers), coauthors, categories, by_category)


def circle(papers: Iterable[NamedPaper], key: str, anchors: frozenset[str]) -> frozenset[str]:
    """The co-authors of the namesake a follow's `anchors` chose: the anchors, and the
    co-authors of every paper under the name that shares one with them (until none is added)."""
    found, rest = set(anchors), [others(p, key) for p in papers]
    grew = True
    while grew:
        grew = False
        for keys in rest:
            if keys and not keys.isdisjoint(found) and not keys <= found:
                found |= keys
                grew = True
    return frozenset(found)


def label(name: str, group: Group, shown: int = 2) -> str:
    """How a follow of one group reads: "Yang Li (with A. Smith, B. Chen)"."""
    with_ = ", ".join(n for n, _k, _c in group.coauthors[:shown])
    return f"{name} (with {with_})" if with_ else name
