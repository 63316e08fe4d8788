"""The class roll (综合测评表): every student of a class by every scoring point, with the domain
subtotals, the total, value added and coverage.

Each row is the student's own card (valuecard/card.py `class_cards`, the computation behind
`student_card`), so a roll and a card never disagree; the whole class is read at once, in a fixed
number of queries however many students it has. Who reads it: auth/policy/reporting.py. Every read
is logged, whoever reads it: a roll is a whole class's figures by name.
"""
import io
from statistics import median

from openpyxl import Workbook
from sqlalchemy import select

from backend.auth.policy import reporting as policy
from backend.extensions import db
from backend.models import ClassGroup, Term, User
from backend.org import membership
from backend.platform import audit
from backend.reporting.document import sheet
from backend.reporting.reports import DOMAIN_NAMES
from backend.valuecard import card
from backend.valuecard.card import DOMAINS, MIN_GROUP

# What the roll sorts by: a column of the row (None sorts last whichever way).
SORTS = {
    "number": lambda r: r["number"], "name": lambda r: r["name"], "total": lambda r: r["total"],
    **{d: (lambda r, d=d: r["subtotals"][d]["score"]) for d in DOMAINS},
    "added": lambda r: r["value_added"]["previous_term"], "added_term": lambda r: r["value_added"]["term_start"],
    "coverage": lambda r: r["coverage"]["all"]["scored"],
}


def _group(values: list[float]) -> dict:
    """A class figure with its n; no median or mean from fewer than MIN_GROUP students."""
    n = len(values)
    shown = n >= MIN_GROUP
    return {"count": n, "median": round(median(values), 2) if shown else None,
            "mean": round(sum(values) / n, 2) if shown else None}


def sort_rows(rows: list[dict], by: str, descending: bool) -> list[dict]:
    """Rows by one column, ties in the order given (by number); rows without a value last."""
    key = SORTS[by]
    present = sorted((r for r in rows if key(r) is not None), key=key, reverse=descending)
    return present + [r for r in rows if key(r) is None]


def roll(viewer: User, class_id: int, term: Term, purpose: str, sort: str = "number",
         descending: bool = False) -> dict:
    cls = db.session.get(ClassGroup, class_id)
    roles = policy.authorize_roll(viewer, cls)
    sensitive = policy.sees_sensitive(roles)
    audit.sensitive_read(viewer.id, "class_roll", str(cls.id), {"term": term.id, "purpose": purpose})
    # The class's members over the term, each counted for the weeks they were in it (a student who
    # moved in or out, or left, is a row here with those weeks' figures).
    members = membership.spans(term, [cls.id]).get(cls.id, {})
    students = db.session.execute(
        select(User.id, User.username, User.display_name).where(User.id.in_(members)).order_by(User.username)).all()
    cards = card.class_cards([s.id for s in students], term, sensitive, members)
    rules = card.shown_rules(term, sensitive)
    rows = []
    for sid, number, name in students:
        c, added = cards[sid]["card"], cards[sid]["value_added"]
        rows.append({"student_id": sid, "number": number, "name": name,
                     "points": {p["code"]: p["points"] for p in c.points},
                     "indicators": {p["code"]: p["indicator"] for p in c.points},
                     "below_warning": sorted(p["code"] for p in c.points if p["below_warning"]),
                     "subtotals": c.subtotals, "coverage": c.coverage, "total": c.total, "value_added": added})
    columns = [{"code": r.point.code, "domain": r.point.domain, "name_zh": r.point.name_zh,
                "name_en": r.point.name_en, "weight": r.weight,
                **_group([row["points"][r.point.code] for row in rows if r.point.code in row["points"]])}
               for r in rules]
    summary = {metric: _group([v for v in (SORTS[metric](r) for r in rows) if v is not None])
               for metric in (*DOMAINS, "total")}
    starts = sorted({r["value_added"]["term_start_week"] for r in rows} - {None})
    return {"term_id": term.id, "term_name": term.name, "class_id": cls.id, "class_name": cls.name,
            "students": len(rows), "sensitive_hidden": not sensitive, "min_group": MIN_GROUP,
            "previous_term_name": previous.name if (previous := card.previous_term(term)) else None,
            "term_start_weeks": starts, "sort": sort, "descending": descending,
            "columns": columns, "summary": summary, "rows": sort_rows(rows, sort, descending)}


def to_xlsx(data: dict) -> bytes:
    """The roll as on the screen: one row per student in the same order, a sheet of indicators
    behind the points, and a note of what the figures mean."""
    codes = [c["code"] for c in data["columns"]]
    domains = [DOMAIN_NAMES[d][0] for d in DOMAINS]
    headers = ["学号", "姓名", *[f"{c['code']} {c['name_zh']}" for c in data["columns"]], *domains,
               "总分", "增值(比上学期末)", "增值(比本学期初)", "已有数据项数", "采分点总数"]
    rows = [[r["number"], r["name"], *[r["points"].get(code) for code in codes],
             *[r["subtotals"][d]["score"] for d in DOMAINS], r["total"], r["value_added"]["previous_term"],
             r["value_added"]["term_start"], r["coverage"]["all"]["scored"], r["coverage"]["all"]["of"]]
            for r in data["rows"]]
    book = Workbook()
    points = sheet(book, "综合测评表", headers, rows, first=True)
    points.freeze_panes = "C2"  # number and name stay in view, like the screen's frozen column
    sheet(book, "指标原始值", ["学号", "姓名", *headers[2:2 + len(codes)]],
          [[r["number"], r["name"], *[r["indicators"].get(code) for code in codes]] for r in data["rows"]]
          ).freeze_panes = "C2"
    sheet(book, "说明", ["项目", "说明"], [
        ["班级", data["class_name"]], ["学期", data["term_name"]], ["学生人数", data["students"]],
        ["采分点", "各采分点为换算后的得分（0–100）；原始值见“指标原始值”表；空白表示尚无数据"],
        ["小计", "按已有数据的采分点加权计算；“已有数据项数 / 采分点总数”为覆盖情况"],
        ["增值(比上学期末)", f"本学期总分减去{data['previous_term_name'] or '上学期'}期末总分"],
        ["增值(比本学期初)", "本学期总分减去本学期第一个有数据的教学周末的总分"],
        ["敏感采分点", "已省略（无权查看）" if data["sensitive_hidden"] else "已包含"],
    ])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
