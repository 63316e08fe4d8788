"""The teacher portrait in real headless Chromium, on a phone: the teacher opens it from the home,
sees the radar and the indicator rows; the department admin reaches it from the teacher list."""
import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.development import plans, teacher_portrait
from backend.extensions import db
from backend.models import PortfolioItem, StaffProfile, User
from tests.pwa.test_browser import ARTIFACTS, log_in, serve

LONG_NAME = "Alexandrina Montgomery-Smythe"


def _prepare(accounts):
    """The head teacher is a competent teacher with training and practice hours; four colleagues of
    the department share the stage, so the median job stores a median."""
    year = plans.academic_year_now()
    me = db.session.scalar(select(User).where(User.username == accounts["head_teacher"]["username"]))
    me.display_name = LONG_NAME
    dept = db.session.get(StaffProfile, me.id).department_id
    colleagues = db.session.scalars(select(StaffProfile.user_id).where(
        StaffProfile.department_id == dept, StaffProfile.user_id != me.id).limit(4)).all()
    for n, teacher_id in enumerate([me.id, *colleagues]):
        plans.create(db.session.get(User, teacher_id), {"kind": "teacher_cycle", "stage": "competent"})
        db.session.add(PortfolioItem(owner_id=teacher_id, kind="training", title="国培计划", occurred_on=date(year, 10, 20),
                                     hours=48 + 8 * n))
    db.session.add(PortfolioItem(owner_id=me.id, kind="industry_practice", title="企业实践", occurred_on=date(year, 11, 2),
                                 hours=120))
    db.session.add(PortfolioItem(owner_id=me.id, kind="training", title="暑期研修", occurred_on=date(year, 3, 10), hours=40))
    db.session.commit()
    teacher_portrait.refresh_department(dept, year)
    db.session.commit()


@pytest.fixture(scope="module")
def live(tmp_path_factory, redis_server):
    base, accounts, stop = serve(tmp_path_factory.mktemp("portrait"), redis_server.url, prepare=_prepare)
    yield base, accounts
    stop()


def test_a_teacher_opens_their_portrait_and_the_department_admin_reaches_it(live, browser, phone):
    base, accounts = live
    ARTIFACTS.mkdir(exist_ok=True)
    page = phone.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    log_in(page, base, accounts["head_teacher"])
    page.get_by_test_id("portrait-link").click()
    expect(page.get_by_test_id("portrait-radar")).to_be_visible()
    expect(page.get_by_text(f"教师画像 · {LONG_NAME}")).to_be_visible()
    expect(page.get_by_test_id("portrait-median")).to_contain_text("院系同阶段中位数计算于")
    training = page.get_by_test_id("indicator-T-TRAIN")
    expect(training).to_contain_text("培训学时")
    expect(training).to_contain_text("实际：48 h")
    expect(training).to_contain_text("标准：72 h")
    expect(training).to_contain_text("来源：成长档案")
    expect(page.get_by_test_id("dimension-career")).to_contain_text("职业发展")
    expect(page.get_by_test_id("indicator-T-ATTEND")).to_contain_text("学生出勤率")
    page.wait_for_function("() => document.querySelector('[data-testid=portrait-radar]').width > 0")  # drawn by Chart.js
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "portrait-390x844.png"))
    page.screenshot(path=str(ARTIFACTS / "portrait-390x844-full.png"), full_page=True)
    assert errors == []

    # The yearly report page carries the portrait's dimensions (the PDF and XLSX are tested in tests/development).
    page.goto(base + "/#/")
    page.get_by_role("link", name="年度自我诊断报告").click()
    expect(page.get_by_test_id("teacher-report")).to_contain_text("院系中位数")
    expect(page.get_by_test_id("report-portrait")).to_be_visible()
    assert errors == []

    # 360 px, in English: nothing wider than the screen.
    narrow = browser.new_context(viewport={"width": 360, "height": 780}, is_mobile=True, locale="en-GB")
    en = narrow.new_page()
    log_in(en, base, accounts["head_teacher"])
    expect(en.get_by_test_id("portrait-link")).to_be_visible()
    en.evaluate("localStorage.setItem('spiral.lang', 'en')")
    en.goto(base + "/#/portrait")
    en.reload()
    expect(en.get_by_test_id("portrait-radar")).to_be_visible()
    expect(en.get_by_test_id("indicator-T-TRAIN")).to_contain_text("Training hours")
    assert en.evaluate("document.documentElement.scrollWidth") <= 360
    en.screenshot(path=str(ARTIFACTS / "portrait-360-en.png"), full_page=True)
    narrow.close()

    # The department admin: the teacher list links each teacher's portrait.
    admin_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    admin = admin_context.new_page()
    log_in(admin, base, accounts["dept_admin"])
    admin.get_by_test_id("dept-teachers-link").click()
    admin.locator("[data-testid^=portrait-]").filter(has_text="教师画像").first.wait_for()
    row = admin.get_by_role("listitem").filter(has_text=LONG_NAME)
    # Their three-year plan opens from the list (to review it), as the portrait does.
    expect(row.get_by_role("link", name=re.compile("教师三年发展规划"))).to_have_attribute("href", re.compile(r"#/plans/\d+"))
    row.get_by_role("link", name="教师画像").click()
    expect(admin.get_by_test_id("portrait-radar")).to_be_visible()
    expect(admin.get_by_text(f"教师画像 · {LONG_NAME}")).to_be_visible()
    admin_context.close()
