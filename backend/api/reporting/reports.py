from flask import request
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.api.common import answers, download
from backend.auth.current import login_required
from backend.errors import Problem
from backend.org import directory
from backend.reporting import document, report_export, reports
from backend.schemas.reporting import (
    DiagnosisQuery,
    ExportQuery,
    ReportOut,
    ReportQuery,
)

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="Class, department and school reports (read from rollups)")


def _report(unit: str, unit_id: int, term_id: int | None) -> dict:
    if unit not in reports.UNITS:
        raise Problem(404, "未找到 / Not found")
    return reports.report(current_user, unit, unit_id, directory.term_or_current(term_id), request.path)


@blp.get("/<unit>/<int:unit_id>")
@blp.arguments(ReportQuery, location="query")
@blp.response(200, ReportOut)
@login_required
def unit_report(query, unit, unit_id):
    """A unit's report: `unit` is class, department or school."""
    return _report(unit, unit_id, query["term_id"])


@blp.get("/<unit>/<int:unit_id>/export")
@blp.arguments(ExportQuery, location="query")
@answers(blp, "csv", "xlsx", description="The report's tables, as `format` asks")
@login_required
def export(query, unit, unit_id):
    """The report's tables as CSV (one table) or XLSX (statistics, comparison, trends, ...), Chinese headers."""
    data = _report(unit, unit_id, query["term_id"])
    body = report_export.to_csv(data) if query["format"] == "csv" else report_export.to_xlsx(data)
    return download(body, query["format"], f"{data['unit_name']}-{data['term_name']}-报表")


@blp.get("/<unit>/<int:unit_id>/diagnosis")
@blp.arguments(DiagnosisQuery, location="query")
@answers(blp, "xlsx", "pdf", description="The diagnosis, as `format` asks")
@login_required
def diagnosis(query, unit, unit_id):
    """学生学期诊断分析 (seed 003) for the unit, as XLSX or PDF."""
    data = _report(unit, unit_id, query["term_id"])
    body = document.render(report_export.diagnosis_document(data), query["format"])
    return download(body, query["format"], f"{data['unit_name']}-{data['term_name']}-学生学期诊断分析")
