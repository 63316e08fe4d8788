"""Development plans: goals with target, standard and warning values; review; monitoring.

Students plan in parts A (academic), B (comprehensive quality) and C (career) (seed 002), over
three years and each semester; goals never go below the college's standard values (seed 003).
Teachers plan over a three-year cycle in the dimensions of seed 002 table 13, and each year in
parts A (teaching, research, service tasks) and B (training and growth).
"""
from datetime import datetime

from sqlalchemy import exists, func, select

from backend.auth.roles import Role
from backend.development import assessment, teacher_indicators, teacher_standards
from backend.errors import Problem
from backend.extensions import db
from backend.models import (
    ClassGroup,
    Goal,
    GoalLog,
    Plan,
    PortfolioItem,
    ScoreEntry,
    SelfDiagnosis,
    StaffProfile,
    Term,
    User,
)
from backend.notify import notifications
from backend.org import directory
from backend.platform import clock
from backend.valuecard import card, catalogue, ledger

INVALID = "请求数据有误 / Invalid request data"
PARTS = {
    "student_cycle": ("A", "B", "C"),
    "student_term": ("A", "B", "C"),
    "teacher_cycle": ("ethics", "teaching", "research", "management", "career"),
    "teacher_year": ("A", "B"),
}
STUDENT_KINDS = ("student_cycle", "student_term")
STAGES = ("novice", "competent", "mature", "expert")
EDITABLE = ("draft", "returned")
# Approving a student's plan scores the plan point of each part's domain (catalogue #1).
PLAN_POINTS = {"A": "S-A-01", "B": "S-P-01", "C": "S-C-01"}


def academic_year_now() -> int:
    return int(directory.current_term(clock.school_today()).academic_year[:4])


def create(owner: User, body: dict) -> Plan:
    kind = body["kind"]
    if (kind in STUDENT_KINDS) != (owner.student is not None):
        raise Problem(422, INVALID, errors={"kind": ["学生计划只能由学生创建，教师计划只能由教师创建 / "
                                                     "Students keep student plans, teachers keep teacher plans."]})
    term = None
    if kind == "student_term":
        term = directory.term_or_current(body.get("term_id"))
        start, period = int(term.academic_year[:4]), f"term:{term.id}"
    else:
        default = db.session.get(ClassGroup, owner.student.class_id).entry_year if kind == "student_cycle" \
            else academic_year_now()
        start = body.get("start_year") or default
        period = str(start) if kind == "teacher_year" else f"{start}-{start + 2}"
    found = find(owner.id, kind, period)
    if found is not None:
        raise Problem(409, "该期间的计划已存在 / A plan for this period exists", f"Open plan {found.id}.")
    plan = Plan(owner_id=owner.id, kind=kind, period=period, term_id=term and term.id, start_year=start,
                stage=body.get("stage") or ("novice" if kind == "teacher_cycle" else None),
                summary=body.get("summary", ""), private_note=body.get("private_note", ""))
    db.session.add(plan)
    db.session.flush()
    return plan


def find(owner_id: int, kind: str, period: str) -> Plan | None:
    return db.session.scalar(select(Plan).where(Plan.owner_id == owner_id, Plan.kind == kind, Plan.period == period))


def term_of(plan: Plan) -> Term:
    """The term whose catalogue and card a plan's linked goals follow."""
    return db.session.get(Term, plan.term_id) if plan.term_id else directory.current_term(clock.school_today())


def require_editable(plan: Plan) -> None:
    if plan.status not in EDITABLE:
        raise Problem(409, "计划已提交，不能修改 / The plan is submitted", "Wait for the review, or edit a returned plan.")


def update(plan: Plan, body: dict) -> Plan:
    if set(body) - {"private_note"}:
        require_editable(plan)
    for key, value in body.items():
        setattr(plan, key, value)
    return plan


def _sign(direction: str) -> int:
    return 1 if direction == "higher_better" else -1


