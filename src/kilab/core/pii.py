"""Personal data in Norwegian text: identity numbers, phone numbers, e-mail and bank accounts.

Text is normalised before matching (``normalise_digits``): NFKC (full-width digits become
ASCII), zero-width characters and soft hyphens removed, every kind of space a space and every
kind of dash a hyphen. Candidates are then found by regular expressions and validated (check
digits and dates through python-stdnum, context for phone numbers) so that arbitrary numbers in
law text do not fire. Offsets in the findings refer to the original text. Where one string could
be several kinds, the more sensitive reading wins: identity number, then bank account, then
e-mail, then phone number.

Identity numbers (fødselsnummer, D-nummer, H-nummer) are found in the spellings people use:
eleven digits plain or in groups with spaces, dots, hyphens or slashes between them
("150685 91985", "15.06.85 919 85", "15/06/85-91985", "1 5 0 6 8 5 9 1 9 8 5"), and with a
four-digit year ("15.06.1985 91985").

Limits, said plainly: a phone number written as eight plain digits is only taken as one when it
starts with 4 or 9 (mobile ranges) or follows a word such as "tlf" or "ring"; numbers split
across lines or spelled out in words are not found; any 11-digit string with a valid mod-11
digit is taken as a bank account (about one in eleven random strings), since account numbers
carry no other structure.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from kilab.core.idnumbers import identity_kind_of_digits, is_valid_bank_account_digits

PiiKind = Literal["fodselsnummer", "d-nummer", "h-nummer", "phone", "email", "bank-account"]

PII_KINDS: tuple[PiiKind, ...] = (
    "fodselsnummer",
    "d-nummer",
    "h-nummer",
    "phone",
    "email",
    "bank-account",
)
# What is masked before anything is written to disk or leaves the process: every number that
# points at one person. E-mail addresses and account numbers in answers are mostly those of
# offices (postmottak@…, a kommune's account), which a reader needs.
MASKED_KINDS: frozenset[PiiKind] = frozenset({"fodselsnummer", "d-nummer", "h-nummer", "phone"})


@dataclass(frozen=True, slots=True)
class PiiMatch:
    """One piece of personal data found in a text.

    Attributes:
        kind: What was found.
        start: Offset of the first character in the text.
        end: Offset one past the last character.
        text: The matched characters, exactly as written.
    """

    kind: PiiKind
    start: int
    end: int
    text: str


_INVISIBLE = frozenset("\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\ufeff\u00ad\u180e")
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d")


def normalise_digits(text: str) -> tuple[str, list[int] | None]:
    """``text`` as the detectors read it, with each character's offset in the original.

    NFKC per character (full-width digits and letters become ASCII, every space a space),
    invisible characters removed, dashes made hyphens. The offsets are None when nothing
    changed, which is the common case.
    """
    if text.isascii():
        return text, None
    chars: list[str] = []
    offsets: list[int] = []
    changed = False
    for index, char in enumerate(text):
        if char.isascii():
            chars.append(char)
            offsets.append(index)
            continue
        if char in _INVISIBLE:
            changed = True
            continue
        folded = "-" if char in _DASHES else unicodedata.normalize("NFKC", char)
        if folded.isspace():
            folded = " "
        changed = changed or folded != char
        for piece in folded:
            chars.append(piece)
            offsets.append(index)
    if not changed:
        return text, None
    offsets.append(len(text))
    return "".join(chars), offsets


# Digit runs must stand alone: no digit, and no digit behind a single separator, on either side,
# so that pieces of longer numbers (and phone-shaped pieces of identity numbers) never match.
# Digits inside a longer token (a hash, a UUID, a URL's path) are not a number someone wrote.
_ALONE_BEFORE = r"(?<![0-9A-Za-z])(?<!\d[ .\-/])"
_ALONE_AFTER = r"(?![0-9A-Za-z])(?![ .\-/]\d)"
_SEP = r"[ .\-\u00a0]"
# Between the digits of an identity number: a space, or a dot, hyphen or slash with a space on
# either side at most ("15.06.85 91985", "150685 - 91985").
_ID_SEP = r"(?: ?[.\-/] ?| )"
# Phone numbers also must not touch letters ("91440300MA5GN73B4F" is a registration code).
_WORD_BEFORE = r"(?<!\w)(?<!\d[ .\-\u00a0])"
_WORD_AFTER = r"(?!\w)(?![ .\-\u00a0]\d)"

_IDENTITY = re.compile(_ALONE_BEFORE + r"\d(?:" + _ID_SEP + r"?\d){10}" + _ALONE_AFTER)
_IDENTITY_LONG_YEAR = re.compile(
    _ALONE_BEFORE
    + r"(\d{2})[ .\-/](\d{2})[ .\-/](?:18|19|20)(\d{2})"
    + _ID_SEP
    + r"?(\d{3})"
    + _ID_SEP
    + r"?(\d{2})"
    + _ALONE_AFTER
)
# The grouping of an account number (4.2.5) reads as an account, never as an identity number.
_ACCOUNT_GROUPING = re.compile(r"\d{4}([ .])\d{2}\1\d{5}")
_ACCOUNT = re.compile(_ALONE_BEFORE + r"\d{4}([ .\u00a0]?)\d{2}\1\d{5}" + _ALONE_AFTER)

_EIGHT_DIGITS_GROUPED = (
    r"(?:\d{3}{s}\d{2}{s}\d{3}|\d{2}{s}\d{2}{s}\d{2}{s}\d{2}|\d{4}{s}\d{4}|\d{8})".replace(
        "{s}", _SEP + "?"
    )
)
_PHONE_WITH_PREFIX = re.compile(
    r"(?<![\w+])(?:\+47|0047|\(\+47\))"
    + _SEP
    + r"?(?:\(0\))?"
    + _EIGHT_DIGITS_GROUPED
    + _WORD_AFTER
)
# Without a country prefix only the shapes people use for phone numbers count.
_PHONE_GROUPED = re.compile(
    _WORD_BEFORE + r"[2-9](?:\d{2}[ .]\d{2}[ .]\d{3}|\d[ .]\d{2}[ .]\d{2}[ .]\d{2})" + _WORD_AFTER
)
_PHONE_PLAIN = re.compile(_WORD_BEFORE + r"[2-9]\d{7}" + _WORD_AFTER)
_PHONE_CONTEXT = re.compile(
    r"\b(?:tlf|telefon\w*|mobil\w*|mob|ring|ringe|sms|tel|phone|mobile|call|nummer)\b\.?:?\s*$",
    re.IGNORECASE,
)
_MONEY_BEFORE = re.compile(r"\b(?:kr|nok|kroner)\.?\s*$", re.IGNORECASE)

_EMAIL = re.compile(r"(?<![\w.%+\-])[\w%+\-]+(?:\.[\w%+\-]+)*@(?:[\w\-]+\.)+[A-Za-z]{2,}(?![\w\-])")

_PRIORITY: dict[PiiKind, int] = {
    "fodselsnummer": 0,
    "d-nummer": 0,
    "h-nummer": 0,
    "bank-account": 1,
    "email": 2,
    "phone": 3,
}
_DIGITS = re.compile(r"\d")


def _identity_candidates(text: str) -> list[PiiMatch]:
    found: list[PiiMatch] = []
    for m in _IDENTITY.finditer(text):
        if _ACCOUNT_GROUPING.fullmatch(m.group(0)):
            continue
        kind = identity_kind_of_digits("".join(_DIGITS.findall(m.group(0))))
        if kind is not None:
            found.append(PiiMatch(kind, m.start(), m.end(), m.group(0)))
    for m in _IDENTITY_LONG_YEAR.finditer(text):
        kind = identity_kind_of_digits("".join(m.groups()))
        if kind is not None:
            found.append(PiiMatch(kind, m.start(), m.end(), m.group(0)))
    return found


def _account_candidates(text: str) -> list[PiiMatch]:
    return [
        PiiMatch("bank-account", m.start(), m.end(), m.group(0))
        for m in _ACCOUNT.finditer(text)
        if is_valid_bank_account_digits("".join(_DIGITS.findall(m.group(0))))
    ]


def _phone_candidates(text: str) -> list[PiiMatch]:
    found = [
        PiiMatch("phone", m.start(), m.end(), m.group(0))
        for pattern in (_PHONE_WITH_PREFIX, _PHONE_GROUPED)
        for m in pattern.finditer(text)
    ]
    for m in _PHONE_PLAIN.finditer(text):
        before = text[max(0, m.start() - 30) : m.start()]
        if _MONEY_BEFORE.search(before):
            continue
        if m.group(0)[0] in "49" or _PHONE_CONTEXT.search(before):
            found.append(PiiMatch("phone", m.start(), m.end(), m.group(0)))
    return found


def _email_candidates(text: str) -> list[PiiMatch]:
    return [PiiMatch("email", m.start(), m.end(), m.group(0)) for m in _EMAIL.finditer(text)]


def find_pii(text: str) -> list[PiiMatch]:
    """Find personal data in a text.

    Args:
        text: Any text, such as a retrieved passage, a drafted answer or a log line.

    Returns:
        Non-overlapping findings in order of position, with offsets and text of the original.
        Where candidates overlap, the more sensitive kind wins (identity number > bank account
        > e-mail > phone), then the longer.
    """
    normalised, offsets = normalise_digits(text)
    candidates = [
        *_identity_candidates(normalised),
        *_account_candidates(normalised),
        *_email_candidates(normalised),
        *_phone_candidates(normalised),
    ]
    candidates.sort(key=lambda c: (_PRIORITY[c.kind], -(c.end - c.start), c.start))
    chosen: list[PiiMatch] = []
    for candidate in candidates:
        if all(candidate.end <= c.start or candidate.start >= c.end for c in chosen):
            chosen.append(candidate)
    chosen.sort(key=lambda c: c.start)
    if offsets is None:
        return chosen
    mapped = []
    for c in chosen:
        start, end = offsets[c.start], offsets[c.end - 1] + 1
        mapped.append(PiiMatch(c.kind, start, end, text[start:end]))
    return mapped


def redact(
    text: str, replacement_fmt: str = "[{kind}]", kinds: frozenset[PiiKind] | None = None
) -> str:
    """Replace every piece of personal data in ``text``.

    Args:
        text: The text to clean.
        replacement_fmt: A ``str.format`` template; ``{kind}`` is the kind of finding.
        kinds: Only these kinds (default: all).

    Returns:
        The text with each finding replaced by the formatted template.
    """
    pieces: list[str] = []
    position = 0
    for match in find_pii(text):
        if kinds is not None and match.kind not in kinds:
            continue
        pieces.append(text[position : match.start])
        pieces.append(replacement_fmt.format(kind=match.kind))
        position = match.end
    pieces.append(text[position:])
    return "".join(pieces)
