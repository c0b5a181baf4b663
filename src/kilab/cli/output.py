"""Printing helpers shared by the commands."""

from __future__ import annotations

import sys

from rich.console import Console

from kilab.core.errors import ConfigError, UserError

console = Console(highlight=False)
# Exit codes every command shares (CI reads them); each command's --help lists its own.
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def exit_codes(failed: str) -> str:
    """The epilog of a command's --help: what each exit code means."""
    return (
        f"Exit codes: {EXIT_OK} done; {EXIT_FAILED} {failed}; "
        f"{EXIT_USAGE} bad input (unknown option, config error, run not found)."
    )


error_console = Console(stderr=True, highlight=False)


def print_error(exc: UserError) -> None:
    """A user error as located lines, without a traceback."""
    if isinstance(exc, ConfigError):
        for problem in exc.problems:
            error_console.print(f"[red]error[/red] {problem}", markup=True, soft_wrap=True)
        count = len(exc.problems)
        error_console.print(f"{count} problem{'s' if count != 1 else ''} found.")
    else:
        error_console.print(f"[red]error[/red] {exc}", soft_wrap=True)


def is_terminal() -> bool:
    return sys.stdout.isatty()
