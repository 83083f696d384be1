"""A real IMAP server for tests: pymap's in-memory backend on a free loopback port, in a process of its own.

Its mailboxes live in memory, so a restart empties them and gives each folder a new UIDVALIDITY, as a server
migration does. Given a certificate (:func:`make_certificates`: a throw-away CA and a server certificate for
127.0.0.1) pymap offers STARTTLS and refuses LOGIN before it; pymap has no implicit-TLS listener, so
:class:`TlsRelay` puts one (port 993 style) in front of a plain server."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

HOST = "127.0.0.1"
USER = "baocao.cntt@mic.gov.example"
PASSWORD = "mat-khau-thu"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Certificates:
    ca: Path  # the CA's certificate (what ITREPORT_IMAP_CA_FILE points at)
    cert: Path  # the server's certificate, for 127.0.0.1 only
    key: Path  # its private key


def make_certificates(folder: Path) -> Certificates:
    """A throw-away CA and a server certificate it signs, valid for the IP address 127.0.0.1 (not "localhost")."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(UTC)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "itreport test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # keyCertSign, cRLSign
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address(HOST))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    files = Certificates(ca=folder / "ca.pem", cert=folder / "server.pem", key=folder / "server.key")
    files.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return files


class ImapTestServer:
    """pymap on loopback: plain IMAP, or with ``certificates`` STARTTLS (required before LOGIN)."""

    def __init__(self, log_dir: Path, certificates: Certificates | None = None) -> None:
        self.port = free_port()
        self.log_dir = log_dir
        self.certificates = certificates
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> None:
        if self.certificates is None:
            tls: tuple[str, ...] = ("--no-tls",)
        else:
            tls = ("--cert", str(self.certificates.cert), "--key", str(self.certificates.key))
        command = [
            sys.executable,
            "-c",
            "from pymap.main import main; main()",
            *("--host", HOST, "--port", str(self.port), *tls),
            *("dict", "--demo-user", USER, "--demo-password", PASSWORD),
        ]
        log = (self.log_dir / "pymap.log").open("ab")
        self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"pymap exited with {self._process.returncode}; see {self.log_dir / 'pymap.log'}")
            try:
                socket.create_connection((HOST, self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"pymap did not listen on {HOST}:{self.port} within {timeout:g} s")

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def restart(self) -> None:
        """A new, empty server on the same port: every folder gets a new UIDVALIDITY."""
        self.stop()
        self.start()

    def client(self):  # -> imapclient.IMAPClient, logged in
        from imapclient import IMAPClient

        client = IMAPClient(HOST, port=self.port, ssl=False, timeout=30)
        client.normalise_times = False
        if self.certificates is not None:
            client.starttls(ssl.create_default_context(cafile=self.certificates.ca))
        client.login(USER, PASSWORD)
        return client

    def append(self, messages: list[tuple[bytes, datetime]], folder: str = "INBOX") -> None:
        """APPEND each message with its INTERNALDATE, in order."""
        client = self.client()
        try:
            for raw, internaldate in messages:
                client.append(folder, raw, msg_time=internaldate)
        finally:
            client.logout()

    def uidvalidity(self, folder: str = "INBOX") -> int:
        client = self.client()
        try:
            return int(client.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"])
        finally:
            client.logout()


class TlsRelay:
    """Implicit TLS on a free loopback port, relayed in clear to a plain server (pymap only offers STARTTLS).

    Runs an asyncio loop in a thread of the test process; a client that fails the handshake is just dropped."""

    def __init__(self, upstream_port: int, certificates: Certificates) -> None:
        self.port = free_port()
        self.upstream_port = upstream_port
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(certificates.cert, certificates.key)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def start(self, timeout: float = 10.0) -> None:
        ready = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(ready),), daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise RuntimeError(f"the TLS relay did not listen on {HOST}:{self.port} within {timeout:g} s")

    def stop(self) -> None:
        if self._thread is None or self._loop is None or self._stop is None:
            return
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)
        self._thread = None

    async def _serve(self, ready: threading.Event) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        server = await asyncio.start_server(self._relay, HOST, self.port, ssl=self._context)
        async with server:
            ready.set()
            await self._stop.wait()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(HOST, self.upstream_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except (OSError, ssl.SSLError):
        pass
    finally:
        sink.close()
