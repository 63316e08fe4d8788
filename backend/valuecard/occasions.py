"""The occasions a point is scored on within its period: a course meeting or a class meeting.

A point scored per occasion has one live value per subject, point, period AND occasion (the ledger's
live indexes, models/ledger.py); a point scored once a period has the empty occasion, so its rule is
unchanged. Its indicator over the term is the mean of its values, as for every repeated point (card.py).

- A course meeting is a `ClassSession`: S-A-05/06 (timing `session`) name it as `session_id`, so two
  course teachers' homework on the same day are two values. Without a `session_id` a session point
  keeps the day as its one occasion (the scoring-sheet import and older clients do that).
- A class meeting (主题班会, 政治学习; timing `class_meeting`) is a dated occasion of the class, with
  an optional theme; the day is the period, so a class has one meeting of a kind a day.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from backend.auth.policy import valuecard as policy
from backend.extensions import db
from backend.models import ClassGroup, ClassSession, Course, ScoringRule, Term, User
from backend.platform import clock

COURSE_MEETING = "session"  # the timing of points scored per course meeting
CLASS_MEETING = "class_meeting"  # the timing of points scored per class meeting
RECENT_DAYS = 14  # the meeting picker offers the last two weeks' sessions, as the period picker does


@dataclass(frozen=True)
class Occasion:
    key: str = ""
    title: str | None = None
    session: ClassSession | None = None


NONE = Occasion()


def of_batch(rule: ScoringRule, term: Term, body: dict, errors: dict) -> tuple[Occasion, str | None]:
    """The batch's occasion and the period it fixes (None: the body's own), adding what is wrong to
    `errors` under the field's name."""
    session_id = body.get("session_id")
    if session_id is not None:
        if rule.timing != COURSE_MEETING:
            errors["session_id"] = ["该采分点不按课次录入 / This point is not recorded per course meeting."]
            return NONE, None
        session = db.session.get(ClassSession, session_id)
        if session is None or session.term_id != term.id:
            errors["session_id"] = ["本学期没有这节课 / No such course meeting in this term."]
            return NONE, None
        period = f"day:{session.day.isoformat()}"
        if body.get("period") not in (None, period):
            errors["period"] = [f"课次在 {session.day} ，期间应为 {period} / The meeting was on {session.day}: "
                                f"the period is {period}."]
        return Occasion(f"session:{session.id}", None, session), period
    if rule.timing == CLASS_MEETING:
        day = body.get("period", "") or ""
        title = (body.get("occasion_title") or "").strip() or None
        return Occasion(f"meeting:{day.removeprefix('day:')}", title), None
    return NONE, None


def row_problem(actor: User, rule: ScoringRule, occasion: Occasion, cls: ClassGroup) -> str | None:
    """Why a row's subject cannot take a value for this course meeting, or None."""
    if occasion.session is None:
        return None
    if occasion.session.class_id != cls.id:
        return "不在这节课的班级 / Not in this course meeting's class."
    if not policy.records_for_session(actor, rule, occasion.session):
        return "只有上这节课的教师或班主任可以录入 / Only the meeting's teacher or the head teacher records for it."
    return None


def label(key: str, title: str | None, sessions: dict[int, dict]) -> dict | None:
    """An occasion in words for a reader, or None for a point scored once a period."""
    kind, _, ref = key.partition(":")
    if kind == "session" and int(ref) in sessions:
        s = sessions[int(ref)]
        return {"kind": "course_meeting", "session_id": int(ref), "label_zh": s["label_zh"], "label_en": s["label_en"]}
    if kind == "meeting":
        day = date.fromisoformat(ref)
        theme = f" {title}" if title else ""
        return {"kind": "class_meeting", "label_zh": f"{day.month}月{day.day}日班会{theme}",
                "label_en": f"Class meeting {day.isoformat()}{theme}"}
    return None


def describe_sessions(session_ids) -> dict[int, dict]:
    """Each session's date, time and course name in words (zh, en)."""
    rows = db.session.execute(
        select(ClassSession, Course.name).outerjoin(Course, Course.id == ClassSession.course_id)
        .where(ClassSession.id.in_(set(session_ids)))).all() if session_ids else []
    out = {}
    for s, course in rows:
        local = s.starts_at.astimezone(clock.school_zone())
        out[s.id] = {"id": s.id, "day": s.day, "starts_at": s.starts_at, "course_name": course,
                     "label_zh": f"{s.day.month}月{s.day.day}日 {local:%H:%M} {course or '课程'}",
                     "label_en": f"{s.day.isoformat()} {local:%H:%M} {course or 'Lesson'}"}
    return out


def recent_sessions(actor: User, rule: ScoringRule, cls: ClassGroup, term: Term) -> list[dict]:
    """The course meetings of a class the actor may record this point for, newest first: their own
    sessions (all the class's for its head teacher) of the last two weeks."""
    if rule.timing != COURSE_MEETING or not policy.scores(actor, rule, cls):
        return []
    since = clock.school_today() - timedelta(days=RECENT_DAYS)
    sessions = db.session.scalars(select(ClassSession).where(
        ClassSession.class_id == cls.id, ClassSession.term_id == term.id, ClassSession.day >= since)
        .order_by(ClassSession.starts_at.desc())).all()
    mine = [s for s in sessions if policy.records_for_session(actor, rule, s)]
    words = describe_sessions([s.id for s in mine])
    now = clock.now()
    return [{**words[s.id], "period": f"day:{s.day.isoformat()}", "started": s.starts_at <= now} for s in mine]
