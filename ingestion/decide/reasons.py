"""Reason codes for every final message state, with the Vietnamese and English texts agencies and staff read.

Texts are ``str.format`` templates; the fields each one uses are passed by the code that raises it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingestion.domain.records import MessageState


@dataclass(frozen=True)
class Reason:
    code: str
    state: MessageState
    vi: str
    en: str


_REASONS = [
    Reason(
        "accepted",
        MessageState.ACCEPTED,
        "Đã tiếp nhận báo cáo tháng {period} của {unit}.",
        "Accepted the {period} report of {unit}.",
    ),
    Reason(
        "accepted_notice",
        MessageState.ACCEPTED,
        "Đã tiếp nhận thông báo: báo cáo tháng {period} của {unit} giống tháng {same_as}.",
        "Accepted the notice: the {period} report of {unit} is the same as {same_as}.",
    ),
    Reason(
        "already_processed",
        MessageState.ACCEPTED,
        "Thư này đã được xử lý trước đó.",
        "This message was processed before.",
    ),
    Reason(
        "unknown_sender",
        MessageState.QUARANTINED,
        "Địa chỉ gửi {sender} không thuộc đơn vị nào trong danh sách đơn vị báo cáo. "
        "Hãy gửi lại từ địa chỉ thư điện tử đã đăng ký của cơ quan.",
        "The sender {sender} is not registered for any reporting unit. Resend from the agency's registered address.",
    ),
    Reason(
        "unreadable_attachment",
        MessageState.QUARANTINED,
        "Không đọc được tệp đính kèm {filename}: {detail}. Hãy gửi lại tệp .doc hoặc .docx theo mẫu.",
        "The attachment {filename} could not be read: {detail}. Resend the form as .doc or .docx.",
    ),
    Reason(
        "attachment_too_large",
        MessageState.QUARANTINED,
        "Tệp đính kèm {filename} quá lớn: {detail}. Hãy gửi lại biểu mẫu .doc/.docx không kèm ảnh hoặc tệp lớn.",
        "The attachment {filename} is too large: {detail}. Resend the .doc/.docx form without pictures or large files.",
    ),
    Reason(
        "attachment_too_complex",
        MessageState.QUARANTINED,
        "Tệp đính kèm {filename} không được mở vì lý do an toàn: {detail}. "
        "Hãy lưu lại biểu mẫu bằng Word (Save As .docx) và gửi lại.",
        "The attachment {filename} was not opened for safety: {detail}. Save the form again in Word (.docx) "
        "and resend it.",
    ),
    Reason(
        "macro_attachment",
        MessageState.QUARANTINED,
        "Tệp đính kèm {filename} có chứa macro nên không được mở: {detail}. "
        "Hãy lưu biểu mẫu dạng .docx (Word Document, không macro) và gửi lại.",
        "The attachment {filename} contains macros and was not opened: {detail}. Save the form as .docx "
        "(Word Document, no macros) and resend it.",
    ),
    Reason(
        "encrypted_attachment",
        MessageState.QUARANTINED,
        "Tệp đính kèm {filename} được đặt mật khẩu: {detail}. Hãy bỏ mật khẩu của tệp và gửi lại.",
        "The attachment {filename} is password-protected: {detail}. Remove the password and resend it.",
    ),
    Reason(
        "ambiguous",
        MessageState.QUARANTINED,
        "Thư vừa có tệp báo cáo {filename} vừa có nội dung báo 'giống tháng {same_as}', không rõ đơn vị muốn gửi "
        "gì. Hãy gửi lại chỉ báo cáo, hoặc chỉ thông báo.",
        "The message has both the report {filename} and a 'same as {same_as}' notice; it is unclear which is "
        "meant. Resend either the report or the notice.",
    ),
    Reason(
        "sender_not_authenticated",
        MessageState.QUARANTINED,
        "Không xác thực được thư gửi từ {sender} (DKIM/DMARC không đạt: {detail}). "
        "Hãy gửi lại từ hệ thống thư chính thức của cơ quan, hoặc liên hệ quản trị thư của cơ quan.",
        "The message from {sender} could not be authenticated (DKIM/DMARC did not pass: {detail}). Resend it "
        "from the agency's official mail system or ask its mail administrator.",
    ),
    Reason(
        "unit_mismatch",
        MessageState.QUARANTINED,
        "Biểu mẫu ghi mã đơn vị {form_unit} nhưng thư được gửi từ {unit}. Hãy kiểm tra mục 'Mã đơn vị'.",
        "The form names unit {form_unit} but was sent by {unit}. Check the 'Mã đơn vị' field.",
    ),
    Reason(
        "missing_period",
        MessageState.QUARANTINED,
        "Biểu mẫu không ghi kỳ báo cáo (tháng/năm). Hãy điền mục 'Kỳ báo cáo' và gửi lại.",
        "The form does not state its period (month/year). Fill in 'Kỳ báo cáo' and resend.",
    ),
    Reason(
        "wrong_period",
        MessageState.QUARANTINED,
        "Biểu mẫu ghi kỳ báo cáo {form_period} nhưng thư được nhận ngày {received}. "
        "Chỉ nhận báo cáo của tháng nhận thư hoặc tháng trước đó; hãy sửa kỳ báo cáo và gửi lại.",
        "The form is for {form_period} but was received on {received}. Only the month of receipt or the "
        "month before can be reported; correct the period and resend.",
    ),
    Reason(
        "invalid_values",
        MessageState.QUARANTINED,
        "Số liệu chưa hợp lệ: {detail}. Hãy sửa và gửi lại trước hạn.",
        "Some values are not valid: {detail}. Correct them and resend before the deadline.",
    ),
    Reason(
        "notice_in_first_period",
        MessageState.QUARANTINED,
        "Tháng {period} là kỳ báo cáo đầu tiên nên chưa thể báo 'giống tháng trước'. Hãy gửi báo cáo đầy đủ.",
        "{period} is the first reporting period, so a 'same as' notice is not possible. Send the full form.",
    ),
    Reason(
        "notice_without_previous",
        MessageState.QUARANTINED,
        "Thông báo 'giống tháng {same_as}' không được chấp nhận vì chưa có báo cáo hợp lệ tháng {same_as} của "
        "{unit}. Hãy gửi báo cáo đầy đủ tháng {period}.",
        "The notice 'same as {same_as}' cannot be accepted: there is no accepted {same_as} report of {unit}. "
        "Send the full {period} form.",
    ),
    Reason(
        "notice_wrong_period",
        MessageState.QUARANTINED,
        "Thông báo 'giống tháng {same_as}' nhận ngày {received} không ứng với kỳ báo cáo nào đang mở.",
        "The notice 'same as {same_as}' received on {received} does not match an open reporting period.",
    ),
    Reason(
        "processing_error",
        MessageState.QUARANTINED,
        # the agency reads no internals (exception texts stay in reason_en, for staff)
        "Hệ thống chưa xử lý được thư này; cán bộ quản trị sẽ kiểm tra và liên hệ lại với đơn vị.",
        "The message could not be processed and awaits staff review: {detail}",
    ),
    Reason(
        "tnef_without_report",
        MessageState.QUARANTINED,
        "Thư được gửi ở định dạng riêng của Outlook (winmail.dat) và trong đó không có biểu mẫu .doc/.docx "
        "({detail}). Hãy gửi lại biểu mẫu ở dạng tệp đính kèm thông thường (trong Outlook: định dạng thư HTML "
        "hoặc văn bản thuần, không dùng Rich Text).",
        "The message came in Outlook's own format (winmail.dat) with no .doc/.docx form inside ({detail}). Resend "
        "the form as an ordinary attachment (Outlook: HTML or plain-text message format, not Rich Text).",
    ),
    Reason(
        "not_an_email",
        MessageState.IGNORED,
        "Tệp trong hộp thư không phải thư điện tử ({detail}); không tính là báo cáo.",
        "The mailbox file is not an email message ({detail}); it does not count as a report.",
    ),
    Reason(
        "not_a_submission",
        MessageState.IGNORED,
        "Thư không có báo cáo đính kèm và không phải thông báo 'giống tháng'; không tính là báo cáo.",
        "The message has no report attached and is not a 'same as' notice; it does not count as a report.",
    ),
]

REASONS: dict[str, Reason] = {r.code: r for r in _REASONS}

PROBLEMS_LISTED = 10  # problems spelled out in a reason; the rest are counted ("and N more")
PROBLEM_CHARS = 300  # one problem's text at most (a cell's junk is not quoted in full)


def problem_list(problems: list[str], *, lang: str = "vi") -> str:
    """The first PROBLEMS_LISTED problems, each at most PROBLEM_CHARS long, and how many more there are: a form
    with 10,000 bad rows gets a reason (and a rejection email) of a few lines, not a megabyte."""
    shown = [p if len(p) <= PROBLEM_CHARS else p[:PROBLEM_CHARS] + "…" for p in problems[:PROBLEMS_LISTED]]
    more = len(problems) - len(shown)
    if more > 0:
        shown.append(f"… và {more} lỗi khác" if lang == "vi" else f"… and {more} more")
    return "; ".join(shown)


def explain(code: str, *, detail_en: str | None = None, **fields: object) -> tuple[MessageState, str, str]:
    """The state and the filled Vietnamese and English texts for ``code``; ``detail_en``, when given, is the
    English text's ``{detail}`` (``detail`` then fills the Vietnamese one only)."""
    reason = REASONS[code]
    english = fields if detail_en is None else fields | {"detail": detail_en}
    return reason.state, reason.vi.format(**fields), reason.en.format(**english)
