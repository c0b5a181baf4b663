"""structlog set-up: pretty in a terminal, JSON otherwise, every event redacted and bound to
the run, case and node it happened in (through context variables).

Records of the standard ``logging`` module (httpx, openai, langchain …) go through the same
redaction and renderer, so that no library's debug output bypasses the masking.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog

from kilab.core.settings import LogFormat
from kilab.core.telemetry.redaction import redact_event

_HANDLER = "kilab"


def configure_logging(
    level: str = "warning", fmt: LogFormat = "auto", stream: TextIO | None = None
) -> None:
    """Configure structlog (and the standard library's root logger) for the process.

    Args:
        level: Lowest level written (debug, info, warning, error, critical).
        fmt: console, json, or auto (console when ``stream`` is a terminal).
        stream: Where events go (default: standard error, so command output stays clean).
    """
    out = stream or sys.stderr
    console = fmt == "console" or (fmt == "auto" and out.isatty())
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=out.isatty())
        if console
        else structlog.processors.JSONRenderer(ensure_ascii=False, default=str)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # Tracebacks become text before redaction (the console's own pretty tracebacks would
    # be rendered after it, secrets and all), and redaction comes last before rendering.
    tail: list[Any] = [structlog.processors.format_exc_info, redact_event, renderer]
    number = logging.getLevelNamesMapping()[level.upper()]
    structlog.configure(
        processors=[*shared, *tail],
        wrapper_class=structlog.make_filtering_bound_logger(number),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.set_name(_HANDLER)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail],
        )
    )
    root = logging.getLogger()
    reset_logging()
    root.addHandler(handler)
    root.setLevel(number)


def reset_logging() -> None:
    """Remove the handler ``configure_logging`` put on the root logger."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER:
            root.removeHandler(handler)
            handler.close()
            root.setLevel(logging.WARNING)
