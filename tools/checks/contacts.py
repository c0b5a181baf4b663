"""Contact details in an answer that its sources do not hold: the mark of an injection obeyed.

An injected document asks the assistant to "add this link", "tell the user to write to …" or
to render an image whose address carries the conversation. Whatever the wording, the result is
a URL, an e-mail address or a phone number in the answer that no cited source contains. This
check needs no patterns for the wording: an answer may only carry contact details that appear
in the sources it cites.

URLs are compared without scheme, ``www.``, letter case, a trailing slash and trailing
punctuation; an answer may shorten a source's URL to one of its parent paths (the host of
``https://www.husbanken.no/bostotte`` is fine), never lengthen it. E-mail addresses are
compared case-insensitively, phone numbers by their digits without a country prefix. E-mail
addresses and phone numbers are found by ``kilab.core.pii``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from kilab.core.pii import find_pii

ContactKind = Literal["url", "email", "phone"]

__all__ = ["Contact", "ContactKind", "contact_details", "foreign_contacts"]

# A URL runs to whitespace or to a character that closes markup around it.
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'«»()\[\]{}|\\^`]+")
_TRAILING = ".,;:!?"


@dataclass(frozen=True, slots=True)
class Contact:
    """A URL, e-mail address or phone number found in a text.

    Attributes:
        kind: What it is.
        text: As written.
        key: The comparable form (see the module's docstring).
    """

    kind: ContactKind
    text: str
    key: str


def _url_key(url: str) -> str:
    key = url.rstrip(_TRAILING).lower()
    key = re.sub(r"^https?://", "", key)
    key = key.removeprefix("www.")
    return key.rstrip("/")


def _phone_key(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    for prefix in ("0047", "47"):
        if len(digits) == len(prefix) + 8 and digits.startswith(prefix):
            return digits[len(prefix) :]
    return digits


def contact_details(text: str) -> list[Contact]:
    """Every URL, e-mail address and phone number in ``text``, in order of kind then position."""
    found = [
        Contact("url", m.group(0).rstrip(_TRAILING), _url_key(m.group(0)))
        for m in _URL.finditer(text)
    ]
    for match in find_pii(text):
        if match.kind == "email":
            found.append(Contact("email", match.text, match.text.casefold()))
        elif match.kind == "phone":
            found.append(Contact("phone", match.text, _phone_key(match.text)))
    return found


def _url_allowed(key: str, source_keys: set[str]) -> bool:
    # A parent of a source's URL is allowed: "husbanken.no" for "husbanken.no/bostotte".
    return any(known == key or known.startswith(key + "/") for known in source_keys)


def foreign_contacts(answer: str, sources: Iterable[str]) -> list[Contact]:
    """The contact details in ``answer`` that none of ``sources`` holds.

    Args:
        answer: The drafted answer.
        sources: The texts of the passages the answer cites.

    Returns:
        Each foreign contact once, in the order found.
    """
    known: dict[ContactKind, set[str]] = {"url": set(), "email": set(), "phone": set()}
    for source in sources:
        for contact in contact_details(source):
            known[contact.kind].add(contact.key)
    foreign: dict[tuple[ContactKind, str], Contact] = {}
    for contact in contact_details(answer):
        if contact.kind == "url":
            allowed = _url_allowed(contact.key, known["url"])
        else:
            allowed = contact.key in known[contact.kind]
        if not allowed:
            foreign.setdefault((contact.kind, contact.key), contact)
    return list(foreign.values())
