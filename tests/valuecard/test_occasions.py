"""Points scored per occasion: per course meeting (S-A-05/06), per class meeting (C-P-08/09 feeding
the computed C-P-01/02); and a catalogue a college extends with weights that add up to 1."""
import io
import uuid

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import (
    CatalogueVersion,
    ClassGroup,
    Course,
    ScoreEntry,
    ScoringPoint,
    StudentProfile,
    TeachingAssignment,
    User,
)
from backend.org import directory
from backend.platform import clock
from backend.reporting import rollups
from tests.helpers import assert_problem, build_college, demo_account, login, run_worker, writing
from tests.platform.test_exactly_once import at_once, postgres_only, served


@pytest.fixture
def school(app, client):
    accounts = build_college(students=60)
    student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    class_id = student.student.class_id
    roster = db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == class_id)
                                .order_by(StudentProfile.user_id)).all()
    term = directory.current_term(clock.school_today())
    # Two course teachers of the class, each with their course.
    taught = db.session.execute(
        select(User.username, TeachingAssignment.course_id, Course.name)
        .join(User, User.id == TeachingAssignment.teacher_id).join(Course, Course.id == TeachingAssignment.course_id)
        .where(TeachingAssignment.class_id == class_id, TeachingAssignment.term_id == term.id)
        .order_by(TeachingAssignment.id)).all()
    (user_a, course_a, name_a), (user_b, course_b, name_b) = taught[-1], taught[0]
    other_class = db.session.scalar(select(ClassGroup.id).where(ClassGroup.id != class_id))
    db.session.rollback()
    teacher_a, teacher_b = login(client, demo_account(user_a)), login(client, demo_account(user_b))
    today = clock.school_today()
    sessions = []
    for headers, course, hour in ((teacher_a, course_a, 8), (teacher_b, course_b, 14)):
        response = client.post("/api/v1/sessions", headers=writing(headers), json={
            "class_id": class_id, "course_id": course, "starts_at": clock.school_moment(today, hour).isoformat()})
        assert response.status_code == 201, response.json
        sessions.append(response.json["id"])
    return {"accounts": accounts, "student": student.id, "class_id": class_id, "roster": roster, "today": today,
            "a": teacher_a, "b": teacher_b, "courses": (name_a, name_b), "sessions": sessions, "other_class": other_class,
            "head": login(client, accounts["head_teacher"]), "me": login(client, accounts["student"]),
            "affairs": login(client, accounts["student_affairs"])}


def homework(session_id, rows, **extra):
    return {"point": "S-A-06", "session_id": session_id, "entries": [{"student_id": s, "value": v} for s, v in rows],
            **extra}


def entries_of(point: str) -> int:
    n = db.session.scalar(select(func.count()).select_from(ScoreEntry).join(ScoringPoint, ScoringPoint.id == ScoreEntry.point_id)
                          .where(ScoringPoint.code == point))
    db.session.rollback()
    return n


def test_two_course_teachers_both_record_homework_on_the_same_day(client, school):
    roster, (first, second) = school["roster"], school["sessions"]
    one = client.post("/api/v1/entries", headers=writing(school["a"]), json=homework(first, [(s, 60) for s in roster]))
    assert one.status_code == 201, one.json
    assert one.json["period"] == f"day:{school['today']}" and one.json["occasion"] == f"session:{first}"
    two = client.post("/api/v1/entries", headers=writing(school["b"]), json=homework(second, [(s, 100) for s in roster]))
    assert two.status_code == 201, two.json
    assert entries_of("S-A-06") == 2 * len(roster)
    # The card shows the mean over the meetings; the student's list names each meeting's course.
    points = {p["code"]: p for p in client.get(f"/api/v1/students/{school['student']}/card", headers=school["me"]).json["points"]}
    assert points["S-A-06"]["indicator"] == 80.0 and points["S-A-06"]["periods"] == 2
    mine = [e for e in client.get(f"/api/v1/students/{school['student']}/entries", headers=school["me"]).json
            if e["point"] == "S-A-06"]
    labels = sorted(e["occasion"]["label_zh"] for e in mine)
    assert [e["occasion"]["kind"] for e in mine] == ["course_meeting"] * 2
    assert any(school["courses"][0] in label and "08:00" in label for label in labels)
    assert any(school["courses"][1] in label and "14:00" in label for label in labels)


