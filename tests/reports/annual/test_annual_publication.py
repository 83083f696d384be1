"""Publishing an approved evaluation: archived with version and sha256, copied to the publication folder,
emailed to the leadership list once per content through raw.outbox; nothing without approval."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import hashlib
import json
import shutil
import stat

import pytest

from ingestion.load import ensure_raw_schema
from itreport.demo import smtp_sink

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("annual")]


class SinkSender:
    """Sends through a real SMTP server on loopback (the demo's sink writing .eml files)."""

    def __init__(self, url: str, from_email: str) -> None:
        self.url = url

    def send_email_smtp(self, *, to, subject, html_content, from_email, files, custom_headers=None) -> None:
        import smtplib
        from email.message import EmailMessage
        from pathlib import Path
        from urllib.parse import urlparse

        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = from_email, ", ".join(to), subject
        message.set_content(html_content, subtype="html")
        for name in files:
            path = Path(name)
            message.add_attachment(
                path.read_bytes(),
                maintype="application",
                subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                filename=path.name,
            )
        parsed = urlparse(self.url)
        with smtplib.SMTP(parsed.hostname, parsed.port) as smtp:
            smtp.send_message(message)


@pytest.fixture
def publishing(annual_warehouse, annual_conn, built, tmp_path):
    from itreport.reports.annual_build import AnnualOutputs

    settings = dataclasses.replace(
        annual_warehouse[0],
        home=tmp_path / "home",
        publication_dir=tmp_path / "website",
        leadership_to=("lanhdao.bo@mic.gov.example", "thutruong@mic.gov.example"),
    )
    ensure_raw_schema(annual_conn)
    annual_conn.execute("delete from raw.outbox where kind = 'annual_evaluation'")
    source = built[2011]["outputs"]
    work = tmp_path / "draft"
    shutil.copytree(source.page_dir, work / source.page_dir.name)
    shutil.copyfile(source.document, work / source.document.name)
    outputs = AnnualOutputs(
        2011, work / source.document.name, work / source.page_dir.name, source.ranked, source.unranked
    )
    outbox = tmp_path / "outbox"
    with smtp_sink.running_sink(outbox) as url:
        yield settings, outputs, SinkSender(url, settings.ministry_address), outbox


def test_approved_publication_is_archived_published_and_mailed_once(publishing, annual_conn):
    from itreport.reports.annual_publication import Decision, default_ledger, publish_annual

    settings, outputs, sender, outbox = publishing
    decision = Decision(approved=True, by="Nguyễn Văn A", comment="Đồng ý công bố")
    first = publish_annual(settings, outputs, decision, conn=annual_conn, sender=sender)
    again = publish_annual(settings, outputs, decision, conn=annual_conn, sender=sender)
    assert (first.version, first.new_version, first.email) == (1, True, "sent")
    assert (again.version, again.new_version, again.email) == (1, False, "already_sent")
    # the archive holds the version with every file's sha256
    manifest = json.loads((first.archive_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest[outputs.document.name] == hashlib.sha256(outputs.document.read_bytes()).hexdigest()
    assert f"{outputs.page_dir.name}/index.html" in manifest and len(manifest) >= 6
    assert (first.archive_dir / outputs.document.name).read_bytes() == outputs.document.read_bytes()
    [version] = default_ledger(settings).versions("annual_evaluation", "2011")
    assert (version.version, version.sha256, version.decided_by, version.comment) == (
        1, first.sha256, "Nguyễn Văn A", "Đồng ý công bố"
    )  # fmt: skip
    # the publication folder has both, owner-only
    assert first.published_document.read_bytes() == outputs.document.read_bytes()
    assert first.published_page.read_bytes() == outputs.page.read_bytes()
    archive = first.archive_dir
    for folder in (settings.publication_folder, archive, archive.parent, archive.parent.parent, settings.home):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder  # parents created owner-only too
    for path in [settings.publication_folder / "2011", *(settings.publication_folder / "2011").rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    # one email to the leadership list with the document attached, claimed in raw.outbox
    messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in outbox.glob("*.eml")]
    assert len(messages) == 1
    assert set(messages[0]["To"].addresses[i].addr_spec for i in range(2)) == set(settings.leadership_to)
    assert [a.get_filename() for a in messages[0].iter_attachments()] == [outputs.document.name]
    rows = annual_conn.execute("select key, state from raw.outbox where kind = 'annual_evaluation'").fetchall()
    assert rows == [("2011/v1", "sent")]


def test_changed_content_is_a_new_version(publishing, annual_conn):
    from itreport.reports.annual_publication import Decision, default_ledger, publish_annual

    settings, outputs, sender, outbox = publishing
    first = publish_annual(settings, outputs, Decision(approved=True), conn=annual_conn, sender=sender)
    (outputs.page_dir / "assets" / "style.css").write_text("body { color: black; }\n", encoding="utf-8")
    second = publish_annual(settings, outputs, Decision(approved=True), conn=annual_conn, sender=sender)
    assert (first.version, second.version) == (1, 2) and first.sha256 != second.sha256
    assert [v.version for v in default_ledger(settings).versions("annual_evaluation", "2011")] == [1, 2]
    assert (
        first.archive_dir / outputs.page_dir.name / "assets" / "style.css"
    ).read_text() != "body { color: black; }\n"
    published_css = settings.publication_folder / "2011" / outputs.page_dir.name / "assets" / "style.css"
    assert published_css.read_text() == "body { color: black; }\n"
    assert len(list(outbox.glob("*.eml"))) == 2


def test_nothing_is_published_without_approval(publishing, annual_conn):
    from itreport.reports.annual_publication import Decision, publish_annual

    settings, outputs, sender, outbox = publishing
    rejected = Decision.from_hitl({"chosen_options": ["Reject"], "params_input": {"comment": "Chưa đạt"}})
    with pytest.raises(PermissionError):
        publish_annual(settings, outputs, rejected, conn=annual_conn, sender=sender)
    assert not settings.publication_folder.exists()
    assert list(outbox.glob("*.eml")) == []
    approved = Decision.from_hitl(
        {
            "chosen_options": ["Approve"],
            "params_input": {"comment": "OK"},
            "responded_by_user": {"id": "1", "name": "lanhdao"},
        }
    )
    assert approved == Decision(approved=True, by="lanhdao", comment="OK")
