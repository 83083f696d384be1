"""What people wrote: reporters' names, file names, subjects, letters, "same as" sentences and signatures."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

from ingestion.domain.periods import add_months
from ingestion.domain.registry import ReportingUnit
from ingestion.domain.text import nfc

from .records import NO_ATTACHMENT, NOTICE, VN, WEBMAIL, Context, MailPlan, Profile, digest

MONTH_WORDS = {
    1: "giêng", 2: "hai", 3: "ba", 4: "tư", 5: "năm", 6: "sáu",
    7: "bảy", 8: "tám", 9: "chín", 10: "mười", 11: "mười một", 12: "mười hai",
}  # fmt: skip
REPORTERS = (
    "Nguyễn Văn Hùng", "Trần Thị Mai", "Lê Minh Tuấn", "Phạm Thị Hương", "Hoàng Văn Dũng", "Vũ Thị Lan",
    "Đặng Quốc Khánh", "Bùi Thị Thu Hà", "Đỗ Mạnh Cường", "Ngô Thị Bích Ngọc", "Dương Văn Thắng",
    "Lý Thị Hồng", "Phan Thanh Sơn", "Võ Thị Kim Oanh", "Đinh Công Trứ", "Trương Thị Hạnh",
    "Hồ Đức Thịnh", "Mai Thị Phương", "Tạ Quang Huy", "Lương Thị Thuý", "Chu Văn Long", "Kiều Thị Yến",
)  # fmt: skip
DIFFICULTIES = (
    "Kinh phí dành cho ứng dụng công nghệ thông tin còn hạn chế, chưa đáp ứng nhu cầu.",
    "Đội ngũ cán bộ chuyên trách công nghệ thông tin còn thiếu, chưa được đào tạo bài bản.",
    "Hạ tầng mạng tại các đơn vị ở vùng sâu, vùng xa chưa bảo đảm đường truyền ổn định.",
    "Nhận thức của một số cán bộ, công chức về ứng dụng công nghệ thông tin chưa đầy đủ.",
    "Các phần mềm dùng chung chưa được kết nối, liên thông với nhau.",
    "Nhiều máy tính đã cũ, cấu hình thấp, thường xuyên hỏng hóc.",
)
PROPOSALS = (
    "Đề nghị Bộ Thông tin và Truyền thông hướng dẫn tiêu chí xác định mức độ dịch vụ công trực tuyến.",
    "Đề nghị bố trí kinh phí hỗ trợ đào tạo cán bộ chuyên trách công nghệ thông tin.",
    "Đề nghị Bộ sớm ban hành quy định về sử dụng chữ ký số trong trao đổi văn bản điện tử.",
    "Đề nghị Bộ tổ chức tập huấn sử dụng phần mềm quản lý văn bản và điều hành.",
    "Mong Bộ xây dựng phần mềm báo cáo trực tuyến thay cho việc gửi tệp qua thư điện tử.",
)
ATTACHMENT_NAMES = (
    "Báo cáo CNTT tháng {m}-{y}.{ext}",
    "BC ứng dụng CNTT T{mm}.{y} - {short}.{ext}",
    "Bao cao thang {m} nam {y}.{ext}",
    "Báo cáo tháng {mm}.{y}.{ext}",
    "{code}_BaoCaoCNTT_{y}{mm}.{ext}",
)
REPORT_SUBJECTS = (
    "Báo cáo tình hình ứng dụng CNTT tháng {m}/{y}",
    "BC ứng dụng CNTT tháng {mm}/{y} - {short}",
    "Bao cao CNTT thang {m} nam {y}",
    "V/v gửi báo cáo ứng dụng CNTT tháng {m}",
    "[{short}] Báo cáo tháng {m}-{y}",
)
NOTICE_SUBJECTS = ("Báo cáo CNTT tháng {m}/{y}", "Bao cao thang {m}", "V/v báo cáo ứng dụng CNTT tháng {m}/{y}")
RESEND_PREFIXES = {"duplicate": "Gửi lại: ", "corrupt": "Gửi lại (tệp lỗi): ", "forgotten": "Re: "}
NOTICE_PHRASES = (
    "Báo cáo của {agency} giống tháng {m}.",
    "Báo cáo của {agency} giống tháng {mm}/{y}.",
    "Báo cáo của {agency} giống tháng {word}.",
    "Bao cao cua {agency} giong thang {m}.",
)


def short_name(unit: ReportingUnit) -> str:
    for prefix in ("Tỉnh ", "Thành phố "):
        if unit.name_vi.startswith(prefix):
            return unit.name_vi[len(prefix) :]
    return unit.name_vi


def agency_name(unit: ReportingUnit) -> str:
    """How an agency names itself in a letter: provinces write "UBND tỉnh ...", others their own name."""
    if unit.unit_type in ("province", "central_city"):
        return "UBND " + unit.name_vi[0].lower() + unit.name_vi[1:]
    return unit.name_vi


def strip_marks(text: str) -> str:
    """Vietnamese without diacritics, as typed without a Vietnamese keyboard ('Báo cáo' → 'Bao cao'); unlike
    ``ingestion.domain.text.fold`` it keeps the case."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def attachment_name(profile: Profile, period: date, ext: str) -> str:
    pattern = ATTACHMENT_NAMES[profile.name_pattern]
    return _fill(pattern, profile.unit, period, ext=ext, code=profile.unit.unit_code)


