"""The faster MIME parser gives the stock parser's tree, defects included."""

from __future__ import annotations

import email

import pytest

from ingestion.mailbox.headers import READ_POLICY
from ingestion.mailbox.mime_parser import message_from_bytes

NESTED = (
    b'From: a@b.example\nContent-Type: multipart/mixed; boundary="a.b*c+(x)"\n\npreamble\n'
    b"--a.b*c+(x)\nContent-Type: multipart/alternative; boundary=inner\n\n--inner\nContent-Type: text/plain\n\n"
    b"hi\n--inner\nContent-Type: text/html\n\n<p>hi</p>\n--inner--\n"
    b"--a.b*c+(x)\nContent-Type: application/octet-stream; name=f.docx\nContent-Transfer-Encoding: base64\n\n"
    b"UEsDBBQAAAAIAA==\nUEsDBBQAAAAIAA==\n--a.b*c+(x)-- \t\nepilogue\n"
)
MESSAGES = [
    b"",
    b"\n\n",
    b"From: a@b.example\r\n\r\nbody",
    NESTED,
    NESTED.replace(b"\n", b"\r\n"),
    NESTED.replace(b"\n", b"\r"),
    NESTED[: len(NESTED) // 2],  # cut short: no closing boundary
    NESTED.replace(b"--inner--\n", b""),  # an inner part never closed
    b"Content-Type: multipart/mixed; boundary=x\n\n--x\n--x--x\n--xx\n--x--\n",
    b"Content-Type: multipart/mixed\n\nno boundary parameter\n",
    b"Content-Type: multipart/report; boundary=r\n\n--r\nContent-Type: message/delivery-status\n\n"
    b"Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b\n--from a dash\n\n--r\n"
    b"Content-Type: message/rfc822\n\nFrom: c@d\nContent-Type: multipart/mixed; boundary=q\n\n--q\n\n"
    b"inner\r\n--q--\r\n--r--\n",
]


def _tree(message: email.message.Message) -> list[object]:
    return [
        (
            list(part.raw_items()),
            part.preamble,
            part.epilogue,
            [type(defect).__name__ for defect in part.defects],
            None if part.is_multipart() else part.get_payload(),
        )
        for part in message.walk()
    ]


@pytest.mark.parametrize("raw", MESSAGES)
def test_same_tree_as_the_stock_parser(raw: bytes) -> None:
    stock = email.message_from_bytes(raw, policy=READ_POLICY)
    assert _tree(message_from_bytes(raw, policy=READ_POLICY)) == _tree(stock)
