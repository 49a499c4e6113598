"""The recommender's per-process caches (`paperfeed.recommend.service`)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.recommend import service
from paperfeed.recommend.model import (
    Recommendation,
    Vocabulary,
    fit_vocabulary,
    load_vocabulary,
    rank,
)
from paperfeed.recommend.service import Recommender, recommender, vocabulary
from paperfeed.settings import Settings
from paperfeed.store import get_papers, upsert_papers
from paperfeed.store.accounts import create_user
from paperfeed.store.library import add_interest, set_rating
from paperfeed.store.papers import author_key
from tests.fit_support import hold_first_fit
from tests.web_support import DAYS, on_day


class _Counted:
    """`rank` as the service calls it, counting the calls."""

    def __init__(self) -> None:
        self.calls, self.real = 0, rank

    def __call__(self, *args: object, **kwargs: object) -> list[Recommendation]:
        self.calls += 1
        return self.real(*args, **kwargs)  # type: ignore[arg-type]


def _feed(engine: Engine, rec: Recommender, user_id: int) -> list[Recommendation]:
    with engine.connect() as conn:
        return rec.feed(conn, user_id, DAYS[0], DAYS[-1], 5)


def _fresh(engine: Engine, user_id: int) -> list[tuple[str, str]]:
    """The feed as an uncached recommender ranks it now: ids and why lines."""
    return _shown(_feed(engine, Recommender(engine), user_id))


def _shown(feed: list[Recommendation]) -> list[tuple[str, str]]:
    return [(r.id, r.why) for r in feed]  # scores move a little with the signals' age


def _reader(engine: Engine, name: str, liked: list[str]) -> int:
    with engine.begin() as conn:
        user_id = create_user(conn, name, "not a real hash").id
        for pid in liked:
            set_rating(conn, user_id, pid, 1)
    return user_id


def test_a_returning_readers_feed_is_not_ranked_again_until_a_signal_changes(
    site: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted = _Counted()
    monkeypatch.setattr(recommender, "rank", counted)  # where Recommender.feed looks it up
    rec = Recommender(engine)
    ana = _reader(engine, "ana", sorted(on_day(engine, DAYS[2]))[:2])
    first = _feed(engine, rec, ana)
    assert len(first) == 5 and counted.calls == 1
    again = _feed(engine, rec, ana)
    assert again == first and counted.calls == 1  # the page view did no ranking

    top = first[0].id
    with engine.begin() as conn:
        set_rating(conn, ana, top, 1)  # a new 👍: the rated paper leaves the feed
    rated = _feed(engine, rec, ana)
    assert counted.calls == 2 and top not in {r.id for r in rated}
    assert _shown(rated) == _fresh(engine, ana)

    with engine.begin() as conn:
        author = get_papers(conn, [rated[0].id])[rated[0].id].authors[0]
        add_interest(conn, ana, "mute", "author", author_key(author), author)
    muted = _feed(engine, rec, ana)
    assert counted.calls == 4  # (and one for the uncached recommender above)
    assert rated[0].id not in {r.id for r in muted}
    with engine.connect() as conn:
        shown = get_papers(conn, [r.id for r in muted])
    assert all(author_key(author) not in map(author_key, p.authors) for p in shown.values())
    assert _shown(muted) == _fresh(engine, ana)


def test_two_readers_never_get_each_others_cached_feed(site: Settings, engine: Engine) -> None:
    rec = Recommender(engine)
    days = [sorted(on_day(engine, day)) for day in (DAYS[0], DAYS[2])]
    ana = _reader(engine, "ana", days[0][:2])
    bob = _reader(engine, "bob", days[1][-2:])
    ana_feed, bob_feed = _feed(engine, rec, ana), _feed(engine, rec, bob)
    assert ana_feed != bob_feed
    assert _feed(engine, rec, ana) == ana_feed and _shown(ana_feed) == _fresh(engine, ana)
    assert _feed(engine, rec, bob) == bob_feed and _shown(bob_feed) == _fresh(engine, bob)
    # Neither sees the other's rated papers excluded or their own shown: each feed is theirs.
    assert not set(days[0][:2]) & {r.id for r in ana_feed}
    assert not set(days[1][-2:]) & {r.id for r in bob_feed}


def test_a_windows_papers_are_weighed_in_the_stores_keyword_features(
    site: Settings, engine: Engine
) -> None:
    """Terms a reader's older paper shares with one new paper (a method's name, a rare phrase)
    occur once in the window: fitted on the window alone they were dropped (min_df=2). The
    window's space now uses the features fitted on the store's newest papers, which keep them."""
    topic = "Zorblax phonon braiding in quasicrystalline lattices"
    older = Paper(
        id="2605.00001",
        title=topic,
        abstract="We braid zorblax phonons along quasicrystalline lattices with a Penrose tiling.",
        categories=("cs.LG",),
        source="test",
        listing_date=date(2026, 5, 4),  # weeks before the window
    )
    newer = Paper(
        id="2606.00002",
        title="Faster zorblax phonon braiding",
        abstract="Zorblax phonons braid faster on quasicrystalline lattices and Penrose tilings.",
        categories=("cs.LG",),
        source="test",
        listing_date=DAYS[1],
    )
    with engine.begin() as conn:
        upsert_papers(conn, [older, newer])
    ana = _reader(engine, "ana", [older.id])
    rec = Recommender(engine)
    feed = _feed(engine, rec, ana)
    assert feed[0].id == newer.id
    with engine.connect() as conn:
        _model, space = rec.model(conn, ana, DAYS[0], DAYS[-1])
    assert newer.id in space.index and older.id not in space.index  # the window's papers only
    terms = space.vectorizer.vocabulary_
    assert {"zorblax", "braiding", "quasicrystalline", "zorblax phonon"} <= terms.keys()


def test_a_server_start_fits_the_keyword_features_without_a_vector_index(
    site: Settings, engine: Engine, settings: Settings
) -> None:
    """Every For you window uses them now, not only All time (which needs the vector index)."""
    rec = Recommender(engine)  # no neighbours: no `paperfeed embed` yet
    assert rec.vocabulary_day() is None
    rec.warm_vocabulary()
    assert rec.vocabulary_day() is not None
    ana = _reader(engine, "ana", sorted(on_day(engine, DAYS[0]))[:2])
    with engine.connect() as conn:
        _model, space = rec.model(conn, ana, DAYS[0], DAYS[-1])
    assert space.vectorizer is rec._vocabulary_now[1].vectorizer  # type: ignore[index]


def test_an_empty_store_fits_nothing_at_start(engine: Engine) -> None:
    rec = Recommender(engine)
    rec.warm_vocabulary()
    assert rec._vocabulary_now is None  # (its day would be None even if it had fitted)


def _texts(n: int) -> list[str]:
    return [
        f"Paper {i}: topic{i % 400} meets method{i % 37} on dataset{i % 13}. Shared phrase."
        for i in range(n)
    ]


def _same(a: Vocabulary, b: Vocabulary) -> None:
    assert list(a.terms) == list(b.terms) and len(a.terms) > 400
    assert np.allclose(a.vectorizer.idf_, b.vectorizer.idf_)
    probe = ["topic7 meets method3 on dataset5"]
    assert (a.vectorizer.transform(probe) != b.vectorizer.transform(probe)).nnz == 0


def test_many_texts_are_fitted_in_a_child_process_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fit's peak memory stays out of the serving worker; the features are the same."""
    children: list[Path] = []
    real = vocabulary._fit_in_child

    def counted(texts: list[str], out: Path) -> None:
        real(texts, out)
        children.append(out)
        assert out.stat().st_size > 0  # the child wrote the features

    monkeypatch.setattr(vocabulary, "_fit_in_child", counted)
    texts = _texts(service.APART_FROM)
    _same(service.fit_apart(texts), fit_vocabulary(texts))
    assert len(children) == 1
    service.fit_apart(texts[:100])
    assert len(children) == 1  # few texts: fitted in this process


