"""Does the help help? The indicators behind a warning week by week around each intervention, and
how many cases improved, held or worsened 4 and 8 weeks after an intervention (issue 15, point 4).

The weekly figures are the value card's own: a point's indicator "as of week N" is
`card._indicators(values, until_week=N)` over the same ledger entries and attendance marks, so the
chart shows exactly what the rule saw each week (the mean of the values so far this term).

A warning's *measure* is the one its threshold levels use: how far past its line the worst of its
points is, in per cent of the point's scale (negative: inside the line). Its points are the codes in
its evidence (threshold rules) or the points its signals name (composite rules, each against the
signal's own value). A case is one kind of help on one warning, from the first time it was given:
it *improved* when the measure fell by more than BAND points of scale by the horizon, *worsened*
when it rose by more than BAND, and *held* otherwise. It is *too early* while the horizon week has
not come yet (or lies past the end of the term), and *no data* when the student had no value for
those points at the intervention week or the horizon.
"""
from dataclasses import dataclass

from sqlalchemy import select

from backend.alerts import interventions
from backend.auth.policy import SENSITIVE_READERS, can, roles_over_class
from backend.auth.roles import Role, Scope
from backend.errors import Problem
from backend.extensions import db
from backend.models import (
    ClassGroup,
    Department,
    RoleGrant,
    ScoringRule,
    StudentWarning,
    Term,
    User,
    WarningEvent,
)
from backend.org import directory
from backend.platform import clock
from backend.valuecard import card

BAND = 2.0  # percentage points of a point's scale: smaller moves are "held"
HORIZONS = (4, 8)  # weeks after the intervention
VERDICTS = ("improved", "held", "worsened", "too_early", "no_data")


@dataclass
class Line:
    """One point a warning looks at, and the line it is measured against."""

    rule: ScoringRule
    value: float  # the warning value (threshold rules) or the signal's value (composite rules)
    higher_better: bool

    def past_percent(self, indicator: float) -> float:
        past = self.value - indicator if self.higher_better else indicator - self.value
        return 100 * past / ((self.rule.max_value - self.rule.min_value) or 1)


def lines(w: StudentWarning, points: dict[str, ScoringRule]) -> list[Line]:
    """The warning's points: its evidence's codes (threshold), or its signals' points (composite)."""
    out: dict[str, Line] = {}
    if w.rule.kind == "threshold":
        for v in (w.evidence or {}).get("values", []):
            p = points.get(v.get("code"))
            if p is not None and p.warning_value is not None:
                out.setdefault(p.point.code, Line(p, p.warning_value, p.direction != "lower_better"))
    else:
        for s in w.rule.params.get("signals", []):
            p = points.get(s.get("point"))
            if p is not None:
                out.setdefault(p.point.code, Line(p, s["value"], s["op"] in ("lt", "le")))
    return list(out.values())


def measure(found: list[Line], indicators: card.Indicators) -> float | None:
    """How far past its line the worst point is, in per cent of scale (None: no data yet)."""
    past = [line.past_percent(indicators[line.rule.point_id][0]) for line in found if line.rule.point_id in indicators]
    return round(max(past), 1) if past else None


def weekly(values: card.Values, last: int) -> list[card.Indicators]:
    """The indicators as they stood at the end of each week so far (this week: today's card), as
    `card._history` computes them."""
    return [card._indicators(values, until_week=None if week == last else week) for week in range(1, last + 1)]


def week_of(term: Term, moment) -> int:
    return min(max(term.week_of(clock.school_date(moment)), 1), term.weeks)


def verdict(measures: list[float | None], week: int, horizon: int, last: int) -> str:
    """Compare the measure at the intervention week with `horizon` weeks later (weeks are 1-based)."""
    if week + horizon > last:
        return "too_early"
    before, after = measures[week - 1], measures[week + horizon - 1]
    if before is None or after is None:
        return "no_data"
    if after < before - BAND:
        return "improved"
    if after > before + BAND:
        return "worsened"
    return "held"


