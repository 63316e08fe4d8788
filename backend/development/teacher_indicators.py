"""A teacher's indicators, computed from what Spiral already holds — never typed (issue 20).

Each indicator belongs to a dimension of seed 002 table 13 and says where its figure comes from.
One function computes all of them over a set of terms and a date window: `compute` for one term,
`for_year` for the terms of an academic year taken together (rates are pooled over the marks,
grades and warnings of both terms, not averaged per term). A handful of aggregate statements per
teacher, never one per session: the benchmark is bench/teacher_indicators.py.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_, select, union

from backend.auth.roles import Role, Scope
from backend.development import course_evaluation
from backend.extensions import db
from backend.models import (
    AttendanceMark,
    ClassGroup,
    ClassSession,
    Course,
    CourseEvaluation,
    CourseGrade,
    CourseOffering,
    Dispute,
    OfferingClass,
    PortfolioItem,
    RoleGrant,
    ScoreEntry,
    ScoringPoint,
    StudentProfile,
    StudentWarning,
    Term,
)
from backend.platform import clock
from backend.valuecard import ledger


@dataclass(frozen=True)
class Indicator:
    code: str
    dimension: str  # one of plans.PARTS["teacher_cycle"]
    direction: str  # higher_better | lower_better
    unit: str
    label: str  # "中文 / English"
    source: str  # "中文 / English": where the figure comes from


def _ind(code, dimension, direction, unit, label, source) -> tuple[str, Indicator]:
    return code, Indicator(code, dimension, direction, unit, label, source)


INDICATORS: dict[str, Indicator] = dict([
    _ind("T-ATTEND", "teaching", "higher_better", "%", "学生出勤率 / Students' attendance",
         "本人开设的课堂考勤：出勤（含迟到）÷（出勤＋迟到＋旷课），请假不计 / Attendance marks of the sessions the "
         "teacher opened: present or late over present, late and absent; leave left out"),
    _ind("T-PUNCTUAL", "teaching", "higher_better", "%", "学生准时率 / Students' punctuality",
         "本人开设的课堂考勤：准时 ÷（准时＋迟到） / Attendance marks of the teacher's sessions: on time over on time "
         "and late"),
    _ind("T-HOMEWORK", "teaching", "higher_better", "%", "作业完成率 / Homework completion",
         "本人录入的 S-A-06 作业完成率的平均值（不含已撤销） / Mean of the S-A-06 values the teacher recorded, "
         "reversed ones left out"),
    _ind("T-PREVIEW", "teaching", "higher_better", "%", "预习完成率 / Preview completion",
         "本人录入的 S-A-05 预习完成率的平均值（不含已撤销） / Mean of the S-A-05 values the teacher recorded, "
         "reversed ones left out"),
    _ind("T-GPA", "teaching", "higher_better", "", "学生平均绩点 / Students' mean grade point",
         "教务系统导入的本人所授课程成绩：绩点 =（分数−50）÷10，不及格为 0 / Imported grades of the courses the "
         "teacher's offerings teach, for the offerings' classes: (score − 50) / 10, 0 below 60"),
    _ind("T-FAIL", "teaching", "lower_better", "%", "学生不及格率 / Students' failing ratio",
         "同上成绩中低于 60 分的比例（补考前） / Share of those grades below 60 (before any make-up exam)"),
    _ind("T-SATISFY", "teaching", "higher_better", "%", "学生评教满意度 / Teaching satisfaction",
         "学生匿名评教（1–5 分）中 4、5 分的比例，至少 5 份评价才显示 / Share of 4s and 5s in the students' anonymous "
         "course evaluations (1–5) of the teacher's offerings; shown from 5 answers on"),
    _ind("T-TIMELY", "ethics", "lower_better", "d", "评分滞后天数 / Days scoring is late",
         "本人录入的分值在其周期结束后平均滞后的天数（按批次） / Mean days the teacher's entries came after the end "
         "of the period they score, per batch"),
    _ind("T-DISPUTE", "ethics", "lower_better", "", "成立的申诉 / Disputes upheld",
         "针对本人录入分值、以撤销处理的学生申诉数 / Students' disputes of the teacher's entries that ended in a "
         "reversal"),
    _ind("T-ACK", "management", "higher_better", "%", "预警及时确认率 / Warnings acknowledged in time",
         "本人任班主任、辅导员的班级的预警中，由本人在期限前确认的比例 / Of the warnings in the classes the teacher "
         "is head teacher or counsellor of, the share the teacher acknowledged by the deadline"),
    _ind("T-RESEARCH", "research", "higher_better", "", "教研科研成果 / Research output",
         "成长档案中的论文和项目数 / Papers and projects in the teacher's portfolio"),
    _ind("T-TRAIN", "career", "higher_better", "h", "培训学时 / Training hours",
         "成长档案中培训条目的学时合计 / Hours of the training items in the teacher's portfolio"),
    _ind("T-PRACTICE", "career", "higher_better", "h", "企业实践学时 / Industry-practice hours",
         "成长档案中企业实践条目的学时合计 / Hours of the industry-practice items in the teacher's portfolio"),
])

Figures = dict[str, float | None]


def compute(teacher_id: int, term: Term) -> Figures:
    """Every indicator for one term; None where there is no data this term."""
    return compute_many([teacher_id], term)[teacher_id]


def compute_many(teacher_ids: list[int], term: Term) -> dict[int, Figures]:
    """`compute` for many teachers in the same handful of statements (grouped by teacher): a
    department's teachers for its median, a summary."""
    return _figures(teacher_ids, [term], term.starts_on, term.ends_on)


