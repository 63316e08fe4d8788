"""企业微信 (WeCom) and 钉钉 (DingTalk) end to end, each against a loopback server that implements
the vendor's token and message endpoints and checks what it receives (tests/channel_servers.py):
a red warning arrives once on each channel with the neutral lock-screen text and a link; quiet
hours, the digest and the budget hold it as they hold Web Push; 5xx, "system busy" and timeouts
are retried, invalid users fail for good; an expired token is refreshed and the message sent
once; two workers send each message once; secrets never come back; a duplicate id is a 422."""
import io
import json
import os
import threading
from datetime import datetime, time, timedelta, timezone

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from backend.extensions import db
from backend.models import (
    AuditEvent,
    ChannelAccount,
    ChannelConfig,
    ChannelDelivery,
    Notification,
    ScoreEntry,
    StudentWarning,
    User,
)
from backend.notify import channels, notifications, push
from backend.notify.channels import settings
from tests.channel_servers import DingTalkServer, WeComServer
from tests.helpers import TODAY, assert_problem, build_college, login, run_worker, upload_roster, writing
from tests.push_endpoint import PushEndpoint

SHANGHAI = timezone(timedelta(hours=8))
APP_URL = "https://spiral.example.edu.cn"
WECOM = {"app_id": "ww1234567890abcdef", "secret": "wecom-secret-0123456789-tail", "agent_id": "1000002"}
DING = {"app_id": "dingabcdefghijkl", "secret": "ding-secret-9876543210-WXYZ", "agent_id": "2048"}


@pytest.fixture
def college(app):
    app.config.update(CHANNEL_BACKOFF=(0, 0, 0, 0), PUSH_BACKOFF=(0, 0, 0, 0), APP_URL=APP_URL)
    return build_college(students=60)


@pytest.fixture
def wecom(app):
    server = WeComServer(WECOM["app_id"], WECOM["secret"], WECOM["agent_id"], users={"ht-wecom", "c-wecom"})
    app.config.update(WECOM_CORP_ID=WECOM["app_id"], WECOM_SECRET=WECOM["secret"], WECOM_AGENT_ID=WECOM["agent_id"],
                      WECOM_API_BASE=server.base)
    yield server
    server.close()


@pytest.fixture
def dingtalk(app):
    server = DingTalkServer(DING["app_id"], DING["secret"], DING["agent_id"], users={"ht-ding"})
    app.config.update(DINGTALK_APP_KEY=DING["app_id"], DINGTALK_APP_SECRET=DING["secret"],
                      DINGTALK_AGENT_ID=DING["agent_id"], DINGTALK_API_BASE=server.base)
    yield server
    server.close()


def user(account) -> User:
    return db.session.scalar(select(User).where(User.username == account["username"]))


def link(client, admin, account_or_id, **ids):
    user_id = account_or_id if isinstance(account_or_id, int) else user(account_or_id).id
    response = client.put(f"/api/v1/channel-accounts/{user_id}", headers=admin, json=ids)
    assert response.status_code == 200, response.json
    return response.json


def rows(**where) -> list[ChannelDelivery]:
    db.session.expire_all()
    query = select(ChannelDelivery).order_by(ChannelDelivery.id)
    for key, value in where.items():
        query = query.where(getattr(ChannelDelivery, key) == value)
    return db.session.scalars(query).all()


def alert(user_id, level="red", at=None, warning_id=None, url="/#/inbox"):
    n = notifications.send([user_id], kind="warning", level=level, title="t", body="b", url=url, now=at,
                           warning_id=warning_id)[0]
    db.session.commit()
    return n


