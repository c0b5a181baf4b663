"""Indirect prompt injection: instructions to the assistant hidden in retrieved passages.

Patterns are written for bokmål, nynorsk and English, plus language-independent ones for hidden
markup and chat-template tokens. Each is narrow on purpose: law text legitimately says
"skal ignoreres", "instruks" and "sendes til postmottak@…", so a pattern fires only on the
imperative addressed to a reader (ignorer/gløym/ignore + earlier instructions, "du er nå",
"svar bare med", "svaret ditt", data sent to a URL), not on the vocabulary alone.

Text is matched as ``kilab.tools.checks.normalise.screen_views`` reads it: folded (NFKC,
zero-width characters removed, Cyrillic and Greek look-alikes made Latin), and with base64,
percent-encoded runs, link titles and query strings and HTML comments decoded, each as a view
of its own. Offsets in the findings refer to the original text.

Limits, said plainly: paraphrases outside the patterns, languages other than Norwegian and
English, encodings other than base64 and percent-encoding, and instructions split across
passages are not caught. The model screen (``screen_model`` on a search node) is the second
line; the reviewer's contacts rule catches an obeyed "add this link" whatever its wording.
"""

from __future__ import annotations

from dataclasses import dataclass

from kilab.tools.checks.injection_patterns import PATTERNS, InjectionPattern, Language
from kilab.tools.checks.normalise import screen_views

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


@dataclass(frozen=True, slots=True)
class InjectionMatch:
    """One suspected injected instruction.

    Attributes:
        pattern_id: The id of the pattern that fired, e.g. ``"nb.ignore-instructions"``.
        language: The language form of the pattern (``"any"`` for markup).
        category: What the instruction tries to do (override, role, exfiltration …).
        start: Offset of the first character in the original text.
        end: Offset one past the last character in the original text.
        text: The matched characters of the original text (for a decoded run: all of the
            encoded characters).
        view: Where the pattern fired: ``text``, or the kind of run it was decoded from
            (``base64``, ``percent``, ``link``, ``html-comment``).
    """

    pattern_id: str
    language: Language
    category: str
    start: int
    end: int
    text: str
    view: str = "text"


def _raw_matches(pattern: InjectionPattern, text: str) -> list[tuple[int, int]]:
    return [
        m.span()
        for m in pattern.regex.finditer(text)
        if all(required.search(m.group(0)) for required in pattern.requires)
    ]


def scan_injection(text: str) -> list[InjectionMatch]:
    """Find suspected injected instructions in a passage.

    Patterns run on every view of ``screen_views`` (the folded passage and each decoded
    run); markup patterns (hidden text) on the passage as written, since folding removes
    what they look for.

    Args:
        text: A retrieved passage (or any text that will be shown to a model).

    Returns:
        Every pattern hit, ordered by position; a passage may have several.
    """
    views = screen_views(text)
    lowered_raw = text.lower()
    found: dict[tuple[str, int, int], InjectionMatch] = {}

    def add(pattern: InjectionPattern, span: tuple[int, int], view: str) -> None:
        key = (pattern.id, *span)
        if key not in found:
            start, end = span
            found[key] = InjectionMatch(
                pattern.id, pattern.language, pattern.category, start, end, text[start:end], view
            )

    for pattern in PATTERNS:
        if pattern.raw:
            if pattern.may_match(lowered_raw):
                for span in _raw_matches(pattern, text):
                    add(pattern, span, "text")
            continue
        for view in views:
            if pattern.views is not None and view.origin not in pattern.views:
                continue
            if not pattern.may_match(view.text.lower()):
                continue
            for start, end in _raw_matches(pattern, view.text):
                add(pattern, view.original_span(start, end), view.origin)
    return sorted(found.values(), key=lambda f: (f.start, f.pattern_id))


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
