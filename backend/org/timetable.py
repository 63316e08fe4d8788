"""Course offerings and the weekly timetable: entry, the overlap rule, and the meetings they make.

An offering (course, teacher, one or more classes) is kept in step with TeachingAssignment and the
teacher's course_teacher grant over each class, so the policy's "course teacher of this class" and
the class roll keep working without reading offerings.

Overlap: two slots of one class, one teacher or one room may not share a weekday, a period and a
week. A unique constraint cannot express "ranges intersect", and an exclusion constraint would be
PostgreSQL only (the bit mask of weeks has no GiST operator class either), so every write takes a
per-term lock inside its transaction (pg_advisory_xact_lock; on SQLite the BEGIN IMMEDIATE of
backend/database.py already makes the transaction the only writer) and checks against the slots
the lock lets it see. Two parallel writers of one term thus queue, and the second sees the first.
"""
import re
from collections import defaultdict
from datetime import date

from sqlalchemy import delete, func, select, text

from backend.auth.roles import Role, Scope
from backend.errors import Problem
from backend.extensions import db
from backend.models import (
    ClassGroup,
    ClassSession,
    Course,
    CourseOffering,
    OfferingClass,
    RoleGrant,
    StaffProfile,
    TeachingAssignment,
    Term,
    TimetableSlot,
    User,
)
from backend.org import school_calendar
from backend.platform import audit

PERIODS = 12
MAX_WEEKS = 30
BAD = school_calendar.BAD
_LOCK = 0x5454_0000  # advisory-lock namespace for "timetable of term N"
WEEKDAY_WORDS = {**{str(n): n for n in range(1, 8)}, **{c: n for n, c in enumerate("一二三四五六日", start=1)},
                 "天": 7, "七": 7, **{w: n for n, w in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), 1)}}


def lock(term_id: int) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK + term_id})


def parse_weeks(spec: str, weeks: int) -> int:
    """"1-16", "1-16周", "1-8,10-16", "1-16(单)", "2-16双周", "1,3,5" → a bit mask of weeks.
    A parenthesised 单/双 at the end applies to every part; one inside a part to that part only."""
    text_ = re.sub(r"\s+", "", str(spec)).replace("，", ",").replace("、", ",").replace("（", "(").replace("）", ")")
    text_ = text_.replace("第", "").replace("周", "").replace("—", "-").replace("–", "-").replace("~", "-")
    overall = None
    m = re.fullmatch(r"(.*)\((单|双)\)", text_)
    if m:
        text_, overall = m[1], m[2]
    if not text_:
        raise ValueError("周次为空 / No weeks given.")
    mask = 0
    for part in text_.split(","):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?(单|双)?", part)
        if not m:
            raise ValueError(f"无法识别的周次“{part}” / Cannot read weeks '{part}' (use e.g. 1-16, 1-8,10-16, 1-16(单)).")
        lo, hi = int(m[1]), int(m[2] or m[1])
        parity = m[3] or overall
        if not 1 <= lo <= hi <= min(weeks, MAX_WEEKS):
            raise ValueError(f"周次 {part} 超出本学期的第1–{weeks}周 / Weeks {part} are outside weeks 1–{weeks} of the term.")
        for n in range(lo, hi + 1):
            if parity is None or (n % 2 == 1) == (parity == "单"):
                mask |= 1 << n
    if not mask:
        raise ValueError("周次中没有任何一周 / The weeks name no week.")
    return mask


def parse_periods(spec: str) -> tuple[int, int]:
    text_ = re.sub(r"[\s第节]", "", str(spec)).replace("—", "-").replace("–", "-").replace("~", "-")
    m = re.fullmatch(r"(\d+)(?:-(\d+))?", text_)
    if not m or not 1 <= int(m[1]) <= int(m[2] or m[1]) <= PERIODS:
        raise ValueError(f"节次“{spec}”应为第1–{PERIODS}节，如 1-2 / Periods '{spec}' must be within 1–{PERIODS}, e.g. 1-2.")
    return int(m[1]), int(m[2] or m[1])


