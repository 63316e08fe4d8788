"""Mass events are one incident, not fifty warnings (issue 15, must-show 2).

valuecard/incidents.py opens an Incident in the transaction of the write that caused it (a
session closed with most of the class unmarked, a correction marking most of it absent, a batch
or scoring sheet putting most of it past a point's warning value). From there this module keeps
its life:

- one class-level notice to the scorer who wrote it and the class's head teachers ("47人中46人缺勤，
  是否有误？"), through the inbox and the usual push budget, with a neutral lock-screen text;
- the hold: while it is open and before its deadline, the warning rules see its students' points
  as they stood without it (`hold`, called by warnings.evaluate_class), so nothing is raised, or
  raised in level, from it — and nothing already raised is cleared by it either;
- the decision: "记录无误 / Records are right" (confirmed) or "已更正 / Corrected" by the scorer or
  a head teacher of the class, correcting the marks or reversing the batch (which closes it by
  itself), or the deadline passing (`expire_due`, every five minutes). Each closes the hold and
  re-evaluates the class at once, so the warnings that are real come through, and corrected data
  leaves nothing to warn about.
"""
from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, or_, select

from backend.auth.policy import authorize, can
from backend.auth.roles import Role
from backend.errors import Problem
from backend.extensions import db
from backend.models import (
    ClassGroup,
    ClassSession,
    Course,
    Incident,
    ScoreEntry,
    ScoringPoint,
    Term,
    User,
)
from backend.notify import notifications
from backend.org import directory
from backend.platform import audit, changes, clock
from backend.valuecard import attendance, card, catalogue, ledger
from backend.valuecard.incidents import ATTENDANCE_POINTS

DECISIONS = ("confirmed", "corrected")
WEEKDAYS = (("一", "Mon"), ("二", "Tue"), ("三", "Wed"), ("四", "Thu"), ("五", "Fri"), ("六", "Sat"), ("日", "Sun"))


# --- what happened, in words ----------------------------------------------------------------

def _session_words(incident: Incident) -> tuple[str, str]:
    session = db.session.get(ClassSession, int(incident.source_id))
    local = session.starts_at.astimezone(clock.school_zone())
    zh_day, en_day = WEEKDAYS[local.weekday()]
    course = db.session.get(Course, incident.course_id) if incident.course_id else None
    zh = f"{course.name} 周{zh_day} {local:%H:%M} 课堂" if course else f"周{zh_day} {local:%H:%M} 课堂"
    en = f"{course.name}, {en_day} {local:%H:%M}" if course else f"the session of {en_day} {local:%H:%M}"
    return zh, en


def title(incident: Incident, cls: ClassGroup) -> tuple[str, str]:
    """("软件2401班 高等数学 周二 10:00 课堂：47人中46人缺勤，是否有误？", "Software 2401: 46 of 47 marked absent in …")."""
    n, of = len(incident.student_ids), incident.class_size
    if incident.source_kind == "session":
        zh, en = _session_words(incident)
        return (f"{cls.name} {zh}：{of}人中{n}人缺勤，是否有误？",
                f"{cls.name}: {n} of {of} marked absent in {en} — correct?")
    point = db.session.scalar(select(ScoringPoint).where(ScoringPoint.code == incident.points[0]))
    return (f"{cls.name} {point.name_zh}：{of}人中{n}人超出预警线，是否有误？",
            f"{cls.name}: {n} of {of} past the warning line on {point.name_en} — correct?")


def _deadline_words(incident: Incident) -> str:
    return f"{incident.deadline.astimezone(clock.school_zone()):%m-%d %H:%M}"


def announce(incident: Incident, now: datetime | None = None) -> int:
    """The one class-level notice, to the scorer and the class's head teachers; once."""
    if incident.notified_at is not None or incident.status != "open":
        return 0
    now = now or clock.now()
    cls = db.session.get(ClassGroup, incident.class_id)
    users = [incident.recorded_by, *directory.responders(cls, Role.HEAD_TEACHER)]
    zh, en = title(incident, cls)
    when = _deadline_words(incident)
    sent = notifications.send(
        users, kind="incident", level=None, title=f"{zh} / {en}", url=f"/#/incidents/{incident.id}", now=now,
        body=f"有误请更正，无误请确认；{when} 前未处理，相关预警将按记录发出。 / Correct the records if they are wrong, "
             f"or confirm them; undecided by {when}, the warnings go out as recorded.")
    incident.notified_at = now
    return len(sent)


# --- the hold --------------------------------------------------------------------------------