def _check_values(values: dict, direction: str, errors: dict, rule=None) -> None:
    s = _sign(direction)
    target, standard, warning = values["target"], values["standard"], values["warning"]
    if not s * target >= s * standard >= s * warning:
        errors["standard"] = ["标准值应介于目标值与预警值之间 / The standard value must lie between the target and "
                              "the warning value."]
    if rule is None:
        return
    _not_worse(values, direction, errors, rule.standard_value, rule.warning_value, ("学院", "the college's"))
    for key in ("target", "standard", "warning"):
        problem = ledger.check_value(rule, values[key])  # what a value of this point can be at all
        if problem:
            errors[key] = [problem]


def _not_worse(values: dict, direction: str, errors: dict, standard: float, warning: float | None,
               whose: tuple[str, str]) -> None:
    """A goal's standard and warning values never worse than the ones set for everyone (the college's
    for a student, the stage's for a teacher: seed 003)."""
    s = _sign(direction)
    worse = "低于" if s > 0 else "高于"
    if s * values["standard"] < s * standard:
        errors["standard"] = [f"不得{worse}{whose[0]}标准值 {standard:g} / Must not be "
                              f"{'below' if s > 0 else 'above'} {whose[1]} standard value {standard:g}."]
    if warning is not None and s * values["warning"] < s * warning:
        errors["warning"] = [f"不得{worse}{whose[0]}预警值 {warning:g} / Must not be "
                             f"{'below' if s > 0 else 'above'} {whose[1]} warning value {warning:g}."]


def _linked_rule(plan: Plan, code: str, errors: dict):
    rule = next((r for r in catalogue.rules(term_of(plan)) if r.point.code == code), None)
    # Need-to-know points stay out of plans, which reviewers and the department summary read.
    if rule is None or rule.point.level != "individual" or rule.value_type == "document" or rule.sensitive:
        errors["point_code"] = [f"{code} 不是可作为目标的个人采分点 / {code} is not an individual scoring point a "
                                "goal can follow."]
        return None
    return rule


STAGE_ZH = {"novice": "新手", "competent": "胜任", "mature": "成熟", "expert": "专家"}


def _linked_indicator(code: str, errors: dict):
    """A teacher goal links a teacher indicator (issue 20): its actual value comes from Spiral's data."""
    found = teacher_indicators.INDICATORS.get(code)
    if found is None:
        errors["point_code"] = [f"{code} 不是教师指标（可选 {', '.join(teacher_indicators.INDICATORS)}） / {code} is "
                                "not a teacher indicator."]
    return found


def teacher_year(plan: Plan) -> int:
    """The academic year a teacher plan's linked goals are measured in: the annual plan's own year;
    for the three-year plan this year, held inside the plan's three."""
    if plan.kind == "teacher_year":
        return plan.start_year
    return min(max(academic_year_now(), plan.start_year), plan.start_year + 2)


def _stage_standard(plan: Plan, code: str):
    """The stage standard a teacher goal may not fall below: the plan's stage (the annual plan: the
    stage of the three-year plan covering its year), in the year the goal is measured in."""
    year = teacher_year(plan)
    stage = plan.stage or teacher_standards.stage_of(plan.owner_id, year)
    return teacher_standards.for_stage(stage, year).get(code) if stage else None


def set_goal(plan: Plan, body: dict, goal: Goal | None = None) -> Goal:
    """Add a goal or change one: values checked against each other and the college's standards."""
    merged = {k: getattr(goal, k) for k in ("part", "title", "point_code", "direction", "unit", "target",
                                              "standard", "warning", "milestones")} if goal else {}
    merged.update(body)
    if set(body) - {"milestones"}:  # ticking a milestone off is part of doing the plan
        require_editable(plan)
    errors: dict = {}
    if merged.get("part") not in PARTS[plan.kind]:
        errors["part"] = [f"应为 {', '.join(PARTS[plan.kind])} 之一 / One of {', '.join(PARTS[plan.kind])}."]
    teacher_goal = plan.kind not in STUDENT_KINDS
    linked = merged.get("point_code")
    rule = _linked_rule(plan, linked, errors) if linked and not teacher_goal else None
    indicator = _linked_indicator(linked, errors) if linked and teacher_goal else None
    if rule is not None:
        merged["direction"] = rule.direction
        merged["unit"] = "%" if rule.value_type == "rate" else merged.get("unit")
    if indicator is not None:
        merged["direction"], merged["unit"] = indicator.direction, indicator.unit
    if linked and any(g.point_code == linked and g is not goal for g in plan.goals):
        errors["point_code"] = [f"本计划已有关联 {linked} 的目标 / A goal of this plan already follows {linked}."]
    if indicator is not None and not errors:  # a percentage is 0–100, hours and counts are not negative
        errors.update(teacher_standards.check(indicator.code, merged))
    if not errors:
        _check_values(merged, merged.get("direction") or "higher_better", errors, rule)
    if indicator is not None and not errors:
        floor = _stage_standard(plan, indicator.code)
        if floor is not None:
            _not_worse(merged, indicator.direction, errors, floor.standard, floor.warning,
                       (f"{STAGE_ZH[floor.stage]}阶段", f"the {floor.stage} stage's"))
    if errors:
        raise Problem(422, INVALID, errors=errors)
    if goal is None:
        goal = Goal(plan=plan)
        db.session.add(goal)
    for key, value in merged.items():
        setattr(goal, key, value)
    db.session.flush()
    return goal


