"""A student's own view completed, on a phone (issue 20, must-show 6): the student opens their
attendance marks, disputes one, the course teacher upholds it, the student sees the corrected mark;
the card's weekly trend charts and the radar of a half-answered questionnaire. Screenshots at 390×844."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.development import assessment
from backend.extensions import db
from backend.models import Course, User
from backend.org import directory
from backend.platform import clock
from backend.valuecard import attendance
from tests.pwa.test_browser import ARTIFACTS, log_in, serve

MINE: dict = {}  # the session the student was marked absent in
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def absent_and_half_answered(accounts):
    """The course teacher closed a session the student missed; the student answered 5 of 20."""
    teacher = db.session.scalar(select(User).where(User.username == accounts["course_teacher"]["username"]))
    student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    course = db.session.scalar(select(Course.id).order_by(Course.id).limit(1))
    session = attendance.open_session(teacher, student.student.class_id, course, None, 10)
    attendance.close(teacher, session, clock.now())
    MINE["session"] = session.id
    codes = [e["code"] for e in assessment.elements()[:5]]
    assessment.save(student, student.student, directory.current_term(clock.school_today()), {c: 3 for c in codes}, False)
    db.session.commit()


@pytest.fixture(scope="module")
def live(tmp_path_factory, redis_server):
    base, accounts, stop = serve(tmp_path_factory.mktemp("my-attendance"), redis_server.url, history=True,
                                 prepare=absent_and_half_answered)
    yield base, accounts
    stop()


def fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_student_disputes_a_mark_the_teacher_upholds_it_and_the_student_sees_it_corrected(live, browser):
    base, accounts = live
    ARTIFACTS.mkdir(exist_ok=True)
    student = browser.new_context(**PHONE, locale="zh-CN")
    page = student.new_page()
    log_in(page, base, accounts["student"])
    page.get_by_test_id("my-attendance-link").click()
    session_id = MINE["session"]
    mark = page.locator("details[open]").first.get_by_test_id(f"mark-{session_id}")  # this week's, open
    expect(page.get_by_test_id(f"mark-status-{session_id}")).to_have_text("缺勤")
    expect(mark).to_contain_text("记录")  # who marked it
    page.get_by_test_id(f"dispute-mark-{session_id}").click()
    page.fill(f"#mark-why-{session_id}", "我在教室，签到码没刷出来")
    page.get_by_test_id("mark-dispute-form").locator("button[type=submit]").click()
    state = page.get_by_test_id(f"mark-{session_id}").get_by_test_id("mark-dispute-state")
    expect(state).to_contain_text("申诉处理中")
    assert "null" not in page.locator("main").inner_text()  # a mark without a dispute shows nothing for it
    fits(page, 390)
    page.screenshot(path=str(ARTIFACTS / "my-attendance-disputed-390.png"), full_page=True)

    teacher = browser.new_context(**PHONE, locale="zh-CN")
    desk = teacher.new_page()
    log_in(desk, base, accounts["course_teacher"])
    tile = desk.get_by_test_id("mark-disputes-count")
    expect(tile).to_contain_text("1")
    tile.click()
    item = desk.get_by_test_id("mark-disputes").locator("li").first
    expect(item).to_contain_text("我在教室，签到码没刷出来")
    expect(item).to_contain_text("原考勤：缺勤")
    dispute_id = item.get_attribute("data-testid").removeprefix("mark-dispute-")
    desk.get_by_test_id(f"mark-to-{dispute_id}").select_option("present")
    desk.get_by_test_id(f"uphold-{dispute_id}").click()  # no answer written: refused, the field named
    expect(desk.get_by_test_id(f"mark-reason-error-{dispute_id}")).to_contain_text("处理说明")
    desk.get_by_label("处理说明（学生可见）").fill("核实在场，补记出勤")
    fits(desk, 390)
    desk.screenshot(path=str(ARTIFACTS / "mark-disputes-teacher-390.png"), full_page=True)
    desk.get_by_test_id(f"uphold-{dispute_id}").click()
    expect(item.get_by_role("status")).to_have_text("已更正考勤")
    expect(item).to_contain_text("申诉成立")  # decided at once: the state shown, the buttons gone
    expect(desk.get_by_test_id(f"uphold-{dispute_id}")).to_have_count(0)
    teacher.close()

    page.reload()
    corrected = page.get_by_test_id(f"mark-{session_id}")
    expect(page.get_by_test_id(f"mark-status-{session_id}")).to_have_text("出勤")
    expect(corrected).to_contain_text("申诉成立")
    expect(corrected).to_contain_text("已更正为「出勤」")
    expect(corrected).to_contain_text("核实在场，补记出勤")
    fits(page, 390)
    page.screenshot(path=str(ARTIFACTS / "my-attendance-upheld-390.png"), full_page=True)

    # The mark dispute is among "my disputes" too: never "no disputes" while there is one.
    page.goto(base + "/#/my-disputes")
    expect(page.get_by_test_id("my-mark-disputes")).to_contain_text("申诉成立")
    expect(page.get_by_text("还没有申诉")).to_have_count(0)
    fits(page, 390)

    # The card's weekly trends: a small line chart per domain and the total.
    page.goto(base + "/#/my-card")
    expect(page.get_by_test_id("card-trends")).to_be_visible()
    for metric in ("academic", "personal", "total"):  # the demo's history has no career values: said in words
        expect(page.get_by_test_id(f"trend-{metric}")).to_be_visible()
    expect(page.get_by_test_id("trend-career-none")).to_have_text("还没有数据")
    page.wait_for_timeout(300)  # Chart.js draws on the next frame
    fits(page, 390)
    page.screenshot(path=str(ARTIFACTS / "card-trends-390.png"), full_page=True)

    # The radar of the 5 answered: "已答 5/20", compared over the answered only.
    page.goto(base + "/#/")
    expect(page.get_by_test_id("see-radar")).to_be_visible()  # part-answered: the radar is linked from home too
    page.get_by_test_id("fill-assessment").click()
    page.goto(page.url.replace("#/assessment/", "#/radar/"))
    expect(page.get_by_test_id("radar-answered")).to_have_text("已答 5/20")
    expect(page.get_by_test_id("radar-partial")).to_contain_text("只比较已答的 5 项")
    page.wait_for_timeout(300)
    fits(page, 390)
    page.screenshot(path=str(ARTIFACTS / "radar-partial-390.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 800})  # English at 360 px: the axis labels are wrapped
    page.evaluate("localStorage.setItem('spiral.lang', 'en')")
    page.reload()
    expect(page.get_by_test_id("radar-answered")).to_have_text("5 of 20 answered")
    page.wait_for_function("() => globalThis.Chart?.getChart(document.querySelector('[data-testid=radar]'))")
    longest = page.evaluate("""() => Math.max(...Chart.getChart(document.querySelector('[data-testid=radar]'))
        .data.labels.flat().map((line) => line.length))""")
    assert longest <= 2  # the axes carry the questions' numbers
    expect(page.get_by_test_id("radar-key").locator("li").first).to_have_text("Learning goals")
    fits(page, 360)
    page.screenshot(path=str(ARTIFACTS / "radar-partial-360-en.png"), full_page=True)
    student.close()


def test_my_attendance_fits_360_px_in_english(live, browser):
    base, accounts = live
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="en")
    page = context.new_page()
    log_in(page, base, accounts["student"])
    page.click("#lang")
    expect(page.locator("#lang")).to_have_text("中文")  # the home drawn in English
    page.get_by_test_id("my-attendance-link").click()
    expect(page.locator("details[open]").first).to_contain_text("Week")
    fits(page, 360)
    page.screenshot(path=str(ARTIFACTS / "my-attendance-en-360.png"), full_page=True)
    context.close()
