"""Whole messages as our server stored them: the client's headers, the Received trail, the Maildir files."""

from __future__ import annotations

import base64
import hashlib
import os
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .mime import attachment_for, convert_docs, encoded_words, mime_body, serialize
from .records import OUTLOOK, THUNDERBIRD, VN, YAHOO, Context, MailPlan, Rendered, digest, domain
from .texts import body_for, subject_for

READ_FLAG = ":2,S"
READ_SHARE = 0.1

Headers = list[tuple[str, str]]


def render_all(ctx: Context, plans: Sequence[MailPlan]) -> list[Rendered]:
    """Every message with its Maildir file name ``YYYY-MM.NNNN.<hash of the bytes>`` (some marked read)."""
    convert_docs(ctx, plans)
    rendered = []
    for plan in plans:
        ctx.rng.seed(f"{ctx.seed}:{ctx.label}:{plan.index}:render")
        raw = render(ctx, plan)
        name = f"{ctx.label}.{plan.index:04d}.{hashlib.sha256(raw).hexdigest()[:12]}"
        rendered.append(Rendered(name + READ_FLAG if ctx.rng.random() < READ_SHARE else name, raw, plan))
    return rendered


def render(ctx: Context, plan: MailPlan) -> bytes:
    """One message's bytes: our Received header on top, the sender's hops, then what the client wrote."""
    attachment = attachment_for(ctx, plan)
    head, tail = client_headers(ctx, plan, subject_for(ctx, plan))
    message = mime_body(plan, body_for(ctx, plan), attachment)
    mime_headers = message.items()
    for name in dict(mime_headers):
        del message[name]
    received = [("Received", our_received(ctx, plan)), *(("Received", h) for h in sender_received(ctx, plan))]
    for name, value in [*received, *head, *mime_headers, *tail]:
        message[name] = value
    return serialize(message)


def write_maildir(maildir: Path, label: str, rendered: Sequence[Rendered]) -> None:
    """Replace this period's files in ``maildir`` (other periods' stay); each file's mtime is its receipt."""
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    for sub in ("new", "cur"):
        for old in (maildir / sub).glob(f"{label}.*"):
            old.unlink()
    for item in rendered:
        target = maildir / ("cur" if item.file.endswith(READ_FLAG) else "new") / item.file
        target.write_bytes(item.raw)
        stamp = item.plan.received_at.timestamp()
        os.utime(target, (stamp, stamp))


# ---------------------------------------------------------------- client headers


def _address(name: str, address: str, encoding: str = "B", charset: str = "utf-8") -> str:
    return f"{encoded_words(name, encoding, charset)} <{address}>" if not name.isascii() else f'"{name}" <{address}>'


def client_headers(ctx: Context, plan: MailPlan, subject: str) -> tuple[Headers, Headers]:
    """The headers the sender's client writes before and after the MIME headers, in its own order."""
    return {OUTLOOK: _outlook_headers, THUNDERBIRD: _thunderbird_headers, YAHOO: _yahoo_headers}.get(
        plan.style, _webmail_headers
    )(ctx, plan, subject)


def _local_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(VN))


def _outlook_headers(ctx: Context, plan: MailPlan, subject: str) -> tuple[Headers, Headers]:
    thread = base64.b64encode(bytes.fromhex(digest(plan.message_id)[:30])).decode("ascii")
    head = [
        ("From", _address(plan.profile.reporter, plan.sender)),
        ("To", _address("Cục Ứng dụng CNTT", ctx.ministry_address)),
        ("Subject", encoded_words(subject, "B")),
        ("Date", _local_date(plan.date_header)),
        ("Message-ID", plan.message_id),
        ("MIME-Version", "1.0"),
    ]
    tail = [
        ("X-Mailer", "Microsoft Office Outlook 12.0"),
        ("Thread-Index", "Acn" + thread),
        ("Content-Language", "vi"),
        ("X-MimeOLE", "Produced By Microsoft MimeOLE V6.00.2900.5579"),
    ]
    return head, tail


def _thunderbird_headers(ctx: Context, plan: MailPlan, subject: str) -> tuple[Headers, Headers]:
    head = [
        ("Message-ID", plan.message_id),
        ("Date", _local_date(plan.date_header)),
        ("From", _address(plan.profile.reporter, plan.sender, "B", "UTF-8")),
        ("User-Agent", "Thunderbird 2.0.0.21 (Windows/20090302)"),
        ("MIME-Version", "1.0"),
        ("To", f"<{ctx.ministry_address}>"),
        ("Subject", encoded_words(subject, "B", "UTF-8")),
    ]
    if plan.reply:
        reminder = f"<nhac-bao-cao.{ctx.label}@{domain(ctx.ministry_address)}>"
        head += [("References", reminder), ("In-Reply-To", reminder)]
    return head, []


