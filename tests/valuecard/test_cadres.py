"""Student cadres (班干部): a head teacher lets a student record chosen points for the class; each
batch is the cadre's, counts at once marked 待确认, and is confirmed or reversed by the head teacher."""
import uuid

from sqlalchemy import select

from backend.extensions import db
from backend.models import AuditEvent, ClassGroup, ScoreEntry, StudentProfile, User
from tests.helpers import assert_problem, build_college, login, writing

MONTH = "month:2026-11"


def _setup(client):
    accounts = build_college(students=60)
    cadre = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    cls = db.session.get(ClassGroup, cadre.student.class_id)
    classmates = db.session.scalars(select(StudentProfile.user_id).where(
        StudentProfile.class_id == cls.id, StudentProfile.user_id != cadre.id).order_by(StudentProfile.user_id)).all()
    other = db.session.scalar(select(StudentProfile.user_id).where(StudentProfile.class_id != cls.id).limit(1))
    ids = {"cadre": cadre.id, "class": cls.id, "classmates": classmates, "other_class_student": other}
    db.session.rollback()
    return accounts, ids, login(client, accounts["head_teacher"]), login(client, accounts["student"])


def _grant(client, head, ids, points=("S-A-07",), **extra):
    return client.post(f"/api/v1/classes/{ids['class']}/cadres", headers=writing(head),
                       json={"student_id": ids["cadre"], "title": "学习委员", "points": list(points), **extra})


def _cadre_batch(client, cadre, rows, point="S-A-07"):
    return client.post("/api/v1/cadre/entries", headers=writing(cadre),
                       json={"point": point, "period": MONTH, "entries": rows})


def test_grant_list_and_revoke_are_the_head_teachers_and_audited(client, app):
    accounts, ids, head, cadre = _setup(client)
    listed = client.get(f"/api/v1/classes/{ids['class']}/cadres", headers=head).json
    assert {p["point"] for p in listed["grantable"]} == {"S-A-07", "S-A-08"}
    assert listed["grants"] == []

    response = _grant(client, head, ids, points=("S-A-07", "S-A-08"))
    assert response.status_code == 201, response.json
    assert {(g["point"], g["title"]) for g in response.json} == {("S-A-07", "学习委员"), ("S-A-08", "学习委员")}

    # A sensitive, computed or other scorer's point cannot be handed over; nor a student of another class.
    bad = assert_problem(_grant(client, head, ids, points=("S-P-13", "S-A-09")), 422)
    assert set(bad["errors"]) == {"points[0]", "points[1]"}
    assert "班干部不能录入该采分点" in bad["errors"]["points[0]"][0]
    foreign = assert_problem(client.post(f"/api/v1/classes/{ids['class']}/cadres", headers=writing(head), json={
        "student_id": ids["other_class_student"], "title": "学习委员", "points": ["S-A-07"]}), 422)
    assert "不是本班学生" in foreign["errors"]["student_id"][0]
    again = assert_problem(_grant(client, head, ids), 422)
    assert "已有此项授权" in again["errors"]["points[0]"][0]

    # Only the class's head teacher: a counsellor over the class, or the student, may not.
    counsellor = login(client, accounts["counsellor"])
    assert _grant(client, counsellor, ids).status_code in (403, 404)
    assert client.get(f"/api/v1/classes/{ids['class']}/cadres", headers=cadre).status_code in (403, 404)

    mine = client.get("/api/v1/cadre/me", headers=cadre).json
    assert {g["point"] for g in mine["grants"]} == {"S-A-07", "S-A-08"}
    assert ids["cadre"] not in {c["id"] for c in mine["classmates"]}

    grant_id = next(g["id"] for g in response.json if g["point"] == "S-A-08")
    revoked = client.post(f"/api/v1/cadre-grants/{grant_id}/revoke", headers=writing(head))
    assert revoked.status_code == 200 and {g["point"] for g in revoked.json} == {"S-A-07"}
    refused = assert_problem(_cadre_batch(client, cadre, [{"student_id": ids["classmates"][0], "value": 2}], "S-A-08"), 422)
    assert "entries[0].student_id" in refused["errors"]
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("cadre.%"))).all()
    assert sorted(actions) == ["cadre.grant", "cadre.revoke"]


def test_a_cadre_batch_is_theirs_counts_at_once_and_waits_for_the_head_teacher(client, app):
    _, ids, head, cadre = _setup(client)
    assert _grant(client, head, ids).status_code == 201
    rows = [{"student_id": s, "value": 4} for s in ids["classmates"][:3]]
    recorded = _cadre_batch(client, cadre, rows)
    assert recorded.status_code == 201, recorded.json
    batch_id = recorded.json["batch_id"]
    assert set(db.session.scalars(select(ScoreEntry.recorded_by).where(ScoreEntry.batch_id == batch_id))) == {ids["cadre"]}

    # It counts on the card now (one rule for what counts), and shows as 待确认 to both.
    card = client.get(f"/api/v1/students/{ids['classmates'][0]}/card", headers=head).json
    assert next(p for p in card["points"] if p["code"] == "S-A-07")["indicator"] == 4
    pending = client.get("/api/v1/cadre-batches?state=pending", headers=head).json
    assert [b["batch_id"] for b in pending] == [batch_id]
    assert pending[0]["point"] == "S-A-07" and pending[0]["period_zh"] == "2026年11月"
    assert len(pending[0]["entries"]) == 3 and pending[0]["cadre_name"]

    confirmed = client.post(f"/api/v1/cadre-batches/{batch_id}/review", headers=writing(head),
                            json={"decision": "confirmed"})
    assert confirmed.status_code == 200 and confirmed.json["state"] == "confirmed"
    assert client.get("/api/v1/cadre-batches?state=pending", headers=head).json == []
    twice = client.post(f"/api/v1/cadre-batches/{batch_id}/review", headers=writing(head), json={"decision": "reversed",
                                                                                                  "reason": "录错了"})
    assert_problem(twice, 409)


