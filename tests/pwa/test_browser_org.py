"""A student moving class on a 360 px phone (issue 16): the school admin taps 组织机构 on the home,
a class, a student; picks the new class and the date; the confirmation names the student and both
classes; after it, the student's screen shows the new class and their class history, and nothing
scrolls sideways. The department admin reaches the same screens for their department."""
import re

import pytest
from playwright.sync_api import expect

from tests.pwa.test_browser import ARTIFACTS, log_in, serve

WIDTH = 360


@pytest.fixture(scope="module")
def live(tmp_path_factory, redis_server):
    base, accounts, stop = serve(tmp_path_factory.mktemp("org"), redis_server.url)
    yield base, accounts
    stop()


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def test_the_school_admin_moves_a_student_to_another_class_on_a_date(live, browser):
    base, accounts = live
    context = browser.new_context(viewport={"width": WIDTH, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, base, accounts["school_admin"])
    page.get_by_test_id("org-link").click()
    expect(page.get_by_test_id("majors")).to_be_visible()
    fits(page)
    first_class = page.get_by_test_id("org-class").first
    class_a = first_class.inner_text()
    first_class.click()
    expect(page.get_by_test_id("people-head_teacher")).to_be_visible()
    fits(page)
    student = page.get_by_test_id("org-student").first
    name = student.get_attribute("data-name")
    student.click()
    expect(page.get_by_test_id("student-class")).to_contain_text(class_a)
    page.get_by_test_id("move-class").select_option(index=0)
    class_b = page.get_by_test_id("move-class").locator("option:checked").inner_text()
    page.get_by_test_id("move-date").fill("2026-10-20")
    page.get_by_test_id("move").click()
    question = page.get_by_test_id("confirm-text")
    expect(question).to_have_text(f"确认将 {name} 从 {class_a} 转到 {class_b}，自 2026-10-20 起？")
    fits(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "org-move-confirm-360.png"), full_page=True)
    page.get_by_test_id("confirm-yes").click()
    expect(page.get_by_test_id("move-status")).to_have_text(re.compile(f"{name} 已从 {class_a} 转到 {class_b}（第8周起）"))
    expect(page.get_by_test_id("student-class")).to_contain_text(class_b, timeout=10_000)  # redrawn with the new class
    expect(page.get_by_test_id("history").locator("li")).to_have_count(2)
    fits(page)
    page.screenshot(path=str(ARTIFACTS / "org-moved-360.png"), full_page=True)

    # A date outside the term is refused by the server, named in the field's words.
    page.get_by_test_id("move-date").evaluate("(n) => { n.min = ''; n.value = '2026-08-01'; }")
    page.get_by_test_id("move").click()
    page.get_by_test_id("confirm-yes").click()
    expect(page.get_by_test_id("move-status")).to_contain_text("应在本学期")
    context.close()


def test_a_department_admin_changes_a_head_teacher_from_the_phone(live, browser):
    base, accounts = live
    context = browser.new_context(viewport={"width": WIDTH, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="en")
    page = context.new_page()
    log_in(page, base, accounts["dept_admin"])
    page.get_by_test_id("org-link").click()
    page.get_by_test_id("org-class").first.click()
    box = page.get_by_test_id("people-head_teacher")
    expect(box).to_be_visible()
    box.locator("select").select_option(index=1)
    chosen = box.locator("select option:checked").inner_text()
    page.get_by_test_id("assign-head_teacher").click()
    expect(box.locator("p").first).to_contain_text(chosen.split("（")[0], timeout=10_000)
    fits(page)
    page.screenshot(path=str(ARTIFACTS / "org-class-people-360-en.png"), full_page=True)
    context.close()


def test_revoking_a_role_asks_first_and_says_what_it_did(live, browser):
    base, accounts = live
    context = browser.new_context(viewport={"width": WIDTH, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, base, accounts["school_admin"])
    page.goto(f"{base}/#/org/grants")
    page.get_by_test_id("grant-username").fill(accounts["course_teacher"]["username"])
    page.get_by_role("button", name="查找").click()
    grant = page.get_by_test_id("grant").first
    grant.get_by_test_id("revoke").click()
    expect(grant.get_by_test_id("confirm-text")).to_contain_text("确认撤销")  # nothing is revoked on one tap
    grant.get_by_test_id("confirm-no").click()
    expect(grant.get_by_test_id("revoke")).to_be_visible()
    grant.get_by_test_id("revoke").click()
    grant.get_by_test_id("confirm-yes").click()
    expect(grant.get_by_role("status")).to_contain_text("已撤销")
    expect(grant.get_by_test_id("revoke")).to_have_count(0)
    fits(page)
    context.close()
