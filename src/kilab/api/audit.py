"""What the audit log keeps of a question and an answer: masked text and the usage totals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kilab.core.pii import redact
from kilab.core.telemetry.redaction import redact_text


def mask(text: str) -> str:
    """Text as the audit log may keep it: secrets and identity numbers masked (the telemetry
    redaction), then every other piece of personal data (phone, e-mail, account) by kind."""
    return redact(redact_text(text))


def usage_totals(usage: Mapping[str, Any]) -> tuple[int, int, float]:
    """Input tokens, output tokens and cost summed over a result's nodes."""
    tokens_in = tokens_out = 0
    cost = 0.0
    for node in usage.values():
        get = node.get if isinstance(node, Mapping) else lambda k, d=0, n=node: getattr(n, k, d)
        tokens_in += int(get("input_tokens", 0) or 0)
        tokens_out += int(get("output_tokens", 0) or 0)
        cost += float(get("cost", 0.0) or 0.0)
    return tokens_in, tokens_out, cost
