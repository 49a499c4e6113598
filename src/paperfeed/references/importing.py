"""Importing references into a reader's library: a file's entries matched to stored papers (by
arXiv id, DOI or title), the arXiv ones missing fetched by the caller's `fetch`, and the matches
saved in one transaction, with the report. The web's import forms and API and the daily Zotero
sync use it alike."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from paperfeed import references
from paperfeed.models import Paper
from paperfeed.store import collection_sections, get_papers
from paperfeed.store import library as lib


class ImportRefused(Exception):
    """Nothing was imported: `status` is the HTTP answer that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Fetched:
    """What an import fetched from arXiv, and why the others were not fetched."""

    ids: tuple[str, ...] = ()
    failed: dict[str, str] = field(default_factory=dict)


Fetch = Callable[[Sequence[str]], Fetched]  # fetch the arXiv papers the store lacks
# Told, in the import's transaction, the entries saved (with their papers) and the papers new
# to the library: a linked Zotero library notes which of its items brought which paper.
OnSaved = Callable[[Connection, list[tuple[references.Reference, str]], set[str]], None]


def fetch_capped(
    engine: Engine, ids: Sequence[str], limit: int, fetch: Callable[[list[str]], str | None]
) -> Fetched:
    """Fetch the arXiv papers an import names that the store lacks, `limit` at most, through
    `fetch` (which stores them, or says why it could not); which are stored after, and why
    each of the others is not."""
    unique = list(dict.fromkeys(ids))
    wanted = unique[:limit]
    failed = {pid: f"not fetched: one import fetches at most {limit}" for pid in unique[limit:]}
    if not wanted:
        return Fetched((), failed)
    refused = fetch(wanted)
    if refused is not None:
        return Fetched((), failed | {pid: f"not fetched: {refused}" for pid in wanted})
    with engine.connect() as conn:
        found = get_papers(conn, wanted)
    failed |= {pid: f"arXiv has no paper {pid}" for pid in wanted if pid not in found}
    return Fetched(tuple(pid for pid in wanted if pid in found), failed)


def _unread(error: str) -> dict[str, str]:
    """An entry the file's reader could not use: where it is, and why (said once)."""
    where, _sep, why = error.partition(": ")
    return {"entry": where, "reason": why or "could not be read"}


def import_references(
    engine: Engine,
    user_id: int,
    data: bytes,
    collection: str | None,
    tags_as_collections: bool = False,
    fetch: Fetch | None = None,
    on_saved: OnSaved | None = None,
) -> dict[str, Any]:
    """Match an export's entries to stored papers by arXiv id, DOI or title, fetch the arXiv
    ones the store lacks (as Submit does, within `import_fetch_max`) and save them all, with
    the entries' notes (added to the reader's own, never over them) and a "read" tag as the
    reading state; the other tags become collections when asked (as paperfeed exports them).
    A paper the file lists more than once is counted once: `matched` and `unmatched` are
    distinct papers, `duplicates` the entries that repeat another. A match by title alone is
    refused where the entry's authors or year contradict the paper; `matched_by` counts the
    papers by how they matched, `by_title` lists the title matches, to review, and `into`
    names the collection they were put into (id and name) when one was asked for; `added`
    counts the papers new to the library (an import again adds none), `unreadable` the
    entries that could not be read or had nothing to match by (listed in `unmatched`).
    Ratings the file gives (a table's 👍 / 👎 column) are added as the reader's, never over
    one they gave here (`ratings` counts them: up, down, and kept as they were); a paper
    rated 👎 is not saved (`saved` counts those that are); star ratings (1 to 5) are read as
    👍 / 👎, and `ratings_read_as` says how."""
    try:
        parsed = references.read(data)
    except references.UnreadableFile as exc:
        raise ImportRefused(400, str(exc)) from exc
    refs = parsed.references
    with engine.connect() as conn:
        found = _find(conn, refs)
    missing = [r.arxiv_id for r in refs if r.arxiv_id and _match(r, found)[0] is None]
    fetched = fetch(missing) if missing and fetch is not None else Fetched()
    found.ids.update(fetched.ids)
    for attempt in range(IMPORT_TRIES):
        try:
            saved = _save_matched(
                engine, user_id, refs, found, fetched, collection, tags_as_collections, on_saved
            )
            break
        except IntegrityError as exc:  # another import into this library committed first
            if attempt + 1 == IMPORT_TRIES:
                raise ImportRefused(
                    409, "another import into your library ran at the same time; try again"
                ) from exc
    matched, unmatched, duplicates, extras = saved
    kept = {"up": extras.rated.count(1), "down": extras.rated.count(-1), "kept": extras.kept}
    unmatched = [_unread(e) for e in parsed.errors] + unmatched
    return {
        "format": parsed.format,
        "matched": len(matched),
        "saved": extras.saved,
        "added": extras.added,
        "ids": list(matched),
        "duplicates": duplicates,
        "fetched": [pid for pid in fetched.ids if pid in matched],
        "unmatched": unmatched,
        "unreadable": len(parsed.errors),
        "notes": extras.notes,
        "read": extras.read,
        "into": extras.into,
        "sections": extras.sections,
        "collections": sorted(extras.collections, key=str.lower),
        "tags": [] if tags_as_collections else sorted(extras.tags, key=str.lower),
        "problems": extras.problems,
        "matched_by": {how: list(matched.values()).count(how) for how in _HOW},
        "by_title": extras.by_title,
        "ratings": kept,
        "ratings_read_as": parsed.reading,
    }


