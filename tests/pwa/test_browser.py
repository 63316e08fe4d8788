"""The PWA in real headless Chromium (Debian's, driven by Playwright)."""
import json
import re
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from backend import demo
from backend.alerts import warnings
from backend.extensions import db
from backend.models import (
    ClassGroup,
    Notification,
    StudentProfile,
    StudentWarning,
    User,
)
from backend.notify import push
from backend.org import directory
from backend.platform import clock
from backend.reporting import rollups
from backend.valuecard import ledger
from tests.conftest import PHONE, make_app
from tests.helpers import build_college
from tests.servers import free_port

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def serve(instance, redis_url: str, history: bool = False, prepare=None):
    """The app on a fresh SQLite database, served on a free port: (base URL, accounts, stop).
    `prepare(accounts)` runs in the app before it serves, for data a test needs."""
    app = make_app(f"sqlite:///{instance}/live.db", instance, redis_url)
    with app.app_context():
        upgrade()
        accounts = build_college(students=120)
        if history:  # scores so far this term, rolled up as the jobs would
            demo.fill_history(clock.school_today())
            rollups.rebuild(directory.current_term(clock.school_today()))
            db.session.commit()
        if prepare:
            prepare(accounts)
        db.session.remove()
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}", accounts, server.shutdown


@pytest.fixture(scope="module")
def live(tmp_path_factory, redis_server):
    base, accounts, stop = serve(tmp_path_factory.mktemp("live"), redis_server.url)
    yield base, accounts
    stop()


def log_in(page, base, account):
    page.goto(base + "/")
    page.fill("#username", account["username"])
    page.fill("#password", account["password"])
    page.click("button[type=submit]")


def test_student_and_head_teacher_see_their_homes(live, phone):
    base, accounts = live
    ARTIFACTS.mkdir(exist_ok=True)
    page = phone.new_page()
    log_in(page, base, accounts["student"])
    expect(page.get_by_test_id("home-student")).to_be_visible()
    expect(page.get_by_test_id("my-class")).to_contain_text("班")
    expect(page.get_by_text("发展储值卡")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    page.screenshot(path=str(ARTIFACTS / "home-student-390x844.png"))

    page.get_by_text("退出登录").click()
    expect(page.locator("#username")).to_be_visible()
    log_in(page, base, accounts["head_teacher"])
    expect(page.get_by_test_id("home-head_teacher")).to_be_visible()
    expect(page.get_by_test_id("class-list").locator("li")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "home-head-teacher-390x844.png"))


def test_student_sees_a_scored_point_on_the_card(live, browser):
    base, accounts = live
    staff = browser.new_context(base_url=base).request
    token = staff.post("/api/v1/auth/login", data={"username": accounts["head_teacher"]["username"],
                                                   "password": accounts["head_teacher"]["password"]}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    me = next(s for s in staff.get("/api/v1/classes/1/students", headers=headers).json()
              if s["username"] == accounts["student"]["username"])
    answer = staff.post("/api/v1/entries", headers={**headers, "Idempotency-Key": "browser-test-0001"},
                        data={"point": "S-A-09", "entries": [{"student_id": me["id"], "value": 85}]})
    assert answer.status == 201, answer.text()
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, base, accounts["student"])
    expect(page.get_by_test_id("card-total")).to_contain_text("75")
    page.get_by_test_id("card-link").click()   # the whole card: subtotals, entries, months
    expect(page.get_by_test_id("subtotal-academic")).to_contain_text("75")
    page.screenshot(path=str(ARTIFACTS / "card-student-390x844.png"))
    context.close()


def test_session_survives_a_reload_without_storing_tokens(live, phone):
    base, accounts = live
    page = phone.new_page()
    log_in(page, base, accounts["student"])
    expect(page.get_by_test_id("home-student")).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("home-student")).to_be_visible()
    stored = page.evaluate("JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie")
    assert "eyJ" not in stored  # no JWT readable by scripts: the refresh token is HttpOnly


