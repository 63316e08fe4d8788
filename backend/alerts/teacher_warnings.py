"""Teachers in the spiral's monitor → warn step (issue 20, must-show 4).

Two steps, in this order, from the periodic warning pass (jobs/alerts.py):

1. Nudge. A teacher goal linked to a teacher indicator (Goal.point_code, in a submitted or approved
   teacher_year / teacher_cycle plan of the year) whose actual value is past the goal's own warning
   value nudges the teacher, once per crossing (Goal.nudged_at, cleared when back) — as
   plans.monitor does for students. The teacher hears first. Hours and counts that build up over
   the year (CUMULATIVE) are held to the warning value times the share of the year gone by; what
   comes in blocks (IN_BLOCKS: industry practice, papers) is not held to a line during the year.
2. Department warning. A teacher indicator past the warning value of the standard for the teacher's
   stage (teacher_standards.for_stage, the stage from their teacher_cycle plan) without a break for
   TEACHER_WARNING_AFTER_DAYS raises a TeacherWarning to the department admin(s), with the evidence
   (value, since when, the standard, where the figure comes from) and the student warnings' life:
   acknowledge, notes and actions, resolve; withdrawn when the figure is back before anyone took it
   up (it was corrected, or it was a passing dip); a relapse after a close opens the next episode.
   No data is never past: a teacher with no portfolio item in the year has no training figure (not
   0 hours, teacher_indicators._portfolio), or their department would be told about every teacher
   who does not keep their portfolio in Spiral, and learn to ignore the rest.

"Since when" is a row per (teacher, indicator, year) (TeacherIndicatorWatch), set by a conditional
UPDATE, so the N days are true across runs and two racing runs keep the first moment. Alerts go
through notifications.send: the same alert budget (digest, quiet hours, daily push budget) and the
same neutral lock-screen text as student warnings. Only the department admins of the teacher's
department see a teacher warning (auth/policy/teacher_warnings.py), never the teacher's students
or colleagues, and every read is audited like a need-to-know student warning.
"""
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backend.alerts import lifecycle
from backend.auth.policy import authorize, can
from backend.auth.roles import Role, Scope
from backend.development import teacher_indicators, teacher_standards
from backend.errors import Problem
from backend.extensions import db
from backend.models import (
    ChannelDelivery,
    Goal,
    Notification,
    Plan,
    PushDelivery,
    StaffProfile,
    TeacherIndicatorWatch,
    TeacherWarning,
    TeacherWarningEvent,
    User,
)
from backend.notify import notifications
from backend.org import directory
from backend.platform import audit, clock, language

OPEN = ("raised", "notified", "acknowledged", "in_progress")
UNACKNOWLEDGED = ("raised", "notified")
# A teacher's figure is never a crisis for a phone at night: red (which skips the budget) is not used.
LEVELS = ("yellow", "orange")
LIVE = ("submitted", "approved")
CLEARED = "数值已回到预警线内 / The figure is back within the warning line"
BACK = "数值已回到预警线内（已更正或已好转），尚无人处理，预警撤回 / The figure is back within the warning line " \
       "(corrected, or a passing dip) before anyone took it up: withdrawn"


def after_days() -> int:
    return current_app.config["TEACHER_WARNING_AFTER_DAYS"]


def _sign(direction: str) -> int:
    return 1 if direction == "higher_better" else -1


def _past(value: float | None, warning: float | None, direction: str) -> bool:
    return value is not None and warning is not None and _sign(direction) * value < _sign(direction) * warning


def level(value: float, line: float, standard, direction: str) -> str:
    """Yellow within one standard-to-warning gap past the line, orange beyond."""
    gap = abs(standard.standard - standard.warning) or abs(standard.warning) * 0.1 or 1.0
    return "orange" if _sign(direction) * (line - value) > gap else "yellow"


# Hours and counts that build up over the year against a yearly standard: in October nobody has
# 48 training hours yet. Their line is the warning value times the share of the year gone by, so
# the warning means "behind the pace", not "the year is young" (every teacher would be past in week 5).
CUMULATIVE = ("T-TRAIN", "T-PRACTICE", "T-RESEARCH")
# Of those, what comes in blocks has no pace: industry practice is mostly a month in a vacation, a
# paper lands when it is published. A 0 in December says nothing about the year (on the generated
# term, half the teachers' departments would have been told). They have no line during the year:
# the year's figure is judged in the self-diagnosis and the department's assessing diagnosis.
IN_BLOCKS = ("T-PRACTICE", "T-RESEARCH")


def year_share(year: int, now: datetime) -> float:
    start, end = teacher_indicators.year_window(year, teacher_indicators.year_terms(year))
    days = (clock.school_date(now) - start).days + 1
    return min(1.0, max(0.0, days / ((end - start).days + 1)))


