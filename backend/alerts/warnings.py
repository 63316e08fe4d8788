"""Warnings: raised by evaluating the rules, then worked to a close (docs/DESIGN.md decision 6).

raised → notified → acknowledged → in_progress (interventions) → resolved, or escalated along
the rule's chain (head teacher → counsellor → department) when nobody acknowledges it in time;
withdrawn when the records behind it are reversed or corrected and it no longer holds.
One warning per student, rule, term and episode: later evaluations raise its level and keep its
evidence current; a relapse after a resolve (or a withdrawal) opens the next episode, linked to
the earlier one. A value with less behind it than the rule's minimum evidence raises nothing. Need-to-know warnings (discipline, mental health, finance) are seen only by the
chain's roles over the student's class, and every read of one is audited.
"""
from datetime import date, timedelta

from sqlalchemy import select

from backend.alerts import evidence, incidents, lifecycle, warning_rules
from backend.alerts.warning_rules import LEVELS, Finding, Subject
from backend.auth.policy import alerts as policy
from backend.auth.policy import authorize, can, roles_over_class
from backend.development import assessment, plans
from backend.errors import Problem
from backend.extensions import db
from backend.models import (
    ClassGroup,
    SpecialGroupRecord,
    StudentProfile,
    StudentWarning,
    Term,
    User,
    WarningEvent,
    WarningRule,
)
from backend.notify import notifications
from backend.org import directory
from backend.org.directory import responders
from backend.platform import audit, clock, metrics
from backend.valuecard import card, catalogue

OPEN = ("raised", "notified", "acknowledged", "in_progress", "escalated")
UNACKNOWLEDGED = ("raised", "notified", "escalated")
PROGRAMME_YEARS = 3  # 高职: the third academic year after entry is the final one


def final_year(cls: ClassGroup, term: Term) -> bool:
    return int(term.academic_year[:4]) - cls.entry_year >= PROGRAMME_YEARS - 1


def _groups(student_ids) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for sid, group in db.session.execute(select(SpecialGroupRecord.student_id, SpecialGroupRecord.group).where(
            SpecialGroupRecord.student_id.in_(student_ids), SpecialGroupRecord.closed_at.is_(None))):
        out.setdefault(sid, set()).add(group)
    return out


CLEARED = "数值已回到预警线内 · Values are back within the warning line"


def evaluate_class(term: Term, cls: ClassGroup, now=None) -> dict:
    """Run every enabled rule over the class's students; raise, raise the level of, withdraw or
    open a new episode of warnings. Idempotent: a second run over the same data changes nothing.

    For each student and rule the latest episode decides:
    - none yet, and the rule finds something → episode 1 is raised;
    - open and it still holds → its evidence is brought up to date; a worse level is announced;
    - open and it no longer holds → if records behind its evidence were reversed or corrected it
      is WITHDRAWN (the finding was never true), else the values improved: a "cleared" event;
    - resolved and it holds again after its values had cleared (or worse than when it was
      closed), or withdrawn and it holds again → a RELAPSE: episode n+1, linked, announced anew.
    """
    now = now or clock.now()
    # Only students enrolled now: a suspended, withdrawn or graduated student gets no new warnings
    # (their open ones stay as they were, with their history).
    students = db.session.scalars(select(StudentProfile.user_id).where(
        StudentProfile.class_id == cls.id, StudentProfile.status == "enrolled")).all()
    if not students:
        return {"raised": 0, "raised_level": 0}
    points = {r.point.code: r for r in catalogue.rules(term)}
    cards = card.cards_for(students, term)
    plans.monitor(term, cards, now)  # the student's own goals first, then the college's rules
    groups, last_year = _groups(students), final_year(cls, term)
    latest: dict = {}
    for w in db.session.scalars(select(StudentWarning).where(
            StudentWarning.term_id == term.id, StudentWarning.student_id.in_(students))
            .order_by(StudentWarning.episode)):
        latest[(w.student_id, w.rule_id)] = w
    drops = assessment.drops(students, term)
    support = evidence.support(students, term, cards, points)
    subjects = {sid: Subject({p["code"]: p["indicator"] for p in cards[sid].points}, groups.get(sid, set()), last_year,
                             drops.get(sid), support[sid]) for sid in students}
    # An open mass-event incident's students keep its points as they stood without it: nothing
    # is raised or raised in level from it until it is decided (alerts/incidents.py).
    incidents.hold(term, cls.id, {sid: s.indicators for sid, s in subjects.items()}, now)
    excluded, windows = incidents.held_sessions(term.id, cls.id, now), {}
    counts = {"raised": 0, "raised_level": 0}
    for rule in warning_rules.enabled():
        days = warning_rules.minimum(rule)["days"]  # attendance is judged over the rule's window
        if days not in windows:
            windows[days] = evidence.recent(subjects, term, days, clock.school_date(now), excluded)
        for sid, subject in windows[days].items():
            finding = warning_rules.check(rule, subject, points)
            w = latest.get((sid, rule.id))
            if finding and (w is None or _relapse(w, finding)):
                _raise(rule, sid, cls, term, finding, evidence.of_finding(finding, sid, term, points), now, previous=w)
                counts["raised"] += 1
            elif finding and w.status in OPEN:
                w.cleared_at = None
                if LEVELS.index(finding.level) > LEVELS.index(w.level):
                    _raise_level(w, finding, evidence.of_finding(finding, sid, term, points), now)
                    counts["raised_level"] += 1
                else:
                    w.evidence = evidence.of_finding(finding, sid, term, points)
            elif not finding and w is not None and w.status in OPEN:
                undone = evidence.undone(w)
                if undone[0]:
                    _withdraw(w, undone, now)
                elif w.events[-1].kind != "cleared":
                    _event(w, "cleared", None, CLEARED, now)
                w.cleared_at = w.cleared_at or now
            elif not finding and w is not None and w.cleared_at is None:
                w.cleared_at = now  # resolved: a later finding is a relapse
    return counts