def test_a_red_warning_reaches_wecom_dingtalk_and_web_push_once_each_without_names(app, client, college, wecom,
                                                                                 dingtalk):
    keys = push.generate_keys()  # into the config, not the shared instance folder: test_push expects none there
    os.unlink(os.path.join(app.config["INSTANCE_PATH"], "vapid.json"))
    app.config.update(VAPID_PRIVATE_KEY=keys["private_key"], VAPID_PUBLIC_KEY=keys["public_key"])
    endpoint = PushEndpoint()
    app.config["PUSH_ALLOWED_ORIGINS"] = (endpoint.origin,)
    try:
        admin, head = login(client, college["school_admin"]), login(client, college["head_teacher"])
        link(client, admin, college["head_teacher"], wecom="HT-WeCom", dingtalk="ht-ding")  # WeCom ids: any case
        assert client.post("/api/v1/push/subscriptions", headers=head, json=endpoint.subscription()).status_code == 201
        student = user(college["student"])
        entered = client.post("/api/v1/entries", headers=writing(head), json={
            "point": "S-A-09", "period": "term", "entries": [{"student_id": student.id, "value": 30}]})
        assert entered.status_code == 201
        run_worker(app)  # evaluates the class; the notifications jobs send push and channel messages
        run_worker(app)  # a second run sends nothing twice

        warning_id = client.get("/api/v1/warnings", headers=head).json[0]["id"]
        link_url = f"{APP_URL}/#/warnings/{warning_id}"
        (card,) = wecom.messages_to("ht-wecom")
        assert card["touser"] == "ht-wecom" and card["agentid"] == 1000002 and card["msgtype"] == "textcard"
        assert card["textcard"]["description"] == "有一条红色预警需要您处理" and card["textcard"]["url"] == link_url
        (note,) = dingtalk.messages_to("ht-ding")
        assert note["agent_id"] == 2048 and note["msg"]["msgtype"] == "action_card"
        assert note["msg"]["action_card"]["markdown"] == "有一条红色预警需要您处理"
        assert note["msg"]["action_card"]["single_url"] == link_url
        assert len(endpoint.received) == 1 and endpoint.received[0]["payload"]["url"] == f"/#/warnings/{warning_id}"
        for message in (card, note):
            text = json.dumps(message, ensure_ascii=False)
            for secret in (student.display_name, student.username, "学业", "academic", "S-A-09"):
                assert secret not in text
        assert wecom.refused == [] and dingtalk.refused == [] and wecom.token_requests == dingtalk.token_requests == 1
        assert {(r.channel, r.state, r.attempts) for r in rows()} == {("wecom", "sent", 1), ("dingtalk", "sent", 1)}
    finally:
        endpoint.close()


def test_an_unlinked_user_or_an_unconfigured_channel_gets_nothing(app, client, college, wecom):
    admin = login(client, college["school_admin"])
    head, counsellor = user(college["head_teacher"]), user(college["counsellor"])
    link(client, admin, college["head_teacher"], wecom="ht-wecom", dingtalk="ht-ding")  # DingTalk not configured
    linked, unlinked = alert(head.id), alert(counsellor.id)
    assert (linked.push, unlinked.push) == ("now", "none")  # no device, no channel: the inbox is where it waits
    assert [(r.notification_id, r.channel) for r in rows()] == [(linked.id, "wecom")]
    assert channels.deliver_due() == {"sent": 1, "retry": 0, "failed": 0}
    assert [m["user"] for m in wecom.received] == ["ht-wecom"]


