"""Mask secrets and national identity numbers in anything that leaves the process.

Masked: OpenAI-style keys (``sk-…``), bearer tokens, values of authorisation and API-key
headers or fields, the value of every environment variable that holds a secret (those named
by a model profile's ``api_key_env`` and any whose name says KEY, TOKEN, SECRET or
PASSWORD), Norwegian fødselsnummer, D-nummer and H-nummer (check digits validated, so random
11-digit numbers stay) and phone numbers (``kilab.core.pii.MASKED_KINDS``). Applied to log
events, span attributes before export, stored case results, the response cache, checkpoints,
the report and the viewer.

Limits: a secret that is neither in the environment nor shaped like one of the patterns
(say, typed into a question) is not recognised; identity numbers are found as
``kilab.core.pii.find_pii`` finds them (not spelt out or split across lines).
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from pydantic import BaseModel

MASK = "***"
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
_SECRET_FIELD = re.compile(
    r"^(authorization|proxy-authorization|api[-_]?key|x-api-key|ocp-apim-subscription-key|"
    r"token|access[-_]?token|secret|password|cookie|set-cookie)$",
    re.IGNORECASE,
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # "Authorization: Basic …", "api-key: …", "x-api-key=…" in header dumps and messages
    (
        re.compile(
            r"(?i)\b((?:proxy-)?authorization|x-api-key|api[-_]?key|"
            r"ocp-apim-subscription-key)(['\"]?\s*[:=]\s*['\"]?)"
            r"(?:(?:bearer|basic|token)\s+)?[^\s'\",;}]+"
        ),
        r"\1\2" + MASK,
    ),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]{6,}"), "Bearer " + MASK),
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"), "sk-" + MASK),
)
# Cheap screens, so that the full patterns and the identity-number validation run only on
# the rare text that could hold something to mask.
# Plain substring tests are far faster than a case-insensitive regular expression; the
# patterns themselves are case-insensitive once a screen fires.
_MAYBE_PATTERN = (
    "sk-",
    "earer",
    "EARER",
    "uthori",
    "UTHORI",
    "pi-key",
    "pi_key",
    "pi-Key",
    "pi_Key",
    "PI-KEY",
    "PI_KEY",
    "pikey",
    "piKey",
    "PIKEY",
    "ubscription",
)
# Eight digits, with at most three other characters between neighbours: the least any masked
# number (a phone number, an identity number however it is spelt) is made of.
_MAYBE_PERSONAL = re.compile(r"\d(?:[^\d\n]{0,3}\d){7}")
_MIN_SECRET = 6

_registered: set[str] = set()
_lock = threading.Lock()


def register_secret_env(name: str | None) -> None:
    """Treat the value of environment variable ``name`` as a secret from now on."""
    if name:
        with _lock:
            _registered.add(name)


_named: tuple[int, tuple[str, ...]] = (-1, ())


def _secret_names() -> tuple[str, ...]:
    """Names of variables that say they hold a secret; rescanned when variables come or go
    (reading every value each time would cost more than the rest of redaction)."""
    global _named
    count, names = _named
    if count != len(os.environ):
        names = tuple(name for name in os.environ if _SECRET_NAME.search(name))
        _named = (len(os.environ), names)
    return names


def secret_values() -> list[str]:
    """Current values of every secret-holding environment variable, longest first."""
    with _lock:
        names = _registered.union(_secret_names())
    values = {os.environ.get(name, "") for name in names}
    return sorted((v for v in values if len(v) >= _MIN_SECRET), key=len, reverse=True)


def _personal_numbers(text: str) -> str:
    from kilab.core.pii import MASKED_KINDS, redact

    return redact(text, kinds=MASKED_KINDS)


def redact_text(text: str, secrets: list[str] | None = None) -> str:
    """``text`` with every secret, identity number and phone number masked.

    Args:
        text: Any text.
        secrets: Secret values to mask (default: ``secret_values()`` now).
    """
    return _redact(text, tuple(secret_values() if secrets is None else secrets))


# Passages recur across the cases of a run; a string's hash is computed once and kept.
@functools.lru_cache(maxsize=8192)
def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    if any(screen in text for screen in _MAYBE_PATTERN):
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
    if _MAYBE_PERSONAL.search(text):
        text = _personal_numbers(text)
    return text


def redact_value(value: Any, secrets: list[str] | None = None) -> Any:
    """``value`` (strings, and lists, tuples, mappings and pydantic models of them) with
    secrets and identity numbers masked; a mapping key that names a credential gets its value
    masked whole. What needed no masking is returned as it is, not copied.
    """
    return _clean(value, tuple(secret_values() if secrets is None else secrets))


@functools.lru_cache(maxsize=1024)
def _secret_field(name: str) -> bool:
    return _SECRET_FIELD.match(name) is not None


# Content hashes and ids are ours, never personal data; masking a digit run inside one would
# break the key that resuming and reuse look results up by.
IDENTIFIER_FIELDS = frozenset(
    {"key", "run_id", "case_id", "thread_id", "trace_id", "span_id", "parent_id", "reused_from"}
)


M = TypeVar("M", bound="BaseModel")


def redact_model(model: M) -> M:
    """A pydantic model with every string in it redacted (a stored result, say): the same
    object when nothing needed masking, else a copy with just the changed parts replaced.

    It walks the model's own fields (nested models, mappings, lists, tuples) rather than
    dumping it to JSON, walking that and validating it again: a result holds dozens of
    strings and almost never one to mask, and the strings of its case and passages recur
    from case to case (``_redact`` keeps what it found for each).
    """
    cleaned: M = _clean(model, tuple(secret_values()))
    return cleaned


# Most values in a result are numbers: nothing in them to mask, and nothing to ask them.
_LEAVES = frozenset({int, float, bool, type(None)})


def _clean(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` redacted, the very same object where nothing changed."""
    if type(value) in _LEAVES:
        return value
    if isinstance(value, str):
        masked = _redact(value, secrets)
        return value if masked == value else masked
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        update = {}
        for name, item in value.__dict__.items():
            cleaned = _clean_item(name, item, secrets)
            if cleaned is not item:
                update[name] = cleaned
        return value.model_copy(update=update) if update else value
    if isinstance(value, Mapping):
        items = {k: _clean_item(k, v, secrets) for k, v in value.items()}
        return items if any(items[k] is not v for k, v in value.items()) else value
    if isinstance(value, list | tuple):
        elements = [_clean(v, secrets) for v in value]
        if all(new is old for new, old in zip(elements, value, strict=True)):
            return value
        return type(value)(*elements) if hasattr(value, "_fields") else type(value)(elements)
    return value


def _clean_item(name: Any, value: Any, secrets: tuple[str, ...]) -> Any:
    """A field's or mapping entry's value: masked whole under a credential's name, kept as it
    is under one of ours (``IDENTIFIER_FIELDS``), else cleaned."""
    if isinstance(name, str):
        if value and _secret_field(name):
            return value if value == MASK else MASK
        if name in IDENTIFIER_FIELDS:
            return value
    return _clean(value, secrets)


def redact_event(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Any:
    """A structlog processor: masks secrets and identity numbers in every field."""
    secrets = tuple(secret_values())
    for key, value in event.items():
        if isinstance(key, str) and value and _secret_field(key):
            event[key] = MASK
        else:
            event[key] = _clean(value, secrets)
    return event
