"""Identity and account numbers: generated valid numbers, random strings, mutations, dates."""

from __future__ import annotations

import random
from datetime import date

import pytest

from kilab.tools.checks import (
    find_pii,
    identity_number_kind,
    is_valid_bank_account,
    is_valid_d_nummer,
    is_valid_fodselsnummer,
)
from kilab.tools.checks.testdata import generate_bank_account, generate_identity_number

N = 10_000
IDENTITY_KINDS = {"fodselsnummer", "d-nummer", "h-nummer"}


def reference_kind(number: str) -> str | None:
    """An independent, literal reading of the Skatteetaten rules, to test against (H-nummer:
    month + 40; a birth date after today is not a valid number)."""
    d = [int(c) for c in number]
    k1 = (
        11
        - (
            3 * d[0]
            + 7 * d[1]
            + 6 * d[2]
            + 1 * d[3]
            + 8 * d[4]
            + 9 * d[5]
            + 4 * d[6]
            + 5 * d[7]
            + 2 * d[8]
        )
        % 11
    )
    k1 = 0 if k1 == 11 else k1
    k2 = (
        11
        - (
            5 * d[0]
            + 4 * d[1]
            + 3 * d[2]
            + 2 * d[3]
            + 7 * d[4]
            + 6 * d[5]
            + 5 * d[6]
            + 4 * d[7]
            + 3 * d[8]
            + 2 * d[9]
        )
        % 11
    )
    k2 = 0 if k2 == 11 else k2
    if k1 == 10 or k2 == 10 or k1 != d[9] or k2 != d[10]:
        return None
    day, month, yy, ind = int(number[:2]), int(number[2:4]), int(number[4:6]), int(number[6:9])
    kind = "fodselsnummer"
    if month > 40:
        month, kind = month - 40, "h-nummer"
    if day > 40:
        day, kind = day - 40, "d-nummer"
    if ind < 500:
        year = 1900 + yy
    elif ind < 750 and yy >= 54:
        year = 1800 + yy
    elif yy < 40:
        year = 2000 + yy
    elif ind >= 900:
        year = 1900 + yy
    else:
        return None
    try:
        born = date(year, month, day)
    except ValueError:
        return None
    return None if born > date.today() else kind


def identity_kinds_found(text: str) -> list[str]:
    return [m.kind for m in find_pii(text) if m.kind in IDENTITY_KINDS]


def test_every_generated_fodselsnummer_is_detected_plain_and_separated() -> None:
    rng = random.Random(7)
    for _ in range(N):
        number = generate_identity_number(rng)
        assert reference_kind(number) == "fodselsnummer", number
        assert is_valid_fodselsnummer(number)
        assert identity_kinds_found(f"Leietakers fnr. er {number}.") == ["fodselsnummer"]
        spaced = f"{number[:6]} {number[6:]}"
        assert [(m.kind, m.text) for m in find_pii(f"({spaced})")] == [("fodselsnummer", spaced)]


def test_every_generated_d_nummer_is_detected() -> None:
    rng = random.Random(8)
    for _ in range(N):
        number = generate_identity_number(rng, d_number=True)
        assert reference_kind(number) == "d-nummer", number
        assert is_valid_d_nummer(number)
        assert not is_valid_fodselsnummer(number)
        assert identity_kinds_found(f"D-nummer {number}") == ["d-nummer"]


def test_random_eleven_digit_strings_fire_exactly_when_valid() -> None:
    rng = random.Random(9)
    genuinely_valid = fired_invalid = missed_valid = 0
    for _ in range(N):
        number = f"{rng.randrange(10**11):011d}"
        expected = reference_kind(number)
        found = identity_kinds_found(f"nr {number} ")
        genuinely_valid += expected is not None
        fired_invalid += expected is None and bool(found)
        missed_valid += expected is not None and found != [expected]
        assert identity_number_kind(number) == expected
    assert fired_invalid == 0
    assert missed_valid == 0
    # About 0.05 % of random strings (541 per million) pass both check digits and the date
    # (fødselsnummer and D-nummer together): those *are* valid numbers, not false positives.
    assert 0 < genuinely_valid < N * 0.002


