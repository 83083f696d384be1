"""Vietnamese text typed in the pre-Unicode fonts agencies still use, converted to Unicode NFC.

* TCVN3 (TCVN 5712:1993, the ``.VnTime`` / ``.VnArial`` … fonts): one byte per letter. The ``…H`` fonts
  (``.VnTimeH``) show the lowercase codes as capitals, so their text is upper-cased after conversion.
* VNI (``VNI-Times``, ``VNI-Helve`` …): a base letter followed by a mark character ("Vieät Nam").

Word keeps such text as the characters the 8-bit codes stand for in Windows-1252 (code 0xB8 is stored as
"¸", 0x80 as "€"); bytes that Windows-1252 leaves undefined come through as the same-numbered Latin-1 control
characters. Both forms are accepted. The TCVN3 table is glibc's ``TCVN5712-1`` (checked byte by byte with
``iconv``); the VNI table is built from the VNI marks below and checked against known VNI words in the tests.

Text that lost its font names (antiword's output of a .doc) is recognised as TCVN3 by character statistics:
:func:`guess_text_encoding`.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class LegacyEncoding(StrEnum):
    TCVN3 = "tcvn3"
    TCVN3_CAPS = "tcvn3_caps"
    VNI = "vni"


# TCVN 5712:1993 bytes 0x80-0xFF that differ from Latin-1, and ý (0xB0-0xB4 are combining tone marks).
_TCVN3_HIGH = {
    0x80: "À", 0x81: "Ả", 0x82: "Ã", 0x83: "Á", 0x84: "Ạ", 0x85: "Ặ", 0x86: "Ậ", 0x87: "È",
    0x88: "Ẻ", 0x89: "Ẽ", 0x8A: "É", 0x8B: "Ẹ", 0x8C: "Ệ", 0x8D: "Ì", 0x8E: "Ỉ", 0x8F: "Ĩ",
    0x90: "Í", 0x91: "Ị", 0x92: "Ò", 0x93: "Ỏ", 0x94: "Õ", 0x95: "Ó", 0x96: "Ọ", 0x97: "Ộ",
    0x98: "Ờ", 0x99: "Ở", 0x9A: "Ỡ", 0x9B: "Ớ", 0x9C: "Ợ", 0x9D: "Ù", 0x9E: "Ủ", 0x9F: "Ũ",
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ", 0xAF: "Ằ",
    0xB0: "\u0300", 0xB1: "\u0309", 0xB2: "\u0303", 0xB3: "\u0301", 0xB4: "\u0323",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ", 0xBA: "Ẳ", 0xBB: "ằ", 0xBC: "ẳ",
    0xBD: "ẵ", 0xBE: "ắ", 0xBF: "Ẵ", 0xC0: "Ắ", 0xC1: "Ầ", 0xC2: "Ẩ", 0xC3: "Ẫ", 0xC4: "Ấ",
    0xC5: "Ề", 0xC6: "ặ", 0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ", 0xCC: "è",
    0xCD: "Ể", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ", 0xD2: "ề", 0xD3: "ể", 0xD4: "ễ",
    0xD5: "ế", 0xD6: "ệ", 0xD7: "ì", 0xD8: "ỉ", 0xD9: "Ễ", 0xDA: "Ế", 0xDB: "Ồ", 0xDC: "ĩ",
    0xDD: "í", 0xDE: "ị", 0xDF: "ò", 0xE0: "Ổ", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ", 0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ",
    0xED: "ớ", 0xEE: "ợ", 0xEF: "ù", 0xF0: "Ỗ", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự", 0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ",
    0xFD: "ý", 0xFE: "ỵ", 0xFF: "Ố",
}  # fmt: skip
# TCVN 5712:1993 (VN1) puts the capitals Ú Ụ Ừ Ử Ữ Ứ Ự Ỳ Ỷ Ỹ Ý Ỵ in control codes; Word keeps them as such.
_TCVN3_LOW = {
    0x01: "Ú", 0x02: "Ụ", 0x04: "Ừ", 0x05: "Ử", 0x06: "Ữ", 0x11: "Ứ", 0x12: "Ự", 0x13: "Ỳ",
    0x14: "Ỷ", 0x15: "Ỹ", 0x16: "Ý", 0x17: "Ỵ",
}  # fmt: skip


def _as_word_shows(code: int) -> list[str]:
    """The characters Word may store for the 8-bit ``code``: its Windows-1252 character and its Latin-1 one."""
    shown = [chr(code)]
    try:
        cp1252 = bytes([code]).decode("cp1252")
    except UnicodeDecodeError:
        return shown
    return [cp1252, *shown] if cp1252 != chr(code) else shown


TCVN3_TABLE: dict[str, str] = {
    shown: text for code, text in (_TCVN3_HIGH | _TCVN3_LOW).items() for shown in _as_word_shows(code)
}

# VNI marks as characters (Windows-1252 view of the VNI font codes), for capitals and small letters.
_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
_CIRCUMFLEX, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
_VNI_TONES = {"Ù": _ACUTE, "Ø": _GRAVE, "Û": _HOOK, "Õ": _TILDE, "Ï": _DOT}
_VNI_CIRCUMFLEX = {"Â": "", "Á": _ACUTE, "À": _GRAVE, "Å": _HOOK, "Ã": _TILDE, "Ä": _DOT}
_VNI_BREVE = {"Ê": "", "É": _ACUTE, "È": _GRAVE, "Ú": _HOOK, "Ü": _TILDE, "Ë": _DOT}
# Letters VNI writes with a single code: Ơ Ư Đ, and I/Y with some tones.
_VNI_SINGLE = {"Ô": "O" + _HORN, "Ö": "U" + _HORN, "Ñ": "Đ", "Í": "I" + _ACUTE, "Ì": "I" + _GRAVE,
               "Æ": "I" + _HOOK, "Ó": "I" + _TILDE, "Ò": "I" + _DOT, "Î": "Y" + _DOT}  # fmt: skip


def _vni_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for capital in (True, False):
        case = str.upper if capital else str.lower

        def add(code: str, letters: str, *, case=case) -> None:
            table[case(code)] = unicodedata.normalize("NFC", case(letters[0]) + letters[1:])

        for code, letters in _VNI_SINGLE.items():
            add(code, letters)
        for base, marks in (("A", ""), ("E", ""), ("O", ""), ("U", ""), ("Y", ""), ("Ô", _HORN), ("Ö", _HORN)):
            letter = "O" if base == "Ô" else "U" if base == "Ö" else base
            for tone_code, tone in _VNI_TONES.items():
                if (base, tone_code) != ("Y", "Ï"):  # Ỵ is the single code Î
                    add(base + tone_code, letter + marks + tone)
        for base in ("A", "E", "O"):
            for code, tone in _VNI_CIRCUMFLEX.items():
                add(base + code, base + _CIRCUMFLEX + tone)
        for code, tone in _VNI_BREVE.items():
            add("A" + code, "A" + _BREVE + tone)
    return table


VNI_TABLE: dict[str, str] = _vni_table()
_VNI_PAIRS = {code: text for code, text in VNI_TABLE.items() if len(code) == 2}
_VNI_SINGLES = {code: text for code, text in VNI_TABLE.items() if len(code) == 1}


def legacy_encoding(font: str | None) -> LegacyEncoding | None:
    """The legacy encoding a font name implies: ``.Vn…`` → TCVN3 (``…H``: the capitals variant), ``VNI-…`` → VNI."""
    name = (font or "").strip()
    if name.startswith(".Vn") or (name.startswith("Vn") and name[2:3].isupper()):
        return LegacyEncoding.TCVN3_CAPS if name.endswith("H") else LegacyEncoding.TCVN3
    if name.upper().startswith("VNI-") or name.upper().startswith("VNI "):
        return LegacyEncoding.VNI
    return None


def tcvn3_to_unicode(text: str, *, capitals: bool = False) -> str:
    converted = unicodedata.normalize("NFC", "".join(TCVN3_TABLE.get(c, c) for c in text))
    return converted.upper() if capitals else converted


def vni_to_unicode(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        pair = _VNI_PAIRS.get(text[i : i + 2])
        if pair is not None:
            out.append(pair)
            i += 2
            continue
        out.append(_VNI_SINGLES.get(text[i], text[i]))
        i += 1
    return unicodedata.normalize("NFC", "".join(out))


def to_unicode(text: str, encoding: LegacyEncoding | None) -> str:
    """``text`` as Unicode NFC; unchanged (but NFC) when ``encoding`` is None."""
    if encoding is LegacyEncoding.VNI:
        return vni_to_unicode(text)
    if encoding in (LegacyEncoding.TCVN3, LegacyEncoding.TCVN3_CAPS):
        return tcvn3_to_unicode(text, capitals=encoding is LegacyEncoding.TCVN3_CAPS)
    return unicodedata.normalize("NFC", text)


# TCVN3 shows its commonest letters as the Windows-1252 signs 0xA1-0xBF (¸ µ ¶ ¹ = á à ả ạ, © ª « ¬ = â ê ô ơ,
# ® = đ …), which Vietnamese written in Unicode hardly uses; and Unicode Vietnamese is full of letters TCVN3
# cannot show as Windows-1252 (ă đ ơ ư, ạ ế ữ …).
_TCVN3_SIGNS = frozenset(chr(code) for code in range(0xA1, 0xC0))
_UNICODE_ONLY_LETTERS = frozenset("ĂăĐđĨĩŨũƠơƯư" + "".join(chr(code) for code in range(0x1EA0, 0x1EFA)))
_WORD = re.compile(r"\S+")


def guess_text_encoding(text: str) -> LegacyEncoding | None:
    """TCVN3 when ``text`` has at least 3 TCVN3 signs and more of them than Unicode-only Vietnamese letters."""
    signs = sum(c in _TCVN3_SIGNS for c in text)
    letters = sum(c in _UNICODE_ONLY_LETTERS for c in text)
    return LegacyEncoding.TCVN3 if signs >= 3 and signs > letters else None


def tcvn3_words_to_unicode(text: str) -> str:
    """TCVN3 text to Unicode NFC word by word, leaving words with a Unicode-only letter as they are (a form
    typed in TCVN3 may keep a few headings in Unicode). Spaces are kept, so padded columns stay aligned."""

    def convert(match: re.Match[str]) -> str:
        word = match[0]
        return word if any(c in _UNICODE_ONLY_LETTERS for c in word) else tcvn3_to_unicode(word)

    return _WORD.sub(convert, text)