def _open(term_id: int, class_id: int, now: datetime) -> list[Incident]:
    return db.session.scalars(select(Incident).where(
        Incident.term_id == term_id, Incident.class_id == class_id, Incident.status == "open",
        Incident.deadline > now).order_by(Incident.id)).all()


def held(term_id: int, class_id: int, now: datetime) -> dict[int, set[str]]:
    """Student id → the point codes whose warnings wait for an open incident's decision."""
    out: dict[int, set[str]] = defaultdict(set)
    for incident in _open(term_id, class_id, now):
        for sid in incident.student_ids:
            out[sid].update(incident.points)
    return dict(out)


def held_sessions(term_id: int, class_id: int, now: datetime) -> set[int]:
    """The sessions of the class's open incidents: left out of the rules' recent window."""
    return {int(i.source_id) for i in _open(term_id, class_id, now) if i.source_kind == "session"}


def _put(indicators: dict, code: str, values: list[float]) -> None:
    if values:
        indicators[code] = card.indicator(sum(values), len(values))
    else:
        indicators.pop(code, None)


def hold(term: Term, class_id: int, indicators: dict[int, dict[str, float]], now: datetime) -> dict[int, set[str]]:
    """Set each held student's held points to their indicator without the open incidents' data
    (their sessions' marks, their batches' entries), in place; returns what is held.

    Not merely dropped: a student already under a real warning on those points keeps it as it
    was, neither raised by the incident nor cleared because its point went missing."""
    found = _open(term.id, class_id, now)
    out: dict[int, set[str]] = defaultdict(set)
    sessions, batches = defaultdict(set), defaultdict(set)  # student → the incidents' sources
    for incident in found:
        for sid in incident.student_ids:
            if sid in indicators:
                out[sid].update(incident.points)
                (sessions if incident.source_kind == "session" else batches)[sid].add(incident.source_id)
    by_sessions = defaultdict(list)
    for sid, ids in sessions.items():
        by_sessions[frozenset(int(i) for i in ids)].append(sid)
    for excluded, sids in by_sessions.items():
        series = attendance.indicator_values(sids, term.id, exclude_sessions=excluded)
        for sid in sids:
            for code in ATTENDANCE_POINTS:
                _put(indicators[sid], code, [v for _, v in series.get(sid, {}).get(code, [])])
    if batches:
        codes = {code for incident in found if incident.source_kind == "batch" for code in incident.points}
        point_ids = {r.point_id: r.point.code for r in catalogue.rules(term) if r.point.code in codes}
        values = defaultdict(list)
        for sid, point_id, value, batch in db.session.execute(select(
                ScoreEntry.student_id, ScoreEntry.point_id, ScoreEntry.value, ScoreEntry.batch_id).where(
                ScoreEntry.term_id == term.id, ScoreEntry.student_id.in_(batches),
                ScoreEntry.point_id.in_(point_ids), ledger.counts()).order_by(ScoreEntry.id)):
            if batch not in batches[sid]:
                values[(sid, point_ids[point_id])].append(value)
        for incident in found:
            if incident.source_kind == "batch":
                for sid in incident.student_ids:
                    if sid in indicators:
                        for code in incident.points:
                            _put(indicators[sid], code, values[(sid, code)])
    return dict(out)


def _release(incident: Incident) -> None:
    """The hold ends: the class is evaluated again at once, on the data as it now stands."""
    changes.touch("warnings", incident.term_id, [incident.class_id])


def expire_due(now: datetime | None = None) -> dict:
    """Open incidents past their deadline expire and release their warnings; an open incident
    whose notice was lost with its job (Redis restarted) gets it now."""
    now = now or clock.now()
    expired = 0
    for incident in db.session.scalars(select(Incident).where(Incident.status == "open")).all():
        if incident.deadline <= now:
            incident.status, incident.decided_at = "expired", now
            _release(incident)
            expired += 1
        elif incident.notified_at is None:
            announce(incident, now)
    return {"expired": expired}


# --- reading and deciding --------------------------------------------------------------------

def get(viewer: User, incident_id: int) -> Incident:
    incident = db.session.get(Incident, incident_id)
    authorize(viewer, "view", incident)
    return incident


def visible(viewer: User, status: str) -> list[Incident]:
    """The incidents the viewer decides: of the classes they head, or written by them. Open first."""
    classes = [c.id for c in directory.visible_classes(viewer)]
    query = select(Incident).where(or_(Incident.class_id.in_(classes), Incident.recorded_by == viewer.id))
    if status == "open":
        query = query.where(Incident.status == "open")
    found = [i for i in db.session.scalars(query.order_by(Incident.id.desc()).limit(200)) if can(viewer, "view", i)]
    return sorted(found, key=lambda i: i.status != "open")


