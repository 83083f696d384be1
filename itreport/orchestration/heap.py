"""A task's start: the worker's heap left out of Python's cyclic garbage collector from then on.

A process that has imported Airflow, the DAGs, GX and dbt holds about a million objects, nearly all of them
modules, classes and functions that live as long as the process. Every full collection that a task's own
allocations trigger walks all of them again: under ``dag.test()`` a monthly close spent about a quarter of its
time there (measured with ``gc.callbacks``), most of it while GX and dbt were imported and dbt's manifest loaded.
So every task starts with :func:`settle_heap` (every DAG's ``on_execute_callback``): the young generations are
collected (the garbage the last steps left; a full collection here would walk the whole heap once more), then
``gc.freeze()`` moves the survivors to the permanent generation, and later collections walk only what was made
after. An object frozen and dropped later is freed by reference counting as usual; only one that is part of a
reference cycle stays until the process ends (a deployment runs each task in a process of its own; four closes in
one process end with the same resident memory either way).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

YOUNG = 1  # generations 0 and 1: what was allocated since the last full collection


def settle_heap(context: Any = None) -> None:
    """Collect the young generations' garbage, then freeze what survives (``context``: Airflow's, unused)."""
    gc.collect(YOUNG)
    gc.freeze()


@contextmanager
def unscanned_imports() -> Iterator[None]:
    """Imports of a large library (GX, dbt) with the cyclic collector paused, then what they made frozen.

    An import of GX or dbt makes a few hundred thousand objects that live as long as the process; with the collector
    running, every quarter of growth starts a full collection that walks them all again (a close spent 0.3 s of GX's
    import and 0.5 s of dbt's there, measured with ``gc.callbacks``). Reference counting still frees what an import
    drops; only a reference cycle made meanwhile stays, as after :func:`settle_heap`."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
