"""A teacher's indicators, computed from what Spiral already holds — never typed (issue 20).

Each indicator belongs to a dimension of seed 002 table 13 and says where its figure comes from.
One function computes all of them over a set of terms and a date window: `compute` for one term,
`for_year` for the terms of an academic year taken together (rates are pooled over the marks,
grades and warnings of both terms, not averaged per term). A handful of aggregate statements per
teacher, never one per session: the benchmark is bench/teacher_indicators.py.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_, select

from backend.auth.roles import Role, Scope
from backend.extensions import db
from backend.models import (
    AttendanceMark,
    ClassGroup,
    ClassSession,
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
         "Spiral 尚无学生评教数据，暂无数值 / Spiral holds no course evaluation (评教) yet: no figure"),
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
    return _figures(teacher_id, [term], term.starts_on, term.ends_on)


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
    terms = year_terms(year)
    start, end = year_window(year, terms)
    return _figures(teacher_id, terms, start, end)


def _figures(teacher_id: int, terms: list[Term], start: date, end: date) -> Figures:
    out: Figures = dict.fromkeys(INDICATORS)
    term_ids = [t.id for t in terms]
    if terms:
        out.update(_attendance(teacher_id, term_ids))
        out.update(_recorded(teacher_id, term_ids))
        out.update(_grades(teacher_id, term_ids))
        out["T-TIMELY"] = _timeliness(teacher_id, terms)
        out["T-DISPUTE"] = _disputes(teacher_id, term_ids)
        out["T-ACK"] = _acknowledged(teacher_id, term_ids)
    out.update(_portfolio(teacher_id, start, end))
    return out


def _pct(part, whole) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _counted(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# The filters every query shares: the teacher's sessions, entries and offerings in these terms.
def _sessions(teacher_id: int, term_ids: list[int]):
    return and_(ClassSession.teacher_id == teacher_id, ClassSession.term_id.in_(term_ids))


def _entries(teacher_id: int, term_ids: list[int]):
    return and_(ScoreEntry.recorded_by == teacher_id, ScoreEntry.term_id.in_(term_ids))


def _attendance(teacher_id: int, term_ids: list[int]) -> Figures:
    present, late, absent = db.session.execute(
        select(_counted(AttendanceMark.status == "present"), _counted(AttendanceMark.status == "late"),
               _counted(AttendanceMark.status == "absent"))
        .join(ClassSession, ClassSession.id == AttendanceMark.session_id).where(_sessions(teacher_id, term_ids))).one()
    return {"T-ATTEND": _pct(present + late, present + late + absent), "T-PUNCTUAL": _pct(present, present + late)}


RECORDED = {"S-A-06": "T-HOMEWORK", "S-A-05": "T-PREVIEW"}


def _recorded(teacher_id: int, term_ids: list[int]) -> Figures:
    """The mean of the live values the teacher recorded for the per-session rate points."""
    rows = db.session.execute(
        select(ScoringPoint.code, func.avg(ScoreEntry.value)).join(ScoringPoint, ScoringPoint.id == ScoreEntry.point_id)
        .where(_entries(teacher_id, term_ids), ScoringPoint.code.in_(list(RECORDED)), ledger.counts())
        .group_by(ScoringPoint.code)).all()
    found = {RECORDED[code]: round(mean, 1) for code, mean in rows if mean is not None}
    return {code: found.get(code) for code in RECORDED.values()}


# Scores are 0–100, so a grade point is 0–5.
GRADE_POINT = case((CourseGrade.score >= 60, (CourseGrade.score - 50) / 10.0), else_=0.0)


def grade_rows(teacher_id: int, term_ids: list[int]):
    """Per course the teacher taught: how many grades, the sum of their grade points, how many failed.
    A grade counts for an offering's teacher when its student is in one of the offering's classes."""
    return db.session.execute(
        select(CourseGrade.course_id, func.count(), func.sum(GRADE_POINT), _counted(CourseGrade.score < 60))
        .select_from(CourseOffering).join(OfferingClass, OfferingClass.offering_id == CourseOffering.id)
        .join(StudentProfile, StudentProfile.class_id == OfferingClass.class_id)
        .join(CourseGrade, and_(CourseGrade.student_id == StudentProfile.user_id,
                                CourseGrade.course_id == CourseOffering.course_id,
                                CourseGrade.term_id == CourseOffering.term_id))
        .where(CourseOffering.teacher_id == teacher_id, CourseOffering.term_id.in_(term_ids))
        .group_by(CourseGrade.course_id)).all()


def _grades(teacher_id: int, term_ids: list[int]) -> Figures:
    rows = grade_rows(teacher_id, term_ids)
    n = sum(r[1] for r in rows)
    return {"T-GPA": round(sum(r[2] for r in rows) / n, 2) if n else None,
            "T-FAIL": _pct(sum(r[3] for r in rows), n)}


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


def _timeliness(teacher_id: int, terms: list[Term]) -> float | None:
    """Mean days late per batch (a batch is one act of scoring, whatever its size): one row per
    batch, the period's end worked out here rather than in two SQL dialects."""
    rows = db.session.execute(
        select(ScoreEntry.term_id, ScoreEntry.period, func.min(ScoreEntry.recorded_at))
        .where(_entries(teacher_id, [t.id for t in terms]), ScoreEntry.reverses_id.is_(None))
        .group_by(ScoreEntry.term_id, ScoreEntry.period, ScoreEntry.batch_id)).all()
    if not rows:
        return None
    by_id = {t.id: t for t in terms}
    late = [max(0, (clock.school_date(at) - period_end(period, by_id[tid])).days) for tid, period, at in rows]
    return round(sum(late) / len(late), 1)


