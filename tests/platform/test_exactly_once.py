"""Exactly once, everywhere: copies of one write with the same Idempotency-Key at the same moment
write once and all get the first answer; the database keeps one live ledger value per subject,
point and period whatever the keys; a write that commits inside `once` is refused."""
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from backend.errors import violated_index
from backend.extensions import db
from backend.jobs import alerts
from backend.models import (
    AttendanceMark,
    AuditEvent,
    ClassSession,
    Dispute,
    IdempotencyRecord,
    LeaveRequest,
    Plan,
    PortfolioItem,
    ScoreEntry,
    SpecialGroupRecord,
    StudentProfile,
    StudentWarning,
    User,
    WarningEvent,
)
from backend.models.ledger import LIVE_INDEXES
from backend.org import directory
from backend.platform import clock, idempotency, language
from backend.valuecard import ledger
from tests.conftest import make_app
from tests.helpers import assert_problem, build_college, login, served, writing


def zh(text: str) -> str:
    """What a client that asks for no language reads of a "中文 / English" message."""
    return language.pick(text, "zh-CN")

COPIES = 10
PREVIOUS_HEAD = "90784e75b0b0"  # the revision before the live-value indexes


@pytest.fixture
def school(app, client):
    accounts = build_college(students=60)
    student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    class_id = student.student.class_id
    roster = db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == class_id)
                                .order_by(StudentProfile.user_id)).all()
    counsellor = db.session.scalar(select(User.id).where(User.username == accounts["counsellor"]["username"]))
    db.session.rollback()
    return {"accounts": accounts, "student": student.id, "class_id": class_id, "roster": roster,
            "counsellor": counsellor, "head": login(client, accounts["head_teacher"]),
            "me": login(client, accounts["student"]), "teacher": login(client, accounts["course_teacher"])}


def postgres_only(app):
    if app.config["DB_KIND"] != "postgresql":
        pytest.skip("SQLite runs one writer at a time (BEGIN IMMEDIATE): the race needs PostgreSQL")


def at_once(base: str, path: str, headers: list[dict], body, method: str = "POST") -> list[requests.Response]:
    """One request per headers, all released together."""
    start = threading.Barrier(len(headers))

    def send(h):
        start.wait()
        return requests.request(method, base + path, json=body, headers=h, timeout=60)

    with ThreadPoolExecutor(len(headers)) as pool:
        return list(pool.map(send, headers))


def count(model, *where) -> int:
    found = db.session.scalar(select(func.count()).select_from(model).where(*where))
    db.session.rollback()
    return found


def term():
    return directory.current_term(clock.school_today())


# --- same key, same moment: one write, ten identical answers -------------------------------------

def copies_of_one(base, path, headers, body, rows, status=None, method="POST"):
    """COPIES copies with one key: every answer is the first one, and `rows()` moved by one write."""
    before = rows()
    key = writing(headers)
    answers = at_once(base, path, [key] * COPIES, body, method)
    codes = {r.status_code for r in answers}
    assert len(codes) == 1 and codes <= ({status} if status else {200, 201}), [(r.status_code, r.text[:300]) for r in answers]
    assert all(r.json() == answers[0].json() for r in answers), {r.text[:300] for r in answers}
    return before, rows(), answers[0].json()


