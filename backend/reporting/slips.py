"""Initial-password slips: a PDF to print and cut (ten to an A4 page, one class per page run), and
the same list as an XLSX. Input: the slips of backend/org/onboarding.py, already grouped."""
import io
from itertools import groupby

from fpdf import FPDF
from openpyxl import Workbook

from backend.errors import Problem
from backend.platform import sheets
from backend.reporting.document import _cell, cjk_font

COLUMNS, ROWS = 2, 5
MARGIN, HEADER = 10.0, 12.0
STAFF = "教职工 Staff"


def _group(slip: dict) -> str:
    return slip["class_name"] or STAFF


def to_pdf(slips: list[dict]) -> bytes:
    font = cjk_font()
    if font is None:
        raise Problem(503, "服务器缺少中文字体 / No Chinese font on the server",
                      "Install fonts-wqy-microhei (scripts/run.sh does) to make PDF slips.")
    pdf = FPDF(format="A4")
    pdf.add_font("cjk", fname=font)
    pdf.set_auto_page_break(False)
    width = (pdf.w - 2 * MARGIN) / COLUMNS
    height = (pdf.h - 2 * MARGIN - HEADER) / ROWS
    for group, members in groupby(slips, key=_group):
        members = list(members)
        for start in range(0, len(members), COLUMNS * ROWS):
            pdf.add_page()
            pdf.set_font("cjk", size=11)
            pdf.set_xy(MARGIN, MARGIN)
            page = members[start:start + COLUMNS * ROWS]
            pdf.cell(0, 8, _cell(f"{group} · 初始密码 Initial passwords · {start + 1}–{start + len(page)} / {len(members)}"))
            top = MARGIN + HEADER
            _cut_lines(pdf, top, width, height)
            for i, slip in enumerate(page):
                _slip(pdf, MARGIN + (i % COLUMNS) * width, top + (i // COLUMNS) * height, width, slip)
    return bytes(pdf.output())


def _cut_lines(pdf: FPDF, top: float, width: float, height: float) -> None:
    pdf.set_draw_color(150, 150, 150)
    pdf.set_dash_pattern(dash=2, gap=2)
    for row in range(ROWS + 1):
        pdf.line(MARGIN, top + row * height, MARGIN + COLUMNS * width, top + row * height)
    for col in range(COLUMNS + 1):
        pdf.line(MARGIN + col * width, top, MARGIN + col * width, top + ROWS * height)
    pdf.set_dash_pattern()


def _slip(pdf: FPDF, x: float, y: float, width: float, slip: dict) -> None:
    student = slip["class_name"] is not None
    lines = [(10, f"姓名 Name：{slip['display_name']}"),
             (10, f"{'学号 Student no.' if student else '工号 Staff no.'}：{slip['username']}"),
             (10, f"班级 Class：{slip['class_name']}" if student else ""),
             (14, f"初始密码 Password：{slip['initial_password']}"),
             (8, "首次登录后须修改密码 Change it at first login")]
    pdf.set_xy(x + 5, y + 5)
    pdf.set_font("cjk", size=9)
    pdf.cell(width - 10, 6, "Spiral 诊改 · 账号 Account")
    for n, (size, text) in enumerate(lines):
        pdf.set_font("cjk", size=size)
        pdf.set_xy(x + 5, y + 12 + n * 7.5)
        pdf.cell(width - 10, 7, _cell(text))


def to_xlsx(slips: list[dict]) -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = "初始密码"
    sheets.append(ws, ["班级 class", "姓名 name", "学号/工号 number", "初始密码 initial password",
                       "说明 note"])
    sheets.write_rows(ws, ([_group(s), s["display_name"], s["username"], s["initial_password"],
                            "首次登录后须修改 / change at first login"] for s in slips))
    for column, size in zip("ABCDE", (16, 12, 16, 16, 30), strict=True):
        ws.column_dimensions[column].width = size
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
