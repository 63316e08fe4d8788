"""The department's assessing diagnosis (评估诊断) of a teacher's yearly self-diagnosis, the
department admin's list of teachers to assess, and the department's teacher summary (counts)."""
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.api.common import KEY_DOC, once
from backend.auth.current import login_required
from backend.auth.policy import authorize, can
from backend.development import assessing, plans
from backend.errors import Problem
from backend.extensions import db
from backend.models import AssessingDiagnosis, Department, Plan
from backend.org import directory
from backend.platform import audit
from backend.schemas.assessing import (
    AssessingIn,
    AssessingOut,
    AssessingTeacherOut,
    DepartmentSummaryOut,
    YearQuery,
)

blp = Blueprint("assessing", __name__, url_prefix="/api/v1",
                description="The department's assessing diagnosis of teachers' years, and the department's summary")


def _plan(plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None or plan.kind != "teacher_year":
        raise Problem(404, "未找到 / Not found")
    return plan


def _assessed(plan: Plan, action: str) -> AssessingDiagnosis:
    a = assessing.of_plan(plan)
    authorize(current_user, action, a)
    return a


@blp.get("/plans/<int:plan_id>/assessing")
@blp.response(200, AssessingOut)
@login_required
def get_assessing(plan_id):
    """The assessing diagnosis of a teacher's annual plan. To the department admin: with the review
    (the frozen self-diagnosis and the teacher's computed indicators beside the stage standard; the
    read is audited). To the teacher: once agreed; before that only `status: pending`."""
    plan = _plan(plan_id)
    if plan.owner_id == current_user.id:
        a = assessing.find(plan)
        return assessing.view(a) if a is not None and a.status == "agreed" else assessing.pending(plan)
    a = _assessed(plan, "assess")
    review = assessing.review(plan)
    audit.sensitive_read(current_user.id, "teacher_assessing", str(plan.owner_id),
                         {"plan": plan.id, "purpose": "assessing diagnosis"})
    return assessing.view(a, review)


@blp.put("/plans/<int:plan_id>/assessing")
@blp.arguments(AssessingIn)
@blp.response(200, AssessingOut)
@login_required
def save_assessing(body, plan_id):
    """Save the draft: the assessment, a conclusion (目标达成度) and the agreed measures. 409 before
    the teacher submits the self-diagnosis and after it is agreed; a measure's values out of order
    or an indicator that does not exist is a 422 naming `measures[i].<field>`."""
    plan = _plan(plan_id)
    _assessed(plan, "assess")
    a = assessing.save(current_user, plan, body)
    db.session.commit()
    return assessing.view(a)


@blp.post("/plans/<int:plan_id>/assessing/agree")
@blp.arguments(AssessingIn)
@blp.response(200, AssessingOut)
@blp.doc(**KEY_DOC)
@login_required
def agree_assessing(body, plan_id):
    """Agree it (saving what the body carries first): each measure with values becomes a goal of the
    teacher's next-year plan (a draft the teacher can still change), and the teacher is told.
    Agreeing again adds nothing; `carried` says where the measures went."""
    plan = _plan(plan_id)
    _assessed(plan, "assess")

    def write():
        a, carry = assessing.agree(current_user, plan, body)
        return assessing.view(a, carry=carry)
    return once(f"assessing-agree:{plan_id}", body, write, AssessingOut)


@blp.get("/departments/<int:dept_id>/assessing")
@blp.arguments(YearQuery, location="query")
@blp.response(200, AssessingTeacherOut(many=True))
@login_required
def department_assessing(query, dept_id):
    """The department admin's list: each teacher's annual plan, self-diagnosis and assessing status."""
    authorize(current_user, "assess_teachers", db.session.get(Department, dept_id))
    return assessing.teacher_rows(dept_id, query["year"] or plans.academic_year_now())


@blp.get("/teacher-summary")
@blp.arguments(YearQuery, location="query")
@blp.response(200, DepartmentSummaryOut(many=True))
@login_required
def teacher_summary(query):
    """Per department the caller oversees (a department admin theirs, a school admin every one):
    teachers per stage, plans submitted and reviewed, self-diagnoses, assessing diagnoses agreed,
    teachers short of their stage standard per indicator. Counts only, no names."""
    departments = [d for d in directory.visible_departments(current_user)
                   if can(current_user, "view_teacher_summary", d)]
    if not departments:
        raise Problem(403, "无权操作 / Not allowed", "Department and school admins read the teacher summary.")
    year = query["year"] or plans.academic_year_now()
    return [assessing.summary(d, year) for d in departments]