IMPORT_TRIES = 3  # an import that meets another one into the same library starts again


def _save_matched(
    engine: Engine,
    user_id: int,
    refs: list[references.Reference],
    found: _Found,
    fetched: Fetched,
    collection: str | None,
    tags_as_collections: bool,
    on_saved: OnSaved | None = None,
) -> tuple[dict[str, str], list[dict[str, str]], int, _Extras]:
    """Save the matched entries in one transaction: the papers (in the file's order, each
    once, with how each matched), the unmatched entries, how many repeat another, and the
    notes and tags applied. Papers, reading states and collections are written a batch at a
    time: one statement per entry made a 10,000-entry library take minutes."""
    matched: dict[str, str] = {}
    unmatched: list[dict[str, str]] = []
    unmatched_seen: set[str] = set()
    hits: list[tuple[references.Reference, str]] = []
    duplicates = 0
    extras = _Extras()
    for r in refs:
        pid, how = _match(r, found)
        if pid is None:
            if _identity(r) in unmatched_seen:
                duplicates += 1
                continue
            unmatched_seen.add(_identity(r))
            unmatched.append({"entry": r.where, "title": r.title, "reason": _why(r, how, fetched)})
            continue
        if pid in matched:  # the file lists it again: its notes and tags still count
            duplicates += 1
        else:
            matched[pid] = how
            if how == "title":
                extras.by_title.append({"entry": r.where, "id": pid, "title": found.title(pid)})
        hits.append((r, pid))
    rated = {
        pid: r.rating for r, pid in hits if r.rating is not None
    }  # the file's last rating stands
    # A 👎 is not one to keep, unless its entry gives a reading state: then it was in the
    # library it came from (our own export writes both), and stays in this one.
    stated = {pid for r, pid in hits if r.state is not None}
    kept = [pid for pid in matched if rated.get(pid) != -1 or pid in stated]
    with engine.begin() as conn:
        into = _into(conn, user_id, collection) if collection and kept else None
        before = lib.saved_ids(conn, user_id, kept) if on_saved is not None else set()
        extras.saved, extras.added = len(kept), lib.save_papers(conn, user_id, kept)
        if into is not None:
            lib.add_many_to_collection(conn, into.id, kept)
            extras.into = {"id": into.id, "name": into.name}
            extras.sections = _file_under_headings(conn, into.id, hits, set(kept))
        filed = set(kept)  # notes, states and tags go with the papers saved
        extras.apply(conn, user_id, [h for h in hits if h[1] in filed], tags_as_collections)
        added = lib.add_ratings(conn, user_id, rated) if rated else {}
        extras.rated, extras.kept = list(added.values()), len(rated) - len(added)
        if on_saved is not None:
            on_saved(conn, [h for h in hits if h[1] in filed], filed - before)
    return matched, unmatched, duplicates, extras


def _file_under_headings(
    conn: Connection,
    collection_id: int,
    hits: list[tuple[references.Reference, str]],
    kept: set[str],
) -> list[str]:
    """List the papers a pasted page gave under a programme heading under that section of the
    collection (made if new; its first heading where a page lists a paper twice); the
    headings, in the page's order."""
    placed: dict[str, int | None] = {}
    headings: dict[str, None] = {}
    for ref, pid in hits:
        if ref.section and pid in kept and pid not in placed:
            try:
                section = collection_sections.section_named(conn, collection_id, ref.section)
            except lib.LibraryError:  # the collection has all the sections it may: under none
                continue
            placed[pid], headings[section.title] = section.id, None
    if placed:
        collection_sections.file_papers(conn, collection_id, placed)
    return list(headings)


def _into(conn: Connection, user_id: int, name: str) -> lib.Collection:
    """The collection the reader named, created if new; 400 when no collection can be named so."""
    try:
        return lib.ensure_collection(conn, user_id, name)
    except lib.LibraryError as exc:
        raise ImportRefused(400, str(exc)) from exc


def _why(ref: references.Reference, refused: str, fetched: Fetched) -> str:
    """Why an entry matched nothing: a stored paper of its title that it contradicts, else
    that none is stored; and why arXiv did not give it, when asked."""
    why = fetched.failed.get(ref.arxiv_id or "", "")
    return "; ".join(w for w in (refused or "not in this store", why) if w)


