from datetime import date

import pytest

from ingestion.decide.notices import find_notice, own_text
from ingestion.domain.text import fold_words


@pytest.mark.parametrize(
    ("body", "month", "year"),
    [
        ("Báo cáo của UBND tỉnh Hà Giang giống tháng 6", 6, None),
        ("Báo cáo của Bộ Y tế giống tháng sáu.", 6, None),
        ("Báo cáo của Bộ Y tế giống tháng 06/2009", 6, 2009),
        ("Kính gửi Cục ỨDCNTT,\nBáo cáo của Sở TT&TT giống T6/2009.\n--\nNguyễn Văn An", 6, 2009),
        ("Bao cao cua UBND tinh Ha Giang giong thang 5", 5, None),
        ("BÁO CÁO CỦA TỈNH LÀO CAI GIỐNG THÁNG NĂM NĂM 2009", 5, 2009),
        ("Báo cáo của tỉnh X giống tháng mười một", 11, None),
    ],
)
def test_notice_phrasings(body, month, year):
    notice = find_notice(body)
    assert notice is not None
    assert (notice.month, notice.year) == (month, year)


def test_quoted_reply_uses_the_senders_own_words_first():
    body = "Báo cáo của Bộ Tư pháp giống tháng 7\n\n> Báo cáo của Bộ Tư pháp giống tháng 5\n"
    assert own_text(body).strip() == "Báo cáo của Bộ Tư pháp giống tháng 7"
    assert find_notice(body).month == 7


@pytest.mark.parametrize("body", ["Xin cảm ơn", "Gửi báo cáo tháng 6 đính kèm", "giống như trên"])
def test_other_text_is_not_a_notice(body):
    assert find_notice(body) is None


def test_month_without_year_resolves_to_the_latest_before_receipt():
    notice = find_notice("Báo cáo của Bộ Y tế giống tháng 12")
    assert notice.same_as_period(date(2010, 1, 1)) == date(2009, 12, 1)
    assert notice.same_as_period(date(2009, 12, 1)) == date(2008, 12, 1)


def test_fold_removes_diacritics_and_d_stroke():
    assert fold_words("Đài Tiếng nói Việt Nam") == "dai tieng noi viet nam"
