"""Norwegian identity numbers and bank account numbers: the check-digit arithmetic.

A fødselsnummer is ``DDMMYY`` + a three-digit individual number + two check digits (mod 11).
A D-nummer is the same with 4 added to the first digit (day 41–71). The century follows from
the individual number and the year, as the National Population Register assigns them:

* individual 000–499: 1900–1999
* individual 500–749 and year 54–99: 1854–1899
* individual 500–999 and year 00–39: 2000–2039
* individual 900–999 and year 40–99: 1940–1999

Not accepted on purpose: H-numbers (month + 40) and the synthetic test numbers of Skatteetaten
(Tenor, month + 80) and NAV (Dolly, month + 40), since real text should not carry them and
accepting them widens the set of random 11-digit strings that fire; and the relaxed first check
digit announced for numbers issued from 2032. A birth date in the future is not rejected, so the
result does not depend on today's date.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

IdentityKind = Literal["fodselsnummer", "d-nummer"]

K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
# The second identity check digit and the bank account check digit share these weights.
K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_SEPARATORS = " \u00a0.-"


def mod11_check_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    """The mod-11 check digit of ``digits`` under ``weights``, or None when it would be 10.

    Args:
        digits: As many decimal digits as there are weights.
        weights: The weight of each digit, from the left.

    Returns:
        The check digit 0–9, or None when no valid check digit exists.
    """
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    check = (11 - remainder) % 11
    return None if check == 10 else check


def birth_year(two_digit_year: int, individual: int) -> int | None:
    """The four-digit birth year encoded by a year and an individual number, or None."""
    if individual <= 499:
        return 1900 + two_digit_year
    if individual <= 749 and two_digit_year >= 54:
        return 1800 + two_digit_year
    if individual >= 500 and two_digit_year <= 39:
        return 2000 + two_digit_year
    if individual >= 900 and two_digit_year >= 40:
        return 1900 + two_digit_year
    return None


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


def identity_number_kind(value: str) -> IdentityKind | None:
    """Whether ``value`` is a valid fødselsnummer, a valid D-nummer, or neither.

    Both check digits and the encoded date must be valid. ``value`` may be written with one
    space, dot or hyphen between the date and the personal number ("010190 12345").

    Args:
        value: The candidate number.

    Returns:
        ``"fodselsnummer"``, ``"d-nummer"`` or None.
    """
    digits = _digits_only(value.strip(), (6, 5))
    if digits is None or len(digits) != 11:
        return None
    if mod11_check_digit(digits[:9], K1_WEIGHTS) != int(digits[9]):
        return None
    if mod11_check_digit(digits[:10], K2_WEIGHTS) != int(digits[10]):
        return None
    day, month, year2 = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    kind: IdentityKind = "fodselsnummer"
    if day > 40:
        day -= 40
        kind = "d-nummer"
    year = birth_year(year2, int(digits[6:9]))
    if year is None:
        return None
    try:
        date(year, month, day)
    except ValueError:
        return None
    return kind


def is_valid_fodselsnummer(value: str) -> bool:
    """True if ``value`` is a valid Norwegian fødselsnummer (not a D-nummer).

    Args:
        value: Eleven digits, optionally with one separator after the date ("010190 12345").

    Returns:
        Whether both mod-11 check digits and the birth date are valid.
    """
    return identity_number_kind(value) == "fodselsnummer"


def is_valid_d_nummer(value: str) -> bool:
    """True if ``value`` is a valid Norwegian D-nummer (day of month + 40)."""
    return identity_number_kind(value) == "d-nummer"


def is_valid_bank_account(value: str) -> bool:
    """True if ``value`` is an 11-digit Norwegian bank account number with a valid mod-11 digit.

    Args:
        value: Eleven digits, plain or grouped 4.2.5 with spaces or dots ("1234.56.78903").

    Returns:
        Whether the last digit is the mod-11 check digit of the first ten.
    """
    digits = _digits_only(value.strip(), (4, 2, 5))
    if digits is None or len(digits) != 11:
        return False
    return mod11_check_digit(digits[:10], K2_WEIGHTS) == int(digits[10])
