"""Publishing an approved annual evaluation: archive the version (sha256, version number), copy the document
and the results page to the publication folder, and email the document to the leadership list (outbox).

Self-contained on purpose: the versions are recorded through the :class:`PublicationLedger` protocol, whose
default, :class:`FileLedger`, is a JSON-lines file beside the archive (no table of its own in the warehouse).
The monthly briefing's reports ledger can take its place by implementing the two methods.

Every step is idempotent: the same approved content is the same version (by sha256), copied again to the same
place, and its email goes out once (``raw.outbox`` claims it by kind, key and content).
"""

from __future__ import annotations

import fcntl
import hashlib
import html
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import psycopg

from ingestion.domain.private_files import private_dir
from itreport.config.settings import Settings
from itreport.notify.outbox import OutgoingEmail, send_once
from itreport.notify.sender import EmailSender
from itreport.reports.annual_build import AnnualOutputs
from itreport.reports.annual_document import title
from itreport.reports.approval import decision_from_hitl

REPORT_KIND = "annual_evaluation"


@dataclass(frozen=True)
class Decision:
    """What the person at the approval gate answered."""

    approved: bool
    by: str | None = None
    comment: str | None = None

    @classmethod
    def from_hitl(cls, answer: dict[str, object] | None) -> Decision:
        """From the XCom of Airflow's ApprovalOperator (:func:`itreport.reports.approval.decision_from_hitl`); not
        approved when nobody answered."""
        decided = decision_from_hitl(answer)
        if decided is None:
            return cls(approved=False)
        by = decided.decided_by
        return cls(decided.approved, str(by) if by else None, decided.comment or None)


@dataclass(frozen=True)
class PublishedVersion:
    kind: str
    key: str
    version: int
    sha256: str  # of the manifest: every published file's name and sha256
    archive_path: str
    decision: str
    decided_by: str | None
    comment: str | None
    recorded_at: str


class PublicationLedger(Protocol):
    def versions(self, kind: str, key: str) -> list[PublishedVersion]: ...

    def record(self, version: PublishedVersion) -> None: ...


class FileLedger:
    """Versions as JSON lines in one file (0600), appended under an exclusive lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._held = False

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if self._held:  # already ours (record() inside exclusive())
            yield
            return
        private_dir(self.path.parent, narrow_existing=False)
        fd = os.open(self.path.with_suffix(".lock"), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._held = True
            yield
        finally:
            self._held = False
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _read(self) -> list[PublishedVersion]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [PublishedVersion(**json.loads(line)) for line in lines if line.strip()]

    def versions(self, kind: str, key: str) -> list[PublishedVersion]:
        return [v for v in self._read() if v.kind == kind and v.key == key]

    def record(self, version: PublishedVersion) -> None:
        with self._locked():
            fd = os.open(self.path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(asdict(version), ensure_ascii=False, sort_keys=True) + "\n")

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the ledger while a version number is chosen and archived (two publishers never share one)."""
        with self._locked():
            yield


@dataclass(frozen=True)
class PublicationResult:
    version: int
    sha256: str
    new_version: bool
    archive_dir: Path
    published_document: Path
    published_page: Path
    email: str

    def as_dict(self) -> dict[str, object]:
        return {
            "version": self.version,
            "sha256": self.sha256,
            "new_version": self.new_version,
            "archive_dir": str(self.archive_dir),
            "published_document": str(self.published_document),
            "published_page": str(self.published_page),
            "email": self.email,
        }


def archive_root(settings: Settings) -> Path:
    return settings.reports_dir / "archive"


def default_ledger(settings: Settings) -> FileLedger:
    return FileLedger(archive_root(settings) / "ledger.jsonl")


def manifest(outputs: AnnualOutputs) -> dict[str, str]:
    """Relative path → sha256 of every file published: the document and the page with its assets."""
    files = {outputs.document.name: outputs.document}
    for path in sorted(outputs.page_dir.rglob("*")):
        if path.is_file():
            files[f"{outputs.page_dir.name}/{path.relative_to(outputs.page_dir).as_posix()}"] = path
    return {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in files.items()}


def manifest_sha256(entries: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(entries, sort_keys=True).encode("utf-8")).hexdigest()


def publish_annual(
    settings: Settings,
    outputs: AnnualOutputs,
    decision: Decision,
    *,
    conn: psycopg.Connection,
    sender: EmailSender,
    ledger: PublicationLedger | None = None,
) -> PublicationResult:
    """Archive, publish and email an approved evaluation. ``conn`` (autocommit) holds ``raw.outbox``."""
    if not decision.approved:
        raise PermissionError(f"the annual evaluation {outputs.year} was not approved; nothing is published")
    ledger = ledger or default_ledger(settings)
    entries = manifest(outputs)
    digest = manifest_sha256(entries)
    key = str(outputs.year)
    exclusive = getattr(ledger, "exclusive", None)
    with exclusive() if exclusive else _nothing():
        known = ledger.versions(REPORT_KIND, key)
        same = next((v for v in known if v.sha256 == digest), None)
        version = same.version if same else max((v.version for v in known), default=0) + 1
        archive_dir = archive_root(settings) / REPORT_KIND / key / f"v{version}"
        if same is None:
            _copy_tree(outputs, archive_dir)
            (archive_dir / "manifest.json").write_text(json.dumps(entries, indent=2, sort_keys=True), encoding="utf-8")
            (archive_dir / "manifest.json").chmod(0o600)
            ledger.record(
                PublishedVersion(
                    kind=REPORT_KIND,
                    key=key,
                    version=version,
                    sha256=digest,
                    archive_path=str(archive_dir),
                    decision="approved",
                    decided_by=decision.by,
                    comment=decision.comment,
                    recorded_at=datetime.now(UTC).isoformat(timespec="seconds"),
                )
            )
    published = settings.publication_folder / key
    _copy_tree(outputs, published)
    document = published / outputs.document.name
    outcome = send_once(
        conn, _email(settings, outputs, document, version), sender, from_email=settings.ministry_address
    )
    return PublicationResult(
        version=version,
        sha256=digest,
        new_version=same is None,
        archive_dir=archive_dir,
        published_document=document,
        published_page=published / outputs.page_dir.name / "index.html",
        email=str(outcome),
    )


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _copy_tree(outputs: AnnualOutputs, target: Path) -> None:
    """The document and the page folder into ``target`` (replacing an older page), 0700 folders, 0600 files."""
    private_dir(target, narrow_existing=False)
    shutil.copyfile(outputs.document, target / outputs.document.name)
    (target / outputs.document.name).chmod(0o600)
    staging = target / f".{outputs.page_dir.name}.new"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(outputs.page_dir, staging)
    for path in [staging, *staging.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)
    final = target / outputs.page_dir.name
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)


def _email(settings: Settings, outputs: AnnualOutputs, document: Path, version: int) -> OutgoingEmail:
    subject = f"[Báo cáo CNTT] {title(outputs.year)} (phiên bản {version})"
    body = (
        "<p>Kính gửi Lãnh đạo Bộ,</p>"
        f"<p>Kèm theo là báo cáo {html.escape(title(outputs.year))}, phiên bản {version}, đã được phê duyệt. "
        f"{outputs.ranked} đơn vị được xếp hạng; {outputs.unranked} đơn vị chưa đủ số kỳ báo cáo để xếp hạng. "
        "Trang kết quả đã được đưa vào thư mục công bố.</p>"
    )
    return OutgoingEmail(
        kind=REPORT_KIND,
        key=f"{outputs.year}/v{version}",
        to=settings.leadership_to,
        subject=subject,
        html=body,
        files=(document,),
    )