@dataclass
class _Extras:
    """What an import did beyond saving: notes added, papers marked read, collections filled
    from tags (or the tags left unused), and entries whose extras could not be kept."""

    saved: int = 0  # papers saved (a paper the file rates 👎 is rated, not saved)
    added: int = 0  # papers new to the library
    rated: list[int] = field(default_factory=list)  # the ratings added
    kept: int = 0  # papers the file rates that the reader had rated: their rating stays
    notes: int = 0
    read: int = 0
    collections: set[str] = field(default_factory=set)
    tags: set[str] = field(default_factory=set)
    problems: list[dict[str, str]] = field(default_factory=list)
    by_title: list[dict[str, str]] = field(default_factory=list)  # papers matched by title
    into: dict[str, int | str] | None = None  # the collection the reader named, when filled
    sections: list[str] = field(default_factory=list)  # its headings the papers went under

    def apply(
        self,
        conn: Connection,
        user_id: int,
        hits: list[tuple[references.Reference, str]],
        tags_as_collections: bool,
    ) -> None:
        """Add the matched entries' notes, mark those tagged read (never back to "to read"),
        and file the papers by their other tags (or note the tags)."""
        for ref, paper_id in hits:
            if not ref.note:
                continue
            try:
                self.notes += lib.add_note(conn, user_id, paper_id, ref.note)
            except lib.LibraryError as exc:
                self.problems.append({"entry": ref.where, "reason": f"note not added: {exc}"})
        read = list(dict.fromkeys(pid for ref, pid in hits if ref.state == "read"))
        self.read += lib.set_states(conn, user_id, read, "read") if read else 0
        tagged: dict[str, tuple[str, list[str]]] = {}  # tag: the first entry with it, papers
        for ref, paper_id in hits:
            for tag in ref.other_tags:
                tagged.setdefault(tag, (ref.where, []))[1].append(paper_id)
        if not tags_as_collections:  # said, where filing them would change something
            self.tags.update(
                t for t, (_w, ids) in tagged.items() if not _filed(conn, user_id, t, ids)
            )
            return
        for tag, (where, paper_ids) in tagged.items():
            try:
                target = lib.ensure_collection(conn, user_id, tag)
            except lib.LibraryError as exc:  # said once per tag, not once per paper
                self.problems.append({"entry": where, "reason": f"tag “{tag}”: {exc}"})
                continue
            lib.add_many_to_collection(conn, target.id, paper_ids)
            self.collections.add(tag)


def _filed(conn: Connection, user_id: int, tag: str, paper_ids: list[str]) -> bool:
    """Whether the papers are in the reader's collection named as the tag (an import before
    filed them)."""
    try:
        found = lib.find_collection(conn, user_id, tag)
    except lib.LibraryError:
        return False
    return found is not None and set(paper_ids) <= set(lib.collection_paper_ids(conn, found.id))


_HOW = ("arxiv id", "doi", "title")  # how an entry may match a paper, the surest first


@dataclass(frozen=True)
class _Found:
    """The stored papers an import's entries name: ids among theirs, ids by DOI and by title
    key, and the papers found by title (to check an entry's authors and year against)."""

    ids: set[str]
    by_doi: dict[str, str]
    by_title: dict[str, str]
    titled: dict[str, Paper]

    def title(self, paper_id: str) -> str:
        """The stored title of a paper found by title."""
        paper = self.titled.get(paper_id)
        return paper.title if paper else ""


def _find(conn: Connection, refs: list[references.Reference]) -> _Found:
    """Look the entries up: by arXiv id, DOI and title keys, then the loose title keys of
    those still unmatched."""
    ids, by_doi, by_title = lib.match_papers(
        conn,
        [r.arxiv_id for r in refs if r.arxiv_id],
        [r.doi for r in refs if r.doi],
        [key for r in refs for key in r.keys],
    )
    found = _Found(ids, by_doi, by_title, {})
    loose = [key for r in refs if _match(r, found)[1] == "" for key in r.loose_keys]
    if loose:
        by_title = by_title | lib.match_papers(conn, [], [], loose)[2]
    return _Found(ids, by_doi, by_title, get_papers(conn, list(set(by_title.values())), brief=True))


def _match(ref: references.Reference, found: _Found) -> tuple[str | None, str]:
    """The stored paper an entry names and how (one of `_HOW`): by arXiv id, else DOI, else
    the first of its title's keys, then of its loose keys, that a stored title has, where the
    entry's authors and year do not contradict the paper. Unmatched: None and why, or ""
    when no stored paper has its title."""
    if ref.arxiv_id and ref.arxiv_id in found.ids:
        return ref.arxiv_id, "arxiv id"
    if ref.doi and ref.doi in found.by_doi:
        return found.by_doi[ref.doi], "doi"
    keys = (key for keys in (ref.keys, ref.loose_keys) for key in keys)
    pid = next((found.by_title[key] for key in keys if key in found.by_title), None)
    if pid is None:
        return None, ""
    paper = found.titled.get(pid)
    wrong = references.disagreement(ref, paper) if paper else ""
    if wrong:
        differ = "differs" if wrong == "year" else "differ"
        return None, f"a paper of that title is stored ({pid}), but its {wrong} {differ}"
    return pid, "title"


def _identity(ref: references.Reference) -> str:
    """What makes two unmatched entries the same paper: arXiv id, else DOI, else title key."""
    if ref.arxiv_id:
        return f"arxiv:{ref.arxiv_id}"
    if ref.doi:
        return f"doi:{ref.doi}"
    return f"title:{ref.keys[0]}" if ref.keys else f"entry:{ref.where}"
