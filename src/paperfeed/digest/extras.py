"""What a digest item shows beside its paper, as the site's cards do: its code, its GitHub
stars and the Hub's models, datasets and demos citing it; looked up for a whole run at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import quote

from markupsafe import Markup
from sqlalchemy import Engine

from paperfeed.store.enrichment import (
    Enrichment,
    enrichment_for,
    github_name,
    repo_key,
    source_code_links,
)

if TYPE_CHECKING:  # compose's items carry Extras
    from paperfeed.digest.compose import Digest, DigestItem

LINKS = "#links"  # the paper page's "Code, models and data", where a card's "2 models" leads


@dataclass(frozen=True)
class Extras:
    """A paper's code link, repository stars and Hub counts (what its card shows)."""

    code: str = ""  # the first code link (http or https), "" for none
    repo: str = ""  # owner/name on GitHub, where GitHub knows it
    stars: int | None = None
    models: int = 0
    datasets: int = 0
    spaces: int = 0

    def counts(self) -> list[str]:
        """The Hub counts in the cards' words: "2 models", "1 dataset", "1 demo"."""
        kinds = (("model", self.models), ("dataset", self.datasets), ("demo", self.spaces))
        return [f"{n} {word}{'' if n == 1 else 's'}" for word, n in kinds if n]


def with_extras(engine: Engine, digests: Sequence[Digest]) -> list[Digest]:
    """The digests with each item's extras, looked up once for all their papers (items that
    digests share stay shared)."""
    ids = sorted({item.paper_id for d in digests for item in d.items})
    if not ids:
        return list(digests)
    found = extras_for(engine, ids)
    made: dict[int, DigestItem] = {}

    def item_of(item: DigestItem) -> DigestItem:
        extras = found.get(item.paper_id)
        if extras is None or item.extras == extras:
            return item
        kept = made.get(id(item))
        if kept is None:
            kept = made[id(item)] = replace(item, extras=extras)
        return kept

    return [replace(d, items=tuple(item_of(i) for i in d.items)) for d in digests]


def extras_for(engine: Engine, paper_ids: Sequence[str]) -> dict[str, Extras]:
    """Extras of the papers that have any, in a few queries for all of them."""
    with engine.connect() as conn:
        code, signal = source_code_links(conn, paper_ids)
        repos = {pid: _repos(code.get(pid, []), signal.get(pid)) for pid in paper_ids}
        found = enrichment_for(conn, paper_ids, repos)
    out = {}
    for pid in paper_ids:
        extras = _extras(found.get(pid), code.get(pid, []))
        if extras != Extras():
            out[pid] = extras
    return out


def _repos(code: list[str], signal: str | None) -> list[str]:
    # A card's repositories: its code links', then the GitHub signal's (views._repos_of).
    names = [github_name(u) for u in [*code, *([signal] if signal else [])]]
    return [n for n in dict.fromkeys(names) if n]


def _extras(found: Enrichment | None, code: list[str]) -> Extras:
    urls = [*(found.code if found and found.code else code)][:1]  # the card's "Code"
    url = next((u for u in urls if u.startswith(("https://", "http://"))), "")
    if found is None:
        return Extras(code=url)
    repo = found.repo
    name, stars = (repo.full_name, repo.stars) if repo else ("", None)
    return Extras(url, name, stars, found.models, found.datasets, found.spaces)


def extras_html(extras: Extras | None, paper_url: str) -> Markup:
    """The item's line of links (code, stars, Hub counts), escaped; nothing without any."""
    if extras is None:
        return Markup("")
    parts = []
    if extras.code:
        parts.append(_A.format(extras.code, f"Code{_stars(extras, ' ★ {:,}', True)}"))
    if stars := _stars(extras, "★ {:,}", False):
        parts.append(_A.format(_github(extras.repo), stars))
    parts += [_A.format(paper_url + LINKS, count) for count in extras.counts()]
    return Markup(_LINE).format(Markup(" &middot; ").join(parts)) if parts else Markup("")


_A = Markup('<a href="{}" style="color:#1d4ed8;text-decoration:none;">{}</a>')
_LINE = Markup('<p class="pf-extras" style="margin:4px 0 0 0;">{}</p>')


def extras_text(extras: Extras | None, paper_url: str, indent: str = "   ") -> str:
    """The item's lines of the plain text: each thing, then where its link goes."""
    if extras is None:
        return ""
    lines = []
    if extras.code:
        lines.append(f"Code{_stars(extras, ' (★ {:,} on GitHub)', True)}: {extras.code}")
    if stars := _stars(extras, "★ {:,} on GitHub", False):
        lines.append(f"{stars}: {_github(extras.repo)}")
    if counts := extras.counts():
        lines.append(f"{' · '.join(counts)}: {paper_url}{LINKS}")
    return "".join(f"{indent}{line}\n" for line in lines)


def _stars(extras: Extras, form: str, of_code: bool) -> str:
    """The repository's stars in `form`, with the code link (`of_code`) when it is that
    repository, else on their own; "" where GitHub gave none."""
    if not extras.repo or extras.stars is None:
        return ""
    name = github_name(extras.code) if extras.code else None
    same = name is not None and repo_key(name) == repo_key(extras.repo)
    return form.format(extras.stars) if same == of_code else ""


def _github(name: str) -> str:
    return f"https://github.com/{quote(name, safe='/')}"
