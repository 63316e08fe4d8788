"""The timetable on a phone (issue 16): a student's week at 360 px, and a course teacher opening a
class session from today's meeting. One served app for the module."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.extensions import db
from backend.models import CourseOffering, User
from backend.org import timetable
from backend.platform import clock
from tests.pwa.test_browser import ARTIFACTS, log_in, serve

WIDTH = 360
MONDAY = "2026-11-23T10:00:00+08:00"  # a school Monday mid-term: the test never depends on today's date


def _evening_meeting(accounts):
    """The course teacher's first offering also meets on Mondays, periods 9-10."""
    teacher = db.session.scalar(select(User).where(User.username == accounts["course_teacher"]["username"]))
    offering = db.session.scalar(select(CourseOffering).where(CourseOffering.teacher_id == teacher.id)
                                 .order_by(CourseOffering.id))
    admin = db.session.scalar(select(User).where(User.username == accounts["school_admin"]["username"]))
    timetable.add_slot(admin, offering, {"weekday": clock.school_today().isoweekday(), "first_period": 9,
                                         "last_period": 10, "weeks": "1-18", "room": "夜A1"})
    db.session.commit()


@pytest.fixture(scope="module")
def site(tmp_path_factory, redis_server):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SPIRAL_CLOCK_START", MONDAY)
        base, accounts, stop = serve(tmp_path_factory.mktemp("timetable"), redis_server.url, prepare=_evening_meeting)
    yield base, accounts
    stop()


def _phone(browser):
    return browser.new_context(viewport={"width": WIDTH, "height": 740}, device_scale_factor=2, is_mobile=True,
                               has_touch=True, locale="zh-CN")


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH  # nothing scrolls sideways


def test_a_student_reads_the_week_as_a_list_of_days_on_a_360px_phone(site, browser):
    base, accounts = site
    ARTIFACTS.mkdir(exist_ok=True)
    context = _phone(browser)
    page = context.new_page()
    try:
        log_in(page, base, accounts["student"])
        expect(page.get_by_test_id("home-student")).to_be_visible(timeout=30_000)
        page.get_by_test_id("timetable-link").click()
        expect(page.get_by_test_id("week-title")).to_contain_text("课表")
        expect(page.get_by_test_id("meeting").first).to_be_visible()
        assert page.get_by_test_id("meeting").count() >= 10
        expect(page.get_by_text("周一 11-23")).to_be_visible()
        _fits(page)
        page.screenshot(path=str(ARTIFACTS / "timetable-week-student-360.png"), full_page=True)
        page.get_by_test_id("next-week").click()
        expect(page.get_by_test_id("week-title")).to_contain_text("第13周")
        _fits(page)
    finally:
        context.close()


def test_a_course_teacher_opens_a_session_from_todays_meeting(site, browser):
    base, accounts = site
    context = _phone(browser)
    page = context.new_page()
    try:
        log_in(page, base, accounts["course_teacher"])
        expect(page.get_by_test_id("home-course_teacher")).to_be_visible(timeout=30_000)
        page.get_by_test_id("today-link").click()
        meeting = page.get_by_test_id("meeting").filter(has_text="第9-10节")
        expect(meeting).to_contain_text("夜A1")
        _fits(page)
        page.screenshot(path=str(ARTIFACTS / "timetable-today-teacher-360.png"), full_page=True)
        meeting.get_by_test_id("meeting-checkin").click()
        expect(page).to_have_url(re.compile(r"#/sessions/\d+$"))
        expect(page.get_by_text("签到码").first).to_be_visible()
        _fits(page)
        page.screenshot(path=str(ARTIFACTS / "timetable-session-from-meeting-360.png"), full_page=True)
        # back on today's list the meeting now leads to its session instead of opening another
        page.goto(base + "/#/today")
        expect(page.get_by_test_id("meeting").filter(has_text="第9-10节").get_by_test_id("meeting-session")).to_be_visible()
    finally:
        context.close()


def test_the_school_admin_edits_holidays_on_a_phone(site, browser):
    base, accounts = site
    context = _phone(browser)
    page = context.new_page()
    try:
        log_in(page, base, accounts["school_admin"])
        expect(page.get_by_test_id("home-school_admin")).to_be_visible(timeout=30_000)
        page.get_by_test_id("timetable-admin-link").click()
        # a new offering: an unknown staff number is named on its field; the right one adds the offering
        expect(page.get_by_test_id("offering-save")).to_be_visible()
        slots = page.locator("summary", has_text="添加时段")
        before = slots.count()
        page.get_by_text("上课班级（可多选，合班）").click()
        page.locator("label.check").first.click()
        page.get_by_test_id("offering-teacher").fill("T000")
        page.get_by_test_id("offering-save").click()
        expect(page.get_by_text("未知的教师工号“T000”")).to_be_visible()
        _fits(page)
        page.get_by_test_id("offering-teacher").fill(accounts["head_teacher"]["username"])
        page.get_by_test_id("offering-save").click()
        expect(slots).to_have_count(before + 1)
        page.get_by_test_id("holidays-link").click()
        expect(page.get_by_test_id("holiday-list")).to_contain_text("国庆节")
        page.get_by_test_id("holiday-day").fill("2026-12-25")
        page.get_by_test_id("holiday-name").fill("校庆")
        page.get_by_test_id("holiday-add").click()
        page.get_by_test_id("holiday-add").click()  # the same day twice: said at once, not at saving
        expect(page.get_by_test_id("holiday-status")).to_have_text("2026-12-25 已在列表中")
        page.get_by_test_id("holiday-save").click()
        expect(page.get_by_test_id("holiday-status")).to_have_text("已保存")
        expect(page.get_by_test_id("holiday-list")).to_contain_text("校庆")
        _fits(page)
        page.screenshot(path=str(ARTIFACTS / "timetable-holidays-admin-360.png"), full_page=True)
    finally:
        context.close()

