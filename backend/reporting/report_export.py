"""Report downloads: CSV and XLSX tables with Chinese headers, and the semester student
diagnosis analysis (学生学期诊断分析, seed 003) as a document (reporting/document.py) for XLSX and PDF.

Everything here formats a report dict from reporting/reports.py; nothing reads the database,
so a download shows exactly what the screen shows to the same reader.
"""
import io

from openpyxl import Workbook

from backend.platform.sheets import csv_bytes
from backend.reporting.document import sheet

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


def _trend_rows(report: dict) -> tuple[list[str], list[list]]:
    weeks = sorted({t["week"] for m in report["metrics"] for t in m["trend"]})
    rows = [[m["name_zh"]] + [next((t["mean"] for t in m["trend"] if t["week"] == w), None) for w in weeks]
            for m in report["metrics"] if m["trend"]]
    return ["指标"] + [f"第{w}周" for w in weeks], rows


def to_xlsx(report: dict) -> bytes:
    book = Workbook()
    sheet(book, "指标统计", METRIC_HEADERS, metric_rows(report), first=True)
    if report.get("classes") or report.get("departments"):
        sheet(book, *_comparison(report))
    sheet(book, "周趋势", *_trend_rows(report))
    if report.get("slipped"):
        sheet(book, "本周下滑", ["班级", "指标", "上周均值", "本周均值", "变化"],
               [[s["class_name"], s["name_zh"], s["previous_mean"], s["mean"], s["change"]] for s in report["slipped"]])
    if report.get("under_warning"):
        sheet(book, "低于预警学生", ["指标", "学生"],
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


def diagnosis_document(report: dict) -> dict:
    d = diagnosis(report)
    sections = [{"heading": "一、总体情况", "lines": d["overview"]},
                {"heading": "二、采分点达成情况", "table": {"headers": d["table_headers"], "rows": d["table"],
                                                   "sheet": "二、采分点达成"}}]
    if d["comparison"]:
        title, headers, rows = d["comparison"]
        keep = 7  # a PDF page holds the unit, its rank and the summary columns; the XLSX sheet too
        sections.append({"heading": f"{title}（平均值）", "table": {"headers": headers[:keep], "rows": [r[:keep] for r in rows],
                                                             "sheet": title}})
    sections += [{"heading": "三、需关注的问题", "lines": d["attention"]}, {"heading": "四、改进措施", "lines": d["measures"]}]
    return {"title": d["title"], "sheet": "诊断分析", "sections": sections}
