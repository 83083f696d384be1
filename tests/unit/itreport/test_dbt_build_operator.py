"""The monthly dbt build's operator: its behaviour flags name the same source as dbt_common's own lookup, and the
build writes no JSON artifacts (nothing reads them) while keeping the partial parse."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from dbt.adapters.base.impl import DEFAULT_BASE_BEHAVIOR_FLAGS
from dbt_common.behavior_flags import Behavior, BehaviorFlagRendered

from itreport.orchestration import dbt_build


def _sources() -> list[str]:
    flags = [*DEFAULT_BASE_BEHAVIOR_FLAGS, {"name": "unset_here", "default": True, "description": "a flag"}]
    return [flag._behavior_change_event.flag_source for flag in Behavior(flags, {})._flags]


@pytest.fixture
def cheap_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """dbt_build's lookup in place for one test (dbt_common's own restored after it)."""
    monkeypatch.setattr(BehaviorFlagRendered, "_default_source", BehaviorFlagRendered.__dict__["_default_source"])
    dbt_build.use_cheap_behavior_flag_source()


def test_flag_source_is_the_registering_module_as_dbt_names_it(request: pytest.FixtureRequest) -> None:
    original = _sources()
    request.getfixturevalue("cheap_source")

    assert _sources() == original == [__name__] * len(original)


def test_flag_source_never_reads_the_stack_with_inspect(cheap_source: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("inspect.stack() called")

    monkeypatch.setattr(inspect, "stack", refuse)
    assert _sources()[0] == __name__


def test_a_flag_keeps_its_setting(cheap_source: None) -> None:
    flag = {"name": "set_here", "default": False, "description": "a flag"}

    assert Behavior([flag], {"set_here": True}).set_here.setting is True
    assert Behavior([flag], {}).set_here.no_warn is False


def test_the_monthly_build_writes_no_json_artifacts_nor_a_log_file() -> None:
    from itreport.config.settings import Settings
    from itreport.orchestration.tasks import dbt_build as build_task

    operator = build_task(Settings.from_env())

    assert "--no-write-json" in operator.dbt_cmd_global_flags
    flags = operator.dbt_cmd_global_flags
    assert flags[flags.index("--log-level-file") + 1] == "none"
    assert operator.partial_parse


def test_the_partial_parse_is_cached_without_a_manifest(tmp_path: Path) -> None:
    from cosmos.cache import _get_latest_partial_parse

    from itreport.config.settings import Settings
    from itreport.orchestration.tasks import dbt_build as build_task

    operator = build_task(Settings.from_env())
    operator.cache_dir = tmp_path / "cache"
    build = tmp_path / "build"
    (build / "target").mkdir(parents=True)
    (build / "target" / "partial_parse.msgpack").write_bytes(b"parsed")

    operator._update_partial_parse_cache(build)

    cached = _get_latest_partial_parse(tmp_path / "project", operator.cache_dir)
    assert cached is not None and cached.read_bytes() == b"parsed"
