"""The entry screen on a phone: refusals on the rows of the students they concern, a duplicate
corrected in place, and offline batches that never carry the previous batch's rows."""
import pytest
from playwright.sync_api import expect

from tests.conftest import PHONE
from tests.pwa.test_browser import ARTIFACTS, entries_of, log_in, serve, staff_api


@pytest.fixture(scope="module")
def live(tmp_path_factory, redis_server):
    base, accounts, stop = serve(tmp_path_factory.mktemp("entry"), redis_server.url)
    yield base, accounts
    stop()


def open_entry(page, base, account, point):
    log_in(page, base, account)
    # The home is drawn in full before the entry screen is asked for, so it cannot land on top of it.
    # Generous waits: the home makes a dozen requests, slow on a loaded two-core machine.
    expect(page.get_by_test_id("logout")).to_be_visible(timeout=20000)
    page.goto(base + "/#/entry")
    expect(page.get_by_test_id("entry-screen")).to_be_visible(timeout=20000)
    page.get_by_test_id("grid-point").select_option(point)
    expect(page.get_by_test_id("grid-range")).to_contain_text("0–60")


def fill_blanks(page, value):
    page.get_by_placeholder("全部填为…").fill(str(value))
    page.get_by_test_id("fill-blank").click()


def row_input(page, student):
    return page.locator(f"input[data-student='{student['id']}']")


def test_a_refused_batch_names_the_students_and_a_duplicate_is_corrected_in_place(live, browser, phone):
    base, accounts = live
    request, headers = staff_api(browser, base, accounts["head_teacher"])
    roster = request.get("/api/v1/classes/1/students", headers=headers).json()
    first, second, third = roster[0], roster[3], roster[1]
    page = phone.new_page()
    open_entry(page, base, accounts["head_teacher"], "S-A-07")
    expect(page.get_by_test_id("fill-blank")).to_have_text(f"填入空白 {len(roster)} 人")
    row_input(page, first).fill("99")          # past the point's 0–60
    row_input(page, second).fill("2.5")        # counts are whole numbers
    fill_blanks(page, 5)
    expect(row_input(page, first)).to_have_value("99")   # filling blanks leaves typed values alone
    page.get_by_test_id("grid-submit").click()
    result = page.get_by_test_id("grid-result")
    expect(result).to_contain_text("未保存。2 人需要修改")
    expect(result).to_contain_text(first["display_name"])
    expect(result).to_contain_text(second["display_name"])
    expect(page.get_by_test_id(f"row-message-{first['id']}")).to_have_text("应在 0–60 之间")
    expect(page.get_by_test_id(f"row-message-{second['id']}")).to_have_text("应为整数")
    expect(page.get_by_test_id(f"row-message-{third['id']}")).to_be_hidden()
    assert entries_of(request, headers, third["id"], "S-A-07") == []     # nothing saved
    assert "entries[" not in page.inner_text("main") and "Must" not in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.get_by_test_id("grid-summary")).to_have_text(result.inner_text())   # the same summary above the rows
    # A server message "中文 / English" is shown in the UI language only.
    english = page.evaluate("""() => Promise.all([import('/app/api.js'), import('/app/i18n.js')]).then(([a, i]) => {
        i.setLang('en');
        const text = a.problemText({ problem: { title: '请求数据有误 / Invalid request data',
            errors: { value: ['应在 0–60 之间 / Must be between 0 and 60.'] } } });
        i.setLang('zh-CN');
        return text; })""")
    assert english == "Invalid request data\nValue: Must be between 0 and 60."  # the field in words, too
    page.screenshot(path=str(ARTIFACTS / "entry-refused-390x844.png"))

    row_input(page, first).fill("6")
    row_input(page, second).fill("3")
    page.get_by_test_id("grid-submit").click()
    expect(result).to_have_text(f"已保存 {len(roster)} 条。")
    expect(row_input(page, first)).to_have_value("")
    assert [e["value"] for e in entries_of(request, headers, first["id"], "S-A-07")] == [6]

    row_input(page, first).fill("7")           # the same month again: already recorded
    page.get_by_test_id("grid-submit").click()
    message = page.get_by_test_id(f"row-message-{first['id']}")
    expect(message).to_contain_text("该期间已有记录")
    message.get_by_role("button", name="更正（撤销并重新录入）").click()
    form = page.get_by_test_id("correction-form")
    expect(form.get_by_test_id("correction-value")).to_have_value("7")
    form.get_by_test_id("correction-save").click()
    expect(form.get_by_test_id("correction-status")).to_have_text("请填写更正原因。")   # a reason is required
    form.get_by_test_id("correction-reason").fill("核对登记表，应为7次")
    form.get_by_test_id("correction-save").click()
    expect(message).to_have_text("已更正为 7")
    assert [(e["value"], e["reversed"]) for e in entries_of(request, headers, first["id"], "S-A-07")] == [(7, False), (6, True)]

    page.goto(f"{base}/#/students/{first['id']}")          # the student's screen shows the corrected value
    entries = page.get_by_test_id("student-entries")
    expect(entries.locator("li").first).to_contain_text("7 次")
    expect(entries).to_contain_text("已撤销：核对登记表，应为7次")
    expect(entries.locator("li").first).to_contain_text("年")   # the period in words, never month:YYYY-MM
    assert "month:" not in entries.inner_text()
    live_entry = entries_of(request, headers, first["id"], "S-A-07")[0]
    page.get_by_test_id(f"correct-entry-{live_entry['id']}").click()
    page.get_by_test_id("correction-value").fill("61")
    page.get_by_test_id("correction-reason").fill("再次核对")
    page.get_by_test_id("correction-save").click()
    expect(page.get_by_test_id("correction-status")).to_contain_text("数值: 应在 0–60 之间")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(ARTIFACTS / "correction-390x844.png"), full_page=True)
    page.get_by_test_id("correction-value").fill("8")
    page.get_by_test_id("correction-save").click()
    expect(entries.locator("li").first).to_contain_text("8 次")
    assert [e["value"] for e in entries_of(request, headers, first["id"], "S-A-07") if not e["reversed"]] == [8]


