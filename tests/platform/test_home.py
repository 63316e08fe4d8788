"""GET /api/v1/me/home: the student's dashboard in one answer, agreeing with the full card, the
self-assessment and the sessions open now; staff have no such summary."""
from backend.extensions import db
from tests.helpers import assert_problem, build_college, login, writing


def test_the_students_summary_agrees_with_the_full_answers(client, app):
    college = build_college(students=60)
    me, head = login(client, college["student"]), login(client, college["head_teacher"])
    myself = client.get("/api/v1/me", headers=me).json
    db.session.rollback()
    answered = client.get("/api/v1/self-assessment", headers=me).json["dimensions"][0]["elements"][:3]
    client.put(f"/api/v1/students/{myself['id']}/self-assessment", headers=writing(me),
               json={"answers": {e["code"]: 2 for e in answered}})
    client.post("/api/v1/entries", headers=writing(head),
                json={"point": "S-A-09", "entries": [{"student_id": myself["id"], "value": 85}]})
    opened = client.post("/api/v1/sessions", headers=writing(head), json={"class_id": myself["class_id"]})
    assert opened.status_code == 201, opened.json

    home = client.get("/api/v1/me/home", headers=me)
    assert home.status_code == 200 and home.headers["Cache-Control"] == "no-store"
    full = client.get(f"/api/v1/students/{myself['id']}/card", headers=me).json
    classes = client.get("/api/v1/classes", headers=me).json
    assert home.json == {
        "class_name": classes[0]["name"], "department": classes[0]["department"],
        "total": full["total"], "value_added": full["value_added"]["previous_term"],
        "open_sessions": 1, "assessment_status": "draft", "assessment_answered": 3}
    assert home.json["total"] is not None


def test_staff_have_no_student_summary(client, app):
    college = build_college(students=30)
    assert_problem(client.get("/api/v1/me/home", headers=login(client, college["head_teacher"])), 404)
    assert_problem(client.get("/api/v1/me/home"), 401)
