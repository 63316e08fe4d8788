"""The one clock: every "now" and "today" in Spiral comes from here.

The app holds a `Clock` (created from `CLOCK_START`, or `SPIRAL_CLOCK_START` in the environment), so
tests, drills and the demo can set the date: the clock then reads that moment and runs on from it.
Outside an app context (scripts before the app exists) it is the real time.

Domain time only. Timestamps that another party checks against its own clock keep the real time:
JWT expiry (PyJWT), VAPID expiry (the push service) and RQ's heartbeats.
"""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


class Clock:
    def __init__(self, start: datetime | None = None):
        self.set(start)

    def set(self, moment: datetime | None) -> None:
        """From now on the clock reads `moment` and runs on from it (None: the real time)."""
        if moment is not None and moment.tzinfo is None:
            raise ValueError("the clock takes aware datetimes")
        self._offset = moment - datetime.now(timezone.utc) if moment else timedelta(0)

    def advance(self, delta: timedelta) -> None:
        self._offset += delta

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self._offset


def now() -> datetime:
    """The current moment, aware, in UTC."""
    if has_app_context():
        return current_app.extensions["clock"].now()
    return datetime.now(timezone.utc)


def school_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["SCHOOL_TZ"])


def school_today() -> date:
    return now().astimezone(school_zone()).date()


def school_date(moment: datetime) -> date:
    """The school-local date of an aware UTC moment."""
    return moment.astimezone(school_zone()).date()


def school_moment(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """An aware moment at the school's local time on `day` (default mid-morning, inside the school day)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=school_zone()).astimezone(timezone.utc)
