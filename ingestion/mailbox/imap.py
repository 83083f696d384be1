"""The IMAP source: a mailbox folder read without changing it, remembering how far it was read.

The folder is selected read-only (EXAMINE) and bodies are fetched with ``BODY.PEEK[]``, so no flag is set and
nothing is deleted. The receipt time is the server's INTERNALDATE. ``raw.imap_state`` keeps, per account and
folder, the UIDVALIDITY and the highest UID read; the caller stores the new mark with :meth:`ImapSource.mark_read`
once every batch of the run is recorded, so a run that fails half-way reads the same messages again (the ledger
skips those a batch recorded). The plan fetches UIDs and INTERNALDATEs only; each batch fetches its bodies. When
the server reports another UIDVALIDITY (the folder was recreated or the server migrated), UIDs no longer mean
what they meant: the whole folder is read again, and the ledger (keyed by the bytes' hash) skips what it has.

The connection is secured one of three ways (``ImapAccount.security``): ``ssl``, TLS from the first byte (port
993); ``starttls``, a plain connection upgraded with STARTTLS before the login (port 143); a server that does not
offer STARTTLS is refused, never used in plain text; ``plain``, no TLS at all, for a server on loopback or tests.
The server's certificate and host name are always verified, against the system's trust store or, when
``ca_file`` is set, against that CA (a private one) only.
"""

from __future__ import annotations

import ipaddress
import logging
import ssl
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from ingestion.domain.records import FetchedMessage, IntakeBatch, PlannedMessage, SourcePlan

if TYPE_CHECKING:
    import psycopg
    from imapclient import IMAPClient

log = logging.getLogger(__name__)

BATCH_MESSAGES = 25
LIST_CHUNK = 1000  # UIDs per FETCH of sizes or dates
BATCH_BYTES = 32 * 1024 * 1024  # one FETCH brings at most this much (or one larger message)
TIMEOUT = 60.0

Security = Literal["ssl", "starttls", "plain"]
SECURITY_PORTS: dict[str, int] = {"ssl": 993, "starttls": 143, "plain": 143}  # the port when none is set


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    security: Security = "ssl"
    ca_file: str | None = None  # PEM file of the CA that signed the server's certificate; None: the system's

    def __post_init__(self) -> None:
        if self.security not in SECURITY_PORTS:
            raise ValueError(f"IMAP security must be one of {', '.join(SECURITY_PORTS)}, not {self.security!r}")

    @property
    def key(self) -> str:
        """The account in ``raw.imap_state``."""
        return f"{self.user}@{self.host}:{self.port}"

    @property
    def source(self) -> str:
        return f"imap:{self.host}/{self.folder}"


@dataclass(frozen=True)
class ReadMark:
    uidvalidity: int
    last_uid: int


class ImapError(RuntimeError):
    """The mailbox could not be read; intake stops rather than read nothing."""


