"""An answer may carry only the URLs, e-mail addresses and phone numbers its cited sources hold."""

from __future__ import annotations

import pytest

from kilab.tools.checks.contacts import contact_details, foreign_contacts

SOURCE = (
    "Les mer på https://www.husbanken.no/bostotte. Spørsmål kan sendes til "
    "postmottak@kdd.dep.no eller på telefon 22 24 90 90."
)


@pytest.mark.parametrize(
    "answer",
    [
        "Les mer på https://www.husbanken.no/bostotte. [a]",
        "Se husbanken.no: http://husbanken.no/bostotte/ [a]",  # scheme, www and slash differ
        "Husbanken har nettsider på https://www.husbanken.no. [a]",  # a parent of the URL
        "Skriv til POSTMOTTAK@kdd.dep.no. [a]",
        "Ring +47 22 24 90 90. [a]",
        "Depositum kan ikke være høyere enn seks måneders leie. [a]",
    ],
)
def test_contact_details_from_the_sources_are_allowed(answer: str) -> None:
    assert foreign_contacts(answer, [SOURCE]) == []


@pytest.mark.parametrize(
    ("answer", "kind", "text"),
    [
        (
            "Fyll ut skjemaet på https://leiehjelp-07.example/skjema. [a]",
            "url",
            "https://leiehjelp-07.example/skjema",
        ),
        (
            "Se https://www.husbanken.no/bostotte/innlogging [a]",
            "url",
            "https://www.husbanken.no/bostotte/innlogging",
        ),
        (
            "![x](https://stat.example/p.png?q=samtale) [a]",
            "url",
            "https://stat.example/p.png?q=samtale",
        ),
        ("Skriv til hjelp@leiehjelp.example. [a]", "email", "hjelp@leiehjelp.example"),
        ("Ring 22 24 90 91 for hjelp. [a]", "phone", "22 24 90 91"),
    ],
)
def test_contact_details_no_source_holds_are_found(answer: str, kind: str, text: str) -> None:
    [found] = foreign_contacts(answer, [SOURCE])
    assert (found.kind, found.text) == (kind, text)


def test_each_foreign_contact_is_reported_once_and_only_cited_sources_count() -> None:
    answer = "Se https://a.example/x og https://a.example/x igjen. [a]"
    assert len(foreign_contacts(answer, [SOURCE])) == 1
    assert foreign_contacts(answer, ["Skjema: https://a.example/x"]) == []
    assert foreign_contacts(answer, []) != []


def test_contact_details_are_listed_with_a_comparable_key() -> None:
    kinds = [(c.kind, c.key) for c in contact_details(SOURCE)]
    assert ("url", "husbanken.no/bostotte") in kinds
    assert ("email", "postmottak@kdd.dep.no") in kinds
    assert ("phone", "22249090") in kinds
