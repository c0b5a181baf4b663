"""Text as the injection screen reads it: folded, and with what is encoded or hidden decoded.

An instruction can be written so that a pattern never sees it while a model still reads it:
look-alike letters from another script ("Іgnоrеr" in Cyrillic), zero-width characters inside
words, full-width letters, base64, percent-encoding, the title or the query string of a markdown
link, an HTML comment. ``screen_views`` turns a passage into the texts the patterns run on:

* the passage itself, folded: NFKC, invisible characters removed, dashes and spaces made plain
  (``kilab.core.pii.normalise_digits``, the identity-number detector's normaliser), then every
  letter that Unicode lists as confusable with a Latin letter replaced by it (the confusables
  data of the ``confusable_homoglyphs`` package);
* one view per decoded run: base64 that decodes to readable text, percent-encoded text, the
  title and the decoded query of every link, the body of every HTML comment. Each is folded in
  turn and may itself hold an encoded run (to a depth of ``MAX_DEPTH``).

Every view keeps a map from its characters to offsets in the original passage, so that a
finding points at what a person can see: the folded text maps character by character, a decoded
run maps as a whole to the encoded characters.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from confusable_homoglyphs import confusables

from kilab.core.pii import normalise_digits

Origin = Literal["text", "base64", "percent", "link", "html-comment"]
MAX_DEPTH = 2

__all__ = ["MAX_DEPTH", "Origin", "View", "fold", "screen_views"]


@dataclass(frozen=True, slots=True)
class View:
    """One text the screen reads, and where its characters are in the original.

    Attributes:
        text: What the patterns run on.
        origin: ``text`` for the passage itself, else what was decoded.
        offsets: For ``text`` views: the original offset of each character, plus one entry
            for the end (None when the text is the original unchanged).
        span: For decoded views: the encoded characters in the original, which every match
            in this view points at.
    """

    text: str
    origin: Origin
    offsets: list[int] | None = None
    span: tuple[int, int] | None = None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The characters of the original passage that ``text[start:end]`` came from."""
        if self.span is not None:
            return self.span
        if self.offsets is None:
            return start, end
        return self.offsets[start], (self.offsets[end - 1] + 1 if end > start else start)


@lru_cache(maxsize=2048)
def _latin_lookalike(char: str) -> str | None:
    """The Latin letter ``char`` is confusable with, if it is a letter of another script."""
    if not char.isalpha() or unicodedata.name(char, "").startswith("LATIN"):
        return None
    found = confusables.is_confusable(char, greedy=True, preferred_aliases=["latin"])
    for entry in found or []:
        for homoglyph in entry["homoglyphs"]:
            latin = str(homoglyph["c"])
            if len(latin) == 1 and latin.isascii() and latin.isalpha():
                # Unicode maps a capital I to "l" (they look alike); read it as the capital.
                if latin == "l" and char.isupper():
                    return "I"
                return latin
    return None


def fold(text: str) -> tuple[str, list[int] | None]:
    """``text`` with full-width, invisible and look-alike characters made plain, and offsets.

    Returns:
        The folded text and each character's offset in ``text`` (plus the end), or None for
        the offsets when nothing changed.
    """
    folded, offsets = normalise_digits(text)
    if folded.isascii():
        return folded, offsets
    chars = list(folded)
    changed = False
    for index, char in enumerate(chars):
        if char.isascii():
            continue
        latin = _latin_lookalike(char)
        if latin is not None:
            chars[index] = latin
            changed = True
    if not changed:
        return folded, offsets
    if offsets is None:
        offsets = [*range(len(text)), len(text)]
    return "".join(chars), offsets


# Base64 of a sentence: long, no spaces, and not a word or a number.
_BASE64 = re.compile(r"(?<![\w+/=-])[A-Za-z0-9+/_-]{20,}={0,2}(?![\w+/=-])")
_PERCENT_RUN = re.compile(r"\S*(?:%[0-9A-Fa-f]{2}\S*){3,}")
_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_LINK = re.compile(r"\[([^\]\n]*)\]\(\s*(<[^>\n]*>|[^)\s]+)(?:\s+(\"[^\"\n]*\"|'[^'\n]*'))?\s*\)")
_COMMENT = re.compile(r"<!--([\s\S]*?)(?:-->|$(?![\s\S]))")


def _readable(decoded: str) -> bool:
    """Whether decoded bytes are text a model would read as words (not binary or an id)."""
    if len(decoded) < 8 or " " not in decoded:
        return False
    printable = sum(1 for c in decoded if c.isprintable() or c in "\n\t")
    letters = sum(1 for c in decoded if c.isalpha() or c == " ")
    return printable == len(decoded) and letters >= 0.7 * len(decoded)


def _base64_text(run: str) -> str | None:
    padded = run + "=" * (-len(run) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        decoded = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return decoded if _readable(decoded) else None


def _url_text(url: str) -> str:
    """The decoded path and query values of a URL, as words."""
    parts = urllib.parse.urlsplit(url)
    values = [value for _, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)]
    pieces = [urllib.parse.unquote(parts.path), *values, urllib.parse.unquote(parts.fragment)]
    return " ".join(p for p in pieces if p.strip())


def _decoded_runs(text: str) -> list[tuple[Origin, str, tuple[int, int]]]:
    """The encoded or hidden runs of ``text``: (what, the decoded text, span in ``text``)."""
    runs: list[tuple[Origin, str, tuple[int, int]]] = []
    for m in _BASE64.finditer(text):
        decoded = _base64_text(m.group(0))
        if decoded is not None:
            runs.append(("base64", decoded, m.span()))
    for m in _PERCENT_RUN.finditer(text):
        decoded = urllib.parse.unquote_plus(m.group(0))
        if decoded != m.group(0):
            runs.append(("percent", decoded, m.span()))
    for m in _URL.finditer(text):
        words = _url_text(m.group(0))
        if " " in words.strip() or "+" in m.group(0):
            runs.append(("percent", words, m.span()))
    for m in _LINK.finditer(text):
        title = (m.group(3) or "")[1:-1]
        if title.strip():
            runs.append(("link", title, m.span()))
    for m in _COMMENT.finditer(text):
        if m.group(1).strip():
            runs.append(("html-comment", m.group(1), m.span()))
    return runs


def screen_views(text: str) -> list[View]:
    """The passage folded, then every decoded run folded (see the module's docstring)."""
    folded, offsets = fold(text)
    views = [View(folded, "text", offsets)]
    pending: list[tuple[str, tuple[int, int] | None, int]] = [(text, None, 0)]
    while pending:
        source, outer, depth = pending.pop()
        if depth >= MAX_DEPTH:
            continue
        for origin, decoded, span in _decoded_runs(source):
            # A run inside a decoded run points at the outermost encoded characters.
            where = outer if outer is not None else span
            views.append(View(fold(decoded)[0], origin, span=where))
            pending.append((decoded, where, depth + 1))
    return views
