"""A mass-absence incident on a 360 px phone (issue 15): the head teacher's tile, the incident
screen, the one tap to the session's marks, the correction, and the incident closed by it."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.extensions import db
from backend.models import User
from backend.platform import clock
from backend.valuecard import attendance
from tests.pwa.test_browser import ARTIFACTS, log_in, serve


def forgotten_code(accounts):
    """The course teacher never showed the code and closed the session: nobody checked in."""
    teacher = db.session.scalar(select(User).where(User.username == accounts["course_teacher"]["username"]))
    student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    session = attendance.open_session(teacher, student.student.class_id, None, None, 10)
    attendance.close(teacher, session, clock.now())
    db.session.commit()


@pytest.fixture(scope="module")
def live(tmp_path_factory, redis_server):
    base, accounts, stop = serve(tmp_path_factory.mktemp("incident"), redis_server.url, prepare=forgotten_code)
    yield base, accounts
    stop()


def test_the_head_teacher_corrects_a_session_closed_by_mistake_in_two_taps(live, browser):
    base, accounts = live
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, base, accounts["head_teacher"])
    tile = page.get_by_test_id("incidents-count")
    expect(tile).to_contain_text("1")
    tile.click()
    page.get_by_test_id("incident-item").locator("a").click()
    expect(page.get_by_test_id("incident")).to_contain_text("缺勤，是否有误？")
    count = page.get_by_test_id("incident-count").inner_text()
    n = int(count.split("人中")[1].split("人")[0])
    assert count.endswith(f"{n}人中{n}人") and n >= 40
    expect(page.get_by_test_id("incident-status")).to_have_text("待核对")
    page.get_by_test_id("incident-confirm").click()  # a decision is for good: one more tap, saying what it does
    expect(page.get_by_test_id("incident-sure")).to_contain_text("相关预警将按当前记录发出")
    page.get_by_test_id("incident-sure-no").click()
    expect(page.get_by_test_id("incident-sure")).to_be_hidden()
    expect(page.get_by_test_id("incident-status")).to_have_text("待核对")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "incident-360.png"), full_page=True)

    page.get_by_test_id("incident-fix").click()  # one tap to the session's marks
    roster = page.get_by_test_id("session-roster")
    expect(roster.locator("li")).to_have_count(n)
    expect(page.get_by_test_id("session-lesson")).to_contain_text("班")  # which class and lesson it is
    page.get_by_test_id("bulk-apply").click()
    expect(page.get_by_test_id("bulk-bar")).to_contain_text("请先勾选要标记的学生")  # nothing ticked: says so
    page.get_by_test_id("select-all").click()  # one tap for the whole class, not fifty
    page.get_by_test_id("bulk-status").select_option("present")
    page.get_by_test_id("bulk-apply").click()
    expect(roster.locator("[data-status=present]")).to_have_count(n)
    expect(page.get_by_test_id("bulk-bar")).to_contain_text(f"已将 {n} 人标记为“到课”")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.go_back()
    expect(page.get_by_test_id("incident-status")).to_have_text("已更正")  # the correction closed it
    expect(page.get_by_test_id("incident-confirm")).to_have_count(0)
    expect(page.get_by_test_id("incident-fix")).to_contain_text("查看这节课的考勤")  # still one tap away
    context.close()