def test_a_failed_child_fit_falls_back_to_this_process(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(vocabulary, "CHILD", [sys.executable, "-m", "paperfeed.no_such_module"])
    texts = _texts(service.APART_FROM)
    with caplog.at_level(logging.WARNING, logger=service.__name__):
        fitted = service.fit_apart(texts)
    _same(fitted, fit_vocabulary(texts))
    assert "child process failed" in caplog.text and "no_such_module" in caplog.text


_FIT_AND_WAIT = """
import sys
from pathlib import Path
from paperfeed.recommend import service
texts = [f"Paper {i}: topic{i % 400} meets method{i % 37} on dataset{i % 13}. Shared phrase."
         for i in range(service.APART_FROM)]
service.fit_apart(texts, Path(sys.argv[1]))
"""


def _process_with(word: str, but: int) -> bool:
    """Whether a process other than `but` has `word` in its command line (Linux /proc)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != but:
            try:
                if word.encode() in (entry / "cmdline").read_bytes():
                    return True
            except OSError:
                continue
    return False


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")
def test_a_fit_whose_caller_is_killed_is_kept_for_the_next_start(tmp_path: Path) -> None:
    """A server stopped during a large store's first fit (minutes on a busy machine): the child
    finishes and leaves the features where the next start reads them, instead of losing them."""
    keep = tmp_path / "vocabulary" / "vocabulary-2026-07-01-50000.json.gz"
    scratch = tmp_path / "tmp"  # the processes' temporary folder: nothing may be left there
    scratch.mkdir()
    env = os.environ | {"TMPDIR": str(scratch)}
    caller = subprocess.Popen([sys.executable, "-c", _FIT_AND_WAIT, str(keep)], env=env)
    try:
        deadline = time.monotonic() + 60
        while not _process_with(str(keep), but=caller.pid):  # the fitting child has started
            assert caller.poll() is None and time.monotonic() < deadline, "no child appeared"
            time.sleep(0.02)
        assert not keep.exists()  # the caller is killed before the child is done
    finally:
        caller.kill()
        caller.wait()
    deadline = time.monotonic() + 600  # minutes on a machine busy with other tests
    while _process_with(str(keep), but=caller.pid) and time.monotonic() < deadline:
        time.sleep(0.1)  # the orphaned child finishes its fit
    kept = load_vocabulary(keep)
    assert kept is not None
    _same(kept, fit_vocabulary(_texts(service.APART_FROM)))
    assert list(scratch.iterdir()) == []  # a stopped server left an empty scratch folder


def test_the_child_refuses_what_is_not_a_list_of_texts(tmp_path: Path) -> None:
    out = tmp_path / "v.json.gz"
    for given in (b'{"not": "a list"}', b'["text", 3]', b"not JSON at all"):
        bad = subprocess.run([*service.CHILD, str(out)], input=given, capture_output=True)
        assert bad.returncode == 2 and b"JSON list of strings" in bad.stderr, given
        assert not out.exists()
        texts = tmp_path / "texts.json"
        texts.write_bytes(given)
        bad = subprocess.run([*service.CHILD, "--texts", str(texts), str(out)], capture_output=True)
        assert bad.returncode == 2 and b"JSON list of strings" in bad.stderr, given
        assert not out.exists() and not texts.exists()  # the child removes the file it read
    missing = subprocess.run(
        [*service.CHILD, "--texts", str(tmp_path / "gone.json"), str(out)], capture_output=True
    )
    assert missing.returncode == 2 and b"cannot read the texts" in missing.stderr
    usage = subprocess.run([*service.CHILD, "--text", "a", str(out)], capture_output=True)
    assert usage.returncode == 2 and b"usage:" in usage.stderr


def test_workers_starting_together_fit_a_days_features_once(
    site: Settings, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two `serve` workers warming at once: one fits, the other waits and reads its file."""
    fits: list[int] = []
    real = service.fit_apart

    def slow_fit(texts: list[str], keep: Path | None = None) -> Vocabulary:
        fits.append(len(texts))
        time.sleep(0.5)  # long enough for the other worker to arrive while this one fits
        return real(texts, keep)

    monkeypatch.setattr(vocabulary, "fit_apart", slow_fit)
    kept = tmp_path / "vocabulary"
    workers = [Recommender(engine, vocabulary_dir=kept) for _ in range(2)]
    threads = [threading.Thread(target=w.warm_vocabulary) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(fits) == 1
    assert workers[0].vocabulary_day() == workers[1].vocabulary_day() is not None
    assert [p.name for p in kept.glob("vocabulary-*.json.gz")] != []


def test_a_first_view_during_a_large_stores_first_fit_is_ranked_without_waiting(
    site: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server's start fits the store's features for ~20 s at 50,000 papers; a reader who
    arrives meanwhile is ranked in the window's own features, and in the store's afterwards."""
    held = hold_first_fit(monkeypatch)
    rec = Recommender(engine)
    ana = _reader(engine, "ana", sorted(on_day(engine, DAYS[0]))[:2])
    warm = threading.Thread(target=rec.warm_vocabulary)
    warm.start()
    assert held.entered.wait(30)
    first = _feed(engine, rec, ana)  # the fit is still held
    with engine.connect() as conn:
        _model, during = rec.model(conn, ana, DAYS[0], DAYS[-1])
    held.release.set()
    warm.join(60)
    assert not held.waited and len(first) == 5
    assert rec.refit_thread is not None
    rec.refit_thread.join(60)
    store = rec._vocabulary_now
    assert store is not None and during.vectorizer is not store[1].vectorizer
    with engine.connect() as conn:
        _model, after = rec.model(conn, ana, DAYS[0], DAYS[-1])
    assert after.vectorizer is store[1].vectorizer  # rebuilt in the store's features
    assert len(_feed(engine, rec, ana)) == 5


def _topic(pid: str, day: date, topic: str, n: int, author: str = "A. Writer") -> Paper:
    words = {
        "codes": "quantum error correction with surface codes and stabilizer decoders",
        "proteins": "protein structure prediction with folding and residue contact maps",
    }[topic]
    return Paper(
        id=pid,
        title=f"{words.split(' with ')[0].title()} {n}",
        abstract=f"We study {words}. Variant {n} of {words}.",
        authors=(author,),
        categories=("cs.LG",),
        source="test",
        listing_date=day,
    )


def test_a_collection_ranks_by_its_own_papers_alone(site: Settings, engine: Engine) -> None:
    """arxiv-sanity-lite's per-tag ranking: a collection's feed learns from its papers only
    (not the reader's other saves, nor their follows), and follows the collection's changes."""
    from paperfeed.store import library as lib

    old = [_topic(f"2501.0{n:04d}", date(2025, 1, 6), "codes", n) for n in range(3)]
    old += [_topic(f"2501.0{n:04d}", date(2025, 1, 6), "proteins", n) for n in range(3, 6)]
    new = [
        _topic("2612.90001", DAYS[1], "codes", 7),
        _topic("2612.90002", DAYS[1], "codes", 8),
        _topic("2612.90003", DAYS[1], "proteins", 9, author="Fay Follow"),
        _topic("2612.90004", DAYS[1], "proteins", 10),
    ]
    with engine.begin() as conn:
        upsert_papers(conn, [*old, *new])
        user = create_user(conn, "tagger", "not a real hash").id
        for paper in old[:3]:
            lib.save_paper(conn, user, paper.id, "Decoders")
        for paper in old[3:]:
            lib.save_paper(conn, user, paper.id, "Folding")
        add_interest(conn, user, "follow", "author", author_key("Fay Follow"), "Fay Follow")
        decoders, folding = (c.id for c in lib.user_collections(conn, user))
    rec = Recommender(engine)

    def top(collection: int | None, n: int = 2) -> set[str]:
        with engine.connect() as conn:
            found = rec.feed(conn, user, DAYS[0], DAYS[-1], 10, collection=collection)
        return {r.id for r in found[:n]}

    assert top(decoders) == {"2612.90001", "2612.90002"}
    assert top(folding) == {"2612.90003", "2612.90004"}
    assert "2612.90003" in top(None, 1)  # everything: the followed author's paper on top
    with engine.begin() as conn:  # the collection emptied: nothing to rank it by
        for paper in old[:3]:
            lib.remove_from_collection(conn, decoders, paper.id)
    assert top(decoders) == set()
