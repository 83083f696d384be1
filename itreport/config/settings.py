"""All configuration, from environment variables with documented defaults. Nothing else reads the environment.

| variable | default | meaning |
|---|---|---|
| ITREPORT_HOME | ``<repo>/.local`` (a wheel: ``~/.local/share/itreport``) | the one folder for runtime state |
| ITREPORT_WAREHOUSE_URL | unset → embedded PostgreSQL | ``postgresql://user:pass@host:port/db`` |
| ITREPORT_DBT_WAREHOUSE_URL | unset → the warehouse URL | dbt's own role; its password: ITREPORT_PGPASSWORD |
| ITREPORT_MAILDIR | ITREPORT_HOME/mail/inbox | the Maildir that agencies' messages arrive in (when no IMAP host) |
| ITREPORT_IMAP_HOST | unset → read the Maildir | the reporting mailbox's IMAP server: when set, intake reads it |
| ITREPORT_IMAP_SECURITY | ssl | ``ssl``: TLS; ``starttls``: upgrade required, never plain; ``plain``: loopback, tests |
| ITREPORT_IMAP_PORT | 993 (ssl), 143 (starttls, plain) | its port |
| ITREPORT_IMAP_CA_FILE | unset → the system's trust store | PEM of a private CA; when set, only it is trusted |
| ITREPORT_IMAP_SSL | unset | deprecated, read when ITREPORT_IMAP_SECURITY is unset: ``true`` → ssl, ``false`` → plain |
| ITREPORT_IMAP_USER | ITREPORT_MINISTRY_ADDRESS | the login |
| ITREPORT_IMAP_PASSWORD | empty | the password |
| ITREPORT_IMAP_FOLDER | INBOX | the folder agencies' messages arrive in (read-only: nothing is flagged or deleted) |
| ITREPORT_MX_HOST | mx.baocao-cntt.gov.example | our mail server's name in the ``Received:`` headers it writes |
| ITREPORT_MINISTRY_ADDRESS | baocao.cntt@mic.gov.example | the reporting mailbox; sender of receipts |
| ITREPORT_SMTP_URL | unset → local sink writing ITREPORT_HOME/outbox/*.eml | ``smtp://u:p@host:port``, ``smtps://`` |
| ITREPORT_ALERT_TO | lanhdao.cntt@mic.gov.example | comma-separated ministry staff who get compliance alerts |
| ITREPORT_TIMEZONE | Asia/Ho_Chi_Minh | timezone of the deadline |
| ITREPORT_DEADLINE_DAY | 22 | reports are due before this day 00:00 |
| ITREPORT_INTAKE_BATCH_SIZE | 1000 | messages per intake batch (one transaction, one mapped task each): bounds memory |
| ITREPORT_INTAKE_PROCESSES | the usable cores | processes deciding a batch's messages (1: the task's own process) |
| ITREPORT_JUMP_POINTS | 30 | a percent indicator moving more than this many points in a month gets a warning |
| ITREPORT_NOTIFY_MAX_AGE_DAYS | 30 | replies and alerts only about recent mail and deadlines (backfills mail nobody) |
| ITREPORT_DBT_PROJECT_DIR | the checkout's ``dbt_project/`` (wheel: its bundled copy) | the dbt project dbt runs |
| ITREPORT_DAGS_DIR | the checkout's ``dags/`` (wheel: its bundled copy) | the DAG folder Airflow and dag.test() read |
| ITREPORT_AUTHSERV_ID | unset → no check | our ``Authentication-Results`` id: mail must pass DMARC/DKIM there |
| ITREPORT_REMINDER_DAYS | 7,3,1 | reminders (08:00) this many days before the deadline |
| ITREPORT_LEADERSHIP_TO | lanhdao.bo@mic.gov.example | leadership who get the approved briefing |
| ITREPORT_ENGINEERS_TO | kysu.dulieu@mic.gov.example | engineers: task failures, deadline alert |
| ITREPORT_BI_READER_URL | unset → the warehouse as role ``bi_reader`` | how reports read the marts (read-only role) |
| ITREPORT_DEADLINE_ALERT | true (``dag.test()`` runs: false) | monthly_close's DeadlineAlert (real scheduler) |
| ITREPORT_DEADLINE_ALERT_HOURS | 6 | alert when a run is not done this long after queued |
| ITREPORT_PUBLICATION_DIR | ITREPORT_HOME/publication | where approved annual results go (the website's folder) |
| ITREPORT_ISSUING_DEPARTMENT | Cục Ứng dụng công nghệ thông tin | the department named on documents |
| ITREPORT_DBT_UNIT_TESTS | false | ``true`` (CI): the monthly ``dbt build`` runs unit tests and every data test |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import cast

from ingestion.domain.periods import DEFAULT_DEADLINE_DAY, DEFAULT_TIMEZONE, DeadlineRule
from ingestion.domain.resources import CHECKOUT_ROOT, DAGS_DIR, DBT_PROJECT_DIR, IN_CHECKOUT
from ingestion.mailbox.imap import SECURITY_PORTS, ImapAccount, Security

DEFAULT_HOME = CHECKOUT_ROOT / ".local" if IN_CHECKOUT else Path.home() / ".local" / "share" / "itreport"


@dataclass(frozen=True)
class Settings:
    home: Path
    warehouse_url: str | None
    maildir: Path
    mx_host: str
    ministry_address: str
    smtp_url: str | None
    alert_to: tuple[str, ...]
    timezone: str
    deadline_day: int
    jump_points: float = 30.0
    notify_max_age_days: int | None = 30  # None (env ``none``): notify about anything, however old
    authserv_id: str | None = None
    imap: ImapAccount | None = None  # None: intake reads the Maildir
    dbt_project_dir: Path = DBT_PROJECT_DIR
    dags_dir: Path = DAGS_DIR
    reminder_days: tuple[int, ...] = (7, 3, 1)
    leadership_to: tuple[str, ...] = ("lanhdao.bo@mic.gov.example",)
    engineers_to: tuple[str, ...] = ("kysu.dulieu@mic.gov.example",)
    bi_reader_url: str | None = None  # None: the warehouse URL with the role bi_reader (no password)
    deadline_alert: bool = True
    deadline_alert_hours: float = 6.0
    publication_dir: Path | None = None  # None: home/publication
    issuing_department: str = "Cục Ứng dụng công nghệ thông tin"
    dbt_warehouse_url: str | None = None  # None: dbt connects like the tasks (ITREPORT_WAREHOUSE_URL)
    dbt_unit_tests: bool = False  # production runs test the data, not the SQL (CI runs the unit tests)
    intake_batch_size: int = 1000  # messages per intake batch: one transaction and one mapped task each
    intake_processes: int = 1  # processes deciding a batch's messages (from_env: the cores this process may use)

    @classmethod
    def from_env(cls, env: os._Environ[str] | dict[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        home = Path(env.get("ITREPORT_HOME") or DEFAULT_HOME).resolve()
        ministry_address = env.get("ITREPORT_MINISTRY_ADDRESS", "baocao.cntt@mic.gov.example")
        return cls(
            home=home,
            warehouse_url=env.get("ITREPORT_WAREHOUSE_URL") or None,
            maildir=Path(env.get("ITREPORT_MAILDIR") or home / "mail" / "inbox"),
            mx_host=env.get("ITREPORT_MX_HOST", "mx.baocao-cntt.gov.example"),
            ministry_address=ministry_address,
            smtp_url=env.get("ITREPORT_SMTP_URL") or None,
            alert_to=tuple(
                a.strip() for a in env.get("ITREPORT_ALERT_TO", "lanhdao.cntt@mic.gov.example").split(",") if a.strip()
            ),
            timezone=env.get("ITREPORT_TIMEZONE", DEFAULT_TIMEZONE),
            deadline_day=int(env.get("ITREPORT_DEADLINE_DAY", DEFAULT_DEADLINE_DAY)),
            jump_points=float(env.get("ITREPORT_JUMP_POINTS", "30")),
            notify_max_age_days=_days_or_none(env.get("ITREPORT_NOTIFY_MAX_AGE_DAYS", "30")),
            authserv_id=env.get("ITREPORT_AUTHSERV_ID") or None,
            imap=_imap_account(env, ministry_address),
            dbt_project_dir=Path(env.get("ITREPORT_DBT_PROJECT_DIR") or DBT_PROJECT_DIR),
            dags_dir=Path(env.get("ITREPORT_DAGS_DIR") or DAGS_DIR),
            reminder_days=_reminder_days(env.get("ITREPORT_REMINDER_DAYS") or "7,3,1"),
            leadership_to=_addresses(env.get("ITREPORT_LEADERSHIP_TO", "lanhdao.bo@mic.gov.example")),
            engineers_to=_addresses(env.get("ITREPORT_ENGINEERS_TO", "kysu.dulieu@mic.gov.example")),
            bi_reader_url=env.get("ITREPORT_BI_READER_URL") or None,
            deadline_alert=_flag(env.get("ITREPORT_DEADLINE_ALERT") or "true", "ITREPORT_DEADLINE_ALERT"),
            deadline_alert_hours=float(env.get("ITREPORT_DEADLINE_ALERT_HOURS") or "6"),
            publication_dir=Path(env["ITREPORT_PUBLICATION_DIR"]) if env.get("ITREPORT_PUBLICATION_DIR") else None,
            issuing_department=env.get("ITREPORT_ISSUING_DEPARTMENT") or "Cục Ứng dụng công nghệ thông tin",
            dbt_warehouse_url=env.get("ITREPORT_DBT_WAREHOUSE_URL") or None,
            dbt_unit_tests=_flag(env.get("ITREPORT_DBT_UNIT_TESTS") or "false", "ITREPORT_DBT_UNIT_TESTS"),
            intake_batch_size=_positive(env.get("ITREPORT_INTAKE_BATCH_SIZE") or "1000", "ITREPORT_INTAKE_BATCH_SIZE"),
            intake_processes=_positive(
                env.get("ITREPORT_INTAKE_PROCESSES") or str(usable_cores()), "ITREPORT_INTAKE_PROCESSES"
            ),
        )

    @cached_property
    def deadline(self) -> DeadlineRule:
        return DeadlineRule(day=self.deadline_day, timezone=self.timezone)

    @property
    def embedded_warehouse(self) -> bool:
        return self.warehouse_url is None

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def archive_dir(self) -> Path:
        return self.home / "archive"

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def publication_folder(self) -> Path:
        """Where approved publications go (ITREPORT_PUBLICATION_DIR, else home/publication)."""
        return self.publication_dir or self.home / "publication"

    @property
    def reports_dir(self) -> Path:
        """Drafts of documents and pages before approval, and the archive of published versions."""
        return self.home / "reports"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def dbt_target_dir(self) -> Path:
        return self.home / "dbt" / "target"

    def dbt_vars(self) -> dict[str, object]:
        return {"deadline_day": self.deadline_day, "timezone": self.timezone}


def _imap_account(env: os._Environ[str] | dict[str, str], ministry_address: str) -> ImapAccount | None:
    host = (env.get("ITREPORT_IMAP_HOST") or "").strip()
    if not host:
        return None
    security = _imap_security(env)
    return ImapAccount(
        host=host,
        port=int(env.get("ITREPORT_IMAP_PORT") or SECURITY_PORTS[security]),
        user=env.get("ITREPORT_IMAP_USER") or ministry_address,
        password=env.get("ITREPORT_IMAP_PASSWORD", ""),
        folder=env.get("ITREPORT_IMAP_FOLDER") or "INBOX",
        security=security,
        ca_file=(env.get("ITREPORT_IMAP_CA_FILE") or "").strip() or None,
    )


def _imap_security(env: os._Environ[str] | dict[str, str]) -> Security:
    """ITREPORT_IMAP_SECURITY, else the older ITREPORT_IMAP_SSL (true → ssl, false → plain), else ssl."""
    legacy = (env.get("ITREPORT_IMAP_SSL") or "").strip()
    implied: Security | None = None
    if legacy:
        implied = "ssl" if _flag(legacy, "ITREPORT_IMAP_SSL") else "plain"
    chosen = (env.get("ITREPORT_IMAP_SECURITY") or "").strip().lower()
    if not chosen:
        return implied or "ssl"
    if chosen not in SECURITY_PORTS:
        raise ValueError(f"ITREPORT_IMAP_SECURITY must be ssl, starttls or plain, not {chosen!r}")
    if implied is not None and implied != chosen:
        raise ValueError(
            f"ITREPORT_IMAP_SECURITY={chosen} contradicts ITREPORT_IMAP_SSL={legacy}; "
            "remove ITREPORT_IMAP_SSL (it is replaced by ITREPORT_IMAP_SECURITY)"
        )
    return cast(Security, chosen)


def _flag(value: str, name: str) -> bool:
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def usable_cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count, where the OS says)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _positive(value: str, name: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(f"{name} must be a whole number of 1 or more, not {value!r}")
    return number


def get_settings() -> Settings:
    return Settings.from_env()


def _addresses(text: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in text.split(",") if a.strip())


def _days_or_none(text: str) -> int | None:
    return None if text.strip().lower() in ("", "none") else int(text)


def _reminder_days(text: str) -> tuple[int, ...]:
    """``7,3,1`` → (7, 3, 1): distinct days before the deadline, most distant first (each 1-27)."""
    days = sorted({int(part) for part in text.split(",") if part.strip()}, reverse=True)
    if not days or any(not 1 <= day <= 27 for day in days):
        raise ValueError(f"ITREPORT_REMINDER_DAYS must list days 1-27 before the deadline, not {text!r}")
    return tuple(days)
