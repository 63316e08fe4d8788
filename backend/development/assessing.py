"""The department's assessing diagnosis (评估诊断) of a teacher's yearly self-diagnosis, and the
department's summary of the teacher spiral.

Seed 002 calls it 考核性诊断: the self-diagnosis is the "内循环", the department's diagnosis a
"他助力" from outside, judged by 目标达成度 and applied as "反馈信息，修正规划/方案 ... 形成整改清单".
So the department admin reads the teacher's self-diagnosis beside the indicators Spiral computes
for the teacher (against the stage's standard values), writes the assessment and the agreed
measures; agreeing turns each measure with values into a goal of next year's plan, where the
teacher can still change it (the plan is a draft), and tells the teacher.
"""
from sqlalchemy import func, select

from backend.development import plans, teacher_indicators, teacher_standards
from backend.errors import Problem
from backend.extensions import db
from backend.models import (
    AssessingDiagnosis,
    Department,
    Goal,
    Plan,
    SelfDiagnosis,
    StaffProfile,
    TeacherShortfall,
    User,
)
from backend.notify import notifications
from backend.platform import clock

VALUES = ("target", "standard", "warning")


def _self_diagnosis(plan: Plan) -> SelfDiagnosis:
    if plan.kind != "teacher_year":
        raise Problem(409, "只有教师年度计划有评估诊断 / Only a teacher's annual plan is assessed",
                      "Open the teacher's annual work plan.")
    found = db.session.scalar(select(SelfDiagnosis).where(SelfDiagnosis.plan_id == plan.id))
    if found is None or found.status != "submitted":
        raise Problem(409, "教师尚未提交年度自我诊断 / The teacher has not submitted the yearly self-diagnosis",
                      "The assessing diagnosis follows the self-diagnosis.")
    return found


def find(plan: Plan) -> AssessingDiagnosis | None:
    return db.session.scalar(select(AssessingDiagnosis).where(AssessingDiagnosis.plan_id == plan.id))


def of_plan(plan: Plan) -> AssessingDiagnosis:
    """The plan's assessing diagnosis, or an unsaved blank one (for the policy to judge and the
    form to start from)."""
    return find(plan) or AssessingDiagnosis(plan_id=plan.id, teacher_id=plan.owner_id, year=plan.start_year,
                                            status="draft", text="", conclusion=None, measures=[])


def _floors(plan: Plan) -> dict:
    """The stage standards next year's goals are held to (as the teacher's own linked goals are,
    plans.set_goal): the stage of the three-year plan covering next year, else this one's."""
    year = plan.start_year + 1
    stage = teacher_standards.stage_of(plan.owner_id, year) or teacher_standards.stage_of(plan.owner_id, plan.start_year)
    return teacher_standards.for_stage(stage, year) if stage else {}


def _measures(plan: Plan, body: list[dict]) -> list[dict]:
    """Each measure checked; a 422 names every bad field (`measures[1].standard`)."""
    errors, out = {}, []
    floors = _floors(plan) if any(m.get("point_code") for m in body) else {}
    for i, m in enumerate(body):
        at = f"measures[{i}]"
        if m["part"] not in plans.PARTS["teacher_year"]:
            errors[f"{at}.part"] = ["应为 A 或 B / One of A, B."]
        code = m.get("point_code") or None
        indicator = teacher_indicators.INDICATORS.get(code) if code else None
        if code and indicator is None:
            errors[f"{at}.point_code"] = [f"{code} 不是教师指标 / {code} is not a teacher indicator."]
        given = [k for k in VALUES if m.get(k) is not None]
        for key in set(VALUES) - set(given) if given else ():
            errors[f"{at}.{key}"] = ["目标值、标准值、预警值须一并填写 / Give target, standard and warning together, "
                                     "or none (a measure that is not a goal)."]
        direction = indicator.direction if indicator else m.get("direction") or "higher_better"
        s = 1 if direction == "higher_better" else -1
        if len(given) == 3 and not s * m["target"] >= s * m["standard"] >= s * m["warning"]:
            errors[f"{at}.standard"] = ["标准值应介于目标值与预警值之间 / The standard value must lie between the "
                                        "target and the warning value."]
        floor = floors.get(code) if indicator and len(given) == 3 and f"{at}.standard" not in errors else None
        for key in ("standard", "warning") if floor else ():
            if s * m[key] < s * getattr(floor, key):
                worse = ("低于", "below") if s > 0 else ("高于", "above")
                errors[f"{at}.{key}"] = [f"不得{worse[0]}阶段{'标准' if key == 'standard' else '预警'}值 "
                                         f"{getattr(floor, key):g} / Must not be {worse[1]} the stage's {key} "
                                         f"value {getattr(floor, key):g}."]
        out.append({"part": m["part"], "title": m["title"], "point_code": code, "direction": direction,
                    "unit": indicator.unit if indicator else m.get("unit"),
                    **{k: m.get(k) for k in VALUES}, "goal_id": None})
    if errors:
        raise Problem(422, plans.INVALID, errors=errors)
    return out


