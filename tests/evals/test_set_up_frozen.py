"""Runs at once in one process share one garbage-collector freeze."""

from __future__ import annotations

import gc

from kilab.evals.harness import _set_up_frozen


def test_the_freeze_is_lifted_by_the_last_run_to_finish() -> None:
    assert gc.get_freeze_count() == 0
    first, second = _set_up_frozen(), _set_up_frozen()
    first.__enter__()
    second.__enter__()
    assert gc.get_freeze_count() > 0
    first.__exit__(None, None, None)
    # The second run is still going (the count itself may drop: frozen objects can be freed).
    assert gc.get_freeze_count() > 0
    second.__exit__(None, None, None)
    assert gc.get_freeze_count() == 0
