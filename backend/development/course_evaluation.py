"""A minimal anonymous course evaluation (学生评教, seed 000 "开展教师评学、学生评教"): a student rates
each course offering of their class this term once, 1–5. The score is stored without the student;
a second row records only that the student has evaluated (docs/DESIGN.md decision 7, least
exposure). A teacher's T-SATISFY is the share of 4s and 5s, shown only from MIN_ANSWERS answers on,
so that no single student's score can be read off it."""
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from backend.errors import Problem
from backend.extensions import db
from backend.models import (
    Course,
    CourseEvaluation,
    CourseEvaluationGiven,
    CourseOffering,
    OfferingClass,
    User,
)
from backend.org import directory
from backend.platform import clock

MIN_ANSWERS = 5


def _offerings(student: User):
    term = directory.current_term(clock.school_today())
    return select(CourseOffering, Course.name, User.display_name).join(Course, Course.id == CourseOffering.course_id) \
        .join(User, User.id == CourseOffering.teacher_id) \
        .join(OfferingClass, OfferingClass.offering_id == CourseOffering.id) \
        .where(OfferingClass.class_id == student.student.class_id, CourseOffering.term_id == term.id)


def mine(student: User) -> list[dict]:
    """The student's course offerings this term and whether they have evaluated each."""
    done = exists().where(CourseEvaluationGiven.offering_id == CourseOffering.id,
                          CourseEvaluationGiven.student_id == student.id)
    rows = db.session.execute(_offerings(student).add_columns(done).order_by(Course.name)).all()
    return [{"offering_id": o.id, "course": name, "teacher": teacher, "done": given} for o, name, teacher, given in rows]


def evaluate(student: User, offering_id: int, score: int) -> dict:
    """Once per student and offering (the database refuses a second); 404 for an offering that is
    not the student's class's this term."""
    if db.session.execute(_offerings(student).where(CourseOffering.id == offering_id)).first() is None:
        raise Problem(404, "未找到 / Not found")
    try:
        with db.session.begin_nested():
            db.session.add(CourseEvaluationGiven(offering_id=offering_id, student_id=student.id))
    except IntegrityError:
        raise Problem(409, "已评价过这门课 / You have evaluated this course") from None
    db.session.add(CourseEvaluation(offering_id=offering_id, score=score))
    db.session.commit()
    return {"offering_id": offering_id, "done": True}