def test_quiet_hours_hold_it_and_the_digest_carries_yellow_ones_as_for_push(app, client, college, wecom):
    def at(days: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(TODAY + timedelta(days=days), time(hour, minute), SHANGHAI)

    admin = login(client, college["school_admin"])
    me = user(college["head_teacher"])
    link(client, admin, college["head_teacher"], wecom="ht-wecom")
    notifications.update_preferences(me.id, {"quiet_from": 22, "quiet_until": 7, "digest": True, "digest_hour": 17})
    night = at(0, 23, 30)
    held, urgent, low = alert(me.id, "orange", night), alert(me.id, "red", night), alert(me.id, "yellow", night)
    assert (held.push, urgent.push, low.push) == ("quiet", "now", "digest")
    morning = at(1, 7)
    assert {r.notification_id: r.due_at for r in rows()} == {held.id: morning, urgent.id: night}

    assert channels.deliver_due(night) == {"sent": 1, "retry": 0, "failed": 0}  # red at once
    assert channels.deliver_due(morning - timedelta(minutes=1))["sent"] == 0  # orange waits for the morning
    assert channels.deliver_due(morning)["sent"] == 1
    assert notifications.send_digests(at(1, 17, 5)) == 1
    db.session.commit()
    assert channels.deliver_due(at(1, 17, 5))["sent"] == 1
    texts = [m["body"]["textcard"]["description"] for m in wecom.received]
    assert texts == ["有一条红色预警需要您处理", "有一条橙色预警需要您处理", "您的今日提醒汇总"]
    assert wecom.received[-1]["body"]["textcard"]["url"] == f"{APP_URL}/#/inbox"

    noon = at(2, 12)
    modes = [alert(me.id, "orange", noon + timedelta(minutes=i)).push for i in range(app.config["PUSH_DAILY_BUDGET"] + 1)]
    assert modes == ["now"] * app.config["PUSH_DAILY_BUDGET"] + ["digest"]  # the same daily budget as push


def test_5xx_busy_and_timeouts_are_retried_invalid_users_fail_for_good(app, client, college, wecom, dingtalk):
    # Only this test is about timeouts: long enough that a loaded CI machine's ordinary loopback
    # answer never passes it (0.5 s once did: an extra retry), far shorter than the hang.
    app.config["CHANNEL_TIMEOUT"] = 2.5
    wecom.hang_seconds = 4
    admin = login(client, college["school_admin"])
    head, counsellor = user(college["head_teacher"]), user(college["counsellor"])
    teacher = user(college["course_teacher"])
    link(client, admin, head.id, wecom="ht-wecom", dingtalk="ht-ding")
    link(client, admin, counsellor.id, wecom="c-wecom", dingtalk="left-the-school")
    link(client, admin, teacher.id, wecom="not-in-app-scope")
    wecom.script["ht-wecom"] = [500]  # a 5xx, then success
    dingtalk.script["ht-ding"] = [-1]  # DingTalk's "system busy", then success
    wecom.script["c-wecom"] = ["hang"]  # a timeout, then success
    for who in (head, counsellor, teacher):
        alert(who.id)
    totals = channels.deliver_due()
    assert totals == {"sent": 3, "retry": 3, "failed": 2}

    outcome = {(r.channel, r.notification.user_id): (r.state, r.attempts, r.last_status) for r in rows()}
    assert outcome == {("wecom", head.id): ("sent", 2, "ok"), ("dingtalk", head.id): ("sent", 2, outcome[("dingtalk", head.id)][2]),
                       ("wecom", counsellor.id): ("sent", 2, "ok"),
                       ("dingtalk", counsellor.id): ("failed", 1, "errcode 33012"),  # 无效的USERID
                       ("wecom", teacher.id): ("failed", 1, "errcode 81013")}  # not in the app's visible range
    assert outcome[("dingtalk", head.id)][2].startswith("ok")
    assert [m["user"] for m in wecom.received].count("ht-wecom") == 1 and wecom.attempts["ht-wecom"] == 2
    assert [m["user"] for m in dingtalk.received] == ["ht-ding"] and dingtalk.attempts["ht-ding"] == 2
    assert channels.deliver_due() == {"sent": 0, "retry": 0, "failed": 0}  # a second run sends nothing twice

    wecom.script["ht-wecom"] = [503] * 9  # down for good: four retries with backoff, then given up
    alert(head.id)
    channels.deliver_due()
    assert (rows(channel="wecom")[-1].state, rows(channel="wecom")[-1].attempts) == ("failed", 5)


@pytest.mark.parametrize("channel", ["wecom", "dingtalk"])
def test_an_expired_token_is_refreshed_and_the_message_sent_once(app, client, college, wecom, dingtalk, channel):
    server, uid = (wecom, "ht-wecom") if channel == "wecom" else (dingtalk, "ht-ding")
    admin = login(client, college["school_admin"])
    me = user(college["head_teacher"])
    link(client, admin, me.id, **{channel: uid})
    alert(me.id)
    channels.deliver_due()
    alert(me.id)
    channels.deliver_due()
    assert server.token_requests == 1  # cached (in Redis, for every worker) until it expires
    server.expire_tokens()  # the vendor now answers 42001: refresh, then send once
    alert(me.id)
    channels.deliver_due()
    assert server.token_requests == 2 and len(server.messages_to(uid)) == 3
    assert [(r.state, r.attempts) for r in rows()] == [("sent", 1)] * 3
    assert server.stale == 1 and server.attempts[uid] == 3  # one refused for its token, then sent once
    assert server.refused == []


def test_two_workers_draining_at_once_send_each_message_once(app, client, college, wecom, dingtalk):
    wecom.latency = dingtalk.latency = 0.02  # so the workers overlap
    admin = login(client, college["school_admin"])
    me = user(college["head_teacher"])
    link(client, admin, me.id, wecom="ht-wecom", dingtalk="ht-ding")
    for i in range(30):
        alert(me.id, url=f"/#/warnings/{i}")
    totals, start = [], threading.Barrier(2)

    def worker():
        with app.app_context():
            start.wait()
            totals.append(channels.deliver_due()["sent"])
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(totals) == 60
    assert len(wecom.received) == 30 and len(dingtalk.received) == 30
    for server in (wecom, dingtalk):
        urls = [json.dumps(m["body"]) for m in server.received]
        assert len(set(urls)) == 30  # each message once
    assert {(r.state, r.attempts) for r in rows()} == {("sent", 1)}


def test_pending_channel_messages_of_a_warning_are_cancelled(app, client, college, wecom):
    app.config["CHANNEL_BACKOFF"] = (600, 600, 600, 600)
    admin, head = login(client, college["school_admin"]), login(client, college["head_teacher"])
    link(client, admin, college["head_teacher"], wecom="ht-wecom")
    wecom.script["ht-wecom"] = [500]  # the first try fails: the message waits ten minutes for its retry
    student = user(college["student"])
    assert client.post("/api/v1/entries", headers=writing(head), json={
        "point": "S-A-09", "period": "term", "entries": [{"student_id": student.id, "value": 30}]}).status_code == 201
    run_worker(app)
    (pending,) = rows(channel="wecom")
    assert (pending.state, pending.attempts) == ("due", 1)
    warning_id = db.session.get(Notification, pending.notification_id).warning_id
    entry = db.session.scalar(select(ScoreEntry.id).where(ScoreEntry.student_id == student.id))
    db.session.rollback()
    assert client.post(f"/api/v1/entries/{entry}/reverse", headers=writing(head),
                       json={"reason": "录错学生"}).status_code == 201
    run_worker(app)  # the evidence is gone: the warning is withdrawn and its messages cancelled
    assert db.session.get(StudentWarning, warning_id).status == "withdrawn"
    later = pending.due_at + timedelta(hours=1)
    assert channels.deliver_due(later) == {"sent": 0, "retry": 0, "failed": 0}
    assert [r.state for r in rows(channel="wecom")] == ["cancelled"] and wecom.received == []


def test_settings_from_the_admin_screen_secrets_never_shown_back(app, client, college, wecom):
    for key in ("WECOM_CORP_ID", "WECOM_SECRET", "WECOM_AGENT_ID"):
        app.config[key] = ""
    admin = login(client, college["school_admin"])
    assert_problem(client.get("/api/v1/channels", headers=login(client, college["head_teacher"])), 403)
    listed = {c["channel"]: c for c in client.get("/api/v1/channels", headers=admin).json}
    assert listed["wecom"]["ready"] is False and listed["wecom"]["secret_set"] is False

    saved = client.put("/api/v1/channels/wecom", headers=admin, json=WECOM)
    assert saved.status_code == 200, saved.json
    assert saved.json["secret_set"] is True and saved.json["secret_hint"] == "…tail" and saved.json["ready"] is True
    kept = client.put("/api/v1/channels/wecom", headers=admin, json={"agent_id": WECOM["agent_id"], "secret": ""})
    assert kept.json["secret_set"] is True  # an empty secret keeps the stored one
    for response in (saved, kept, client.get("/api/v1/channels", headers=admin)):
        assert WECOM["secret"] not in response.get_data(as_text=True)
        assert WECOM["secret"][:-4] not in response.get_data(as_text=True)
    stored = db.session.get(ChannelConfig, "wecom")
    assert stored.secret and WECOM["secret"] not in stored.secret  # encrypted at rest
    audits = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "channel.configure")).all()
    assert len(audits) == 1 and "secret" in audits[0].detail and WECOM["secret"] not in audits[0].detail
    bad = client.put("/api/v1/channels/wecom", headers=admin, json={"agent_id": "12a"})
    assert "agent_id" in assert_problem(bad, 422)["errors"]
    assert_problem(client.put("/api/v1/channels/telegram", headers=admin, json={"agent_id": "1"}), 404)

    link(client, admin, college["head_teacher"], wecom="ht-wecom")  # the app's settings are used to send
    alert(user(college["head_teacher"]).id)
    assert channels.deliver_due()["sent"] == 1 and len(wecom.received) == 1
    assert settings.effective("wecom").source == "app"