def test_one_value_per_meeting_and_a_retry_counts_once(client, school):
    roster, first = school["roster"], school["sessions"][0]
    key = str(uuid.uuid4())
    body = homework(first, [(s, 90) for s in roster[:3]])
    answers = [client.post("/api/v1/entries", headers=writing(school["a"], key), json=body) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201] and answers[0].json == answers[1].json
    assert entries_of("S-A-06") == 3
    again = assert_problem(client.post("/api/v1/entries", headers=writing(school["a"]),
                                       json=homework(first, [(roster[3], 50), (roster[1], 70)])), 422)
    assert list(again["errors"]) == ["entries[1].student_id"]
    assert again["errors"]["entries[1].student_id"][0].startswith("这节课（这次班会）已有记录") and "1" in again["recorded"]
    assert entries_of("S-A-06") == 3  # all or nothing: roster[3] was not written either


def test_a_course_teacher_records_only_for_their_own_meetings_of_the_class(client, school):
    roster, (first, second) = school["roster"], school["sessions"]
    theirs = assert_problem(client.post("/api/v1/entries", headers=writing(school["a"]),
                                        json=homework(second, [(roster[0], 80)])), 422)
    assert theirs["errors"]["entries[0].student_id"][0].startswith("只有上这节课的教师或班主任")
    # The head teacher runs every meeting of the class but does not score homework (the catalogue's scorers).
    head = assert_problem(client.post("/api/v1/entries", headers=writing(school["head"]),
                                      json=homework(second, [(roster[0], 80)])), 422)
    assert head["errors"]["entries[0].student_id"][0].startswith("无权为此对象录入")
    assert client.post("/api/v1/entries", headers=writing(school["b"]),
                       json=homework(second, [(roster[0], 80)])).status_code == 201
    other = db.session.scalar(select(StudentProfile.user_id).where(StudentProfile.class_id == school["other_class"]))
    db.session.rollback()
    stranger = assert_problem(client.post("/api/v1/entries", headers=writing(school["a"]),
                                          json=homework(first, [(roster[0], 80), (other, 80)])), 422)
    assert list(stranger["errors"]) == ["entries[1].student_id"]
    missing = assert_problem(client.post("/api/v1/entries", headers=writing(school["a"]),
                                         json=homework(10**6, [(roster[0], 80)])), 422)
    assert missing["errors"] == {"session_id": ["本学期没有这节课"]}
    wrong_day = assert_problem(client.post("/api/v1/entries", headers=writing(school["a"]),
                                           json=homework(first, [(roster[0], 80)], period="day:2026-11-02")), 422)
    assert list(wrong_day["errors"]) == ["period"]
    not_per_meeting = assert_problem(client.post("/api/v1/entries", headers=writing(school["head"]), json={
        "point": "S-A-09", "period": "term", "session_id": first, "entries": [{"student_id": roster[0], "value": 80}]}), 422)
    assert not_per_meeting["errors"]["session_id"][0].startswith("该采分点不按课次录入")


