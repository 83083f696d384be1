"""The versioned GX file context under ``expectations/gx`` and how runs open it.

What is committed (written by GX, kept in git): ``great_expectations.yml`` (data sources, stores, the Data
Docs site), ``expectations/*.json`` (suites, regenerated from the catalogue by :func:`write_suites`),
``validation_definitions/`` and ``checkpoints/``. What a run produces (validation results, Data Docs) goes
to the ignored state folder, ``Settings.home / "gx"``: the paths in ``great_expectations.yml`` are
``${itreport_gx_state}`` placeholders filled from the context's runtime environment, so nothing a run
writes lands in the repository. The warehouse URL reaches the SQL data source the same way.

Change the catalogue, then run ``python -m expectations.project`` to regenerate the suites;
``tests/unit/expectations/test_expectations_project.py`` fails while the committed suites and the catalogue disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from expectations.suites import KEY_COLUMN, SUBMISSION_SUITE, submission_suite, warehouse_suites
from expectations.warehouse_views import WAREHOUSE_SCHEMA, drop_views, point_views
from ingestion.domain.catalogue import Catalogue, default_catalogue
from ingestion.domain.resources import package_file

if TYPE_CHECKING:
    import great_expectations as gx
    from great_expectations.checkpoint.checkpoint import CheckpointResult
    from great_expectations.data_context import FileDataContext
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

GX_DIR = package_file("expectations", "gx")
EXPECTATIONS_DIR = GX_DIR.parent
SUITES_DIR = GX_DIR / "expectations"

STATE_VARIABLE = "itreport_gx_state"
WAREHOUSE_URL_VARIABLE = "itreport_gx_warehouse_url"
# A syntactically valid URL for runs that never touch the SQL data source (the SQL engine is created lazily).
UNUSED_WAREHOUSE_URL = "postgresql+psycopg2://unused@localhost/unused"

SUBMISSIONS_DATASOURCE = "submissions"
SUBMISSIONS_ASSET = "parsed_submissions"
SUBMISSIONS_BATCH = "run"
SUBMISSION_CHECKPOINT = "submission_checks"
SUBMISSION_FAILURES_CHECKPOINT = "submission_failures"

WAREHOUSE_DATASOURCE = "warehouse"
WAREHOUSE_CHECKPOINT = "warehouse_checks"
WAREHOUSE_FAILURES_CHECKPOINT = "warehouse_failures"
# Each checkpoint that runs on every batch says only which expectations passed (GATE_FORMAT): GX then computes no
# count or list of unexpected rows, about half of a validation's time; its twin ``*_failures`` runs the same
# validation definitions on a batch that failed, with the failing rows (run_checkpoint).
GATE_FORMAT = {"result_format": "BOOLEAN_ONLY"}
SUBMISSION_FAILURES_FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": [KEY_COLUMN]}
WAREHOUSE_FAILURES_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 10}
DATA_DOCS_SITE = "itreport_site"
# The index lists this many of the latest validation results (each read once, when first listed:
# expectations.data_docs_index; hourly intake stores one an hour). Every result keeps its own page.
VALIDATION_RESULTS_IN_INDEX = 100


def state_dir(home: Path) -> Path:
    return home / "gx"


def data_docs_dir(home: Path) -> Path:
    return state_dir(home) / "data_docs"  # great_expectations.yml: the site's base_directory


def data_docs_index(home: Path) -> Path:
    return data_docs_dir(home) / "index.html"


def open_context(home: Path, warehouse_url: str | None = None) -> FileDataContext:
    """The committed file context, with run output under ``home/gx`` (validation results, Data Docs)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    state_dir(home).mkdir(parents=True, exist_ok=True)
    context = gx.get_context(
        mode="file",
        project_root_dir=EXPECTATIONS_DIR,
        runtime_environment={
            STATE_VARIABLE: str(state_dir(home)),
            WAREHOUSE_URL_VARIABLE: sqlalchemy_url(warehouse_url) if warehouse_url else UNUSED_WAREHOUSE_URL,
        },
    )
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def update_data_docs(context: FileDataContext, results: Iterable[ValidationResultIdentifier] = ()) -> None:
    """Data Docs after a checkpoint run, updated rather than rebuilt, in one pass: the pages of ``results`` (what
    the run just stored), the pages of suites whose file is newer than their page (they change with a release) and
    the index, which lists the latest ``VALIDATION_RESULTS_IN_INDEX`` results. Pages of older results stay as they
    were rendered. (A checkpoint's ``UpdateDataDocsAction`` would render the index once per validation result.)"""
    resources = [*results, *stale_suite_pages(context)]
    if resources:  # GX renders every page when given none
        context.build_data_docs(site_names=[DATA_DOCS_SITE], resource_identifiers=resources)


