"""Score entries into the append-only ledger: validation, batches, reversals."""
import calendar
import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import and_, case, exists, func, insert, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from backend.auth.policy import valuecard as policy
from backend.errors import Problem, violated_index
from backend.extensions import db
from backend.models import (
    CatalogueVersion,
    ClassGroup,
    Dispute,
    ScoreEntry,
    ScoringPoint,
    ScoringRule,
    StudentProfile,
    Term,
    User,
)
from backend.models.ledger import LIVE_INDEXES
from backend.org import school_calendar
from backend.org import status as enrolment
from backend.platform import audit, changes, clock
from backend.valuecard import catalogue, incidents, occasions
from backend.valuecard.occasions import Occasion

MAX_BATCH = 200  # a class is 40–50 students; 200 leaves room for merged classes
INVALID = "请求数据有误 / Invalid request data"
BATCH_REFUSED = "批次有误，未写入任何数据 / The batch has errors; nothing was written"
ALREADY_RECORDED = "该期间已有记录，可“更正”（撤销并重新录入） / Already recorded for this period: correct it (reverse and re-enter)."
ALREADY_RECORDED_OCCASION = ("这节课（这次班会）已有记录，可“更正” / Already recorded for this meeting: correct it "
                             "(reverse and re-enter).")
TERM_TIMINGS = {"semester_end", "year_start", "year_end", "mid_first_semester", "before_graduation"}


def check_period(rule: ScoringRule, term: Term, period: str | None) -> str | None:
    """The period key an entry of this rule belongs to, or None when `period` is wrong for it."""
    if rule.timing in TERM_TIMINGS:
        return "term" if period in (None, "term") else None
    if rule.timing == "weekly":
        m = re.fullmatch(r"week:(\d{1,2})", period or "")
        return period if m and 1 <= int(m[1]) <= term.weeks else None
    if rule.timing == "monthly":
        m = re.fullmatch(r"month:(\d{4})-(\d{2})", period or "")
        if not m or not 1 <= int(m[2]) <= 12:
            return None
        first = date(int(m[1]), int(m[2]), 1)
        return period if term.starts_on.replace(day=1) <= first <= term.ends_on else None
    m = re.fullmatch(r"day:(\d{4}-\d{2}-\d{2})", period or "")  # per class session
    try:
        return period if m and term.starts_on <= date.fromisoformat(m[1]) <= term.ends_on else None
    except ValueError:
        return None


PERIOD_HELP = {"weekly": "week:N", "monthly": "month:YYYY-MM", "session": "day:YYYY-MM-DD", "class_meeting": "day:YYYY-MM-DD"}
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SESSION_DAYS = 14  # a session point is entered soon after the lesson: the picker offers the last two weeks


def period_label(period: str | None) -> tuple[str, str]:
    """A period key in words (zh, en): people read 第14周, never week:14."""
    kind, _, key = (period or "term").partition(":")
    if kind == "week":
        return f"第{int(key)}周", f"Week {int(key)}"
    if kind == "month":
        year, month = map(int, key.split("-"))
        return f"{year}年{month}月", f"{MONTHS_EN[month - 1]} {year}"
    if kind == "day":
        day = date.fromisoformat(key)
        return f"{day.year}年{day.month}月{day.day}日", f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return "本学期", "Whole term"


def period_words(period: str) -> dict:
    """The key and its words, as every answer that shows a period carries them."""
    zh, en = period_label(period)
    return {"period": period, "period_zh": zh, "period_en": en}


