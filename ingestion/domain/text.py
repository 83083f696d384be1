"""Vietnamese text compared the way people read it: NFC, and folded (lower case, no diacritics, đ → d)."""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=16384)  # labels and names repeat in every form a run reads
def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics, one character per character of ``text`` (NFC)."""
    return "".join(_fold_char(c) for c in nfc(text))


@cache
def _fold_char(char: str) -> str:
    if char in "đĐ":
        return "d"
    return unicodedata.normalize("NFD", char)[0].lower() if char.isalpha() else char.lower()


def fold_words(text: str) -> str:
    """:func:`fold` with runs of white space (line breaks too) made one space, and trimmed."""
    return " ".join(fold(text).split())
