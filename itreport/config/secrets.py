"""Credentials never leave the process in what the product prints or logs: URLs and texts are redacted here."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<password>[^@\s/]*)@", re.IGNORECASE)
_PASSWORD_PARAM = re.compile(r"(?P<key>\bpassword=)(?P<value>[^&\s]+)", re.IGNORECASE)


def redact_url(url: str | None) -> str:
    """``url`` with its password (userinfo or ``password=`` query parameter) replaced by ``***``."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{hostport}"
    query = _PASSWORD_PARAM.sub(lambda m: m["key"] + MASK, parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """Every ``scheme://user:password@`` and ``password=…`` in free text (an error message, a log line) masked."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    return _PASSWORD_PARAM.sub(lambda m: m["key"] + MASK, text)
