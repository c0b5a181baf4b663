"""Options several commands share."""

from __future__ import annotations

from typing import Annotated

import typer

from kilab.core.settings import settings

# A string, not a Path: a postgresql:// URL is no path (Path would fold its '//').
StoreOption = Annotated[
    str,
    typer.Option("--store", help="Run store: a SQLite file, ':memory:' or a postgresql:// URL."),
]
# Read when the CLI starts: $KILAB_RUNS, else $KILAB_HOME/runs.sqlite.
DEFAULT_STORE = settings().runs