def parse_weekday(spec) -> int:
    word = re.sub(r"\s|星期|周|礼拜", "", str(spec)).lower()[:3]
    if word not in WEEKDAY_WORDS:
        raise ValueError(f"无法识别的星期“{spec}” / Cannot read weekday '{spec}' (1–7 or 一…日).")
    return WEEKDAY_WORDS[word]


def week_list(mask: int) -> list[int]:
    return [n for n in range(1, MAX_WEEKS + 1) if mask >> n & 1]


# --- offerings -----------------------------------------------------------------------------------

def offering_classes(offering_ids) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for oid, cid in db.session.execute(select(OfferingClass.offering_id, OfferingClass.class_id).where(
            OfferingClass.offering_id.in_(offering_ids)).order_by(OfferingClass.class_id)):
        out[oid].append(cid)
    return out


def find_offering(term_id: int, course_id: int, teacher_id: int, class_ids) -> CourseOffering | None:
    """The offering of this course and teacher to exactly these classes, if there is one."""
    candidates = db.session.scalars(select(CourseOffering).where(
        CourseOffering.term_id == term_id, CourseOffering.course_id == course_id,
        CourseOffering.teacher_id == teacher_id)).all()
    classes = offering_classes([o.id for o in candidates])
    return next((o for o in candidates if set(classes[o.id]) == set(class_ids)), None)


def keep_assignments(actor_id: int | None, offering: CourseOffering, class_ids: list[int]) -> None:
    """TeachingAssignment and the course_teacher grant follow the offering (only added: taking a role
    away is a deliberate act, as in the roster import)."""
    for cid in class_ids:
        if not db.session.scalar(select(TeachingAssignment.id).where(
                TeachingAssignment.teacher_id == offering.teacher_id, TeachingAssignment.class_id == cid,
                TeachingAssignment.course_id == offering.course_id, TeachingAssignment.term_id == offering.term_id)):
            db.session.add(TeachingAssignment(teacher_id=offering.teacher_id, class_id=cid,
                                              course_id=offering.course_id, term_id=offering.term_id))
        if not db.session.scalar(select(RoleGrant.id).where(
                RoleGrant.user_id == offering.teacher_id, RoleGrant.role == Role.COURSE_TEACHER,
                RoleGrant.scope_type == Scope.CLASS, RoleGrant.scope_id == cid)):
            db.session.add(RoleGrant(user_id=offering.teacher_id, role=Role.COURSE_TEACHER,
                                     scope_type=Scope.CLASS, scope_id=cid))
            audit.record(actor_id, "grant.add", "user", str(offering.teacher_id),
                         {"role": Role.COURSE_TEACHER, "scope_type": Scope.CLASS, "scope_id": cid,
                          "because": f"offering {offering.id}"})