def _points(term: Term) -> dict[str, ScoringRule]:
    return {r.point.code: r for r in card.shown_rules(term, include_sensitive=True)}


def _interventions(w: StudentWarning) -> list[tuple[str, WarningEvent]]:
    return [(kind, e) for e in w.events if (kind := interventions.canonical(e.kind))]


# --- the chart on the warning screen ---------------------------------------------------------

def trend(viewer: User, w: StudentWarning) -> dict:
    """The warning's points week by week this term, its line, and a marker per intervention with
    its verdict at 4 and 8 weeks. For the roles that act on the warning (the caller opened it with
    warnings.open_warning, which audits need-to-know reads)."""
    if not can(viewer, "act", w):
        raise Problem(403, "无权查看 / Not allowed", "Only the roles this warning goes to see its trend.")
    term = db.session.get(Term, w.term_id)
    last = card._weeks_so_far(term)
    found = lines(w, _points(term))
    if not roles_over_class(viewer, db.session.get(ClassGroup, w.class_id)) & SENSITIVE_READERS:
        found = [line for line in found if not line.rule.sensitive]
    values = card._values(term, card._rules(term, "individual"), [w.student_id]).get(w.student_id, {})
    by_week = weekly(values, last)
    measures = [measure(found, indicators) for indicators in by_week]
    return {
        "term_id": term.id, "weeks": list(range(1, last + 1)), "current_week": last, "band": BAND,
        "horizons": list(HORIZONS), "measure": measures,
        "series": [{"code": line.rule.point.code, "name_zh": line.rule.point.name_zh,
                    "name_en": line.rule.point.name_en, "warning_value": line.value,
                    "standard_value": line.rule.standard_value,
                    "direction": "higher_better" if line.higher_better else "lower_better",
                    "values": [i[line.rule.point_id][0] if line.rule.point_id in i else None for i in by_week]}
                   for line in found],
        "interventions": [{"week": (week := week_of(term, e.at)), "kind": kind, "at": e.at.isoformat(),
                           "effect": {str(h): verdict(measures, week, h, last) for h in HORIZONS}}
                          for kind, e in _interventions(w)],
    }


# --- the report --------------------------------------------------------------------------------

def _scope(viewer: User) -> tuple[list[ClassGroup], str]:
    """Classes whose cases the viewer's report counts: the school admin all, a department admin their
    departments', a counsellor the classes they are counsellor of; 403 for everyone else."""
    grants = viewer.grants
    if any(g.role == Role.SCHOOL_ADMIN and g.scope_type == Scope.SCHOOL for g in grants):
        return list(db.session.scalars(select(ClassGroup).order_by(ClassGroup.name))), "school"
    depts = {g.scope_id for g in grants if g.role == Role.DEPT_ADMIN and g.scope_type == Scope.DEPARTMENT}
    classes = [c for c in directory.visible_classes(viewer)
               if c.department_id in depts or Role.COUNSELLOR in roles_over_class(viewer, c)]
    if not classes:
        raise Problem(403, "无权查看 / Not allowed",
                      "The intervention-effect report is for department admins, counsellors and the school admin.")
    return classes, "department" if depts else "counsellor"


def _empty() -> dict:
    return {"cases": 0, **{str(h): dict.fromkeys(VERDICTS, 0) for h in HORIZONS}}


