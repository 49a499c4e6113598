"""Finding code links (GitHub, GitLab, Hugging Face) in abstracts and comments."""

from __future__ import annotations

import re

_URL = re.compile(
    r"(?:https?://)?(?:www\.)?(github\.com|gitlab\.com|huggingface\.co)/([^\s<>\"'(){}\[\],;]+)",
    re.IGNORECASE,
)
_HF_KINDS = {"spaces", "datasets"}
_GITHUB_RESERVED = {"orgs", "features", "about", "topics", "collections", "sponsors", "login"}


def find_code_links(*texts: str | None) -> tuple[str, ...]:
    """Normalised, de-duplicated code URLs found in the texts, in order of appearance."""
    found: dict[str, str] = {}
    for text in texts:
        for match in _URL.finditer(_link_words(text)):
            url = normalise_code_url(match.group(1), match.group(2))
            if url:
                found.setdefault(url.lower(), url)
    return tuple(found.values())


def _link_words(text: str | None) -> str:
    # The case-insensitive regex is slow on long texts; a URL never spans whitespace, so
    # scanning only the words that may name a code host finds the same links.
    if not text or "\u0130" in text or "\u0131" in text:
        return text or ""  # IGNORECASE matches "i" with these, lower() does not: keep all
    low = text.lower()
    if not _names_host(low):
        return ""
    # lower() never turns whitespace into text or back, so both splits line up word for word.
    pairs = zip(text.split(), low.split(), strict=True)
    return " ".join(word for word, low_word in pairs if _names_host(low_word))


def _names_host(low: str) -> bool:
    return "github.com" in low or "gitlab.com" in low or "huggingface.co" in low


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