def save_offering(actor: User, term: Term, body: dict, offering: CourseOffering | None = None) -> dict:
    """Create (or change) an offering: course, teacher, classes. All named objects must exist."""
    errors = {}
    if body.get("teacher_number") is not None:
        found = db.session.scalar(select(User.id).join(StaffProfile, StaffProfile.user_id == User.id).where(
            func.lower(User.username) == body["teacher_number"].strip().lower()))
        if found is None:
            errors["teacher_number"] = [f"未知的教师工号“{body['teacher_number']}” / Unknown staff number "
                                        f"'{body['teacher_number']}'."]
        body = {**body, "teacher_id": found}
    if db.session.get(Course, body["course_id"]) is None:
        errors["course_id"] = ["没有这门课程 / No such course."]
    if body["teacher_id"] is not None and db.session.get(StaffProfile, body["teacher_id"]) is None:
        errors["teacher_id"] = ["没有这位教师 / No such teacher."]
    class_ids = list(dict.fromkeys(body["class_ids"]))
    known = set(db.session.scalars(select(ClassGroup.id).where(ClassGroup.id.in_(class_ids))))
    for i, cid in enumerate(body["class_ids"]):
        if cid not in known:
            errors[f"class_ids[{i}]"] = ["没有这个班级 / No such class."]
    if not class_ids:
        errors["class_ids"] = ["至少选择一个班级 / Choose at least one class."]
    if errors:
        raise Problem(422, BAD, errors=errors)
    lock(term.id)
    same = find_offering(term.id, body["course_id"], body["teacher_id"], class_ids)
    if same is not None and same is not offering:
        raise Problem(422, BAD, errors={"class_ids": ["该教师已给这些班级开设这门课程 / This teacher already teaches this "
                                                      "course to these classes this term."]})
    created = offering is None
    if created:
        offering = CourseOffering(term_id=term.id, course_id=body["course_id"], teacher_id=body["teacher_id"])
        db.session.add(offering)
    else:
        offering.course_id, offering.teacher_id = body["course_id"], body["teacher_id"]
    db.session.flush()
    db.session.execute(delete(OfferingClass).where(OfferingClass.offering_id == offering.id))
    db.session.add_all([OfferingClass(offering_id=offering.id, class_id=cid) for cid in class_ids])
    db.session.flush()
    if not created:  # a changed teacher or class set must still fit the slots it already has
        slots = db.session.scalars(select(TimetableSlot).where(TimetableSlot.offering_id == offering.id)).all()
        _refuse_overlaps(term, [(f"slots[{i}]", s, offering.id) for i, s in enumerate(slots)], skip={s.id for s in slots})
    keep_assignments(actor.id, offering, class_ids)
    audit.record(actor.id, "offering.create" if created else "offering.update", "course_offering", str(offering.id),
                 {"course_id": offering.course_id, "teacher_id": offering.teacher_id, "class_ids": class_ids})
    return describe_offerings(term, [offering])[0]


def _refuse_if_held(slot_ids) -> None:
    """A slot whose meetings were held keeps its sessions' history: it is not deleted."""
    if slot_ids and db.session.scalar(select(ClassSession.id).where(ClassSession.slot_id.in_(slot_ids)).limit(1)):
        raise Problem(409, "已有课堂记录，不能删除 / Sessions were held in this slot; it cannot be deleted",
                      "Its sessions, marks and points stay linked to it.")


def delete_offering(actor: User, offering: CourseOffering) -> None:
    lock(offering.term_id)
    _refuse_if_held(list(db.session.scalars(select(TimetableSlot.id).where(TimetableSlot.offering_id == offering.id))))
    audit.record(actor.id, "offering.delete", "course_offering", str(offering.id),
                 {"course_id": offering.course_id, "teacher_id": offering.teacher_id})
    db.session.execute(delete(TimetableSlot).where(TimetableSlot.offering_id == offering.id))
    db.session.execute(delete(OfferingClass).where(OfferingClass.offering_id == offering.id))
    db.session.delete(offering)


def courses() -> list[dict]:
    return [{"id": c.id, "code": c.code, "name": c.name} for c in db.session.scalars(select(Course).order_by(Course.code))]


def describe_offerings(term: Term, offerings) -> list[dict]:
    offerings = list(offerings)
    classes = offering_classes([o.id for o in offerings])
    names = _names(offerings, classes)
    slots: dict[int, list] = defaultdict(list)
    for s in db.session.scalars(select(TimetableSlot).where(
            TimetableSlot.offering_id.in_([o.id for o in offerings]))
            .order_by(TimetableSlot.weekday, TimetableSlot.first_period)):
        slots[s.offering_id].append(slot_out(s))
    return [{"id": o.id, "term_id": o.term_id, "course_id": o.course_id, "course": names["course"][o.course_id],
             "teacher_id": o.teacher_id, "teacher": names["user"][o.teacher_id],
             "classes": [{"id": c, "name": names["class"][c]} for c in classes[o.id]], "slots": slots[o.id]}
            for o in offerings]