def stale_suite_pages(context: FileDataContext) -> list[ExpectationSuiteIdentifier]:
    """The suites whose Data Docs page is missing or older than the suite's file."""
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    pages = Path(context.runtime_environment[STATE_VARIABLE]) / "data_docs" / "expectations"
    stale = []
    for suite in sorted(SUITES_DIR.glob("*.json")):
        page = pages / f"{suite.stem}.html"
        if not page.exists() or page.stat().st_mtime < suite.stat().st_mtime:
            stale.append(ExpectationSuiteIdentifier(name=suite.stem))
    return stale


def build_data_docs(home: Path) -> Path:
    """Render every suite and stored validation result into ``home/gx/data_docs``; returns its index page."""
    open_context(home).build_data_docs(site_names=[DATA_DOCS_SITE])
    return data_docs_index(home)


def sqlalchemy_url(url: str) -> str:
    """libpq URL → SQLAlchemy URL with the psycopg2 driver (a unix-socket ``?host=`` is kept)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url.removeprefix(prefix)
    return url


def generated_suites(catalogue: Catalogue) -> list[gx.ExpectationSuite]:
    return [submission_suite(catalogue), *warehouse_suites()]


def suite_json(suite: gx.ExpectationSuite) -> str:
    """The suite exactly as GX's file store writes it."""
    from great_expectations.core.expectation_suite import ExpectationSuiteSchema

    return ExpectationSuiteSchema().dumps(suite, indent=2, sort_keys=True)


def suite_files(catalogue: Catalogue) -> dict[str, str]:
    """File name under ``gx/expectations`` → content, for every suite the project derives."""
    return {f"{suite.name}.json": suite_json(suite) for suite in generated_suites(catalogue)}


def write_suites(catalogue: Catalogue | None = None, directory: Path = SUITES_DIR) -> list[Path]:
    """Regenerate the committed suite files from the catalogue; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in suite_files(catalogue or default_catalogue()).items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def create_project(root: Path, warehouse_url: str, catalogue: Catalogue | None = None) -> None:
    """Build the GX project from scratch through GX's API (how ``expectations/gx`` was made).

    Only needed when data sources, validation definitions or checkpoints change (suites alone:
    :func:`write_suites`). Run it on an empty ``root`` with a reachable warehouse (GX tests the table
    assets when they are added), then copy ``root/gx`` over ``expectations/gx``.
    """
    import great_expectations as gx
    import psycopg
    from great_expectations.datasource.fluent import PostgresDatasource

    catalogue = catalogue or default_catalogue()
    gx.get_context(mode="file", project_root_dir=root)
    _configure_stores(root / "gx" / "great_expectations.yml")
    context = gx.get_context(
        mode="file",
        project_root_dir=root,
        runtime_environment={
            STATE_VARIABLE: str(root / "state"),
            WAREHOUSE_URL_VARIABLE: sqlalchemy_url(warehouse_url),
        },
    )
    write_suites(catalogue, root / "gx" / "expectations")
    batch = (
        context.data_sources.add_pandas(SUBMISSIONS_DATASOURCE)
        .add_dataframe_asset(SUBMISSIONS_ASSET)
        .add_batch_definition_whole_dataframe(SUBMISSIONS_BATCH)
    )
    submission = context.validation_definitions.add(
        gx.ValidationDefinition(name=SUBMISSION_SUITE, data=batch, suite=context.suites.get(SUBMISSION_SUITE))
    )
    # an intake updates Data Docs once per run, after its batches (update_data_docs): no action
    _add_checkpoints(
        context, SUBMISSION_CHECKPOINT, SUBMISSION_FAILURES_CHECKPOINT, [submission], SUBMISSION_FAILURES_FORMAT
    )

    # The URL stays a ${placeholder} in great_expectations.yml: add the data source without GX's
    # add_postgres, which would test (and so need) a connection string it can resolve.
    datasource = PostgresDatasource(name=WAREHOUSE_DATASOURCE, connection_string="${" + WAREHOUSE_URL_VARIABLE + "}")
    datasource._data_context = context
    datasource = context._add_fluent_datasource(datasource)
    definitions = []
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        point_views(conn)
        try:
            for suite in warehouse_suites():
                table = suite.meta["table"]
                asset = datasource.add_table_asset(name=table, table_name=table, schema_name=WAREHOUSE_SCHEMA)
                definitions.append(
                    context.validation_definitions.add(
                        gx.ValidationDefinition(
                            name=suite.name,
                            data=asset.add_batch_definition_whole_table("all_rows"),
                            suite=context.suites.get(suite.name),
                        )
                    )
                )
        finally:
            drop_views(conn)
    # expectations.warehouse updates Data Docs once per run (update_data_docs): no action
    _add_checkpoints(
        context, WAREHOUSE_CHECKPOINT, WAREHOUSE_FAILURES_CHECKPOINT, definitions, WAREHOUSE_FAILURES_FORMAT
    )


def _add_checkpoints(
    context: FileDataContext, gate: str, failures: str, definitions: list, failures_format: dict
) -> None:
    """The checkpoint ``gate`` (pass or fail per expectation) and its twin ``failures`` on the same definitions."""
    import great_expectations as gx

    for name, result_format in ((gate, GATE_FORMAT), (failures, failures_format)):
        context.checkpoints.add(
            gx.Checkpoint(name=name, validation_definitions=definitions, actions=[], result_format=result_format)
        )


def run_checkpoint(context: FileDataContext, gate: str, failures: str, **run: object) -> CheckpointResult:
    """Checkpoint ``gate``; when an expectation failed, its twin ``failures`` on the same batch, whose results (with
    the failing rows) replace the gate's in the store: a batch keeps one result, and a clean batch costs half."""
    outcome = context.checkpoints.get(gate).run(**run)
    if outcome.success:
        return outcome
    explained = context.checkpoints.get(failures).run(**run)
    for key in outcome.run_results:
        context.validation_results_store.remove_key(key)
    return explained