def test_correction_and_reversal_stay_on_the_meeting(client, school):
    roster, (first, second) = school["roster"], school["sessions"]
    client.post("/api/v1/entries", headers=writing(school["a"]), json=homework(first, [(roster[0], 40)]))
    client.post("/api/v1/entries", headers=writing(school["b"]), json=homework(second, [(roster[0], 100)]))
    entry = db.session.scalar(select(ScoreEntry).where(ScoreEntry.occasion == f"session:{first}"))
    db.session.rollback()
    fixed = client.post(f"/api/v1/entries/{entry.id}/correction", headers=writing(school["a"]),
                        json={"reason": "录错了", "value": 60})
    assert fixed.status_code == 201, fixed.json
    new = db.session.get(ScoreEntry, fixed.json["entry_id"])
    assert new.occasion == f"session:{first}" and new.value == 60
    db.session.rollback()
    points = {p["code"]: p for p in client.get(f"/api/v1/students/{roster[0]}/card", headers=school["head"]).json["points"]}
    assert points["S-A-06"]["indicator"] == 80.0  # mean of 60 and 100
    # Reversed, the meeting's slot is free again; the other meeting's value stays.
    assert client.post(f"/api/v1/entries/{new.id}/reverse", headers=writing(school["a"]),
                       json={"reason": "重新录入"}).status_code == 201
    assert client.post("/api/v1/entries", headers=writing(school["a"]),
                       json=homework(first, [(roster[0], 70)])).status_code == 201


def test_the_meeting_picker_lists_my_meetings_newest_first(client, school):
    url = f"/api/v1/classes/{school['class_id']}/meetings?point=S-A-06"
    later = client.post("/api/v1/sessions", headers=writing(school["a"]), json={
        "class_id": school["class_id"], "starts_at": clock.school_moment(school["today"], 11).isoformat()}).json["id"]
    mine = client.get(url, headers=school["a"]).json
    assert [m["id"] for m in mine] == [later, school["sessions"][0]]
    mine = mine[1:]
    assert school["courses"][0] in mine[0]["label_zh"] and mine[0]["period"] == f"day:{school['today']}"
    assert [m["id"] for m in client.get(url, headers=school["b"]).json] == [school["sessions"][1]]
    assert client.get(url, headers=school["head"]).json == []  # not a scorer of homework
    assert client.get(f"/api/v1/classes/{school['class_id']}/meetings?point=S-A-09", headers=school["a"]).json == []
    assert_problem(client.get(url, headers=school["me"]), 403)


def test_class_meetings_are_scored_each_and_c_p_01_is_their_mean(app, client, school):
    cid = school["class_id"]

    def meeting(day, value, title=None, point="C-P-08"):
        return client.post("/api/v1/entries", headers=writing(school["affairs"]), json={
            "point": point, "period": f"day:{day}", "occasion_title": title,
            "entries": [{"class_id": cid, "value": value}]})

    assert meeting("2026-11-09", 70, "安全教育").status_code == 201
    assert meeting("2026-11-16", 90, "职业规划").status_code == 201
    assert meeting("2026-11-16", 85, "政治学习", point="C-P-09").status_code == 201
    twice = assert_problem(meeting("2026-11-16", 60), 422)
    assert twice["errors"]["entries[0].class_id"][0].startswith("这节课（这次班会）已有记录")
    typed = assert_problem(meeting("2026-11-16", 60, point="C-P-01"), 422)
    assert typed["errors"]["point"][0].startswith("该采分点由系统计算")
    points = {p["code"]: p for p in client.get(f"/api/v1/classes/{cid}/card", headers=school["head"]).json["points"]}
    assert (points["C-P-01"]["indicator"], points["C-P-01"]["students_with_data"]) == (80.0, 2)
    assert points["C-P-02"]["indicator"] == 85.0 and points["C-P-08"]["weight"] == 0
    # Per-meeting values reach the rollups as the card computes them: stored rows agree with a full recompute.
    client.post("/api/v1/entries", headers=writing(school["a"]),
                json=homework(school["sessions"][0], [(s, 50) for s in school["roster"]]))
    client.post("/api/v1/entries", headers=writing(school["b"]),
                json=homework(school["sessions"][1], [(s, 100) for s in school["roster"]]))
    run_worker(app)
    term = directory.current_term(clock.school_today())
    assert rollups.check(term) == []
    rows = rollups.compute_classes(term, [cid])
    assert rows[("class", cid, "C-P-01")]["mean"] == 80.0 and rows[("class", cid, "S-A-06")]["mean"] == 75.0
    db.session.rollback()


# --- the catalogue a college extends ------------------------------------------------------------