def _webmail_headers(ctx: Context, plan: MailPlan, subject: str) -> tuple[Headers, Headers]:
    head = [
        ("Date", _local_date(plan.date_header)),
        ("From", _address(plan.profile.reporter, plan.sender, "Q")),
        ("To", _address("Cục Ứng dụng CNTT", ctx.ministry_address, "Q")),
        ("Message-ID", plan.message_id),
        ("Subject", encoded_words(subject, "Q")),
        ("MIME-Version", "1.0"),
    ]
    tail = [
        ("X-Originating-IP", f"[{plan.profile.lan_ip}]"),
        ("X-Mailer", "Zimbra 5.0.18_GA_3011.RHEL5_64 (ZimbraWebClient - FF3.0 (Win)/5.0.18_GA_3011.RHEL5_64)"),
    ]
    return head, tail


def _yahoo_headers(ctx: Context, plan: MailPlan, subject: str) -> tuple[Headers, Headers]:
    pacific = plan.date_header.astimezone(ZoneInfo("America/Los_Angeles"))
    head = [
        ("X-YMail-OSG", digest(plan.message_id)[:40]),
        ("X-Mailer", "YahooMailRC/1277.43 YahooMailWebService/0.7.289.15"),
        ("Message-ID", plan.message_id),
        ("Date", f"{format_datetime(pacific)} ({pacific.tzname()})"),
        ("From", _address(plan.profile.reporter, plan.sender, "Q")),
        ("Subject", encoded_words(subject, "Q")),
        ("To", ctx.ministry_address),
        ("MIME-Version", "1.0"),
    ]
    return head, []


# ---------------------------------------------------------------- Received headers


def our_received(ctx: Context, plan: MailPlan) -> str:
    """The header our own server writes on top: the receipt time that counts."""
    host = _sender_host(plan)
    smtp_id = digest(f"{plan.message_id}:mx")[:10].upper()
    return (
        f"from {host} ({host} [{_public_ip(host)}])\n\tby {ctx.mx_host} with ESMTPS id {smtp_id}\n\t"
        f"for <{ctx.ministry_address}>; {_local_date(plan.received_at)}"
    )


def sender_received(ctx: Context, plan: MailPlan) -> list[str]:
    """One or two hops inside the sender's own network, each a little earlier than the one above it."""
    rng = random.Random(digest(plan.message_id))
    sender_domain, host, lan = domain(plan.sender), _sender_host(plan), plan.profile.lan_ip
    last = plan.received_at - timedelta(seconds=rng.randint(1, 25))
    first = _local_date(last - timedelta(seconds=rng.randint(0, 6)))
    hop_id = digest(f"{plan.message_id}:hop")[:9].upper()
    exchange = "with Microsoft SMTPSVC(6.0.3790.3959)"
    if plan.style == OUTLOOK:
        hops = [
            f"from EXCH01.{sender_domain} ([10.1.1.5]) by {host} {exchange};\n\t {_local_date(last)}",
            f"from PC-{hop_id[:6]} ([{lan}]) by EXCH01.{sender_domain} {exchange};\n\t {first}",
        ]
    elif plan.style == YAHOO:
        hops = [f"from [{_public_ip(hop_id)}] by {host} via HTTP; {_local_date(last)}"]
    else:
        hops = [
            f"from localhost (localhost [127.0.0.1])\n\tby {host} (Postfix) with ESMTP id {hop_id}\n\t"
            f"for <{ctx.ministry_address}>; {_local_date(last)}",
            f"from [{lan}] (unknown [{lan}])\n\tby {host} (Postfix) with ESMTPSA id {hop_id[::-1]};\n\t{first}",
        ]
    return hops[: 1 + (rng.random() < 0.6)]


def _sender_host(plan: MailPlan) -> str:
    if plan.style == YAHOO:
        return f"web{int(digest(plan.sender)[:4], 16) % 90000 + 10000}.mail.re2.{domain(plan.sender)}"
    return f"mail.{domain(plan.sender)}"


def _public_ip(text: str) -> str:
    return f"192.0.2.{int(digest(text)[:4], 16) % 254 + 1}"