def test_wrong_password_shows_the_problem(live, phone):
    base, accounts = live
    page = phone.new_page()
    log_in(page, base, {"username": accounts["student"]["username"], "password": "wrong"})
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")


def test_english_switch(live, phone):
    base, _ = live
    page = phone.new_page()
    page.goto(base + "/")
    page.click("#lang")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_installable_and_works_offline(live, phone):
    base, _ = live
    page = phone.new_page()
    page.goto(base + "/")
    manifest = json.loads(page.evaluate("fetch('/manifest.webmanifest').then(r => r.text())"))
    assert manifest["lang"] == "zh-CN" and manifest["display"] == "standalone"
    assert {"192x192", "512x512"} <= {i["sizes"] for i in manifest["icons"]}
    # A predicate that returns a Promise is truthy at once, so wait_for_function would not wait:
    # poll a plain value (the worker controls this page), then await the cache in evaluate.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    assert page.evaluate("caches.match('/').then((hit) => hit !== undefined)")  # the shell is cached
    phone.set_offline(True)
    page.reload()
    expect(page.locator("#username")).to_be_visible()  # the shell came from the cache
    phone.set_offline(False)


@pytest.mark.parametrize("width", [360, 414])
def test_school_admin_home_fits_small_and_large_phones(live, browser, width):
    base, accounts = live
    context = browser.new_context(viewport={"width": width, "height": 800}, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, base, accounts["school_admin"])
    expect(page.get_by_test_id("home-school_admin")).to_be_visible()
    page.get_by_test_id("catalogue-link").click()
    expect(page.get_by_text("采分点目录")).to_be_visible()
    page.get_by_text("学业发展 · 16").click()  # 11 individual + 5 class academic points
    expect(page.locator("summary", has_text="S-A-03 全勤率（未旷课）")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()


def staff_api(browser, base, account):
    """An API client for checking, behind the page's back, what the server holds."""
    request = browser.new_context(base_url=base).request
    token = request.post("/api/v1/auth/login", data={"username": account["username"],
                                                     "password": account["password"]}).json()["access_token"]
    return request, {"Authorization": f"Bearer {token}"}


def test_student_checks_in_with_the_code_on_the_teachers_phone(live, browser):
    base, accounts = live
    teacher_ctx = browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN")
    student_ctx = browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN")
    teacher, student = teacher_ctx.new_page(), student_ctx.new_page()
    log_in(teacher, base, accounts["course_teacher"])
    teacher.get_by_test_id("session-open").click()
    code = teacher.get_by_test_id("checkin-code")
    expect(code).to_have_text(re.compile(r"^\d{6}$"))
    teacher.screenshot(path=str(ARTIFACTS / "session-teacher-390x844.png"))

    log_in(student, base, accounts["student"])
    expect(student.get_by_test_id("checkin-input")).to_be_visible()
    student.get_by_test_id("checkin-input").fill("000000" if code.inner_text() != "000000" else "111111")
    student.get_by_test_id("checkin-submit").click()
    expect(student.get_by_test_id("checkin-result")).to_contain_text("签到码")   # a wrong code is refused clearly
    student.get_by_test_id("checkin-input").fill(code.inner_text())
    student.get_by_test_id("checkin-submit").click()
    expect(student.get_by_test_id("checkin-result")).to_contain_text("签到成功")
    student.screenshot(path=str(ARTIFACTS / "checkin-student-390x844.png"))

    teacher.get_by_test_id("session-refresh").click()
    expect(teacher.get_by_test_id("session-counts")).to_contain_text("到课 1")
    teacher.get_by_test_id("session-close").click()
    expect(teacher.get_by_test_id("session-counts")).to_contain_text("未标记 0")
    assert teacher.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    teacher_ctx.close()
    student_ctx.close()


def open_entry(page):
    page.get_by_test_id("entry-link").click()


def fill_grid(page, point, value):
    page.get_by_test_id("grid-point").select_option(point)
    fill = page.get_by_placeholder("全部填为…")
    fill.fill(str(value))
    fill.dispatch_event("change")


def entries_of(request, headers, student_id, point):
    return [e for e in request.get(f"/api/v1/students/{student_id}/entries", headers=headers).json()
            if e["point"] == point]


def test_head_teacher_scores_the_whole_class_from_the_phone(live, browser, phone):
    base, accounts = live
    request, headers = staff_api(browser, base, accounts["head_teacher"])
    roster = request.get("/api/v1/classes/1/students", headers=headers).json()
    page = phone.new_page()
    log_in(page, base, accounts["head_teacher"])
    open_entry(page)
    fill_grid(page, "S-A-07", 5)
    page.screenshot(path=str(ARTIFACTS / "grid-head-teacher-390x844.png"), full_page=True)
    page.get_by_test_id("grid-submit").click()
    expect(page.get_by_test_id("grid-result")).to_have_text(f"已保存 {len(roster)} 条。")
    assert [e["value"] for e in entries_of(request, headers, roster[0]["id"], "S-A-07")] == [5]
    fill_grid(page, "S-A-07", 6)   # the same month again: refused whole, with the reason
    page.get_by_test_id("grid-submit").click()
    expect(page.get_by_test_id("grid-result")).to_contain_text("未保存")
    expect(page.get_by_test_id(f"row-message-{roster[0]['id']}")).to_contain_text("该期间已有记录")


def test_offline_scores_wait_in_the_outbox_and_are_sent_once(live, browser, phone):
    base, accounts = live
    request, headers = staff_api(browser, base, accounts["head_teacher"])
    roster = request.get("/api/v1/classes/1/students", headers=headers).json()
    page = phone.new_page()
    log_in(page, base, accounts["head_teacher"])
    open_entry(page)
    fill_grid(page, "S-A-08", 3)
    phone.set_offline(True)
    page.get_by_test_id("grid-submit").click()
    expect(page.get_by_test_id("grid-result")).to_contain_text("已离线保存")
    expect(page.get_by_test_id("pending")).to_have_text("待同步 1")
    assert entries_of(request, headers, roster[0]["id"], "S-A-08") == []
    page.screenshot(path=str(ARTIFACTS / "outbox-pending-390x844.png"))

    phone.set_offline(False)            # the `online` event replays the outbox
    expect(page.get_by_test_id("pending")).to_be_hidden()
    page.evaluate("import(document.querySelector('script[type=module]').src.replace('app.js', 'outbox.js')).then((o) => Promise.all([o.replay(), o.replay()]))")
    page.evaluate("location.hash = '#/'")
    page.reload()                       # app start replays again: nothing left to send
    expect(page.get_by_test_id("home-head_teacher")).to_be_visible()
    for student in roster:
        assert [e["value"] for e in entries_of(request, headers, student["id"], "S-A-08")] == [3]


def test_a_write_whose_answer_was_lost_is_replayed_and_counts_once(live, browser, phone):
    base, accounts = live
    request, headers = staff_api(browser, base, accounts["head_teacher"])
    roster = request.get("/api/v1/classes/1/students", headers=headers).json()
    page = phone.new_page()
    log_in(page, base, accounts["head_teacher"])

    def lose_the_answer(route):
        route.fetch()   # the server records the batch...
        route.abort()   # ...but the phone never hears back

    page.route("**/api/v1/entries", lose_the_answer)
    open_entry(page)
    fill_grid(page, "S-A-11", 88)
    page.get_by_test_id("grid-submit").click()
    expect(page.get_by_test_id("pending")).to_have_text("待同步 1")
    assert len(entries_of(request, headers, roster[0]["id"], "S-A-11")) == 1
    page.unroute("**/api/v1/entries")
    page.evaluate("import(document.querySelector('script[type=module]').src.replace('app.js', 'outbox.js')).then((o) => o.replay())")
    expect(page.get_by_test_id("pending")).to_be_hidden()
    for student in roster:
        assert [e["value"] for e in entries_of(request, headers, student["id"], "S-A-11")] == [88]


def test_department_admin_reads_the_department_report_and_downloads_it(tmp_path_factory, redis_server, browser):
    base, accounts, stop = serve(tmp_path_factory.mktemp("reports"), redis_server.url, history=True)
    try:
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, locale="zh-CN",
                                      accept_downloads=True)
        page = context.new_page()
        log_in(page, base, accounts["dept_admin"])
        expect(page.get_by_test_id("home-dept_admin")).to_be_visible()
        page.get_by_test_id("reports-link").click()
        expect(page.get_by_text("系部报表")).to_be_visible()
        expect(page.get_by_test_id("report-students")).not_to_have_text("0")
        chart = page.get_by_test_id("classes-chart")
        expect(chart).to_be_visible()
        # Chart.js drew on the canvas: some pixels are not transparent.
        page.wait_for_function("""() => { const c = document.querySelector('[data-testid=classes-chart]');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < d.length; i += 4) if (d[i]) return true; return false; }""")
        expect(page.get_by_test_id("trend-chart")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(ARTIFACTS / "report-department-390x844.png"), full_page=True)

        with page.expect_download() as download:
            page.get_by_test_id("download-xlsx").click()
        saved = tmp_path_factory.mktemp("downloads") / download.value.suggested_filename
        download.value.save_as(saved)
        book = load_workbook(saved)
        assert book.sheetnames[:3] == ["指标统计", "班级对比", "周趋势"]
        shown_classes = [r[0] for r in book["班级对比"].iter_rows(min_row=2, values_only=True)]
        page.evaluate("location.hash = '#/'")   # the home lists the department's classes
        expect(page.get_by_test_id("class-list")).to_be_visible()
        listed = page.get_by_test_id("class-list").inner_text()
        assert shown_classes and any(name in listed for name in shown_classes)
        context.close()
    finally:
        stop()


