"""Does the help help? A warning's weekly trend around its interventions, the intervention kinds,
and the effect report per department and counsellor (backend/alerts/effect.py)."""
import io

from flask import request
from flask_jwt_extended import current_user
from flask_smorest import Blueprint
from openpyxl import Workbook

from backend.alerts import effect, interventions, warnings
from backend.api.common import answers, download
from backend.auth.current import login_required
from backend.org import directory
from backend.platform.sheets import append, csv_bytes
from backend.schemas.effect import EffectExportQuery, EffectQuery, EffectReportOut, KindOut, TrendOut

blp = Blueprint("effect", __name__, url_prefix="/api/v1", description="Intervention effect: does the help help?")


@blp.get("/intervention-kinds")
@blp.response(200, KindOut(many=True))
@login_required
def kinds():
    """The kinds of help a college records on a warning ("note", a case note, is not one of them;
    the older "action" is still accepted and counts as "other")."""
    return interventions.listing()


@blp.get("/warnings/<int:warning_id>/trend")
@blp.response(200, TrendOut)
@login_required
def trend(warning_id):
    """The warning's points week by week this term (the indicator as the card had it at the end of
    each week), its line, and a marker per intervention with its verdict at 4 and 8 weeks. For the
    roles the warning goes to; reads of need-to-know warnings are audited like the warning itself."""
    w = warnings.open_warning(current_user, warning_id, request.path)
    return effect.trend(current_user, w)


@blp.get("/reports/intervention-effect")
@blp.arguments(EffectQuery, location="query")
@blp.response(200, EffectReportOut)
@login_required
def report(query):
    """干预效果: per department and per counsellor, per intervention kind, how many cases improved,
    held or worsened within 4 and 8 weeks, and how many are too early to tell. Counts only. The
    school admin sees every department, a department admin theirs, a counsellor their own classes."""
    return effect.report(current_user, directory.term_or_current(query["term_id"]))


HEADERS = ["范围", "名称", "干预类型", "个案数"] + [f"{h}周{label}" for h in effect.HORIZONS for label in
                                          ("改善", "持平", "恶化", "为时尚早", "无数据")]


def rows(data: dict) -> list[list]:
    names = {k["code"]: k["name_zh"] for k in data["kinds"]}
    out = []
    for unit, label in (("departments", "系部"), ("counsellors", "辅导员")):
        for group in data[unit]:
            for row in group["rows"]:
                out.append([label, group["name"], names[row["kind"]], row["cases"]] +
                           [row[str(h)][v] for h in effect.HORIZONS for v in effect.VERDICTS])
    return out


@blp.get("/reports/intervention-effect/export")
@blp.arguments(EffectExportQuery, location="query")
@answers(blp, "csv", "xlsx", description="The effect report's table, as `format` asks")
@login_required
def export(query):
    """The effect report as one table (XLSX or CSV), Chinese headers."""
    data = effect.report(current_user, directory.term_or_current(query["term_id"]))
    if query["format"] == "csv":
        body = csv_bytes(HEADERS, rows(data))
    else:
        book = Workbook()
        ws = book.active
        ws.title = "干预效果"
        append(ws, HEADERS)
        for row in rows(data):
            append(ws, row)
        out = io.BytesIO()
        book.save(out)
        body = out.getvalue()
    return download(body, query["format"], f"干预效果-{data['term']}")
