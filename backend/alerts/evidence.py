"""What lies behind a warning: the support of each indicator (held against a rule's minimum
evidence), the evidence stored on the warning (every value past the line, the ledger entries and
attendance marks behind it, recomputed on every evaluation), and which of those records were
reversed or corrected since (what withdraws a warning)."""
from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import select

from backend.alerts import warning_rules
from backend.alerts.warning_rules import Finding
from backend.auth.policy import alerts as policy
from backend.extensions import db
from backend.models import AttendanceMark, ClassSession, Course, ScoreEntry, StudentWarning, Term, User
from backend.models.attendance import MARKS
from backend.valuecard import attendance, card, ledger

# Which marks feed each attendance point (attendance.indicator_values), and which of them count
# against the student: the marks a warning's evidence lists.
ATTENDANCE_FEEDS = {"S-A-02": ("present", "late"), "S-A-03": MARKS, "S-A-04": MARKS}
AGAINST = {"S-A-02": ("late",), "S-A-03": ("absent",), "S-A-04": ("absent", "leave")}
PER_POINT = 100  # entries or marks listed per point: a term holds fewer for any point scored on a schedule


def support(student_ids, term: Term, cards: dict, points: dict) -> dict[int, dict[str, dict]]:
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


def recent(subjects: dict, term: Term, days: int, today: date, excluded) -> dict:
    """The subjects as a rule with a `days`-day window sees them: attendance points are the share
    of the sessions in the last `days` days (the window's sessions its support), other points as
    they are. Sustained absence shows within days, where a term's mean takes weeks to move, and
    one absence among a fortnight's sessions stays a single absence."""
    window = attendance.indicator_values(list(subjects), term.id, exclude_sessions=excluded,
                                         since=today - timedelta(days=days - 1))
    out = {}
    for sid, subject in subjects.items():
        indicators, support = dict(subject.indicators), dict(subject.support or {})
        for code in ATTENDANCE_FEEDS:
            values = [v for _, v in window.get(sid, {}).get(code, [])]
            if values:
                indicators[code] = card.indicator(sum(values), len(values))
                term_days = support.get(code, {}).get("days", 0)
                support[code] = {"sessions": len(values), "days": min(term_days, days)}
            else:
                indicators.pop(code, None)
                support.pop(code, None)
        out[sid] = replace(subject, indicators=indicators, support=support)
    return out


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


def of_finding(finding: Finding, student_id: int, term: Term, points: dict) -> dict:
    """Every value past the line and what lies behind each: the ledger entries and, for
    attendance points, the marks that count against the student. Recomputed on every evaluation
    of an open warning, so it is always current."""
    codes = [v["code"] for v in finding.values]
    return {"values": finding.values, "groups": finding.groups,
            "entries": _entries(student_id, term, codes, points), "marks": _marks(student_id, term, codes)}


def for_reader(user: User, w: StudentWarning) -> dict:
    """The evidence as this reader may see it: a special-group record (psychological, hardship,
    employment) is named only to the roles that read that group, although the warning it raised
    goes further up the chain (a head teacher sees a mental-health warning, not the registration)."""
    found = dict(w.evidence or {})
    found["groups"] = [g for g in found.get("groups", []) if policy.group_readers(user, w.student_id, g)]
    return found


def undone(w: StudentWarning) -> tuple[list[str], list[str]]:
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