def test_the_head_teacher_reverses_a_cadre_batch_with_a_reason_the_cadre_reads(client, app):
    _, ids, head, cadre = _setup(client)
    assert _grant(client, head, ids).status_code == 201
    target = ids["classmates"][0]
    batch_id = _cadre_batch(client, cadre, [{"student_id": target, "value": 9}]).json["batch_id"]
    # The grant works only in the cadre flow: the cadre neither reverses (not even their own batch)
    # nor writes past the review through POST /entries.
    entry_id = db.session.scalar(select(ScoreEntry.id).where(ScoreEntry.batch_id == batch_id))
    assert_problem(client.post(f"/api/v1/entries/{entry_id}/reverse", headers=writing(cadre), json={"reason": "不算"}), 404)
    direct = client.post("/api/v1/entries", headers=writing(cadre), json={
        "point": "S-A-07", "period": MONTH, "entries": [{"student_id": ids["cadre"], "value": 30}]})
    assert "entries[0].student_id" in assert_problem(direct, 422)["errors"]
    no_reason = assert_problem(client.post(f"/api/v1/cadre-batches/{batch_id}/review", headers=writing(head),
                                           json={"decision": "reversed"}), 422)
    assert "撤销须写明原因" in no_reason["errors"]["reason"][0]
    key = str(uuid.uuid4())
    body = {"decision": "reversed", "reason": "次数记多了"}
    first = client.post(f"/api/v1/cadre-batches/{batch_id}/review", headers=writing(head, key), json=body)
    replay = client.post(f"/api/v1/cadre-batches/{batch_id}/review", headers=writing(head, key), json=body)
    assert first.status_code == replay.status_code == 200 and first.json == replay.json
    assert first.json["state"] == "reversed" and first.json["entries"][0]["reversed"] is True
    reversals = db.session.scalars(select(ScoreEntry).where(ScoreEntry.reverses_id.is_not(None))).all()
    assert len(reversals) == 1 and reversals[0].reason == "次数记多了"  # counted once
    card = client.get(f"/api/v1/students/{target}/card", headers=head).json
    assert all(p["code"] != "S-A-07" for p in card["points"])
    mine = client.get("/api/v1/cadre/me", headers=cadre).json["batches"]
    assert mine[0]["state"] == "reversed" and mine[0]["reason"] == "次数记多了"


def test_a_cadre_is_refused_for_themselves_an_ungranted_point_and_another_class(client, app):
    accounts, ids, head, cadre = _setup(client)
    # No grant yet: a student scores nothing.
    none = assert_problem(_cadre_batch(client, cadre, [{"student_id": ids["classmates"][0], "value": 1}]), 422)
    assert "entries[0].student_id" in none["errors"]
    assert _grant(client, head, ids).status_code == 201
    own = assert_problem(_cadre_batch(client, cadre, [{"student_id": ids["classmates"][0], "value": 1},
                                                      {"student_id": ids["cadre"], "value": 30}]), 422)
    assert list(own["errors"]) == ["entries[1].student_id"]
    assert "班干部不能为自己录入" in own["errors"]["entries[1].student_id"][0]
    ungranted = assert_problem(_cadre_batch(client, cadre, [{"student_id": ids["classmates"][0], "value": 1}],
                                            "S-A-08"), 422)
    assert "entries[0].student_id" in ungranted["errors"]
    foreign = assert_problem(_cadre_batch(client, cadre, [{"student_id": ids["other_class_student"], "value": 1}]), 422)
    assert "entries[0].student_id" in foreign["errors"]
    assert db.session.scalar(select(ScoreEntry.id).limit(1)) is None  # nothing half-written
    # Staff use POST /entries; the cadre route is for students.
    assert_problem(_cadre_batch(client, head, [{"student_id": ids["classmates"][0], "value": 1}]), 403)
    # Another class's head teacher neither sees nor reviews this class's cadre batches.
    batch_id = _cadre_batch(client, cadre, [{"student_id": ids["classmates"][0], "value": 1}]).json["batch_id"]
    counsellor = login(client, accounts["counsellor"])
    assert client.get("/api/v1/cadre-batches", headers=counsellor).json == []
    assert_problem(client.post(f"/api/v1/cadre-batches/{batch_id}/review", headers=writing(counsellor),
                               json={"decision": "confirmed"}), 404)