def line(code: str, std, share: float) -> float | None:
    """The warning line a figure is held to today; None: not held to one during the year."""
    if code in IN_BLOCKS:
        return None
    if std.warning is None or code not in CUMULATIVE:
        return std.warning
    return round(std.warning * share, 1)


# --- the pass -----------------------------------------------------------------------------------

def evaluate(year: int, now: datetime | None = None) -> dict:
    """Nudge, then watch and warn, for every teacher with a plan touching the academic year.
    Idempotent: a second run over the same figures changes nothing."""
    now = now or clock.now()
    owners = db.session.scalars(select(Plan.owner_id).distinct().where(
        Plan.kind.in_(("teacher_cycle", "teacher_year")), Plan.start_year <= year, Plan.start_year >= year - 2)).all()
    values = teacher_indicators.for_year_many(list(owners), year) if owners else {}  # a handful of statements for all
    counts = {"teacher_nudges": nudge(year, values, now)}  # the teacher hears first
    counts.update(watch(year, values, now))
    return counts


def nudge(year: int, values: dict[int, dict], now: datetime) -> int:
    """The teacher's own linked goals past their own warning value: once per crossing."""
    rows = db.session.execute(select(Goal, Plan).join(Plan, Plan.id == Goal.plan_id).where(
        Plan.owner_id.in_(list(values)), Goal.point_code.in_(list(teacher_indicators.INDICATORS)),
        Plan.status.in_(LIVE), ((Plan.kind == "teacher_year") & (Plan.start_year == year)) |
        ((Plan.kind == "teacher_cycle") & (Plan.start_year <= year) & (Plan.start_year >= year - 2)))).all()
    sent, share = 0, year_share(year, now)
    for goal, plan in rows:
        actual = values[plan.owner_id].get(goal.point_code)
        held_to = line(goal.point_code, goal, share)  # hours and counts: the pace of the year, as below
        past = _past(actual, held_to, goal.direction)
        if past and goal.nudged_at is None:
            goal.nudged_at = now
            sent += 1
            notifications.send([plan.owner_id], kind="nudge", level=None, now=now, url=f"/#/plans/{plan.id}",
                               title=f"目标「{goal.title}」越过了预警值 / Goal “{goal.title}” past its warning value",
                               body=f"当前 {actual:g}，预警线 {held_to:g}（年度预警值 {goal.warning:g}），目标 "
                                    f"{goal.target:g} / Now {actual:g}, warning line {held_to:g} (yearly warning "
                                    f"{goal.warning:g}), target {goal.target:g}")
        elif not past and goal.nudged_at is not None:
            goal.nudged_at = None
    return sent


def _ensure_watches(year: int, keys: list[tuple[int, str]]) -> None:
    if not keys:
        return
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(TeacherIndicatorWatch.__table__).values(
        [{"teacher_id": t, "indicator_code": c, "year": year} for t, c in keys])
        .on_conflict_do_nothing(index_elements=["teacher_id", "indicator_code", "year"]))


