"""The ``kilab`` command: a thin layer that parses, calls the Python API and prints.

Each area adds its commands from its own module (``register(app)``); heavy imports happen
inside the commands, so ``kilab --help`` stays instant.
"""

from __future__ import annotations

import importlib
import sys

import typer

from kilab.core.errors import UserError

# Modules that add commands; each defines ``register(app: typer.Typer) -> None``.
COMMAND_MODULES = (
    "kilab.cli.core",
    "kilab.cli.retrieval",
    "kilab.cli.evals",
    "kilab.cli.compare",
    "kilab.cli.judge",
    "kilab.cli.tuning",
    "kilab.cli.human",
    "kilab.cli.models",
    "kilab.cli.api",
    "kilab.cli.langgraph",
)

app = typer.Typer(
    name="kilab",
    help="Declarative agent graphs and evaluations for public-sector AI pilots.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    epilog="Exit codes: 0 done; 1 a check failed (a gate, verify-log, --fail-on-gate, "
    "--fail-on-worse); 2 bad input (unknown option, config error, run not found).",
)
for module_name in COMMAND_MODULES:
    importlib.import_module(module_name).register(app)


def _print_version(value: bool) -> None:
    if value:
        from kilab import __version__

        print(f"kilab {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Declarative agent graphs and evaluations for public-sector AI pilots."""
    # Here, not in main(): --help and --version exit before this runs and skip its imports.
    # Only from the entry point: in-process callers (CliRunner in tests) keep their set-up.
    if _started_by_main:
        from kilab.core.telemetry import configure

        configure()  # logs and traces from KILAB_LOG_*, KILAB_TRACES*, OTEL_* variables


_started_by_main = False


def main() -> None:
    """Entry point: user errors print as plain messages with exit code 2, no traceback."""
    global _started_by_main
    _started_by_main = True
    try:
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)  # typer.Exit(n) returns n here
    except UserError as exc:
        from kilab.cli.output import print_error

        print_error(exc)
        sys.exit(2)
    except (typer.Exit, SystemExit) as exc:
        code = exc.exit_code if isinstance(exc, typer.Exit) else exc.code
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Abort:
        sys.exit(130)
    except Exception as exc:
        # Usage errors (typer may use a vendored click, so match by shape, not by class).
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        raise