def _relapse(w: StudentWarning, finding: Finding) -> bool:
    """The finding holds again after the warning was closed: withdrawn (it never held on its
    records), or resolved and its values had cleared since, or worse than when it was closed."""
    if w.status == "withdrawn":
        return True
    return w.status == "resolved" and (w.cleared_at is not None or LEVELS.index(finding.level) > LEVELS.index(w.level))


def _withdraw(w: StudentWarning, undone: tuple[list[str], list[str]], now) -> None:
    """The records behind it were reversed or corrected and it no longer holds: not resolved
    (nobody worked it to a close) but withdrawn, with the reason; pushes not yet sent are cancelled
    and nobody is alerted about it (the warning screen and the timeline say why)."""
    zh, en = undone
    reason = f"依据的记录已撤销/更正：{'；'.join(zh)} / The records behind it were reversed or corrected: {'; '.join(en)}"
    w.status, w.withdrawn_at, w.withdrawn_reason = "withdrawn", now, reason
    _event(w, "withdrawn", None, reason, now)
    notifications.cancel_pending(w.id)


def _event(w: StudentWarning, kind: str, actor_id: int | None, text: str | None = None, now=None,
           follow_up_on: date | None = None) -> None:
    event = WarningEvent(kind=kind, actor_id=actor_id, text=text, at=now or clock.now(), follow_up_on=follow_up_on)
    w.events.append(event)


def _raise(rule: WarningRule, student_id: int, cls: ClassGroup, term: Term, finding: Finding, evidence, now,
           previous: StudentWarning | None = None) -> None:
    """A new warning, or the next episode after `previous` was resolved or withdrawn. Two
    evaluations racing to open the same episode meet the unique key (student, rule, term,
    episode): one commits, the other's job fails and its retry finds the episode there."""
    w = StudentWarning(student_id=student_id, class_id=cls.id, rule=rule, term_id=term.id, category=rule.category,
                       sensitive=rule.category in warning_rules.SENSITIVE, level=finding.level, status="raised",
                       evidence=evidence, step=0, raised_at=now, due_at=now + timedelta(hours=rule.ack_hours),
                       episode=previous.episode + 1 if previous else 1, previous_id=previous and previous.id)
    db.session.add(w)
    _event(w, "raised", None, finding.level, now)
    db.session.flush()
    metrics.WARNINGS_RAISED.labels(rule.category).inc()  # counted when raised; the table is the record
    _announce(w, cls, now)


def _raise_level(w: StudentWarning, finding: Finding, evidence, now) -> None:
    _event(w, "level", None, f"{w.level}→{finding.level}", now)
    w.level, w.evidence = finding.level, evidence
    _announce(w, db.session.get(ClassGroup, w.class_id), now)


def _announce(w: StudentWarning, cls: ClassGroup, now) -> None:
    """A new or worse warning: to whoever must act now, and to the student unless need-to-know."""
    _notify(w, cls, "warning", now)
    if not w.sensitive:
        _nudge(w, now)


def _student_name(w: StudentWarning) -> str:
    return db.session.get(User, w.student_id).display_name


def _notify(w: StudentWarning, cls: ClassGroup, kind: str, now) -> None:
    role = w.rule.chain[w.step]
    users = responders(cls, role)
    name = _student_name(w)
    title = f"{name} · {w.rule.name_zh} / {name} · {w.rule.name_en}"
    notifications.send(users, kind=kind, level=w.level, title=title, body="",
                       url=f"/#/warnings/{w.id}", warning_id=w.id, now=now)
    if users:
        _event(w, "notified", None, role, now)
        if w.status == "raised":
            w.status = "notified"


