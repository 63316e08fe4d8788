"""Class, department and school reports, read from rollups only (docs/DESIGN.md decision 5).

Who sees what: the report itself is for the staff who answer for the unit; sensitive points
(discipline, mental health, finance) only for need-to-know roles, and those reads are
audited; the names of students under warning values only for the class's head teacher
and counsellor. Class ranks appear in these staff views only, never to students.
"""
from collections import Counter

from sqlalchemy import func, select

from backend import database
from backend.auth.policy import reporting as policy
from backend.extensions import db
from backend.models import (
    ClassGroup,
    Department,
    Rollup,
    School,
    StudentProfile,
    Term,
    User,
)
from backend.platform import audit
from backend.valuecard import catalogue
from backend.valuecard.card import DOMAINS, MIN_GROUP

DOMAIN_NAMES = {"academic": ("学业发展小计", "Academic subtotal"), "personal": ("个人发展小计", "Personal subtotal"),
                "career": ("职业发展小计", "Career subtotal"), "total": ("总分", "Total")}
SLIP = 0.05  # a weekly mean that worsens by 5% of the point's range counts as slipping


UNITS = {"class": ClassGroup, "department": Department, "school": School}


def open_unit(viewer: User, unit: str, unit_id: int, purpose: str):
    """The unit, if the viewer reads its reports, and the viewer's roles over it."""
    obj = db.session.get(UNITS[unit], unit_id) if unit in UNITS else None
    roles = policy.authorize_report(viewer, obj)
    if policy.sees_sensitive(roles):
        audit.sensitive_read(viewer.id, f"{unit}_report", str(unit_id), purpose)
    return obj, roles


def _metric(row: Rollup, rule) -> dict:
    name_zh, name_en = (rule.point.name_zh, rule.point.name_en) if rule else DOMAIN_NAMES[row.metric]
    return {
        "metric": row.metric, "name_zh": name_zh, "name_en": name_en,
        "domain": rule.point.domain if rule else (row.metric if row.metric in DOMAINS else None),
        "level": rule.point.level if rule else "summary", "count": row.count, "mean": row.mean,
        "median": row.median, "min": row.min, "max": row.max,
        "standard_value": rule.standard_value if rule else None, "warning_value": rule.warning_value if rule else None,
        "direction": rule.direction if rule else "higher_better",
        "short_of_standard": row.short_of_standard, "past_warning": row.past_warning, "buckets": row.buckets,
        "trend": [{"week": int(w), "count": n, "mean": round(total / n, 2)}
                  for w, (n, total) in sorted(row.trend.items(), key=lambda kv: int(kv[0]))],
        "updated_at": row.updated_at,
    }


def _rows(term: Term, unit: str, unit_ids) -> list[Rollup]:
    return database.reads().scalars(select(Rollup).where(Rollup.term_id == term.id, Rollup.unit == unit,
                                                   Rollup.unit_id.in_(unit_ids))).all()


def _shown(term: Term, sensitive: bool) -> dict:
    """Rules by metric code, without need-to-know points for other readers."""
    return {r.point.code: r for r in catalogue.rules(term) if sensitive or not r.sensitive}


def _order(metrics: list[dict]) -> list[dict]:
    summary = [m for m in metrics if m["level"] == "summary"]
    summary.sort(key=lambda m: list(DOMAIN_NAMES).index(m["metric"]))
    return summary + sorted((m for m in metrics if m["level"] != "summary"), key=lambda m: m["metric"])


def _metrics(rows: list[Rollup], rules: dict) -> list[dict]:
    """The unit's metrics; a subtotal (and the total) says how many of its points have any data."""
    metrics = _order([_metric(r, rules.get(r.metric)) for r in rows if r.metric in rules or r.metric in DOMAIN_NAMES])
    scored = Counter(m["domain"] for m in metrics if m["level"] == "individual")
    of = Counter(r.point.domain for r in rules.values() if r.point.level == "individual")
    for m in metrics:
        summary = m["level"] == "summary"
        domains = DOMAINS if m["metric"] == "total" else (m["metric"],)
        m["points_scored"] = sum(scored[d] for d in domains) if summary else None
        m["points_of"] = sum(of[d] for d in domains) if summary else None
    return metrics


def _ranks(class_rows: list[Rollup]) -> dict[int, int]:
    """Classes ranked by mean total, from the department's class rows."""
    totals = sorted(((r.mean, r.unit_id) for r in class_rows if r.metric == "total"), reverse=True)
    return {class_id: i + 1 for i, (_, class_id) in enumerate(totals)}


def _header(term: Term, unit: str, obj, students: int) -> dict:
    return {"term_id": term.id, "term_name": term.name, "unit": unit, "unit_id": obj.id, "unit_name": obj.name,
            "students": students, "min_group": MIN_GROUP}


