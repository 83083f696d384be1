"""A batch's messages decided side by side, in worker processes, one per core.

Deciding a message (its MIME tree, the attachment's unzip and XML walk, the classification) is Python on the
CPU, so one process decides one message at a time whatever the machine has. :class:`Deciders` forks its workers
when it starts (before the batch opens a connection or starts its archive threads), sends each message with its
bytes, and yields the decisions in the messages' order.

A .doc attachment that antiword's text cannot place needs LibreOffice, which converts many files in one start about
as fast as one: such a message is decided again once the batch's files are converted together (``convert``).

What depends on the order of the messages is decided after, in receipt order: a "same as" notice is decided here
as if its previous month were accepted (:data:`ANY_PREVIOUS`), and :func:`classify.confirm_notices` keeps it only
if that month was accepted before it (the same verdict as deciding one message after another).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

from ingestion.decide.classify import ConversionNeeded, assess, may_hold_doc, processing_error
from ingestion.domain.catalogue import Catalogue
from ingestion.domain.periods import DeadlineRule
from ingestion.domain.records import Assessment, InboundMessage
from ingestion.domain.registry import Registry

CHUNKS_PER_WORKER = 4  # a batch goes out in this many chunks per worker: a slow chunk holds up little


class AnyPrevious:
    """Every (unit, month) pair: a notice's previous month is confirmed later, in receipt order."""

    def __contains__(self, pair: object) -> bool:
        return True


ANY_PREVIOUS = AnyPrevious()


@dataclass(frozen=True)
class DecideContext:
    """What deciding a message needs besides the message: the same for a whole run."""

    registry: Registry
    catalogue: Catalogue
    deadline: DeadlineRule
    authserv_id: str | None = None
    mx_host: str | None = None


@dataclass(frozen=True)
class Decided:
    assessment: Assessment
    failure: str | None = None  # the traceback of an unexpected error (the assessment says processing_error)


@dataclass(frozen=True)
class ToConvert:
    """A message that waits for its .doc attachment's conversion (``key``: its content hash)."""

    key: str
    payload: bytes


Converter = Callable[[Mapping[str, bytes]], Mapping[str, bytes]]  # .doc files by content hash → their .docx


def decide_one(
    message: InboundMessage, context: DecideContext, converted: Mapping[str, bytes], defer_conversion: bool = False
) -> Decided | ToConvert:
    """One message; an unexpected error becomes ``processing_error`` for this message alone."""
    try:
        assessment = assess(
            message,
            registry=context.registry,
            catalogue=context.catalogue,
            deadline=context.deadline,
            converted=converted,
            accepted=ANY_PREVIOUS,
            authserv_id=context.authserv_id,
            mx_host=context.mx_host,
            defer_conversion=defer_conversion,
        )
    except ConversionNeeded as needed:
        return ToConvert(needed.key, needed.payload)
    except Exception as error:
        return Decided(processing_error(message.message_hash, error), traceback.format_exc())
    return Decided(assessment)


class Deciders:
    """``processes`` workers (1: every message in this process), started on entering the ``with`` block. A daemonic
    process (a task in a Celery prefork worker) may not start processes: it decides every message itself, and
    Celery's worker processes share the batches instead."""

    def __init__(self, context: DecideContext, processes: int) -> None:
        self.context = context
        self.processes = max(1, processes)
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Deciders:
        if self.processes > 1 and not multiprocessing.current_process().daemon:
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("fork"),  # the imports, registry and catalogue come along
                initializer=_start_worker,
                initargs=(self.context, os.getpid()),
            )
            self._pool.submit(int).result()  # a forked pool starts all its workers at its first task: now
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def decide(
        self,
        messages: Sequence[InboundMessage],
        convert: Converter | None = None,
        meanwhile: Callable[[], object] | None = None,
    ) -> Iterator[Decided]:
        """Each message decided, in the order given. ``convert``: the batch's .doc files that antiword cannot place,
        converted in one call (without it, each such file is converted on its own). ``meanwhile``: work of this
        process to do while the workers decide (called once they have every message; without workers, first)."""
        first = self._map(messages, {}, defer_conversion=convert is not None)
        if meanwhile is not None:
            meanwhile()
        held: list[Decided | ToConvert] = []  # from the first message waiting for a conversion on
        for outcome in first:
            if held or isinstance(outcome, ToConvert):
                held.append(outcome)
            else:
                yield outcome
        if not held:
            return
        waiting = [outcome for outcome in held if isinstance(outcome, ToConvert)]
        converted = convert({outcome.key: outcome.payload for outcome in waiting}) if convert else {}
        offset = len(messages) - len(held)
        again = self._map(
            [messages[offset + i] for i, outcome in enumerate(held) if isinstance(outcome, ToConvert)], converted
        )
        for outcome in held:
            decided = next(again) if isinstance(outcome, ToConvert) else outcome
            assert isinstance(decided, Decided), "decided with its conversion"
            yield decided

    def _map(
        self, messages: Sequence[InboundMessage], converted: Mapping[str, bytes], *, defer_conversion: bool = False
    ) -> Iterator[Decided | ToConvert]:
        if self._pool is None or len(messages) < 2:
            return (decide_one(message, self.context, converted, defer_conversion) for message in messages)
        work: Iterable[tuple[InboundMessage, Mapping[str, bytes], bool]] = [
            # a worker parses the bytes itself (a parsed tree does not pickle)
            (
                replace(message, parsed=None),
                converted if converted and may_hold_doc(message.raw) else {},
                defer_conversion,
            )
            for message in messages
        ]
        chunk = max(1, min(32, len(messages) // (self.processes * CHUNKS_PER_WORKER)))
        return self._pool.map(_decide_in_worker, work, chunksize=chunk)


_context: DecideContext | None = None


def _start_worker(context: DecideContext, parent: int) -> None:
    global _context
    _context = context
    _die_with_parent(parent)


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(parent: int) -> None:
    """A worker whose batch's process is killed (SIGKILL, out of memory) is killed too: it would otherwise wait
    for work forever, holding the task's output pipes open. Linux only (prctl); elsewhere, workers end when the
    pool shuts down."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the signal was asked for
        os._exit(1)


def _decide_in_worker(work: tuple[InboundMessage, Mapping[str, bytes], bool]) -> Decided | ToConvert:
    assert _context is not None, "started by Deciders"
    message, converted, defer_conversion = work
    return decide_one(message, _context, converted, defer_conversion)
