"""What the fuzz run (test_fuzz.py, PostgreSQL only, minutes) found, each kept as a fast test on both
databases: a caller without a token is a 401 before its body is read; an empty change is a 422; the
notification settings take JSON's true/false and integers only; every file download documents the
media types it sends; the VAPID key's 503 is documented; a not-yet-started self-assessment matches
its schema."""
import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import Term, User
from tests.helpers import assert_problem, build_college, login, writing

V1 = "/api/v1"


@pytest.fixture
def college(app):
    return build_college(students=10)


def test_a_caller_without_a_token_is_401_before_its_body_is_read(app, client, college):
    # Bodies the server refuses past their schema (an end before the start, an empty endpoint): without
    # a token they were a 422, which answered before the 401 and told a stranger how they are checked.
    term = {"academic_year": "0000-0000", "semester": 1, "starts_on": "2000-01-02", "ends_on": "2000-01-01"}
    anonymous = {"Idempotency-Key": "0123456789abcdef"}
    for path, body in ((f"{V1}/terms", term), (f"{V1}/push/subscriptions", {"endpoint": "", "keys": {}}),
                       (f"{V1}/auth/password", {"current_password": "x", "new_password": "y"}),
                       (f"{V1}/goals/0/logs", {"logged_on": "2000-01-01", "note": "", "value": None}),
                       (f"{V1}/terms", {"no": "such field"})):
        assert_problem(client.post(path, headers=anonymous, json=body), 401)
    assert_problem(client.patch(f"{V1}/me", json={}), 401)
    admin = login(client, college["school_admin"])
    assert_problem(client.post(f"{V1}/terms", headers=writing(admin), json=term), 422)  # with one, still checked
    assert db.session.scalar(select(Term.id).where(Term.academic_year == "0000-0000")) is None


def test_an_empty_change_is_a_422_and_changes_nothing(app, client, college):
    admin = login(client, college["school_admin"])
    before = client.get(f"{V1}/me", headers=admin).json
    for method, path in (("patch", f"{V1}/me"), ("patch", f"{V1}/warning-rules/TH-ACADEMIC"),
                         ("put", f"{V1}/me/notification-settings")):
        call = getattr(client, method)
        for kwargs in ({}, {"json": {}}):
            body = assert_problem(call(path, headers=writing(admin), **kwargs), 422)
            assert "没有要修改的内容" in str(body["errors"]), (method, path, kwargs)
    assert client.get(f"{V1}/me", headers=admin).json == before
    assert client.patch(f"{V1}/me", headers=admin, json={"locale": "en"}).json["locale"] == "en"


def test_notification_settings_take_json_true_false_and_integers_only(app, client, college):
    head = login(client, college["head_teacher"])
    before = client.get(f"{V1}/me/notification-settings", headers=head).json
    for field, value in (("digest", 0), ("digest", 1), ("digest", "true"), ("digest_hour", 7.5),
                         ("digest_hour", 2.5890419884777833e-42), ("digest_hour", True), ("digest_hour", "7")):
        body = assert_problem(client.put(f"{V1}/me/notification-settings", headers=head, json={field: value}), 422)
        assert set(body["errors"]) == {field}, (field, value)
    assert client.get(f"{V1}/me/notification-settings", headers=head).json == before
    saved = client.put(f"{V1}/me/notification-settings", headers=head, json={"digest": True, "digest_hour": 7})
    assert saved.status_code == 200 and (saved.json["digest"], saved.json["digest_hour"]) == (True, 7)


def test_every_download_documents_the_media_types_it_sends_and_the_vapid_key_its_503(app, client, monkeypatch,
                                                                                      tmp_path):
    spec = client.get("/api/openapi.json").json
    xlsx, csv, pdf, json_ = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/csv",
                             "application/pdf", "application/json")
    expected = {
        "/audit": {json_, csv}, "/self-assessment": {json_}, "/roster/template": {csv, xlsx},
        "/students/{student_id}/development-report": {json_, pdf, xlsx},
        "/teachers/{teacher_id}/yearly-report": {json_, pdf, xlsx},
        "/reports/{unit}/{unit_id}/export": {csv, xlsx}, "/reports/{unit}/{unit_id}/diagnosis": {xlsx, pdf},
        "/classes/{class_id}/scoring-sheet": {xlsx},
        "/attachments/{attachment_id}": {pdf, xlsx, "image/png", "image/jpeg",
                                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    }
    for path, types in expected.items():
        assert set(spec["paths"][V1 + path]["get"]["responses"]["200"]["content"]) == types, path
    key = spec["paths"][f"{V1}/push/key"]["get"]["responses"]
    assert set(key["200"]["content"]) == {json_} and set(key["503"]["content"]) == {"application/problem+json"}
    monkeypatch.setitem(app.config, "INSTANCE_PATH", str(tmp_path))  # no `flask push keys` run here
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", None)
    assert_problem(client.get(f"{V1}/push/key"), 503)


def test_a_self_assessment_not_started_yet_matches_its_schema(app, client, college):
    student = login(client, college["student"])
    me = db.session.scalar(select(User.id).where(User.username == college["student"]["username"]))
    found = client.get(f"{V1}/students/{me}/self-assessment", headers=student).json
    assert (found["status"], found["updated_at"]) == ("not_started", None)
    spec = client.get("/api/openapi.json").json
    updated_at = spec["components"]["schemas"]["AssessmentOut"]["properties"]["updated_at"]
    assert updated_at.get("nullable") is True or "null" in updated_at.get("type", [])
