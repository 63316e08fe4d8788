from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.auth.current import login_required
from backend.auth.policy import Resource, authorize, can, is_student
from backend.development import course_evaluation, plans, teacher_indicators, teacher_standards
from backend.errors import Problem
from backend.extensions import db
from backend.models import StaffProfile
from backend.org import directory
from backend.schemas.teacher_standards import (
    EvaluationIn,
    EvaluationOut,
    IndicatorQuery,
    StandardIn,
    StandardOut,
    StandardsOut,
    TeacherIndicatorsOut,
    YearQuery,
)

blp = Blueprint("teacher_standards", __name__, url_prefix="/api/v1",
                description="Teacher stage standards per academic year, and a teacher's indicators from Spiral's data")


@blp.get("/teacher-standards")
@blp.arguments(YearQuery, location="query")
@blp.response(200, StandardsOut)
@login_required
def list_standards(query):
    """The standards in force in an academic year (default: this one), per stage and indicator,
    with the indicators they name; `version_year` says which year set them (null: the seed's)."""
    authorize(current_user, "view", Resource.TEACHER_STANDARDS)
    year = query["year"] or plans.academic_year_now()
    rows, source = teacher_standards.standards(year)
    return {"year": year, "version_year": source, "can_edit": can(current_user, "edit", Resource.TEACHER_STANDARDS),
            "stages": plans.STAGES, "dimensions": plans.PARTS["teacher_cycle"],
            "indicators": list(teacher_indicators.INDICATORS.values()), "standards": rows}


@blp.put("/teacher-standards")
@blp.arguments(YearQuery, location="query")
@blp.arguments(StandardIn)
@blp.response(200, StandardOut)
@login_required
def put_standard(query, body):
    """Set a stage's standard for an indicator in a year (school admin; audited). The year gets its
    own copy of the standards in force first; other years never change. Values out of order for
    the indicator's direction are a 422 naming `standard` / `warning` / `target`; an unknown
    indicator a 422 naming `indicator_code`."""
    authorize(current_user, "edit", Resource.TEACHER_STANDARDS)
    return teacher_standards.put(query["year"] or plans.academic_year_now(), body, current_user.id)


@blp.get("/teachers/<int:teacher_id>/indicators")
@blp.arguments(IndicatorQuery, location="query")
@blp.response(200, TeacherIndicatorsOut)
@login_required
def teacher_indicators_view(query, teacher_id):
    """A teacher's indicators, computed from Spiral's data, beside the standard of their stage: for
    one term (`term_id`) or an academic year (`year`, default this one). The teacher and their
    department admin only."""
    staff = db.session.get(StaffProfile, teacher_id)
    authorize(current_user, "view", staff)
    if query["term_id"] is not None:
        term = directory.term_or_current(query["term_id"])
        year, values, terms = int(term.academic_year[:4]), teacher_indicators.compute(teacher_id, term), [term]
    else:
        year = query["year"] or plans.academic_year_now()
        values, terms = teacher_indicators.for_year(teacher_id, year), teacher_indicators.year_terms(year)
    stage = teacher_standards.stage_of(teacher_id, year)
    standards = teacher_standards.for_stage(stage, year) if stage else {}
    return {"teacher_id": teacher_id, "year": year, "term_id": query["term_id"], "stage": stage,
            "indicators": [{**vars(i), "value": values[code], "standard": standards.get(code)}
                           for code, i in teacher_indicators.INDICATORS.items()],
            "courses": teacher_indicators.by_course(teacher_id, terms)}


def _student():
    if not is_student(current_user):
        raise Problem(403, "仅限学生 / Students only")
    return current_user


@blp.get("/me/course-evaluations")
@blp.response(200, EvaluationOut(many=True))
@login_required
def my_evaluations():
    """The caller's course offerings this term and whether they have evaluated each (students)."""
    return course_evaluation.mine(_student())


@blp.post("/offerings/<int:offering_id>/evaluation")
@blp.arguments(EvaluationIn)
@blp.response(201, EvaluationOut)
@login_required
def evaluate(body, offering_id):
    """Evaluate a course offering of the caller's class this term, 1–5, once (409 after). Anonymous:
    the score is stored without the student."""
    return course_evaluation.evaluate(_student(), offering_id, body["score"])
