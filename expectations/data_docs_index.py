"""The Data Docs index builder of the project's site (``great_expectations.yml``: ``site_index_builder``).

GX's ``DefaultSiteIndexBuilder`` reads every validation result the index lists (the latest
``validation_results_limit``) on every update, to show whether it passed and on which batch: a run that stores one
result read a hundred. This one reads a result once, when it first appears, and keeps what the index shows of it in
``entries_file`` (the listed results only); the page is the one GX renders."""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from pathlib import Path
from typing import Any

from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
from great_expectations.data_context.types.resource_identifiers import ValidationResultIdentifier
from great_expectations.render.renderer.site_builder import (
    FALSEY_YAML_STRINGS,
    DefaultSiteIndexBuilder,
    _resolve_asset_name,
)
from great_expectations.render.util import resource_key_passes_run_name_filter

log = logging.getLogger(__name__)


class RememberingSiteIndexBuilder(DefaultSiteIndexBuilder):
    # GX passes what a builder's __init__ names (its argument list, not **kwargs): the parent's arguments, named
    def __init__(
        self,
        name: str,
        site_name: str,
        data_context: Any,
        target_store: Any,
        site_section_builders_config: dict,
        custom_styles_directory: str | None = None,
        custom_views_directory: str | None = None,
        show_how_to_buttons: bool = True,
        validation_results_limit: int | None = None,
        data_context_id: str | None = None,
        source_stores: dict | None = None,
        entries_file: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            name,
            site_name,
            data_context,
            target_store,
            site_section_builders_config,
            custom_styles_directory=custom_styles_directory,
            custom_views_directory=custom_views_directory,
            show_how_to_buttons=show_how_to_buttons,
            validation_results_limit=validation_results_limit,
            data_context_id=data_context_id,
            source_stores=source_stores,
            **kwargs,
        )
        self.entries_file = Path(entries_file) if entries_file else None

    def _add_validations_to_index_links(
        self, index_links_dict: OrderedDict, validation_and_profiling_result_site_keys: list[ValidationResultIdentifier]
    ) -> None:
        validations = self.site_section_builders_config.get("validations", "None")
        if not validations or validations in FALSEY_YAML_STRINGS:
            return
        run_name_filter = self.site_section_builders_config["validations"]["run_name_filter"]
        site_keys = validation_and_profiling_result_site_keys
        listed = [key for key in site_keys if resource_key_passes_run_name_filter(key, run_name_filter)]
        keys = sorted(listed, key=lambda k: k.run_id.run_time, reverse=True)[: self.validation_results_limit or None]
        known = self._read_entries()
        entries: dict[str, dict[str, Any]] = {}
        for key in keys:
            name = "/".join(str(part) for part in key.to_tuple())
            entry = known.get(name) or self._entry(key)
            if entry is None:
                continue
            entries[name] = entry
            self.add_resource_info_to_index_links_dict(
                index_links_dict=index_links_dict,
                expectation_suite_name=key.expectation_suite_identifier.name,
                section_name="validations",
                batch_identifier=key.batch_identifier,
                run_id=key.run_id,
                validation_success=entry["success"],
                run_time=key.run_id.run_time,
                run_name=key.run_id.run_name,
                asset_name=entry["asset_name"],
                batch_kwargs=entry["batch_kwargs"],
                batch_spec=entry["batch_spec"],
            )
        self._write_entries(entries)

    def _entry(self, key: ValidationResultIdentifier) -> dict[str, Any] | None:
        """What the index shows of one stored result, read from the store (None, as GX, when it cannot be read)."""
        try:
            validation = self.data_context.get_validation_result(
                batch_identifier=key.batch_identifier,
                expectation_suite_name=key.expectation_suite_identifier.name,
                run_id=key.run_id,
                validation_results_store_name=self.source_stores.get("validations"),
            )
        except Exception:
            validation = None
        if not isinstance(validation, ExpectationSuiteValidationResult):
            log.warning("Validation result not found: %s - skipping", key.to_tuple())
            return None
        return json.loads(
            json.dumps(
                {
                    "success": validation.success,
                    "asset_name": _resolve_asset_name(validation),
                    "batch_kwargs": validation.meta.get("batch_kwargs", {}),
                    "batch_spec": validation.meta.get("batch_spec", {}),
                },
                default=str,
            )
        )

    def _read_entries(self) -> dict[str, dict[str, Any]]:
        if self.entries_file is None or not self.entries_file.is_file():
            return {}
        try:
            return json.loads(self.entries_file.read_text(encoding="utf-8"))
        except ValueError:
            return {}  # a torn file: every listed result is read again, as GX would

    def _write_entries(self, entries: dict[str, dict[str, Any]]) -> None:
        if self.entries_file is None:
            return
        self.entries_file.parent.mkdir(parents=True, exist_ok=True)
        partial = self.entries_file.with_suffix(".partial")
        partial.write_text(json.dumps(entries), encoding="utf-8")
        partial.replace(self.entries_file)