def year_terms(year: int) -> list[Term]:
    return db.session.scalars(select(Term).where(Term.academic_year == f"{year}-{year + 1}")
                              .order_by(Term.starts_on)).all()


def year_window(year: int, terms: list[Term]) -> tuple[date, date]:
    """The academic year's days: from its first term's start to the day before next year's first
    term (so the summer's training counts), else to the end of August."""
    first = terms[0].starts_on if terms else date(year, 9, 1)
    nxt = db.session.scalar(select(func.min(Term.starts_on)).where(Term.academic_year == f"{year + 1}-{year + 2}"))
    return first, (nxt - timedelta(days=1)) if nxt else date(year + 1, 8, 31)


def for_year(teacher_id: int, year: int) -> Figures:
    """Every indicator for the academic year starting in `year`, its terms taken together."""
    return for_year_many([teacher_id], year)[teacher_id]


def for_year_many(teacher_ids: list[int], year: int) -> dict[int, Figures]:
    terms = year_terms(year)
    start, end = year_window(year, terms)
    return _figures(teacher_ids, terms, start, end)


def _figures(ids: list[int], terms: list[Term], start: date, end: date) -> dict[int, Figures]:
    out: dict[int, Figures] = {t: dict.fromkeys(INDICATORS) for t in ids}
    term_ids = [t.id for t in terms]
    parts = [_portfolio(ids, start, end)]
    if terms:
        parts += [_attendance(ids, term_ids), _recorded(ids, term_ids), _grades(ids, term_ids), _timeliness(ids, terms),
                  _disputes(ids, term_ids), _acknowledged(ids, term_ids), _satisfaction(ids, term_ids)]
    for part in parts:
        for teacher, figures in part.items():
            out[teacher].update(figures)
    return out