def test_a_duplicate_id_is_a_422_naming_the_field_and_writes_nothing(app, client, college, wecom):
    admin = login(client, college["school_admin"])
    head, counsellor = user(college["head_teacher"]), user(college["counsellor"])
    link(client, admin, head.id, wecom="ht-wecom", dingtalk="ht-ding")
    taken = client.put(f"/api/v1/channel-accounts/{counsellor.id}", headers=admin,
                       json={"dingtalk": "c-ding", "wecom": "HT-WECOM"})  # WeCom ids ignore case
    body = assert_problem(taken, 422)
    assert list(body["errors"]) == ["wecom"] and head.username in body["errors"]["wecom"][0]
    assert "已关联" in body["errors"]["wecom"][0]
    assert db.session.scalars(select(ChannelAccount).where(ChannelAccount.user_id == counsellor.id)).all() == []
    bad = client.put(f"/api/v1/channel-accounts/{counsellor.id}", headers=admin, json={"dingtalk": "a b"})
    assert "dingtalk" in assert_problem(bad, 422)["errors"]
    found = client.get("/api/v1/channel-accounts", headers=admin, query_string={"q": head.username}).json
    assert found[0]["wecom"] == "ht-wecom" and found[0]["dingtalk"] == "ht-ding"
    cleared = link(client, admin, head.id, wecom=None, dingtalk="")
    assert (cleared["wecom"], cleared["dingtalk"]) == (None, None)
    assert link(client, admin, counsellor.id, wecom="ht-wecom")["wecom"] == "ht-wecom"  # free again


