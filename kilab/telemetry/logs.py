"""structlog set-up: pretty in a terminal, JSON otherwise, every event redacted and bound to
the run, case and node it happened in (through context variables)."""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog

from kilab.telemetry.redaction import redact_event
from kilab.telemetry.settings import LogFormat


def configure_logging(
    level: str = "warning", fmt: LogFormat = "auto", stream: TextIO | None = None
) -> None:
    """Configure structlog once for the process.

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
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if not console:  # the console renderer formats exceptions itself, prettier
        processors.append(structlog.processors.format_exc_info)
    # Last before rendering, so that it sees every field, the traceback included.
    processors += [redact_event, renderer]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
