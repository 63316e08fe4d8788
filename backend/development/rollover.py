"""Term rollover (学期交替): previewed, then applied exactly as previewed, once.

From one term to the next a school admin has picked: classes rise a year of study when the
academic year changes; a class past its final year (3 years, 高职 three-year programmes, seed
002/004) graduates, its enrolled students get the status 毕业 and their accounts are disabled;
each student's term plan becomes a draft plan for the next term (goals copied, linked with
`carried_from_id`, as plans.py carries goals); the next term gets its catalogue version.

Applying recomputes the preview inside the write and stores it as the rollover's summary; the
rollover row is unique per source term, so a second apply (or two at once) is refused by the
database and answers 409.
"""
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.errors import Problem
from backend.extensions import db
from backend.models import CatalogueVersion, ClassGroup, Goal, Plan, StudentProfile, Term, TermRollover, User
from backend.org import status
from backend.platform import audit, clock
from backend.valuecard import catalogue

FINAL_YEAR = 3  # 高职: three years of study
INVALID = "请求数据有误 / Invalid request data"
DONE = "该学期已完成交替 / This term has already been rolled over"


def _year(term: Term) -> int:
    return int(term.academic_year[:4])


def _check(source: Term, target: Term) -> None:
    if target.starts_on <= source.ends_on:
        raise Problem(422, INVALID, errors={"to_term_id": [
            f"新学期应在 {source.name} 结束之后开始 / The next term must start after {source.name} ends."]})
    done = db.session.scalar(select(TermRollover).where(TermRollover.from_term_id == source.id))
    if done is not None:
        raise Problem(409, DONE, f"Rolled over on {done.applied_at:%Y-%m-%d}; nothing was changed.")


def preview(source: Term, target: Term) -> dict:
    _check(source, target)
    enrolled = select(StudentProfile.user_id).where(StudentProfile.class_id == ClassGroup.id,
                                                    StudentProfile.status == "enrolled")
    classes = []
    for cls in db.session.scalars(select(ClassGroup).where(enrolled.exists()).order_by(ClassGroup.name)):
        now, then = _year(source) - cls.entry_year + 1, _year(target) - cls.entry_year + 1
        n = len(db.session.scalars(enrolled.where(StudentProfile.class_id == cls.id)).all())
        change = "graduate" if then > FINAL_YEAR else "promote" if then > now else "stay"
        classes.append({"class_id": cls.id, "class_name": cls.name, "year_now": now, "year_next": min(then, FINAL_YEAR),
                        "change": change, "students": n})
    leaving = {c["class_id"] for c in classes if c["change"] == "graduate"}
    plans = []
    for plan, name, class_id in db.session.execute(
            select(Plan, User.display_name, StudentProfile.class_id).join(User, User.id == Plan.owner_id)
            .join(StudentProfile, StudentProfile.user_id == Plan.owner_id)
            .where(Plan.kind == "student_term", Plan.term_id == source.id, StudentProfile.status == "enrolled")
            .order_by(Plan.id)):
        if class_id in leaving:
            continue
        exists = db.session.scalar(select(Plan.id).where(Plan.owner_id == plan.owner_id, Plan.kind == "student_term",
                                                         Plan.period == f"term:{target.id}"))
        if exists is None:
            plans.append({"plan_id": plan.id, "student_id": plan.owner_id, "name": name, "goals": len(plan.goals)})
    version, inherited = _catalogue(target)
    return {"from_term": {"id": source.id, "name": source.name}, "to_term": {"id": target.id, "name": target.name},
            "classes": classes,
            "promoted": sum(c["change"] == "promote" for c in classes),
            "graduating_classes": len(leaving),
            "graduates": sum(c["students"] for c in classes if c["change"] == "graduate"),
            "plans": plans, "catalogue_from": inherited, "catalogue_rules": len(version.rules) if version else None,
            "applied": False}


def _catalogue(target: Term):
    """The next term's catalogue version, or the term it will inherit from (the preview writes
    nothing; apply makes the version with catalogue.ensure_version, the same inheritance)."""
    version = db.session.scalar(select(CatalogueVersion).where(CatalogueVersion.term_id == target.id))
    if version is not None:
        return version, target.name
    previous = db.session.scalar(
        select(CatalogueVersion).join(Term, Term.id == CatalogueVersion.term_id)
        .where(Term.starts_on < target.starts_on).order_by(Term.starts_on.desc()).limit(1))
    return previous, previous and db.session.get(Term, previous.term_id).name


def apply(actor: User, source: Term, target: Term) -> dict:
    summary = preview(source, target)
    version = catalogue.ensure_version(target)
    summary["catalogue_from"] = summary["catalogue_from"] or target.name
    summary["catalogue_rules"] = len(version.rules)
    try:
        with db.session.begin_nested():
            db.session.add(TermRollover(from_term_id=source.id, to_term_id=target.id, applied_by=actor.id,
                                        applied_at=clock.now(), summary=summary))
    except IntegrityError:
        raise Problem(409, DONE, "Another rollover of this term was applied first; nothing was changed.") from None
    last_day = source.ends_on + timedelta(days=1)
    for c in summary["classes"]:
        if c["change"] != "graduate":
            continue
        for profile in db.session.scalars(select(StudentProfile).where(
                StudentProfile.class_id == c["class_id"], StudentProfile.status == "enrolled")):
            status.leave(actor.id, profile, "graduated", last_day)
            # One entry per account, so the audit log's search by student finds when and by whose
            # rollover their login ended (PIPL: the person may ask who processed their data).
            audit.record(actor.id, "student.account_disabled", "student", str(profile.user_id),
                         {"reason": "graduated", "rollover_from_term": source.id, "sessions_revoked": True})
    for item in summary["plans"]:
        old = db.session.get(Plan, item["plan_id"])
        new = Plan(owner_id=old.owner_id, kind="student_term", period=f"term:{target.id}", term_id=target.id,
                   start_year=_year(target), summary=old.summary, private_note=old.private_note, status="draft")
        db.session.add(new)
        db.session.flush()
        db.session.add_all(Goal(plan_id=new.id, part=g.part, title=g.title, point_code=g.point_code,
                                direction=g.direction, unit=g.unit, target=g.target, standard=g.standard,
                                warning=g.warning, milestones=[], carried_from_id=g.id) for g in old.goals)
    audit.record(actor.id, "term.rollover", "term", str(source.id), {
        "before": {"term": source.name}, "after": {"term": target.name, "promoted": summary["promoted"],
                                                    "graduates": summary["graduates"], "plans": len(summary["plans"])}})
    db.session.flush()
    return {**summary, "applied": True}