def staff_book(rows_) -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = "教职工"
    ws.append(["工号", "姓名", "所属系部", "角色", "范围", "企业微信账号", "钉钉账号"])
    for r in rows_:
        ws.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_roster_import_links_ids_all_or_nothing(app, client, college):
    admin = login(client, college["school_admin"])
    head = user(college["head_teacher"])
    cls = client.get("/api/v1/classes", headers=admin).json[0]["name"]
    ok = upload_roster(client, admin, staff_book([["T80001", "甲老师", "", "班主任", cls, "Jia.Laoshi", "ding001"],
                                                  ["T80002", "乙老师", "", "班主任", cls, "yi", ""]]))
    assert ok.status_code == 200, ok.json
    linked = {(a.channel, a.external_id) for a in db.session.scalars(select(ChannelAccount))}
    assert linked == {("wecom", "jia.laoshi"), ("dingtalk", "ding001"), ("wecom", "yi")}

    link(client, admin, head.id, wecom="ht-wecom")
    bad = upload_roster(client, admin, staff_book([["T80003", "丙老师", "", "班主任", cls, "bing", "ding001"],
                                                   ["T80004", "丁老师", "", "班主任", cls, "ding", "ding001"],
                                                   ["T80005", "戊老师", "", "班主任", cls, "HT-WECOM", ""]]))
    errors = assert_problem(bad, 422)["errors"]
    assert {(e["row"], e["column"]) for e in errors} == {(2, "钉钉账号"), (3, "钉钉账号"), (4, "企业微信账号")}
    assert any(head.username in e["message"] for e in errors)
    assert db.session.scalar(select(User).where(User.username == "T80003")) is None  # nothing imported