def cases(term: Term, classes: list[ClassGroup]) -> list[dict]:
    """Every case (one kind of help on one warning, from its first time) in these classes this term,
    with its verdict at each horizon. One read of the help given, one of its warnings and one of the
    ledger for all their students."""
    helped = db.session.execute(select(WarningEvent.warning_id, WarningEvent.kind, WarningEvent.at).join(
        StudentWarning, StudentWarning.id == WarningEvent.warning_id).where(
        StudentWarning.term_id == term.id, StudentWarning.class_id.in_([c.id for c in classes]),
        WarningEvent.kind.in_([*interventions.KINDS, *interventions.LEGACY])).order_by(
        WarningEvent.at, WarningEvent.id)).all()
    if not helped:
        return []
    first: dict[int, dict[str, object]] = {}
    for warning_id, kind, moment in helped:
        first.setdefault(warning_id, {}).setdefault(interventions.canonical(kind), moment)
    found = db.session.scalars(select(StudentWarning).where(StudentWarning.id.in_(first))).all()
    points, last = _points(term), card._weeks_so_far(term)
    values = card._values(term, card._rules(term, "individual"), sorted({w.student_id for w in found}))
    out = []
    for w in sorted(found, key=lambda w: w.id):
        measured = lines(w, points)
        measures = [measure(measured, i) for i in weekly(values.get(w.student_id, {}), last)]
        for kind, moment in first[w.id].items():
            week = week_of(term, moment)
            out.append({"warning_id": w.id, "class_id": w.class_id, "kind": kind, "week": week,
                        "effect": {str(h): verdict(measures, week, h, last) for h in HORIZONS}})
    return out


def _counsellors(classes: list[ClassGroup]) -> dict[int, list[int]]:
    """Each class's counsellors (as directory.responders finds them), in one query."""
    grants = db.session.execute(select(RoleGrant.user_id, RoleGrant.scope_type, RoleGrant.scope_id).where(
        RoleGrant.role == Role.COUNSELLOR)).all()
    out = {}
    for c in classes:
        units = {(Scope.CLASS, c.id), (Scope.DEPARTMENT, c.department_id), (Scope.SCHOOL, c.major.department.school_id)}
        out[c.id] = sorted({uid for uid, kind, unit in grants if (kind, unit) in units})
    return out


def report(viewer: User, term: Term) -> dict:
    """Per department and per counsellor (the counsellor of the student's class: the person who
    answers for the class's student work, whoever recorded the help), per intervention kind: how
    many cases improved, held or worsened within 4 and 8 weeks. Counts only, no students."""
    classes, scope = _scope(viewer)
    by_class = {c.id: c for c in classes}
    counsellors = _counsellors(classes)
    if scope == "counsellor":  # their own cases: the classes they are counsellor of
        counsellors = {cid: [viewer.id] for cid in counsellors}
    depts: dict[int, dict] = {}
    people: dict[int | None, dict] = {}
    for case in cases(term, classes):
        cls = by_class[case["class_id"]]
        for group in [depts.setdefault(cls.department_id, {})] + \
                [people.setdefault(uid, {}) for uid in counsellors[cls.id] or [None]]:
            row = group.setdefault(case["kind"], _empty())
            row["cases"] += 1
            for h, v in case["effect"].items():
                row[h][v] += 1
    dept_names = dict(db.session.execute(select(Department.id, Department.name).where(Department.id.in_(depts))).all())
    names = dict(db.session.execute(select(User.id, User.display_name).where(
        User.id.in_([u for u in people if u is not None]))).all())

    def rows(kinds: dict) -> list[dict]:
        return [{"kind": k, **kinds[k]} for k in interventions.KINDS if k in kinds]

    return {
        "term_id": term.id, "term": term.name, "term_en": term.name_en, "scope": scope, "current_week": card._weeks_so_far(term),
        "band": BAND, "horizons": list(HORIZONS), "kinds": interventions.listing(),
        # A counsellor's own cases are not their department's: no department rows for them.
        "departments": [] if scope == "counsellor" else [
            {"id": d, "name": dept_names.get(d), "rows": rows(k)}
            for d, k in sorted(depts.items(), key=lambda item: dept_names.get(item[0]) or "")],
        "counsellors": [{"id": u, "name": names.get(u) if u else "未指定 / Not assigned", "rows": rows(k)}
                        for u, k in sorted(people.items(), key=lambda item: names.get(item[0]) or "~")],
    }
