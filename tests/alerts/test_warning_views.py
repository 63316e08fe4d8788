"""Least exposure in every view (issue 18, must show 4).

The student a warning is about reads it in the student view only: level, status, dates, the rule's
plain-language explanation and advice and their own values past the line; never the case notes,
who wrote them, the ledger entries behind the evidence or the chain of staff. The chain's staff
keep the full view. A student's display name is their official name from the roster: they cannot
change it; staff can change theirs.
"""
import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import User
from backend.org import directory
from backend.platform import clock
from backend.valuecard import ledger
from tests.helpers import assert_problem, build_college, login, run_worker, writing

STUDENT_VIEW = {"id", "category", "level", "status", "raised_at", "resolved_at", "rule", "values"}
RULE_BRIEF = {"code", "name_zh", "name_en", "explanation_zh", "explanation_en", "advice_zh", "advice_en"}
NOTE = "家访：父母离异，情绪低落，需心理老师介入"  # a case note: staff only


@pytest.fixture
def warned(app, client):
    """A red academic warning about the demo student, acknowledged and with a case note."""
    accounts = build_college(students=90)
    me = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    head_user = db.session.scalar(select(User).where(User.username == accounts["head_teacher"]["username"]))
    ledger.record_batch(head_user, directory.current_term(clock.school_today()), {
        "point": "S-A-09", "period": "term", "entries": [{"student_id": me.id, "value": 35}]})
    db.session.commit()
    run_worker(app)
    head = login(client, accounts["head_teacher"])
    warning = next(w for w in client.get("/api/v1/warnings", headers=head).json if w["student_id"] == me.id)
    noted = client.post(f"/api/v1/warnings/{warning['id']}/interventions", headers=writing(head),
                        json={"kind": "note", "text": NOTE, "follow_up_on": "2026-11-30"})
    assert noted.status_code == 201, noted.json
    return {"accounts": accounts, "id": warning["id"], "head": head, "head_id": head_user.id,
            "student": login(client, accounts["student"])}


def test_the_student_reads_their_own_warning_in_the_student_view_only(client, warned):
    response = client.get(f"/api/v1/warnings/{warned['id']}", headers=warned["student"])
    assert response.status_code == 200
    body = response.json
    assert set(body) == STUDENT_VIEW and set(body["rule"]) == RULE_BRIEF
    assert (body["level"], body["status"], body["category"]) == ("red", "in_progress", "academic")
    assert body["rule"]["explanation_zh"] and body["rule"]["advice_zh"]
    assert [v["code"] for v in body["values"]] == ["S-A-09"] and body["values"][0]["indicator"] == 35.0
    text = response.get_data(as_text=True)
    assert NOTE not in text and "entry_id" not in text and "events" not in body and "chain" not in body
    assert "actor" not in text and "acknowledged_by" not in text
    # The same as the student's own list shows it.
    own = client.get("/api/v1/me/warnings", headers=warned["student"]).json
    assert [w for w in own if w["id"] == warned["id"]] == [body]
    # The student still cannot act on it.
    assert_problem(client.post(f"/api/v1/warnings/{warned['id']}/acknowledge", headers=writing(warned["student"])), 403)


def test_the_chains_staff_keep_the_staff_view(client, warned):
    body = client.get(f"/api/v1/warnings/{warned['id']}", headers=warned["head"]).json
    assert {"evidence", "events", "chain", "student_name", "class_name", "waiting_on"} <= set(body)
    note = next(e for e in body["events"] if e["kind"] == "note")
    assert (note["text"], note["actor"]) == (NOTE, warned["head_id"])
    assert [e["value"] for e in body["evidence"]["entries"]] == [35.0]
    counsellor = login(client, warned["accounts"]["counsellor"])
    assert "events" in client.get(f"/api/v1/warnings/{warned['id']}", headers=counsellor).json


def test_the_openapi_declares_both_views(client):
    ok = client.get("/api/openapi.json").json["paths"]["/api/v1/warnings/{warning_id}"]["get"]["responses"]["200"]
    refs = [s["$ref"] for s in ok["content"]["application/json"]["schema"]["anyOf"]]
    assert refs == ["#/components/schemas/WarningDetailOut", "#/components/schemas/OwnWarningOut"]


def test_a_student_cannot_change_their_official_name_staff_can(client, app):
    accounts = build_college(students=40)
    student = login(client, accounts["student"])
    before = client.get("/api/v1/me", headers=student).json
    body = assert_problem(client.patch("/api/v1/me", headers=student, json={"display_name": "=HYPERLINK(1)"}), 403)
    assert list(body["errors"]) == ["display_name"]
    assert client.get("/api/v1/me", headers=student).json == before
    # Nothing of a refused request is applied, even the allowed part.
    assert_problem(client.patch("/api/v1/me", headers=student, json={"display_name": "新名字", "locale": "en"}), 403)
    assert client.get("/api/v1/me", headers=student).json["locale"] == before["locale"]
    changed = client.patch("/api/v1/me", headers=student, json={"locale": "en"})
    assert changed.status_code == 200 and changed.json["display_name"] == before["display_name"]

    head = login(client, accounts["head_teacher"])
    renamed = client.patch("/api/v1/me", headers=head, json={"display_name": "王老师"})
    assert renamed.status_code == 200 and renamed.json["display_name"] == "王老师"
