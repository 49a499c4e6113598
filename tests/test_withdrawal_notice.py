"""One way of telling a withdrawn paper, for every source: arXiv's notice opening the comment
(or one of its sentences) or the abstract it replaced, never a mere mention of the word."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy import Engine

from paperfeed.ingest.arxiv_api import ATOM, AX, parse_feed
from paperfeed.ingest.jobs import ingest_files
from paperfeed.ingest.listing import paper_from_listing
from paperfeed.ingest.oai import RAW, parse_page
from paperfeed.ingest.snapshot import paper_from_snapshot
from paperfeed.models import Paper, is_withdrawn
from paperfeed.settings import Settings
from paperfeed.store.papers import get_paper, upsert_papers
from tests.conftest import FIXTURES

SNAPSHOT = FIXTURES / "snapshot" / "arxiv-metadata-oai-snapshot.head200.json"
KAGGLE_WITHDRAWN = "0704.0156"  # the sample's one withdrawn paper: comment and abstract say so
# 1304.1836v2 as arXiv serves it: its abstract replaced by the administrators' notice.
ADMIN_ABSTRACT = (
    "This submission has been withdrawn by arXiv administrators because it contains fictitious "
    "content and was submitted under a pseudonym, which is against arXiv policy."
)
MENTION = "We compare against withdrawn results of earlier benchmarks; 12 pages, 4 figures"
# Sentences of real abstracts in the daily listings that name the word and withdraw nothing.
ABSTRACT_MENTIONS = [
    "Utilizing papers withdrawn from arXiv, we validated our proposed methods with several "
    "leading reasoning LLMs.",
    "The model recognizes the relevant knowledge in its reasoning trace -- e.g., that a drug has "
    "been withdrawn -- yet suppresses this in the user-facing answer.",
    "We characterize lawyer-client interactions into four types: Cooperative, Dependent, "
    "Withdrawn, and Adversarial.",
]
COMMENT_MENTIONS = [
    MENTION,
    "A previous version of this manuscript was withdrawn due to an error in interpretation.",
    "14 pages. Replaces the withdrawn manuscript arXiv:1911.03628",
    "12 pages. Complete rewrite of v1, new title. Withdrawn as erroneous: the definition (Def. 4)",
]


def _kaggle(pid: str) -> dict[str, object]:
    for line in SNAPSHOT.read_text().splitlines():
        record: dict[str, object] = json.loads(line)
        if record["id"] == pid:
            return record
    raise AssertionError(f"{pid} is not in the sample")


def test_the_kaggle_samples_withdrawal_is_read_from_its_comment_or_its_abstract() -> None:
    record = _kaggle(KAGGLE_WITHDRAWN)
    comment, abstract = str(record["comments"]), str(record["abstract"])
    assert is_withdrawn(comment, "An abstract of the paper.")
    assert is_withdrawn(None, abstract)  # the comment left empty: the abstract says it
    others = [json.loads(line) for line in SNAPSHOT.read_text().splitlines()]
    flagged = [r["id"] for r in others if is_withdrawn(r["comments"], r["abstract"])]
    assert flagged == [KAGGLE_WITHDRAWN]


@pytest.mark.parametrize(
    ("comment", "abstract"),
    [
        (None, ADMIN_ABSTRACT),
        ("Withdrawn due to an error in Eq. 3", "An abstract."),
        ("withdrawn", ""),
        ("12 pages. arXiv admin note: this submission has been withdrawn by arXiv administrators "
         "due to incorrect authorship", "An abstract."),
        ("10 pages; The authors have withdrawn this manuscript pending new experiments", None),
        ("This paper has been removed by arXiv administrators because it plagiarizes", None),
    ],
)  # fmt: skip
def test_arxivs_notices_are_withdrawals(comment: str | None, abstract: str | None) -> None:
    assert is_withdrawn(comment, abstract)


@pytest.mark.parametrize("text", COMMENT_MENTIONS + ABSTRACT_MENTIONS)
def test_a_mention_of_the_word_is_no_withdrawal(text: str) -> None:
    assert not is_withdrawn(text, "An abstract.")
    assert not is_withdrawn("12 pages", text)


def _listing(comment: str | None, abstract: str) -> Paper:
    record = {"id": "2606.00001v1", "title": "A title", "summary": abstract, "comment": comment}
    return paper_from_listing(record, None)


def _snapshot(comment: str | None, abstract: str) -> Paper:
    return paper_from_snapshot(_kaggle("0704.0001") | {"comments": comment, "abstract": abstract})


def _set(parent: ElementTree.Element, tag: str, text: str | None) -> None:
    found = parent.find(tag)
    (found if found is not None else ElementTree.SubElement(parent, tag)).text = text


def _oai(comment: str | None, abstract: str) -> Paper:
    tree = ElementTree.parse(FIXTURES / "oai" / "arXivRaw-mikesaelim" / "GetRecordResponse.xml")
    raw = tree.getroot().find(f".//{RAW}arXivRaw")
    assert raw is not None
    _set(raw, f"{RAW}comments", comment)
    _set(raw, f"{RAW}abstract", abstract)
    (paper,) = parse_page(ElementTree.tostring(tree.getroot())).items
    assert isinstance(paper, Paper), paper
    return paper


def _api(comment: str | None, abstract: str) -> Paper:
    path = FIXTURES / "arxiv-api" / "legacy-2016" / "id_list-1111.2011v2.xml"
    root = ElementTree.parse(path).getroot()
    entry = root.find(f"{ATOM}entry")
    assert entry is not None
    _set(entry, f"{AX}comment", comment)
    _set(entry, f"{ATOM}summary", abstract)
    paper = parse_feed(ElementTree.tostring(root)).papers[0]
    assert isinstance(paper, Paper), paper
    return paper


@pytest.mark.parametrize("parse", [_listing, _snapshot, _oai, _api])
def test_every_source_reads_the_notice_the_same_way(
    parse: Callable[[str | None, str], Paper],
) -> None:
    assert not parse(MENTION, "We study spins.").withdrawn  # it flagged the paper before
    assert parse(None, ADMIN_ABSTRACT).withdrawn  # it missed this before
    record = _kaggle(KAGGLE_WITHDRAWN)
    assert parse(str(record["comments"]), "We study spins.").withdrawn


def _write_listing(path: Path, *records: Mapping[str, object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_an_ingest_round_trip_keeps_mentions_live_and_flags_notices(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    mention = {"id": "2606.00001v1", "title": "Benchmarks", "summary": "We study spins."}
    notice = {"id": "1304.1836v2", "title": "Access points", "summary": ADMIN_ABSTRACT}
    # A store filled before the fix: the mention had flagged this paper withdrawn.
    with engine.begin() as conn:
        old = Paper(
            id="2606.00001", version=1, title="Benchmarks", abstract="We study spins.",
            comments=MENTION, source="listing", withdrawn=True,
        )  # fmt: skip
        upsert_papers(conn, [old])
    path = _write_listing(
        tmp_path / "2026-06-02.jsonl", mention | {"comment": MENTION}, notice | {"comment": None}
    )
    report, failed = ingest_files(engine, settings, "listing", [path], day=date(2026, 6, 2))
    assert not failed and report.inserted == 1 and report.updated == 1, report
    report, failed = ingest_files(engine, settings, "snapshot", [SNAPSHOT])
    assert not failed, failed
    with engine.connect() as conn:
        live, gone = get_paper(conn, "2606.00001"), get_paper(conn, "1304.1836")
        kaggle = get_paper(conn, KAGGLE_WITHDRAWN), get_paper(conn, "0704.0001")
    assert live is not None and not live.withdrawn and live.comments == MENTION
    assert gone is not None and gone.withdrawn
    assert kaggle[0] is not None and kaggle[0].withdrawn
    assert kaggle[1] is not None and not kaggle[1].withdrawn
