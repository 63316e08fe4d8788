"""One shape for a printable report, rendered as PDF (fpdf2) or XLSX (openpyxl).

    {"title": str, "sheet": "诊断分析",   # the XLSX sheet holding the text
     "sections": [{"heading": str, "lines": [str],
                   "table": {"headers": [...], "rows": [[...]], "sheet": "name"} | None,
                   "radar": {"labels": [...], "max": 4, "step": 1 (rings; optional),
                             "series": [{"name": str, "values": [...]}]} | None}]}

The XLSX puts the text on one sheet and every table and radar on a sheet of its own (a radar
as its values plus a native Excel radar chart); the PDF draws the radar itself.
"""
import io
import math
import shutil
import subprocess
from functools import cache

from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.chart import RadarChart, Reference
from openpyxl.styles import Font

from backend.errors import Problem
from backend.platform import sheets

COLOURS = [(37, 99, 235), (148, 163, 184), (22, 163, 74), (234, 88, 12)]


@cache
def cjk_font() -> str | None:
    """A font that covers Chinese, as fontconfig lists them (Debian: fonts-wqy-microhei)."""
    if not shutil.which("fc-list"):
        return None
    listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True).stdout
    files = sorted(line.rstrip(": ") for line in listed.splitlines() if line.rstrip(": ").endswith((".ttf", ".ttc")))
    return files[0] if files else None


def _cell(value) -> str:
    """A value as PDF text: control characters (stored before input refused them) replaced."""
    return "" if value is None else sheets.clean(str(value))


def render(doc: dict, fmt: str) -> bytes:
    return to_pdf(doc) if fmt == "pdf" else to_xlsx(doc)


def to_pdf(doc: dict) -> bytes:
    font = cjk_font()
    if font is None:
        raise Problem(503, "服务器缺少中文字体 / No Chinese font on the server",
                      "Install fonts-wqy-microhei (scripts/run.sh does) to make PDF reports.")
    pdf = FPDF()
    pdf.add_font("cjk", fname=font)
    pdf.add_font("cjk", style="B", fname=font)  # table headings ask for bold; one weight serves both
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.multi_cell(0, 10, _cell(doc["title"]), new_x="LMARGIN", new_y="NEXT")
    for section in doc["sections"]:
        pdf.set_font("cjk", size=13)
        pdf.multi_cell(0, 9, _cell(section["heading"]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=10)
        for line in section.get("lines", []):
            pdf.multi_cell(0, 6, _cell(line), new_x="LMARGIN", new_y="NEXT")
        if section.get("radar"):
            _radar(pdf, section["radar"])
        if section.get("table") and section["table"]["rows"]:
            pdf.set_font("cjk", size=8)
            with pdf.table(first_row_as_headings=True) as t:
                for row in [section["table"]["headers"]] + section["table"]["rows"]:
                    cells = t.row()
                    for value in row:
                        cells.cell(_cell(value))
            pdf.ln(2)
    return bytes(pdf.output())


def _radar(pdf: FPDF, radar: dict, radius: float = 45) -> None:
    """Rings per level, one spoke per label, one outline per series, and a legend."""
    if pdf.get_y() + 2 * radius + 30 > pdf.h - pdf.b_margin:
        pdf.add_page()
    cx, cy, n, top = pdf.w / 2, pdf.get_y() + radius + 12, len(radar["labels"]), radar["max"]

    def at(i: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        r = radius * value / top
        return cx + r * math.cos(angle), cy + r * math.sin(angle)
    pdf.set_draw_color(210, 210, 210)
    pdf.set_line_width(0.2)
    step = radar.get("step", 1)  # a 0–100 scale draws its rings every 25, not every 1
    for level in range(step, int(top) + 1, step):
        pdf.polygon([at(i, level) for i in range(n)], style="D")
    pdf.set_font("cjk", size=6)
    pdf.set_text_color(80, 80, 80)
    for i, label in enumerate(radar["labels"]):
        label = _cell(label)
        pdf.line(cx, cy, *at(i, top))
        x, y = at(i, top * 1.13)
        pdf.text(x - pdf.get_string_width(label) / 2, y + 1, label)
    pdf.set_line_width(0.6)
    legend_x = pdf.l_margin
    for colour, series in zip(COLOURS, radar["series"], strict=False):
        if not series["values"]:
            continue
        pdf.set_draw_color(*colour)
        pdf.set_fill_color(*colour)
        values = series["values"]
        if None not in values:
            pdf.polygon([at(i, v) for i, v in enumerate(values)], style="D")
        else:  # a dimension without data is left open, not drawn at the centre as if it were 0
            for i, v in enumerate(values):
                if v is not None:
                    x, y = at(i, v)
                    pdf.circle(x, y, 0.8, style="F")
                    nxt = values[(i + 1) % n]
                    if nxt is not None:
                        pdf.line(x, y, *at((i + 1) % n, nxt))
        pdf.set_text_color(*colour)
        pdf.set_font("cjk", size=8)
        legend = f"— {_cell(series['name'])}"
        pdf.text(legend_x, cy + radius + 16, legend)
        legend_x += pdf.get_string_width(legend) + 8
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.set_y(cy + radius + 20)


def sheet(book: Workbook, title: str, headers: list, rows: list[list], first: bool = False):
    """A table on a sheet of its own, headers bold and frozen, columns sized to fit; every
    cell written through platform/sheets (text is text, never a formula)."""
    ws = book.active if first else book.create_sheet()
    ws.title = sheets.sheet_title(title)
    sheets.append(ws, headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    sheets.write_rows(ws, rows)
    ws.freeze_panes = "A2"
    for column in ws.columns:
        ws.column_dimensions[column[0].column_letter].width = max(
            10, min(40, max(len(_cell(c.value)) * 2 for c in column)))
    return ws


def to_xlsx(doc: dict) -> bytes:
    book = Workbook()
    text = book.active
    text.title = sheets.sheet_title(doc.get("sheet", "报告"))
    sheets.append(text, [doc["title"]])
    text["A1"].font = Font(bold=True, size=14)
    for section in doc["sections"]:
        text.append([])
        sheets.append(text, [section["heading"]])
        sheets.write_rows(text, [[line] for line in section.get("lines", [])])
        if section.get("table"):
            sheet(book, section["table"].get("sheet", section["heading"]), section["table"]["headers"],
                   section["table"]["rows"])
        if section.get("radar"):
            _radar_sheet(book, section["heading"], section["radar"])
    text.column_dimensions["A"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _radar_sheet(book: Workbook, title: str, radar: dict) -> None:
    shown = [s for s in radar["series"] if s["values"]]
    values = sheet(book, title, [""] + [s["name"] for s in shown],
                   [[label] + [s["values"][i] for s in shown] for i, label in enumerate(radar["labels"])])
    if not shown:
        return
    chart = RadarChart()
    chart.title, chart.y_axis.scaling.min, chart.y_axis.scaling.max = sheets.clean(title), 0, radar["max"]
    chart.add_data(Reference(values, min_col=2, max_col=1 + len(shown), min_row=1, max_row=1 + len(radar["labels"])),
                   titles_from_data=True)
    chart.set_categories(Reference(values, min_col=1, min_row=2, max_row=1 + len(radar["labels"])))
    chart.height, chart.width = 12, 16
    values.add_chart(chart, f"{chr(ord('B') + len(shown) + 1)}2")
