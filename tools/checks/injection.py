"""Indirect prompt injection: instructions to the assistant hidden in retrieved passages.

Patterns are written for bokmål, nynorsk and English, plus language-independent ones for hidden
markup and chat-template tokens. Each is narrow on purpose: law text legitimately says
"skal ignoreres", "instruks" and "sendes til postmottak@…", so a pattern fires only on the
imperative addressed to a reader (ignorer/gløym/ignore + earlier instructions, "du er nå",
"svar bare med", data sent to a URL), not on the vocabulary alone. Text is matched after removing
zero-width characters and NFKC folding, so "ig\u200bnorer" and full-width letters do not hide an
instruction; offsets in the findings refer to the original text.

Limits, said plainly: paraphrases outside the patterns, other languages, homoglyphs from other
scripts, and instructions split across passages are not caught. Use a model classifier as a
second line where that matters; this module is the deterministic first line.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from kilab.tools.checks.injection_patterns import PATTERNS, InjectionPattern, Language

__all__ = [
    "PATTERNS",
    "InjectionMatch",
    "InjectionPattern",
    "Language",
    "ScreenVerdict",
    "injection_pattern_ids",
    "is_suspicious",
    "scan_injection",
    "screen_text",
]

_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")


@dataclass(frozen=True, slots=True)
class InjectionMatch:
    """One suspected injected instruction.

    Attributes:
        pattern_id: The id of the pattern that fired, e.g. ``"nb.ignore-instructions"``.
        language: The language form of the pattern (``"any"`` for markup).
        category: What the instruction tries to do (override, role, exfiltration …).
        start: Offset of the first character in the original text.
        end: Offset one past the last character in the original text.
        text: The matched characters of the original text.
    """

    pattern_id: str
    language: Language
    category: str
    start: int
    end: int
    text: str


def _normalise(text: str) -> tuple[str, list[int] | None]:
    """Text without invisible characters and NFKC-folded, with each character's source offset.

    The offsets are None when the text needed no change, which is the common case.
    """
    if not any(char in text for char in _INVISIBLE) and unicodedata.is_normalized("NFKC", text):
        return text, None
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        if char in _INVISIBLE:
            continue
        folded = unicodedata.normalize("NFKC", char) if not char.isascii() else char
        for piece in folded:
            chars.append(piece)
            offsets.append(index)
    offsets.append(len(text))
    return "".join(chars), offsets


def _match(pattern: InjectionPattern, text: str, start: int, end: int) -> InjectionMatch:
    return InjectionMatch(
        pattern.id, pattern.language, pattern.category, start, end, text[start:end]
    )


def scan_injection(text: str) -> list[InjectionMatch]:
    """Find suspected injected instructions in a passage.

    Args:
        text: A retrieved passage (or any text that will be shown to a model).

    Returns:
        Every pattern hit, ordered by position; a passage may have several.
    """
    normalised, offsets = _normalise(text)
    lowered_raw = text.lower()
    lowered = lowered_raw if offsets is None else normalised.lower()
    found: list[InjectionMatch] = []
    for pattern in PATTERNS:
        # Markup patterns look at the raw text, since normalising removes what they detect.
        raw = pattern.category == "hidden-text"
        if not pattern.may_match(lowered_raw if raw else lowered):
            continue
        haystack = text if raw else normalised
        for m in pattern.regex.finditer(haystack):
            if pattern.requires is not None and not pattern.requires.search(m.group(0)):
                continue
            if raw or offsets is None:
                found.append(_match(pattern, text, m.start(), m.end()))
            else:
                start = offsets[m.start()]
                end = offsets[m.end() - 1] + 1 if m.end() > m.start() else start
                found.append(_match(pattern, text, start, end))
    return sorted(found, key=lambda f: (f.start, f.pattern_id))


EXCERPT_CHARS = 300


@dataclass(frozen=True, slots=True)
class ScreenVerdict:
    """Why a passage is quarantined: the patterns that fired and the text of the first hit."""

    pattern_ids: tuple[str, ...]
    excerpt: str


def screen_text(text: str) -> ScreenVerdict | None:
    """The verdict on a passage: None when no pattern fires."""
    found = scan_injection(text)
    if not found:
        return None
    ids = tuple(dict.fromkeys(m.pattern_id for m in found))
    return ScreenVerdict(ids, found[0].text[:EXCERPT_CHARS])


def is_suspicious(text: str) -> bool:
    """True if any injection pattern fires on ``text``."""
    return bool(scan_injection(text))


def injection_pattern_ids() -> list[str]:
    """The ids of all patterns, for reports and documentation."""
    return [pattern.id for pattern in PATTERNS]
