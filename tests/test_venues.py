"""A paper's venue read from real arXiv comments (all strings below are from the daily listings of
2025 and 2026), on its card and its page; a sentence that only says "submitted" is none."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.venues import (
    Venue,
    from_label,
    from_slug,
    meant,
    offered,
    said_on,
    typed_venue,
    venue_of,
    venue_sentence,
)
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
    # The full name with the acronym after it, the year after that or before the name.
    (
        "Accepted at IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR) 2026",
        "CVPR 2026",
        "",
    ),
    (
        "Published in Proceedings of the AAAI Conference on Artificial Intelligence (AAAI), 2026, "
        "pages 16787-16794",
        "AAAI 2026",
        "",
    ),
    (
        "Accepted for 2026 IEEE International Symposium on Information Theory (ISIT), 6 pages",
        "ISIT 2026",
        "",
    ),
    ("To be published in the 2025 CVPR FGVC12 workshop", "CVPR 2025 Workshop", ""),
    ("Accepted at the 2025 IEEE ICDM Workshop on Grounding Documents", "ICDM 2025 Workshop", ""),
    # Other ways of writing the year, and the main track named.
    ("Accepted by the 40th AAAI Conference on Artificial Intelligence (AAAI-26)", "AAAI 2026", ""),
    ("Accepted by CVPR'2026", "CVPR 2026", ""),
    ("Accepted at CVPR 26", "CVPR 2026", ""),
    ("Accepted by AAAI' 26", "AAAI 2026", ""),
    ("10 pages + appendix (23 pages total), paper accepted at ACL (Main) 2026", "ACL 2026", ""),
    ("Accepted at EMNLP Main 2025.", "EMNLP 2025", ""),
    ("Accepted to ACL 2025-Main Conference", "ACL 2025", ""),
    ("accepted by KDD Datasets and Benchmarks Track 2026", "KDD 2026", ""),
    ("Accepted to ACL Industry Track 2026", "ACL 2026", ""),
    ("Accepted to CVPR Findings Track 2026", "Findings of CVPR 2026", ""),
    ("Accepted to CVPR workshops, 2026", "CVPR 2026 Workshop", ""),
    ("Accepted at EACL SRW 26", "EACL 2026 Workshop", ""),
    # A comment arXiv wrapped over two lines is one sentence.
    (
        "Proceedings of the 2025 Conference on Empirical Methods in Natural\n  Language "
        "Processing (EMNLP Findings)",
        "Findings of EMNLP 2025",
        "",
    ),
    (
        "Presented at the 4th Workshop on Uncertainty Quantification for Computer\n  Vision "
        "(CVPR 2025), June 11, 2025.",
        "CVPR 2025 Workshop",
        "",
    ),
    # The year elsewhere in the sentence; a workshop named by its own acronym.
    (
        "Accepted at CVPR Workshop on Simulation for Autonomous Driving 2026",
        "CVPR 2026 Workshop",
        "",
    ),
    (
        "This work has been accepted for publication in International Conference on Intelligent "
        "Transportation Systems (ITSC), IEEE, 2026.",
        "ITSC 2026",
        "",
    ),
    ("Accepted at ACL WOAH 2025", "ACL 2025 Workshop", ""),
    ("Accepted by LLMs4SSH 2026 at LREC", "LREC 2026 Workshop", ""),
    (
        "Peer reviewed and accepted at CVPR 2026 at the GRAIL-V workshop (non-archival track)",
        "CVPR 2026 Workshop",
        "",
    ),
    # A conference's workshops as one word; more conferences by their acronym.
    ("Accepted at CVPRW'25", "CVPR 2025 Workshop", ""),
    ("ICCVW 2025 accepted paper.", "ICCV 2025 Workshop", ""),
    (
        "Accepted to the 2026 IEEE/CVF Winter Conference on Applications of Computer Vision "
        "Workshops (WACVW), VReID-XFD Challenge",
        "WACV 2026 Workshop",
        "",
    ),
    ("Accepted at IEEE IGARSS 2025", "IGARSS 2025", ""),
    ("Accepted at ACM FAccT '25", "FAccT 2025", ""),
    ("Accepted to CoNLL 2026.", "CoNLL 2026", ""),
    (
        "Accepted at the 27th International Conference on Artificial Intelligence in Education "
        "(AIED 2026)",
        "AIED 2026",
        "",
    ),
    (
        "To appear at the 36th International Conference on Automated Planning and Scheduling "
        "(ICAPS-26)",
        "ICAPS 2026",
        "",
    ),
    (
        "AIES '25: Proceedings of the 2025 AAAI/ACM Conference on AI, Ethics, and Society",
        "AIES 2025",
        "",
    ),
    (
        "Accepted to EurIPS 2025 Workshop on Principles of Generative Modeling (PriGM)",
        "EurIPS 2025 Workshop",
        "",
    ),
    # a challenge's or competition's report: the conference's challenges, not its main track
    ("CVPR 2026 SoccerNet Novel View Synthesis Challenge, Rank 1", "CVPR 2026 Challenge", ""),
    ("Technical Report for the 1st Cross-Domain EgoCross Challenge at CVPR 2026",
     "CVPR 2026 Challenge", ""),
    ("NeurIPS 2025 Competition Track (MMU-RAGent).", "NeurIPS 2025 Challenge", ""),
    ("2nd Place Winner, ICCV 2025 2COOOL Competition", "ICCV 2025 Challenge", ""),
    ("Accepted for an oral presentation at ISBI 2025 Fetal Ultrasound Grand Challenge: "
     "Semi-Supervised Cervical Segmentation", "ISBI 2025 Challenge", ""),
    ("This challenge was hosted in MICCAI 2024", "MICCAI 2024 Challenge", ""),
    # an event held with a conference is its workshop; a conference named before it is itself
    ("Accepted for publication at the 10th Conference of Machine Translation (WMT25), "
     "co-located with EMNLP 2025", "EMNLP 2025 Workshop", ""),
    ("8 pages, 1 figure, accepted at AfricaNLP 2026 (co-located with EACL)",
     "EACL 2026 Workshop", ""),
    ("Collocated with NAACL 2025", "NAACL 2025 Workshop", ""),
    ("To appear in the Proceedings of CoNLL 2026, colocated with ACL 2026", "CoNLL 2026", ""),
    # a workshop's proceedings that also hold tutorials are a workshop's
    ("Peer reviewed and to appear in the ESWC 2025 Workshops and Tutorials Joint Proceedings "
     "(Workshop on Evaluation of Language Models in Knowledge Engineering [ELMKE])",
     "ESWC 2025 Workshop", ""),
    # the workshop said in another sentence of the comment (real comments)
    ("ICCV 2025; OpenSUN3D Workshop; Camera ready version", "ICCV 2025 Workshop", ""),
    ("Second Workshop on Test-Time Adaptation: Putting Updates to the Test!\n  at ICML 2025, "
     "Vancouver, Canada. 2025", "ICML 2025 Workshop", ""),
    ("Accepted for publication at CVPR 2026; ViSCALE Workshop. Draft info: 10 pages",
     "CVPR 2026 Workshop", ""),
    ("The First Workshop on Natural Language Processing and Language Models\n  for Digital "
     "Humanities (LM4DH 2025). RANLP 2025", "RANLP 2025 Workshop", ""),
    ("ECCV 2024. Workshop page: https://coda-dataset.github.io/w-coda2024/",
     "ECCV 2024 Workshop", ""),
    ("ICCV 2025. ICCV Workshop on Robustness", "ICCV 2025 Workshop", ""),
    # … but not another conference's workshop, nor an earlier paper's, nor one in an address
    ("Accepted at ICML 2026. Best paper at the NeurIPS 2025 Workshop on X",
     "ICML 2026", ""),
    ("Accepted at ICML 2026 (Spotlight). An earlier version appeared at a workshop",
     "ICML 2026", "Spotlight"),
    ("Accepted for presentation at EUSIPCO 2025. List of accepted papers: "
     "http://cmsworkshops.com/EUSIPCO2025/papers/accepted_papers.php", "EUSIPCO 2025", ""),
]  # fmt: skip

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
    "Accepted to SICon 2025 ACL",  # the year is another event's
    "12 pages main paper + 6 pages appendix, 14 figures; submitted to\n  NeurIPS 2025",
    "Accepted at the 21st AAAI Conference on Artificial Intelligence and Interactive Digital "
    "Entertainment (AIIDE 2025)",
    "To appear in 2026 ACM SIGIR Conference on Human Information Interaction and Retrieval "
    "(CHIIR '26), March 22-26, 2026, Seattle, WA, USA.",
    "Accepted to 2025 ACM SIGGRAPH Symposium on Interactive 3D Graphics and Games (I3D 2025)",
    "Published at IJCNN-91",  # 1991, not 2091 (nor HICSS-59's edition number)
    "Presented at the 2025 AAAI Fall Symposium - AI Trustworthiness and Risk Assessment",
    "Accepted by ACM MM Asia2026",
    "Accepted for publication at the Transactions of ACL (TACL)",
    "Please cite the published version on ACL anthology: http://aclanthology.org/2023.conll-b.1/",
    "Accepted at ICML",  # no year, and no date to tell it
    "ACL Anthology Workshop version, 2025",  # no track word next to the year
    # held with the conference, not a track of its papers
    "Accepted to EMNLP 2025 Tutorial",
    "WWW'25 Tutorial",
    "Accepted to the PhD Symposium at Web Conference 2026",
    "Invited as Long Oral Presentation (Top 8) at MICCAI 2025 Doctoral Consortium",
    "Accepted at AAAI 2026 Spring Symposium - Machine Consciousness",
    "Accepted at the AAAI 2025 Fall Symposium Series.",
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


# A conference named with no year, and the day the paper said so (real comments and their
# listing days, and a few days around its decisions).
DATED = [
    ("Accepted at ICML", date(2025, 6, 24), "ICML 2025"),
    ("Accepted by Interspeech", date(2025, 5, 22), "Interspeech 2025"),
    ("Accepted for WACV", date(2025, 12, 8), "WACV 2026"),  # decided in autumn for winter
    ("Accepted at The 40th Annual AAAI Conference on Artificial Intelligence", date(2026, 1, 16),
     "AAAI 2026"),
    ("Accepted by AAAI", date(2025, 10, 20), "AAAI 2025"),  # AAAI 2026 decides in November
    ("ECCV Accepted", date(2026, 6, 20), "ECCV 2026"),
    ("Accepted at ECCV", date(2025, 9, 1), "ECCV 2024"),  # held in even years
    ("8 pages, 5 figures, ICCV accepted paper", date(2026, 3, 1), "ICCV 2025"),  # odd years
    ("Accepted at ICCV Workshops", date(2025, 8, 14), "ICCV 2025 Workshop"),
    ("Accepted to CogInterp @ NeurIPS", date(2025, 11, 24), "NeurIPS 2025 Workshop"),
    ("Accepted to ACL Findings;", date(2025, 5, 30), "Findings of ACL 2025"),
    ("Accepted to ACL.", date(2026, 3, 1), "ACL 2025"),  # before its April decisions
    ("Accepted to ACL.", date(2026, 4, 17), "ACL 2026"),
    ("Accepted to TMLR.", date(2025, 4, 9), "TMLR 2025"),
]  # fmt: skip


@pytest.mark.parametrize(("comment", "said", "label"), DATED)
def test_a_conference_named_without_its_year_is_dated_by_when_the_paper_said_it(
    comment: str, said: date, label: str
) -> None:
    venue = venue_of(None, comment, said=said)
    assert venue is not None and venue.label == label
    assert venue_sentence(None, comment, said=said) == comment


@pytest.mark.parametrize(
    "comment",
    [
        "Accepted at ICPR",  # its decisions' month is not known here
        "Submitted to ICML",
        "Accepted at the Second IJCAI AI for Good Symposium in Africa",
        "Accepted to the ACL ARR July",  # the review cycle, not a meeting
        "Accepted for ICRA 40 Year Anniversary (ICRA40)",
    ],
)
def test_no_year_and_no_known_decisions_is_no_venue(comment: str) -> None:
    assert venue_of(comment, said=date(2025, 12, 1)) is None


def test_the_day_a_paper_said_it_is_its_latest_versions_within_a_year_of_its_first() -> None:
    assert said_on(datetime(2025, 6, 1), datetime(2025, 9, 1)) == date(2025, 9, 1)
    assert said_on(datetime(2025, 6, 1), None) == date(2025, 6, 1)
    assert said_on(None, None, date(2025, 6, 2)) == date(2025, 6, 2)
    assert said_on(None, datetime(2025, 6, 3), date(2025, 6, 2)) == date(2025, 6, 3)
    assert said_on(datetime(2022, 6, 1), datetime(2025, 9, 1)) is None  # an old paper's new version
    assert said_on(None, None, None) is None


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


def test_a_conference_named_without_its_year_is_stored_shown_and_listed_by_the_papers_date(
    settings: Settings, engine: Engine
) -> None:
    said = replace(HOSTILE, comments="Accepted at ICML")  # listed on 2026-06-25
    old = replace(
        HOSTILE,
        id="2206.00001",
        comments="Accepted at ICML",
        published=datetime(2022, 6, 1),  # an old paper's new version: which ICML is not told
        updated=datetime(2026, 6, 20),
    )
    with engine.begin() as conn:
        upsert_papers(conn, [said, old])
    with client(settings, engine) as c:
        card = _card(c.get(f"/papers/date/{said.listing_date}").text, HOSTILE_ID)
        assert ">ICML 2026</span>" in card and "(Accepted at ICML)" in card
        page = c.get(f"/papers/{HOSTILE_ID}").text
        assert ">ICML 2026</a>" in page and "/venues/icml-2026" in page
        listed = c.get("/venues/icml-2026")
        assert listed.status_code == 200 and f'data-id="{HOSTILE_ID}"' in listed.text
        assert 'data-id="2206.00001"' not in listed.text
        assert "<dt>Venue</dt>" not in c.get("/papers/2206.00001").text


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


def test_a_conferences_challenges_are_typed_found_and_addressed_as_its_other_tracks() -> None:
    held = {"CVPR 2026": 10, "CVPR 2026 Workshop": 5, "CVPR 2026 Challenge": 3}
    assert [v.label for v in meant("cvpr challenges", held)][0] == "CVPR 2026 Challenge"
    assert [v.label for v in meant("cvpr workshop", held)][0] == "CVPR 2026 Workshop"
    for label in held:
        venue = from_label(label)
        assert venue is not None and from_slug(venue.slug) == venue and venue.label == label
    assert from_slug("cvpr-2026-challenge") == Venue("CVPR", 2026, "Challenge")


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
        ("cvpr-2026-challenge", "CVPR 2026 Challenge"),
        ("CVPR 2026 Challenge", "CVPR 2026 Challenge"),
        ("CVPR 2026 SoccerNet Challenge", "CVPR 2026 Challenge"),
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
