"""Text hygiene shared by ingest, feeds and the CLI: XML-safe and terminal-safe strings."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from text_unidecode import unidecode

# XML 1.0's Char production: tab, newline, carriage return and the non-surrogate planes
# except U+FFFE and U+FFFF.
_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# C0/C1 controls (bar tab and newline), DEL, and the marks that reorder or hide text (bidi).
_TERMINAL_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)


_C0_BYTES = bytes(c for c in range(32) if c not in (9, 10, 13))


def xml_safe(text: str) -> str:
    """The text without the characters XML 1.0 forbids (controls, surrogates, U+FFFE, U+FFFF)."""
    return text if is_xml_clean(text) else _XML_FORBIDDEN.sub("", text)


def is_xml_clean(text: str) -> bool:
    """True when XML 1.0 allows every character of the text."""
    # On the ingest hot path: encoding and byte scans are ~30x faster than a Unicode regex.
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    if len(data.translate(None, _C0_BYTES)) != len(data):
        return False
    return b"\xef\xbf\xbe" not in data and b"\xef\xbf\xbf" not in data  # U+FFFE, U+FFFF


def is_xml_safe(text: str) -> bool:
    """True when the text holds no character XML 1.0 forbids (so no surrogate either)."""
    return _XML_FORBIDDEN.search(text) is None


def has_lone_surrogate(text: str) -> bool:
    """True when the text holds a UTF-16 surrogate, which no encoding can write."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def terminal_safe(text: str) -> str:
    """Stored text for a terminal: control and bidi characters shown as visible escapes."""
    return _TERMINAL_UNSAFE.sub(_visible, _SURROGATE.sub(_visible, text))


# An address as written in a message or a URL's query ("a@b.org", "a%40b.org"). Its local part
# starts after a character it cannot hold: tried from every letter of a long run ("?q=aaa…"),
# each try scanning to the run's end, a 16 KB query took 5 s of the server's event loop.
_LOCAL = "[^\\s<>()\\[\\],;:\"'=&?/@%]"
_ADDRESS = re.compile(f"(?<!{_LOCAL})({_LOCAL}+)(@|%40)([\\w-]+(?:\\.[\\w-]+)+)")


def masked_address(address: str) -> str:
    """An email address for a log line: its first character and its domain ("a***@example.org"),
    enough to tell mailboxes apart without writing one down."""
    local, at, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}" if at and local else "***"


def mask_addresses(text: str) -> str:
    """The text with each email address in it masked as `masked_address` masks one."""
    return _ADDRESS.sub(lambda m: f"{m[1][:1]}***{m[2]}{m[3]}", text)


def _visible(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# Bidi embeddings and overrides (closed by PDF) and isolates (closed by PDI).
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Han and kana: Chinese and Japanese are written without spaces between words.
CJK_LETTERS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Chinese and Japanese names are written with a space between family and given name or without
# one ("山田 太郎", "山田太郎"): one name, whose parts search and author keys write together.
_CJK_GAP_RE = re.compile(f"(?<=[{CJK_LETTERS}])\\s+(?=[{CJK_LETTERS}])")
# Hangul: Korean writes words apart, but a name's family and given name with a space or without
# ("김 민수", "김민수"): one name, whose parts author keys write together (search finds both).
HANGUL_LETTERS = "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff"
_NAME_LETTERS = CJK_LETTERS + HANGUL_LETTERS
_NAME_GAP_RE = re.compile(f"(?<=[{_NAME_LETTERS}])\\s+(?=[{_NAME_LETTERS}])")
_EMBEDS, _PDF = "\u202a\u202b\u202d\u202e", "\u202c"
_ISOLATES, _PDI = "\u2066\u2067\u2068", "\u2069"


class AsTyped(str):
    """Text given back to a form field (an input's value, a textarea) as it was typed: a field
    holds its own text, so `bidi_closed` adds no closing marks (which a save would keep)."""


def bidi_closed(value: object) -> object:
    """A string with the bidi embeddings, overrides and isolates it opened closed at its end, so
    that a right-to-left override typed into a name cannot reverse the page text after it."""
    if not isinstance(value, str) or isinstance(value, AsTyped) or _BIDI.search(value) is None:
        return value
    embeds = isolates = 0
    for mark in _BIDI.findall(value):
        if mark in _EMBEDS:
            embeds += 1
        elif mark == _PDF:
            embeds = max(embeds - 1, 0)
        elif mark in _ISOLATES:
            isolates += 1
        else:
            isolates = max(isolates - 1, 0)
    return value + _PDF * embeds + _PDI * isolates if embeds or isolates else value


def cjk_name_joined(name: str) -> str:
    """A name with the parts of a Chinese or Japanese name written together: "山田 太郎" (or
    "山田　太郎", with an ideographic space) as "山田太郎"; other names as they are."""
    return name if name.isascii() else _CJK_GAP_RE.sub("", name)


def name_parts_joined(name: str) -> str:
    """A name with the parts of a Chinese, Japanese or Korean name written together, as author
    keys hold it: "山田 太郎" as "山田太郎", "김 민수" as "김민수"; other names as they are."""
    return name if name.isascii() else _NAME_GAP_RE.sub("", name)


# Latin letters NFKD does not take apart.
_LATIN_LETTERS = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe",
     "Œ": "OE", "đ": "d", "Đ": "D", "ı": "i", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th"}
)  # fmt: skip


