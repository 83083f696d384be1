"""TCVN3 and VNI text (the fonts agencies typed in before Unicode) becomes Unicode NFC, also inside a form."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from datetime import date

import pytest
from support.mail_builders import form, tcvn3_form

from ingestion.documents.legacy_text import (
    TCVN3_TABLE,
    VNI_TABLE,
    LegacyEncoding,
    legacy_encoding,
    tcvn3_to_unicode,
    to_unicode,
    vni_to_unicode,
)

VIETNAMESE_LETTERS = "aáàảãạăắằẳẵặâấầẩẫậeéèẻẽẹêếềểễệiíìỉĩịoóòỏõọôốồổỗộơớờởỡợuúùủũụưứừửữựyýỳỷỹỵđ"


@pytest.mark.parametrize(
    ("tcvn3", "unicode"),
    [
        ("B¶o Th¾ng", "Bảo Thắng"),
        ("M\xadêng Kh\xad¬ng", "Mường Khương"),
        ("B¸t X¸t", "Bát Xát"),
        ("Uû ban nh©n d©n tØnh Hµ Giang", "Uỷ ban nhân dân tỉnh Hà Giang"),
        ("Sè l\xadîng m¸y tÝnh", "Số lượng máy tính"),
        ("§¬n vÞ b¸o c¸o", "Đơn vị báo cáo"),
        ("Kú b¸o c¸o", "Kỳ báo cáo"),
        ("Ng\xadêi b¸o c¸o", "Người báo cáo"),
    ],
)
def test_tcvn3_words(tcvn3, unicode):
    assert tcvn3_to_unicode(tcvn3) == unicode


def test_tcvn3_capitals_font_shows_lowercase_codes_as_capitals():
    assert to_unicode("b¸o c¸o th¸ng", LegacyEncoding.TCVN3_CAPS) == "BÁO CÁO THÁNG"


@pytest.mark.parametrize(
    ("vni", "unicode"),
    [
        ("Xin chaøo caùc baïn", "Xin chào các bạn"),
        ("Vieät Nam", "Việt Nam"),
        ("Haø Noäi", "Hà Nội"),
        ("Thaønh phoá Hoà Chí Minh", "Thành phố Hồ Chí Minh"),
        ("TÆNH HAØ GIANG", "TỈNH HÀ GIANG"),
        ("Ñoàng Nai, Ñaék Laék", "Đồng Nai, Đắk Lắk"),
        ("Khöông, ngöôøi, lôïi", "Khương, người, lợi"),
        ("Kyø baùo caùo", "Kỳ báo cáo"),
        ("Quaûng Trò", "Quảng Trị"),
    ],
)
def test_vni_words(vni, unicode):
    assert vni_to_unicode(vni) == unicode


def test_every_vietnamese_letter_has_one_code_in_each_table():
    for table in (TCVN3_TABLE, VNI_TABLE):
        targets = set(table.values())
        for letter in VIETNAMESE_LETTERS:
            if not letter.isascii():
                assert letter in targets, (letter, "missing")
                assert letter.upper() in targets or table is TCVN3_TABLE, (letter.upper(), "missing")
    assert all(unicodedata.is_normalized("NFC", text) for text in VNI_TABLE.values())
    assert len(VNI_TABLE) == 2 * 67


@pytest.mark.parametrize(
    ("font", "expected"),
    [
        (".VnTime", LegacyEncoding.TCVN3),
        (".VnArial", LegacyEncoding.TCVN3),
        (".VnTimeH", LegacyEncoding.TCVN3_CAPS),
        ("VNI-Times", LegacyEncoding.VNI),
        ("Times New Roman", None),
        (None, None),
    ],
)
def test_font_names(font, expected):
    assert legacy_encoding(font) == expected


def test_a_form_typed_in_tcvn3_parses_like_the_unicode_one():
    from ingestion.documents.docx_reader import parse_report
    from ingestion.domain.catalogue import default_catalogue

    catalogue = default_catalogue()
    original, legacy = form("P02", date(2009, 6, 1)), tcvn3_form("P02", date(2009, 6, 1), seed=12)
    original_xml, legacy_xml = (
        zipfile.ZipFile(io.BytesIO(d)).read("word/document.xml").decode() for d in (original, legacy)
    )
    assert "Hà Giang" in original_xml and "Hà Giang" not in legacy_xml and ".VnTime" in legacy_xml  # stored as TCVN3
    expected, parsed = parse_report(original, catalogue=catalogue), parse_report(legacy, catalogue=catalogue)
    assert parsed.unit_name == expected.unit_name and "Hà Giang" in parsed.unit_name
    assert parsed.period == expected.period and parsed.unit_code == "P02"
    assert {c: v.value_text for c, v in parsed.values.items()} == {c: v.value_text for c, v in expected.values.items()}
    assert parsed.problems == expected.problems


def test_text_without_font_names_is_recognised_as_tcvn3_by_its_characters():
    from ingestion.documents.legacy_text import guess_text_encoding

    tcvn3 = "|M· ®¬n vÞ |BYT |\n|Kú b¸o c¸o |07/2009 |\nSè liÖu øng dông c«ng nghÖ th«ng tin"
    assert guess_text_encoding(tcvn3) is LegacyEncoding.TCVN3
    assert guess_text_encoding(tcvn3_to_unicode(tcvn3)) is None
    assert guess_text_encoding("Báo cáo tháng 07/2009, nhiệt độ 30°C «tạm» — ½ số đơn vị") is None
    assert guess_text_encoding("BYT 07/2009 12 34,5") is None
    # a form typed in TCVN3 may keep a heading in Unicode; the statistics still say TCVN3
    assert guess_text_encoding("ỨNG DỤNG C«ng nghÖ th«ng tin cña Bé Y tÕ, b¸o c¸o th¸ng") is LegacyEncoding.TCVN3


def test_tcvn3_words_convert_and_unicode_words_stay():
    from ingestion.documents.legacy_text import tcvn3_words_to_unicode

    assert tcvn3_words_to_unicode("ỨNG DỤNG C¤NG NGHŒ TH¤NG TIN") == "ỨNG DỤNG CÔNG NGHỆ THÔNG TIN"
    assert tcvn3_words_to_unicode("|Kú b¸o c¸o   |07/2009  |") == "|Kỳ báo cáo   |07/2009  |"
