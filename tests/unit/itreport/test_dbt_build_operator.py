"""The monthly dbt build's operator: its behaviour flags name the same source as dbt_common's own lookup, and the
build writes no JSON artifacts (nothing reads them) while keeping the partial parse, and dbt's Jinja code is
compiled once, not in every build."""

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


@pytest.fixture
def template_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """dbt's Jinja environments keep their compiled code in a folder for one test (Jinja's own compile after)."""
    from dbt_common.clients.jinja import MacroFuzzEnvironment, NativeSandboxEnvironment

    for environment_class in (MacroFuzzEnvironment, NativeSandboxEnvironment):
        monkeypatch.setattr(environment_class, "compile", environment_class.compile)
    folder = tmp_path / "jinja"
    dbt_build.use_template_code_cache(folder)
    return folder


def test_a_build_keeps_the_code_it_used_and_removes_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A release changed a macro: the next build compiles its new source, and the old one's code goes, as does a
    partial entry a dead process left (an hour old); a partial entry being written now stays."""
    import os
    import time

    from dbt_common.clients.jinja import MacroFuzzEnvironment, NativeSandboxEnvironment, get_template, render_template

    for environment_class in (MacroFuzzEnvironment, NativeSandboxEnvironment):
        monkeypatch.setattr(environment_class, "compile", environment_class.compile)
    folder = tmp_path / "jinja"
    dbt_build.use_template_code_cache(folder)
    render_template(get_template(MACRO, {}), {"who": "a"})
    render_template(get_template("{{ 1 + 2 }}", {}), {})
    (old_macro, kept) = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime_ns)
    dead, writing = folder / "dead.1-2.tmp", folder / "writing.3-4.tmp"
    dead.write_bytes(b"x")
    writing.write_bytes(b"x")
    an_hour_ago = time.time() - dbt_build.STALE_PARTIAL_SECONDS - 1
    os.utime(dead, (an_hour_ago, an_hour_ago))

    used = dbt_build.use_template_code_cache(folder)  # the next build, in a new process
    assert render_template(get_template(MACRO.replace("hello", "hi"), {}), {"who": "b"}) == "hi B"
    assert render_template(get_template("{{ 1 + 2 }}", {}), {}) == "3"
    assert len(used) == 2 and kept.name in used

    assert dbt_build.prune_template_code_cache(folder, used) == 2
    assert sorted(p.name for p in folder.iterdir()) == sorted([*used, writing.name])
    assert not old_macro.exists() and kept.exists()


MACRO = "{% set greeting = 'hello' %}{{ greeting }} {{ who | upper }}"


def test_a_template_compiled_once_is_rendered_from_its_code_in_a_later_process(
    template_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jinja2
    from dbt_common.clients.jinja import get_template, render_template

    first = render_template(get_template(MACRO, {}), {"who": "ministry"})
    assert first == "hello MINISTRY"
    assert len(list(template_cache.iterdir())) == 1
    assert template_cache.stat().st_mode & 0o077 == 0  # code loaded from there: the owner's alone

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled again")

    monkeypatch.setattr(jinja2.Environment, "_generate", refuse)  # what a new process would do without the cache
    assert render_template(get_template(MACRO, {}), {"who": "agency"}) == "hello AGENCY"
    with pytest.raises(Exception, match="compiled again"):  # another source is compiled (dbt wraps the error)
        get_template(MACRO.replace("hello", "hi"), {})


def test_the_native_and_the_text_environment_keep_apart_entries_for_one_source(template_cache: Path) -> None:
    from dbt_common.clients.jinja import get_template, render_template

    assert render_template(get_template("{{ 1 + 2 }}", {}), {}) == "3"
    assert str(render_template(get_template("{{ 1 + 2 }}", {}, native=True), {})) == "3"
    assert len(list(template_cache.iterdir())) == 2


def test_an_unreadable_entry_is_compiled_again(template_cache: Path) -> None:
    from dbt_common.clients.jinja import get_template, render_template

    render_template(get_template(MACRO, {}), {"who": "a"})
    (entry,) = template_cache.iterdir()
    entry.write_bytes(b"torn")

    assert render_template(get_template(MACRO, {}), {"who": "b"}) == "hello B"
    assert entry.read_bytes() != b"torn"


def test_caching_twice_in_one_process_wraps_jinja_once(template_cache: Path, tmp_path: Path) -> None:
    from dbt_common.clients.jinja import MacroFuzzEnvironment, get_template, render_template

    dbt_build.use_template_code_cache(tmp_path / "other")
    assert MacroFuzzEnvironment.compile.cached_in == tmp_path / "other"
    assert MacroFuzzEnvironment.compile.__wrapped__.__qualname__ == "Environment.compile"
    render_template(get_template(MACRO, {}), {"who": "a"})
    assert len(list((tmp_path / "other").iterdir())) == 1