def delete_goal(goal: Goal) -> None:
    require_editable(goal.plan)
    db.session.delete(goal)


def log_progress(goal: Goal, body: dict) -> Goal:
    if goal.point_code:
        raise Problem(422, INVALID, errors={"value": [
            "关联采分点的目标由系统记录进度 / A linked goal's progress comes from the ledger."]})
    goal.logs.append(GoalLog(value=body.get("value"), note=body.get("note", ""),
                             logged_on=body.get("logged_on") or clock.school_today()))
    db.session.flush()
    return goal


def standing(goal, actual: float | None) -> str:
    """Where the actual value stands: target | standard | below_standard | past_warning | no_data."""
    if actual is None:
        return "no_data"
    s = _sign(goal.direction)
    if s * actual >= s * goal.target:
        return "target"
    if s * actual >= s * goal.standard:
        return "standard"
    return "past_warning" if s * actual < s * goal.warning else "below_standard"


def actuals(plan: Plan, owner_card: card.Card | None = None) -> dict[int, float | None]:
    """Each goal's actual value: the owner's indicator for a linked goal (a student's from the card, a
    teacher's from teacher_indicators for the plan's academic year), the last logged value otherwise."""
    linked = any(g.point_code for g in plan.goals)
    teacher = None
    if linked and plan.kind not in STUDENT_KINDS:
        teacher = teacher_indicators.for_year(plan.owner_id, teacher_year(plan))
    elif owner_card is None and linked:
        owner_card = card.cards_for([plan.owner_id], term_of(plan))[plan.owner_id]
    out = {}
    for g in plan.goals:
        if g.point_code:
            out[g.id] = teacher.get(g.point_code) if teacher is not None else owner_card.indicator(g.point_code)
        else:
            logged = [entry.value for entry in g.logs if entry.value is not None]
            out[g.id] = logged[-1] if logged else None
    return out


def goal_values(goal: Goal, actual: float | None) -> dict:
    """A goal's values beside its actual value and standing: what the plan and the diagnosis show."""
    return {"part": goal.part, "title": goal.title, "point_code": goal.point_code, "direction": goal.direction,
            "unit": goal.unit, "target": goal.target, "standard": goal.standard, "warning": goal.warning,
            "actual": actual, "standing": standing(goal, actual)}


def view(plan: Plan, viewer: User) -> dict:
    values = actuals(plan)
    diagnosis = db.session.scalar(select(SelfDiagnosis).where(SelfDiagnosis.plan_id == plan.id))
    goals = [{**goal_values(g, values[g.id]), "id": g.id, "milestones": g.milestones or [],
              "carried_from_id": g.carried_from_id, "logs": g.logs[-10:]} for g in plan.goals]
    owner = db.session.get(User, plan.owner_id)
    return {"id": plan.id, "kind": plan.kind, "period": plan.period, "term_id": plan.term_id,
            "start_year": plan.start_year, "stage": plan.stage, "status": plan.status, "summary": plan.summary,
            "private_note": plan.private_note if viewer.id == plan.owner_id else None,
            "owner": {"id": owner.id, "name": owner.display_name}, "submitted_at": plan.submitted_at,
            "reviewed_at": plan.reviewed_at, "review_comment": plan.review_comment, "parts": PARTS[plan.kind],
            "goals": goals, "diagnosis": diagnosis and {"id": diagnosis.id, "status": diagnosis.status}}


