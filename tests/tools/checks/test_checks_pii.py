"""Phone numbers, e-mail addresses and redaction through the public find_pii / redact."""

from __future__ import annotations

import random

import pytest

from kilab.tools.checks import PiiMatch, find_pii, redact
from kilab.tools.checks.testdata import (
    format_account,
    generate_bank_account,
    generate_identity_number,
    generate_mobile_number,
)


def found(text: str) -> list[tuple[str, str]]:
    return [(m.kind, m.text) for m in find_pii(text)]


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("Ring meg på +47 912 34 567 i dag.", "+47 912 34 567"),
        ("Tlf: 0047 91234567", "0047 91234567"),
        ("tlf. (+47) 22 33 44 55", "(+47) 22 33 44 55"),
        ("Mobil 912 34 567", "912 34 567"),
        ("Sentralbord 22 33 44 55.", "22 33 44 55"),
        ("Nummeret er 91234567.", "91234567"),
        ("Send SMS til 41234567", "41234567"),
        ("telefon: 55512345", "55512345"),
        ("ring 23456789 etter kl. 8", "23456789"),
        ("+4791234567", "+4791234567"),
        ("Tlf 22.33.44.55", "22.33.44.55"),
    ],
)
def test_phone_numbers_are_found(text: str, phone: str) -> None:
    assert found(text) == [("phone", phone)]


@pytest.mark.parametrize(
    "text",
    [
        "Loven trådte i kraft 20250101.",  # a date, not a mobile range, no phone word
        "Beløpet er kr 45000000.",
        "Organisasjonsnummer 912345678.",  # nine digits
        "Registration number: 91440300MA5GN73B4F",
        "Saken gjelder årene 2024 2025.",
        "Konto 1234567890123",
        "Gnr. 12 bnr. 345",
        "Forskrift 31.12.2025 nr. 1234",
        "1 2 3 4 5 6 7 8",
    ],
)
def test_numbers_that_are_not_phone_numbers(text: str) -> None:
    assert [kind for kind, _ in found(text) if kind == "phone"] == []


def test_phone_shaped_pieces_of_identity_numbers_are_not_phones() -> None:
    number = generate_identity_number(random.Random(20))
    text = f"{number[:6]} {number[6:]} og {number}"
    assert {kind for kind, _ in found(text)} == {"fodselsnummer"}


def test_generated_mobile_numbers_are_found_in_every_common_shape() -> None:
    rng = random.Random(21)
    for _ in range(500):
        n = generate_mobile_number(rng)
        pairs = f"{n[:2]} {n[2:4]} {n[4:6]} {n[6:]}"
        for written in (n, f"{n[:3]} {n[3:5]} {n[5:]}", f"+47 {n}", pairs):
            assert found(f"Kontakt: {written}.") == [("phone", written)]


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("Skriv til ola.nordmann@nav.no.", "ola.nordmann@nav.no"),
        ("E-post: postmottak@kmd.dep.no", "postmottak@kmd.dep.no"),
        ("kari+husleie@bønes.kommune.no, takk", "kari+husleie@bønes.kommune.no"),
        ("<first_last-1@example.co.uk>", "first_last-1@example.co.uk"),
    ],
)
def test_email_addresses_are_found(text: str, email: str) -> None:
    assert found(text) == [("email", email)]


@pytest.mark.parametrize(
    "text", ["@nav", "ola@localhost", "a@b.c", "ola @ nav.no", "post@.no", "§ 3-5 @ husleieloven"]
)
def test_strings_that_are_not_email_addresses(text: str) -> None:
    assert found(text) == []


def test_redact_replaces_every_kind_and_keeps_the_rest() -> None:
    rng = random.Random(22)
    fnr = generate_identity_number(rng)
    dnr = generate_identity_number(rng, d_number=True)
    account = format_account(generate_bank_account(rng))
    text = (
        f"Leier {fnr[:6]} {fnr[6:]} (D-nr {dnr}) betaler til {account}; "
        "tlf 912 34 567, e-post kari@example.no. Depositum kr 45000."
    )
    assert redact(text) == (
        "Leier [fodselsnummer] (D-nr [d-nummer]) betaler til [bank-account]; "
        "tlf [phone], e-post [email]. Depositum kr 45000."
    )
    assert redact(text, replacement_fmt="<{kind}>").count("<") == 5
    assert redact("Ingen personopplysninger her.") == "Ingen personopplysninger her."


def test_findings_are_ordered_and_point_into_the_text() -> None:
    rng = random.Random(23)
    text = f"{generate_mobile_number(rng)} og {generate_identity_number(rng)} og a@b.no"
    matches = find_pii(text)
    assert [m.start for m in matches] == sorted(m.start for m in matches)
    assert all(isinstance(m, PiiMatch) and text[m.start : m.end] == m.text for m in matches)
    assert len(matches) == 3