def _disputes(teacher_id: int, term_ids: list[int]) -> float:
    return float(db.session.scalar(
        select(func.count()).select_from(Dispute).join(ScoreEntry, ScoreEntry.id == Dispute.entry_id)
        .where(_entries(teacher_id, term_ids), Dispute.status == "reversed")))


RESPONDER_ROLES = (Role.HEAD_TEACHER, Role.COUNSELLOR)


def _acknowledged(teacher_id: int, term_ids: list[int]) -> float | None:
    """Of the warnings in the classes the teacher responds for (head teacher, counsellor: by class
    or department grant) that were due or acknowledged, the share the teacher acknowledged in time.
    One escalated past them, or acknowledged by someone else, was not."""
    grants = select(RoleGrant.scope_type, RoleGrant.scope_id).where(
        RoleGrant.user_id == teacher_id, RoleGrant.role.in_(RESPONDER_ROLES)).subquery()
    classes = select(ClassGroup.id).join(grants, or_(
        and_(grants.c.scope_type == Scope.CLASS, grants.c.scope_id == ClassGroup.id),
        and_(grants.c.scope_type == Scope.DEPARTMENT, grants.c.scope_id == ClassGroup.department_id)))
    in_time = and_(StudentWarning.acknowledged_by == teacher_id, StudentWarning.acknowledged_at <= StudentWarning.due_at)
    total, ok = db.session.execute(
        select(func.count(), _counted(in_time)).where(
            StudentWarning.term_id.in_(term_ids),
            or_(StudentWarning.class_id.in_(classes), StudentWarning.acknowledged_by == teacher_id),
            or_(StudentWarning.acknowledged_at.is_not(None), StudentWarning.due_at < clock.now()))).one()
    return _pct(ok, total)


PORTFOLIO = {"T-TRAIN": ("training",), "T-PRACTICE": ("industry_practice",), "T-RESEARCH": ("paper", "project")}


def _portfolio(teacher_id: int, start: date, end: date) -> Figures:
    """Hours and counts of the portfolio's items dated in the window; none recorded is 0, not
    "no data": a teacher who did no training has 0 hours."""
    rows = dict((kind, (n, hours)) for kind, n, hours in db.session.execute(
        select(PortfolioItem.kind, func.count(), func.coalesce(func.sum(PortfolioItem.hours), 0))
        .where(PortfolioItem.owner_id == teacher_id, PortfolioItem.occurred_on.between(start, end))
        .group_by(PortfolioItem.kind)).all())
    return {"T-TRAIN": float(rows.get("training", (0, 0))[1]),
            "T-PRACTICE": float(rows.get("industry_practice", (0, 0))[1]),
            "T-RESEARCH": float(sum(rows.get(k, (0, 0))[0] for k in PORTFOLIO["T-RESEARCH"]))}