def save(assessor: User, plan: Plan, body: dict) -> AssessingDiagnosis:
    """Write or change the draft: the text, the conclusion, the measures (each replaces the last)."""
    sd = _self_diagnosis(plan)
    a = of_plan(plan)
    if a.status == "agreed":
        raise Problem(409, "评估诊断已确认，只读 / The assessing diagnosis is agreed and read-only")
    if "measures" in body:
        a.measures = _measures(plan, body["measures"])
    if "text" in body:
        a.text = body["text"]
    if "conclusion" in body:
        a.conclusion = body["conclusion"]
    a.self_diagnosis_id, a.assessor_id, a.updated_at = sd.id, assessor.id, clock.now()
    if a.id is None:
        db.session.add(a)
    db.session.flush()
    return a


def _next_plan(plan: Plan, sd: SelfDiagnosis) -> Plan:
    """The plan the self-diagnosis drafted, else the teacher's plan for next year, else a new draft."""
    nxt = db.session.get(Plan, sd.next_plan_id) if sd.next_plan_id else None
    nxt = nxt or plans.find(plan.owner_id, "teacher_year", str(plan.start_year + 1))
    if nxt is None:
        nxt = Plan(owner_id=plan.owner_id, kind="teacher_year", period=str(plan.start_year + 1),
                   start_year=plan.start_year + 1, stage=plan.stage, summary="", private_note="", status="draft")
        db.session.add(nxt)
        db.session.flush()
    return nxt


def agree(assessor: User, plan: Plan, body: dict) -> tuple[AssessingDiagnosis, dict]:
    """Agree the assessing diagnosis (saving what `body` carries first). Each measure with values
    becomes a goal of next year's plan unless a goal of that title is there already, so agreeing
    twice adds nothing twice; a next plan already submitted gets none, and the answer says so."""
    a = find(plan)
    if a is not None and a.status == "agreed":
        return a, carried(a, added=0)
    a = save(assessor, plan, body) if body or a is None else a
    if not a.text.strip():
        raise Problem(422, plans.INVALID, errors={"text": ["请写评估诊断 / Write the assessing diagnosis."]})
    sd = db.session.get(SelfDiagnosis, a.self_diagnosis_id)
    nxt = _next_plan(plan, sd)
    added, measures = 0, [dict(m) for m in a.measures]
    if nxt.status in plans.EDITABLE:
        have = {g.title: g for g in nxt.goals}
        for m in measures:
            if m.get("target") is None:
                continue
            goal = have.get(m["title"])
            if goal is None:
                goal = Goal(part=m["part"], title=m["title"], point_code=m["point_code"], direction=m["direction"],
                            unit=m["unit"], target=m["target"], standard=m["standard"], warning=m["warning"],
                            milestones=[])
                nxt.goals.append(goal)
                added += 1
                db.session.flush()
            m["goal_id"] = goal.id
    a.measures = measures  # a new list, so the JSON column is written
    a.status, a.agreed_at, a.updated_at, a.next_plan_id = "agreed", clock.now(), clock.now(), nxt.id
    a.assessor_id = assessor.id
    db.session.flush()
    notifications.send([plan.owner_id], kind="plan", level=None, url=f"/#/diagnosis/{plan.id}",
                       title="系部已对您的年度自我诊断作出评估诊断 / The department has assessed your yearly "
                             "self-diagnosis", body="")
    return a, carried(a, added=added)


