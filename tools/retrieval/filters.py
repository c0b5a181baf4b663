"""What a search filter means, in one place for every retriever.

A filter maps a field (``id``, ``title``, ``url``, ``source`` or a metadata field) to a
value or a list of values. A chunk passes when its field, or one item of a list field,
matches one of them: exactly, as a prefix (``value*``) or as an inclusive range of dates
(``FROM..TO``, either side may be empty).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kilab.core.errors import UserError
from kilab.tools.corpus import LIST_SEPARATOR
from kilab.tools.retrieval.types import Chunk

CHUNK_FIELDS = ("id", "title", "url", "source")


def field_values(chunk: Chunk, field: str) -> set[str]:
    """The values a chunk has for a field: the value and each item of a list value."""
    value = getattr(chunk, field) if field in CHUNK_FIELDS else chunk.metadata.get(field)
    if value is None:
        return set()
    return {value, *value.split(LIST_SEPARATOR)}


def wanted_values(wanted: str | Sequence[str]) -> list[str]:
    return [wanted] if isinstance(wanted, str) else list(wanted)


def matches(known: str, wanted: str) -> bool:
    """Whether a chunk's value matches one wanted value (exact, ``prefix*`` or ``FROM..TO``)."""
    if ".." in wanted:
        return in_range(known, wanted)
    if wanted.endswith("*"):
        return known.startswith(wanted[:-1])
    return known == wanted


def in_range(value: str, bounds: str) -> bool:
    """Whether an ISO date (or date and time) lies in ``FROM..TO``, both ends included.

    Each end is compared with as many leading characters of the value as it has, so
    ``2025-03..2025-06`` holds every day of March to June. Values that do not start with a
    digit ("Kongen bestemmer") are in no range.
    """
    low, _, high = bounds.partition("..")
    if not value[:1].isdigit():
        return False
    return (not low or value[: len(low)] >= low) and (not high or value[: len(high)] <= high)


def unknown_field(corpus: str, field: str, chunks: Iterable[Chunk]) -> UserError:
    """The error for a filter on a field no chunk of the corpus has."""
    known = sorted({*CHUNK_FIELDS, *(key for c in chunks for key in c.metadata)})
    return UserError(
        f"no chunk of corpus {corpus!r} has a field {field!r} to filter on "
        f"(fields: {', '.join(known)})"
    )
