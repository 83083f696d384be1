"""What a message's headers say: the receipt time our own server wrote, the sender, and whether our server
authenticated it (``Authentication-Results``). The sender's ``Date:`` is kept, never used for the deadline."""

from __future__ import annotations

import contextlib
import email
import email.headerregistry
import email.parser
import email.policy
import functools
import re
from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime

from ingestion.domain.records import FetchedMessage, InboundMessage
from ingestion.mailbox import mime_parser
from ingestion.mailbox.archive import message_hash

_BY_HOST = re.compile(r"\bby\s+([^\s;()]+)", re.IGNORECASE)


def fetched_to_inbound(fetched: FetchedMessage, mx_host: str, *, digest: str | None = None) -> InboundMessage:
    """A fetched message's headers; its MIME tree is parsed when it is decided (``parsed`` is None), so a batch
    never holds every message's tree at once and each tree's headers are read while they are cached.
    ``digest``: the message's hash when the caller has it already."""
    return to_inbound(
        fetched.raw,
        source=fetched.source,
        mx_host=mx_host,
        delivered_at=fetched.delivered_at,
        received_at=fetched.received_at,
        parse=False,
        digest=digest,
    )


class HeaderClasses(email.headerregistry.HeaderRegistry):
    """The default header registry, each header class made once per name: the stock registry makes a new class
    (``type(...)``) for every header it parses."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = super().__getitem__(name)
        return found


class ReadPolicy(email.policy.EmailPolicy):
    """``email.policy.default`` that parses each distinct header once: deciding a message reads a part's
    ``Content-Type`` and ``Content-Disposition`` a dozen times, and the same header texts recur across messages.
    The header objects are the ones the default policy makes (immutable), so what the message says is unchanged."""

    def header_fetch_parse(self, name: str, value: str):  # type: ignore[no-untyped-def]
        if hasattr(value, "name"):
            return value
        return _parsed_header(name, value)


READ_POLICY = ReadPolicy(header_factory=HeaderClasses())
_PARSE_HEADER = email.policy.EmailPolicy(header_factory=READ_POLICY.header_factory)


@functools.lru_cache(maxsize=1024)
def _parsed_header(name: str, value: str):  # type: ignore[no-untyped-def]
    return _PARSE_HEADER.header_fetch_parse(name, value)


def parse_bytes(raw: bytes) -> EmailMessage:
    """The message's MIME tree, as ``email.message_from_bytes(raw, policy=READ_POLICY)`` parses it (faster)."""
    return mime_parser.message_from_bytes(raw, policy=READ_POLICY)


def fetched_headers(msg: EmailMessage, names: Collection[str]) -> Iterator[tuple[str, str]]:
    """``msg.items()`` restricted to the header ``names`` (lowercase), in order, each header object made only when
    reached: a caller that stops early, or looks at two names among twenty, parses only what it reads."""
    for name, value in msg.raw_items():
        if name.lower() in names:
            yield name, msg.policy.header_fetch_parse(name, value)


# Headers the default policy parses as unstructured text: for these, a value in ASCII with no encoded word reads
# as itself, its line breaks removed (the policy's header object is that string), so ``fetched_texts`` gives it
# without making the object (a message's Received headers are its own, so no cache ever has them).
_UNSTRUCTURED_TEXTS = frozenset(("received", "authentication-results"))


def fetched_texts(msg: EmailMessage, names: Collection[str]) -> Iterator[tuple[str, str]]:
    """:func:`fetched_headers` as text (``str`` of each header object), for ``received`` and
    ``authentication-results`` headers."""
    for name, value in msg.raw_items():
        if name.lower() in names:
            if msg.policy is READ_POLICY and name.lower() in _UNSTRUCTURED_TEXTS and _plain(value):
                yield name, value.replace("\r", "").replace("\n", "")
            else:
                yield name, str(msg.policy.header_fetch_parse(name, value))


def _plain(value: object) -> bool:
    return type(value) is str and value.isascii() and "=?" not in value


def receipt_time(msg: EmailMessage, mx_host: str) -> datetime | None:
    """The time our own server received the message: the topmost ``Received:`` header added ``by mx_host``."""
    for _, header in fetched_texts(msg, ("received",)):
        text = " ".join(header.split())
        by = _BY_HOST.search(text)
        if not by or by.group(1).lower() != mx_host.lower() or ";" not in text:
            continue
        try:
            return parsedate_to_datetime(text.rsplit(";", 1)[1].strip()).astimezone(UTC)
        except (TypeError, ValueError):
            return None
    return None


def _date_header(msg: EmailMessage) -> datetime | None:
    try:
        value = msg["Date"]
        return value.datetime.astimezone(UTC) if value is not None and value.datetime else None
    except (TypeError, ValueError, AttributeError):
        return None


# Two line ends in a row (``\r\n``, ``\r`` and ``\n`` each end a line for ``email``): the first empty line.
_EMPTY_LINE = re.compile(rb"\n[\r\n]|\r\r")


def header_block(raw: bytes) -> bytes:
    """``raw`` up to its first empty line: all ``email`` reads as headers (it stops there at the latest), so a
    headers-only parse of it is a headers-only parse of ``raw`` without splitting the body into lines."""
    end = _EMPTY_LINE.search(raw)
    return raw if end is None else raw[: end.end()]