def test_any_single_digit_change_invalidates() -> None:
    # Mod 11 with weights 2–7 catches every single-digit error, so no mutation may pass.
    rng = random.Random(10)
    for _ in range(300):
        number = generate_identity_number(rng)
        for position in range(11):
            for digit in "0123456789":
                if digit != number[position]:
                    mutated = number[:position] + digit + number[position + 1 :]
                    assert identity_number_kind(mutated) is None, mutated


def with_check_digits(base: str) -> str | None:
    d = [int(c) for c in base]
    k1 = (11 - sum(x * w for x, w in zip(d, (3, 7, 6, 1, 8, 9, 4, 5, 2), strict=True)) % 11) % 11
    if k1 == 10:
        return None
    d.append(k1)
    k2 = (11 - sum(x * w for x, w in zip(d, (5, 4, 3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11) % 11
    return None if k2 == 10 else f"{base}{k1}{k2}"


@pytest.mark.parametrize(
    "date_part",
    ["310290", "300290", "290201", "000190", "320190", "011390", "010090", "720190"],
)
def test_valid_check_digits_with_impossible_date_do_not_fire(date_part: str) -> None:
    candidates = [with_check_digits(f"{date_part}{ind:03d}") for ind in range(0, 1000, 7)]
    numbers = [n for n in candidates if n is not None]
    assert numbers
    for number in numbers:
        assert identity_number_kind(number) is None
        assert identity_kinds_found(number) == []


def test_leap_day_follows_the_century_from_the_individual_number() -> None:
    # 29.02.00 exists in 2000 (individual 500–999) but 1900 (000–499) was no leap year.
    in_2000 = [n for i in range(500, 1000) if (n := with_check_digits(f"290200{i:03d}"))]
    in_1900 = [n for i in range(0, 500) if (n := with_check_digits(f"290200{i:03d}"))]
    assert in_2000 and in_1900
    assert all(is_valid_fodselsnummer(n) for n in in_2000)
    assert not any(is_valid_fodselsnummer(n) for n in in_1900)


def test_individual_numbers_outside_every_century_range_are_invalid() -> None:
    # Individual 750–899 with year 40–99 encodes no century.
    numbers = [n for i in range(750, 900) if (n := with_check_digits(f"010150{i:03d}"))]
    assert numbers
    assert not any(identity_number_kind(n) for n in numbers)


def test_separators_and_digit_run_boundaries() -> None:
    number = generate_identity_number(random.Random(11))
    for written in (f"{number[:6]} {number[6:]}", f"{number[:6]}-{number[6:]}", number):
        assert identity_kinds_found(f"fnr: {written}, født") == ["fodselsnummer"]
    assert is_valid_fodselsnummer(f"{number[:6]} {number[6:]}")
    for longer in (f"1{number}", f"{number}4", f"{number} 12", f"12 {number}", f"{number[:5]}"):
        assert identity_kinds_found(longer) == []


def test_identity_number_wins_over_bank_account_reading() -> None:
    # The second identity check digit uses the account weights, so every fødselsnummer is also
    # a mod-11 valid account number; the more sensitive reading must win.
    number = generate_identity_number(random.Random(12))
    assert is_valid_bank_account(number)
    assert [m.kind for m in find_pii(number)] == ["fodselsnummer"]


def test_generated_bank_accounts_are_valid_in_every_grouping() -> None:
    rng = random.Random(13)
    for _ in range(1000):
        account = generate_bank_account(rng)
        for written in (
            account,
            f"{account[:4]}.{account[4:6]}.{account[6:]}",
            f"{account[:4]} {account[4:6]} {account[6:]}",
        ):
            assert is_valid_bank_account(written)
            kinds = [m.kind for m in find_pii(f"konto {written}.")]
            assert kinds in (["bank-account"], ["fodselsnummer"], ["d-nummer"], ["h-nummer"])
        grouped = f"{account[:4]}.{account[4:6]}.{account[6:]}"
        assert [(m.kind, m.text) for m in find_pii(grouped)] == [("bank-account", grouped)]


def test_bank_account_with_wrong_check_digit_or_mixed_grouping_is_not_found() -> None:
    account = generate_bank_account(random.Random(14))
    wrong = account[:10] + str((int(account[10]) + 1) % 10)
    assert not is_valid_bank_account(wrong)
    assert [m.kind for m in find_pii(f"{wrong[:4]}.{wrong[4:6]}.{wrong[6:]}")] == []
    assert find_pii(f"{account[:4]}.{account[4:6]} {account[6:]}") == []
