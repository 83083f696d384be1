"""A real IMAP server for tests: pymap's in-memory backend on a free loopback port, in a process of its own.

Its mailboxes live in memory, so a restart empties them and gives each folder a new UIDVALIDITY, as a server
migration does."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

HOST = "127.0.0.1"
USER = "baocao.cntt@mic.gov.example"
PASSWORD = "mat-khau-thu"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class ImapTestServer:
    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.log_dir = log_dir
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> None:
        command = [
            sys.executable,
            "-c",
            "from pymap.main import main; main()",
            *("--host", HOST, "--port", str(self.port), "--no-tls"),
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
