"""Norwegian identity numbers and bank account numbers, validated by python-stdnum.

The check-digit rules, the century encoded by the individual number and the date checks are
``stdnum.no.fodselsnummer`` and ``stdnum.no.kontonr``; this module only names what kind of
number a valid one is:

* fødselsnummer: ``DDMMYY`` + individual number + two mod-11 check digits;
* D-nummer: the same with 4 added to the first digit of the day (day 41–71);
* H-nummer: the same with 4 added to the first digit of the month (month 41–52), assigned by
  health services to real people who have neither of the two.

Not accepted (stdnum rejects them): FH-numbers (first digit 8 or 9), the synthetic test numbers
of Skatteetaten (Tenor, month + 80), and birth dates after today.
"""

from __future__ import annotations

from typing import Literal

from stdnum.exceptions import ValidationError
from stdnum.no import fodselsnummer, kontonr

IdentityKind = Literal["fodselsnummer", "d-nummer", "h-nummer"]

IDENTITY_KINDS: tuple[IdentityKind, ...] = ("fodselsnummer", "d-nummer", "h-nummer")
_SEPARATORS = " \u00a0.-"


def _digits_only(value: str, groups: tuple[int, ...]) -> str | None:
    """The digits of ``value`` if it is all digits, or the digit groups with one separator each."""
    if value.isascii() and value.isdigit():
        return value
    parts: list[str] = []
    rest = value
    for i, size in enumerate(groups):
        head, rest = rest[:size], rest[size:]
        if not (head.isascii() and head.isdigit()) or len(head) != size:
            return None
        parts.append(head)
        if i < len(groups) - 1 and rest[:1] in tuple(_SEPARATORS):
            rest = rest[1:]
    return "".join(parts) if not rest else None


def identity_kind_of_digits(digits: str) -> IdentityKind | None:
    """The kind of a valid identity number written as eleven ASCII digits, or None."""
    if len(digits) != 11 or not (digits.isascii() and digits.isdigit()):
        return None
    try:
        fodselsnummer.validate(digits)
    except (ValidationError, ValueError):  # ValueError: stdnum's date() on an impossible day
        return None
    if int(digits[0]) >= 4:
        return "d-nummer"
    if int(digits[2]) >= 4:
        return "h-nummer"
    return "fodselsnummer"


def identity_number_kind(value: str) -> IdentityKind | None:
    """Whether ``value`` is a valid fødselsnummer, D-nummer or H-nummer, or none of them.

    ``value`` may be written with one space, dot or hyphen between the date and the personal
    number ("010190 12345"); other spellings are for ``kilab.core.pii.find_pii`` to normalise.

    Args:
        value: The candidate number.

    Returns:
        ``"fodselsnummer"``, ``"d-nummer"``, ``"h-nummer"`` or None.
    """
    digits = _digits_only(value.strip(), (6, 5))
    return None if digits is None else identity_kind_of_digits(digits)


def is_valid_fodselsnummer(value: str) -> bool:
    """True if ``value`` is a valid Norwegian fødselsnummer (not a D- or H-nummer).

    Args:
        value: Eleven digits, optionally with one separator after the date ("010190 12345").

    Returns:
        Whether both mod-11 check digits and the birth date are valid.
    """
    return identity_number_kind(value) == "fodselsnummer"


def is_valid_d_nummer(value: str) -> bool:
    """True if ``value`` is a valid Norwegian D-nummer (day of month + 40)."""
    return identity_number_kind(value) == "d-nummer"


def is_valid_h_nummer(value: str) -> bool:
    """True if ``value`` is a valid Norwegian H-nummer (month + 40)."""
    return identity_number_kind(value) == "h-nummer"


def is_valid_bank_account_digits(digits: str) -> bool:
    """True if eleven ASCII digits form a bank account number with a valid mod-11 digit."""
    return len(digits) == 11 and bool(kontonr.is_valid(digits))


def is_valid_bank_account(value: str) -> bool:
    """True if ``value`` is an 11-digit Norwegian bank account number with a valid mod-11 digit.

    Args:
        value: Eleven digits, plain or grouped 4.2.5 with spaces or dots ("1234.56.78903").

    Returns:
        Whether the last digit is the mod-11 check digit of the first ten.
    """
    digits = _digits_only(value.strip(), (4, 2, 5))
    return digits is not None and is_valid_bank_account_digits(digits)
