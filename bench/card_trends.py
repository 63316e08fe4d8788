"""The card's weekly trends of the subtotals and total (issue 20) on the generated term (bench/generate.py:
every entered point at its own timing, a mark for every student of every lesson so far, ~1 % corrections,
two earlier terms), one class:

- the class recompute (reporting/rollups.py `compute`: the class's rows and stored cards, in memory) before
  the trends were stored (the trends left out) and with them, and the class rollup job (`refresh_class`)
  writing every student's trends, and again with nothing new;
- a warm card read (GET /students/<id>/card, the class's job has run), with the trends as stored, and
  with none stored (what a read would cost if it computed them: every week of the term).

    .venv/bin/python bench/card_trends.py                      # 2,000 students, SQLite
    .venv/bin/python bench/card_trends.py --students 2000 --pg # PostgreSQL

Prints median milliseconds; the last line is one JSON object."""
import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend import create_app  # noqa: E402
from backend.demo import DEMO_PASSWORD  # noqa: E402
from backend.extensions import db  # noqa: E402
from backend.models import ClassGroup, StoredCard, StudentProfile, User  # noqa: E402
from backend.org import directory  # noqa: E402
from backend.reporting import rollups  # noqa: E402
from backend.valuecard import card  # noqa: E402
from bench import generate  # noqa: E402


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - start))
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of the embedded SQLite")
    parser.add_argument("--fresh", action="store_true", help="regenerate the term (bench/generate.py)")
    args = parser.parse_args()
    with generate.prepared(args.students, sqlite=not args.pg, fresh=args.fresh) as (url, world):
        print(f"term: {world['ledger_rows']:,} ledger rows, {world['attendance_marks']:,} marks", flush=True)
        run(args, url, world)


def run(args, url: str, world: dict) -> None:
    app = create_app(SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=tempfile.mkdtemp(), CLOCK_START=generate.clock_start(),
                     REDIS_URL="")
    real = card.stored_trends
    with app.app_context():
        term = directory.current_term(generate.BENCH_TODAY)
        cls = db.session.scalar(select(ClassGroup).order_by(ClassGroup.id))
        class_id = cls.id
        student = db.session.scalar(select(User).join(StudentProfile).where(StudentProfile.class_id == class_id)
                                    .order_by(User.id))
        size = db.session.scalar(select(func.count()).select_from(StudentProfile).where(StudentProfile.class_id == class_id))

        def compute():
            rollups.compute(term, [class_id])  # the class's rows and stored cards, in memory
            db.session.rollback()

        def job():
            rollups.refresh_class(term, class_id)  # computed and written (only the rows that differ)
            db.session.rollback()  # every run meets the same rows
        # Interleaved, so that the load of a shared machine falls on both alike.
        times: dict = {"before": [], "after": []}
        for _ in range(args.runs):
            for label in ("before", "after"):
                card.stored_trends = real if label == "after" else (lambda *a: None)  # before issue 20: none stored
                times[label].append(median_ms(compute, 1))
        card.stored_trends = real
        before, after = (statistics.median(times[k]) for k in ("before", "after"))
        # The job writing every row's trends (the first run after migration trend20, or a week's new values).
        db.session.execute(update(StoredCard).where(StoredCard.student_id.in_(
            select(StudentProfile.user_id).where(StudentProfile.class_id == class_id))).values(trends=None))
        db.session.commit()
        writing = median_ms(job, args.runs)
        rollups.refresh_class(term, class_id)  # the job has run: the warm state a card read meets
        db.session.commit()
        unchanged = median_ms(job, args.runs)  # the job again with nothing new: writes nothing
        stored = db.session.get(StoredCard, (term.id, student.id))
        weeks = len(stored.trends["all"])
        # What a read would spend computing the trend (both series) from the student's values per week.
        rules, weights = card._rules(term, "individual"), card._weights(term)
        totals = card.ledger_inputs(term, rules, student.id)[0]
        per_read = median_ms(lambda: [card.weekly_trend(r, weights, totals) for r in (rules, card._visible(rules, False))],
                             args.runs * 3)
        username = student.username
        student_id = student.id

    client = app.test_client()
    token = client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD}).json
    me = {"Authorization": f"Bearer {token['access_token']}"}
    path = f"/api/v1/students/{student_id}/card"

    def read():
        response = client.get(path, headers=me)
        assert response.status_code == 200 and response.json["trends"]["weeks"], response.status_code
    read()
    warm = median_ms(read, args.runs * 3)
    with app.app_context():  # the same read with nothing stored: every week of the term computed per read
        db.session.execute(update(StoredCard).where(StoredCard.student_id == student_id).values(trends=None))
        db.session.commit()
    recomputed = median_ms(read, args.runs * 3)
    figures = {"db": url.split(":")[0], "students": args.students, "class_size": size, "weeks_with_values": weeks,
               "class_recompute_ms_before_trends": before, "class_recompute_ms_with_trends": after,
               "class_rollup_job_ms_writing_every_trend": writing, "class_rollup_job_ms_nothing_new": unchanged,
               "trend_compute_ms_saved_per_read": per_read, "warm_card_read_ms_trends_stored": warm, "warm_card_read_ms_trends_computed_per_read": recomputed,
               "ledger_rows": world["ledger_rows"], "attendance_marks": world["attendance_marks"]}
    for key, value in figures.items():
        print(f"{key:45} {value}")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
