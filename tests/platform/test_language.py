"""One language per answer: the user's setting, else the device's Accept-Language, else zh-CN.
Server text is written "中文 / English"; platform/language.py picks one half where answers are
rendered (problem documents and their field errors, the inbox, push payloads)."""
import json

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import User
from backend.notify import notifications, push
from backend.platform import language, queue
from tests.helpers import assert_problem, build_college, login, run_worker, upload_roster
from tests.org.test_roster_hostile import messy, student

EN = {"Accept-Language": "en-GB,en;q=0.9"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}


@pytest.mark.parametrize(("text", "halves"), [
    ("请求数据有误 / Invalid request data", ("请求数据有误", "Invalid request data")),
    ("张三 · 缺课预警 / 张三 · Absences", ("张三 · 缺课预警", "张三 · Absences")),  # a Chinese name in English
    ("学号 / 工号不正确 / Wrong student / staff number", ("学号 / 工号不正确", "Wrong student / staff number")),
    ("学号 / 工号", None),            # Chinese on both sides: a label, not a pair
    ("已答 3 / 20", None),            # a fraction
    ("/api/v1/me / x", None),         # a path
    ("a / b", None),
    ("Invalid / 无效", None),         # English first is not how Spiral writes
    ("", None),
])
def test_only_a_real_bilingual_pair_is_split(text, halves):
    assert language.split(text) == halves
    assert language.pick(text, "zh-CN") == (halves[0] if halves else text)
    assert language.pick(text, "en") == (halves[1] if halves else text)


def test_nested_values_are_picked_and_a_suffix_goes_on_both_halves():
    problem = {"title": "计划不完整 / The plan is incomplete", "status": 422,
               "errors": {"goals.A": ["每个部分至少一个目标 / Every part needs a goal."],
                          "rows": [{"row": 3, "message": "姓名为空 / The name is empty"}]}}
    assert language.localise(problem, "en") == {
        "title": "The plan is incomplete", "status": 422,
        "errors": {"goals.A": ["Every part needs a goal."], "rows": [{"row": 3, "message": "The name is empty"}]}}
    assert language.localise(problem, "zh-CN")["errors"]["rows"][0]["message"] == "姓名为空"
    assert language.extend("本周已录入 / Already recorded", " (student_id 7)") == \
        "本周已录入 (student_id 7) / Already recorded (student_id 7)"


def test_a_problem_is_in_the_devices_language_until_the_user_chooses(client):
    accounts = build_college(students=20)
    wrong = {"username": accounts["student"]["username"], "password": "wrong"}
    assert assert_problem(client.post("/api/v1/auth/login", json=wrong), 401)["title"] == "用户名或密码错误"
    assert assert_problem(client.post("/api/v1/auth/login", json=wrong, headers=EN), 401)["title"] == \
        "Wrong username or password"
    assert assert_problem(client.get("/api/v1/nothing-here", headers=EN), 404)["title"] == "Not Found"
    assert assert_problem(client.get("/api/v1/nothing-here"), 404)["title"] == "未找到"

    student = login(client, accounts["student"])
    short = {"current_password": accounts["student"]["password"], "new_password": "short"}
    zh = assert_problem(client.post("/api/v1/auth/password", headers={**student, **ZH}, json=short), 422)
    en = assert_problem(client.post("/api/v1/auth/password", headers={**student, **EN}, json=short), 422)
    assert zh["title"] == "请求数据有误" and en["title"] == "Invalid request data"
    assert "个字符" in zh["errors"]["new_password"][0] and " / " not in zh["errors"]["new_password"][0]
    assert en["errors"]["new_password"][0].startswith("Use ")

    # The user's own setting wins over what the device asks for; null hands it back to the device.
    assert client.get("/api/v1/me", headers=student).json["locale"] is None
    assert client.patch("/api/v1/me", headers={**student, **ZH}, json={"locale": "en"}).json["locale"] == "en"
    chosen = assert_problem(client.post("/api/v1/auth/password", headers={**student, **ZH}, json=short), 422)
    assert chosen["title"] == "Invalid request data"
    assert client.patch("/api/v1/me", headers=student, json={"locale": None}).json["locale"] is None
    assert assert_problem(client.post("/api/v1/auth/password", headers={**student, **ZH}, json=short), 422)[
        "title"] == "请求数据有误"
    assert_problem(client.patch("/api/v1/me", headers=student, json={"locale": "fr"}), 422)


def test_a_notification_reaches_each_recipient_in_their_language(client):
    accounts = build_college(students=20)
    users = {role: db.session.scalar(select(User).where(User.username == accounts[role]["username"]))
             for role in ("head_teacher", "counsellor")}
    users["counsellor"].language = "en"
    [note, _] = notifications.send([users["head_teacher"].id, users["counsellor"].id], kind="review", level=None,
                                   title="有一份计划等待审阅 / A plan awaits review", body="请查看 / Please look",
                                   url="/#/inbox")
    db.session.commit()

    head = login(client, accounts["head_teacher"])
    [item] = client.get("/api/v1/notifications", headers=head).json["items"]
    assert (item["title"], item["body"]) == ("有一份计划等待审阅", "请查看")
    [item] = client.get("/api/v1/notifications", headers={**head, **EN}).json["items"]
    assert (item["title"], item["body"]) == ("A plan awaits review", "Please look")
    counsellor = login(client, accounts["counsellor"])
    [item] = client.get("/api/v1/notifications", headers={**counsellor, **ZH}).json["items"]
    assert item["title"] == "A plan awaits review"  # their setting

    # A push is sent outside any request: the lock-screen text follows the recipient's setting.
    assert json.loads(push.payload(note, None))["body"] == "有一份计划或自我诊断等待您审阅"
    assert json.loads(push.payload(note, "en"))["body"] == "A plan or self-diagnosis awaits your review"


def test_a_roster_jobs_problem_is_read_in_the_importers_language(app, client):
    """The job runs outside any request and keeps its problem in both languages; the status answers in one."""
    app.config["ROSTER_JOB_ACCOUNTS"] = 5
    admin = login(client, build_college(students=20)["school_admin"])
    job = upload_roster(client, admin, messy([student(i) for i in range(1, 11)])).json
    for key in queue.redis_connection().scan_iter("spiral:roster-upload:*"):
        queue.redis_connection().delete(key)  # the upload expired before a worker took the job
    run_worker(app)
    zh = client.get(job["status_url"], headers=admin).json
    en = client.get(job["status_url"], headers={**admin, **EN}).json
    assert zh["status"] == en["status"] == "refused"
    assert (zh["problem"]["title"], en["problem"]["title"]) == ("上传的文件已过期", "The uploaded file has expired")
