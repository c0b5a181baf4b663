"""Synthetic personal data that passes the validators: for tests and the red-team corpus.

Every value is generated from a seeded ``random.Random`` so that tests and data files are
reproducible. Generated identity numbers are valid by the algorithm, not issued to anyone
known; treat them as synthetic all the same.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from stdnum.no import fodselsnummer, kontonr

_FIRST_DAY = date(1854, 1, 1)
# Not later: a birth date after today is not a valid number, and tests must not depend on the
# day they run.
_LAST_DAY = date(2025, 12, 31)


def _individual_numbers(year: int) -> range:
    """The individual numbers that encode ``year`` (one of the ranges in idnumbers)."""
    if 1854 <= year <= 1899:
        return range(500, 750)
    if 1900 <= year <= 1999:
        return range(0, 500)
    return range(500, 1000)


def generate_identity_number(
    rng: random.Random, *, d_number: bool = False, h_number: bool = False
) -> str:
    """A random valid fødselsnummer, or a D-nummer or H-nummer.

    Args:
        rng: The random source.
        d_number: Add 4 to the first digit of the day.
        h_number: Add 4 to the first digit of the month.

    Returns:
        Eleven digits without separators.
    """
    span = (_LAST_DAY - _FIRST_DAY).days
    while True:
        born = _FIRST_DAY + timedelta(days=rng.randrange(span + 1))
        individual = rng.choice(_individual_numbers(born.year))
        day = born.day + (40 if d_number else 0)
        month = born.month + (40 if h_number else 0)
        base = f"{day:02d}{month:02d}{born.year % 100:02d}{individual:03d}"
        k1 = fodselsnummer.calc_check_digit1(base)
        if len(k1) != 1:  # stdnum writes "10" where no check digit exists
            continue
        k2 = fodselsnummer.calc_check_digit2(base + k1)
        if len(k2) != 1:
            continue
        return f"{base}{k1}{k2}"


def generate_bank_account(rng: random.Random) -> str:
    """A random 11-digit bank account number with a valid mod-11 check digit."""
    while True:
        base = f"{rng.randrange(1000, 10000):04d}{rng.randrange(10**6):06d}"
        for check in "0123456789":
            number = base + check
            if kontonr.is_valid(number):
                return number


def generate_mobile_number(rng: random.Random) -> str:
    """A random eight-digit Norwegian mobile number (starting with 4 or 9)."""
    return f"{rng.choice('49')}{rng.randrange(10**7):07d}"


def format_account(number: str, separator: str = ".") -> str:
    """Group an 11-digit account number as 4.2.5, the way banks print it."""
    return separator.join((number[:4], number[4:6], number[6:]))
