"""Report downloads: CSV and XLSX tables with Chinese headers, and the semester student
diagnosis analysis (学生学期诊断分析, seed 003) as XLSX and PDF.

Everything here formats a report dict from services/reports.py; nothing reads the database,
so a download shows exactly what the screen shows to the same reader.
"""
import io
import shutil
import subprocess
from functools import cache

from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.styles import Font

from backend.errors import Problem
from backend.services.csvfile import csv_bytes

UNIT_ZH = {"class": "班级", "department": "系部", "school": "学校"}
METRIC_HEADERS = ["指标代码", "指标名称", "人数", "平均值", "中位数", "最低", "最高", "标准值", "预警值",
                  "未达标准人数", "低于预警人数", "低于预警比例(%)"]


def _share(part, whole) -> float | None:
    return round(100 * part / whole, 1) if part is not None and whole else None


def metric_rows(report: dict) -> list[list]:
    return [[m["metric"], m["name_zh"], m["count"], m["mean"], m["median"], m["min"], m["max"], m["standard_value"],
             m["warning_value"], m["short_of_standard"], m["past_warning"], _share(m["past_warning"], m["count"])]
            for m in report["metrics"]]


def _comparison(report: dict) -> tuple[str, list[str], list[list]]:
    """Classes (department report) or departments (school report) side by side, by mean."""
    units = report.get("classes") or report.get("departments") or []
    metrics = [m["metric"] for m in report["metrics"]]
    title = "班级对比" if "classes" in report else "系部对比"
    headers = [UNIT_ZH["class" if "classes" in report else "department"]] + \
        (["排名"] if "classes" in report else []) + [m["name_zh"] for m in report["metrics"]]
    rows = [[u["name"]] + ([u["rank"]] if "classes" in report else []) +
            [u["metrics"].get(code, {}).get("mean") for code in metrics] for u in units]
    return title, headers, rows


def _title(report: dict, what: str) -> str:
    return f"{report['unit_name']} {report['term_name']} {what}"


def to_csv(report: dict) -> bytes:
    return csv_bytes(METRIC_HEADERS, metric_rows(report))


def _sheet(book: Workbook, title: str, headers: list[str], rows: list[list], first: bool = False):
    sheet = book.active if first else book.create_sheet()
    sheet.title = title
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = max(
            10, min(40, max(len(str(c.value or "")) * 2 for c in column)))
    return sheet


def _trend_rows(report: dict) -> tuple[list[str], list[list]]:
    weeks = sorted({t["week"] for m in report["metrics"] for t in m["trend"]})
    rows = [[m["name_zh"]] + [next((t["mean"] for t in m["trend"] if t["week"] == w), None) for w in weeks]
            for m in report["metrics"] if m["trend"]]
    return ["指标"] + [f"第{w}周" for w in weeks], rows