def describe(viewer: User, incident: Incident) -> dict:
    cls = db.session.get(ClassGroup, incident.class_id)
    zh, en = title(incident, cls)
    people = {i: (name, number) for i, name, number in db.session.execute(
        select(User.id, User.display_name, User.username).where(
            User.id.in_([*incident.student_ids, incident.recorded_by, incident.decided_by or 0])))}
    names = {i: name for i, (name, _) in people.items()}
    points = db.session.execute(select(ScoringPoint.code, ScoringPoint.name_zh, ScoringPoint.name_en).where(
        ScoringPoint.code.in_(incident.points)).order_by(ScoringPoint.code)).all()
    if incident.source_kind == "session":
        correction = {"kind": "session", "session_id": int(incident.source_id), "batch_id": None, "live": None,
                      "can_reverse": False}
    else:
        live = db.session.scalar(select(func.count()).select_from(ScoreEntry).where(
            ScoreEntry.batch_id == incident.source_id, ScoreEntry.class_id == incident.class_id, ledger.counts()))
        term = db.session.get(Term, incident.term_id)
        correction = {"kind": "batch", "session_id": None, "batch_id": incident.source_id, "live": live,
                      "can_reverse": live > 0 and ledger.can_score(viewer, catalogue.rule(term, incident.points[0]), cls)}
    return {
        "id": incident.id, "status": incident.status, "class_id": cls.id, "class_name": cls.name,
        "term_id": incident.term_id, "source_kind": incident.source_kind, "source_id": incident.source_id,
        "trigger": incident.trigger, "title_zh": zh, "title_en": en,
        "points": [{"code": c, "name_zh": z, "name_en": e} for c, z, e in points],
        "affected": len(incident.student_ids), "class_size": incident.class_size,
        # The student number tells two students of one name apart.
        "students": [{"id": s, "name": names.get(s), "username": people.get(s, (None, None))[1]}
                     for s in incident.student_ids],
        "recorded_by": names.get(incident.recorded_by), "created_at": incident.created_at,
        "deadline": incident.deadline, "decided_by": names.get(incident.decided_by) if incident.decided_by else None,
        "decided_at": incident.decided_at, "note": incident.note, "correction": correction,
        "can_decide": incident.status == "open" and can(viewer, "decide", incident),
    }


def decide(viewer: User, incident: Incident, decision: str, note: str | None) -> Incident:
    """Records are right (confirmed) or corrected: the hold ends either way and the class is
    evaluated on the data as it stands. The same decision again changes nothing."""
    authorize(viewer, "decide", incident)
    if incident.status == decision:
        return incident
    if incident.status != "open":
        raise Problem(409, "该事件已处理 / This incident is already decided",
                      f"It was {incident.status}; the warnings follow the records as they stand.")
    incident.status, incident.decided_by, incident.decided_at, incident.note = decision, viewer.id, clock.now(), note
    audit.record(viewer.id, "incident.decide", "incident", str(incident.id), {"decision": decision, "note": note})
    _release(incident)
    return incident


def reverse_batch(viewer: User, incident: Incident, reason: str) -> dict:
    """Reverse every live entry of the incident's batch in its class, with one reason, all or
    nothing (through ledger.reverse, so each reversal is audited); the incident is then corrected.
    A batch already reversed reverses nothing more."""
    authorize(viewer, "view", incident)
    if incident.source_kind != "batch":
        raise Problem(409, "这不是一次批量录入 / This incident is not a batch",
                      "Correct the session's marks instead.")
    cls = db.session.get(ClassGroup, incident.class_id)
    rule = catalogue.rule(db.session.get(Term, incident.term_id), incident.points[0])
    if not ledger.can_score(viewer, rule, cls):
        raise Problem(403, "只有该采分点的录入者可以冲销 / Only a scorer of this point can reverse it",
                      "Ask the teacher who entered the batch.")
    entries = db.session.scalars(select(ScoreEntry).where(
        ScoreEntry.batch_id == incident.source_id, ScoreEntry.class_id == incident.class_id,
        ledger.counts()).order_by(ScoreEntry.id)).all()
    was_open = incident.status == "open"
    for entry in entries:
        ledger.reverse(viewer, entry, reason)  # may close the incident on the way (valuecard/incidents.py)
    if was_open:
        incident.status, incident.decided_by, incident.decided_at, incident.note = \
            "corrected", viewer.id, clock.now(), reason
        _release(incident)
    return {"incident_id": incident.id, "reversed": len(entries), "status": incident.status}