def raise_two_warnings(found: dict):
    """A red and a yellow academic warning in the demo head teacher's class, raised as the job
    would; `found` gets their ids, the red one's push payload and the names behind them."""
    def prepare(accounts):
        head = db.session.scalar(select(User).where(User.username == accounts["head_teacher"]["username"]))
        me = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
        other = db.session.scalar(select(StudentProfile).where(StudentProfile.class_id == me.student.class_id,
                                                               StudentProfile.user_id != me.id))
        term = directory.current_term(clock.school_today())
        ledger.record_batch(head, term, {"point": "S-A-09", "period": "term", "entries": [
            {"student_id": me.id, "value": 35}, {"student_id": other.user_id, "value": 57}]})
        db.session.commit()
        warnings.evaluate_class(term, db.session.get(ClassGroup, me.student.class_id))
        db.session.commit()
        red = db.session.scalar(select(StudentWarning).where(StudentWarning.student_id == me.id))
        note = db.session.scalar(select(Notification).where(Notification.user_id == head.id,
                                                            Notification.warning_id == red.id))
        found.update(red=red.id, payload=push.payload(note).decode(), name=me.display_name,
                     yellow=db.session.scalar(select(StudentWarning.id).where(StudentWarning.student_id == other.user_id)))
    return prepare