def owned(owner: User) -> list[Plan]:
    return db.session.scalars(select(Plan).where(Plan.owner_id == owner.id)
                              .order_by(Plan.start_year.desc(), Plan.id.desc())).all()


def reviewers(plan: Plan) -> list[int]:
    """Who reviews: the student's head teachers; the teacher's department admins."""
    owner = db.session.get(User, plan.owner_id)
    if owner.student is not None:
        return directory.responders(db.session.get(ClassGroup, owner.student.class_id), Role.HEAD_TEACHER)
    staff = db.session.get(StaffProfile, plan.owner_id)
    if staff is None or staff.department_id is None:
        return []
    return directory.department_admins(staff.department_id)


def submit(plan: Plan) -> Plan:
    require_editable(plan)
    present = {g.part for g in plan.goals}
    errors = {f"goals.{part}": ["每个部分至少一个目标 / Every part needs at least one goal."]
              for part in PARTS[plan.kind] if part not in present}
    if errors:
        raise Problem(422, "计划不完整 / The plan is incomplete", errors=errors)
    plan.status, plan.submitted_at = "submitted", clock.now()
    notifications.send(reviewers(plan), kind="review", level=None, title="有一份计划等待审阅 / A plan awaits review",
                       body="", url=f"/#/plans/{plan.id}")
    return plan


def review(reviewer: User, plan: Plan, decision: str, comment: str | None) -> Plan:
    if plan.status != "submitted":
        raise Problem(409, "计划不在待审状态 / The plan is not waiting for review")
    if decision == "return" and not (comment or "").strip():
        raise Problem(422, INVALID, errors={"comment": ["退回时请写明意见 / Say what to change when returning a plan."]})
    plan.status = "approved" if decision == "approve" else "returned"
    plan.reviewed_by, plan.reviewed_at, plan.review_comment = reviewer.id, clock.now(), comment
    if plan.status == "approved" and plan.kind in STUDENT_KINDS:
        _score_plan(reviewer, plan)
    title = "您的计划已通过 / Your plan was approved" if plan.status == "approved" \
        else "您的计划被退回 / Your plan was returned"
    notifications.send([plan.owner_id], kind="plan", level=None, title=title,
                       body=comment or "", url=f"/#/plans/{plan.id}")
    return plan


def _score_plan(reviewer: User, plan: Plan) -> None:
    """The plan points of the parts this plan covers, through the ledger like any other entry;
    a point already scored this term (by the three-year plan, say) is left as it is."""
    term = term_of(plan)
    for part in sorted({g.part for g in plan.goals}):
        rule = catalogue.rule(term, PLAN_POINTS[part])
        scored = db.session.scalar(select(exists().where(
            ScoreEntry.term_id == term.id, ScoreEntry.point_id == rule.point_id,
            ScoreEntry.student_id == plan.owner_id, ledger.counts())))
        # The reviewer scores only the parts the catalogue lets them (S-C-01, the career plan, is the
        # teaching office's and student affairs' per seed 002 table 15, not the head teacher's).
        if not scored and ledger.can_score(reviewer, rule, db.session.get(ClassGroup, db.session.get(User, plan.owner_id).student.class_id)):
            ledger.record_batch(reviewer, term, {"point": PLAN_POINTS[part], "period": "term",
                                                 "entries": [{"student_id": plan.owner_id, "value": 1}]})


