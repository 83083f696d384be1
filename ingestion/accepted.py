"""Which (unit code, period) pairs have an accepted submission, as intake's decisions ask: a "same as" notice needs
its previous month accepted. The ledger is asked pair by pair (through ``raw.submissions``' (unit, period) index),
so a batch reads the few pairs its notices name, never every accepted submission of the history."""

from __future__ import annotations

from datetime import date, datetime

import psycopg

Pair = tuple[str, date]  # (unit code, period)


class AcceptedPairs:
    """The pairs accepted in the ledger before ``before`` (loaded before that moment), plus those :meth:`add`-ed
    (what a run accepted since, in receipt order). Supports ``pair in accepted``; copies share the ledger's answers."""

    def __init__(self, conn: psycopg.Connection, before: datetime, added: set[Pair] | None = None) -> None:
        self.conn = conn
        self.before = before
        self.added: set[Pair] = set(added or ())
        self._ledger: dict[Pair, bool] = {}

    def __contains__(self, pair: object) -> bool:
        if pair in self.added:
            return True
        if not (isinstance(pair, tuple) and len(pair) == 2):
            return False
        if pair not in self._ledger:
            unit, period = pair
            row = self.conn.execute(
                "select exists (select 1 from raw.submissions where unit_code = %s and period_month = %s "
                "and loaded_at < %s)",
                (unit, period, self.before),
            ).fetchone()
            self._ledger[pair] = bool(row and row[0])
        return self._ledger[pair]

    def add(self, pair: Pair) -> None:
        self.added.add(pair)

    def copy(self) -> AcceptedPairs:
        copied = AcceptedPairs(self.conn, self.before, self.added)
        copied._ledger = self._ledger
        return copied