def list_offerings(term: Term, teacher_id: int | None = None, class_id: int | None = None) -> list[dict]:
    q = select(CourseOffering).where(CourseOffering.term_id == term.id).order_by(CourseOffering.id)
    if teacher_id is not None:
        q = q.where(CourseOffering.teacher_id == teacher_id)
    if class_id is not None:
        q = q.where(CourseOffering.id.in_(select(OfferingClass.offering_id).where(OfferingClass.class_id == class_id)))
    return describe_offerings(term, db.session.scalars(q))


def _names(offerings, classes) -> dict:
    return {"course": dict(db.session.execute(select(Course.id, Course.name).where(
                Course.id.in_({o.course_id for o in offerings}))).all()),
            "user": dict(db.session.execute(select(User.id, User.display_name).where(
                User.id.in_({o.teacher_id for o in offerings}))).all()),
            "class": dict(db.session.execute(select(ClassGroup.id, ClassGroup.name).where(
                ClassGroup.id.in_({c for cs in classes.values() for c in cs}))).all())}


# --- slots ---------------------------------------------------------------------------------------

def slot_out(s: TimetableSlot) -> dict:
    return {"id": s.id, "offering_id": s.offering_id, "weekday": s.weekday, "first_period": s.first_period,
            "last_period": s.last_period, "room": s.room, "weeks": s.weeks, "week_list": week_list(s.week_mask)}


def build_slot(term: Term, offering_id: int, body: dict, where: str) -> tuple[TimetableSlot | None, dict]:
    """A slot from its fields, or the errors naming `where`.field."""
    errors, mask = {}, 0
    try:
        mask = parse_weeks(body["weeks"], term.weeks)
    except ValueError as exc:
        errors[f"{where}.weeks"] = [str(exc)]
    if not 1 <= body["first_period"] <= body["last_period"] <= PERIODS:
        errors[f"{where}.periods"] = [f"节次应在第1–{PERIODS}节之内且首节不晚于末节 / Periods must lie within "
                                      f"1–{PERIODS}, first before last."]
    if errors:
        return None, errors
    return TimetableSlot(offering_id=offering_id, term_id=term.id, weekday=body["weekday"],
                         first_period=body["first_period"], last_period=body["last_period"],
                         room=(body.get("room") or "").strip() or None, weeks=str(body["weeks"]).strip(),
                         week_mask=mask), {}


def _refuse_overlaps(term: Term, candidates: list[tuple[str, TimetableSlot, int]], skip=frozenset()) -> None:
    """422 naming each candidate that overlaps a stored slot or an earlier candidate."""
    errors = overlaps(term, candidates, skip)
    if errors:
        raise Problem(422, "课表冲突，未写入任何数据 / The timetable overlaps; nothing was written", errors=errors)


def overlaps(term: Term, candidates: list[tuple[str, TimetableSlot, int]], skip=frozenset()) -> dict:
    """Call with the term's lock held. `candidates`: (where, slot, offering id)."""
    stored = db.session.execute(select(TimetableSlot, CourseOffering.teacher_id).join(
        CourseOffering, CourseOffering.id == TimetableSlot.offering_id).where(TimetableSlot.term_id == term.id)).all()
    offering_ids = {o for _, _, o in candidates} | {s.offering_id for s, _ in stored}
    classes = offering_classes(offering_ids)
    teachers = dict(db.session.execute(select(CourseOffering.id, CourseOffering.teacher_id).where(
        CourseOffering.id.in_(offering_ids))).all())
    courses = dict(db.session.execute(select(CourseOffering.id, Course.name).join(
        Course, Course.id == CourseOffering.course_id).where(CourseOffering.id.in_(offering_ids))).all())
    seen = [(f"slot {s.id}", s, s.offering_id) for s, _ in stored if s.id not in skip]
    errors: dict[str, list[str]] = {}
    for where, slot, oid in candidates:
        for _, other, other_oid in seen:
            if not (slot.weekday == other.weekday and slot.week_mask & other.week_mask
                    and slot.first_period <= other.last_period and other.first_period <= slot.last_period):
                continue
            what = (f"{courses.get(other_oid, '')} 周{school_calendar.WEEKDAYS_ZH[other.weekday - 1]}第{other.first_period}-"
                    f"{other.last_period}节（{other.weeks}）")
            what_en = f"{courses.get(other_oid, '')} day {other.weekday}, periods {other.first_period}-{other.last_period}"
            if set(classes[oid]) & set(classes[other_oid]):
                errors.setdefault(f"{where}.periods", []).append(f"班级与 {what} 冲突 / The class already has {what_en}.")
            elif teachers[oid] == teachers[other_oid]:
                errors.setdefault(f"{where}.periods", []).append(
                    f"教师与 {what} 冲突 / The teacher already teaches {what_en}.")
            elif slot.room and slot.room == other.room:
                errors.setdefault(f"{where}.room", []).append(
                    f"教室{slot.room}已被 {what} 占用 / Room {slot.room} is taken by {what_en}.")
        seen.append((where, slot, oid))
    return errors


