"""The project's Airflow assets: what one DAG tells another.

- ``MONTHLY_MARTS``: monthly_close built and checked a period's marts; the event's ``extra`` is
  ``{"period": "YYYY-MM"}``. government_report is scheduled on it.
- ``NEW_SUBMISSIONS``: intake loaded new accepted submissions; ``extra`` holds how many and for which periods.
"""

from __future__ import annotations

from airflow.sdk import Asset

MONTHLY_MARTS = Asset(name="itreport_monthly_marts", uri="itreport://warehouse/marts/monthly")
NEW_SUBMISSIONS = Asset(name="itreport_new_submissions", uri="itreport://warehouse/raw/submissions")
