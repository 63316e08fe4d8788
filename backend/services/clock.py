"""Time at the edges: the school's local date."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def school_today() -> date:
    return datetime.now(ZoneInfo(current_app.config["SCHOOL_TZ"])).date()
