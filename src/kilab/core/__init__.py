"""The foundation every layer stands on: errors, settings, personal-data detection, telemetry.

Nothing here imports from ``kilab.tools``, ``kilab.agents``, ``kilab.graphs``, ``kilab.evals``
or the CLI (``make lint`` checks it with import-linter).
"""
