"""A realistic, reproducible sample mailbox for one reporting period, with the ground truth beside it.

``generate_mailbox`` writes RFC 5322/MIME messages, shaped as 2009-era mail clients sent them, into a
Maildir: reports (the real form from ``ingestion.documents.form``, some converted to .doc), "same as" notices, and
the mistakes a real mailbox sees (an unknown sender, a corrupt file, a stale form, a forgotten
attachment, resends). Beside the Maildir it writes what a correct pipeline must conclude:

* ``<maildir>/../ground_truth-YYYY-MM.csv``: one row per expected unit (status, kind, receipt time);
* ``<maildir>/../messages-YYYY-MM.csv``: one row per message file (final state and reason code, and the value
  warnings its report must get: ``jump:1.3``, ``same_as_last_month:*``, several joined by ``;``).

From the second period on (in samples big enough for every special case), one unit types a percentage with a
slip (a misplaced comma or a dropped digit) and one re-sends last month's figures unchanged; both are accepted,
with a ``jump`` or a ``same_as_last_month`` warning, and the month after a slip its correction is a jump too.
Ordinary reports get none: percentages are standing figures and the monthly counts change. The expected
warnings are exact while units have fewer than three months of history (through 2009-08): from then on
outlier warnings on the monthly counts, which the generator does not predict, become possible.

Everything derives from ``seed`` and the period: the same inputs give byte-identical files with the same
names (no clock, no uuid, fixed MIME boundaries; file mtimes are set to the receipt time). A unit's mail
habits (client, reporter, file naming, .doc or .docx) and its standing figures stay the same from one
period to the next; monthly figures change.

The steps, one module each: ``plan`` (who sends what, told by ``stories``), ``values`` (the filled form's
figures, realism hints from ``value_profiles.csv``), ``texts`` (subjects, letters, names), ``mime`` (the MIME
body a client built), ``maildir`` (headers, Received trail, files) and ``truth`` (the CSVs beside the Maildir).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ingestion.domain.catalogue import Catalogue, default_catalogue
from ingestion.domain.periods import DeadlineRule, add_months
from ingestion.domain.registry import Registry, default_registry

from .maildir import render_all, write_maildir
from .plan import last_month, plan_period, planning_rng, select_units
from .records import Context, MailPlan, Profile
from .truth import GroundTruth, MessageTruth, UnitTruth, ground_truth, read_ground_truth, warning_pairs
from .values import form_values, slip

__all__ = [
    "Context",
    "GroundTruth",
    "MailPlan",
    "MessageTruth",
    "Profile",
    "UnitTruth",
    "form_values",
    "generate_mailbox",
    "read_ground_truth",
    "select_units",
    "slip",
    "warning_pairs",
]


def generate_mailbox(
    maildir: Path,
    period: date,
    *,
    units: int | None = None,
    seed: int = 2009,
    mx_host: str = "mx.baocao-cntt.gov.example",
    ministry_address: str = "baocao.cntt@mic.gov.example",
    deadline: DeadlineRule = DeadlineRule(),  # noqa: B008 - a frozen dataclass, safe as a default
    registry: Registry | None = None,
    catalogue: Catalogue | None = None,
    with_doc: bool | None = None,
) -> GroundTruth:
    """Write one period's sample mail into ``maildir`` (replacing that period's earlier files, keeping other
    periods') and its ground truth beside it. ``with_doc`` None: send some reports as .doc when LibreOffice
    is installed."""
    if with_doc is None:
        from ingestion.documents.doc_convert import libreoffice_available

        with_doc = libreoffice_available()
    registry = registry or default_registry()
    period = period.replace(day=1)
    ctx = Context(
        period=period,
        seed=seed,
        mx_host=mx_host,
        ministry_address=ministry_address,
        deadline=deadline,
        catalogue=catalogue or default_catalogue(),
        with_doc=with_doc,
        rng=planning_rng(seed, period),
    )
    ctx.last_month = last_month(ctx, add_months(period, -1), units, registry)
    selected = select_units(registry, period, units, seed)
    plans = plan_period(ctx, selected, registry)
    rendered = render_all(ctx, plans)
    maildir = Path(maildir)
    write_maildir(maildir, ctx.label, rendered)
    return ground_truth(ctx, selected, plans, rendered, maildir.parent)
