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

from backend.alerts import incidents, warning_rules
from backend.alerts.warning_rules import LEVELS, Finding, Subject
from backend.auth.policy import alerts as policy
from backend.auth.policy import authorize, can, roles_over_class
from backend.development import assessment, plans
from backend.errors import Problem
from backend.extensions import db
from backend.models import (
    AttendanceMark,
    ClassGroup,
    ClassSession,
    Course,
    ScoreEntry,
    SpecialGroupRecord,
    StudentProfile,
    StudentWarning,
    Term,
    User,
    WarningEvent,
    WarningRule,
)
from backend.models.attendance import MARKS
from backend.notify import notifications
from backend.org import directory
from backend.org.directory import responders
from backend.platform import audit, clock
from backend.valuecard import card, catalogue, ledger

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


def _support(student_ids, term: Term, cards: dict, points: dict) -> dict[int, dict[str, dict]]:
    """What lies behind each indicator, per student: for ledger points the number of values that
    count (the card's periods); for attendance points the marked sessions that feed it and the
    calendar days they span (first to last, inclusive). warning_rules.enough holds it against a
    rule's minimum evidence."""
    out = {sid: {p["code"]: {"values": p["periods"]} for p in cards[sid].points
                 if p["source"] != warning_rules.ATTENDANCE_SOURCE} for sid in student_ids}
    spans: dict = {}  # (student, code) → [sessions, first day, last day]
    rows = db.session.execute(select(AttendanceMark.student_id, AttendanceMark.status, ClassSession.day)
                              .join(ClassSession, ClassSession.id == AttendanceMark.session_id)
                              .where(ClassSession.term_id == term.id, AttendanceMark.student_id.in_(student_ids)))
    for sid, status, day in rows:
        for code, feeds in ATTENDANCE_FEEDS.items():
            if status in feeds:
                span = spans.setdefault((sid, code), [0, day, day])
                span[0] += 1
                span[1], span[2] = min(span[1], day), max(span[2], day)
    for (sid, code), (n, first, last) in spans.items():
        if code in points:
            out[sid][code] = {"sessions": n, "days": (last - first).days + 1}
    return out


# Which marks feed each attendance point (attendance.indicator_values), and which of them count
# against the student: the marks a warning's evidence lists.
ATTENDANCE_FEEDS = {"S-A-02": ("present", "late"), "S-A-03": MARKS, "S-A-04": MARKS}
AGAINST = {"S-A-02": ("late",), "S-A-03": ("absent",), "S-A-04": ("absent", "leave")}
PER_POINT = 100  # entries or marks listed per point: a term holds fewer for any point scored on a schedule


def _entries(student_id: int, term: Term, codes: list[str], points: dict) -> list[dict]:
    """The ledger entries behind the values past the line: every entry that counts for those
    points this term, newest first, with who recorded it."""
    ids = [points[c].point_id for c in dict.fromkeys(codes) if c in points
           and points[c].source != warning_rules.ATTENDANCE_SOURCE]
    if not ids:
        return []
    code_of = {points[c].point_id: c for c in codes if c in points}
    out = []
    for point_id in ids:
        rows = db.session.execute(select(ScoreEntry.id, ScoreEntry.value, ScoreEntry.period, ScoreEntry.recorded_at,
                                         User.display_name).join(User, User.id == ScoreEntry.recorded_by).where(
            ScoreEntry.student_id == student_id, ScoreEntry.term_id == term.id, ScoreEntry.point_id == point_id,
            ledger.counts()).order_by(ScoreEntry.id.desc()).limit(PER_POINT))
        out += [{"entry_id": i, "code": code_of[point_id], "value": v, "period": period,
                 **dict(zip(("period_zh", "period_en"), ledger.period_label(period))), "recorded_at": at.isoformat(),
                 "recorded_by": by} for i, v, period, at, by in rows]
    return sorted(out, key=lambda e: -e["entry_id"])


def _marks(student_id: int, term: Term, codes: list[str]) -> list[dict]:
    """The attendance marks that count against the student for the attendance points past the
    line: session, day, course, status, who marked it and how (check-in, teacher, close, leave)."""
    wanted = {code: AGAINST[code] for code in dict.fromkeys(codes) if code in AGAINST}
    if not wanted:
        return []
    statuses = {status for against in wanted.values() for status in against}
    rows = db.session.execute(
        select(AttendanceMark.session_id, AttendanceMark.status, AttendanceMark.source, AttendanceMark.marked_at,
               ClassSession.day, ClassSession.starts_at, Course.name, User.display_name)
        .join(ClassSession, ClassSession.id == AttendanceMark.session_id)
        .outerjoin(Course, Course.id == ClassSession.course_id)
        .join(User, User.id == AttendanceMark.marked_by)
        .where(AttendanceMark.student_id == student_id, ClassSession.term_id == term.id,
               AttendanceMark.status.in_(statuses))
        .order_by(ClassSession.starts_at.desc()).limit(PER_POINT * 2))
    return [{"session_id": sid, "codes": [c for c, against in wanted.items() if status in against],
             "day": day.isoformat(), "starts_at": starts.isoformat(), "course": course, "status": status,
             "source": source, "marked_by": by, "marked_at": at.isoformat()}
            for sid, status, source, at, day, starts, course, by in rows]


