"""What a pasted page (or a .txt file read as one) may cost: a text over the page limit is
refused with a reason, and a line of many full stops, question marks or dashes is not read once
per break (a 1 MB paste of such lines held a worker for minutes)."""

from __future__ import annotations

import pytest

from paperfeed.models import Paper
from paperfeed.references import page_text
from paperfeed.settings import Settings
from tests.web_support import importing

TITLE = "Simplifying Graph Transformers for Node Classification"


def test_a_page_over_the_limit_is_refused_saying_so(settings: Settings) -> None:
    filler = "x" * (page_text._MAX_LINE + 1)  # each line skipped at once: the test stays fast
    lines = [TITLE] + [filler] * (page_text.PAGE_TEXT_MAX // len(filler) + 1)
    body = "\n".join(lines).encode()
    stored = [Paper(id="2504.12588", title=TITLE)]
    with importing(settings, stored, "organiser") as (c, auth):
        upload = c.post("/api/me/library/import", files={"file": ("page.txt", body)}, headers=auth)
        pasted = c.post(
            "/api/me/library/import",
            content=body[:999_000],
            headers={**auth, "Content-Type": "text/plain"},
        )
    assert upload.status_code == 400, upload.text[:300]
    assert "import it in parts" in upload.json()["detail"]
    assert pasted.status_code == 200, pasted.text[:300]  # under the limit: read as before


@pytest.mark.parametrize("piece", ["a? ", "Ab. ", "Ab - ", "Ann Lee. ", "Ab | "])
def test_a_line_of_breaks_is_not_read_once_per_break(
    piece: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    names = page_text._names

    def counted(text: str, strict: bool) -> tuple[str, ...]:
        calls.append(text)
        return names(text, strict)

    monkeypatch.setattr(page_text, "_names", counted)
    line = piece * ((page_text._MAX_LINE - 10) // len(piece))
    page_text.read_page_text(f"{TITLE}\n{line}\n")
    assert len(calls) <= 2 * (page_text._MAX_BREAKS + 1)