def watch(year: int, values: dict[int, dict], now: datetime) -> dict:
    """Bring each (teacher, indicator) "past since" up to date, then raise, update, clear or
    withdraw the department warnings."""
    counts = {"teacher_raised": 0, "teacher_withdrawn": 0}
    staged = teacher_standards.stages_of(values, year)  # no three-year plan, no stage, no department warning
    departments = dict(db.session.execute(select(StaffProfile.user_id, StaffProfile.department_id).where(
        StaffProfile.user_id.in_(list(staged)), StaffProfile.department_id.is_not(None))).all())
    standards = {stage: teacher_standards.for_stage(stage, year) for stage in set(staged.values())}
    checks = {(tid, code): std for tid, stage in staged.items() if tid in departments
              for code, std in standards[stage].items() if code in teacher_indicators.INDICATORS
              and code not in IN_BLOCKS}
    _ensure_watches(year, sorted(checks))
    share = year_share(year, now)
    lines = {key: line(key[1], std, share) for key, std in checks.items()}
    past, back = [], []
    for (tid, code), std in checks.items():
        value = values[tid].get(code)
        (past if _past(value, lines[(tid, code)], teacher_indicators.INDICATORS[code].direction) else back) \
            .append((tid, code))
    ids = {(t, c): i for i, t, c in db.session.execute(select(
        TeacherIndicatorWatch.id, TeacherIndicatorWatch.teacher_id, TeacherIndicatorWatch.indicator_code).where(
        TeacherIndicatorWatch.year == year, TeacherIndicatorWatch.teacher_id.in_(list(staged))))}
    # Two conditional updates: the first run to see a crossing sets the moment, a racing one keeps it
    # (the second waits for the first's row locks, then finds past_since set and leaves it).
    W = TeacherIndicatorWatch
    db.session.execute(update(W).where(W.id.in_([ids[k] for k in past]), W.past_since.is_(None))
                       .values(past_since=now).execution_options(synchronize_session=False))
    db.session.execute(update(W).where(W.id.in_([ids[k] for k in back]), W.past_since.is_not(None))
                       .values(past_since=None).execution_options(synchronize_session=False))
    # populate_existing: the session's copies of these rows predate the two UPDATEs.
    since = {(w.teacher_id, w.indicator_code): w for w in db.session.scalars(
        select(W).where(W.id.in_(list(ids.values()))).execution_options(populate_existing=True))}
    for key in checks:
        value = values[key[0]].get(key[1])
        if since[key].value != value or since[key].checked_at is None:  # written when it moves, not every pass
            since[key].value, since[key].checked_at = value, now
    latest: dict = {}
    for w in db.session.scalars(select(TeacherWarning).where(
            TeacherWarning.year == year, TeacherWarning.teacher_id.in_(list(staged))).order_by(TeacherWarning.episode)):
        latest[(w.teacher_id, w.indicator_code)] = w
    wait = timedelta(days=after_days())
    for (tid, code), std in checks.items():
        row, w = since[(tid, code)], latest.get((tid, code))
        holding = row.past_since is not None and row.past_since + wait <= now
        if holding:
            found = _evidence(tid, code, staged[tid], year, std, lines[(tid, code)], row, now)
            if w is None or _relapse(w):
                _raise(tid, departments[tid], code, staged[tid], year, std, found, row.past_since, now, previous=w)
                counts["teacher_raised"] += 1
            elif w.status in OPEN:
                w.cleared_at = None
                new_level = level(found["value"], found["line"], std, found["direction"])
                if LEVELS.index(new_level) > LEVELS.index(w.level):
                    _event(w, "level", None, f"{w.level}→{new_level}", now)
                    w.level = new_level
                    _notify(w, "warning", now)
                w.evidence = found
        elif row.past_since is None and w is not None:
            if w.status in UNACKNOWLEDGED:
                _withdraw(w, now)
                counts["teacher_withdrawn"] += 1
            elif w.status in OPEN and w.cleared_at is None:
                _event(w, "cleared", None, CLEARED, now)
            if w.cleared_at is None and w.status != "withdrawn":
                w.cleared_at = now  # a resolved one past again later is a relapse
    return counts


def _relapse(w: TeacherWarning) -> bool:
    """Past for N days again after a close: withdrawn, or resolved and the figure had been back."""
    return w.status == "withdrawn" or (w.status == "resolved" and w.cleared_at is not None)


def _evidence(tid: int, code: str, stage: str, year: int, std, line_: float, row: TeacherIndicatorWatch,
              now: datetime) -> dict:
    """What lies behind the finding, kept with the warning and brought up to date on each pass:
    the figure, the line it is held to today (the warning value, pro-rated for CUMULATIVE), the
    stage standard, where the figure comes from and since when it has been past."""
    ind = teacher_indicators.INDICATORS[code]
    return {"indicator": code, "label": ind.label, "dimension": ind.dimension, "direction": ind.direction,
            "unit": ind.unit, "source": ind.source, "value": row.value, "line": line_, "warning_value": std.warning,
            "standard_value": std.standard, "target_value": std.target, "standard_title": std.title,
            "standard_source": std.source, "stage": stage, "year": year,
            "past_since": row.past_since.isoformat(), "days_past": (now - row.past_since).days,
            "after_days": after_days(), "checked_at": now.isoformat()}


def _event(w: TeacherWarning, kind: str, actor_id: int | None, text: str | None = None, now=None,
           follow_up_on: date | None = None) -> None:
    w.events.append(TeacherWarningEvent(kind=kind, actor_id=actor_id, text=text, at=now or clock.now(),
                                        follow_up_on=follow_up_on))


def _raise(tid, dept_id, code, stage, year, std, found, past_since, now, previous=None) -> None:
    """A new warning or the next episode; two racing passes meet the unique key (teacher,
    indicator, year, episode): one commits, the other's job fails and its retry finds it."""
    w = TeacherWarning(teacher_id=tid, department_id=dept_id, indicator_code=code, year=year, stage=stage,
                       level=level(found["value"], found["line"], std, found["direction"]), status="raised", evidence=found,
                       past_since=past_since, raised_at=now, episode=previous.episode + 1 if previous else 1,
                       previous_id=previous and previous.id)
    db.session.add(w)
    _event(w, "raised", None, w.level, now)
    db.session.flush()
    _notify(w, "warning", now)


def url(w: TeacherWarning) -> str:
    return f"/#/teacher-warnings/{w.id}"


def recipients(w: TeacherWarning) -> list[int]:
    """The department admins of the teacher's department, never the teacher themself."""
    return [u for u in directory.department_admins(w.department_id) if u != w.teacher_id]