def _configure_stores(config_path: Path) -> None:
    """Point validation results and Data Docs at the state folder (``${itreport_gx_state}``)."""
    import yaml

    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    state = "${" + STATE_VARIABLE + "}"
    config["stores"]["validation_results_store"]["store_backend"]["base_directory"] = f"{state}/validations/"
    config["analytics_enabled"] = False  # no usage statistics leave a ministry's servers
    config["data_docs_sites"] = {
        DATA_DOCS_SITE: {  # GX's site, telling its index what an update was given (expectations.data_docs_index)
            "module_name": "expectations.data_docs_index",
            "class_name": "UpdatingSiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": f"{state}/data_docs/"},
            "site_index_builder": {  # GX's index, reading each listed result once (expectations.data_docs_index)
                "module_name": "expectations.data_docs_index",
                "class_name": "RememberingSiteIndexBuilder",
                "validation_results_limit": VALIDATION_RESULTS_IN_INDEX,
                "entries_file": f"{state}/data_docs_index.json",
                "view": _view("CachedIndexPageView", state),
            },
            "site_section_builders": {  # GX's sections, rendering the pages an update is given without listing
                section: {
                    "module_name": "expectations.data_docs_index",
                    "class_name": "GivenPagesSectionBuilder",
                    "view": _view("CachedPageView", state),
                }
                for section in ("expectations", "validations", "profiling")
            },
        }
    }
    header = "# GX project of itreport; generated by expectations/project.py:create_project. Run output: ${" + (
        STATE_VARIABLE + "} (Settings.home/gx).\n"
    )
    config_path.write_text(header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _view(class_name: str, state: str) -> dict[str, str]:
    """GX's page view, keeping its templates' compiled code in the state folder (expectations.data_docs_views)."""
    return {
        "module_name": "expectations.data_docs_views",
        "class_name": class_name,
        "bytecode_cache_dir": f"{state}/data_docs_templates",
    }


def stale_suites(catalogue: Catalogue | None = None, directory: Path = SUITES_DIR) -> Iterable[str]:
    """Suite files whose committed content differs from what the catalogue generates."""
    for name, text in suite_files(catalogue or default_catalogue()).items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            yield name


if __name__ == "__main__":
    for path in write_suites():
        print(f"wrote {path}")
