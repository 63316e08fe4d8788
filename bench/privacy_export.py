"""Time the export for a student with a whole term: the demo's scores through the last day of term,
plus a check-in mark for every weekday session of the term (5 a day) and 30 notifications.

    .venv/bin/python bench/privacy_export.py [DATABASE_URL]

Prints the seconds to collect the JSON and to render the PDF, and the PDF's pages."""
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from flask_migrate import upgrade
from sqlalchemy import func, select

from backend import demo
from backend.extensions import db
from backend.models import AttendanceMark, ClassSession, Notification, ScoreEntry, User
from backend.org import directory
from backend.platform import clock
from backend.privacy import export
from backend.reporting import document
from tests.conftest import make_app

day = date(2027, 1, 15)
inst = tempfile.mkdtemp()
url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{inst}/m.db"
app = make_app(url, inst, "", CLOCK_START=datetime.combine(day, dtime(10), ZoneInfo("Asia/Shanghai")))
with app.app_context():
    upgrade()
    accounts = demo.build(300, 7, clock.school_today()); db.session.commit()
    demo.fill_history(clock.school_today()); db.session.commit()
    student = db.session.scalar(select(User).where(User.username == next(a for a in accounts if a["role"] == "student")["username"]))
    term = directory.current_term(clock.school_today())
    teacher = db.session.scalar(select(User.id).where(User.username == next(a for a in accounts if a["role"] == "head_teacher")["username"]))
    d, n = term.starts_on, 0
    tz = ZoneInfo("Asia/Shanghai")
    while d <= term.ends_on:
        if d.weekday() < 5:
            for p in range(5):
                s = ClassSession(term_id=term.id, class_id=student.student.class_id, teacher_id=teacher,
                                 starts_at=datetime.combine(d, dtime(8 + 2 * p), tz), grace_minutes=10, day=d,
                                 week=term.week_of(d), month=d.strftime("%Y-%m"), secret="x" * 32,
                                 closed_at=datetime.combine(d, dtime(9 + 2 * p), tz))
                db.session.add(s); db.session.flush()
                db.session.add(AttendanceMark(session_id=s.id, student_id=student.id, status="present", source="checkin", marked_by=student.id))
                n += 1
        d += timedelta(days=1)
    for i in range(30):
        db.session.add(Notification(user_id=student.id, kind="nudge", level="yellow", title=f"提醒 {i}", body="正文", url="/", push="none"))
    db.session.commit()
    entries = db.session.scalar(select(func.count()).select_from(ScoreEntry).where(ScoreEntry.student_id == student.id))
    with app.test_request_context("/api/v1/me/data"):
        for _ in range(2):
            t0 = time.perf_counter(); data = export.collect(student); t1 = time.perf_counter()
            pdf = document.to_pdf(export.document(data)); t2 = time.perf_counter()
    print({"db": url.split(":")[0], "ledger_entries": entries, "attendance": len(data["attendance"]),
           "notifications": len(data["notifications"]), "json_s": round(t1 - t0, 3), "pdf_s": round(t2 - t1, 3),
           "pdf_bytes": len(pdf), "pages": pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")})
