"""Personal data in Norwegian text: identity numbers, phone numbers, e-mail and bank accounts.

Each detector is a regular expression that finds candidates, followed by a validation step
(check digits, dates, context) so that arbitrary numbers in law text do not fire. Where one
string could be several kinds, the more sensitive reading wins: identity number, then bank
account, then phone number.

Limits, said plainly: a phone number written as eight plain digits is only taken as one when it
starts with 4 or 9 (mobile ranges) or follows a word such as "tlf" or "ring"; numbers split
across lines, spelled out in words or written with other separators are not found; any
11-digit string with a valid mod-11 digit is taken as a bank account (about one in eleven random
strings), since account numbers carry no other structure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from kilab.core.idnumbers import identity_number_kind, is_valid_bank_account

PiiKind = Literal["fodselsnummer", "d-nummer", "phone", "email", "bank-account"]

PII_KINDS: tuple[PiiKind, ...] = ("fodselsnummer", "d-nummer", "phone", "email", "bank-account")


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


# Digit runs must stand alone: no digit, and no digit behind a single separator, on either side,
# so that pieces of longer numbers (and phone-shaped pieces of identity numbers) never match.
# Digits inside a longer token (a hash, a UUID, a URL's path) are not a number someone wrote.
_ALONE_BEFORE = r"(?<![0-9A-Za-z])(?<!\d[ .\-\u00a0])"
_ALONE_AFTER = r"(?![0-9A-Za-z])(?![ .\-\u00a0]\d)"
_SEP = r"[ .\-\u00a0]"
# Phone numbers also must not touch letters ("91440300MA5GN73B4F" is a registration code).
_WORD_BEFORE = r"(?<!\w)(?<!\d[ .\-\u00a0])"
_WORD_AFTER = r"(?!\w)(?![ .\-\u00a0]\d)"

_IDENTITY = re.compile(_ALONE_BEFORE + r"\d{6}" + _SEP + r"?\d{5}" + _ALONE_AFTER)
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
    "bank-account": 1,
    "email": 2,
    "phone": 3,
}


def _identity_candidates(text: str) -> list[PiiMatch]:
    found: list[PiiMatch] = []
    for m in _IDENTITY.finditer(text):
        kind = identity_number_kind(m.group(0))
        if kind is not None:
            found.append(PiiMatch(kind, m.start(), m.end(), m.group(0)))
    return found


def _account_candidates(text: str) -> list[PiiMatch]:
    return [
        PiiMatch("bank-account", m.start(), m.end(), m.group(0))
        for m in _ACCOUNT.finditer(text)
        if is_valid_bank_account(m.group(0))
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
        Non-overlapping findings in order of position. Where candidates overlap, the more
        sensitive kind wins (identity number > bank account > e-mail > phone), then the longer.
    """
    candidates = [
        *_identity_candidates(text),
        *_account_candidates(text),
        *_email_candidates(text),
        *_phone_candidates(text),
    ]
    candidates.sort(key=lambda c: (_PRIORITY[c.kind], -(c.end - c.start), c.start))
    chosen: list[PiiMatch] = []
    for candidate in candidates:
        if all(candidate.end <= c.start or candidate.start >= c.end for c in chosen):
            chosen.append(candidate)
    return sorted(chosen, key=lambda c: c.start)


def redact(text: str, replacement_fmt: str = "[{kind}]") -> str:
    """Replace every piece of personal data in ``text``.

    Args:
        text: The text to clean.
        replacement_fmt: A ``str.format`` template; ``{kind}`` is the kind of finding.

    Returns:
        The text with each finding replaced by the formatted template.
    """
    pieces: list[str] = []
    position = 0
    for match in find_pii(text):
        pieces.append(text[position : match.start])
        pieces.append(replacement_fmt.format(kind=match.kind))
        position = match.end
    pieces.append(text[position:])
    return "".join(pieces)