def parse_headers(raw: bytes) -> EmailMessage:
    """The header block only (fast on messages with large attachments), its headers read with ``READ_POLICY``.

    The block is split into headers under ``compat32``, whose splitting is the default policy's, so the parser's
    closing look at ``Content-Type`` (unique per message: its boundary) parses nothing; callers read headers only
    after the policy is set back, so every header they get is the default policy's object."""
    block = header_block(raw)
    msg = email.parser.BytesParser(_class=EmailMessage, policy=email.policy.compat32).parsebytes(
        block, headersonly=True
    )
    msg.policy = READ_POLICY
    return msg  # type: ignore[return-value]


def received_time(
    msg: EmailMessage, mx_host: str, *, delivered_at: float | None = None, received_at: datetime | None = None
) -> datetime | None:
    """The receipt time: ``received_at`` when the source knows it (IMAP INTERNALDATE), else our ``Received:``
    header, else the Maildir delivery time."""
    received = received_at.astimezone(UTC) if received_at is not None else receipt_time(msg, mx_host)
    if received is None and delivered_at is not None:
        received = datetime.fromtimestamp(delivered_at, UTC)
    return received


def to_inbound(
    raw: bytes,
    *,
    source: str,
    mx_host: str,
    delivered_at: float | None = None,
    received_at: datetime | None = None,
    parse: bool = True,
    digest: str | None = None,
) -> InboundMessage:
    """Headers that matter, and the message parsed once for every later stage (``parsed``; ``parse=False``: the
    headers are read alone, the tree is parsed by whoever needs it); the receipt time as :func:`received_time`
    says. The sender's ``Date:`` is kept, never used. A message whose MIME tree cannot be parsed (nested a
    thousand deep) gets its headers read alone and no ``parsed``: deciding it says why. ``digest``: the raw bytes'
    :func:`message_hash`, when the caller has it already."""
    parsed: EmailMessage | None = None
    if parse:
        with contextlib.suppress(Exception):
            parsed = parse_bytes(raw)
    msg = parsed if parsed is not None else parse_headers(raw)
    received = received_time(msg, mx_host, delivered_at=delivered_at, received_at=received_at)
    sender = parseaddr(str(msg.get("From", "")))[1].strip().lower() or None
    return InboundMessage(
        message_hash=digest or message_hash(raw),
        raw=raw,
        message_id=(str(msg["Message-ID"]).strip() if msg["Message-ID"] else None),
        sender=sender.replace("\x00", "") if sender else None,
        subject=str(msg.get("Subject", "")).replace("\x00", ""),
        date_header=_date_header(msg),
        received_at=received,
        source=source,
        parsed=parsed,
    )


_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*([a-z0-9_-]+)\s*=\s*([a-z]+)\b(.*)$", re.IGNORECASE | re.S)
_PROPERTY = re.compile(r"\b([a-z]+\.[a-z0-9_-]+)\s*=\s*\"?([^\s\";]+)", re.IGNORECASE)


def _aligned(signer: str, from_domain: str) -> bool:
    """DMARC relaxed alignment: the signing domain is the From domain or one of its parents (or children)."""
    signer, from_domain = signer.lower().rstrip("."), from_domain.lower().rstrip(".")
    return signer == from_domain or from_domain.endswith("." + signer) or signer.endswith("." + from_domain)


def authentication_failure(msg: EmailMessage, authserv_id: str, mx_host: str, sender: str | None) -> str | None:
    """Why the message is not authenticated by our own server, or None when it is.

    Only the topmost ``Authentication-Results`` header carrying ``authserv_id`` counts, and only when no
    ``Received`` header written by another host stands above it (a header below a foreign hop was written
    before the message reached us, so anyone could have written it). It passes with ``dmarc=pass``, or with
    ``dkim=pass`` whose ``header.d`` is aligned with the From domain."""
    from_domain = (sender or "").rsplit("@", 1)[-1] if sender and "@" in sender else ""
    foreign_hop = False
    for name, value in fetched_texts(msg, ("received", "authentication-results")):
        text = " ".join(value.split())
        if name.lower() == "received":
            by = _BY_HOST.search(text)
            if not by or by.group(1).lower() != mx_host.lower():
                foreign_hop = True
            continue
        if name.lower() != "authentication-results":
            continue
        clauses = _COMMENT.sub(" ", text).split(";")
        if [token.lower() for token in clauses[0].split()[:1]] != [authserv_id.lower()]:
            continue
        if foreign_hop:
            return f"Authentication-Results {authserv_id} below a Received by another host"
        results = [m for m in (_RESULT.match(c) for c in clauses[1:]) if m]
        for method, result, rest in ((m[1].lower(), m[2].lower(), m[3]) for m in results):
            if method == "dmarc" and result == "pass":
                return None
            if method == "dkim" and result == "pass":
                signer = dict((k.lower(), v) for k, v in _PROPERTY.findall(rest)).get("header.d", "")
                if from_domain and signer and _aligned(signer, from_domain):
                    return None
        return ", ".join(f"{m[1].lower()}={m[2].lower()}" for m in results) or "no results"
    return f"no Authentication-Results {authserv_id}"
