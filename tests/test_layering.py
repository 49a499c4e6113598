"""Imports point down: web/digest/cli -> pipeline -> search/ingest -> store -> models/settings/util.

Read with `ast`, so imports inside functions (the lazy ones) count too. See docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "paperfeed"
BOTTOM = (
    "paperfeed.models",
    "paperfeed.settings",
    "paperfeed.util",
    "paperfeed.text",
    "paperfeed.arxiv_ids",
    "paperfeed.mailwire",  # a message's wire and kept forms: the outbox stores the latter
    "paperfeed.latex",  # TeX as text: accents decoded at ingest and in keys, maths for email
    "paperfeed.venues",  # a comment's conference, kept with the paper for its venue's page
)
ABOVE_FEATURES = ("paperfeed.web", "paperfeed.cli", "paperfeed.pipeline")

# module prefix -> ("only", allowed prefixes) or ("never", forbidden prefixes)
RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "paperfeed.models": ("only", BOTTOM),
    "paperfeed.settings": ("only", BOTTOM),
    "paperfeed.util": ("only", ()),
    "paperfeed.text": ("only", ()),
    "paperfeed.mailwire": ("only", ()),
    "paperfeed.latex": ("only", ()),
    "paperfeed.venues": ("only", ()),
    # user Markdown to safe HTML: pages, feeds and email (its maths as text where no KaTeX runs)
    "paperfeed.markup": ("only", ("paperfeed.latex",)),
    "paperfeed.templating": ("only", ("paperfeed.text",)),
    "paperfeed.cli_support": ("only", ("paperfeed.text", "paperfeed.util")),
    "paperfeed.store": ("only", ("paperfeed.store", *BOTTOM)),
    "paperfeed.trending": ("only", BOTTOM),
    "paperfeed.ingest": ("never", ("paperfeed.search", "paperfeed.digest", *ABOVE_FEATURES)),
    "paperfeed.search": ("never", ("paperfeed.ingest", "paperfeed.digest", *ABOVE_FEATURES)),
    "paperfeed.digest": ("never", ("paperfeed.ingest", *ABOVE_FEATURES)),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str) -> set[str]:
    """Every paperfeed module the source imports, at top level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, module)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "paperfeed" or name.startswith("paperfeed.")}


def _resolve(node: ast.ImportFrom, module: str) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".")[: -node.level]
    return ".".join([*package, node.module] if node.module else package)


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(module: str, imports: set[str]) -> list[str]:
    """The imports of `module` that break its layer's rule."""
    bad: list[str] = []
    for prefix, (kind, names) in RULES.items():
        if not _under(module, (prefix,)):
            continue
        for name in sorted(imports):
            if _under(name, (prefix,)) or name == "paperfeed":
                continue  # inside its own package (`from paperfeed import x` resolves below)
            if (kind == "only") != _under(name, names):
                bad.append(f"{module} imports {name}")
    return bad


def _sources() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def test_the_package_has_modules_in_every_ruled_layer() -> None:
    modules = {module_name(p) for p in _sources()}
    for prefix in RULES:
        assert any(_under(m, (prefix,)) for m in modules), prefix


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down(path: Path) -> None:
    module = module_name(path)
    assert violations(module, imported(path.read_text(), module)) == []


def test_the_checker_catches_a_lazy_sideways_import() -> None:
    source = "def f():\n    from paperfeed.search.backfill import embed_papers\n"
    found = imported(source, "paperfeed.ingest.jobs")
    assert violations("paperfeed.ingest.jobs", found) == [
        "paperfeed.ingest.jobs imports paperfeed.search.backfill",
        "paperfeed.ingest.jobs imports paperfeed.search.backfill.embed_papers",
    ]
    assert violations("paperfeed.store.papers", {"paperfeed.trending"}) == [
        "paperfeed.store.papers imports paperfeed.trending"
    ]