def test_same_key_copies_of_every_kind_of_write_write_once_and_answer_alike(app, client, school):
    postgres_only(app)
    roster, me, head = school["roster"], school["student"], school["head"]
    entries = lambda: count(ScoreEntry)  # noqa: E731
    with served(app) as base:
        # The ledger: a class batch, a reversal, a dispute and its resolution (a reversal and a new value).
        before, after, batch = copies_of_one(base, "/api/v1/entries", head, {
            "point": "S-A-07", "period": "month:2026-10", "entries": [{"student_id": s, "value": 2} for s in roster]},
            entries, 201)
        assert after - before == len(roster) and batch["count"] == len(roster)
        entry_id = db.session.scalar(select(ScoreEntry.id).where(ScoreEntry.student_id == roster[1]))
        before, after, _ = copies_of_one(base, f"/api/v1/entries/{entry_id}/reverse", head,
                                         {"reason": "录入错误 / typo"}, entries, 201)
        assert after - before == 1
        client.post("/api/v1/entries", headers=writing(head), json={
            "point": "S-A-09", "period": "term", "entries": [{"student_id": me, "value": 35}]})
        disputed = db.session.scalar(select(ScoreEntry.id).where(ScoreEntry.student_id == me, ScoreEntry.value == 35))
        before, after, dispute = copies_of_one(base, f"/api/v1/entries/{disputed}/disputes", school["me"],
                                               {"reason": "我的学分绩是65"}, lambda: count(Dispute), 201)
        assert after - before == 1
        before, after, _ = copies_of_one(base, f"/api/v1/disputes/{dispute['id']}/resolve", head,
                                         {"action": "reverse", "reason": "录入错误", "value": 35}, entries)
        assert after - before == 2  # the reversal and the right value, once

        # Attendance: open a session, check in, marks, close; leave: apply, decide.
        teacher = school["teacher"]
        before, after, session = copies_of_one(base, "/api/v1/sessions", teacher, {
            "class_id": school["class_id"], "starts_at": (clock.now() - timedelta(minutes=1)).isoformat()},
            lambda: count(ClassSession), 201)
        assert after - before == 1
        marks = lambda: count(AttendanceMark, AttendanceMark.session_id == session["id"])  # noqa: E731
        before, after, _ = copies_of_one(base, "/api/v1/checkin", school["me"], {"code": session["checkin"]["code"]},
                                         marks)
        assert after - before == 1
        before, after, _ = copies_of_one(base, f"/api/v1/sessions/{session['id']}/marks", teacher, {
            "marks": [{"student_id": s, "status": "absent"} for s in roster[:3] if s != me]}, marks, method="PUT")
        assert after - before == len([s for s in roster[:3] if s != me])
        before, after, closed = copies_of_one(base, f"/api/v1/sessions/{session['id']}/close", teacher, {},
                                              lambda: count(ClassSession, ClassSession.closed_at.is_not(None)))
        assert after - before == 1 and closed["closed"]
        before, after, leave = copies_of_one(base, "/api/v1/leave-requests", school["me"], {
            "starts_at": (clock.now() + timedelta(days=1)).isoformat(),
            "ends_at": (clock.now() + timedelta(days=1, hours=2)).isoformat(), "reason": "看病 / doctor"},
            lambda: count(LeaveRequest), 201)
        assert after - before == 1
        before, after, _ = copies_of_one(base, f"/api/v1/leave-requests/{leave['id']}/decision", head,
                                         {"approve": True, "comment": "注意身体"},
                                         lambda: count(LeaveRequest, LeaveRequest.status == "approved"))
        assert after - before == 1

        # Warnings: acknowledge, intervene, resolve (each adds one event to the timeline).
        alerts.evaluate_class(term().id, school["class_id"])
        warning = db.session.scalar(select(StudentWarning.id).where(StudentWarning.student_id == me,
                                                                    StudentWarning.sensitive.is_(False)))
        db.session.commit()
        events = lambda: count(WarningEvent, WarningEvent.warning_id == warning)  # noqa: E731
        for path, body in (("acknowledge", {}), ("interventions", {"text": "约谈学生，制定补考计划"}),
                           ("resolve", {"text": "补考通过"})):
            before, after, _ = copies_of_one(base, f"/api/v1/warnings/{warning}/{path}", head, body, events)
            assert after - before == 1, path

        # Records people make: a special-group registration, a portfolio item, a plan.
        counsellor = login(client, school["accounts"]["counsellor"])
        before, after, _ = copies_of_one(base, "/api/v1/special-groups", counsellor, {
            "student_id": me, "group": "psychological", "reason": "情绪低落，主动求助",
            "responsible_id": school["counsellor"]}, lambda: count(SpecialGroupRecord), 201)
        assert after - before == 1
        before, after, _ = copies_of_one(base, "/api/v1/me/portfolio", teacher, {
            "kind": "training", "title": "职教师资培训", "occurred_on": clock.school_today().isoformat()},
            lambda: count(PortfolioItem), 201)
        assert after - before == 1
        before, after, _ = copies_of_one(base, "/api/v1/me/plans", school["me"], {"kind": "student_term"},
                                         lambda: count(Plan), 201)
        assert after - before == 1
    assert count(IdempotencyRecord, IdempotencyRecord.status_code == 0) == 0  # no claim left unanswered


# --- different keys: the database keeps one live value -------------------------------------------

def test_copies_of_one_batch_with_different_keys_write_it_once(app, client, school):
    postgres_only(app)
    rows = school["roster"][:30]
    with served(app) as base:
        for month in ("09", "10", "11"):  # a few rounds, as measured under load
            period = f"month:2026-{month}"
            body = {"point": "S-A-07", "period": period, "entries": [{"student_id": s, "value": 1} for s in rows]}
            answers = at_once(base, "/api/v1/entries", [writing(school["head"]) for _ in range(COPIES)], body)
            assert sorted(r.status_code for r in answers) == [201] + [422] * (COPIES - 1)
            for refused in (r for r in answers if r.status_code == 422):
                assert refused.headers["Content-Type"] == "application/problem+json"
                problem = refused.json()
                assert problem["title"] == zh(ledger.BATCH_REFUSED)
                assert problem["errors"] == {f"entries[{i}].student_id": [zh(ledger.ALREADY_RECORDED)] for i in range(len(rows))}
            assert count(ScoreEntry, ScoreEntry.period == period) == len(rows)