def allowed_periods(rule: ScoringRule, term: Term, today: date) -> list[dict]:
    """The periods a point may be entered for in a term, newest first, up to today's (the one
    `current` marks, the picker's default): the timing rule of check_period, in words."""
    day = min(max(today, term.starts_on), term.ends_on)
    if rule.timing in TERM_TIMINGS:
        keys = ["term"]
    elif rule.timing == "weekly":
        teaching = school_calendar.teaching_weeks(term)  # a week of holidays only is no week to score
        keys = [f"week:{n}" for n in range(min(max(term.week_of(day), 1), term.weeks), 0, -1) if n in teaching]
    elif rule.timing == "monthly":
        keys, month = [], day.replace(day=1)
        while month >= term.starts_on.replace(day=1):
            keys.append(f"month:{month:%Y-%m}")
            month = (month - timedelta(days=1)).replace(day=1)
    else:
        keys = [f"day:{d}" for d in (day - timedelta(days=n) for n in range(SESSION_DAYS)) if d >= term.starts_on]
    out = []
    for i, key in enumerate(keys):
        zh, en = period_label(key)
        if i == 0 and key != "term" and day == today:
            zh, en = f"{CURRENT_ZH.get(rule.timing, '今天')}（{zh}）", f"{CURRENT_EN.get(rule.timing, 'Today')} ({en})"
        out.append({"key": key, "label_zh": zh, "label_en": en, "current": i == 0})
    return out


CURRENT_ZH = {"weekly": "本周", "monthly": "本月", "session": "今天"}
CURRENT_EN = {"weekly": "This week", "monthly": "This month", "session": "Today"}


def entry_week(term: Term, period: str, recorded_on: date) -> int:
    kind, _, key = period.partition(":")
    if kind == "week":
        return int(key)
    if kind == "day":
        day = date.fromisoformat(key)
    elif kind == "month":
        year, month = map(int, key.split("-"))
        day = min(date(year, month, calendar.monthrange(year, month)[1]), term.ends_on)
    else:
        day = recorded_on
    return min(max(term.week_of(day), 1), term.weeks)


def check_value(rule: ScoringRule, value: float) -> str | None:
    """Why a value does not fit the point's value type, or None when it does."""
    lo, hi = rule.min_value, rule.max_value
    if rule.value_type in ("count", "level", "document") and value != int(value):
        return "应为整数 / Must be a whole number."
    if not lo <= value <= hi:
        if rule.value_type == "level":
            return f"等级应为 0–{int(hi)} / Level must be 0–{int(hi)}."
        return f"应在 {lo:g}–{hi:g} 之间 / Must be between {lo:g} and {hi:g}."
    return None


def counts():
    """The entries that count: neither a reversal nor reversed."""
    reversal = aliased(ScoreEntry)
    # The IS NOT NULL lets PostgreSQL read the few reversals through their unique index
    # instead of hashing the whole ledger for the anti-join. "Not a reversal" is written so that
    # no index can serve it: SQLite (without statistics) took `reverses_id IS NULL` as an equality
    # on that unique index and walked every original of the ledger through it, ahead of the
    # query's own student or class condition (a class job read the whole term).
    return and_(func.coalesce(ScoreEntry.reverses_id, 0) == 0, ~exists().where(
        reversal.reverses_id.is_not(None), reversal.reverses_id == ScoreEntry.id))


def can_score(actor: User, rule: ScoringRule, cls: ClassGroup) -> bool:
    """The catalogue's scorer roles, held over the class (the policy's rule)."""
    return policy.scores(actor, rule, cls)


def record_batch(actor: User, term: Term, body: dict, occasion: Occasion | None = None) -> dict:
    """Write one point's values for many students (or, for a class point, classes), all or nothing.

    `occasion`: the occasion of an entry being corrected (already checked when it was written);
    otherwise the body's (`session_id`, or a class meeting's day and `occasion_title`)."""
    answer, write = prepare_batch(actor, term, body, occasion)
    write()
    return answer


