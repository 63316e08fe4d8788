"""Points computed from imported course grades (grade_import.py), as the attendance points are
computed from the marks: a point whose catalogue `source` is "grades" is never typed; the card and
the rollups read its values from here.

    S-A-09 学期学分绩   the student's credit-weighted mean grade over the term's courses (a grade
                        without credits weighs 1): the first sitting, as 学分绩 is usually reckoned,
                        so a passed make-up does not lift it
    C-A-05 学业未合格比率 the share (%) of the class's course grades that fail (< 60) after make-up:
                        a course passed at the make-up exam is no longer a failed course

A term's first grade import takes these points over (`take_over`): from then on they are computed
from the grades and refused at typing; before it, a college without the export types S-A-09 as the
catalogue's other points, so nothing depends on the academic-affairs system being connected.

Each value carries the teaching week of its last import (clamped to the term), like a once-a-term
entry carries the week it was recorded in.
"""
from collections import defaultdict

from sqlalchemy import func, select, true

from backend.extensions import db
from backend.models import CourseGrade, ScoringRule, StudentProfile, Term
from backend.platform import audit
from backend.valuecard import catalogue

SOURCE = "grades"
PASS = 60.0
STUDENT_POINTS = ("S-A-09",)
CLASS_POINTS = ("C-A-05",)


def _fed(rules, codes) -> dict[str, int]:
    """The point ids of `codes` whose rule says they come from grades in this term's catalogue."""
    return {r.point.code: r.point_id for r in rules if r.source == SOURCE and r.point.code in codes}


def taken_over(term: Term) -> list[ScoringRule]:
    """The term's grade points that are still typed and that an import would make computed."""
    return [r for r in catalogue.rules(term) if r.point.code in STUDENT_POINTS + CLASS_POINTS and r.source != SOURCE]


def take_over(term: Term, actor_id: int) -> list[str]:
    """Make the term's grade points computed from the imported grades (audited); their typed values,
    if any, stay in the ledger for the record but no longer count."""
    codes = []
    for rule in taken_over(term):
        audit.record(actor_id, "catalogue.source", "scoring_rule", rule.point.code,
                     {"from": rule.source, "to": SOURCE, "aggregate": rule.aggregate})
        rule.source, rule.aggregate = SOURCE, None
        codes.append(rule.point.code)
    return codes


def _week(term: Term, imported_at) -> int:
    return min(max(term.week_of(imported_at.date()), 1), term.weeks)


def _rows(term: Term, student_ids):
    query = (select(CourseGrade.student_id, StudentProfile.class_id, CourseGrade.score, CourseGrade.makeup_score,
                    CourseGrade.credits, CourseGrade.imported_at)
             .join(StudentProfile, StudentProfile.user_id == CourseGrade.student_id)
             .where(CourseGrade.term_id == term.id,
                    true() if student_ids is None else CourseGrade.student_id.in_(student_ids))
             .order_by(CourseGrade.id))
    return db.session.execute(query).all()


def student_values(term: Term, rules, student_ids=None) -> dict[int, dict[int, list[tuple[int, float]]]]:
    """Each student's grade-fed points: student id → point id → [(week, value)]."""
    point = _fed(rules, STUDENT_POINTS).get("S-A-09")
    if point is None:
        return {}
    sums: dict = defaultdict(lambda: [0.0, 0.0, None])  # student → [Σ credits·score, Σ credits, last import]
    for student_id, _, score, _, credits, imported_at in _rows(term, student_ids):
        weight = credits if credits else 1.0
        s = sums[student_id]
        s[0] += weight * score
        s[1] += weight
        s[2] = max(s[2], imported_at) if s[2] else imported_at
    return {sid: {point: [(_week(term, last), round(total / weight, 2))]}
            for sid, (total, weight, last) in sums.items() if weight}


def class_values(term: Term, rules, class_ids=None) -> dict[int, dict[int, list[tuple[int, float]]]]:
    """Each class's grade-fed points over its students now: class id → point id → [(week, value)]."""
    point = _fed(rules, CLASS_POINTS).get("C-A-05")
    if point is None:
        return {}
    students = None
    if class_ids is not None:
        students = select(StudentProfile.user_id).where(StudentProfile.class_id.in_(class_ids)).scalar_subquery()
    tally: dict = defaultdict(lambda: [0, 0, None])  # class → [failed, graded, last import]
    for _, class_id, score, makeup, _, imported_at in _rows(term, students):
        final = makeup if makeup is not None else score
        t = tally[class_id]
        t[0] += final < PASS
        t[1] += 1
        t[2] = max(t[2], imported_at) if t[2] else imported_at
    return {cid: {point: [(_week(term, last), round(100 * failed / graded, 2))]}
            for cid, (failed, graded, last) in tally.items() if graded}


def grade_count(term: Term) -> int:
    return db.session.scalar(select(func.count()).select_from(CourseGrade).where(CourseGrade.term_id == term.id))
