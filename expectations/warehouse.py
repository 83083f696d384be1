"""Warehouse checks after each dbt build: the ``warehouse_checks`` checkpoint on PostgreSQL.

The checkpoint's table assets read views in schema ``gx_checks`` (one per mart in
:func:`expectations.suites.warehouse_suites`). Each run first points those views at the marts (or at
another schema, which is how tests aim the checkpoint at a deliberately broken copy): a mart that does
not exist yet gets an empty stand-in view, so its expectations are skipped — decided at run time — and
the one committed checkpoint always runs. The views are dropped again when the run ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from expectations.project import (
    WAREHOUSE_CHECKPOINT,
    WAREHOUSE_FAILURES_CHECKPOINT,
    data_docs_index,
    open_context,
    run_checkpoint,
    update_data_docs,
)
from expectations.warehouse_views import WarehouseChecksFailed, drop_views, point_views


@dataclass
class WarehouseCheckResult:
    success: bool
    checked: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    data_docs: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "success": self.success,
            "checked": self.checked,
            "skipped": self.skipped,
            "failures": self.failures,
            "data_docs": self.data_docs,
        }


def run_warehouse_checks(
    home: Path, warehouse_url: str, *, source_schema: str = "marts", raise_on_failure: bool = True
) -> WarehouseCheckResult:
    """Run the ``warehouse_checks`` checkpoint (and its Data Docs update) on the marts in ``source_schema``."""
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        checked, skipped = point_views(conn, source_schema)
        try:
            context = open_context(home, warehouse_url)
            outcome = run_checkpoint(context, WAREHOUSE_CHECKPOINT, WAREHOUSE_FAILURES_CHECKPOINT)
            update_data_docs(context, outcome.run_results)
        finally:
            drop_views(conn)
    failures = []
    for validation in outcome.run_results.values():
        table = validation.suite_name
        for result in validation.results:
            if not result.success:
                config = result.expectation_config
                kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
                detail = result.result.get("unexpected_count")
                failures.append(f"{table}: {config.type} {kwargs} failed ({detail} unexpected rows)")
    result = WarehouseCheckResult(
        success=bool(outcome.success),
        checked=checked,
        skipped=skipped,
        failures=failures,
        data_docs=str(data_docs_index(home)),
    )
    if raise_on_failure and not result.success:
        raise WarehouseChecksFailed("Warehouse checks failed:\n" + "\n".join(failures or ["(see Data Docs)"]))
    return result