def add_slot(actor: User, offering: CourseOffering, body: dict) -> dict:
    term = db.session.get(Term, offering.term_id)
    slot, errors = build_slot(term, offering.id, body, "slot")
    if errors:
        raise Problem(422, BAD, errors={k.removeprefix("slot."): v for k, v in errors.items()})
    lock(term.id)
    errors = overlaps(term, [("slot", slot, offering.id)])
    if errors:
        raise Problem(422, "课表冲突，未写入任何数据 / The timetable overlaps; nothing was written",
                      errors={k.removeprefix("slot."): v for k, v in errors.items()})
    db.session.add(slot)
    db.session.flush()
    audit.record(actor.id, "slot.create", "timetable_slot", str(slot.id), {**slot_out(slot), "week_list": None})
    return slot_out(slot)


def delete_slot(actor: User, slot: TimetableSlot) -> None:
    lock(slot.term_id)
    _refuse_if_held([slot.id])
    audit.record(actor.id, "slot.delete", "timetable_slot", str(slot.id), {**slot_out(slot), "week_list": None})
    db.session.delete(slot)


# --- meetings ------------------------------------------------------------------------------------

def meets_on(slot: TimetableSlot, term: Term, day: date, days=None) -> bool:
    """Whether the slot has a meeting on the day: its weekday's timetable runs then (holidays and
    make-up days applied) in one of its weeks."""
    days = school_calendar.term_days(term) if days is None else days
    return (term.starts_on <= day <= term.ends_on and school_calendar.runs_weekday(day, days) == slot.weekday
            and bool(slot.week_mask >> term.week_of(day) & 1))


def week(term: Term, week_no: int, offerings: list[dict]) -> dict:
    """The meetings of one week, a list per day (a phone shows days, not a 7-column grid)."""
    days = school_calendar.term_days(term)
    bells = school_calendar.bell_schedule()
    by_weekday: dict[int, list] = defaultdict(list)
    for o in offerings:
        for s in o["slots"]:
            by_weekday[s["weekday"]].append((o, s))
    out = []
    for day in school_calendar.week_days(term, week_no):
        special = days.get(day)
        runs = school_calendar.runs_weekday(day, days)
        meetings = []
        for o, s in sorted(by_weekday.get(runs, []), key=lambda p: p[1]["first_period"]):
            if week_no in s["week_list"]:
                meetings.append({"slot_id": s["id"], "offering_id": o["id"], "course": o["course"],
                                 "teacher": o["teacher"], "classes": o["classes"], "room": s["room"],
                                 "first_period": s["first_period"], "last_period": s["last_period"],
                                 "starts": bells[s["first_period"]][0].strftime("%H:%M"),
                                 "ends": bells[s["last_period"]][1].strftime("%H:%M")})
        out.append({"day": day, "weekday": day.isoweekday(), "runs_weekday": runs,
                    "holiday": special.name if special else None, "kind": special.kind if special else None,
                    "meetings": meetings})
    return {"term_id": term.id, "week": week_no, "weeks": term.weeks,
            "teaching": week_no in school_calendar.teaching_weeks(term, days), "days": out}