def _evidence(finding: Finding, student_id: int, term: Term, points: dict) -> dict:
    """Every value past the line and what lies behind each: the ledger entries and, for
    attendance points, the marks that count against the student. Recomputed on every evaluation
    of an open warning, so it is always current."""
    codes = [v["code"] for v in finding.values]
    return {"values": finding.values, "groups": finding.groups,
            "entries": _entries(student_id, term, codes, points), "marks": _marks(student_id, term, codes)}


def _undone(w: StudentWarning, term: Term) -> tuple[list[str], list[str]]:
    """The records behind the warning's last evidence that were reversed or corrected since,
    as (zh, en) descriptions; empty when they all stand."""
    zh, en = [], []
    entries = {e["entry_id"]: e for e in w.evidence.get("entries", [])}
    if entries:
        standing = set(db.session.scalars(select(ScoreEntry.id).where(ScoreEntry.id.in_(entries), ledger.counts())))
        for i, e in entries.items():
            if i not in standing:
                zh.append(f"{e['code']} 记录 #{i}（{e['value']:g}）已冲销或更正")
                en.append(f"{e['code']} entry #{i} ({e['value']:g}) reversed or corrected")
    marks = {m["session_id"]: m for m in w.evidence.get("marks", [])}
    if marks:
        now = dict(db.session.execute(select(AttendanceMark.session_id, AttendanceMark.status).where(
            AttendanceMark.student_id == w.student_id, AttendanceMark.session_id.in_(marks))).all())
        for sid, m in marks.items():
            if now.get(sid) != m["status"]:
                to = now.get(sid) or "-"
                zh.append(f"课堂 #{sid}（{m['day']}）{MARK_ZH.get(m['status'], m['status'])}→{MARK_ZH.get(to, to)}")
                en.append(f"session #{sid} ({m['day']}) {m['status']}→{to}")
    return zh, en


MARK_ZH = {"present": "出勤", "late": "迟到", "absent": "缺勤", "leave": "请假", "-": "无记录"}
WITHDRAWN = "依据的记录已撤销/更正 / The records behind it were reversed or corrected"
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
    students = db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == cls.id)).all()
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
    support = _support(students, term, cards, points)
    subjects = {sid: Subject({p["code"]: p["indicator"] for p in cards[sid].points}, groups.get(sid, set()), last_year,
                             drops.get(sid), support[sid]) for sid in students}
    # An open mass-event incident's students keep its points as they stood without it: nothing
    # is raised or raised in level from it until it is decided (alerts/incidents.py).
    incidents.hold(term, cls.id, {sid: s.indicators for sid, s in subjects.items()}, now)
    counts = {"raised": 0, "raised_level": 0}
    for rule in warning_rules.enabled():
        for sid, subject in subjects.items():
            finding = warning_rules.check(rule, subject, points)
            w = latest.get((sid, rule.id))
            if finding and (w is None or _relapse(w, finding)):
                _raise(rule, sid, cls, term, finding, _evidence(finding, sid, term, points), now, previous=w)
                counts["raised"] += 1
            elif finding and w.status in OPEN:
                w.cleared_at = None
                if LEVELS.index(finding.level) > LEVELS.index(w.level):
                    _raise_level(w, finding, _evidence(finding, sid, term, points), now)
                    counts["raised_level"] += 1
                else:
                    w.evidence = _evidence(finding, sid, term, points)
            elif not finding and w is not None and w.status in OPEN:
                undone = _undone(w, term)
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
    if w.acknowledged_at is None:
        w.acknowledged_at, w.acknowledged_by = clock.now(), viewer.id
        w.status = "acknowledged"
        _event(w, "acknowledged", viewer.id)
    return w


def intervene(viewer: User, w: StudentWarning, kind: str, text: str, follow_up_on: date | None) -> StudentWarning:
    """A case note or an action taken, with an optional follow-up date. Acting acknowledges."""
    acknowledge(viewer, w)
    w.status = "in_progress"
    if follow_up_on:
        w.follow_up_on = follow_up_on
    _event(w, kind, viewer.id, text, follow_up_on=follow_up_on)
    return w


def resolve(viewer: User, w: StudentWarning, text: str) -> StudentWarning:
    acknowledge(viewer, w)
    w.status, w.resolved_at, w.resolved_by = "resolved", clock.now(), viewer.id
    _event(w, "resolved", viewer.id, text)
    return w


def with_names(found: list[StudentWarning]) -> list[StudentWarning]:
    """Attach student and class names for staff views, in two queries."""
    names = dict(db.session.execute(select(User.id, User.display_name).where(
        User.id.in_({w.student_id for w in found}))).all()) if found else {}
    classes = dict(db.session.execute(select(ClassGroup.id, ClassGroup.name).where(
        ClassGroup.id.in_({w.class_id for w in found}))).all()) if found else {}
    for w in found:
        w.student_name, w.class_name = names.get(w.student_id), classes.get(w.class_id)
    return found
