"""A task's start (``settle_heap``): garbage there is gets collected, what survives is frozen out of later
collections."""

from __future__ import annotations

import gc
import weakref

import pytest

from itreport.orchestration.heap import settle_heap, unscanned_imports


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def unfrozen():
    yield
    gc.unfreeze()  # the rest of the test process keeps Python's usual collector


def test_garbage_is_collected_and_survivors_are_frozen(unfrozen):
    dropped, kept = Node(), Node()
    dropped.other, kept.other = Node(), Node()
    dropped.other.other = dropped  # a reference cycle nothing reaches: only the collector frees it
    kept.other.other = kept  # a cycle still in use
    gone, alive = weakref.ref(dropped), weakref.ref(kept)
    del dropped

    settle_heap()

    assert gone() is None  # collected before the freeze, not kept for the life of the process
    assert alive() is kept
    assert gc.get_freeze_count() > 0
    assert not any(obj is kept for obj in gc.get_objects())  # frozen: later collections do not walk it


@pytest.mark.parametrize("enabled", [True, False])
def test_an_import_runs_without_collections_and_what_it_made_is_frozen(unfrozen, enabled):
    collections: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(info["generation"])

    (gc.enable if enabled else gc.disable)()
    gc.callbacks.append(count)
    try:
        with unscanned_imports():
            assert not gc.isenabled()
            made = [Node() for _ in range(5 * gc.get_threshold()[0])]  # enough to start a collection if enabled
        assert gc.isenabled() is enabled  # the collector as it was before
    finally:
        gc.callbacks.remove(count)
        gc.enable()
    assert collections == []
    assert not any(obj is made[0] for obj in gc.get_objects())  # frozen with the rest of the import