class ImapSource:
    """Messages of one IMAP folder after the stored mark. Use as a context manager (connects, logs out)."""

    def __init__(self, account: ImapAccount) -> None:
        self.account = account
        self.name = account.source
        self.notes: list[str] = []
        self._client: IMAPClient | None = None
        self._new_mark: ReadMark | None = None

    def __enter__(self) -> ImapSource:
        from imapclient import IMAPClient

        account = self.account
        where = f"{account.host}:{account.port}"
        context = None if account.security == "plain" else _tls_context(account)
        if account.security == "plain" and not _loopback(account.host):
            log.warning("IMAP to %s without TLS: the password and every report cross the network in clear", where)
        try:
            client = IMAPClient(
                account.host, port=account.port, ssl=account.security == "ssl", ssl_context=context, timeout=TIMEOUT
            )
        except ssl.SSLCertVerificationError as error:
            raise ImapError(_untrusted(account, error)) from error
        except Exception as error:
            raise ImapError(f"cannot connect to IMAP server {where}: {error}") from error
        client.normalise_times = False  # INTERNALDATE with its offset, not naive local time
        if context is not None and account.security == "starttls":
            _start_tls(client, account, context)
        try:
            client.login(account.user, account.password)
        except Exception as error:
            _close(client)
            raise ImapError(f"IMAP login as {account.user} on {where} failed: {error}") from error
        self._client = client
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._client is not None:
            _close(self._client)
            self._client = None

    def plan(self, conn: psycopg.Connection, mx_host: str) -> SourcePlan:
        """The UIDs after the stored mark (all of them after a UIDVALIDITY change) with their INTERNALDATE: no
        bodies are fetched here."""
        client, account = self._connected(), self.account
        uidvalidity, uidnext = self._select(client)
        after = self._start_after(read_mark(conn, account), uidvalidity, uidnext)
        try:
            uids = sorted(uid for uid in client.search(["UID", f"{after + 1}:*"]) if uid > after)
            dates = {uid: data.get(b"INTERNALDATE") for uid, data in _fetch_chunks(client, uids, ["INTERNALDATE"])}
        except ImapError:
            raise
        except Exception as error:
            raise ImapError(f"cannot list IMAP folder {account.folder!r} of {account.key}: {error}") from error
        planned = [
            PlannedMessage(str(uid), _utc(dates[uid]) if dates.get(uid) is not None else None)
            for uid in uids
            if uid in dates
        ]
        return SourcePlan(planned, uidvalidity=uidvalidity, last_uid=max(uids, default=after))

    def read(self, conn: psycopg.Connection, batch: IntakeBatch) -> Iterator[tuple[str, FetchedMessage]]:
        """One batch's messages, fetched ``BATCH_MESSAGES`` (or ``BATCH_BYTES``) at a time."""
        client, account = self._connected(), self.account
        uidvalidity, _ = self._select(client)
        if batch.uidvalidity is not None and uidvalidity != batch.uidvalidity:
            raise ImapError(
                f"UIDVALIDITY of {account.source} changed from {batch.uidvalidity} to {uidvalidity} during the intake: "
                "the next run reads the folder again"
            )
        uids = [int(key) for key in batch.keys]
        try:
            listed = _fetch_chunks(client, uids, ["RFC822.SIZE"])
            sizes = {uid: int(data.get(b"RFC822.SIZE", 0)) for uid, data in listed}
        except Exception as error:
            raise ImapError(f"cannot list IMAP folder {account.folder!r} of {account.key}: {error}") from error
        for chunk in _batches(uids, sizes):
            try:
                response = client.fetch(chunk, ["BODY.PEEK[]", "INTERNALDATE"])
            except Exception as error:
                raise ImapError(f"cannot fetch from IMAP folder {account.folder!r}: {error}") from error
            for uid in chunk:
                data = response.get(uid)
                if data is None or b"BODY[]" not in data:
                    log.warning("IMAP %s UID %s disappeared before it was fetched", account.source, uid)
                    continue
                yield (
                    str(uid),
                    FetchedMessage(
                        raw=bytes(data[b"BODY[]"]), source=account.source, received_at=_utc(data[b"INTERNALDATE"])
                    ),
                )

    def remember(self, conn: psycopg.Connection, read: Iterable[tuple[str, str]]) -> None:
        return None  # the read mark says it, once every batch is in (mark_read)

    def mark_read(self, conn: psycopg.Connection, plan: SourcePlan) -> None:
        """Store how far the plan read; call in the transaction that finishes the run, after every batch loaded."""
        if plan.uidvalidity is not None and plan.last_uid is not None:
            write_mark(conn, self.account, ReadMark(plan.uidvalidity, plan.last_uid))

    def committed(self) -> None:
        return None  # the folder is read-only: nothing is moved or flagged

    def _select(self, client: IMAPClient) -> tuple[int, Any]:
        account = self.account
        try:
            selected = client.select_folder(account.folder, readonly=True)
        except Exception as error:
            raise ImapError(f"cannot open IMAP folder {account.folder!r} of {account.key}: {error}") from error
        if b"UIDVALIDITY" not in selected:
            raise ImapError(f"IMAP folder {account.folder!r} of {account.key} has no UIDVALIDITY")
        return int(selected[b"UIDVALIDITY"]), selected.get(b"UIDNEXT")

    def _start_after(self, mark: ReadMark | None, uidvalidity: int, uidnext: Any) -> int:
        source = self.account.source
        if mark is None:
            return 0
        if mark.uidvalidity != uidvalidity:
            note = (
                f"UIDVALIDITY of {source} changed from {mark.uidvalidity} to {uidvalidity}: "
                "reading the whole folder again (messages already in the ledger are skipped)"
            )
        elif uidnext is not None and int(uidnext) <= mark.last_uid:
            note = (
                f"UIDNEXT of {source} is {uidnext}, not above UID {mark.last_uid} already read, with the same "
                "UIDVALIDITY: reading the whole folder again (messages already in the ledger are skipped)"
            )
        else:
            return mark.last_uid
        log.warning(note)
        self.notes.append(note)
        return 0

    def _connected(self) -> IMAPClient:
        if self._client is None:
            raise ImapError("the IMAP source is used outside its 'with' block")
        return self._client


