"""The teacher portrait (教师画像, seed 000; issue 20): a radar over the dimensions of seed 002
table 13 — the teacher's year against their stage's standard, their own last year and the
department median — with the indicators behind each dimension.

Attainment, the one scale the radar draws (0–100):
  - per indicator: the teacher's value placed between the stage standard's warning value (0) and
    its target (100), linearly, clamped to 0–100. Because warning and target are on opposite
    sides for lower-is-better indicators, the same formula is direction-aware: fewer failing
    students moves a lower_better indicator up. A standard whose target equals its warning value
    scores 100 when met, 0 when not. An indicator without a value (no data that year) or without
    a standard for the stage has no attainment — it is left out, never counted as 0.
  - per dimension: the mean over its indicators that have an attainment. A dimension with none
    is absent from the teacher's series (the radar shows no point there), not zero.
  - the stage standard's line: each standard value placed on the same scale, meaned per
    dimension over the stage's standards in it.
  - last year: last year's values placed on *this* year's standards (the same yardstick), so
    the two outlines compare the teacher with themselves, not two years' rules.
  - the department median: per dimension, the median of the attainments of the department's
    teachers at the same stage that year, stored by the median job (`refresh_department`,
    backend/jobs/teachers.py) in `portrait_median` — a portrait read never computes other
    teachers' indicators. Only where at least MIN_TEACHERS teachers share the stage, and per
    dimension only where at least MIN_TEACHERS of them have data in it; otherwise absent and
    the answer says why. Never a ranking, never another teacher's figure.

A teacher's stage in a year is the stage of their three-year plan (`teacher_cycle`) covering it.
"""
from statistics import mean, median
from types import SimpleNamespace

from sqlalchemy import delete, select

from backend.development import plans, teacher_indicators, teacher_standards
from backend.extensions import db
from backend.models import PortraitMedian, StaffProfile, User
from backend.platform import clock

DIMENSIONS = plans.PARTS["teacher_cycle"]
MIN_TEACHERS = 5
DIMENSION_LABELS = {"ethics": "师德师风 / Ethics", "teaching": "教学能力 / Teaching",
                    "research": "科研与社会服务 / Research and social service",
                    "management": "学生管理与服务 / Student management and service",
                    "career": "职业发展 / Career development"}
# Why the department median is not shown: said on the screen and in the report.
MEDIAN_ABSENT = {
    "no_stage": "尚未填写三年规划的发展阶段 / No stage: the three-year plan is not written",
    "no_department": "未归属院系 / Not in a department",
    "not_computed": "院系中位数尚未计算（每 6 小时计算一次） / The department median is not computed yet (every 6 hours)",
    "too_few": "同一阶段的本院系教师少于 5 人，不显示中位数 / Fewer than 5 teachers of the department share this "
               "stage: no median is shown",
}


def score(value: float | None, std) -> float | None:
    """An indicator value on the 0–100 scale of its stage standard (module docstring)."""
    if value is None or std is None:
        return None
    span = std.target - std.warning
    if span == 0:
        met = value >= std.target if teacher_indicators.INDICATORS[std.indicator_code].direction == "higher_better" \
            else value <= std.target
        return 100.0 if met else 0.0
    return round(min(100.0, max(0.0, 100 * (value - std.warning) / span)), 1)


def by_dimension(scores: dict[str, float | None]) -> dict[str, float]:
    """Indicator code → attainment, as dimension → mean attainment; dimensions without data left out."""
    out = {}
    for dim in DIMENSIONS:
        found = [v for code, v in scores.items()
                 if v is not None and teacher_indicators.INDICATORS[code].dimension == dim]
        if found:
            out[dim] = round(mean(found), 1)
    return out


def attainment(figures: dict[str, float | None], standards: dict) -> dict[str, float]:
    return by_dimension({code: score(figures.get(code), std) for code, std in standards.items()
                         if code in teacher_indicators.INDICATORS})


def standard_line(standards: dict) -> dict[str, float]:
    return by_dimension({code: score(std.standard, std) for code, std in standards.items()
                         if code in teacher_indicators.INDICATORS})


