"""Web Push end to end: pywebpush → a real push service on loopback that checks VAPID and
decrypts the message with the device's private key; the answers that delete, retry or fail a
delivery; and the alert budget (quiet hours, digest, daily budget, devices switched off)."""
import json
import os
import stat
from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import PushDelivery, PushSubscription, User
from backend.notify import notifications, push
from tests.helpers import assert_problem, build_college, calendar_dates, login, run_worker, writing
from tests.push_endpoint import PushEndpoint

SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture
def endpoint(app):
    server = PushEndpoint(hang_seconds=6)
    app.config["PUSH_ALLOWED_ORIGINS"] = (server.origin,)  # the test-only allowance for a loopback push service
    yield server
    server.close()


@pytest.fixture
def college(app, runner):
    app.config.update(PUSH_BACKOFF=(0, 0, 0, 0))
    assert runner.invoke(args=["push", "keys"]).exit_code == 0
    return build_college(students=60)


def user(account) -> User:
    return db.session.scalar(select(User).where(User.username == account["username"]))


def subscribe(client, headers, subscription, device="phone"):
    response = client.post("/api/v1/push/subscriptions", headers=headers, json={**subscription, "device": device})
    assert response.status_code == 201, response.json
    return response.json


def test_vapid_keys_come_from_the_cli_into_the_instance_folder(app, client, runner):
    assert_problem(client.get("/api/v1/push/key"), 503)
    result = runner.invoke(args=["push", "keys"])
    path = os.path.join(app.config["INSTANCE_PATH"], "vapid.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    key = client.get("/api/v1/push/key").json["public_key"]
    assert result.output.strip() == key and len(key) == 87  # 65-byte uncompressed P-256 point, base64url
    assert runner.invoke(args=["push", "keys"]).output.strip() == key  # kept, not replaced
    assert runner.invoke(args=["push", "keys", "--rotate"]).output.strip() != key
    os.unlink(path)


def test_a_red_warning_reaches_every_device_encrypted_signed_and_without_names(app, client, college, endpoint):
    head = login(client, college["head_teacher"])
    for device in ("phone", "tablet"):
        subscribe(client, head, endpoint.subscription(), device)
    student = user(college["student"])
    entered = client.post("/api/v1/entries", headers=writing(head), json={
        "point": "S-A-09", "period": "term", "entries": [{"student_id": student.id, "value": 30}]})
    assert entered.status_code == 201
    run_worker(app)  # evaluates the class, then the notifications job sends the pushes

    assert endpoint.refused == [] and len(endpoint.received) == 2
    warning_id = client.get("/api/v1/warnings", headers=head).json[0]["id"]
    for message in endpoint.received:
        headers, payload = message["headers"], message["payload"]
        assert headers["urgency"] == "high" and int(headers["ttl"]) >= 3600 and headers["topic"] == f"w{warning_id}"
        assert payload["url"] == f"/#/warnings/{warning_id}" and message["size"] < 3072
        text = json.dumps(payload, ensure_ascii=False)
        for secret in (student.display_name, student.username, "学业", "academic", "S-A-09"):
            assert secret not in text
    devices = client.get("/api/v1/push/subscriptions", headers=head).json
    assert all(d["last_sent_at"] for d in devices)


def test_push_service_answers_delete_retry_or_fail_each_device(app, client, college, endpoint):
    # Short enough that the "hang" answer times out; the other tests keep the default, since a
    # timeout with no backoff is a retry, and a retry sends the message again.
    app.config["PUSH_TIMEOUT"] = 2
    head = login(client, college["head_teacher"])
    answers = {"gone404": [404], "gone410": [410], "too-big": [413], "busy": [429], "flaky": [500, 503],
               "slow": ["hang"], "down": [500] * 9}
    for device, script in answers.items():
        subscribe(client, head, endpoint.subscription(script), device)
    notifications.send([user(college["head_teacher"]).id], kind="warning", level="red", title="t", body="b",
                       url="/#/inbox")
    db.session.commit()
    totals = push.deliver_due()
    assert totals["gone"] == 2

    left = {d["device"] for d in client.get("/api/v1/push/subscriptions", headers=head).json}
    assert left == set(answers) - {"gone404", "gone410"}  # 404 and 410 delete the subscription
    rows = {d.subscription.device: d for d in db.session.scalars(select(PushDelivery))}
    outcome = {device: (d.state, d.attempts) for device, d in rows.items()}
    assert outcome == {"too-big": ("failed", 1), "busy": ("sent", 2), "flaky": ("sent", 3), "slow": ("sent", 2),
                       "down": ("failed", 5)}  # four retries with backoff, then given up
    assert rows["slow"].last_status == "201"
    assert len(endpoint.received) == 3 and endpoint.refused == []
    assert push.deliver_due() == {"sent": 0, "retry": 0, "failed": 0, "gone": 0}  # a second run sends nothing twice


@calendar_dates
def test_alert_budget_quiet_hours_digest_and_devices_switched_off(app, client, college, endpoint, today):
    def at(days: int, hour: int, minute: int = 0) -> datetime:
        """School time, `days` after the test's date."""
        return datetime.combine(today + timedelta(days=days), time(hour, minute), SHANGHAI)

    head = login(client, college["head_teacher"])
    me = user(college["head_teacher"])
    phone = subscribe(client, head, endpoint.subscription(), "phone")
    tablet = subscribe(client, head, endpoint.subscription(), "tablet")
    assert client.patch(f"/api/v1/push/subscriptions/{tablet['id']}", headers=head,
                        json={"enabled": False}).json["enabled"] is False
    half = client.put("/api/v1/me/notification-settings", headers=head, json={"quiet_from": 22})
    assert "quiet_until" in assert_problem(half, 422)["errors"]
    settings = client.put("/api/v1/me/notification-settings", headers=head,
                          json={"quiet_from": 22, "quiet_until": 7, "digest": True, "digest_hour": 17})
    assert settings.json == {"quiet_from": 22, "quiet_until": 7, "digest": True, "digest_hour": 17}

    def alert(level, at):
        return notifications.send([me.id], kind="warning", level=level, title="t", body="b", url="/", now=at)[0]

    night = at(0, 23, 30)
    held, urgent, low = alert("orange", night), alert("red", night), alert("yellow", night)
    db.session.commit()
    assert (held.push, urgent.push, low.push) == ("quiet", "now", "digest")
    due = {n: [d.due_at for d in db.session.scalars(select(PushDelivery).where(PushDelivery.notification_id == n))]
           for n in (held.id, urgent.id, low.id)}
    morning = at(1, 7)
    assert due == {held.id: [morning], urgent.id: [night], low.id: []}  # the switched-off tablet gets nothing

    assert notifications.send_digests(at(1, 16)) == 0  # before the digest hour
    assert notifications.send_digests(at(1, 17, 5)) == 1
    assert notifications.send_digests(at(1, 18, 5)) == 0  # once a day
    db.session.commit()
    push.deliver_due(morning + timedelta(days=1))
    bodies = [m["payload"]["body"] for m in endpoint.received]
    assert len(bodies) == 3 and any("汇总" in b for b in bodies)  # zh-CN: no one chose a language
    assert {m["device"] for m in endpoint.received} == {phone["endpoint"].rsplit("/", 1)[1]}

    noon = at(2, 12)
    modes = [alert("orange", noon + timedelta(minutes=i)).push for i in range(app.config["PUSH_DAILY_BUDGET"] + 1)]
    assert modes == ["now"] * app.config["PUSH_DAILY_BUDGET"] + ["digest"]  # past the daily budget
    assert alert("red", noon + timedelta(hours=1)).push == "now"  # red always pushes
    assert client.delete(f"/api/v1/push/subscriptions/{phone['id']}", headers=head).status_code == 204
    assert db.session.get(PushSubscription, phone["id"]) is None