# Seed 002 table 14 (个人发展) lists 团学活动出勤频次, which table 15 has no point for.
EXTRA = {"domain": "personal", "name_zh": "团学活动出勤频次", "name_en": "League and student-activity attendance",
         "value_type": "count", "unit": "次", "max_value": 40, "timing": "monthly", "scorer_roles": ["counsellor"],
         "conversion": {"kind": "steps", "steps": [[0, 0], [1, 60], [3, 100]]}, "weight": 0.04,
         "direction": "higher_better", "standard_value": 2, "warning_value": 0,
         "rationale": "表14 个人发展：团学活动出勤频次；每月由辅导员统计"}


def test_an_admin_adds_a_point_and_rebalances_the_domain_in_one_request(client, school):
    admin = login(client, school["accounts"]["school_admin"])
    refused = assert_problem(client.post("/api/v1/catalogue", headers=admin, json=EXTRA), 422)
    assert list(refused["errors"]) == ["weights"] and refused["errors"]["weights"][0].startswith("个人发展各采分点权重合计 1.04")
    added = client.post("/api/v1/catalogue", headers=admin, json={**EXTRA, "weights": {"S-P-01": 0.0}})
    assert added.status_code == 201, added.json
    rule = added.json
    assert (rule["unit"], rule["conversion"]["kind"], rule["scorer_roles"], rule["weight"]) == ("次", "steps", ["counsellor"], 0.04)
    rules = client.get("/api/v1/catalogue", headers=admin).json["rules"]
    personal = [r["weight"] for r in rules if r["level"] == "individual" and r["domain"] == "personal"]
    assert abs(sum(personal) - 1) < 1e-9
    # The domain's weights re-balanced together; a sum other than 1 is refused and changes nothing.
    bad = assert_problem(client.put("/api/v1/catalogue/domains/weights", headers=admin,
                                    json={"domain": "personal", "weights": {rule["code"]: 0.1}}), 422)
    assert bad["errors"]["weights"][0].startswith("个人发展各采分点权重合计 1.06")
    ok = client.put("/api/v1/catalogue/domains/weights", headers=admin,
                    json={"domain": "personal", "weights": {rule["code"]: 0.1, "S-P-02": 0.04}})
    assert ok.status_code == 200, ok.json
    alone = assert_problem(client.patch("/api/v1/catalogue/S-P-02", headers=admin, json={"weight": 0.5}), 422)
    assert list(alone["errors"]) == ["weight"]
    assert_problem(client.put("/api/v1/catalogue/domains/weights", headers=school["head"],
                              json={"domain": "personal", "weights": {"S-P-01": 0.04}}), 403)


def test_a_point_with_entries_keeps_its_value_type(client, school):
    admin = login(client, school["accounts"]["school_admin"])
    assert client.patch("/api/v1/catalogue/S-A-05", headers=admin, json={"value_type": "count"}).status_code == 200
    assert client.patch("/api/v1/catalogue/S-A-05", headers=admin, json={"value_type": "rate"}).status_code == 200
    client.post("/api/v1/entries", headers=writing(school["a"]), json={
        "point": "S-A-06", "session_id": school["sessions"][0], "entries": [{"student_id": school["student"], "value": 90}]})
    locked = assert_problem(client.patch("/api/v1/catalogue/S-A-06", headers=admin, json={"value_type": "score"}), 422)
    assert locked["errors"] == {"value_type": ["已有录入记录，不能更改取值类型"]}


def test_two_writers_of_one_meeting_one_wins_the_other_is_named(app, client, school):
    postgres_only(app)
    roster, first = school["roster"], school["sessions"][0]
    body = homework(first, [(s, 80) for s in roster])
    with served(app) as base:  # the teacher's phone and laptop, each with its own Idempotency-Key
        answers = at_once(base, "/api/v1/entries", [writing(school["a"]), writing(school["a"])], body)
    codes = sorted(r.status_code for r in answers)
    assert codes == [201, 422], [r.text[:300] for r in answers]
    loser = next(r for r in answers if r.status_code == 422).json()
    assert set(loser["errors"]) == {f"entries[{i}].student_id" for i in range(len(roster))}
    assert entries_of("S-A-06") == len(roster)


