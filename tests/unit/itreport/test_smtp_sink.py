"""The demo's SMTP sink: every message it receives is an .eml file, numbered in arrival order."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from urllib.parse import urlsplit

from itreport.demo import smtp_sink


def _message(subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.vn", "b@example.vn", subject
    message.set_content(subject)
    return message


def test_messages_are_numbered_on_from_what_the_outbox_held(tmp_path):
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    for number in (1, 2):
        (outbox / f"{number:05d}-earlier.eml").write_bytes(b"Subject: earlier\n\nearlier\n")
    with smtp_sink.running_sink(outbox) as url:
        address = urlsplit(url)
        with smtplib.SMTP(address.hostname, address.port) as client:
            for subject in ("first", "second", "third"):
                client.send_message(_message(subject))

    files = sorted(outbox.glob("*.eml"))
    assert [path.name[:5] for path in files] == ["00001", "00002", "00003", "00004", "00005"]
    subjects = [path.read_bytes().split(b"Subject: ")[1].split(b"\n")[0].strip() for path in files[2:]]
    assert subjects == [b"first", b"second", b"third"]
