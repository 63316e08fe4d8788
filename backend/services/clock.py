"""Time at the edges: the school's local date."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def school_today() -> date:
    return datetime.now(ZoneInfo(current_app.config["SCHOOL_TZ"])).date()


def school_date(moment: datetime) -> date:
    """The school-local date of an aware UTC moment."""
    return moment.astimezone(ZoneInfo(current_app.config["SCHOOL_TZ"])).date()