def test_a_push_opens_the_warning_which_the_head_teacher_works_to_a_close(tmp_path_factory, redis_server, browser):
    found = {}
    base, accounts, stop = serve(tmp_path_factory.mktemp("alerts"), redis_server.url, prepare=raise_two_warnings(found))
    try:
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, locale="zh-CN",
                                      permissions=["notifications"])
        page = context.new_page()
        log_in(page, base, accounts["head_teacher"])
        items = page.get_by_test_id("alert-item")
        expect(items).to_have_count(2)
        expect(items.nth(0).get_by_test_id("level")).to_have_text("红色")  # worst first
        expect(items.nth(1).get_by_test_id("level")).to_have_text("黄色")

        # The vendor's push service is out of reach: the push event goes to the service worker
        # through the DevTools protocol, with the payload the server would have encrypted.
        cdp = context.new_cdp_session(page)
        registrations = []
        cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
        cdp.send("ServiceWorker.enable")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")  # the worker is active
        for _ in range(50):
            if any(not r["isDeleted"] for r in registrations):
                break
            page.wait_for_timeout(100)
        registration = next(r for r in registrations if not r["isDeleted"])
        cdp.send("ServiceWorker.deliverPushMessage", {"origin": base, "registrationId": registration["registrationId"],
                                                      "data": found["payload"]})
        shown = []
        for _ in range(50):
            shown = page.evaluate("""() => navigator.serviceWorker.ready.then(r => r.getNotifications())
                .then(ns => ns.map(n => [n.title, n.body, n.data.url]))""")
            if shown:
                break
            page.wait_for_timeout(100)
        [[title, body, url]] = shown
        assert title == "Spiral" and url == f"/#/warnings/{found['red']}"
        assert found["name"] not in body and "学业" not in body  # nothing personal on the lock screen

        # Clicking the notification runs the worker's click handler; a page cannot click an OS
        # notification, so the test calls the same function the handler calls.
        worker = context.service_workers[0]
        worker.evaluate("self.registration.getNotifications().then(ns => self.openFromNotification(ns[0]))")
        expect(page.get_by_test_id("evidence")).to_contain_text("35")
        expect(page.get_by_test_id("status")).to_have_text("已通知")
        page.get_by_test_id("acknowledge").click()
        expect(page.get_by_test_id("status")).to_have_text("已确认")
        page.fill("#text", "已约谈，安排补考辅导")
        page.select_option("#kind", "other")  # issue 15: the intervention kinds; "other" replaces "action"
        page.click("[data-testid=intervention-form] button[type=submit]")
        expect(page.get_by_test_id("timeline")).to_contain_text("已约谈，安排补考辅导")
        expect(page.get_by_test_id("status")).to_have_text("干预中")
        # Issue 15: the indicators around the help, as a chart and as text a screen reader reads.
        expect(page.get_by_test_id("trend-summary")).to_contain_text("其他干预")
        expect(page.get_by_test_id("trend-chart")).to_be_visible()
        page.fill("#resolution", "补考通过")
        page.get_by_text("解除预警").click()
        expect(page.get_by_test_id("status")).to_have_text("已解除")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(ARTIFACTS / "warning-detail-390x844.png"), full_page=True)

        page.goto(base + "/#/")
        expect(page.get_by_test_id("alert-item")).to_have_count(1)  # the resolved one left the inbox
        page.get_by_test_id("settings-link").click()
        expect(page.get_by_test_id("inbox")).to_contain_text(found["name"])  # in the app, names are fine
        page.select_option("[data-testid=quiet_from]", "21")
        page.select_option("[data-testid=quiet_until]", "6")
        page.get_by_text("保存").click()
        expect(page.get_by_test_id("settings-message")).to_have_text("已保存。")
        page.reload()
        expect(page.get_by_test_id("quiet_from")).to_have_value("21")
        context.close()

        student = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, locale="zh-CN")
        page = student.new_page()
        log_in(page, base, accounts["student"])
        page.get_by_test_id(f"my-warning-link-{found['red']}").click()
        mine = page.get_by_test_id(f"my-warning-{found['red']}")
        expect(mine).to_be_visible()
        expect(mine.locator(".advice")).to_be_visible()  # the one the link named is open
        expect(mine.locator(".advice")).to_contain_text("班主任")
        student.close()
    finally:
        stop()
