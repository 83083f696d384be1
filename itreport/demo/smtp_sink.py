"""A local SMTP server that writes every message it receives as an .eml file (the embedded default's outbox).

Real SMTP on loopback (aiosmtpd): the product sends through the same code path as in production.
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from ingestion.domain.private_files import private_dir, write_private


class _EmlWriter:
    """Names each message ``<arrival number>-<content digest>.eml``, numbered on from what the outbox held when the
    first message arrived (counted once: counting per message made every send slower as the outbox grew)."""

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox
        self.count: int | None = None

    async def handle_DATA(self, server, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        digest = hashlib.sha256(data).hexdigest()[:16]
        private_dir(self.outbox)
        if self.count is None:
            self.count = len(list(self.outbox.glob("*.eml")))
        self.count += 1
        write_private(self.outbox / f"{self.count:05d}-{digest}.eml", data)
        return "250 Message accepted for delivery"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextmanager
def running_sink(outbox: Path, host: str = "127.0.0.1", port: int | None = None) -> Iterator[str]:
    """Run the sink for the duration of the block; yields its ``smtp://host:port`` URL."""
    port = port or free_port(host)
    controller = Controller(_EmlWriter(outbox), hostname=host, port=port)
    controller.start()
    try:
        yield f"smtp://{host}:{port}"
    finally:
        controller.stop()
