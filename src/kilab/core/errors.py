"""Error types shared by every package.

User errors (a broken config, a missing file) print without a traceback; runtime failures
carry a stable code so that logs and stored results can be searched for them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a source file; line and column are 1-based."""

    file: Path
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return str(self.file)
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a config, located and explained."""

    location: Location
    message: str
    key: str = ""
    allowed: Sequence[str] = field(default_factory=tuple)
    suggestion: str = ""

    def __str__(self) -> str:
        text = f"{self.location}: "
        if self.key:
            text += f"{self.key}: "
        text += self.message
        if self.allowed:
            text += f" (allowed: {', '.join(self.allowed)})"
        if self.suggestion:
            text += f"; did you mean '{self.suggestion}'?"
        return text


class KilabError(Exception):
    """Base of every error kilab raises on purpose."""

    code = "kilab"


class UserError(KilabError):
    """Something the user can fix; the CLI prints it without a traceback."""

    code = "user"


class ConfigError(UserError):
    """One or more problems in config files, reported together."""

    code = "config"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(
            problems, key=lambda p: (str(p.location.file), p.location.line, p.location.column)
        )
        super().__init__("\n".join(str(p) for p in self.problems))


class NotFoundError(UserError):
    """A named thing (pilot, run, corpus, thread) does not exist."""

    code = "not-found"


class ModelError(KilabError):
    """A model endpoint failed after its retries; recorded on the case, the run goes on."""

    code = "model"


class MissingExtraError(UserError):
    """An optional part is used but its extra is not installed."""

    code = "missing-extra"

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(f'{module} is not installed: pip install "kilab[{extra}]"')


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return the closest choice to a misspelt word, or an empty string."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else ""


def suggesting(message: str, word: str, choices: Iterable[str], listed: str = "known") -> str:
    """``message`` with "did you mean" for a near miss, then the choices there are.

    Args:
        message: What is wrong, e.g. ``no pilot named 'husleia'``.
        word: The name that was not found.
        choices: The names that exist.
        listed: How to introduce the list of choices; empty to leave it out.
    """
    names = list(choices)
    hint = did_you_mean(word, names)
    text = message + (f"; did you mean {hint!r}?" if hint else "")
    if listed and names:
        text += f" ({listed}: {', '.join(names)})"
    return text
