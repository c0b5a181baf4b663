"""Telemetry settings from ``KILAB_*`` (and the standard ``OTEL_*``) environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kilab.core.errors import UserError, suggesting

LogFormat = Literal["auto", "console", "json"]
TraceExporter = Literal["console", "otlp", "jsonl", "store"]

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
LOG_FORMATS: tuple[LogFormat, ...] = ("auto", "console", "json")
TRACE_EXPORTERS: tuple[TraceExporter, ...] = ("console", "otlp", "jsonl", "store")
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class TelemetrySettings:
    """How kilab logs and traces.

    Attributes:
        log_level: ``KILAB_LOG_LEVEL``: debug, info, warning (default), error, critical.
        log_format: ``KILAB_LOG_FORMAT``: auto (pretty in a terminal, JSON otherwise),
            console or json.
        traces: ``KILAB_TRACES``: none (default) or a comma-separated list of console, otlp,
            jsonl and store. Any of them also stores each case's spans with its result;
            ``store`` does only that.
        traces_file: ``KILAB_TRACES_FILE``: the JSONL file (default
            ``$KILAB_HOME/traces.jsonl``).
        trace_content: ``KILAB_TRACE_CONTENT``: put message contents (prompts, replies,
            questions) in spans; off by default, redacted either way.
    """

    log_level: str = "warning"
    log_format: LogFormat = "auto"
    traces: tuple[TraceExporter, ...] = ()
    traces_file: Path = Path(".kilab/traces.jsonl")
    trace_content: bool = False

    @property
    def tracing(self) -> bool:
        return bool(self.traces)


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        message = f"environment variable {name}={value!r} is not one of: {', '.join(allowed)}"
        raise UserError(suggesting(message, value, allowed, listed=""))
    return value


def telemetry_settings() -> TelemetrySettings:
    """Read the settings from the environment.

    Raises:
        UserError: A variable holds a value that is not allowed.
    """
    env = os.environ
    level = _choice("KILAB_LOG_LEVEL", env.get("KILAB_LOG_LEVEL", "warning").lower(), LOG_LEVELS)
    fmt = _choice("KILAB_LOG_FORMAT", env.get("KILAB_LOG_FORMAT", "auto").lower(), LOG_FORMATS)
    wanted = [t.strip().lower() for t in env.get("KILAB_TRACES", "none").split(",") if t.strip()]
    traces: list[TraceExporter] = []
    for name in wanted:
        if name in ("none", "off", ""):
            continue
        _choice("KILAB_TRACES", name, (*TRACE_EXPORTERS, "none"))
        traces.append(name)  # type: ignore[arg-type]
    home = Path(env.get("KILAB_HOME", ".kilab"))
    return TelemetrySettings(
        log_level=level,
        log_format=fmt,  # type: ignore[arg-type]
        traces=tuple(dict.fromkeys(traces)),
        traces_file=Path(env.get("KILAB_TRACES_FILE", home / "traces.jsonl")),
        trace_content=env.get("KILAB_TRACE_CONTENT", "").lower() in _TRUE,
    )
