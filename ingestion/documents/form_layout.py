"""The report form's words, shared by the form writer (``form.py``) and the readers (``docx_reader``, the .doc
text reader): headings, labels and column names a filled form is recognised by, and how to send it."""

from __future__ import annotations

from datetime import date

from ingestion.domain.periods import DEFAULT_DEADLINE_DAY

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_SUBTITLE = "Độc lập - Tự do - Hạnh phúc"
TITLE = "BÁO CÁO TÌNH HÌNH ỨNG DỤNG CÔNG NGHỆ THÔNG TIN"
SOURCE_LETTER = "(Theo Công văn số 1485/BTTTT-UDCNTT ngày 22/5/2009 của Bộ Thông tin và Truyền thông)"

GENERAL_HEADING = "Thông tin chung"
INDICATORS_HEADING = "Số liệu ứng dụng công nghệ thông tin"
DIFFICULTIES_HEADING = "Khó khăn, vướng mắc"
PROPOSALS_HEADING = "Đề xuất, kiến nghị"

LABEL_UNIT_NAME = "Cơ quan báo cáo"
LABEL_UNIT_CODE = "Mã đơn vị"
LABEL_PERIOD = "Kỳ báo cáo"
LABEL_REPORTER = "Người lập báo cáo"

COLUMN_CODE = "Mã"
COLUMN_NAME = "Chỉ tiêu"
COLUMN_UNIT = "Đơn vị tính"
COLUMN_VALUE = "Giá trị"
COLUMN_NOTE = "Ghi chú"
INDICATOR_COLUMNS = (COLUMN_CODE, COLUMN_NAME, COLUMN_UNIT, COLUMN_VALUE, COLUMN_NOTE)


def format_form_period(period: date) -> str:
    return f"{period.month:02d}/{period.year:04d}"


def send_instructions(deadline_day: int = DEFAULT_DEADLINE_DAY) -> str:
    return (
        "Cách gửi: gửi báo cáo này (tệp .doc) bằng thư điện tử về Bộ trước ngày "
        f"{deadline_day} hằng tháng. Từ lần báo cáo thứ hai, nếu số liệu không thay đổi so với tháng trước, "
        'chỉ cần gửi thư điện tử với nội dung: "Báo cáo của (tên cơ quan) giống tháng (tên tháng)".'
    )
