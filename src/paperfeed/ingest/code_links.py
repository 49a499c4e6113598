"""Finding code links (GitHub, GitLab, Hugging Face) in abstracts and comments."""

from __future__ import annotations

import re

_URL = re.compile(
    r"(?:https?://)?(?:www\.)?(github\.com|gitlab\.com|huggingface\.co)/([^\s<>\"'(){}\[\],;]+)",
    re.IGNORECASE,
)
# For lower-cased text; the optional scheme and www. never change the two groups.
_URL_LOW = re.compile(r"(github\.com|gitlab\.com|huggingface\.co)/([^\s<>\"'(){}\[\],;]+)")
_HF_KINDS = {"spaces", "datasets"}
_GITHUB_RESERVED = {"orgs", "features", "about", "topics", "collections", "sponsors", "login"}


def find_code_links(*texts: str | None) -> tuple[str, ...]:
    """Normalised, de-duplicated code URLs found in the texts, in order of appearance."""
    found: dict[str, str] = {}
    for text in texts:
        for host, path in _host_paths(text or ""):
            url = normalise_code_url(host, path)
            if url:
                found.setdefault(url.lower(), url)
    return tuple(found.values())


def _host_paths(text: str) -> list[tuple[str, str]]:
    # The case-insensitive regex is slow on long texts; the same pattern, case-sensitive, over
    # the lower-cased text is fast and finds the same spans, read back from the original.
    low = text.lower()
    if "\u0130" in text or "\u0131" in text or len(low) != len(text):
        # IGNORECASE matches "i" with these, lower() does not; or the offsets no longer line up
        return [(m[1], m[2]) for m in _URL.finditer(text)]
    if "github.com" not in low and "gitlab.com" not in low and "huggingface.co" not in low:
        return []
    return [
        (text[m.start(1) : m.end(1)], text[m.start(2) : m.end(2)]) for m in _URL_LOW.finditer(low)
    ]


def normalise_code_url(host: str, path: str) -> str | None:
    """`https://host/owner/repo` (Hugging Face keeps its spaces/datasets prefix), or None."""
    host = host.lower()
    parts = [p for p in re.split(r"[/#?]", path.rstrip(".:!")) if p][:3]
    if host == "huggingface.co" and parts and parts[0].lower() in _HF_KINDS:
        parts = [parts[0].lower()] + parts[1:3]
    else:
        parts = parts[:2]
    expected = 3 if host == "huggingface.co" and parts and parts[0] in _HF_KINDS else 2
    if len(parts) < expected or parts[0].lower() in _GITHUB_RESERVED:
        return None
    parts[-1] = re.sub(r"\.git$", "", parts[-1].rstrip("."))
    if not all(re.fullmatch(r"[\w.\-]+", p) for p in parts):
        return None
    return f"https://{host}/" + "/".join(parts)
