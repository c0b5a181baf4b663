"""Deterministic review checks: personal data and injected instructions.

Usable as reviewer rules (on retrieved passages and drafted answers) and as evaluation metrics.
Nothing here calls a model.
"""

from kilab.core.idnumbers import (
    identity_number_kind,
    is_valid_bank_account,
    is_valid_d_nummer,
    is_valid_fodselsnummer,
    is_valid_h_nummer,
)
from kilab.core.pii import MASKED_KINDS, PII_KINDS, PiiKind, PiiMatch, find_pii, redact
from kilab.tools.checks.injection import (
    InjectionMatch,
    InjectionPattern,
    ScreenVerdict,
    injection_pattern_ids,
    is_suspicious,
    scan_injection,
    screen_text,
)

__all__ = [
    "MASKED_KINDS",
    "PII_KINDS",
    "InjectionMatch",
    "InjectionPattern",
    "PiiKind",
    "PiiMatch",
    "ScreenVerdict",
    "find_pii",
    "identity_number_kind",
    "injection_pattern_ids",
    "is_suspicious",
    "is_valid_bank_account",
    "is_valid_d_nummer",
    "is_valid_fodselsnummer",
    "is_valid_h_nummer",
    "redact",
    "scan_injection",
    "screen_text",
]