def to_xlsx(report: dict) -> bytes:
    book = Workbook()
    _sheet(book, "指标统计", METRIC_HEADERS, metric_rows(report), first=True)
    if report.get("classes") or report.get("departments"):
        _sheet(book, *_comparison(report))
    _sheet(book, "周趋势", *_trend_rows(report))
    if report.get("slipped"):
        _sheet(book, "本周下滑", ["班级", "指标", "上周均值", "本周均值", "变化"],
               [[s["class_name"], s["name_zh"], s["previous_mean"], s["mean"], s["change"]] for s in report["slipped"]])
    if report.get("under_warning"):
        _sheet(book, "低于预警学生", ["指标", "学生"],
               [[u["name_zh"], "、".join(s["name"] for s in u["students"])] for u in report["under_warning"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# 学生学期诊断分析: overview, achievement per point, what needs attention, comparison, measures.

def diagnosis(report: dict) -> dict:
    by_code = {m["metric"]: m for m in report["metrics"]}
    total = by_code.get("total")
    overview = [f"{UNIT_ZH[report['unit']]}：{report['unit_name']}；学期：{report['term_name']}；学生 {report['students']} 人。"]
    if total:
        overview.append(f"发展总分平均 {total['mean']}，中位数 {total['median']}，最低 {total['min']}，最高 {total['max']}。")
    for code in ("academic", "personal", "career"):
        if code in by_code:
            overview.append(f"{by_code[code]['name_zh']}平均 {by_code[code]['mean']}。")
    points = [m for m in report["metrics"] if m["level"] != "summary"]
    table = [[m["name_zh"], m["count"], m["mean"], m["standard_value"], _share(m["short_of_standard"], m["count"]),
              _share(m["past_warning"], m["count"])] for m in points]
    concerns = sorted((m for m in points if m["past_warning"]), key=lambda m: -m["past_warning"] / m["count"])[:5]
    attention = [f"{m['name_zh']}：{m['past_warning']} 人（{_share(m['past_warning'], m['count'])}%）低于预警值 "
                 f"{m['warning_value']:g}，平均 {m['mean']}。" for m in concerns]
    attention += [f"{s['class_name']}：{s['name_zh']}第{report['week']}周平均 {s['mean']}，较上周 {s['change']:+g}。"
                  for s in report.get("slipped", [])]
    measures = [f"{m['name_zh']}：由采分责任人对 {m['past_warning']} 名低于预警值的学生逐一诊断原因，"
                f"班主任与辅导员跟进改进，下期对照标准值 {m['standard_value']:g} 复核。" for m in concerns]
    return {"title": _title(report, "学生学期诊断分析"), "overview": overview,
            "table_headers": ["采分点", "人数", "平均值", "标准值", "未达标准比例(%)", "低于预警比例(%)"],
            "table": table, "attention": attention or ["本学期各采分点均未出现低于预警值的情况。"],
            "comparison": _comparison(report) if report.get("classes") or report.get("departments") else None,
            "measures": measures or ["保持现有做法，下学期对照目标值继续提升。"]}


def diagnosis_xlsx(report: dict) -> bytes:
    d = diagnosis(report)
    book = Workbook()
    sheet = book.active
    sheet.title = "诊断分析"
    sheet.append([d["title"]])
    sheet["A1"].font = Font(bold=True, size=14)
    for heading, lines in (("一、总体情况", d["overview"]), ("三、需关注的问题", d["attention"]),
                           ("四、改进措施", d["measures"])):
        sheet.append([])
        sheet.append([heading])
        for line in lines:
            sheet.append([line])
    sheet.column_dimensions["A"].width = 100
    _sheet(book, "二、采分点达成", d["table_headers"], d["table"])
    if d["comparison"]:
        _sheet(book, *d["comparison"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@cache
def _cjk_font() -> str | None:
    """A font that covers Chinese, as fontconfig lists them (Debian: fonts-wqy-microhei)."""
    if not shutil.which("fc-list"):
        return None
    listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True).stdout
    files = sorted(line.rstrip(": ") for line in listed.splitlines() if line.rstrip(": ").endswith((".ttf", ".ttc")))
    return files[0] if files else None


def diagnosis_pdf(report: dict) -> bytes:
    font = _cjk_font()
    if font is None:
        raise Problem(503, "服务器缺少中文字体 / No Chinese font on the server",
                      "Install fonts-wqy-microhei (scripts/run.sh does) to make PDF reports.")
    d = diagnosis(report)
    pdf = FPDF()
    pdf.add_font("cjk", fname=font)
    pdf.add_font("cjk", style="B", fname=font)  # table headings ask for bold; one weight serves both
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.multi_cell(0, 10, d["title"], new_x="LMARGIN", new_y="NEXT")

    def section(heading: str, lines: list[str]):
        pdf.set_font("cjk", size=13)
        pdf.multi_cell(0, 9, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=10)
        for line in lines:
            pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")

    def table(headers: list[str], rows: list[list]):
        pdf.set_font("cjk", size=8)
        with pdf.table(first_row_as_headings=True) as t:
            for row in [headers] + rows:
                cells = t.row()
                for value in row:
                    cells.cell("" if value is None else str(value))

    section("一、总体情况", d["overview"])
    section("二、采分点达成情况", [])
    table(d["table_headers"], d["table"])
    if d["comparison"]:
        title, headers, rows = d["comparison"]
        section(f"{title}（平均值）", [])
        keep = 7  # a page holds the unit, its rank and the summary columns
        table(headers[:keep], [r[:keep] for r in rows])
    section("三、需关注的问题", d["attention"])
    section("四、改进措施", d["measures"])
    return bytes(pdf.output())