def prepare_batch(actor: User, term: Term, body: dict, occasion: Occasion | None = None) -> tuple[dict, Callable]:
    """Check a batch and answer it without writing; `write()` then writes it. The API inserts the
    request's idempotency record, answer included, between the two (platform/idempotency.run_prepared).

    One live value per subject, point, period and occasion: the check answers with every row
    already recorded; the database's live indexes (models/ledger.py) hold the rule when
    another request writes the same slot between this check and the insert (PostgreSQL
    runs them side by side), and the check then runs again to answer the same 422."""
    given = occasion
    rule, period, key, class_of, generation, occasion = _check_batch(actor, term, body, given)
    rows = body["entries"]
    individual = key == "student_id"
    batch_id = str(uuid.uuid4())  # made here, so the answer is known before the write
    now = clock.now()
    week = entry_week(term, period, clock.school_today())

    def write() -> None:
        try:
            # One multi-row INSERT: a class batch is one round trip, not one per student. RETURNING
            # makes SQLAlchemy render it as one "insertmanyvalues" statement on both databases,
            # compiled once per process; .values([...]) was compiled anew for every batch.
            db.session.execute(insert(ScoreEntry).returning(ScoreEntry.id), [
                {"term_id": term.id, "point_id": rule.point_id, "student_id": r[key] if individual else None,
                 "class_id": class_of[r[key]].id, "period": period, "occasion": occasion.key,
                 "occasion_title": occasion.title, "week": week, "value": float(r["value"]),
                 "generation": generation[r[key]], "batch_id": batch_id, "recorded_by": actor.id, "recorded_at": now}
                for r in rows]).all()
        except IntegrityError as exc:
            if violated_index(exc) not in LIVE_INDEXES:
                raise
            # Another writer took a slot after our check and committed: nothing of ours stays,
            # and the check, run again, names every row it took.
            db.session.rollback()
            _check_batch(actor, term, body, given)
            raise
        # Most of a class past the line in one batch (the wrong class, the wrong scale): one incident.
        incidents.batch_recorded(actor, term, rule, batch_id, rows, class_of, now)
        changes.touch("class", term.id, {c.id for c in class_of.values()})

    return {"batch_id": batch_id, "point": rule.point.code, "period": period, "term_id": term.id, "count": len(rows),
            "occasion": occasion.key}, write


def _check_batch(actor: User, term: Term, body: dict, occasion: Occasion | None = None):
    """Refuse a batch with any bad row (naming each); else its rule, period, subject key, each
    subject's class, the generation its new value takes (models/ledger.py ScoreEntry) and its occasion."""
    rule = catalogue.rule(term, body["point"])
    if rule.source != "entered":
        raise Problem(422, INVALID, errors={"point": [
            "该采分点由系统计算，不能录入 / This point is computed from other data and cannot be typed."]})
    errors: dict = {}
    if occasion is None:
        occasion, fixed = occasions.of_batch(rule, term, body, errors)
        if errors:
            raise Problem(422, INVALID, errors=errors)
        body = {**body, "period": fixed or body.get("period")}
    period = check_period(rule, term, body.get("period"))
    if period is None:
        raise Problem(422, INVALID, errors={"period": [
            f"该采分点按 {rule.timing} 录入，期间格式 {PERIOD_HELP.get(rule.timing, 'term')} / "
            f"This point is entered per {rule.timing}: use {PERIOD_HELP.get(rule.timing, 'term')} within the term."]})
    individual = rule.point.level == "individual"
    key = "student_id" if individual else "class_id"
    rows = body["entries"]
    errors = {f"entries[{i}].{key}": ["必填 / Required for this point."] for i, r in enumerate(rows) if r.get(key) is None}
    if errors:
        raise Problem(422, INVALID, errors=errors)
    subjects = {r[key] for r in rows}
    week = entry_week(term, period, clock.school_today())
    found = _subjects(term, rule, period, occasion, individual, subjects)
    class_of = {subject: cls for subject, cls, *_ in found}
    taken = {subject: live for subject, _, live, *_ in found if live is not None}
    generation = {subject: reversed_ or 0 for subject, _, _, reversed_, *_ in found}
    # Suspended, withdrawn, graduated: nothing new from that day (org/status.py).
    refused = {subject: enrolment.refusal(term, week, status, since, name)
               for subject, _, _, _, status, since, name in found} if individual else {}
    recorded_rows = {}  # row index -> the live entry it collides with, for the app's "correct it" offer
    seen = set()
    for i, row in enumerate(rows):
        cls = class_of.get(row[key])
        if cls is None or not can_score(actor, rule, cls):
            # Same answer for "no such student" and "not yours to score": nothing leaks.
            errors[f"entries[{i}].{key}"] = ["无权为此对象录入此采分点 / You do not score this point for this student or class."]
            continue
        problem = occasions.row_problem(actor, rule, occasion, cls)
        if problem:
            errors[f"entries[{i}].{key}"] = [problem]
            continue
        if row[key] in seen:
            errors[f"entries[{i}].{key}"] = ["同一批次中重复 / Appears twice in this batch."]
        elif row[key] in taken:
            errors[f"entries[{i}].{key}"] = [ALREADY_RECORDED_OCCASION if occasion.key else ALREADY_RECORDED]
            recorded_rows[str(i)] = taken[row[key]]
        seen.add(row[key])
        problem = check_value(rule, row["value"])
        if problem:
            errors[f"entries[{i}].value"] = [problem]
    errors.update({f"entries[{i}].{key}": [refused[r[key]]] for i, r in enumerate(rows)
                   if r[key] in seen and refused.get(r[key])})
    if errors:
        raise Problem(422, BATCH_REFUSED, errors=errors, **({"recorded": recorded_rows} if recorded_rows else {}))
    return rule, period, key, class_of, generation, occasion