def monitor(term: Term, cards: dict, now: datetime) -> list[dict]:
    """Nudge students whose linked indicator crossed their own goal's warning value. Runs before
    the warning rules, and a goal's warning value is never below the college's, so the student
    hears first. Returns the crossings (the hook for a rule that wants them)."""
    rows = db.session.execute(select(Goal, Plan).join(Plan, Plan.id == Goal.plan_id).where(
        Plan.owner_id.in_(list(cards)), Goal.point_code.is_not(None), Plan.status.in_(("submitted", "approved")),
        (Plan.term_id == term.id) | (Plan.kind == "student_cycle"))).all()
    crossings = []
    for goal, plan in rows:
        actual = cards[plan.owner_id].indicator(goal.point_code)
        past = standing(goal, actual) == "past_warning"
        if past and goal.nudged_at is None:
            goal.nudged_at = now
            crossings.append({"student_id": plan.owner_id, "goal_id": goal.id, "actual": actual})
            notifications.send([plan.owner_id], kind="nudge", level=None, now=now, url=f"/#/plans/{plan.id}",
                               title=f"目标「{goal.title}」越过了预警值 / Goal “{goal.title}” past its warning value",
                               body=f"当前 {actual:g}，预警值 {goal.warning:g}，目标 {goal.target:g} / "
                                    f"Now {actual:g}, warning {goal.warning:g}, target {goal.target:g}")
        elif not past and goal.nudged_at is not None:
            goal.nudged_at = None
    return crossings


def class_summary(cls: ClassGroup, term: Term) -> list[dict]:
    """Each student's plan status and goal counts: no goal texts, notes, causes or answers, so a
    department admin can follow the class without reading anyone's plan."""
    students = directory.class_students(cls)
    ids = [p.user_id for p, _ in students]
    found = db.session.scalars(select(Plan).where(Plan.owner_id.in_(ids), (Plan.term_id == term.id) |
                                                  (Plan.kind == "student_cycle"))).all()
    term_plans = {p.owner_id: p for p in found if p.kind == "student_term"}
    cycles = {p.owner_id: p for p in found if p.kind == "student_cycle"}
    diagnosed = dict(db.session.execute(select(SelfDiagnosis.owner_id, SelfDiagnosis.status).where(
        SelfDiagnosis.plan_id.in_([p.id for p in term_plans.values()]))).all())
    assessed = assessment.status_by_student(ids, term)
    cards = card.cards_for(list(term_plans), term)
    rows = []
    for _, user in students:
        plan = term_plans.get(user.id)
        reached = actuals(plan, cards[user.id]) if plan else {}
        rows.append({"student_id": user.id, "name": user.display_name, "username": user.username, "plan_id": plan and plan.id,
                     "term_plan": plan and plan.status, "cycle_plan": cycles.get(user.id) and cycles[user.id].status,
                     "goals": len(plan.goals) if plan else 0,
                     "goals_at_target": sum(standing(g, reached[g.id]) == "target" for g in plan.goals) if plan else 0,
                     "self_assessment": assessed.get(user.id, "not_started"), "diagnosis": diagnosed.get(user.id)})
    return rows


def department_teachers(dept_id: int, year: int) -> list[dict]:
    """The department's teachers and where their plans stand, without their private notes."""
    staff = db.session.execute(select(StaffProfile, User).join(User, User.id == StaffProfile.user_id)
                               .where(StaffProfile.department_id == dept_id).order_by(User.username)).all()
    ids = [u.id for _, u in staff]
    found = db.session.scalars(select(Plan).where(Plan.owner_id.in_(ids), Plan.kind.in_(("teacher_cycle", "teacher_year")),
                                                  Plan.start_year <= year, Plan.start_year >= year - 2)).all()
    cycles = {p.owner_id: p for p in found if p.kind == "teacher_cycle"}
    years = {p.owner_id: p for p in found if p.kind == "teacher_year" and p.start_year == year}
    diagnosed = dict(db.session.execute(select(SelfDiagnosis.owner_id, SelfDiagnosis.status).where(
        SelfDiagnosis.plan_id.in_([p.id for p in years.values()]))).all())
    evidence = dict(db.session.execute(select(PortfolioItem.owner_id, func.count()).where(
        PortfolioItem.owner_id.in_(ids)).group_by(PortfolioItem.owner_id)).all())
    return [{"teacher_id": u.id, "name": u.display_name, "title": s.title,
             "stage": cycles.get(u.id) and cycles[u.id].stage, "cycle_plan": cycles.get(u.id) and cycles[u.id].status,
             "cycle_plan_id": cycles.get(u.id) and cycles[u.id].id, "year_plan": years.get(u.id) and years[u.id].status,
             "year_plan_id": years.get(u.id) and years[u.id].id, "diagnosis": diagnosed.get(u.id),
             "evidence": evidence.get(u.id, 0)} for s, u in staff]
