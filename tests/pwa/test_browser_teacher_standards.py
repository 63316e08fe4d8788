"""Teacher stage standards on a phone (issue 20): a school admin edits a value and sees the 422
beside the field it names; a teacher reads them at 360 px in both languages and links a goal to an
indicator, whose stage standard fills in. Every wait is on the list's `data-ready` after a redraw
(year or stage), so nothing is typed into a row that is being replaced."""
import pytest
from playwright.sync_api import expect

from tests.conftest import PHONE
from tests.pwa.test_browser import ARTIFACTS, log_in, serve

MONDAY = "2026-11-23T10:00:00+08:00"  # a school Monday mid-term: the test never depends on today's date


@pytest.fixture(scope="module")
def site(tmp_path_factory, redis_server):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SPIRAL_CLOCK_START", MONDAY)
        base, accounts, stop = serve(tmp_path_factory.mktemp("tstd"), redis_server.url)
    yield base, accounts
    stop()


def _context(browser, width: int, locale: str = "zh-CN"):
    return browser.new_context(viewport={"width": width, "height": PHONE["height"]}, device_scale_factor=2,
                               is_mobile=True, has_touch=True, locale=locale)


def _ready(page, key: str):
    expect(page.get_by_test_id("standards")).to_have_attribute("data-ready", key)


def test_a_school_admin_edits_a_standard_and_sees_the_field_named(site, browser):
    base, accounts = site
    context = _context(browser, PHONE["width"])
    page = context.new_page()
    log_in(page, base, accounts["school_admin"])
    page.get_by_test_id("teacher-standards-link").click()
    _ready(page, "2026:novice")
    row = page.get_by_test_id("std-T-ATTEND")
    row.get_by_test_id("standard").fill("70")  # below the warning value 80
    row.get_by_test_id("save").click()
    expect(row.get_by_test_id("error-standard")).to_contain_text("标准值应高于预警值 80")
    expect(row.get_by_test_id("error-warning")).to_be_visible()
    row.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "teacher-standards-422-390.png"), full_page=False)
    row.get_by_test_id("standard").fill("")  # an emptied field is refused here, named, never sent as 0
    row.get_by_test_id("save").click()
    expect(row.get_by_test_id("error-standard")).to_have_text("请填写标准值。")
    expect(row.get_by_test_id("standard")).to_be_focused()
    row.get_by_test_id("standard").fill("91")
    row.get_by_test_id("save").click()
    expect(row.get_by_test_id("row-message")).to_have_text("已保存")
    expect(row.get_by_test_id("row-message")).not_to_have_class("error")  # a success is not shown in red
    expect(row.get_by_test_id("error-standard")).to_be_hidden()

    page.select_option("[data-testid=stage]", "expert")
    _ready(page, "2026:expert")
    lower = page.get_by_test_id("std-T-FAIL")  # lower is better: a standard above its warning value
    lower.get_by_test_id("standard").fill("20")
    lower.get_by_test_id("save").click()
    expect(lower.get_by_test_id("error-standard")).to_contain_text("标准值应低于预警值 15")
    page.select_option("[data-testid=stage]", "novice")
    _ready(page, "2026:novice")
    expect(page.get_by_test_id("std-T-ATTEND").get_by_test_id("standard")).to_have_value("91")
    page.screenshot(path=str(ARTIFACTS / "teacher-standards-admin-390.png"), full_page=False)
    context.close()


def test_a_teacher_reads_the_standards_at_360px_and_links_a_goal_to_an_indicator(site, browser):
    base, accounts = site
    # The admin's edit above (same module, same file on one worker: --dist loadfile) set novice T-ATTEND to 91.
    for locale in ("zh-CN", "en"):
        context = _context(browser, 360, locale)
        if locale == "en":
            context.add_init_script("localStorage.setItem('spiral.lang', 'en')")
        page = context.new_page()
        log_in(page, base, accounts["head_teacher"])
        page.get_by_test_id("teacher-standards-link").click()
        _ready(page, "2026:novice")
        row = page.get_by_test_id("std-T-ATTEND")
        expect(row.get_by_test_id("standard")).to_have_count(0)  # read only
        expect(row).to_contain_text("标准值 91 %" if locale == "zh-CN" else "Standard 91 %")  # as the admin set it
        expect(page.get_by_text("修改只影响所选学年" if locale == "zh-CN" else "changes only the chosen")).to_have_count(0)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing scrolls sideways
        page.screenshot(path=str(ARTIFACTS / f"teacher-standards-teacher-360-{locale}.png"), full_page=False)
        context.close()

    page = _context(browser, PHONE["width"]).new_page()
    log_in(page, base, accounts["head_teacher"])
    page.get_by_test_id("plans-link").click()
    page.get_by_test_id("new-teacher_cycle").click()
    page.get_by_test_id("create-teacher_cycle").click()  # no stage chosen: refused, named
    expect(page.get_by_test_id("new-stage-error")).to_have_text("请选择发展阶段")
    page.select_option("[data-testid=new-stage]", "novice")
    with page.expect_request(lambda r: r.url.endswith("/api/v1/me/plans") and r.method == "POST") as sent:
        page.get_by_test_id("create-teacher_cycle").click()
    assert sent.value.post_data_json == {"kind": "teacher_cycle", "stage": "novice"}
    expect(page.get_by_test_id("plan-status")).to_have_text("草稿")
    expect(page.get_by_text("新手型")).to_be_visible()
    page.select_option("#goal-part", "teaching")
    expect(page.locator("#goal-point option[value=T-ATTEND]")).to_contain_text("当前")
    page.select_option("#goal-point", "T-ATTEND")
    expect(page.locator("#goal-standard")).to_have_value("91")  # the novice stage standard, as the admin set it
    page.get_by_role("button", name="添加目标").click()
    goal = page.get_by_test_id("goal").first
    expect(goal).to_contain_text("T-ATTEND")
    page.screenshot(path=str(ARTIFACTS / "teacher-goal-indicator-390.png"), full_page=False)


def test_a_student_rates_a_course_anonymously_once(site, browser):
    base, accounts = site
    page = _context(browser, 360).new_page()
    log_in(page, base, accounts["student"])
    page.get_by_test_id("course-evaluation-link").click()
    course = page.locator("li[data-testid^=eval-]").first
    course.get_by_test_id("score-4").click()  # chosen, not sent: a rating cannot be taken back
    expect(course.get_by_test_id("eval-done")).to_have_count(0)
    course.get_by_test_id("eval-submit").click()
    expect(course.get_by_test_id("eval-done")).to_have_text("已评价")
    expect(course.get_by_test_id("score-4")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "course-evaluation-student-360.png"), full_page=False)
    page.reload()
    expect(page.locator("li[data-testid^=eval-]").first.get_by_test_id("eval-done")).to_be_visible()


def test_staff_on_the_course_evaluation_are_told_why_with_a_way_back(site, browser):
    base, accounts = site
    page = _context(browser, 360).new_page()
    log_in(page, base, accounts["head_teacher"])
    page.goto(base + "/#/course-evaluation")
    expect(page.get_by_test_id("eval-refused")).to_be_visible()
    expect(page.get_by_test_id("back")).to_be_visible()
