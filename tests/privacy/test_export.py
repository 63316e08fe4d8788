"""A person's own data (issue 19 must-show 7, PIPL art. 45): everything Spiral holds about the
signed-in student or teacher, as JSON and as a PDF in Chinese, need-to-know parts as the college
configured, every export audited."""
import io
import json

from pypdf import PdfReader
from sqlalchemy import select

from backend.extensions import db
from backend.models import Attachment, AuditEvent, PortfolioItem
from backend.platform import clock
from tests.helpers import assert_problem, login
from tests.privacy.conftest import ACADEMIC_NOTE, ENDPOINT, GROUP_REASON, MENTAL_NOTE

CATEGORIES = {"generated_at", "subject", "profile", "roles", "memberships", "plans", "self_assessments",
              "ledger_entries", "attendance", "leave_requests", "disputes", "warnings", "special_groups",
              "notifications", "portfolio", "push_subscriptions", "notification_settings", "sessions",
              "failed_logins", "withheld", "attendance_disputes", "course_evaluations", "assessing_diagnoses",
              "teacher_warnings"}


def exports(student_id: int) -> list[dict]:
    db.session.rollback()
    return [json.loads(e.detail) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "privacy.export", AuditEvent.object_id == str(student_id)))]


def test_a_student_downloads_their_data_with_what_they_see_and_the_withheld_named(client, college):
    student, head = college["student"], college["head"]
    me = login(client, college["accounts"]["student"])
    client.post("/api/v1/auth/login", json={"username": student.username, "password": "wrong-password"})
    response = client.get("/api/v1/me/data", headers=me)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    data, text = response.json, response.get_data(as_text=True)
    assert set(data) == CATEGORIES
    assert data["subject"] == {"user_id": student.id, "username": student.username}
    assert data["profile"]["student"]["status"] == "enrolled" and isinstance(data["memberships"], list)
    # The value card's entries about them, with who entered each and when.
    mine = [e for e in data["ledger_entries"] if e["point"] == "S-A-09"]
    assert [(e["value"], e["recorded_by"]) for e in mine] == [(35.0, head.display_name)] and mine[0]["recorded_at"]
    # Their academic warning as the app's student view shows it; no timeline, so no case note.
    assert [(w["category"], w["level"]) for w in data["warnings"]] == [("academic", "red")]
    assert "events" not in data["warnings"][0] and data["warnings"][0]["advice"]
    # Withheld: the need-to-know warning, the special group, every case note; named generically.
    for secret in (ACADEMIC_NOTE, MENTAL_NOTE, GROUP_REASON, "mental_health", "psychological", ENDPOINT):
        assert secret not in text
    assert data["special_groups"] == []
    assert [w["category"] for w in data["withheld"]] == ["need_to_know_warnings", "special_groups", "case_notes"]
    assert all(w["why"] and "学工处" in w["ask"] for w in data["withheld"])
    # Devices by label only; sessions and failed logins by time.
    assert data["push_subscriptions"] == [{"device": "小米手机 Chrome", "enabled": True,
                                           "created_at": data["push_subscriptions"][0]["created_at"], "last_sent_at": None}]
    assert data["sessions"] and data["sessions"][-1]["method"] == "password" and data["sessions"][-1]["revoked_at"] is None
    assert len(data["failed_logins"]) == 1 and "127.0.0.1" not in text  # when, not from where
    assert data["notifications"]  # the nudge about the academic warning
    # Audited: the subject, the format and how many records, never the content.
    [event] = exports(student.id)
    assert event["format"] == "json" and event["records"]["ledger_entries"] == len(data["ledger_entries"])
    assert ACADEMIC_NOTE not in json.dumps(event, ensure_ascii=False)


def test_the_college_may_release_need_to_know_records_in_summary_or_in_full(app, client, college):
    me = login(client, college["accounts"]["student"])
    app.config["EXPORT_NEED_TO_KNOW"] = "summary"
    data = client.get("/api/v1/me/data", headers=me).json
    assert sorted(w["category"] for w in data["warnings"]) == ["academic", "mental_health"]
    assert [g["group"] for g in data["special_groups"]] == ["psychological"] and data["special_groups"][0]["reason"] is None
    kinds = [e["kind"] for w in data["warnings"] for e in w["events"]]
    assert "note" in kinds and "referral" in kinds and all(e["text"] is None for w in data["warnings"] for e in w["events"])
    assert [w["category"] for w in data["withheld"]] == ["case_notes"]
    app.config["EXPORT_NEED_TO_KNOW"] = "full"
    text = client.get("/api/v1/me/data", headers=me).get_data(as_text=True)
    assert MENTAL_NOTE in text and ACADEMIC_NOTE in text and GROUP_REASON in text
    assert json.loads(text)["withheld"] == []


def test_the_pdf_holds_the_same_content_in_chinese_and_is_audited(client, college):
    student, head = college["student"], college["head"]
    me = login(client, college["accounts"]["student"])
    response = client.get("/api/v1/me/data.pdf", headers=me)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    for heading in ("我的数据", "个人资料", "储值卡记录", "预警", "登录记录", "未包含的内容及原因"):
        assert heading in text, heading
    assert head.display_name in text and student.username in text
    assert MENTAL_NOTE not in text and ACADEMIC_NOTE not in text
    assert [e["format"] for e in exports(student.id)] == ["pdf"]


def test_a_teacher_gets_their_portfolio_by_name_and_size_not_bytes(client, college):
    teacher = college["head"]
    item = PortfolioItem(owner_id=teacher.id, kind="certificate", title="双师型教师证书", occurred_on=clock.school_today())
    item.attachments.append(Attachment(filename="证书.pdf", content_type="application/pdf", size=11,
                                       sha256="0" * 64, data=b"%PDF-secret"))
    db.session.add(item)
    db.session.commit()
    response = client.get("/api/v1/me/data", headers=login(client, college["accounts"]["head_teacher"]))
    data = response.json
    assert data["profile"].get("student") is None and data["profile"]["staff"]
    [entry] = data["portfolio"]
    assert entry["attachments"] == [{"filename": "证书.pdf", "content_type": "application/pdf", "size": 11,
                                     "sha256": "0" * 64, "download": f"/api/v1/attachments/{item.attachments[0].id}"}]
    assert "%PDF-secret" not in response.get_data(as_text=True)
    assert {r["role"] for r in data["roles"]} >= {"head_teacher"}
    assert data["ledger_entries"] == []  # entries they recorded are about their students, not them
    assert [e["format"] for e in exports(teacher.id)] == ["json"]


def test_without_a_login_there_is_no_export(client, college):
    assert_problem(client.get("/api/v1/me/data"), 401)
    assert_problem(client.get("/api/v1/me/data.pdf"), 401)