def _subjects(term: Term, rule: ScoringRule, period: str, occasion: Occasion, individual: bool, subjects: set) -> list:
    """Per subject of a batch, in one query (one snapshot): its class; its slot's live entry, if
    any, and how many of the slot's entries were reversed (the generation a new value takes); for a
    student, their status, its date and their name (refused from that day: org/status.py).

    The slot is read from its originals through the live index (term, point, period, subject, ...:
    the WHERE repeats the index's own condition so that SQLite may use it) and each original's
    reversal through the unique index on reverses_id: a few index probes per row on either database,
    where correlated subqueries per subject made SQLite walk the ledger once per row."""
    subject_column = ScoreEntry.student_id if individual else ScoreEntry.class_id
    reversal = aliased(ScoreEntry)
    reversed_ = exists().where(reversal.reverses_id == ScoreEntry.id)
    slots = (select(subject_column.label("subject"),
                    func.max(case((~reversed_, ScoreEntry.id))).label("live"),
                    func.count(case((reversed_, 1))).label("reversed"))
             .where(ScoreEntry.term_id == term.id, ScoreEntry.point_id == rule.point_id, ScoreEntry.period == period,
                    subject_column.in_(subjects), ScoreEntry.occasion == occasion.key, ScoreEntry.reverses_id.is_(None),
                    ScoreEntry.student_id.is_not(None) if individual else ScoreEntry.student_id.is_(None))
             .group_by(subject_column).subquery())
    if individual:
        query = (select(StudentProfile.user_id, ClassGroup, slots.c.live, slots.c.reversed, StudentProfile.status,
                        StudentProfile.status_on, User.display_name)
                 .join(ClassGroup, ClassGroup.id == StudentProfile.class_id)
                 .join(User, User.id == StudentProfile.user_id)
                 .outerjoin(slots, slots.c.subject == StudentProfile.user_id)
                 .where(StudentProfile.user_id.in_(subjects)))
    else:
        query = (select(ClassGroup.id, ClassGroup, slots.c.live, slots.c.reversed)
                 .outerjoin(slots, slots.c.subject == ClassGroup.id).where(ClassGroup.id.in_(subjects)))
    return db.session.execute(query).all()


def reverse(actor: User, entry: ScoreEntry, reason: str) -> dict:
    """Cancel an entry by appending its reversal; the original stays for the audit trail."""
    term = db.session.get(Term, entry.term_id)
    rule = catalogue.rule(term, db.session.get(ScoringPoint, entry.point_id).code)
    if not can_score(actor, rule, db.session.get(ClassGroup, entry.class_id)):
        # Another scorer's entry is not there for whoever does not score it: checked first, so
        # neither its existence nor its state leaks.
        raise Problem(404, "未找到 / Not found")
    if entry.reverses_id is not None:
        raise Problem(409, "冲销记录不能再冲销 / A reversal cannot be reversed", "Enter the value again instead.")
    if db.session.scalar(select(ScoreEntry.id).where(ScoreEntry.reverses_id == entry.id)) is not None:
        raise Problem(409, "该记录已冲销 / Already reversed")
    batch_id = str(uuid.uuid4())
    db.session.execute(insert(ScoreEntry).values(
        term_id=entry.term_id, point_id=entry.point_id, student_id=entry.student_id, class_id=entry.class_id,
        period=entry.period, occasion=entry.occasion, week=entry.week, value=None, reverses_id=entry.id, reason=reason, batch_id=batch_id,
        recorded_by=actor.id, recorded_at=clock.now()))
    audit.record(actor.id, "ledger.reverse", "score_entry", str(entry.id), reason)
    incidents.entry_reversed(actor, rule, entry, clock.now())  # its batch's incident, once corrected
    changes.touch("class", entry.term_id, [entry.class_id])
    return {"batch_id": batch_id, "reversed": entry.id}


