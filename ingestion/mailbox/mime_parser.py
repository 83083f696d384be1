"""The standard library's MIME parser (``email.feedparser``), its per-line and per-boundary costs cut.

Deciding a message parses its whole MIME tree, and a message is mostly its attachment's base64 lines: the stock
parser reads each line through two method calls, and compiles a regular expression for every multipart boundary
(each message has its own, so :mod:`re`'s cache never helps; compiling costs more than the rest of the part).
:class:`FeedParser` here is the stock parser's own code (its ``_parsegen`` runs unchanged, with other globals),
with two substitutions that give the same answers:

* a boundary line is recognised by ``str.startswith`` of the separator, then one precompiled expression for what
  may follow it (the stock pattern is ``re.escape(separator)`` followed by that same expression);
* the line buffer yields its next line in one call (the stock ``__next__`` calls ``readline``), and does not
  ask the boundary matchers about a line that does not start with ``--``;
* the line end at the end of a payload is looked for at its end (the stock search scans the whole payload).

The whole message is fed at once (the stock ``Parser`` feeds 8 KiB chunks; the feed parser gives the same tree
however its input is split).
"""

from __future__ import annotations

import email.feedparser
import re
import types
from email.message import EmailMessage
from email.policy import Policy

_STOCK = email.feedparser
_PREFIX = "(?P<sep>"
_SUFFIX = r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
_AFTER_SEPARATOR = re.compile(_SUFFIX[1:])


class _BoundaryMatcher:
    """``re.compile(re.escape(separator) + what may follow)``'s ``match``, without compiling per separator."""

    __slots__ = ("separator",)

    def __init__(self, separator: str) -> None:
        self.separator = separator

    def match(self, line: str) -> re.Match[str] | None:
        if not line.startswith(self.separator):
            return None
        return _AFTER_SEPARATOR.match(line, len(self.separator))


class _BoundaryRe:
    """What ``_parsegen`` reads of :mod:`re` (``escape`` and ``compile``): a boundary pattern becomes a
    :class:`_BoundaryMatcher`; any other pattern (none today) is compiled by :mod:`re`."""

    escape = staticmethod(re.escape)

    @staticmethod
    def compile(pattern: str, flags: int = 0) -> object:
        if not flags and pattern.startswith(_PREFIX) and pattern.endswith(_SUFFIX):
            escaped = pattern[len(_PREFIX) : -len(_SUFFIX)]
            separator = re.sub(r"\\(.)", r"\1", escaped, flags=re.S)
            if re.escape(separator) == escaped:
                return _BoundaryMatcher(separator)
        return re.compile(pattern, flags)


class _LineEnd:
    """``NLCRE_eol`` (``(\\r\\n|\\r|\\n)\\Z``) whose ``search`` looks at the last two characters only: a match
    ends at the end of the string, so it starts there at the earliest (the stock search scans a whole payload)."""

    __slots__ = ()

    @staticmethod
    def search(text: str) -> re.Match[str] | None:
        return _STOCK.NLCRE_eol.search(text, max(0, len(text) - 2))


class _Lines(_STOCK.BufferedSubFile):
    """The stock line buffer, ``__next__`` being ``readline`` inlined (same lines, same false ends of file). While
    every false end of file is a boundary, a line not starting with ``--`` is none: the matchers are not called."""

    def __init__(self) -> None:
        super().__init__()
        self._boundaries_only = True

    def push_eof_matcher(self, pred) -> None:  # type: ignore[no-untyped-def]
        super().push_eof_matcher(pred)
        self._boundaries_only = self._only_boundaries()

    def pop_eof_matcher(self):  # type: ignore[no-untyped-def]
        pred = super().pop_eof_matcher()
        self._boundaries_only = self._only_boundaries()
        return pred

    def _only_boundaries(self) -> bool:
        return all(isinstance(getattr(pred, "__self__", None), _BoundaryMatcher) for pred in self._eofstack)

    def __next__(self) -> str:
        lines = self._lines
        if not lines:
            if self._closed:
                raise StopIteration
            return _STOCK.NeedMoreData  # type: ignore[return-value]
        line = lines.popleft()
        if self._boundaries_only and not line.startswith("--"):
            return line
        for ateof in reversed(self._eofstack):
            if ateof(line):
                lines.appendleft(line)
                raise StopIteration
        return line


_STOCK_PARSEGEN = _STOCK.FeedParser._parsegen
_PARSEGEN = types.FunctionType(
    _STOCK_PARSEGEN.__code__,
    {**vars(_STOCK), "re": _BoundaryRe, "NLCRE_eol": _LineEnd},
    _STOCK_PARSEGEN.__name__,
    _STOCK_PARSEGEN.__defaults__,
    _STOCK_PARSEGEN.__closure__,
)


class FeedParser(_STOCK.FeedParser):
    """``email.feedparser.FeedParser`` with the substitutions above."""

    _parsegen = _PARSEGEN

    def __init__(self, _factory=None, *, policy: Policy) -> None:  # type: ignore[no-untyped-def]
        super().__init__(_factory, policy=policy)
        self._input = _Lines()


def message_from_bytes(raw: bytes, *, policy: Policy) -> EmailMessage:
    """``email.message_from_bytes(raw, policy=policy)``, the same tree, parsed by :class:`FeedParser`."""
    parser = FeedParser(policy=policy)
    parser.feed(raw.decode("ASCII", errors="surrogateescape"))
    return parser.close()  # type: ignore[return-value]
