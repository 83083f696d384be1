"""The Data Docs builders of the project's site (``great_expectations.yml``: ``site_index_builder`` and
``site_section_builders``), so that an update's cost does not grow with the results stored before it.

GX's ``DefaultSiteIndexBuilder`` reads every validation result the index lists (the latest
``validation_results_limit``) on every update, to show whether it passed and on which batch: a run that stores one
result read a hundred. This one reads a result once, when it first appears, and keeps what the index shows of it in
``entries_file`` (the listed results only). GX's view also deep-copies and renders with its templates, on every
update, the three cells of every listed result's row (status, batch, suite: 0.23 ms a row, 23 ms at a hundred): the
HTML they rendered to the first time is kept with the entry (for that GX release) and put in their place. The page
is the one GX renders.

GX also lists every stored result and every rendered page (a walk of both folders, a date parse each) four times an
update: each section builder lists its store to pick out the pages it was asked to render, and the index lists both
stores, so an update grew with every result ever stored (0.1 ms each: a warehouse backfilled since 2009 holds
thousands). Here a section builder asked for pages renders those, and the index of an update
(:class:`UpdatingSiteBuilder`) lists the results it listed before and those the update was given, still stored and
rendered, without listing either store, and the suites' pages in their folder only (GX's file store walks the whole
site for them). A full build (``project.build_data_docs``) lists both stores, as GX does, and removes the pages of
results no longer stored. Measured on a site of 2,626 stored results: an update 209 → 54 ms."""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)
from great_expectations.render.renderer.site_builder import (
    FALSEY_YAML_STRINGS,
    DefaultSiteIndexBuilder,
    DefaultSiteSectionBuilder,
    SiteBuilder,
    _resolve_asset_name,
)
from great_expectations.render.util import resource_key_passes_run_name_filter

log = logging.getLogger(__name__)

# how GX names a stored result's run time (RunIdentifier.to_tuple), in UTC
RUN_TIME_FORMAT = "%Y%m%dT%H%M%S.%fZ"


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
        # the validation results an update was given (UpdatingSiteBuilder); None: a full build
        self.given: list[ValidationResultIdentifier] | None = None
        self._entries: dict[str, dict[str, Any]] | None = None  # what this build lists, written once it rendered

    def build(self, skip_and_clean_missing: bool = True, build_index: bool = True) -> Any:
        renderer, self._entries = self.renderer_class, None
        self.renderer_class = _RenderedCells(renderer, self.view_class)
        try:
            built = super().build(skip_and_clean_missing, build_index)
        finally:
            self.renderer_class = renderer
        if self._entries is not None:
            self._write_entries(self._entries)
        return built

    def _add_expectations_to_index_links(self, index_links_dict: OrderedDict, skip_and_clean_missing: bool) -> None:
        """GX's, listing the suites' pages in their folder only: GX's file store walks the whole site for them,
        every validation result's page included."""
        backends = self.target_store.store_backends
        pages = backends[ExpectationSuiteIdentifier]
        backends[ExpectationSuiteIdentifier] = _Listing(pages, pages.list_keys(prefix=(pages.filepath_prefix,)))
        try:
            super()._add_expectations_to_index_links(index_links_dict, skip_and_clean_missing)
        finally:
            backends[ExpectationSuiteIdentifier] = pages

    def _build_validation_and_profiling_result_site_keys(
        self, skip_and_clean_missing: bool
    ) -> list[ValidationResultIdentifier]:
        """The rendered results still stored, newest first, up to ``validation_results_limit`` of those the
        validations section lists: in an update, among the results listed before and those given; in a full build,
        among every stored one (a page whose result is gone is removed, as GX does). Names are compared and sorted
        as stored (``run_time`` is RUN_TIME_FORMAT, in UTC); only the returned keys are parsed."""
        validations = self.site_section_builders_config.get("validations", "None")
        if not validations or validations in FALSEY_YAML_STRINGS:
            return super()._build_validation_and_profiling_result_site_keys(skip_and_clean_missing)
        store = self.data_context.stores[validations.get("source_store_name")].store_backend
        pages = self.target_store.store_backends[ValidationResultIdentifier]
        listed_before = self._listed_keys() if self.given is not None else None
        if listed_before is not None:
            candidates = set(listed_before) | {key.to_tuple() for key in self.given or []}
            kept = [name for name in candidates if store.has_key(name) and pages.has_key(name)]
        else:
            stored = set(store.list_keys())
            kept = []
            for name in pages.list_keys():
                if name in stored:
                    kept.append(name)
                elif skip_and_clean_missing:
                    pages.remove_key(name)
        keys: list[ValidationResultIdentifier] = []
        listed = 0
        for name in sorted(kept, key=lambda name: name[-2], reverse=True):
            key = _result_key(name)
            keys.append(key)
            listed += resource_key_passes_run_name_filter(key, validations["run_name_filter"])
            if listed == self.validation_results_limit:
                break
        return keys

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
        rows = self.renderer_class.rows if isinstance(self.renderer_class, _RenderedCells) else {}
        for key in keys:
            name = "/".join(str(part) for part in key.to_tuple())
            entry = known.get(name) or self._entry(key)
            if entry is None:
                continue
            entries[name] = entry | {"key": list(key.to_tuple())}
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
            rows[index_links_dict["validations_links"][-1]["filepath"]] = entries[name]
        self._entries = entries

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

    def _listed_keys(self) -> list[tuple[str, ...]] | None:
        """The stored names of the results the index listed last (None when the entries file is missing, torn or
        written before it kept them: the update lists the stores)."""
        if self.entries_file is None or not self.entries_file.is_file():
            return None
        entries = self._read_entries()
        if not entries or not all("key" in entry for entry in entries.values()):
            return None
        return [tuple(entry["key"]) for entry in entries.values()]

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


