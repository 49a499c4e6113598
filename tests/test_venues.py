"""A paper's venue read from real arXiv comments (all strings below are from the daily listings of
2025 and 2026), on its card and its page; a sentence that only says "submitted" is none."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.venues import meant, offered, typed_venue, venue_of
from tests.web_support import HOSTILE, HOSTILE_ID, client

SAID = [
    ("Accepted at ICML 2026", "ICML 2026", ""),
    ("19 pages, 6 figures, 2 tables. Accepted to ECCV 2026", "ECCV 2026", ""),
    ("Accepted by ECCV-2026", "ECCV 2026", ""),
    ("This paper is accepted by CVPR'26", "CVPR 2026", ""),
    ("Accepted to ICML 2026 (Spotlight)", "ICML 2026", "Spotlight"),
    ("ICLR 2026 Camera Ready", "ICLR 2026", ""),
    ("Accepted to Findings of ACL 2026", "Findings of ACL 2026", ""),
    ("Accepted to ACL 2026 Findings", "Findings of ACL 2026", ""),
    ("Accepted to the CVPR 2026 SPAR-3D Workshop", "CVPR 2026 Workshop", ""),
    ("Pluralistic Alignment Workshop @ ICML 2026", "ICML 2026 Workshop", ""),
    (
        "Accepted at the 20th Linguistic Annotation Workshop (LAW XX), co-located with ACL 2026 "
        "(https://sigann.github.io/LAW-XX-2026/)",
        "ACL 2026 Workshop",
        "",
    ),
    (
        "To appear in the Proceedings of the 43rd International Conference on Machine Learning "
        "(ICML 2026)",
        "ICML 2026",
        "",
    ),
    ("5 pages, 2 figures, accepted at Interspeech 2026", "Interspeech 2026", ""),
    ("CVPR 2026, Project Page: http://seungwoo-yoon.github.io/extend3d-page", "CVPR 2026", ""),
    (
        "6 pages, 1 figure. To appear at Agent4IR @ KDD 2026 (KDD 2026 Workshop on AI Agents for "
        "Information Retrieval)",
        "KDD 2026 Workshop",
        "",
    ),
    ("Accepted at ICPR 2026", "ICPR 2026", ""),
    (
        "Accepted at IEEE ISBI 2026. Hien Nguyen and Chandra Mohan jointly supervised this work",
        "ISBI 2026",
        "",
    ),
    ("IJCNN'25", "IJCNN 2025", ""),
    ("This paper has been accepted at AAMAS 2026 Workshop MABS", "AAMAS 2026 Workshop", ""),
    ("Accepted to LREC 2026", "LREC 2026", ""),
    ("To appear in the Proceedings of KG-LLM @ LREC 2026", "LREC 2026 Workshop", ""),
    # A track between the conference's name and its year.
    ("Accepted at ACL Findings 2025 (16 pages: 5 pages main content", "Findings of ACL 2025", ""),
    ("Accepted at CVPR Findings 2026", "Findings of CVPR 2026", ""),
    ("EACL Findings 2026", "Findings of EACL 2026", ""),
    ("Accepted to appear at NAACL SRW 2025", "NAACL 2025 Workshop", ""),
    ("Accepted to CVPR CVEU workshop 2025", "CVPR 2025 Workshop", ""),
    ("Accepted at CVPR Workshops 2025", "CVPR 2025 Workshop", ""),
    ("Accepted in ACL LLMSec Workshop 2025", "ACL 2025 Workshop", ""),
    ("Accepted by KDD workshop 2024", "KDD 2024 Workshop", ""),
    ("Published at MICCAI MILLAND Workshop 2022", "MICCAI 2022 Workshop", ""),
    # Conferences written in several ways, some in several words.
    ("Accepted by ACM MM 2022. The code is available at", "ACM MM 2022", ""),
    ("7 pages, 5 figures, accepted at ACMMM 2026 Dataset Track", "ACM MM 2026", ""),
    ("Published at SIGGRAPH Asia 2024", "SIGGRAPH Asia 2024", ""),
    ("Accepted to IJCNLP-AACL 2025 (Main). Code available at", "AACL 2025", ""),
    ("Accepted by The ACM Web Conference 2026 (WWW '26)", "WWW 2026", ""),
    ("Accepted by TheWebConf 2026", "WWW 2026", ""),
    (
        "Accepted at ECML-PKDD 2025 (5th Workshop on Bias and Fairness in AI)",
        "ECML PKDD 2025 Workshop",
        "",
    ),
    ("Text2Story Workshop 2026 at ECIR 2026", "ECIR 2026 Workshop", ""),
    (
        "Accepted to 3DV 2026. Project website: https://sally-chen.github.io/radar-sim/",
        "3DV 2026",
        "",
    ),
    (
        "5 pages, 1 figure, accepted at the 34th European Signal Processing Conference "
        "(EUSIPCO 2026)",
        "EUSIPCO 2026",
        "",
    ),
    ("Accepted at ICWSM 2026", "ICWSM 2026", ""),
    ("Accepted to PAKDD 2026", "PAKDD 2026", ""),
    ("Accepted at ICDAR 2024", "ICDAR 2024", ""),
    ("Accepted IEEE ITSC 2025", "ITSC 2025", ""),
    ("Accepted by ICONIP 2024", "ICONIP 2024", ""),
    ("Accepted to PRCV 2024", "PRCV 2024", ""),
    ("Accepted to Findings of NAACL 2025", "Findings of NAACL 2025", ""),  # not AACL's
    # The sentence saying where it is counts, not one before it saying something else.
    ("Preprint. Accepted at ICML 2026", "ICML 2026", ""),
]

NOT_THERE = [
    "Submitted to COLM 2026",
    "Preprint. Under review at COLM 2026",
    "11 pages. Submitted to NeurIPS 2026. Code: https://github.com/arunshar/spatial-atlas",
    "Preprint. 9 pages, 2 figures, 3 tables. NeurIPS 2026 format",
    "Journal version of LAA-Net (CVPR 2024)",
    "Extended version of the CVPR 2026 paper *MindPower: Enabling Theory-of-Mind Reasoning*",
    "This is the extended version of a paper accepted to IJCAI 2026",
    "Rejected from ICML 2026",
    "13 pages, 6 tables; previously submitted to KDD 2026",
    "Accepted at CVPR Workshop",  # no year: which one is not said
    "9 pages (+ references and appendix). Under review at ACL Rolling Review",
    "Code: https://github.com/PKU-ICST-MIPL/DICO_Bench_ECCV2026",
    "12 pages, 5 figures, 3 tables",
    "Accepted to ACM MMSys 2026",  # not ACM MM
    "9 pages, 2 figures, 5 tables. Submitted to ACM Multimedia 2026",
    "This work has been submitted to IEEE ISIT 2026",
    "Submitted to ACL Findings 2026",
    "Accepted to CVPR with three other workshops and papers 2025",  # three words between
    "ACL Anthology Workshop version, 2025",  # no track word next to the year
]


@pytest.mark.parametrize(("comment", "label", "honour"), SAID)
def test_a_comment_naming_where_a_paper_appears_gives_its_venue(
    comment: str, label: str, honour: str
) -> None:
    venue = venue_of(comment)
    assert venue is not None, comment
    assert (venue.label, venue.honour) == (label, honour)


@pytest.mark.parametrize("comment", NOT_THERE)
def test_a_submission_a_sequel_or_a_url_is_no_venue(comment: str) -> None:
    assert venue_of(comment) is None


def test_the_journal_reference_comes_before_the_comment() -> None:
    venue = venue_of("NeurIPS 2025", "Extended abstract at ICML 2024 workshop")
    assert venue is not None and venue.label == "NeurIPS 2025"
    assert venue_of(None, "Accepted at AISTATS 2026") == venue_of("", "Accepted at AISTATS 2026")


@given(st.text(max_size=300))
def test_any_comment_is_read_without_failing(text: str) -> None:
    venue = venue_of(text)
    assert venue is None or str(venue.year) in venue.label


def _card(html: str, pid: str) -> str:
    start = html.index(f'data-id="{pid}"')
    return html[start : html.index("</article>", start)]


def test_a_card_and_its_paper_page_show_the_venue_and_keep_the_comment_inert(
    settings: Settings, engine: Engine
) -> None:
    said = replace(HOSTILE, comments='Accepted at ICML 2026 (Oral) "><script>alert(1)</script>')
    with engine.begin() as conn:
        upsert_papers(conn, [said])
    with client(settings, engine) as c:
        day = c.get(f"/papers/date/{said.listing_date}")
        assert day.status_code == 200
        card = _card(day.text, HOSTILE_ID)
        assert '<span class="badge venue"' in card and ">ICML 2026 · Oral</span>" in card
        assert "<script>alert(1)" not in day.text
        page = c.get(f"/papers/{HOSTILE_ID}")
        assert ">ICML 2026</a> (Oral)" in page.text and "/venues/icml-2026" in page.text
        assert "<script>alert(1)" not in page.text
    with engine.begin() as conn:
        upsert_papers(conn, [replace(said, comments="Submitted to ICML 2026", version=2)])
    with client(settings, engine) as c:  # a fresh site: anonymous pages are kept a while
        plain = _card(c.get(f"/papers/date/{said.listing_date}").text, HOSTILE_ID)
        assert "Attention" in plain and "badge venue" not in plain
        assert "<dt>Venue</dt>" not in c.get(f"/papers/{HOSTILE_ID}").text


HELD = {
    "ICML 2026": 100, "ICML 2025": 50, "ICML 2026 Workshop": 30, "ICLR 2026": 80,
    "NeurIPS 2025": 90, "NeurIPS 2025 Workshop": 9, "Findings of ACL 2026": 20,
    "ACL 2026": 40, "ACM MM 2026": 5, "CVPR 2024": 70, "not a label": 3,
}  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("ICML", ["ICML 2026", "ICML 2025", "ICML 2026 Workshop"]),  # newest main track first
        ("icml 2019", ["ICML 2026", "ICML 2025", "ICML 2026 Workshop"]),  # no 2019 here
        ("ICML '25", ["ICML 2025", "ICML 2026", "ICML 2026 Workshop"]),  # the year typed first
        ("NeurIPS2026", ["NeurIPS 2025", "NeurIPS 2025 Workshop"]),
        ("neurps 2025", ["NeurIPS 2025", "NeurIPS 2025 Workshop"]),  # misspelt
        ("neurips 2025 workshops", ["NeurIPS 2025 Workshop", "NeurIPS 2025"]),
        ("findings of acl", ["Findings of ACL 2026", "ACL 2026"]),
        ("acm-mm", ["ACM MM 2026"]),
        ("ACMMM", ["ACM MM 2026"]),
        ("2026", ["ICML 2026", "ICLR 2026", "ACL 2026", "ACM MM 2026"]),  # a year: the most
        ("qwertyuiop", []),
        ("", []),
    ],
)
def test_a_conference_typed_without_its_year_or_misspelt_offers_those_held(
    typed: str, first: list[str]
) -> None:
    assert [v.label for v in meant(typed, HELD)] == first


def test_the_conference_field_offers_the_two_newest_years_main_tracks_first() -> None:
    labels = [v.label for v in offered(HELD)]
    assert labels == [
        "ICML 2026", "ICLR 2026", "ACL 2026", "ACM MM 2026", "ICML 2026 Workshop",
        "Findings of ACL 2026", "NeurIPS 2025", "ICML 2025", "NeurIPS 2025 Workshop",
    ]  # fmt: skip
    assert [v.label for v in offered(HELD, most=2)] == ["ICML 2026", "ICLR 2026"]
    assert offered({}) == [] and offered({"nothing": 1}) == []


@pytest.mark.parametrize(
    ("typed", "label"),
    [
        ("icml-2026", "ICML 2026"),
        ("ICML 2026", "ICML 2026"),
        ("icml  2026", "ICML 2026"),
        ("Findings of ACL 2026", "Findings of ACL 2026"),
        ("acl-2026-findings", "Findings of ACL 2026"),
        ("ACL Findings 2026", "Findings of ACL 2026"),  # as papers write them
        ("ICML '26", "ICML 2026"),
        ("ACMMM 2026", "ACM MM 2026"),
        ("ICML 2026 (Oral)", "ICML 2026"),
        ("CVPR EgoVis Workshop 2026", "CVPR 2026 Workshop"),
        ("ICML", None),
        ("Submitted to ICML 2026", None),
        ("icml '26", None),  # lower case: offered instead (`meant`)
        ("", None),
    ],
)
def test_a_conference_is_named_by_its_address_its_label_or_as_papers_write_it(
    typed: str, label: str | None
) -> None:
    found = typed_venue(typed)
    assert (found.label if found else None) == label
