from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.api.common import KEY_DOC, answers, download, once
from backend.auth import access
from backend.auth.current import login_required
from backend.auth.policy import authorize, can
from backend.development import development_report, diagnosis, plans
from backend.extensions import db
from backend.models import ClassGroup, Department, Goal, Plan, StaffProfile, StudentProfile, User
from backend.org import directory
from backend.platform import audit
from backend.reporting import document
from backend.schemas.development import (
    ClassPlanOut,
    CommentIn,
    DiagnosisIn,
    DiagnosisOut,
    GoalIn,
    GoalPatchIn,
    LogIn,
    PlanBriefOut,
    PlanIn,
    PlanOut,
    PlanPatchIn,
    ReportQuery,
    ReviewIn,
    TeacherPlanOut,
)
from backend.schemas.org import TermQuery

blp = Blueprint("development", __name__, url_prefix="/api/v1",
                description="Development plans, goals, self-diagnosis, and the development reports")


def _plan(plan_id: int, action: str = "view") -> Plan:
    plan = db.session.get(Plan, plan_id)
    authorize(current_user, action, plan)
    return plan


def _goal(goal_id: int) -> Goal:
    goal = db.session.get(Goal, goal_id)
    authorize(current_user, "edit", goal and goal.plan)
    return goal


def _view(plan: Plan) -> dict:
    return plans.view(plan, current_user)


@blp.get("/me/plans")
@blp.response(200, PlanBriefOut(many=True))
@login_required
def my_plans():
    """The caller's plans, newest period first."""
    return plans.owned(current_user)


@blp.post("/me/plans")
@blp.arguments(PlanIn)
@blp.response(201, PlanOut)
@blp.doc(**KEY_DOC)
@login_required
def create_plan(body):
    """Start a plan: students `student_cycle` (three years) or `student_term`; teachers
    `teacher_cycle` (three years, with a stage) or `teacher_year` (the annual work plan)."""
    return once("plan", body, lambda: _view(plans.create(current_user, body)), PlanOut, 201)


@blp.get("/plans/<int:plan_id>")
@blp.response(200, PlanOut)
@login_required
def get_plan(plan_id):
    """A plan with each goal's actual value and standing; the private note only to its owner."""
    return _view(_plan(plan_id))


@blp.patch("/plans/<int:plan_id>")
@blp.arguments(PlanPatchIn)
@blp.response(200, PlanOut)
@login_required
def update_plan(body, plan_id):
    plan = plans.update(_plan(plan_id, "edit"), body)
    db.session.commit()
    return _view(plan)


@blp.post("/plans/<int:plan_id>/goals")
@blp.arguments(GoalIn)
@blp.response(201, PlanOut)
@blp.doc(**KEY_DOC)
@login_required
def add_goal(body, plan_id):
    """A goal linked to a catalogue point (`point_code`; progress from the ledger) or a free goal
    with milestones. Values below the college's standard or warning values are refused (422)."""
    plan = _plan(plan_id, "edit")
    return once(f"goal:{plan_id}", body, lambda: _view(plans.set_goal(plan, body).plan), PlanOut, 201)


@blp.patch("/goals/<int:goal_id>")
@blp.arguments(GoalPatchIn)
@blp.response(200, PlanOut)
@login_required
def update_goal(body, goal_id):
    """Change a goal while the plan is a draft or returned; tick milestones off at any time."""
    goal = _goal(goal_id)
    plans.set_goal(goal.plan, body, goal)
    db.session.commit()
    return _view(goal.plan)


@blp.delete("/goals/<int:goal_id>")
@blp.response(200, PlanOut)
@login_required
def delete_goal(goal_id):
    goal = _goal(goal_id)
    plan = goal.plan
    plans.delete_goal(goal)
    db.session.commit()
    return _view(plan)


@blp.post("/goals/<int:goal_id>/logs")
@blp.arguments(LogIn)
@blp.response(201, PlanOut)
@blp.doc(**KEY_DOC)
@login_required
def log_progress(body, goal_id):
    """A progress log on a free goal: a value, a note, or both."""
    goal = _goal(goal_id)
    return once(f"goal-log:{goal_id}", body, lambda: _view(plans.log_progress(goal, body).plan), PlanOut, 201)


@blp.post("/plans/<int:plan_id>/submit")
@blp.response(200, PlanOut)
@blp.doc(**KEY_DOC)
@login_required
def submit_plan(plan_id):
    """Send the plan to the head teacher (students) or the department admin (teachers)."""
    plan = _plan(plan_id, "edit")
    return once(f"plan-submit:{plan_id}", {}, lambda: _view(plans.submit(plan)), PlanOut)