def _result_key(name: tuple[str, ...]) -> ValidationResultIdentifier:
    """GX's ``ValidationResultIdentifier.from_tuple``, the run time parsed in the format GX stores it in (dateutil,
    which GX uses, took a third of the time of listing a hundred results); another format is left to GX."""
    try:
        run_time = datetime.strptime(name[-2], RUN_TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return ValidationResultIdentifier.from_tuple(name)
    return ValidationResultIdentifier(
        ExpectationSuiteIdentifier.from_tuple(name[:-3]), RunIdentifier(name[-3], run_time), name[-1]
    )


class UpdatingSiteBuilder(SiteBuilder):
    """GX's site builder, which hands its index (:class:`RememberingSiteIndexBuilder`) the validation results an
    update was given: GX's index builder is told nothing and lists the stores."""

    def build(self, resource_identifiers: list | None = None, build_index: bool = True) -> Any:
        index = self.site_index_builder
        if not isinstance(index, RememberingSiteIndexBuilder):
            return super().build(resource_identifiers=resource_identifiers, build_index=build_index)
        if resource_identifiers:
            index.given = [key for key in resource_identifiers if isinstance(key, ValidationResultIdentifier)]
        try:
            return super().build(resource_identifiers=resource_identifiers, build_index=build_index)
        finally:
            index.given = None


class GivenPagesSectionBuilder(DefaultSiteSectionBuilder):
    """Asked for pages (an update), renders those of its store's kind that are stored, without listing the store;
    asked for none, renders every stored one, as GX. (GX also skips a given result older than the newest
    ``validation_results_limit``: an update is given the results just stored.)"""

    def build(self, resource_identifiers: list | None = None) -> None:
        if not resource_identifiers:
            return super().build(resource_identifiers)
        store = self.source_store
        given = [  # as the store lists them (a run without a name is named "__none__" there)
            store.key_class.from_tuple(key.to_tuple())
            for key in resource_identifiers
            if isinstance(key, store.key_class) and store.has_key(key)
        ]
        self.source_store = _Listing(store, given)
        try:
            return super().build(given)
        finally:
            self.source_store = store


class _Listing:
    """``store`` whose listing is ``keys``: what GX's section builder renders."""

    def __init__(self, store: Any, keys: list) -> None:
        self._store, self._keys = store, keys

    def list_keys(self) -> list:
        return self._keys

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


class _RenderedCells:
    """The index's renderer, with the cells of each listed result's row that GX's view renders with its templates
    given as the HTML they render to: rendered by the view the first time, then kept in the row's entry (``rows``:
    the entries by the page path of their row)."""

    CELLS = ("validation_success", "batch_identifier", "expectation_suite_name")

    def __init__(self, renderer: Any, view: Any) -> None:
        self.renderer, self.view = renderer, view
        self.rows: dict[str, dict[str, Any]] = {}

    def render(self, index_links_dict: OrderedDict) -> Any:
        import great_expectations

        rendered = self.renderer.render(index_links_dict)
        for row in _validation_rows(rendered):
            entry = self.rows.get(row.get("_table_row_link_path"))
            if entry is None:
                continue
            cells = entry.get("cells")
            if not cells or cells.get("gx") != great_expectations.__version__:
                cells = {name: self._html(row[name]) for name in self.CELLS} | {"gx": great_expectations.__version__}
                entry["cells"] = cells
            row.update({name: cells[name] for name in self.CELLS})
        return rendered

    def _html(self, cell: Any) -> str:
        """What GX's view renders the cell to in the table (the cell's templates read nothing of the page)."""
        return self.view.render_content_block({}, cell.to_json_dict() if hasattr(cell, "to_json_dict") else cell)


def _validation_rows(content: Any) -> list[dict[str, Any]]:
    """The rows of the validation results' table in the index's rendered content."""
    from great_expectations.render.components import RenderedBootstrapTableContent, RenderedContent

    if isinstance(content, RenderedBootstrapTableContent):
        rows = content.table_data or []
        return [row for row in rows if isinstance(row, dict) and "_table_row_link_path" in row]
    if isinstance(content, RenderedContent):
        content = vars(content)
    if isinstance(content, dict):
        content = list(content.values())
    if isinstance(content, list | tuple):
        return [row for part in content for row in _validation_rows(part)]
    return []