def _fill(pattern: str, unit: ReportingUnit, period: date, **more: str) -> str:
    return nfc(pattern.format(m=period.month, mm=f"{period.month:02d}", y=period.year, short=short_name(unit), **more))


def subject_for(ctx: Context, plan: MailPlan) -> str:
    if plan.reply:
        return _fill("Re: Nhắc gửi báo cáo ứng dụng CNTT tháng {mm}/{y}", plan.profile.unit, ctx.period)
    patterns = NOTICE_SUBJECTS if plan.content == NOTICE else REPORT_SUBJECTS
    return RESEND_PREFIXES.get(plan.resend, "") + _fill(ctx.rng.choice(patterns), plan.profile.unit, ctx.period)


def signature(profile: Profile) -> str:
    unit = profile.unit
    office = (
        f"Văn phòng {agency_name(unit)}"
        if unit.unit_type in ("province", "central_city")
        else (f"Trung tâm Tin học - {unit.name_vi}")
    )
    phone = "".join(str(int(c, 16) % 10) for c in digest(unit.unit_code)[:7])
    return f"-- \n{profile.reporter}\n{office}\nĐT: 04.{phone}"


def body_for(ctx: Context, plan: MailPlan) -> str:
    return notice_body(ctx, plan) if plan.content == NOTICE else report_body(ctx, plan)


def report_body(ctx: Context, plan: MailPlan) -> str:
    agency, month = agency_name(plan.profile.unit), f"{ctx.period.month}/{ctx.period.year}"
    middles = {
        "duplicate": f"{agency} gửi lại báo cáo tháng {month} (e rằng thư trước chưa tới được Cục).",
        "corrupt": "Xin gửi lại tệp báo cáo, tệp đính kèm trong thư trước bị lỗi không mở được.",
        "forgotten": "Xin lỗi, thư trước quên đính kèm tệp báo cáo. Xin gửi lại kèm tệp.",
    }
    middle = middles.get(
        plan.resend,
        f"{agency} xin gửi báo cáo tình hình ứng dụng công nghệ thông tin tháng {month}"
        + ("." if plan.content == NO_ATTACHMENT else " theo Công văn số 1485/BTTTT-UDCNTT (tệp đính kèm)."),
    )
    body = (
        "Kính gửi: Cục Ứng dụng công nghệ thông tin - Bộ Thông tin và Truyền thông.\n\n"
        f"{middle}\n\nXin cảm ơn.\nTrân trọng./.\n\n{signature(plan.profile)}\n"
    )
    return strip_marks(body) if plan.style == WEBMAIL and ctx.rng.random() < 0.3 else body


def notice_sentence(ctx: Context, plan: MailPlan) -> str:
    """ "Báo cáo của (tên cơ quan) giống tháng (tên tháng)", naming the month before the period."""
    before = add_months(ctx.period, -1)
    pattern = NOTICE_PHRASES[plan.notice_phrase % len(NOTICE_PHRASES)]
    text = pattern.format(
        agency=agency_name(plan.profile.unit),
        m=before.month,
        mm=f"{before.month:02d}",
        y=before.year,
        word=MONTH_WORDS[before.month],
    )
    return strip_marks(text) if pattern.isascii() else text


def notice_body(ctx: Context, plan: MailPlan) -> str:
    sentence, sign = notice_sentence(ctx, plan), signature(plan.profile)
    if plan.reply:
        return nfc(f"{sentence}\n\nTrân trọng,\n{sign}\n\n{_quoted_reminder(ctx, plan)}")
    body = f"Kính gửi Cục Ứng dụng CNTT,\n\n{sentence}\n\nTrân trọng,\n{sign}\n"
    return strip_marks(body) if sentence.isascii() else nfc(body)


def _quoted_reminder(ctx: Context, plan: MailPlan) -> str:
    """The ministry's reminder, quoted below the reply; it quotes the notice template itself."""
    sent = (plan.received_at - timedelta(days=2)).astimezone(VN).replace(hour=8, minute=30, second=0)
    month = f"{ctx.period.month:02d}/{ctx.period.year}"
    reminder = (
        "Kính gửi các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ và UBND các tỉnh, thành phố,\n"
        f"Cục Ứng dụng CNTT đề nghị Quý cơ quan gửi báo cáo tình hình ứng dụng CNTT tháng {month}\n"
        f"trước ngày {ctx.deadline.day:02d}/{month}. Nếu số liệu không thay đổi so với tháng trước, chỉ cần gửi thư:\n"
        '"Báo cáo của (tên cơ quan) giống tháng (tên tháng)".\n'
        "Cục Ứng dụng công nghệ thông tin"
    )
    quoted = "\n".join("> " + line for line in reminder.splitlines())
    when = sent.strftime("%H:%M ngày %d/%m/%Y")
    return f"Vào lúc {when}, Cục Ứng dụng CNTT <{ctx.ministry_address}> đã viết:\n{quoted}\n"
