"""An approved report to the leadership list: the archived .docx attached, through ``raw.outbox`` (once per report
version and content), from the reporting mailbox to the configured ITREPORT_LEADERSHIP_TO addresses only."""

from __future__ import annotations

import html
from collections.abc import Sequence

import psycopg

from itreport.config.settings import Settings
from itreport.notify.outbox import Outcome, OutgoingEmail, send_once
from itreport.notify.sender import EmailSender
from itreport.reports.ledger import ReportVersion

REPORT_EMAIL_KIND = "report"


def compose_report_email(
    version: ReportVersion, title: str, lines: Sequence[str], recipients: Sequence[str]
) -> OutgoingEmail:
    """``title`` (v``n``) with its figures' summary ``lines``, the approver and the file's sha256."""
    approved = f"Người duyệt: {version.decided_by or 'không rõ'}" + (
        f" — ý kiến: {version.comment}" if version.comment else ""
    )
    body = "".join(
        f"<p>{html.escape(line)}</p>"
        for line in (
            "Kính gửi Lãnh đạo Bộ,",
            f"Xin gửi kèm {title} (phiên bản {version.version}).",
            *lines,
            approved + ".",
            f"Tệp đính kèm: {version.file_name} (sha256 {version.sha256}).",
        )
    )
    return OutgoingEmail(
        REPORT_EMAIL_KIND,
        f"{version.report_kind}/{version.report_key}/v{version.version}",
        tuple(sorted(recipients)),
        f"[Báo cáo CNTT] {title} (phiên bản {version.version})",
        f"<html><body>{body}</body></html>",
        files=(version.archive_path,),
    )


def send_report(
    conn: psycopg.Connection,
    settings: Settings,
    version: ReportVersion,
    title: str,
    lines: Sequence[str],
    sender: EmailSender,
) -> Outcome:
    email = compose_report_email(version, title, lines, settings.leadership_to)
    return send_once(conn, email, sender, from_email=settings.ministry_address)
