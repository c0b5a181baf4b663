"""One fødselsnummer written the fifteen ordinary ways: every spelling is found and masked."""

from __future__ import annotations

import random

import pytest
from stdnum.no import fodselsnummer

from kilab.core.telemetry import redact_text
from kilab.tools.checks import find_pii, identity_number_kind, is_valid_h_nummer
from kilab.tools.checks.testdata import generate_identity_number

FNR = generate_identity_number(random.Random(15))
YEAR = fodselsnummer.get_birth_date(FNR).year
DD, MM, YY, IND, CC = FNR[:2], FNR[2:4], FNR[4:6], FNR[6:9], FNR[9:]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

SPELLINGS = {
    "plain": FNR,
    "space after the date": f"{FNR[:6]} {FNR[6:]}",
    "hyphen after the date": f"{FNR[:6]}-{FNR[6:]}",
    "dot after the date": f"{FNR[:6]}.{FNR[6:]}",
    "dotted date, space": f"{DD}.{MM}.{YY} {IND}{CC}",
    "dotted date, hyphen": f"{DD}.{MM}.{YY}-{IND}{CC}",
    "dotted date with a four-digit year": f"{DD}.{MM}.{YEAR} {IND}{CC}",
    "slashed date": f"{DD}/{MM}/{YY} {IND}{CC}",
    "pairs and triples": f"{DD} {MM} {YY} {IND} {CC}",
    "personal number split": f"{FNR[:6]} {IND} {CC}",
    "full-width digits": FNR.translate(FULL_WIDTH),
    "zero-width space inside": f"{FNR[:4]}\u200b{FNR[4:]}",
    "no-break and thin spaces": f"{FNR[:6]}\u00a0{IND}\u2009{CC}",
    "en dash after the date": f"{FNR[:6]}\u2013{FNR[6:]}",
    "spaced hyphen after the date": f"{FNR[:6]} - {FNR[6:]}",
}


def test_there_are_fifteen_distinct_spellings() -> None:
    assert len(set(SPELLINGS.values())) == 15


@pytest.mark.parametrize("name", sorted(SPELLINGS))
def test_each_spelling_is_found_whole(name: str) -> None:
    written = SPELLINGS[name]
    text = f"Leietaker (fnr. {written}) flyttet inn i mars."
    matches = find_pii(text)
    assert [(m.kind, m.text) for m in matches] == [("fodselsnummer", written)]
    assert text[matches[0].start : matches[0].end] == written


@pytest.mark.parametrize("name", sorted(SPELLINGS))
def test_each_spelling_is_masked_with_nothing_left(name: str) -> None:
    masked = redact_text(f"fnr: {SPELLINGS[name]}.")
    assert masked == "fnr: [fodselsnummer]."


def test_a_wrong_check_digit_in_any_spelling_is_not_found() -> None:
    wrong = FNR[:10] + str((int(FNR[10]) + 1) % 10)
    assert identity_number_kind(wrong) is None
    for written in (
        f"{wrong[:6]} {wrong[6:]}",
        f"{wrong[:2]}.{wrong[2:4]}.{wrong[4:6]} {wrong[6:]}",
    ):
        assert [m.kind for m in find_pii(written) if m.kind != "bank-account"] == []


def test_h_numbers_are_personal_data_not_bank_accounts() -> None:
    rng = random.Random(16)
    for _ in range(200):
        number = generate_identity_number(rng, h_number=True)
        assert is_valid_h_nummer(number)
        assert [m.kind for m in find_pii(f"H-nummer {number}")] == ["h-nummer"]
        assert redact_text(f"pasient {number[:6]} {number[6:]}") == "pasient [h-nummer]"


def test_phone_numbers_are_masked() -> None:
    assert redact_text("Ring 912 34 567 eller +47 22 33 44 55.") == "Ring [phone] eller [phone]."
    assert redact_text("Ring ９１２ ３４ ５６７.") == "Ring [phone]."
