"""The offline outbox and the offline start, in real headless Chromium on a phone.

Writes queued offline belong to the user who made them (a shared phone, two students), the app
opened without a connection shows the shell and the last data its user saw, a write past the
retention limit is shown to its user, and busy answers are retried while refusals are shown."""
import base64
import json
import re
import uuid

import pytest
from playwright.sync_api import expect

from backend import demo
from tests.pwa.test_browser import fill_grid, log_in, open_entry, serve, staff_api


@pytest.fixture(scope="module")
def live(tmp_path_factory, redis_server):
    base, accounts, stop = serve(tmp_path_factory.mktemp("offline"), redis_server.url)
    yield base, accounts
    stop()


def user_of(authorization: str) -> int:
    """The user id inside a Bearer token (its `sub`)."""
    payload = authorization.split()[1].split(".")[1]
    return int(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


OUTBOX = """() => new Promise((resolve, reject) => {
    const request = indexedDB.open('spiral-outbox');
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
        const db = request.result;
        const all = db.transaction('outbox').objectStore('outbox').getAll();
        all.onsuccess = () => { db.close(); resolve(all.result.map(w => ({id: w.id, user: w.user, state: w.state, path: w.path}))); };
    };
})"""

VIEWS = """() => new Promise((resolve) => {
    const request = indexedDB.open('spiral-outbox');
    request.onsuccess = () => {
        const db = request.result;
        const count = db.transaction('views').objectStore('views').count();
        count.onsuccess = () => { db.close(); resolve(count.result); };
    };
})"""

# Makes every write in the outbox look `days` older than it is (the retention limit, without waiting a week).
AGE = """(days) => new Promise((resolve) => {
    const request = indexedDB.open('spiral-outbox');
    request.onsuccess = () => {
        const db = request.result;
        const tx = db.transaction('outbox', 'readwrite');
        const store = tx.objectStore('outbox');
        store.getAll().onsuccess = (e) => e.target.result.forEach(w => store.put({...w, created: w.created - days * 86400000}));
        tx.oncomplete = () => { db.close(); resolve(); };
    };
})"""

# The page's own outbox module: the one app.js imported, under this version's URL.
REPLAY = ("import(document.querySelector('script[type=module]').src.replace('app.js', 'outbox.js'))"
          ".then((o) => o.replay()).then(() => true)")


class Classroom:
    """The demo student's class, seen from the head teacher's side of the API."""

    def __init__(self, browser, base, accounts):
        self.request, self.headers = staff_api(browser, base, accounts["head_teacher"])
        classes = self.request.get("/api/v1/classes", headers=self.headers).json()
        self.class_id = classes[0]["id"]
        roster = self.request.get(f"/api/v1/classes/{self.class_id}/students", headers=self.headers).json()
        self.a = next(s for s in roster if s["username"] == accounts["student"]["username"])
        self.b = next(s for s in roster if s["id"] != self.a["id"])
        self.session = None

    def open_session(self):
        answer = self.request.post("/api/v1/sessions", headers={**self.headers, "Idempotency-Key": str(uuid.uuid4())},
                                   data={"class_id": self.class_id, "grace_minutes": 30})
        assert answer.status == 201, answer.text()
        self.session = answer.json()["id"]

    def fresh_code(self, page) -> str:
        """The code on the teacher's screen, with at least 20 s of its 30 s window left (it is
        accepted for one window more), so the test has 50 s before it expires."""
        code = self.request.get(f"/api/v1/sessions/{self.session}/code", headers=self.headers).json()
        if code["seconds_left"] < 20:
            page.wait_for_timeout((code["seconds_left"] + 1) * 1000)
            code = self.request.get(f"/api/v1/sessions/{self.session}/code", headers=self.headers).json()
        return code["code"]

    def statuses(self) -> dict:
        session = self.request.get(f"/api/v1/sessions/{self.session}", headers=self.headers).json()
        return {s["student_id"]: s["status"] for s in session["students"] if s["status"]}


def test_a_check_in_queued_offline_is_sent_only_as_the_student_who_made_it(live, browser, phone):
    base, accounts = live
    room = Classroom(browser, base, accounts)
    room.open_session()
    student_b = {"username": room.b["username"], "password": demo.DEMO_PASSWORD}
    page = phone.new_page()
    checkins = []   # check-ins that reached the server (an offline try fails in the browser: "requestfailed")
    # "response", not "requestfinished": Chromium finishes a request only once its body is read, and a
    # no-store answer the page does not read is never read by the HTTP cache either
    page.on("response", lambda r: checkins.append(r.request.headers.get("authorization"))
            if r.url.endswith("/api/v1/checkin") and r.request.method == "POST" else None)

    log_in(page, base, accounts["student"])
    expect(page.get_by_test_id("home-student")).to_be_visible()
    code = room.fresh_code(page)
    phone.set_offline(True)
    page.get_by_test_id("checkin-input").fill(code)
    page.get_by_test_id("checkin-submit").click()
    expect(page.get_by_test_id("checkin-result")).to_contain_text("已离线保存")
    expect(page.get_by_test_id("pending")).to_have_text("待同步 1")
    page.get_by_test_id("logout").click()                    # A logs out, still offline
    expect(page.locator("#username")).to_be_visible()
    expect(page.get_by_text("1 条离线提交未发送")).to_be_visible()
    expect(page.get_by_test_id("pending")).to_be_hidden()     # B is not shown A's queue

    phone.set_offline(False)
    log_in(page, base, student_b)                            # B logs in online on the same phone
    expect(page.get_by_text(f"你好，{room.b['display_name']}")).to_be_visible()
    assert page.evaluate(REPLAY)                             # B's replay has run to its end
    assert checkins == []                                    # nothing went out, as B or anyone
    assert room.statuses() == {}
    assert page.evaluate(OUTBOX) == [{"id": 1, "user": room.a["id"], "state": "queued", "path": "/api/v1/checkin"}]
    expect(page.get_by_test_id("pending")).to_be_hidden()

    page.get_by_test_id("logout").click()
    expect(page.locator("#username")).to_be_visible()
    log_in(page, base, accounts["student"])                  # A again: A's check-in goes out, as A
    expect(page.get_by_test_id("home-student")).to_be_visible()
    assert page.evaluate(REPLAY)
    expect(page.get_by_test_id("pending")).to_be_hidden()
    assert [user_of(h) for h in checkins] == [room.a["id"]]
    assert room.statuses() == {room.a["id"]: "present"}
    assert page.evaluate(OUTBOX) == []


def test_the_app_opened_offline_shows_the_shell_and_the_last_data_its_user_saw(live, phone):
    base, accounts = live
    page = phone.new_page()
    log_in(page, base, accounts["student"])
    expect(page.get_by_test_id("home-student")).to_be_visible()
    my_class = page.get_by_test_id("my-class").inner_text()
    assert "班" in my_class
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")   # the worker serves this page
    page.close()

    phone.set_offline(True)
    page = phone.new_page()
    page.goto(base + "/")                                    # no connection: shell from the worker, data kept
    expect(page.get_by_test_id("home-student")).to_be_visible()
    expect(page.get_by_test_id("my-class")).to_have_text(my_class)
    expect(page.get_by_text("发展储值卡")).to_be_visible()
    expect(page.get_by_test_id("offline-as-of")).to_have_text(re.compile(r"^离线 · 截至 .*\d{2}:\d{2}$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    phone.set_offline(False)                                 # back online: fresh data, no banner
    expect(page.get_by_test_id("offline-as-of")).to_be_hidden()
    expect(page.get_by_test_id("my-class")).to_have_text(my_class)

    page.get_by_test_id("logout").click()                    # logging out forgets the kept data
    expect(page.locator("#username")).to_be_visible()
    assert page.evaluate(VIEWS) == 0
    phone.set_offline(True)
    page.reload()
    expect(page.locator("#username")).to_be_visible()        # the next person sees a login, not A's home
    expect(page.get_by_test_id("my-class")).to_have_count(0)
    phone.set_offline(False)


def test_a_write_past_the_retention_limit_is_shown_to_its_user_not_dropped(live, browser, phone):
    base, accounts = live
    page = phone.new_page()
    checkins = []
    page.on("requestfinished", lambda r: checkins.append(r.url) if r.url.endswith("/api/v1/checkin") else None)
    log_in(page, base, accounts["student"])
    expect(page.get_by_test_id("home-student")).to_be_visible()
    phone.set_offline(True)
    page.get_by_test_id("checkin-input").fill("123456")
    page.get_by_test_id("checkin-submit").click()
    expect(page.get_by_test_id("pending")).to_have_text("待同步 1")
    page.evaluate(AGE, 8)                                    # a week and a day later...
    phone.set_offline(False)                                 # ...the network is back

    expired = page.get_by_test_id("outbox-expired")
    expect(expired).to_contain_text("超过 7 天仍未能发送")
    expect(expired).to_contain_text("课堂签到")
    expect(page.get_by_test_id("pending")).to_be_hidden()
    assert checkins == []                                    # too old to send: shown, not sent
    assert [w["state"] for w in page.evaluate(OUTBOX)] == ["expired"]
    page.click("#lang")
    expect(expired).to_contain_text("could not be sent within 7 days")
    box = expired.get_by_role("button", name="Dismiss").bounding_box()
    assert box["height"] >= 44
    expired.get_by_role("button", name="Dismiss").click()
    expect(expired).to_be_hidden()
    assert page.evaluate(OUTBOX) == []
    page.click("#lang")


def test_a_busy_server_is_retried_and_a_refusal_names_the_student(live, browser, phone):
    base, accounts = live
    request, headers = staff_api(browser, base, accounts["head_teacher"])
    roster = request.get("/api/v1/classes/1/students", headers=headers).json()
    page = phone.new_page()
    log_in(page, base, accounts["head_teacher"])
    answers = []

    def busy_once(route):
        if not answers:
            answers.append(503)
            route.fulfill(status=503, headers={"Retry-After": "1", "Content-Type": "application/problem+json"},
                          body=json.dumps({"title": "服务器繁忙 / Busy", "status": 503}))
        else:
            answers.append("sent")
            route.continue_()

    page.route("**/api/v1/entries", busy_once)
    open_entry(page)
    fill_grid(page, "S-A-07", 4)
    page.get_by_test_id("grid-submit").click()
    expect(page.get_by_test_id("grid-result")).to_contain_text("已离线保存")
    expect(page.get_by_test_id("pending")).to_have_text("待同步 1")
    expect(page.get_by_test_id("pending")).to_be_hidden(timeout=15000)   # retried after Retry-After, unprompted
    assert answers == [503, "sent"]
    assert [e["value"] for e in request.get(f"/api/v1/students/{roster[0]['id']}/entries", headers=headers).json()
            if e["point"] == "S-A-07"] == [4]
    page.unroute("**/api/v1/entries")

    phone.set_offline(True)                                  # the same month again, queued offline...
    fill_grid(page, "S-A-07", 5)
    page.get_by_test_id("grid-submit").click()
    expect(page.get_by_test_id("pending")).to_have_text("待同步 1")
    phone.set_offline(False)                                 # ...and refused: shown, naming the students
    failed = page.get_by_test_id("outbox-failed")
    expect(failed).to_contain_text("被服务器拒绝")
    expect(failed).to_contain_text(f"{roster[0]['display_name']}: 该期间已有记录")
    expect(page.get_by_test_id("pending")).to_be_hidden()
    failed.get_by_role("button", name="知道了").click()
    expect(failed).to_be_hidden()