def correct(actor: User, entry: ScoreEntry, reason: str, value: float) -> dict:
    """Reverse an entry and enter the right value for the same subject, point and period: one
    step, so the ledger never shows the slot empty and a refused value leaves the entry as it was."""
    rule = catalogue.rule(db.session.get(Term, entry.term_id), db.session.get(ScoringPoint, entry.point_id).code)
    if not can_score(actor, rule, db.session.get(ClassGroup, entry.class_id)):
        raise Problem(404, "未找到 / Not found")  # before any other answer, as in reverse()
    problem = check_value(rule, value)
    if problem:
        raise Problem(422, INVALID, errors={"value": [problem]})
    reversal = reverse(actor, entry, reason)
    key, subject = ("student_id", entry.student_id) if entry.student_id is not None else ("class_id", entry.class_id)
    batch = record_batch(actor, db.session.get(Term, entry.term_id),
                         {"point": rule.point.code, "period": entry.period, "entries": [{key: subject, "value": value}]},
                         Occasion(entry.occasion, entry.occasion_title))
    new_id = db.session.scalar(select(ScoreEntry.id).where(ScoreEntry.batch_id == batch["batch_id"]))
    return {"reversed": entry.id, "reversal_batch_id": reversal["batch_id"], "entry_id": new_id,
            "point": rule.point.code, **period_words(entry.period), "value": float(value)}


def student_entries(student_id: int, term_id: int, include_sensitive: bool) -> list[dict]:
    """A student's ledger for a term, newest first, with who recorded each entry and its reversal."""
    reversal = aliased(ScoreEntry)
    rows = db.session.execute(
        select(ScoreEntry, ScoringPoint.code, ScoringPoint.name_zh, ScoringPoint.name_en, User.display_name,
               reversal.id, reversal.reason)
        .join(ScoringPoint, ScoringPoint.id == ScoreEntry.point_id)
        .join(User, User.id == ScoreEntry.recorded_by)
        .outerjoin(reversal, reversal.reverses_id == ScoreEntry.id)
        .where(ScoreEntry.student_id == student_id, ScoreEntry.term_id == term_id, ScoreEntry.reverses_id.is_(None),
               true() if include_sensitive else ScoreEntry.point_id.notin_(sensitive_point_ids(term_id)))
        .order_by(ScoreEntry.id.desc())).all()
    sessions = occasions.describe_sessions(
        [int(r[0].occasion.partition(":")[2]) for r in rows if r[0].occasion.startswith("session:")])
    # Each entry's latest dispute: the student's button says 申诉中 or 已处理 instead of offering another.
    disputed = dict(db.session.execute(
        select(Dispute.entry_id, Dispute.status).where(Dispute.entry_id.in_([r[0].id for r in rows]))
        .order_by(Dispute.id)).all()) if rows else {}
    return [{"id": e.id, "point": code, "name_zh": zh, "name_en": en, **period_words(e.period), "value": e.value,
             "recorded_by": by, "recorded_at": e.recorded_at, "reversed": rid is not None, "reversal_reason": why,
             "dispute": disputed.get(e.id), "occasion": occasions.label(e.occasion, e.occasion_title, sessions)}
            for e, code, zh, en, by, rid, why in rows]


def sensitive_point_ids(term_id: int):
    """Points whose data is need-to-know in a term (discipline, mental health, finance)."""
    return select(ScoringRule.point_id).join(CatalogueVersion).where(
        CatalogueVersion.term_id == term_id, ScoringRule.sensitive.is_not(None))