def test_the_database_refuses_a_second_live_value_and_a_reversal_frees_the_slot(app, client, school):
    student, head = school["student"], school["head"]
    row = {"student_id": student, "value": 3}
    assert client.post("/api/v1/entries", headers=writing(head), json={
        "point": "S-A-07", "period": "month:2026-10", "entries": [row]}).status_code == 201
    first = db.session.scalar(select(ScoreEntry).where(ScoreEntry.student_id == student))
    values = {c: getattr(first, c) for c in ("term_id", "point_id", "student_id", "class_id", "period", "week",
                                              "recorded_by", "recorded_at")}
    db.session.rollback()

    def insert_directly(**extra):  # as a bug or a script would: no check, no service
        db.session.execute(insert(ScoreEntry).values(**values, value=4.0, batch_id=str(uuid.uuid4()), **extra))

    with pytest.raises(IntegrityError) as refused:
        insert_directly()
    assert violated_index(refused.value) == "uq_score_entry_live_student"
    db.session.rollback()

    # A class point's slot is the class.
    cls = {"point": "C-A-04", "period": "term", "entries": [{"class_id": school["class_id"], "value": 80}]}
    assert client.post("/api/v1/entries", headers=writing(head), json=cls).status_code == 201
    entry = db.session.scalar(select(ScoreEntry).where(ScoreEntry.student_id.is_(None)))
    with pytest.raises(IntegrityError) as refused:
        db.session.execute(insert(ScoreEntry).values(
            term_id=entry.term_id, point_id=entry.point_id, class_id=entry.class_id, period=entry.period,
            week=entry.week, value=70.0, batch_id=str(uuid.uuid4()), recorded_by=entry.recorded_by))
    assert violated_index(refused.value) == "uq_score_entry_live_class"
    assert set(LIVE_INDEXES) == {"uq_score_entry_live_student", "uq_score_entry_live_class"}
    db.session.rollback()

    # The API answers a violation that got past the check like the check: a 422 naming the student.
    with pytest.raises(IntegrityError) as refused:
        insert_directly()
    with app.test_request_context():
        response = app.make_response(app.handle_user_exception(refused.value))
    problem = assert_problem(response, 422)
    assert problem["title"] == zh(ledger.BATCH_REFUSED)
    if app.config["DB_KIND"] == "postgresql":  # PostgreSQL says which row; SQLite only which index
        assert problem["errors"] == {"student_id": [f"{zh(ledger.ALREADY_RECORDED)} (student_id {student})"]}
    else:
        assert problem["errors"] == {"entries": [zh(ledger.ALREADY_RECORDED)]}

    # A reversal frees the slot: the next value takes the next generation, and only one.
    assert client.post(f"/api/v1/entries/{first.id}/reverse", headers=writing(head),
                       json={"reason": "录入错误"}).status_code == 201
    with pytest.raises(IntegrityError):
        insert_directly()  # generation 0 is the reversed entry's
    db.session.rollback()
    assert client.post("/api/v1/entries", headers=writing(head), json={
        "point": "S-A-07", "period": "month:2026-10", "entries": [row]}).status_code == 201
    with pytest.raises(IntegrityError):
        insert_directly(generation=1)
    db.session.rollback()
    again = assert_problem(client.post("/api/v1/entries", headers=writing(head), json={
        "point": "S-A-07", "period": "month:2026-10", "entries": [row]}), 422)
    assert again["errors"] == {"entries[0].student_id": [zh(ledger.ALREADY_RECORDED)]}
    live = db.session.scalars(select(ScoreEntry.value).where(ScoreEntry.student_id == student, ledger.counts())).all()
    assert live == [3.0]


# --- a write that commits inside `once` ----------------------------------------------------------