def carried(a: AssessingDiagnosis, added: int | None = None) -> dict | None:
    """Where the agreed measures went: next year's plan, how many goals this call added, and why
    none were if the plan was already submitted."""
    if a.next_plan_id is None:
        return None
    nxt = db.session.get(Plan, a.next_plan_id)
    with_values = [m for m in a.measures if m.get("target") is not None]
    locked = nxt.status not in plans.EDITABLE and any(m.get("goal_id") is None for m in with_values)
    return {"plan_id": nxt.id, "plan_status": nxt.status, "goals": sum(m.get("goal_id") is not None for m in with_values),
            "goals_added": added, "message": "明年计划已提交，措施未转为目标；请与教师商定后由教师修改计划 / Next year's "
            "plan is already submitted, so no measure became a goal; agree the change with the teacher."
            if locked else None}


def _short(value: float | None, direction: str, standard: float) -> bool:
    if value is None:
        return False
    return value < standard if direction == "higher_better" else value > standard


def indicators(teacher_id: int, year: int, stage: str | None) -> list[dict]:
    """The teacher's computed indicators for the year beside the stage's standard values."""
    values = teacher_indicators.for_year(teacher_id, year)
    standards = teacher_standards.for_stage(stage, year) if stage else {}
    out = []
    for code, ind in teacher_indicators.INDICATORS.items():
        std = standards.get(code)
        out.append({"code": code, "label": ind.label, "dimension": ind.dimension, "direction": ind.direction,
                    "unit": ind.unit, "source": ind.source, "value": values.get(code),
                    "target": std and std.target, "standard": std and std.standard, "warning": std and std.warning,
                    "short": bool(std) and _short(values.get(code), ind.direction, std.standard)})
    return out


def review(plan: Plan) -> dict:
    """What the department admin reads: the teacher, the frozen self-diagnosis, the indicators."""
    sd = _self_diagnosis(plan)
    owner = db.session.get(User, plan.owner_id)
    stage = teacher_standards.stage_of(owner.id, plan.start_year) or plan.stage
    return {"teacher": {"id": owner.id, "name": owner.display_name}, "year": plan.start_year, "stage": stage,
            "self_diagnosis": {"summary": sd.summary, "submitted_at": sd.submitted_at, "items": sd.items},
            "indicators": indicators(owner.id, plan.start_year, stage)}


def view(a: AssessingDiagnosis, review_part: dict | None = None, carry: dict | None = None) -> dict:
    return {"id": a.id, "plan_id": a.plan_id, "year": a.year, "status": a.status if a.id else "new",
            "text": a.text, "conclusion": a.conclusion, "measures": a.measures or [], "agreed_at": a.agreed_at,
            "updated_at": a.id and a.updated_at, "next_plan_id": a.next_plan_id,
            "carried": carry if carry is not None else (carried(a) if a.id else None), "review": review_part}


def pending(plan: Plan) -> dict:
    """What the teacher sees before the department agrees: that it is not there yet, nothing of a draft."""
    return {"id": None, "plan_id": plan.id, "year": plan.start_year, "status": "pending", "text": "",
            "conclusion": None, "measures": [], "agreed_at": None, "updated_at": None, "next_plan_id": None,
            "carried": None, "review": None}


# The department's teachers and its counts ------------------------------------------------------


def _teachers(dept_id: int) -> list[tuple[StaffProfile, User]]:
    return db.session.execute(select(StaffProfile, User).join(User, User.id == StaffProfile.user_id)
                              .where(StaffProfile.department_id == dept_id).order_by(User.username)).all()


def teacher_rows(dept_id: int, year: int) -> list[dict]:
    """The department admin's list: each teacher's stage, annual plan, self-diagnosis and
    assessing status, and the plan to open. Names are for the department admin only."""
    staff = _teachers(dept_id)
    ids = [u.id for _, u in staff]
    years = {p.owner_id: p for p in db.session.scalars(select(Plan).where(
        Plan.owner_id.in_(ids), Plan.kind == "teacher_year", Plan.period == str(year)))}
    sds = {d.plan_id: d for d in db.session.scalars(select(SelfDiagnosis).where(
        SelfDiagnosis.plan_id.in_([p.id for p in years.values()])))}
    assessed = dict(db.session.execute(select(AssessingDiagnosis.plan_id, AssessingDiagnosis.status).where(
        AssessingDiagnosis.plan_id.in_([p.id for p in years.values()]))).all())
    stages = teacher_standards.stages_of(ids, year)
    rows = []
    for s, u in staff:
        p = years.get(u.id)
        rows.append({"teacher_id": u.id, "name": u.display_name, "title": s.title, "stage": stages.get(u.id),
                     "plan_id": p and p.id, "year_plan": p and p.status,
                     "diagnosis": p and sds.get(p.id) and sds[p.id].status,
                     "assessing": p and assessed.get(p.id)})
    return rows