def class_report(viewer: User, cls: ClassGroup, roles: set[str], term: Term) -> dict:
    rules = _shown(term, policy.sees_sensitive(roles))
    rows = _rows(term, "class", [cls.id])
    students = database.reads().scalar(select(func.count()).where(StudentProfile.class_id == cls.id))
    classmates = database.reads().scalars(select(ClassGroup.id).where(ClassGroup.department_id == cls.department_id)).all()
    ranks = _ranks(_rows(term, "class", classmates))
    under = []
    if policy.sees_names(roles):
        flagged = {r.metric: r.flagged for r in rows if r.metric in rules and r.flagged}
        names = dict(database.reads().execute(select(User.id, User.display_name).where(
            User.id.in_({s for ids in flagged.values() for s in ids}))).all())
        under = [{"metric": m, "name_zh": rules[m].point.name_zh, "name_en": rules[m].point.name_en,
                  "students": [{"id": s, "name": names[s]} for s in ids]} for m, ids in sorted(flagged.items())]
    return {**_header(term, "class", cls, students), "metrics": _metrics(rows, rules),
            "rank": {"position": ranks.get(cls.id), "of": len(ranks)}, "under_warning": under,
            "sensitive_hidden": not policy.sees_sensitive(roles)}


def _latest_weeks(rows: list[Rollup]) -> tuple[int, int] | None:
    weeks = sorted({int(w) for r in rows for w in r.trend})
    return (weeks[-2], weeks[-1]) if len(weeks) >= 2 else None


def _slipped(rows: list[Rollup], rules: dict, names: dict[int, str]) -> tuple[int | None, list[dict]]:
    """Classes whose weekly mean on a point worsened from the week before by more than SLIP."""
    weeks = _latest_weeks(rows)
    if weeks is None:
        return None, []
    before, last = (str(w) for w in weeks)
    slipped = []
    for r in rows:
        rule = rules.get(r.metric)
        if rule is None or before not in r.trend or last not in r.trend:
            continue
        then, now = (round(r.trend[w][1] / r.trend[w][0], 2) for w in (before, last))
        change = round(now - then, 2)
        worse = -change if rule.direction == "higher_better" else change
        if worse > SLIP * (rule.max_value - rule.min_value):
            slipped.append({"class_id": r.unit_id, "class_name": names[r.unit_id], "metric": r.metric,
                            "name_zh": rule.point.name_zh, "name_en": rule.point.name_en,
                            "previous_mean": then, "mean": now, "change": change})
    return int(last), sorted(slipped, key=lambda s: (s["class_name"], s["metric"]))


def _side_by_side(rows: list[Rollup], rules: dict, units: list, ranks: dict | None = None) -> list[dict]:
    by_unit: dict = {}
    for r in rows:
        if r.metric in rules or r.metric in DOMAIN_NAMES:
            by_unit.setdefault(r.unit_id, {})[r.metric] = {"mean": r.mean, "count": r.count,
                                                            "past_warning": r.past_warning}
    return [{"id": u.id, "name": u.name, "rank": (ranks or {}).get(u.id), "metrics": by_unit.get(u.id, {})}
            for u in units]


def department_report(viewer: User, dept: Department, roles: set[str], term: Term) -> dict:
    rules = _shown(term, policy.sees_sensitive(roles))
    classes = database.reads().scalars(select(ClassGroup).where(ClassGroup.department_id == dept.id)
                                 .order_by(ClassGroup.name)).all()
    class_rows = _rows(term, "class", [c.id for c in classes])
    week, slipped = _slipped(class_rows, rules, {c.id: c.name for c in classes})
    own = _rows(term, "department", [dept.id])
    return {**_header(term, "department", dept, next((r.count for r in own if r.metric == "total"), 0)),
            "metrics": _metrics(own, rules), "classes": _side_by_side(class_rows, rules, classes, _ranks(class_rows)),
            "week": week, "slipped": slipped, "sensitive_hidden": not policy.sees_sensitive(roles)}


def school_report(viewer: User, school: School, roles: set[str], term: Term) -> dict:
    rules = _shown(term, policy.sees_sensitive(roles))
    departments = database.reads().scalars(select(Department).where(Department.school_id == school.id)
                                     .order_by(Department.name)).all()
    own = _rows(term, "school", [school.id])
    return {**_header(term, "school", school, next((r.count for r in own if r.metric == "total"), 0)),
            "metrics": _metrics(own, rules),
            "departments": _side_by_side(_rows(term, "department", [d.id for d in departments]), rules, departments),
            "sensitive_hidden": not policy.sees_sensitive(roles)}


REPORTS = {"class": class_report, "department": department_report, "school": school_report}


def report(viewer: User, unit: str, unit_id: int, term: Term, purpose: str = "report") -> dict:
    """Who may read, the audit entry and the catalogue come from the primary; the figures and the
    unit's classes, departments and names from REPORTS_DATABASE_URL when set (database.report_reads)."""
    obj, roles = open_unit(viewer, unit, unit_id, purpose)
    with database.report_reads():
        return REPORTS[unit](viewer, obj, roles, term)
