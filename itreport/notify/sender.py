"""The one way the product sends email: anything with Airflow's ``SmtpHook.send_email_smtp`` signature.

In the DAGs it is ``SmtpHook(smtp_conn_id="smtp_default")``; the demo's connection points at the local SMTP sink,
and tests hand in a recorder or a real SMTP server on loopback. Alerts, replies, reminders and reports all take
an :class:`EmailSender`.
"""

from __future__ import annotations

from typing import Any, Protocol


class EmailSender(Protocol):
    def send_email_smtp(
        self,
        *,
        to: list[str],
        subject: str,
        html_content: str,
        from_email: str,
        files: list[str],
        custom_headers: dict[str, Any] | None = None,
    ) -> None: ...
