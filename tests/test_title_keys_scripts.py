"""Title keys keep the letters of every script: a Chinese, Russian, Arabic, Korean or Japanese
title has a key of its own (it had an empty one, shared by all of them), and ß, ł, ø, æ, ı, đ
are spelled out rather than dropped ("Łódź" was "odz"). Page ingest gives such titles their own
local ids and matches them only to their own stored titles, as a library import does; ASCII
titles keep their keys and local ids; old stores are keyed again by a migration."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text, update

from paperfeed.models import Paper, local_id, normalise_title
from paperfeed.pipeline import ingest_files
from paperfeed.search.keyword import KeywordIndex
from paperfeed.settings import Settings
from paperfeed.store import get_paper, migrate, upsert_papers
from paperfeed.store.papers import find_by_title_keys
from paperfeed.store.search_store import IndexRow
from paperfeed.store.tables import papers
from tests.web_support import import_file, importing

REKEYED = "0037"  # the migration that keys these titles again
BEFORE = "0036"  # the one before it
ZH = "基于深度学习的图像识别方法"
RU = "Нейронные сети для машинного перевода"
AR = "التعلم العميق لمعالجة اللغة"
KO = "심층 학습을 이용한 이미지 분류"
JA = "深層学習による画像認識"
ABSTRACT = "An abstract long enough to read as one, written in plain English words. " * 5


def test_titles_in_other_scripts_keep_their_letters() -> None:
    assert normalise_title(RU) == "нейронные сети для машинного перевода"
    assert normalise_title("НЕЙРОННЫЕ  Сети для машинного перевода!") == normalise_title(RU)
    assert normalise_title(ZH) == ZH and normalise_title(JA) == JA
    assert normalise_title(KO) == KO and normalise_title(AR) == AR
    assert len({normalise_title(t) for t in (ZH, RU, AR, KO, JA)}) == 5
    assert normalise_title("Transformers für 中文 NLP") == "transformers fur 中文 nlp"
    assert normalise_title("हिन्दी पाठ") == "हिन्दी पाठ"  # vowel signs (marks) stay in the word


def test_latin_letters_without_a_decomposition_are_spelled_out() -> None:
    assert normalise_title("Łódź Graphs") == "lodz graphs"
    assert normalise_title("Straße") == normalise_title("STRASSE") == "strasse"
    assert normalise_title("Søren Ærø, Işık, Đorđe") == "soren aero isik dorde"


def test_greek_symbols_are_left_out_as_their_latex_is_but_greek_words_kept() -> None:
    assert normalise_title("On α-Divergences") == normalise_title(r"On $\alpha$-Divergences")
    assert normalise_title("π0: A Flow Model") == normalise_title(r"$\pi_0$: A Flow Model")
    assert normalise_title("µ-law") == "law"  # the micro sign is the Greek letter, a symbol
    assert normalise_title("Νευρωνικά δίκτυα για γράφους") == "νευρωνικά δίκτυα για γράφουσ"


def test_ascii_titles_keep_their_keys_and_local_ids() -> None:
    assert normalise_title("Bal\\'azs {Ca}ss $x$") == "bal azs ca ss x"
    assert normalise_title("U$^2$Mamba: A Two-level Nested U-structure") == (
        "u 2 mamba a two level nested u structure"
    )
    assert normalise_title("Gödel, Escher, Bach") == "godel escher bach"
    assert local_id("A Paper Only On This Page") == "local-50156f82a5dc"
    assert local_id("Gödel, Escher, Bach") == "local-0cd4984730ce"


def test_no_title_has_an_empty_key() -> None:
    assert normalise_title("???") == "???" != normalise_title("!!!")
    assert local_id("???") != local_id("!!!") != local_id(RU)
    assert normalise_title("   ") == ""


def _page(path: Path, *titles: str) -> Path:
    path.write_text("Mar 14\n\n" + "".join(f"{t}\n\n{ABSTRACT}\n\n" for t in titles))
    return path


def test_page_entries_in_other_scripts_are_papers_of_their_own(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    page = _page(tmp_path / "page.txt", ZH, RU, KO)
    report, _ = ingest_files(engine, settings, "page", [page], year=2026)
    assert (report.read, report.inserted, report.updated) == (3, 3, 0)
    ids = [local_id(t) for t in (ZH, RU, KO)]
    assert len(set(ids)) == 3
    with engine.connect() as conn:
        stored = [get_paper(conn, pid) for pid in ids]
    assert [p.title if p else None for p in stored] == [ZH, RU, KO]


def test_a_page_entry_matches_only_its_own_title(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    japanese = Paper(id="2606.70001", title=JA, abstract="Stored.", source="test")
    with engine.begin() as conn:
        upsert_papers(conn, [japanese])
    page = _page(tmp_path / "page.txt", RU)
    page.write_text(page.read_text() + f"{JA}\n")  # the stored title, without an abstract
    report, _ = ingest_files(engine, settings, "page", [page], year=2026)
    assert (report.read, report.inserted, report.updated, report.errors) == (2, 1, 1, [])
    with engine.connect() as conn:
        kept = get_paper(conn, japanese.id)
        russian = get_paper(conn, local_id(RU))
    assert kept is not None and kept.title == JA  # not overwritten by the Russian entry
    assert russian is not None and russian.title == RU


def test_no_stored_paper_is_found_by_an_empty_key(engine: Engine) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, [Paper(id="2606.70002", title=ZH)])
        conn.execute(update(papers).values(title_key=""))  # as an old store keyed it
        assert find_by_title_keys(conn, ["", normalise_title(ZH)]) == {}


STORED_RU = Paper(id="2606.70004", title=RU, authors=("Иван Петров",))
STORED_JA = Paper(id="2606.70003", title=JA, authors=("山田 太郎",))


def test_an_import_entry_in_another_script_matches_only_its_own_title(
    settings: Settings,
) -> None:
    bib = (
        "@article{other, title={Совершенно другая статья о графах}}\n"
        f"@article{{same, title={{{RU}}}}}\n"
    )
    with importing(settings, [STORED_JA, STORED_RU], "reader") as (c, auth):
        report = import_file(c, auth, "mine.bib", bib)
    assert report["ids"] == [STORED_RU.id]
    assert [u["entry"] for u in report["unmatched"]] == ["@article{other}"]


def _age(engine: Engine) -> None:
    """The store as the migration before keyed it: letters of other scripts and ł, ß dropped."""
    rows = {
        "2606.70011": (ZH, ""),
        "2606.70012": (RU, ""),
        "2606.70013": ("Łódź Graphs", "odz graphs"),
        "2606.70014": ("Gödel, Escher, Bach", "godel escher bach"),
        "2606.70015": ("Attention Is All You Need", "left as it was"),  # ASCII: not read
        "2606.70016": ("???", ""),
    }
    with engine.begin() as conn:
        upsert_papers(conn, [Paper(id=pid, title=title) for pid, (title, _k) in rows.items()])
        for pid, (_title, key) in rows.items():
            conn.execute(update(papers).where(papers.c.id == pid).values(title_key=key))
        conn.execute(text(f"UPDATE alembic_version SET version_num = '{BEFORE}'"))


def _keys(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(papers.c.id, papers.c.title_key)).all())


def test_the_migration_keys_old_titles_again_once(engine: Engine) -> None:
    _age(engine)
    migrate(engine)
    keys = _keys(engine)
    assert keys == {
        "2606.70011": ZH,
        "2606.70012": "нейронные сети для машинного перевода",
        "2606.70013": "lodz graphs",
        "2606.70014": "godel escher bach",
        "2606.70015": "left as it was",
        "2606.70016": "???",
    }
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        assert version >= REKEYED
        assert find_by_title_keys(conn, [normalise_title(RU)]) == {
            normalise_title(RU): "2606.70012"
        }
    with engine.begin() as conn:  # run again: nothing changes
        conn.execute(text(f"UPDATE alembic_version SET version_num = '{BEFORE}'"))
    migrate(engine)
    assert _keys(engine) == keys


@pytest.mark.parametrize("title", [ZH, RU, AR, KO, JA, "Łódź", "???", "On α-Divergences"])
def test_a_key_is_its_own_key(title: str) -> None:
    assert normalise_title(normalise_title(title)) == normalise_title(title)


def test_an_exact_title_in_another_script_names_its_paper_in_search(tmp_path: Path) -> None:
    titles = {"2606.70021": ZH, "2606.70022": RU, "2606.70023": KO, "2606.70024": "Straße"}
    now = datetime(2026, 7, 1, tzinfo=UTC).replace(tzinfo=None)
    index = KeywordIndex(tmp_path / "keyword")
    index.apply([[IndexRow(i, t, "", (), (), None, now, False) for i, t in titles.items()]])
    for pid, title in titles.items():
        assert index.title_matches(title.upper()) == [pid], title
    assert index.title_matches(AR) == []