def _median_of(department_id: int | None, stage: str | None, year: int) -> tuple[dict | None, str | None, dict]:
    """The stored median for the teacher's group: (medians, why absent, when computed)."""
    if stage is None:
        return None, "no_stage", {}
    if department_id is None:
        return None, "no_department", {}
    row = db.session.scalar(select(PortraitMedian).where(
        PortraitMedian.department_id == department_id, PortraitMedian.stage == stage, PortraitMedian.year == year))
    if row is None:
        return None, "not_computed", {}
    when = {"computed_at": row.computed_at.isoformat()}
    return (row.medians, None, when) if row.medians is not None else (None, "too_few", when)


def portrait(teacher: User, year: int) -> dict:
    """The teacher's portrait for the academic year starting in `year` (module docstring)."""
    staff = db.session.get(StaffProfile, teacher.id)
    stage = teacher_standards.stage_of(teacher.id, year)
    standards = teacher_standards.for_stage(stage, year) if stage else {}
    now, before = teacher_indicators.for_year(teacher.id, year), teacher_indicators.for_year(teacher.id, year - 1)
    medians, absent, computed = _median_of(staff and staff.department_id, stage, year)
    series = {"this_year": attainment(now, standards), "standard": standard_line(standards),
              "last_year": attainment(before, standards), "department_median": medians}
    dimensions = [{"code": d, "label": DIMENSION_LABELS[d],
                   **{k: (v or {}).get(d) for k, v in series.items()}} for d in DIMENSIONS]
    indicators = []
    for code, ind in teacher_indicators.INDICATORS.items():
        std = standards.get(code)
        goal = std and SimpleNamespace(direction=ind.direction, target=std.target, standard=std.standard,
                                       warning=std.warning)
        indicators.append({
            "code": code, "dimension": ind.dimension, "label": ind.label, "unit": ind.unit,
            "direction": ind.direction, "source": ind.source, "actual": now.get(code), "last_year": before.get(code),
            "target": std and std.target, "standard": std and std.standard, "warning": std and std.warning,
            "attainment": score(now.get(code), std),
            "standing": plans.standing(goal, now.get(code)) if goal else "no_standard"})
    return {"teacher_id": teacher.id, "name": teacher.display_name, "year": year, "stage": stage,
            "department_id": staff and staff.department_id, "dimensions": dimensions, "indicators": indicators,
            "median": {"shown": medians is not None, "why_absent": absent and MEDIAN_ABSENT[absent],
                       "reason": absent, "min_teachers": MIN_TEACHERS, **computed},
            "scale": "0 = 预警值 / warning value, 100 = 目标值 / target"}


def refresh_department(department_id: int, year: int, figures: dict[int, dict] | None = None) -> dict[str, int]:
    """The median job's work: each stage's row for the department and year, written anew; a stage
    nobody holds any more loses its row. `figures`: the teachers' indicators for the year, when the
    caller has them (jobs/teachers.py). Returns {stage: teachers}."""
    ids = db.session.scalars(select(StaffProfile.user_id).where(StaffProfile.department_id == department_id)).all()
    figures = teacher_indicators.for_year_many(ids, year) if figures is None else figures
    by_stage: dict[str, list[int]] = {}
    for teacher_id, stage in teacher_standards.stages_of(ids, year).items():
        by_stage.setdefault(stage, []).append(teacher_id)
    rows = {r.stage: r for r in db.session.scalars(select(PortraitMedian).where(
        PortraitMedian.department_id == department_id, PortraitMedian.year == year))}
    for stage, teachers in by_stage.items():
        medians = None
        if len(teachers) >= MIN_TEACHERS:
            standards = teacher_standards.for_stage(stage, year)
            per = [attainment(figures[t], standards) for t in teachers]
            medians = {d: round(median(found), 1) for d in DIMENSIONS
                       if len(found := [p[d] for p in per if d in p]) >= MIN_TEACHERS}
        row = rows.pop(stage, None) or PortraitMedian(department_id=department_id, stage=stage, year=year)
        row.teachers, row.medians, row.computed_at = len(teachers), medians, clock.now()
        db.session.add(row)
    if rows:
        db.session.execute(delete(PortraitMedian).where(PortraitMedian.id.in_([r.id for r in rows.values()])))
    db.session.flush()
    return {stage: len(t) for stage, t in by_stage.items()}