def _pct(part, whole) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _counted(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# The filters every query shares: the teachers' sessions and entries in these terms.
def _sessions(ids: list[int], term_ids: list[int]):
    return and_(ClassSession.teacher_id.in_(ids), ClassSession.term_id.in_(term_ids))


def _entries(ids: list[int], term_ids: list[int]):
    return and_(ScoreEntry.recorded_by.in_(ids), ScoreEntry.term_id.in_(term_ids))


def _attendance(ids: list[int], term_ids: list[int]) -> dict[int, Figures]:
    rows = db.session.execute(
        select(ClassSession.teacher_id, _counted(AttendanceMark.status == "present"),
               _counted(AttendanceMark.status == "late"), _counted(AttendanceMark.status == "absent"))
        .join(ClassSession, ClassSession.id == AttendanceMark.session_id).where(_sessions(ids, term_ids))
        .group_by(ClassSession.teacher_id)).all()
    return {t: {"T-ATTEND": _pct(present + late, present + late + absent), "T-PUNCTUAL": _pct(present, present + late)}
            for t, present, late, absent in rows}


RECORDED = {"S-A-06": "T-HOMEWORK", "S-A-05": "T-PREVIEW"}


def _recorded(ids: list[int], term_ids: list[int]) -> dict[int, Figures]:
    """The mean of the live values the teacher recorded for the per-session rate points."""
    rows = db.session.execute(
        select(ScoreEntry.recorded_by, ScoringPoint.code, func.avg(ScoreEntry.value))
        .join(ScoringPoint, ScoringPoint.id == ScoreEntry.point_id)
        .where(_entries(ids, term_ids), ScoringPoint.code.in_(list(RECORDED)), ledger.counts())
        .group_by(ScoreEntry.recorded_by, ScoringPoint.code)).all()
    out: dict[int, Figures] = {}
    for t, code, mean in rows:
        out.setdefault(t, {})[RECORDED[code]] = None if mean is None else round(mean, 1)
    return out


# Scores are 0–100, so a grade point is 0–5.
GRADE_POINT = case((CourseGrade.score >= 60, (CourseGrade.score - 50) / 10.0), else_=0.0)


def grade_rows(ids: list[int], term_ids: list[int]):
    """Per teacher and course taught: how many grades, the sum of their grade points, how many failed.
    A grade counts for an offering's teacher when its student is in one of the offering's classes."""
    return db.session.execute(
        select(CourseOffering.teacher_id, CourseGrade.course_id, func.count(), func.sum(GRADE_POINT),
               _counted(CourseGrade.score < 60))
        .select_from(CourseOffering).join(OfferingClass, OfferingClass.offering_id == CourseOffering.id)
        .join(StudentProfile, StudentProfile.class_id == OfferingClass.class_id)
        .join(CourseGrade, and_(CourseGrade.student_id == StudentProfile.user_id,
                                CourseGrade.course_id == CourseOffering.course_id,
                                CourseGrade.term_id == CourseOffering.term_id))
        .where(CourseOffering.teacher_id.in_(ids), CourseOffering.term_id.in_(term_ids))
        .group_by(CourseOffering.teacher_id, CourseGrade.course_id)).all()


def _grades(ids: list[int], term_ids: list[int]) -> dict[int, Figures]:
    totals: dict[int, list] = {}
    for t, _, n, points, failed in grade_rows(ids, term_ids):
        acc = totals.setdefault(t, [0, 0.0, 0])
        acc[0], acc[1], acc[2] = acc[0] + n, acc[1] + points, acc[2] + failed
    return {t: {"T-GPA": round(points / n, 2), "T-FAIL": _pct(failed, n)} for t, (n, points, failed) in totals.items()}


def by_course(teacher_id: int, terms: list[Term]) -> list[dict]:
    """T-GPA and T-FAIL per course the teacher taught in these terms (the figures above pool them)."""
    rows = grade_rows([teacher_id], [t.id for t in terms])
    names = dict(db.session.execute(select(Course.id, Course.name).where(Course.id.in_([r[1] for r in rows]))).all())
    return [{"course_id": cid, "course": names.get(cid), "grades": n, "T-GPA": round(points / n, 2), "T-FAIL": _pct(failed, n)}
            for _, cid, n, points, failed in sorted(rows, key=lambda r: names.get(r[1]) or "")]


def period_end(period: str, term: Term) -> date:
    """The last day of the period a value scores: its teaching week, month, day or the term."""
    kind, _, key = period.partition(":")
    if kind == "week":
        return term.starts_on + timedelta(days=7 * int(key) - 1)
    if kind == "month":
        y, m = map(int, key.split("-"))
        return date(y + m // 12, m % 12 + 1, 1) - timedelta(days=1)
    if kind == "day":
        return date.fromisoformat(key)
    return term.ends_on


def _timeliness(ids: list[int], terms: list[Term]) -> dict[int, Figures]:
    """Mean days late per batch (a batch is one act of scoring, whatever its size): one row per
    batch, the period's end worked out here rather than in two SQL dialects."""
    rows = db.session.execute(
        select(ScoreEntry.recorded_by, ScoreEntry.term_id, ScoreEntry.period, func.min(ScoreEntry.recorded_at))
        # Not `reverses_id IS NULL`: SQLite would walk the unique index on reverses_id (docs/DESIGN.md,
        # ledger.counts) instead of the teachers' entries.
        .where(_entries(ids, [t.id for t in terms]), func.coalesce(ScoreEntry.reverses_id, 0) == 0)
        .group_by(ScoreEntry.recorded_by, ScoreEntry.term_id, ScoreEntry.period, ScoreEntry.batch_id)).all()
    by_id = {t.id: t for t in terms}
    late: dict[int, list[int]] = {}
    for t, tid, period, at in rows:
        late.setdefault(t, []).append(max(0, (clock.school_date(at) - period_end(period, by_id[tid])).days))
    return {t: {"T-TIMELY": round(sum(days) / len(days), 1)} for t, days in late.items()}


def _disputes(ids: list[int], term_ids: list[int]) -> dict[int, Figures]:
    """Upheld disputes; a teacher with none has 0 (not "no data")."""
    found = dict(db.session.execute(
        select(ScoreEntry.recorded_by, func.count()).select_from(Dispute).join(ScoreEntry, ScoreEntry.id == Dispute.entry_id)
        .where(_entries(ids, term_ids), Dispute.status == "reversed").group_by(ScoreEntry.recorded_by)).all())
    return {t: {"T-DISPUTE": float(found.get(t, 0))} for t in ids}


def _satisfaction(ids: list[int], term_ids: list[int]) -> dict[int, Figures]:
    rows = db.session.execute(
        select(CourseOffering.teacher_id, func.count(), _counted(CourseEvaluation.score >= 4))
        .join(CourseOffering, CourseOffering.id == CourseEvaluation.offering_id)
        .where(CourseOffering.teacher_id.in_(ids), CourseOffering.term_id.in_(term_ids))
        .group_by(CourseOffering.teacher_id)).all()
    return {t: {"T-SATISFY": _pct(ok, n) if n >= course_evaluation.MIN_ANSWERS else None} for t, n, ok in rows}


RESPONDER_ROLES = (Role.HEAD_TEACHER, Role.COUNSELLOR)


def _acknowledged(ids: list[int], term_ids: list[int]) -> dict[int, Figures]:
    """Of the warnings in the classes a teacher responds for (head teacher, counsellor: by class or
    department grant), and those they acknowledged anywhere, that were due or acknowledged: the
    share the teacher acknowledged in time. One escalated past them, or acknowledged by someone
    else, was not."""
    in_term = StudentWarning.term_id.in_(term_ids)
    responsible = select(RoleGrant.user_id.label("teacher"), StudentWarning.id.label("warning")) \
        .join(ClassGroup, or_(and_(RoleGrant.scope_type == Scope.CLASS, RoleGrant.scope_id == ClassGroup.id),
                              and_(RoleGrant.scope_type == Scope.DEPARTMENT, RoleGrant.scope_id == ClassGroup.department_id))) \
        .join(StudentWarning, StudentWarning.class_id == ClassGroup.id) \
        .where(RoleGrant.user_id.in_(ids), RoleGrant.role.in_(RESPONDER_ROLES), in_term)
    acknowledged = select(StudentWarning.acknowledged_by, StudentWarning.id).where(
        StudentWarning.acknowledged_by.in_(ids), in_term)
    pairs = union(responsible, acknowledged).subquery()
    in_time = and_(StudentWarning.acknowledged_by == pairs.c.teacher, StudentWarning.acknowledged_at <= StudentWarning.due_at)
    rows = db.session.execute(
        select(pairs.c.teacher, func.count(), _counted(in_time)).join(StudentWarning, StudentWarning.id == pairs.c.warning)
        .where(or_(StudentWarning.acknowledged_at.is_not(None), StudentWarning.due_at < clock.now()))
        .group_by(pairs.c.teacher)).all()
    return {t: {"T-ACK": _pct(ok, n)} for t, n, ok in rows}


PORTFOLIO = {"T-TRAIN": ("training",), "T-PRACTICE": ("industry_practice",), "T-RESEARCH": ("paper", "project")}


def _portfolio(ids: list[int], start: date, end: date) -> dict[int, Figures]:
    """Hours and counts of the portfolio's items dated in the window. For a teacher who keeps a
    portfolio (any item in the window) none of a kind is 0: they did no training. With no item at
    all, Spiral holds no record of theirs: no data, not 0 — shown as such, never short of a
    standard, never a warning to their department, never a 0 in the department's median."""
    rows: dict[int, dict] = {t: {} for t in ids}
    for t, kind, n, hours in db.session.execute(
            select(PortfolioItem.owner_id, PortfolioItem.kind, func.count(), func.coalesce(func.sum(PortfolioItem.hours), 0))
            .where(PortfolioItem.owner_id.in_(ids), PortfolioItem.occurred_on.between(start, end))
            .group_by(PortfolioItem.owner_id, PortfolioItem.kind)).all():
        rows[t][kind] = (n, hours)
    return {t: {"T-TRAIN": float(kinds.get("training", (0, 0))[1]),
                "T-PRACTICE": float(kinds.get("industry_practice", (0, 0))[1]),
                "T-RESEARCH": float(sum(kinds.get(k, (0, 0))[0] for k in PORTFOLIO["T-RESEARCH"]))}
            for t, kinds in rows.items() if kinds}
