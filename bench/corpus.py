"""The 93-unit sample months the bench reads, made once with ``itreport.demo.sample_mail`` and cached.

Each corpus is one Maildir holding consecutive months from 2009-06; a scenario copies the months it needs into a
Maildir of its own (intake reads whole Maildirs).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ingestion.domain.periods import FIRST_PERIOD, add_months, format_period


def periods(count: int) -> list[str]:
    return [format_period(add_months(FIRST_PERIOD, i)) for i in range(count)]


def build_corpus(cache: Path, months: int, *, with_doc: bool) -> Path:
    """A Maildir with ``months`` sample months (``.doc`` reports too when ``with_doc``); returns its folder."""
    from itreport.demo.sample_mail import generate_mailbox

    root = cache / ("mixed" if with_doc else "docx")
    maildir = root / "inbox"
    for label in periods(months):
        done = root / f"{label}.complete"
        if done.exists():
            continue
        generate_mailbox(maildir, add_months(FIRST_PERIOD, periods(months).index(label)), with_doc=with_doc)
        done.touch()
    return maildir


def copy_months(corpus: Path, labels: list[str], target: Path) -> Path:
    """A Maildir at ``target`` holding only the ``labels`` months of ``corpus``."""
    if target.exists():
        shutil.rmtree(target)
    return deliver(corpus, labels, target)


def deliver(corpus: Path, labels: list[str], target: Path) -> Path:
    """The ``labels`` months of ``corpus`` arrive in the Maildir at ``target`` (its other mail stays)."""
    for sub in ("new", "cur", "tmp"):
        (target / sub).mkdir(parents=True, exist_ok=True)
        for label in labels:
            for source in (corpus / sub).glob(f"{label}.*"):
                shutil.copy2(source, target / sub / source.name)
    return target
