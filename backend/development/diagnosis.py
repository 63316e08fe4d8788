"""The period-end self-diagnosis (seed 003: achievement per goal, causes, improvement measures,
then next period's goals). Each goal's actual value is filled in from data while the diagnosis
is a draft and frozen when it is submitted; submitting drafts the next period's plan: goals not
met are carried over, goals met are raised."""
from sqlalchemy import select

from backend.development import plans
from backend.errors import Problem
from backend.extensions import db
from backend.models import Goal, Plan, SelfDiagnosis, Term, User
from backend.notify import notifications
from backend.platform import clock
from backend.valuecard import catalogue

KINDS = {"student_term", "teacher_year"}
RAISE_SHARE = 0.10  # a met goal's next target moves a tenth of the point's scale further


def _require_diagnosable(plan: Plan) -> None:
    if plan.kind not in KINDS:
        raise Problem(409, "三年规划不做学期诊断 / A three-year plan has no period self-diagnosis",
                      "Diagnose the semester or annual plan.")
    if plan.status == "draft":
        raise Problem(409, "计划尚未提交 / The plan was never submitted", "Submit the plan first.")


def fresh_items(plan: Plan, notes: dict[int, dict]) -> list[dict]:
    """Each goal with its values, actual and standing from the data now, and the owner's notes."""
    values = plans.actuals(plan)
    return [{**plans.goal_values(g, values[g.id]), "goal_id": g.id,
             "cause": notes.get(g.id, {}).get("cause", ""), "measure": notes.get(g.id, {}).get("measure", "")}
            for g in plan.goals]


def of_plan(plan: Plan) -> SelfDiagnosis:
    """The plan's self-diagnosis; a draft's values are refreshed from the data (not yet saved)."""
    _require_diagnosable(plan)
    found = db.session.scalar(select(SelfDiagnosis).where(SelfDiagnosis.plan_id == plan.id))
    if found is None:
        found = SelfDiagnosis(plan_id=plan.id, owner_id=plan.owner_id, items=[], summary="", status="draft")
    if found.status == "draft":
        found.items = fresh_items(plan, {i["goal_id"]: i for i in found.items or []})
    return found


def save(plan: Plan, body: dict) -> SelfDiagnosis:
    d = of_plan(plan)
    if d.status == "submitted":
        raise Problem(409, "自我诊断已提交，只读 / The self-diagnosis is submitted and read-only")
    goal_ids = {g.id for g in plan.goals}
    errors = {f"items[{i}].goal_id": ["不是本计划的目标 / Not a goal of this plan."]
              for i, item in enumerate(body.get("items", [])) if item["goal_id"] not in goal_ids}
    if errors:
        raise Problem(422, plans.INVALID, errors=errors)
    notes = {i["goal_id"]: i for i in d.items}
    notes.update({i["goal_id"]: i for i in body.get("items", [])})
    d.items = fresh_items(plan, notes)
    if "summary" in body:
        d.summary = body["summary"]
    d.updated_at = clock.now()
    if d.id is None:
        db.session.add(d)
    db.session.flush()
    return d


def _next_period(plan: Plan) -> tuple[str, Term | None]:
    if plan.kind == "teacher_year":
        return str(plan.start_year + 1), None
    term = db.session.get(Term, plan.term_id)
    after = db.session.scalar(select(Term).where(Term.starts_on > term.starts_on).order_by(Term.starts_on).limit(1))
    if after is None:
        raise Problem(409, "下一学期尚未设置 / Next term is not set up",
                      "Ask the school admin to add next term before submitting, so its plan can be drafted.")
    return f"term:{after.id}", after


def submit(plan: Plan, body: dict) -> SelfDiagnosis:
    period, next_term = _next_period(plan)  # before anything is written: no half-done submit
    d = save(plan, body)
    errors = {f"items[{i}].measure": ["未达目标的项请写改进措施 / Say how you will improve where the target was missed."]
              for i, item in enumerate(d.items) if item["standing"] != "target" and not item["measure"].strip()}
    if errors:
        raise Problem(422, "自我诊断不完整 / The self-diagnosis is incomplete", errors=errors)
    d.status, d.submitted_at = "submitted", clock.now()
    d.next_plan_id = _draft_next(plan, d, period, next_term).id
    notifications.send(plans.reviewers(plan), kind="review", level=None, url=f"/#/diagnosis/{plan.id}",
                       title="有一份自我诊断等待审阅 / A self-diagnosis awaits your review", body="")
    return d


def _raised(goal: Goal, scale: tuple[float, float] | None) -> float:
    s = 1 if goal.direction == "higher_better" else -1
    if scale:
        lo, hi = scale
        return round(min(max(goal.target + s * RAISE_SHARE * (hi - lo), lo), hi), 2)
    return round(goal.target + s * max(1.0, abs(goal.target) * RAISE_SHARE), 2)


def _draft_next(plan: Plan, d: SelfDiagnosis, period: str, next_term: Term | None) -> Plan:
    """Next period's plan with the diagnosed goals: missed ones carried over, met ones raised.
    A next plan the owner already started gets the goals it lacks; a submitted one is left alone."""
    nxt = plans.find(plan.owner_id, plan.kind, period)
    if nxt is None:
        nxt = Plan(owner_id=plan.owner_id, kind=plan.kind, period=period, term_id=next_term and next_term.id,
                   start_year=int(next_term.academic_year[:4]) if next_term else plan.start_year + 1,
                   stage=plan.stage, summary=plan.summary, private_note="", status="draft")
        db.session.add(nxt)
    if nxt.status not in plans.EDITABLE:
        return nxt
    scales = {r.point.code: (r.min_value, r.max_value) for r in catalogue.rules(next_term)} if next_term else {}
    have = {g.title for g in nxt.goals}
    for goal, item in zip(plan.goals, d.items, strict=True):
        if goal.title in have:
            continue
        met = item["standing"] == "target"
        target = _raised(goal, scales.get(goal.point_code)) if met else goal.target
        nxt.goals.append(Goal(part=goal.part, title=goal.title, point_code=goal.point_code, direction=goal.direction,
                              unit=goal.unit, target=target, standard=goal.standard, warning=goal.warning,
                              milestones=[] if met else [m for m in goal.milestones or [] if not m.get("done")],
                              carried_from_id=goal.id))
    db.session.flush()
    return nxt


def comment(reviewer: User, plan: Plan, text: str) -> SelfDiagnosis:
    d = of_plan(plan)
    if d.status != "submitted":
        raise Problem(409, "自我诊断尚未提交 / The self-diagnosis is not submitted yet")
    d.comment, d.commented_by, d.commented_at = text, reviewer.id, clock.now()
    notifications.send([plan.owner_id], kind="plan", level=None, url=f"/#/diagnosis/{plan.id}",
                       title="您的自我诊断有了评语 / Your self-diagnosis has a comment", body="")
    return d