def _nudge(w: StudentWarning, now) -> None:
    """The student hears first-hand, with what to do next (non-sensitive warnings only)."""
    notifications.send([w.student_id], kind="nudge", level=w.level, title=f"{w.rule.name_zh} / {w.rule.name_en}",
                       body=f"{w.rule.advice_zh} / {w.rule.advice_en}",
                       url=f"/#/my-warnings/{w.id}", warning_id=w.id, now=now)


def escalate_overdue(now=None) -> int:
    """Pass every unacknowledged warning past its deadline to the next role in its chain."""
    now = now or clock.now()
    moved = 0
    for w in db.session.scalars(select(StudentWarning).where(StudentWarning.status.in_(UNACKNOWLEDGED),
                                                             StudentWarning.due_at < now)):
        if w.step + 1 >= len(w.rule.chain):
            continue  # the last role has it; nobody further to pass it to
        w.step += 1
        w.status, w.due_at = "escalated", now + timedelta(hours=w.rule.ack_hours)
        _event(w, "escalated", None, w.rule.chain[w.step], now)
        _notify(w, db.session.get(ClassGroup, w.class_id), "escalation", now)
        moved += 1
    return moved


# --- reading and working warnings ---------------------------------------------------------

def acting_roles(viewer: User, w: StudentWarning) -> set[str]:
    return policy.warning_roles(viewer, w)


def open_warning(viewer: User, warning_id: int, purpose: str) -> StudentWarning:
    """A warning the viewer acts on (staff) or owns (student, non-sensitive only); reads of
    need-to-know warnings are audited."""
    w = db.session.get(StudentWarning, warning_id)
    authorize(viewer, "view", w)  # before the audit row: a refused read is not a read
    if w.sensitive:
        audit.sensitive_read(viewer.id, "warning", str(w.id), purpose)
    return w


def staff_list(viewer: User, status: str, class_id: int | None, purpose: str) -> list[StudentWarning]:
    """Warnings the viewer acts on, worst and oldest first."""
    classes = [c for c in directory.visible_classes(viewer) if class_id in (None, c.id)]
    roles = {c.id: roles_over_class(viewer, c) for c in classes}
    query = select(StudentWarning).where(StudentWarning.class_id.in_(roles))
    if status == "open":
        query = query.where(StudentWarning.status.in_(OPEN))
    elif status in ("resolved", "withdrawn"):
        query = query.where(StudentWarning.status == status)
    found = [w for w in db.session.scalars(query) if policy.warning_roles(viewer, w, roles[w.class_id])]
    found.sort(key=lambda w: (-LEVELS.index(w.level), w.raised_at))
    sensitive = [str(w.id) for w in found if w.sensitive]
    if sensitive:
        audit.sensitive_read(viewer.id, "warning_list", None, {"purpose": purpose, "warnings": sensitive})
    return found


def own(student: User) -> list[StudentWarning]:
    return db.session.scalars(select(StudentWarning).where(
        StudentWarning.student_id == student.id, StudentWarning.sensitive.is_(False))
        .order_by(StudentWarning.raised_at.desc())).all()


def _act(viewer: User, w: StudentWarning) -> None:
    if not can(viewer, "act", w):
        raise Problem(403, "无权操作 / Not allowed", "Only the roles this warning goes to can work on it.")
    if w.status == "resolved":
        raise Problem(409, "预警已关闭 / Warning closed",
                      "This warning is resolved; if the student relapses, a new episode is raised.")
    if w.status == "withdrawn":
        raise Problem(409, "预警已撤回 / Warning withdrawn",
                      "The records behind this warning were reversed or corrected; there is nothing to act on.")


def acknowledge(viewer: User, w: StudentWarning) -> StudentWarning:
    _act(viewer, w)
    return lifecycle.acknowledge(viewer, w, _event)


def intervene(viewer: User, w: StudentWarning, kind: str, text: str, follow_up_on: date | None) -> StudentWarning:
    """A case note or an action taken, with an optional follow-up date. Acting acknowledges."""
    _act(viewer, w)
    return lifecycle.intervene(viewer, w, kind, text, follow_up_on, _event)


def resolve(viewer: User, w: StudentWarning, text: str) -> StudentWarning:
    _act(viewer, w)
    return lifecycle.resolve(viewer, w, text, _event)


def with_names(found: list[StudentWarning]) -> list[StudentWarning]:
    """Attach student and class names for staff views, in two queries."""
    names = dict(db.session.execute(select(User.id, User.display_name).where(
        User.id.in_({w.student_id for w in found}))).all()) if found else {}
    classes = dict(db.session.execute(select(ClassGroup.id, ClassGroup.name).where(
        ClassGroup.id.in_({w.class_id for w in found}))).all()) if found else {}
    for w in found:
        w.student_name, w.class_name = names.get(w.student_id), classes.get(w.class_id)
    return found