def _notify(w: TeacherWarning, kind: str, now) -> None:
    """The inbox line names the teacher (the app is behind a login); the lock screen gets only
    notifications.LOCK_TEXT for (kind, level), as for a student warning."""
    users = recipients(w)
    name = db.session.get(User, w.teacher_id).display_name
    zh, en = language.split(w.evidence["label"]) or (w.evidence["label"], w.evidence["label"])
    notifications.send(users, kind=kind, level=w.level, title=f"教师 {name} · {zh} / Teacher {name} · {en}",
                       body="", url=url(w), now=now)
    if users:
        _event(w, "notified", None, Role.DEPT_ADMIN, now)
        if w.status == "raised":
            w.status = "notified"


def cancel_pending(w: TeacherWarning) -> int:
    """Pushes and channel messages not yet sent for this warning are cancelled, its alerts still
    waiting for the digest leave it (notifications.cancel_pending, keyed by the warning's link
    because Notification.warning_id points at student warnings). The inbox lines stay."""
    ids = select(Notification.id).where(Notification.url == url(w)).scalar_subquery()
    db.session.execute(update(Notification).where(Notification.id.in_(ids), Notification.push == "digest",
                                                  Notification.digest_id.is_(None))
                       .values(push="none").execution_options(synchronize_session=False))
    n = 0
    for model in (PushDelivery, ChannelDelivery):
        n += db.session.execute(update(model).where(model.notification_id.in_(ids), model.state == "due")
                                .values(state="cancelled").execution_options(synchronize_session=False)).rowcount
    return n


def _withdraw(w: TeacherWarning, now) -> None:
    w.status, w.withdrawn_at, w.withdrawn_reason = "withdrawn", now, BACK
    _event(w, "withdrawn", None, BACK, now)
    cancel_pending(w)


# --- reading and working teacher warnings ------------------------------------------------------

def admin_departments(viewer: User) -> list[int]:
    return [g.scope_id for g in viewer.grants if g.role == Role.DEPT_ADMIN and g.scope_type == Scope.DEPARTMENT]


def open_warning(viewer: User, warning_id: int, purpose: str) -> TeacherWarning:
    """Only the teacher's department admins; every read is audited (a teacher's figures are about
    a person, read by their superiors)."""
    w = db.session.get(TeacherWarning, warning_id)
    authorize(viewer, "view", w)  # before the audit row: a refused read is not a read
    audit.sensitive_read(viewer.id, "teacher_warning", str(w.id), purpose)
    return w


def staff_list(viewer: User, status: str, purpose: str) -> list[TeacherWarning]:
    """The teacher warnings of the viewer's departments, worst and oldest first (audited)."""
    query = select(TeacherWarning).where(TeacherWarning.department_id.in_(admin_departments(viewer)),
                                         TeacherWarning.teacher_id != viewer.id)
    if status == "open":
        query = query.where(TeacherWarning.status.in_(OPEN))
    elif status in ("resolved", "withdrawn"):
        query = query.where(TeacherWarning.status == status)
    found = sorted(db.session.scalars(query), key=lambda w: (-LEVELS.index(w.level), w.raised_at))
    if found:
        audit.sensitive_read(viewer.id, "teacher_warning_list", None,
                             {"purpose": purpose, "warnings": [str(w.id) for w in found]})
    return found


def _act(viewer: User, w: TeacherWarning) -> None:
    if not can(viewer, "act", w):
        raise Problem(403, "无权操作 / Not allowed", "Only the teacher's department admins work on this warning.")
    if w.status == "resolved":
        raise Problem(409, "预警已关闭 / Warning closed",
                      "This warning is resolved; if the figure relapses, a new episode is raised.")
    if w.status == "withdrawn":
        raise Problem(409, "预警已撤回 / Warning withdrawn",
                      "The figure came back within the line before anyone took it up; there is nothing to act on.")


def acknowledge(viewer: User, w: TeacherWarning) -> TeacherWarning:
    _act(viewer, w)
    return lifecycle.acknowledge(viewer, w, _event)


def intervene(viewer: User, w: TeacherWarning, kind: str, text: str, follow_up_on: date | None) -> TeacherWarning:
    """A note or an action agreed with the teacher, with an optional follow-up date. Acting acknowledges."""
    _act(viewer, w)
    return lifecycle.intervene(viewer, w, kind, text, follow_up_on, _event)


def resolve(viewer: User, w: TeacherWarning, text: str) -> TeacherWarning:
    _act(viewer, w)
    return lifecycle.resolve(viewer, w, text, _event)


def with_names(found: list[TeacherWarning]) -> list[TeacherWarning]:
    names = dict(db.session.execute(select(User.id, User.display_name).where(
        User.id.in_({w.teacher_id for w in found}))).all()) if found else {}
    for w in found:
        w.teacher_name = names.get(w.teacher_id)
    return found