def test_a_write_that_commits_inside_once_is_refused_and_leaves_nothing(app, school):
    actor = db.session.scalar(select(User.id).where(User.username == school["accounts"]["head_teacher"]["username"]))

    def careless_write():
        db.session.add(AuditEvent(actor_id=actor, action="test.write", object_type="test", object_id=None))
        db.session.commit()
        return {"done": True}, 201

    with pytest.raises(RuntimeError, match="committed inside run_once"):
        idempotency.run_once(actor, "k" * 20, "test", {}, careless_write)
    db.session.rollback()
    assert count(AuditEvent, AuditEvent.action == "test.write") == 0
    assert count(IdempotencyRecord, IdempotencyRecord.key == "k" * 20) == 0
    # The same write done right: stored with its answer, replayed without running again.
    runs = []

    def write():
        runs.append(1)
        db.session.add(AuditEvent(actor_id=actor, action="test.write", object_type="test", object_id=None))
        return {"done": True}, 201

    assert idempotency.run_once(actor, "k" * 20, "test", {}, write) == ({"done": True}, 201)
    assert idempotency.run_once(actor, "k" * 20, "test", {}, write) == ({"done": True}, 201)
    assert len(runs) == 1 and count(AuditEvent, AuditEvent.action == "test.write") == 1


# --- the migration and the duplicates already written ---------------------------------------------

def test_the_migration_reverses_duplicates_already_written_and_numbers_the_slots(app, database, request, tmp_path,
                                                                                 redis_server):
    """A database that took duplicates before the indexes: the earliest value of a slot stays, the later
    ones are reversed with a reason, and re-entries after a reversal get their generations."""
    if database["kind"] == "sqlite":
        url = f"sqlite:///{tmp_path}/old.db"
    else:
        pg = request.getfixturevalue("postgres_server")
        name = f"spiral_old_{uuid.uuid4().hex[:8]}"
        with create_engine(pg.url(), isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        url = pg.url(name)
    old = make_app(url, tmp_path, redis_server.url)
    with old.app_context():
        upgrade(revision=PREVIOUS_HEAD)
        # The world of that revision, written in its own columns (today's models have more).
        at = clock.now()
        for row in (
            "INSERT INTO school (id, code, name) VALUES (1, 'old', '旧学院')",
            "INSERT INTO department (id, school_id, name) VALUES (1, 1, '信息工程系')",
            "INSERT INTO major (id, department_id, name) VALUES (1, 1, '软件技术')",
            "INSERT INTO class_group (id, major_id, department_id, name, entry_year) VALUES (1, 1, 1, '软件2401班', 2024)",
            'INSERT INTO "user" (id, username, display_name, password_hash, must_change_password, is_active, '
            "created_at) VALUES (1, '2024010101', '张三', 'x', false, true, :at)",
            "INSERT INTO student_profile (user_id, class_id, status) VALUES (1, 1, 'enrolled')",
            "INSERT INTO term (id, school_id, academic_year, semester, starts_on, ends_on) "
            "VALUES (1, 1, '2026-2027', 1, '2026-09-01', '2027-01-15')",
            "INSERT INTO scoring_point (id, code, level, domain, number, name_zh, name_en) "
            "VALUES (1, 'S-A-07', 'individual', 'academic', 7, '课外学习频次', 'Extracurricular study')",
        ):
            db.session.execute(text(row), {"at": at})
        student, class_id, point, term_id = 1, 1, 1, 1
        ins = text("INSERT INTO score_entry (term_id, point_id, student_id, class_id, period, week, value, "
                   "reverses_id, reason, batch_id, recorded_by, recorded_at) VALUES (:t, :p, :s, :c, :period, 9, "
                   ":v, :r, :why, 'b', :s, :at)")

        def add(period, value, reverses=None):
            db.session.execute(ins, {"t": term_id, "p": point, "s": student, "c": class_id, "period": period,
                                     "v": value, "r": reverses, "why": "x" if reverses else None, "at": at})
            return db.session.scalar(text("SELECT max(id) FROM score_entry"))

        dup = [add("month:2026-10", v) for v in (1, 2, 3)]  # three live values for one slot
        wrong = add("month:2026-11", 5)
        add("month:2026-11", None, reverses=wrong)
        right = add("month:2026-11", 6)  # a correction: generation 1 once migrated
        db.session.commit()
        upgrade()
        live = db.session.execute(select(ScoreEntry.period, ScoreEntry.value, ScoreEntry.generation).where(
            ScoreEntry.student_id == student, ledger.counts()).order_by(ScoreEntry.period)).all()
        assert live == [("month:2026-10", 1.0, 0), ("month:2026-11", 6.0, 1)]
        reasons = db.session.execute(select(ScoreEntry.reverses_id, ScoreEntry.reason).where(
            ScoreEntry.reverses_id.in_(dup))).all()
        assert sorted(r for r, _ in reasons) == dup[1:] and all(f"#{dup[0]}" in why for _, why in reasons)
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "ledger.reverse")) == 2
        assert db.session.get(ScoreEntry, right).generation == 1
        with pytest.raises(Exception, match="append-only"):  # the trigger is back
            db.session.execute(text("UPDATE score_entry SET value = 0"))
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
    if database["kind"] != "sqlite":
        with create_engine(pg.url(), isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