def fold_accents(text: str) -> str:
    """Latin letters without their accents ("Gödel" -> "Godel", "Straße" -> "Strasse", "Işık"
    and "İ" -> "Isik" and "I", full-width "ＧＯＤＥＬ" -> "GODEL"); other scripts' marks kept
    (が stays が). Plain ASCII comes back as it is."""
    if text.isascii():
        return text
    out: list[str] = []
    latin = False
    for char in unicodedata.normalize("NFKD", text.translate(_LATIN_LETTERS)):
        if unicodedata.combining(char):
            if latin:
                continue
        else:
            latin = char < "\u0250" or "\u1e00" <= char <= "\u1eff"
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


# How German, Danish and Norwegian write these letters on a keyboard without them: "Schrödinger"
# is "Schroedinger", "Müller" "Mueller", "Søren" "Soeren", "Ålborg" "Aalborg".
_SPELLED_OUT = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ø": "oe", "Ø": "Oe",
     "å": "aa", "Å": "Aa"}
)  # fmt: skip
_SPELLABLE_RE = re.compile("[äöüÄÖÜøØåÅ]")
# From a word's start only: tried inside a long word without umlauts, each letter scanned to
# the word's end again (a 16,000-letter run took 2 s, quadratically more beyond).
_SPELLABLE_WORD_RE = re.compile(r"(?<![^\W_])[^\W_]*[äöüÄÖÜøØåÅ][^\W_]*")


def spelled_out(text: str) -> str:
    """`text` with its umlauts (and ø, å) written as two letters, "Gödel" as "Goedel" (NFC
    first: "o" and a combining diaeresis is "ö"); text without them comes back as it is."""
    if text.isascii():
        return text
    composed = unicodedata.normalize("NFC", text)
    return composed.translate(_SPELLED_OUT) if _SPELLABLE_RE.search(composed) else text


_SPELLED_RE = re.compile(r"([ao]|(?<!q)u)e")


def spelled_in(word: str) -> str:
    """A lower-case word that may spell umlauts out, as their letters read without their dots:
    "schroedinger" as "schrodinger" (as "Schrödinger" is folded), "queue" keeping its "ue".
    A guess: "does" gives "dos" too."""
    return _SPELLED_RE.sub(r"\1", word) if "e" in word else word


def spelled_out_words(text: str) -> list[str]:
    """The words of `text` that hold an umlaut (or ø, å), spelled out: "Gödel's Müller" gives
    ["Goedel", "Mueller"]."""
    if text.isascii():
        return []
    composed = unicodedata.normalize("NFC", text)
    return [spelled_out(m[0]) for m in _SPELLABLE_WORD_RE.finditer(composed)]


# A key's words: ASCII letters and digits, and runs of other scripts' letters (with their marks).
KEY_WORD = re.compile(r"[a-z0-9]+|[^\x00-\x7f]+")


def key_folded(text: str) -> str:
    """Text as author and title keys read it (their words are `KEY_WORD`s of it): NFKC and
    case-folded; Latin letters in ASCII without their accents, ł, ø, ß, ı spelled out ("Łódź"
    is "lodz"); digits of any script as ASCII digits; other scripts' letters and their marks
    kept ("Мария" is "мария", "हिन्दी" stays whole); other characters spaces, ASCII kept."""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    out: list[str] = []
    kept = False  # whether the last character was a letter (or its mark) kept as written
    for char in text:
        if char.isascii():
            out.append(char)
            kept = False
        elif _kept_letter(char) or (kept and unicodedata.category(char)[0] == "M"):
            out.append(char)
            kept = True
        else:  # Latin (ł -> l, é -> e, a mark after a Latin letter -> ""), digits: as ASCII
            out.append(_ascii_of(char))
            kept = False
    return "".join(out)


def _ascii_of(char: str) -> str:
    category = unicodedata.category(char)[0]
    if category in "LMN":
        return str(unidecode(char)).lower()
    return "" if unicodedata.category(char) == "Cf" else " "  # 山田・太郎: two words; ZWNJ: none


@lru_cache(maxsize=4096)
def _kept_letter(char: str) -> bool:
    """A letter of a script other than Latin (its modifier letters count as Latin)."""
    if unicodedata.category(char)[0] != "L":
        return False
    return not unicodedata.name(char, "LATIN").startswith(("LATIN", "MODIFIER LETTER"))


DISPLAY_NAME_MOST = 80  # characters in a display name
# Controls, line breaks and the marks that reorder or hide text (bidi, zero width space, BOM);
# the joiners (U+200C, U+200D) stay: Persian, Indic scripts and emoji need them.
_NAME_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff]"
)
_BLANK_LETTERS = "\u115f\u1160\u3164\uffa0"  # Hangul fillers: letters that show nothing
_AT_SIGNS = ("@", "＠", "﹫")  # how a handle is written (and its full-width and small forms)


def display_name(typed: str) -> str:
    """A display name as kept (NFC, trimmed, inner spaces single); ValueError saying why when
    it holds a control or bidi character, shows nothing, is too long or holds "@"."""
    name = re.sub(" {2,}", " ", unicodedata.normalize("NFC", typed).strip())
    if _NAME_UNSAFE.search(name):
        raise ValueError("a display name cannot hold control, line-break or text-direction marks")
    if len(name) > DISPLAY_NAME_MOST:
        raise ValueError(f"a display name is at most {DISPLAY_NAME_MOST} characters")
    if name.startswith(_AT_SIGNS):
        raise ValueError("a display name cannot start with “@”: that is how handles look")
    if any(at in name for at in _AT_SIGNS):  # "Ada @ada" beside @mallory passes for ada
        raise ValueError("a display name cannot hold “@”: that is how handles look")
    if name and not any(_shows(ch) for ch in name):
        raise ValueError("a display name needs a visible letter, digit or sign")
    return name


def _shows(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] not in "ZC" and ch not in _BLANK_LETTERS and category != "Mn"