def test_a_scoring_sheet_for_one_meeting_records_that_meeting(client, school):
    roster, first = school["roster"], school["sessions"][0]
    url = f"/api/v1/classes/{school['class_id']}/scoring-sheet?point=S-A-06&session_id={first}"
    response = client.get(url, headers=school["a"])
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert school["courses"][0] in book["采分表"].cell(1, 1).value  # the meeting, in words
    for row in range(4, 4 + len(roster)):
        book["采分表"].cell(row, 3, 75)
    filled = io.BytesIO()
    book.save(filled)
    sent = client.post(f"/api/v1/classes/{school['class_id']}/scoring-sheet", headers=writing(school["a"]),
                       data={"file": (io.BytesIO(filled.getvalue()), "sheet.xlsx")}, content_type="multipart/form-data")
    assert sent.status_code == 201, sent.json
    assert sent.json["occasion"] == f"session:{first}" and sent.json["count"] == len(roster)
    # The other teacher's sheet for their own meeting that day is another occasion: also recorded.
    other = client.get(f"/api/v1/classes/{school['class_id']}/scoring-sheet?point=S-A-06&session_id={school['sessions'][1]}",
                       headers=school["b"])
    book = load_workbook(io.BytesIO(other.data))
    book["采分表"].cell(4, 3, 50)
    filled = io.BytesIO()
    book.save(filled)
    assert client.post(f"/api/v1/classes/{school['class_id']}/scoring-sheet", headers=writing(school["b"]),
                       data={"file": (io.BytesIO(filled.getvalue()), "sheet.xlsx")},
                       content_type="multipart/form-data").status_code == 201
    bad = client.get(f"/api/v1/classes/{school['class_id']}/scoring-sheet?point=S-A-09&session_id={first}", headers=school["head"])
    assert list(assert_problem(bad, 422)["errors"]) == ["session_id"]


def test_a_term_after_an_old_catalogue_takes_the_seed_fixes_and_the_old_term_keeps_its_rules(client, school):
    admin = login(client, school["accounts"]["school_admin"])
    # The current term's catalogue as it stood before the fixes: C-A-03 monthly, C-P-01 typed, no C-P-08/09.
    term = directory.current_term(clock.school_today())
    version = db.session.scalar(select(CatalogueVersion).where(CatalogueVersion.term_id == term.id))
    codes = {r.point.code: r for r in version.rules}
    for code in ("C-P-08", "C-P-09"):
        db.session.delete(codes[code])
    codes["C-A-03"].timing = "monthly"
    codes["C-P-01"].source, codes["C-P-01"].aggregate, codes["C-P-01"].scorer_roles = "entered", None, ["student_affairs"]
    codes["S-C-02"].standard_value = 75  # a college's own edit, inherited as usual
    db.session.commit()
    made = client.post("/api/v1/terms", headers=writing(admin), json={
        "academic_year": "2030-2031", "semester": 1, "starts_on": "2030-09-01", "ends_on": "2031-01-15"})
    assert made.status_code == 201, made.json
    new = {r["code"]: r for r in client.get(f"/api/v1/catalogue?term_id={made.json['id']}", headers=admin).json["rules"]}
    old = {r["code"]: r for r in client.get(f"/api/v1/catalogue?term_id={term.id}", headers=admin).json["rules"]}
    assert (new["C-A-03"]["timing"], new["C-P-01"]["source"], new["C-P-01"]["scorer_roles"]) == ("weekly", "aggregate", [])
    assert new["S-C-01"]["scorer_roles"] == ["teaching_office", "student_affairs"] and "C-P-08" in new
    assert new["S-C-02"]["standard_value"] == 75
    assert (old["C-A-03"]["timing"], old["C-P-01"]["source"]) == ("monthly", "entered") and "C-P-08" not in old
