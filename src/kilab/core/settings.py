"""Every environment variable kilab reads, and every default path under ``.kilab``.

Nothing else in kilab reads ``os.environ`` for its own settings: it calls ``settings()`` (or
``telemetry_settings()``) when it needs a value, so a variable set by a test or a shell
applies on the next call. The one other use is the API key a model profile names with
``api_key_env``: ``environment_value`` reads it.

| variable | what | default |
|---|---|---|
| ``KILAB_HOME`` | where kilab keeps its files | ``.kilab`` |
| ``KILAB_CONFIGS`` | the config folder commands open | ``configs`` |
| ``KILAB_CACHE`` | index and model-reply caches | ``$KILAB_HOME/cache`` |
| ``KILAB_RUNS`` | the run store (SQLite file) | ``$KILAB_HOME/runs.sqlite`` |
| ``KILAB_MODELS`` | pulled GGUF models | ``~/.cache/kilab/models`` |
| ``KILAB_LOCAL_BASE_URL`` | use this llama.cpp server instead of starting one | unset |
| ``KILAB_LOCAL_VERBOSE`` | let llama.cpp log to stderr | off |
| ``OPENAI_BASE_URL`` | endpoint of ``openai`` profiles without ``base_url`` | OpenAI's |
| ``KILAB_USER`` | who promotes (promotion records) | the login name |
| ``KILAB_ALLOW_OUTSIDE`` | folders outside the project configs may name (``:``-separated) | none |
| ``KILAB_LOG_KEY`` | the secret that signs promotion records (HMAC-SHA256) | unset (unsigned) |
| ``KILAB_LOG_LEVEL`` | debug, info, warning, error, critical | ``warning`` |
| ``KILAB_LOG_FORMAT`` | auto, console, json | ``auto`` |
| ``KILAB_TRACES`` | none, or console, otlp, jsonl, store (comma-separated) | from ``OTEL_*`` |
| ``KILAB_TRACES_FILE`` | the JSONL trace file | ``$KILAB_HOME/traces.jsonl`` |
| ``KILAB_TRACE_CONTENT`` | message contents in spans | off |
| ``OTEL_TRACES_EXPORTER`` | otlp, console, none (when ``KILAB_TRACES`` is unset) | unset |
| ``OTEL_EXPORTER_OTLP_ENDPOINT`` | set alone (or ``…_TRACES_ENDPOINT``): export over OTLP | unset |
| ``OTEL_EXPORTER_OTLP_PROTOCOL`` | http/protobuf, or grpc (needs its exporter) | http/protobuf |
| ``OTEL_SDK_DISABLED`` | true: no spans, whatever else says | false |
| ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` | as ``KILAB_TRACE_CONTENT`` | off |
| ``KILAB_DATABASE_URL`` | PostgreSQL for the shared service's stores | unset (SQLite) |
| ``OTEL_SERVICE_NAME`` | the service name of exported spans | ``kilab`` |

The checkpoints (``$KILAB_HOME/checkpoints.sqlite``) and the promotion log
(``$KILAB_HOME/promotions.jsonl``) follow ``KILAB_HOME``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kilab.core.errors import UserError, suggesting

DEFAULT_HOME = Path(".kilab")
LogFormat = Literal["auto", "console", "json"]
TraceExporter = Literal["console", "otlp", "jsonl", "store"]

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
LOG_FORMATS: tuple[LogFormat, ...] = ("auto", "console", "json")
TRACE_EXPORTERS: tuple[TraceExporter, ...] = ("console", "otlp", "jsonl", "store")
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class Settings:
    """Where kilab keeps its files and how it reaches a local model server.

    Attributes:
        home: ``KILAB_HOME``.
        configs: ``KILAB_CONFIGS``.
        cache_dir: ``KILAB_CACHE``.
        runs: ``KILAB_RUNS``: a SQLite file or a ``postgresql://`` URL (a string: a URL is
            no path).
        checkpoints: The SQLite checkpointer of paused and finished threads.
        promotions: The promotion log (JSONL).
        models_dir: ``KILAB_MODELS``.
        local_base_url: ``KILAB_LOCAL_BASE_URL`` ("" when unset).
        local_verbose: ``KILAB_LOCAL_VERBOSE``.
        openai_base_url: ``OPENAI_BASE_URL`` ("" when unset): where a profile of provider
            ``openai`` without a ``base_url`` sends its requests. kilab reads it here and
            passes it to the SDK, so that the response cache keys the same URL.
        user: ``KILAB_USER`` ("" when unset: the login name is used).
        allow_outside: ``KILAB_ALLOW_OUTSIDE``: folders outside the project folder that
            configs may name files in (prompts, datasets, corpus files), separated by
            ``os.pathsep``. An operator's choice, deliberately not a config key: a config
            must not be able to allow itself to read ``/etc``.
        log_key: ``KILAB_LOG_KEY``: the secret every promotion record is signed with
            (HMAC-SHA256); "" when unset. Never printed (not in the repr).
        service_name: ``OTEL_SERVICE_NAME``: the service of exported spans.
        database_url: ``KILAB_DATABASE_URL`` (``postgresql://…``): the shared service's
            stores live there ("" when unset: SQLite under ``home``).
    """

    home: Path = DEFAULT_HOME
    configs: Path = Path("configs")
    cache_dir: Path = DEFAULT_HOME / "cache"
    runs: str = str(DEFAULT_HOME / "runs.sqlite")
    checkpoints: Path = DEFAULT_HOME / "checkpoints.sqlite"
    promotions: Path = DEFAULT_HOME / "promotions.jsonl"
    models_dir: Path = Path.home() / ".cache" / "kilab" / "models"
    local_base_url: str = ""
    local_verbose: bool = False
    openai_base_url: str = ""
    user: str = ""
    allow_outside: tuple[Path, ...] = ()
    log_key: str = field(default="", repr=False)
    service_name: str = "kilab"
    database_url: str = ""

    @property
    def calibrations(self) -> Path:
        """The judges' calibrations against people's labels (``kilab judge calibrate``)."""
        return self.home / "calibrations.jsonl"

    @property
    def service(self) -> Path:
        """The shared service's keys, audit log and feedback when no database URL is set."""
        return self.home / "service.sqlite"


@dataclass(frozen=True, slots=True)
class TelemetrySettings:
    """How kilab logs and traces.

    Attributes:
        log_level: ``KILAB_LOG_LEVEL``: debug, info, warning (default), error, critical.
        log_format: ``KILAB_LOG_FORMAT``: auto (pretty in a terminal, JSON otherwise),
            console or json.
        traces: ``KILAB_TRACES``: none or a comma-separated list of console, otlp, jsonl
            and store. Any of them also stores each case's spans with its result; ``store``
            does only that. Unset, the standard variables decide: ``OTEL_TRACES_EXPORTER``
            (otlp, console, none), else an ``OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT`` means
            otlp; ``OTEL_SDK_DISABLED=true`` turns every exporter off.
        traces_file: ``KILAB_TRACES_FILE``: the JSONL file (default
            ``$KILAB_HOME/traces.jsonl``).
        trace_content: ``KILAB_TRACE_CONTENT`` (or the GenAI instrumentations'
            ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``): put message contents
            (prompts, replies, questions, retrieved texts) in spans; off by default, redacted
            either way.
        otlp_protocol: ``OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`` or ``…_OTLP_PROTOCOL``:
            http/protobuf (default) or grpc. The exporter reads endpoint, headers, timeout
            and compression from the standard variables itself.
    """

    log_level: str = "warning"
    log_format: LogFormat = "auto"
    traces: tuple[TraceExporter, ...] = ()
    traces_file: Path = DEFAULT_HOME / "traces.jsonl"
    trace_content: bool = False
    otlp_protocol: str = "http/protobuf"

    @property
    def tracing(self) -> bool:
        return bool(self.traces)


def _flag(value: str) -> bool:
    return value.strip().lower() in _TRUE


def settings(env: Mapping[str, str] | None = None) -> Settings:
    """The settings as the environment says now (``env``: another mapping, for tests)."""
    env = os.environ if env is None else env
    home = Path(env.get("KILAB_HOME") or DEFAULT_HOME)
    models = env.get("KILAB_MODELS")
    return Settings(
        home=home,
        configs=Path(env.get("KILAB_CONFIGS") or "configs"),
        cache_dir=Path(env.get("KILAB_CACHE") or home / "cache"),
        runs=env.get("KILAB_RUNS") or str(home / "runs.sqlite"),
        checkpoints=home / "checkpoints.sqlite",
        promotions=home / "promotions.jsonl",
        models_dir=Path(models) if models else Path.home() / ".cache" / "kilab" / "models",
        local_base_url=env.get("KILAB_LOCAL_BASE_URL", "").strip(),
        local_verbose=_flag(env.get("KILAB_LOCAL_VERBOSE", "")),
        openai_base_url=env.get("OPENAI_BASE_URL", "").strip(),
        user=env.get("KILAB_USER", "").strip(),
        allow_outside=tuple(
            Path(os.path.abspath(part))
            for part in env.get("KILAB_ALLOW_OUTSIDE", "").split(os.pathsep)
            if part.strip()
        ),
        log_key=env.get("KILAB_LOG_KEY", "").strip(),
        service_name=env.get("OTEL_SERVICE_NAME") or "kilab",
        database_url=env.get("KILAB_DATABASE_URL", ""),
    )


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        message = f"environment variable {name}={value!r} is not one of: {', '.join(allowed)}"
        raise UserError(suggesting(message, value, allowed, listed=""))
    return value


# OTEL_TRACES_EXPORTER values kilab can honour, as kilab's own exporter names.
_OTEL_EXPORTERS: tuple[str, ...] = ("otlp", "console", "none")


def _trace_exporters(env: Mapping[str, str]) -> tuple[TraceExporter, ...]:
    """``KILAB_TRACES`` when set; else what the standard OpenTelemetry variables say."""
    if _flag(env.get("OTEL_SDK_DISABLED", "")):
        return ()
    given = env.get("KILAB_TRACES", "").strip()
    allowed: tuple[str, ...]
    if given:
        name, allowed = "KILAB_TRACES", (*TRACE_EXPORTERS, "none")
    elif env.get("OTEL_TRACES_EXPORTER", "").strip():
        name, allowed = "OTEL_TRACES_EXPORTER", _OTEL_EXPORTERS
        given = env["OTEL_TRACES_EXPORTER"]
    elif env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return ("otlp",)
    else:
        return ()
    traces: list[TraceExporter] = []
    for wanted in (t.strip().lower() for t in given.split(",")):
        if wanted in ("none", "off", ""):
            continue
        _choice(name, wanted, allowed)
        traces.append(wanted)  # type: ignore[arg-type]
    return tuple(dict.fromkeys(traces))


def telemetry_settings(env: Mapping[str, str] | None = None) -> TelemetrySettings:
    """How to log and trace, as the environment says now.

    Raises:
        UserError: A variable holds a value that is not allowed.
    """
    env = os.environ if env is None else env
    level = _choice("KILAB_LOG_LEVEL", env.get("KILAB_LOG_LEVEL", "warning").lower(), LOG_LEVELS)
    fmt = _choice("KILAB_LOG_FORMAT", env.get("KILAB_LOG_FORMAT", "auto").lower(), LOG_FORMATS)
    traces = _trace_exporters(env)
    home = Path(env.get("KILAB_HOME") or DEFAULT_HOME)
    return TelemetrySettings(
        log_level=level,
        log_format=fmt,  # type: ignore[arg-type]
        traces=traces,
        traces_file=Path(env.get("KILAB_TRACES_FILE") or home / "traces.jsonl"),
        trace_content=_flag(
            env.get("KILAB_TRACE_CONTENT")
            or env.get("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "")
        ),
        otlp_protocol=_choice(
            "OTEL_EXPORTER_OTLP_PROTOCOL",
            (
                env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
                or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
                or "http/protobuf"
            ).strip(),
            ("http/protobuf", "grpc"),
        ),
    )


def environment_value(name: str) -> str:
    """The value of a variable a config names (a model profile's ``api_key_env``), stripped;
    "" when it is unset."""
    return os.environ.get(name, "").strip()
