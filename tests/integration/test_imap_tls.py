"""IMAP over TLS against a real server: pymap with a certificate from a throw-away CA offers STARTTLS, and a
relay gives a plain pymap implicit TLS (pymap has no such listener). Settings come from the environment
variables; the certificate and its host name are verified, a server that does not offer STARTTLS is refused
when STARTTLS is required (no fallback to plain text), and plain IMAP still works."""

from __future__ import annotations

import dataclasses
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from types import SimpleNamespace

import pytest
from support.imap_server import HOST, PASSWORD, USER, ImapTestServer, TlsRelay, make_certificates
from support.scratch import scratch_settings

from ingestion.mailbox.archive import message_hash
from ingestion.mailbox.imap import ImapAccount, ImapError, ImapSource

pytestmark = pytest.mark.xdist_group("imap")

SCRATCH_DB = "itreport_imap_tls"


def _message(number: int) -> tuple[bytes, datetime]:
    msg = EmailMessage()
    msg["From"] = "vanthu@yahoo.example"
    msg["To"] = "baocao.cntt@mic.gov.example"
    msg["Subject"] = f"Hỏi về báo cáo tháng 7 ({number})"
    msg["Date"] = "Fri, 10 Jul 2009 09:00:00 +0700"
    msg["Message-ID"] = f"<{number}@tls.test>"
    msg.set_content("Xin hỏi Cục về mẫu báo cáo.")
    return msg.as_bytes(policy=SMTP), datetime(2009, 7, 10, 2, number, tzinfo=UTC)


MESSAGES = [_message(1), _message(2)]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """``starttls``: pymap offering STARTTLS; ``plain``: pymap without TLS; ``ssl``: implicit TLS in front of it."""
    folder = tmp_path_factory.mktemp("imap-tls")
    certificates = make_certificates(folder / "certs")
    (folder / "starttls").mkdir()
    (folder / "plain").mkdir()
    starttls = ImapTestServer(folder / "starttls", certificates)
    plain = ImapTestServer(folder / "plain")
    relay = TlsRelay(plain.port, certificates)
    started = []
    try:
        for server in (starttls, plain, relay):
            server.start()
            started.append(server)
        starttls.append(MESSAGES)
        plain.append(MESSAGES)
        yield SimpleNamespace(ca=str(certificates.ca), starttls=starttls.port, plain=plain.port, ssl=relay.port)
    finally:
        for server in reversed(started):
            server.stop()


@pytest.fixture(scope="module")
def scratch(settings, tmp_path_factory):
    return scratch_settings(settings, tmp_path_factory.mktemp("imap-tls-home"), SCRATCH_DB)


def _account(port: int, host: str = HOST, **variables: str) -> ImapAccount:
    from itreport.config.settings import Settings

    env = {
        "ITREPORT_IMAP_HOST": host,
        "ITREPORT_IMAP_PORT": str(port),
        "ITREPORT_IMAP_USER": USER,
        "ITREPORT_IMAP_PASSWORD": PASSWORD,
    }
    env.update({f"ITREPORT_IMAP_{name.upper()}": value for name, value in variables.items()})
    return Settings.from_env(env).imap


def _reads_every_message(scratch, account: ImapAccount) -> None:
    """run_intake over this account reads both messages (the ledger may have them from another account)."""
    import psycopg

    from itreport.orchestration.intake_run import run_intake

    counts = run_intake(dataclasses.replace(scratch, imap=account))
    assert counts.seen == len(MESSAGES)
    with psycopg.connect(scratch.warehouse_url) as conn:
        ledger = {row[0] for row in conn.execute("select message_hash from raw.messages")}
    assert {message_hash(raw) for raw, _ in MESSAGES} <= ledger


def _connect(account: ImapAccount) -> None:
    with ImapSource(account):
        pass


def test_starttls_with_the_private_ca_reads_the_messages(servers, scratch):
    account = _account(servers.starttls, security="starttls", ca_file=servers.ca)
    assert (account.security, account.ca_file) == ("starttls", servers.ca)
    _reads_every_message(scratch, account)
    with ImapSource(account) as source:
        sock = source._client.socket()
        assert isinstance(sock, ssl.SSLSocket)
        assert sock.getpeercert()["subjectAltName"] == (("IP Address", HOST),)


def test_starttls_without_trusting_the_ca_fails_on_the_certificate(servers):
    account = _account(servers.starttls, security="starttls")
    message = (
        rf"the TLS certificate of IMAP server {HOST}:{servers.starttls} is not trusted: unable to get local issuer "
        r"certificate; if a private CA issued it, set ITREPORT_IMAP_CA_FILE"
    )
    with pytest.raises(ImapError, match=message) as failure:
        _connect(account)
    assert isinstance(failure.value.__cause__, ssl.SSLCertVerificationError)


def test_the_host_name_is_verified(servers):
    """The certificate is for 127.0.0.1: the same server reached as "localhost" is refused, CA trusted or not."""
    account = _account(servers.starttls, host="localhost", security="starttls", ca_file=servers.ca)
    with pytest.raises(ImapError, match=r"not trusted: Hostname mismatch.*\(checked against ITREPORT_IMAP_CA_FILE="):
        _connect(account)


def test_starttls_never_falls_back_to_plain(servers):
    account = _account(servers.plain, security="starttls", ca_file=servers.ca)
    with pytest.raises(ImapError, match=rf"IMAP server {HOST}:{servers.plain} does not offer STARTTLS"):
        _connect(account)


def test_implicit_tls_reads_the_messages_and_verifies_the_certificate(servers, scratch):
    account = _account(servers.ssl, security="ssl", ca_file=servers.ca)
    _reads_every_message(scratch, account)
    with ImapSource(account) as source:
        assert isinstance(source._client.socket(), ssl.SSLSocket)
    with pytest.raises(ImapError, match="not trusted: unable to get local issuer certificate") as failure:
        _connect(_account(servers.ssl, ssl="true"))
    assert isinstance(failure.value.__cause__, ssl.SSLCertVerificationError)


def test_plain_still_works(servers, scratch):
    account = _account(servers.plain, security="plain")
    _reads_every_message(scratch, account)
    with ImapSource(account) as source:
        assert not isinstance(source._client.socket(), ssl.SSLSocket)
    assert _account(servers.plain, ssl="false") == account  # the older ITREPORT_IMAP_SSL=false


def test_an_unreadable_ca_file_is_a_clear_error(servers, tmp_path):
    account = _account(servers.starttls, security="starttls", ca_file=str(tmp_path / "missing.pem"))
    with pytest.raises(ImapError, match=r"cannot load the IMAP CA file .*missing\.pem \(ITREPORT_IMAP_CA_FILE\)"):
        _connect(account)