def summary(dept: Department, year: int) -> dict:
    """Counts only, no names: teachers per stage, plans submitted and reviewed (cycle and year),
    self-diagnoses submitted, assessing diagnoses agreed, and per indicator how many teachers are
    short of their stage's standard value."""
    staff = _teachers(dept.id)
    ids = [u.id for _, u in staff]
    found = db.session.scalars(select(Plan).where(
        Plan.owner_id.in_(ids), Plan.kind.in_(("teacher_cycle", "teacher_year")),
        Plan.start_year <= year, Plan.start_year >= year - 2)).all()
    cycles: dict[int, Plan] = {}
    for p in sorted((p for p in found if p.kind == "teacher_cycle"), key=lambda p: p.start_year):
        cycles[p.owner_id] = p  # the latest cycle covering the year
    years = [p for p in found if p.kind == "teacher_year" and p.start_year == year]

    def counted(ps):
        return {"submitted": sum(p.submitted_at is not None for p in ps),
                "reviewed": sum(p.reviewed_at is not None for p in ps),
                "approved": sum(p.status == "approved" for p in ps)}

    year_ids = [p.id for p in years]
    diagnoses = db.session.scalar(select(func.count()).select_from(SelfDiagnosis).where(
        SelfDiagnosis.plan_id.in_(year_ids), SelfDiagnosis.status == "submitted")) if year_ids else 0
    assessing = dict(db.session.execute(select(AssessingDiagnosis.status, func.count()).where(
        AssessingDiagnosis.plan_id.in_(year_ids)).group_by(AssessingDiagnosis.status)).all()) if year_ids else {}
    stages = {stage: 0 for stage in plans.STAGES} | {"none": 0}
    for tid in ids:
        stages[cycles[tid].stage if tid in cycles else "none"] += 1
    stored = db.session.scalar(select(TeacherShortfall).where(TeacherShortfall.department_id == dept.id,
                                                              TeacherShortfall.year == year))
    # The stored counts (the job keeps them fresh); the first read of a year not yet stored computes them.
    short = {code: 0 for code in teacher_indicators.INDICATORS} | (stored.counts if stored else shortfall(dept.id, year))
    return {"department_id": dept.id, "department": dept.name, "year": year, "teachers": len(ids),
            "stages": stages, "cycle_plans": counted(list(cycles.values())), "year_plans": counted(years),
            "diagnoses_submitted": diagnoses, "assessing_agreed": assessing.get("agreed", 0),
            "assessing_drafts": assessing.get("draft", 0),
            "short_of_standard": [{"code": code, "label": teacher_indicators.INDICATORS[code].label, "teachers": n}
                                  for code, n in short.items() if code in teacher_indicators.INDICATORS],
            "short_computed_at": stored and stored.computed_at}


def shortfall(dept_id: int, year: int, figures: dict[int, dict] | None = None) -> dict[str, int]:
    """Per indicator, how many of the department's teachers are short of their stage's standard
    value this year (no stage, no standard; no data is never short). `figures`: the teachers'
    indicators for the year, when the caller has them (jobs/teachers.py)."""
    teachers = [u.id for _, u in _teachers(dept_id)]
    figures = teacher_indicators.for_year_many(teachers, year) if figures is None else figures
    short = dict.fromkeys(teacher_indicators.INDICATORS, 0)
    standards: dict[str, dict] = {}
    for tid, stage in teacher_standards.stages_of(teachers, year).items():
        if stage not in standards:
            standards[stage] = teacher_standards.for_stage(stage, year)
        values = figures[tid]
        for code, std in standards[stage].items():
            ind = teacher_indicators.INDICATORS.get(code)
            if ind is not None and _short(values.get(code), ind.direction, std.standard):
                short[code] += 1
    return short


def refresh_shortfall(dept_id: int, year: int, figures: dict[int, dict] | None = None) -> dict[str, int]:
    """The job's work: compute and store the department's counts (one row per department and year)."""
    counts = shortfall(dept_id, year, figures)
    row = db.session.scalar(select(TeacherShortfall).where(TeacherShortfall.department_id == dept_id,
                                                           TeacherShortfall.year == year))
    if row is None:
        row = TeacherShortfall(department_id=dept_id, year=year)
        db.session.add(row)
    row.counts, row.computed_at = counts, clock.now()
    db.session.flush()
    return counts
