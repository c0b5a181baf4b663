"""Structured replies (verdicts, judge scores) that work on small servers too.

``json_schema`` is tried first; a server that rejects it (llama.cpp builds and gateways
differ) gets ``function_calling``, then ``json_mode`` with the schema spelt out in the prompt.
"""

from __future__ import annotations

import json
from typing import Literal

import openai
from langchain_core.messages import BaseMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field

from kilab.agents.resilience import status_of

Method = Literal["json_schema", "function_calling", "json_mode"]
METHODS: tuple[Method, ...] = ("json_schema", "function_calling", "json_mode")
# Statuses with which a server says "I do not support this request shape".
_REJECTED = frozenset({400, 415, 422})


class FindingModel(BaseModel):
    """One problem the model reviewer found."""

    model_config = ConfigDict(extra="ignore")

    message: str = Field(description="Kort beskrivelse av problemet.")
    sentence: str = Field("", description="Setningen i utkastet det gjelder, ordrett.")


class VerdictModel(BaseModel):
    """The model reviewer's verdict on a draft."""

    model_config = ConfigDict(extra="ignore")

    verdict: Literal["approved", "revise", "reject"]
    findings: list[FindingModel] = Field(default_factory=list)


class JudgeModel(BaseModel):
    """One judge sample: a score on the rubric and why."""

    model_config = ConfigDict(extra="ignore")

    score: int = Field(ge=1, le=5, description="Karakter fra 1 (svært dårlig) til 5 (utmerket).")
    reason: str = Field("", description="Kort begrunnelse.")


class CorrectnessModel(BaseModel):
    """One correctness-judge sample: is the answer right by the law, and why."""

    model_config = ConfigDict(extra="ignore")

    verdict: Literal["riktig", "delvis", "feil"] = Field(
        description="riktig, delvis eller feil etter vurderingsreglene."
    )
    reason: str = Field("", description="Kort begrunnelse.")


def is_rejection(exc: BaseException) -> bool:
    """Whether the server refused the request shape (so another method may work)."""
    if isinstance(exc, NotImplementedError):
        return True
    status = status_of(exc)
    return status is not None and status in _REJECTED


def is_parse_failure(exc: BaseException) -> bool:
    """Whether a reply came back but did not parse as the schema."""
    return isinstance(exc, ValueError | openai.LengthFinishReasonError)


def json_mode_messages(messages: list[BaseMessage], schema: type[BaseModel]) -> list[BaseMessage]:
    """Spell the schema out in the prompt: ``json_mode`` only promises *some* JSON object."""
    spec = json.dumps(schema.model_json_schema(), ensure_ascii=False)
    return [
        *messages,
        SystemMessage(
            "Svar bare med ett JSON-objekt som følger dette JSON-skjemaet, uten annen tekst:\n"
            + spec
        ),
    ]