@blp.post("/plans/<int:plan_id>/review")
@blp.arguments(ReviewIn)
@blp.response(200, PlanOut)
@blp.doc(**KEY_DOC)
@login_required
def review_plan(body, plan_id):
    """Approve (a student's plan points are scored through the ledger) or return with comments."""
    plan = _plan(plan_id, "review")
    return once(f"plan-review:{plan_id}", body,
                lambda: _view(plans.review(current_user, plan, body["decision"], body["comment"])), PlanOut)


@blp.get("/plans/<int:plan_id>/diagnosis")
@blp.response(200, DiagnosisOut)
@login_required
def get_diagnosis(plan_id):
    """The period-end self-diagnosis; while a draft, each goal's actual value is filled in from data."""
    return diagnosis.of_plan(_plan(plan_id))


@blp.put("/plans/<int:plan_id>/diagnosis")
@blp.arguments(DiagnosisIn)
@blp.response(200, DiagnosisOut)
@login_required
def save_diagnosis(body, plan_id):
    """Save causes and improvement measures per goal, and a summary (a draft)."""
    d = diagnosis.save(_plan(plan_id, "edit"), body)
    db.session.commit()
    return d


@blp.post("/plans/<int:plan_id>/diagnosis/submit")
@blp.arguments(DiagnosisIn)
@blp.response(200, DiagnosisOut)
@blp.doc(**KEY_DOC)
@login_required
def submit_diagnosis(body, plan_id):
    """Freeze the self-diagnosis and draft next period's plan from it (`next_plan_id`)."""
    plan = _plan(plan_id, "edit")
    return once(f"diagnosis-submit:{plan_id}", body, lambda: diagnosis.submit(plan, body), DiagnosisOut)


@blp.post("/plans/<int:plan_id>/diagnosis/comment")
@blp.arguments(CommentIn)
@blp.response(200, DiagnosisOut)
@login_required
def comment_diagnosis(body, plan_id):
    """The head teacher's (students) or department admin's (teachers) comment."""
    d = diagnosis.comment(current_user, _plan(plan_id, "review"), body["comment"])
    db.session.commit()
    return d


@blp.get("/classes/<int:class_id>/plans")
@blp.arguments(TermQuery, location="query")
@blp.response(200, ClassPlanOut(many=True))
@login_required
def class_plans(query, class_id):
    """Where each student's plan, self-assessment and self-diagnosis stand: counts, no contents."""
    cls = db.session.get(ClassGroup, class_id)
    authorize(current_user, "view_plan_summary", cls)
    rows = plans.class_summary(cls, directory.term_or_current(query["term_id"]))
    # A department admin follows the class by these counts without reading anyone's plan: no link
    # to a plan they cannot open (the students of one class share their mentors).
    if rows and not can(current_user, "view_development", db.session.get(StudentProfile, rows[0]["student_id"])):
        for row in rows:
            row["plan_id"] = None
    return rows


@blp.get("/departments/<int:dept_id>/teachers")
@blp.arguments(ReportQuery, location="query")
@blp.response(200, TeacherPlanOut(many=True))
@login_required
def department_teachers(query, dept_id):
    """The department's teachers: stage, plan and self-diagnosis status, evidence count; no private notes."""
    authorize(current_user, "view_teacher_plans", db.session.get(Department, dept_id))
    return plans.department_teachers(dept_id, query["year"] or plans.academic_year_now())


def _download(report: dict, doc: dict, fmt: str):
    if fmt == "json":
        return report
    return download(document.render(doc, fmt), fmt, report["title"])


@blp.get("/students/<int:student_id>/development-report")
@blp.arguments(ReportQuery, location="query")
@answers(blp, "json", "pdf", "xlsx", description="The report, as `format` asks")
@login_required
def student_report(query, student_id):
    """The term development report: card, radar, goals, self-diagnosis, suggestions (`format` json, pdf, xlsx)."""
    # The right to the report first: a refused read writes no audit row.
    authorize(current_user, "view_development", db.session.get(StudentProfile, student_id))
    profile, sensitive = access.student(current_user, student_id, "development report")
    report = development_report.student_term(profile, directory.term_or_current(query["term_id"]), sensitive)
    return _download(report, development_report.student_document(report), query["format"])


@blp.get("/teachers/<int:teacher_id>/yearly-report")
@blp.arguments(ReportQuery, location="query")
@answers(blp, "json", "pdf", "xlsx", description="The report, as `format` asks")
@login_required
def teacher_report(query, teacher_id):
    """The teacher's yearly self-diagnosis report: stage, annual plan achievement, portfolio, diagnosis."""
    authorize(current_user, "view", db.session.get(StaffProfile, teacher_id))
    year = query["year"] or plans.academic_year_now()
    if current_user.id != teacher_id:  # the report holds the teacher portrait (issue 20): audited as its read is
        audit.sensitive_read(current_user.id, "teacher_portrait", str(teacher_id), {"year": year, "via": "yearly_report"})
    report = development_report.teacher_year(db.session.get(User, teacher_id), year)
    return _download(report, development_report.teacher_document(report), query["format"])