def test_offline_batches_clear_the_grid_and_never_resend_the_previous_rows(live, browser, phone):
    base, accounts = live
    request, headers = staff_api(browser, base, accounts["head_teacher"])
    roster = request.get("/api/v1/classes/1/students", headers=headers).json()
    page = phone.new_page()
    open_entry(page, base, accounts["head_teacher"], "S-A-08")
    periods = page.get_by_test_id("grid-period").locator("option")
    expect(periods.first).to_contain_text("本月")
    this_month, last_month = periods.nth(0).get_attribute("value"), periods.nth(1).get_attribute("value")

    phone.set_offline(True)
    fill_blanks(page, 3)
    page.get_by_test_id("grid-submit").click()
    expect(page.get_by_test_id("grid-result")).to_contain_text("已离线保存")
    expect(row_input(page, roster[0])).to_have_value("")       # the grid is cleared once queued
    expect(page.get_by_test_id("fill-blank")).to_have_text(f"填入空白 {len(roster)} 人")
    page.get_by_test_id("grid-period").select_option(last_month)
    row_input(page, roster[0]).fill("2")                          # a second batch: one student, last month
    page.get_by_test_id("grid-submit").click()
    expect(page.get_by_test_id("pending")).to_have_text("待同步 2")

    phone.set_offline(False)
    expect(page.get_by_test_id("pending")).to_be_hidden()
    expect(page.get_by_test_id("outbox-failed")).to_have_count(0)
    by_period = lambda student: sorted((e["period"], e["value"]) for e in entries_of(request, headers, student["id"], "S-A-08"))  # noqa: E731
    assert by_period(roster[0]) == sorted([(this_month, 3), (last_month, 2)])
    assert all(by_period(s) == [(this_month, 3)] for s in roster[1:])


def test_a_student_disputes_once_and_reads_the_answer_in_my_disputes(live, browser, phone):
    base, accounts = live
    request, headers = staff_api(browser, base, accounts["head_teacher"])
    me = next(s for s in request.get("/api/v1/classes/1/students", headers=headers).json()
              if s["username"] == accounts["student"]["username"])
    sent = request.post("/api/v1/entries", headers={**headers, "Idempotency-Key": "entry-dispute-0001"},
                        data={"point": "S-A-09", "entries": [{"student_id": me["id"], "value": 50}]})
    assert sent.status == 201, sent.text()
    page = phone.new_page()
    log_in(page, base, accounts["student"])
    page.get_by_test_id("entries-link").click()
    mine = page.get_by_test_id("my-entries").locator("li").filter(has_text="学期学分绩")
    expect(mine).to_contain_text("本学期")                         # the period in words
    mine.get_by_role("button", name="申诉").click()
    mine.get_by_label("申诉原因").fill("我的学分绩是65")
    mine.get_by_role("button", name="提交申诉").click()
    expect(mine).to_contain_text("申诉中")
    expect(mine.get_by_role("button", name="申诉")).to_have_count(0)  # no second dispute

    dispute = request.get("/api/v1/disputes", headers=headers).json()[0]
    request.post(f"/api/v1/disputes/{dispute['id']}/resolve", headers={**headers, "Idempotency-Key": "entry-dispute-0002"},
                 data={"action": "reverse", "reason": "核对成绩单，改为65", "value": 65})
    page.goto(base + "/#/my-disputes")
    answered = page.get_by_test_id("my-disputes").locator("li").first
    expect(answered).to_contain_text("已更正")
    expect(answered).to_contain_text("答复：核对成绩单，改为65")
    page.goto(base + "/#/inbox")
    expect(page.get_by_text("您的申诉已更正")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