def _fetch_chunks(client: IMAPClient, uids: list[int], items: list[str]) -> Iterator[tuple[int, dict]]:
    """FETCH of small items (sizes, dates) for many UIDs, a bounded number per command."""
    for start in range(0, len(uids), LIST_CHUNK):
        yield from client.fetch(uids[start : start + LIST_CHUNK], items).items()


def _batches(uids: list[int], sizes: dict[int, int]) -> Iterator[list[int]]:
    batch: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if batch and (len(batch) >= BATCH_MESSAGES or total + size > BATCH_BYTES):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch


def _tls_context(account: ImapAccount) -> ssl.SSLContext:
    """Certificate and host name verified; trusted: the system's CAs, or only ``ca_file`` when it is set."""
    try:
        return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=account.ca_file)
    except (OSError, ssl.SSLError) as error:
        raise ImapError(f"cannot load the IMAP CA file {account.ca_file} (ITREPORT_IMAP_CA_FILE): {error}") from error


def _start_tls(client: IMAPClient, account: ImapAccount, context: ssl.SSLContext) -> None:
    """Upgrade the connection before the login; anything short of TLS closes it (no fallback to plain text)."""
    where = f"{account.host}:{account.port}"
    try:
        offered = b"STARTTLS" in client.capabilities()
    except Exception as error:
        _close(client, drop=True)
        raise ImapError(f"cannot read the capabilities of IMAP server {where}: {error}") from error
    if not offered:
        _close(client)
        raise ImapError(
            f"IMAP server {where} does not offer STARTTLS (ITREPORT_IMAP_SECURITY=starttls): not logging in "
            "without TLS; use ITREPORT_IMAP_SECURITY=ssl if the server speaks TLS on another port (usually 993)"
        )
    try:
        client.starttls(context)
    except ssl.SSLCertVerificationError as error:
        _close(client, drop=True)
        raise ImapError(_untrusted(account, error)) from error
    except Exception as error:
        _close(client, drop=True)
        raise ImapError(f"STARTTLS with IMAP server {where} failed: {error}") from error


def _untrusted(account: ImapAccount, error: ssl.SSLCertVerificationError) -> str:
    reason = error.verify_message or error.reason or str(error)
    message = f"the TLS certificate of IMAP server {account.host}:{account.port} is not trusted: {reason}"
    if account.ca_file:
        return f"{message} (checked against ITREPORT_IMAP_CA_FILE={account.ca_file})"
    return f"{message}; if a private CA issued it, set ITREPORT_IMAP_CA_FILE to that CA's certificate (PEM)"


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def _close(client: IMAPClient, *, drop: bool = False) -> None:
    """Log out; ``drop``: just close the socket (after a failed TLS handshake nothing more may be said)."""
    try:
        if not drop:
            client.logout()
            return
    except Exception:  # the connection may already be gone; logging out is a courtesy
        pass
    try:
        client.shutdown()
    except Exception:
        log.debug("closing the IMAP connection failed", exc_info=True)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ImapError(f"INTERNALDATE without a timezone: {moment}")
    return moment.astimezone(UTC)


def read_mark(conn: psycopg.Connection, account: ImapAccount) -> ReadMark | None:
    row = conn.execute(
        "select uidvalidity, last_uid from raw.imap_state where account = %s and folder = %s",
        (account.key, account.folder),
    ).fetchone()
    return ReadMark(int(row[0]), int(row[1])) if row else None


def write_mark(conn: psycopg.Connection, account: ImapAccount, mark: ReadMark) -> None:
    """Store the mark as it is: a mark set back (by an overlapping run) only makes the next run read again
    messages that the ledger then skips."""
    conn.execute(
        """
        insert into raw.imap_state (account, folder, uidvalidity, last_uid) values (%s, %s, %s, %s)
        on conflict (account, folder) do update
            set uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid, updated_at = now()
        """,
        (account.key, account.folder, mark.uidvalidity, mark.last_uid),
    )
