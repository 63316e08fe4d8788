"""The term's holiday calendar and bell schedule: which days teach, and when a period starts.

A day teaches the timetable of its own weekday, unless it is a holiday (国庆, 元旦, ...: no
teaching) or a make-up working day (调休: a Saturday that runs, say, Monday's timetable). Week
numbers stay calendar weeks of the term (`Term.week_of`, 第N周 as students know it); a week
without a single teaching day is simply not a teaching week: it is not offered for weekly points
(valuecard/ledger.py `allowed_periods`) and no meeting is generated in it.
"""
from datetime import date, datetime, time, timedelta

import yaml
from flask import current_app
from sqlalchemy import delete, select

from backend.config import ROOT
from backend.errors import Problem
from backend.extensions import db
from backend.models import Term, TermDay, User
from backend.platform import audit, clock

SEED_FILE = ROOT / "seed" / "holidays.yaml"
WEEKDAYS_ZH = "一二三四五六日"
BAD = "请求数据有误，未写入任何数据 / Invalid request data; nothing was written"


def term_days(term: Term) -> dict[date, TermDay]:
    return {d.day: d for d in db.session.scalars(select(TermDay).where(TermDay.term_id == term.id))}


def runs_weekday(day: date, calendar: dict[date, TermDay]) -> int | None:
    """The weekday (1 = Monday) whose timetable the day runs, or None for a day without teaching.
    Weekends teach only what the timetable puts on them, or what a make-up day says."""
    special = calendar.get(day)
    if special is not None:
        return special.runs_weekday if special.kind == "workday" else None
    return day.isoweekday()


def week_days(term: Term, week: int) -> list[date]:
    first = term.starts_on + timedelta(days=7 * (week - 1))
    return [d for d in (first + timedelta(days=n) for n in range(7)) if term.starts_on <= d <= term.ends_on]


def teaching_weeks(term: Term, calendar: dict[date, TermDay] | None = None) -> set[int]:
    """Weeks with at least one teaching day: a working weekday that is no holiday, or a make-up day."""
    calendar = term_days(term) if calendar is None else calendar
    weeks = set()
    for week in range(1, term.weeks + 1):
        for day in week_days(term, week):
            special = calendar.get(day)
            if (special.kind == "workday") if special else day.isoweekday() <= 5:
                weeks.add(week)
                break
    return weeks


def describe(term: Term) -> dict:
    days = sorted(term_days(term).values(), key=lambda d: d.day)
    return {"term_id": term.id, "weeks": term.weeks, "teaching_weeks": sorted(teaching_weeks(term)),
            "days": [{"day": d.day, "kind": d.kind, "name": d.name, "runs_weekday": d.runs_weekday,
                      "week": term.week_of(d.day)} for d in days]}


def replace_days(actor: User, term: Term, days: list[dict]) -> dict:
    """Set the term's whole calendar (the editor sends the list it shows), all or nothing, audited."""
    errors: dict[str, list[str]] = {}
    seen: dict[date, int] = {}
    for i, d in enumerate(days):
        if not term.starts_on <= d["day"] <= term.ends_on:
            errors[f"days[{i}].day"] = [f"{d['day']} 不在本学期内（{term.starts_on}–{term.ends_on}） / "
                                        f"Not inside the term ({term.starts_on} to {term.ends_on})."]
        elif d["day"] in seen:
            errors[f"days[{i}].day"] = [f"{d['day']} 重复 / Listed twice (also days[{seen[d['day']]}])."]
        seen.setdefault(d["day"], i)
        if d["kind"] == "workday" and not d.get("runs_weekday"):
            errors[f"days[{i}].runs_weekday"] = ["调休上班日须说明按星期几的课表上课 / A make-up day needs the "
                                                 "weekday whose timetable it runs."]
    if errors:
        raise Problem(422, BAD, errors=errors)
    before = describe(term)["days"]
    db.session.execute(delete(TermDay).where(TermDay.term_id == term.id))
    now = clock.now()
    db.session.add_all([TermDay(term_id=term.id, day=d["day"], kind=d["kind"], name=d["name"],
                                runs_weekday=d.get("runs_weekday") if d["kind"] == "workday" else None,
                                updated_at=now) for d in days])
    db.session.flush()
    after = describe(term)
    audit.record(actor.id, "term.calendar", "term", str(term.id),
                 {"before": [_plain(d) for d in before], "after": [_plain(d) for d in after["days"]]})
    return after


def _plain(d: dict) -> dict:
    return {**d, "day": d["day"].isoformat()}


def seed_term(term: Term) -> int:
    """Load the statutory holidays that fall in the term, once: a term with a calendar is left alone."""
    if db.session.scalar(select(TermDay.id).where(TermDay.term_id == term.id).limit(1)):
        return 0
    data = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))
    rows = [TermDay(term_id=term.id, day=day, kind="holiday", name=h["name"], updated_at=clock.now())
            for h in data["holidays"] for day in h["days"] if term.starts_on <= day <= term.ends_on]
    rows += [TermDay(term_id=term.id, day=w["day"], kind="workday", name=w["name"], runs_weekday=w["runs"],
                     updated_at=clock.now())
             for w in data["workdays"] if term.starts_on <= w["day"] <= term.ends_on]
    db.session.add_all(rows)
    return len(rows)


def bell_schedule() -> dict[int, tuple[time, time]]:
    """Period n → (start, end), from PERIOD_TIMES ("08:00-08:45,08:55-09:40,..."; 12 periods)."""
    out = {}
    for n, span in enumerate(current_app.config["PERIOD_TIMES"].split(","), start=1):
        start, end = (time.fromisoformat(t.strip()) for t in span.split("-"))
        out[n] = (start, end)
    return out


def meeting_start(day: date, first_period: int) -> datetime:
    """When a meeting on a school day begins, as an aware UTC moment."""
    start = bell_schedule()[first_period][0]
    return clock.school_moment(day, start.hour, start.minute)
