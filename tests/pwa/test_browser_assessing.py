"""The department admin assesses a teacher's year on a phone: the self-diagnosis beside the
teacher's computed indicators, the assessment with one measure, agreed; the teacher then reads it."""
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.development import diagnosis, plans, portfolio
from backend.extensions import db
from backend.models import StaffProfile, User
from tests.pwa.test_browser import ARTIFACTS, log_in, serve
from tests.pwa.test_browser_screens import Screens

LONG_NAME = "欧阳诸葛慕容皇甫司马长孙上官令狐"
PLAN: dict = {}


def _diagnosed_year(accounts):
    """The head teacher (a teacher of the first department) with a long name: a competent-stage
    three-year plan, an annual plan with its self-diagnosis submitted, 40 training hours."""
    teacher = db.session.scalar(select(User).where(User.username == accounts["head_teacher"]["username"]))
    admin = db.session.scalar(select(User).where(User.username == accounts["dept_admin"]["username"]))
    teacher.display_name = LONG_NAME
    year = plans.academic_year_now()
    cycle = plans.create(teacher, {"kind": "teacher_cycle", "stage": "competent"})
    for part in plans.PARTS["teacher_cycle"]:
        plans.set_goal(cycle, {"part": part, "title": f"{part} 目标", "target": 1, "standard": 1, "warning": 0})
    plans.submit(cycle)
    plans.review(admin, cycle, "approve", None)
    annual = plans.create(teacher, {"kind": "teacher_year"})
    plans.set_goal(annual, {"part": "A", "title": "完成教学工作量", "unit": "课时", "target": 320, "standard": 280, "warning": 240})
    plans.set_goal(annual, {"part": "B", "title": "培训学时", "unit": "学时", "target": 72, "standard": 48, "warning": 24})
    plans.submit(annual)
    portfolio.add(teacher, {"kind": "training", "title": "国培计划", "occurred_on": date(year, 10, 20), "hours": 40})
    diagnosis.submit(annual, {"summary": "教学任务完成，培训不足", "items": [
        {"goal_id": g.id, "cause": "课多", "measure": "寒假补足培训"} for g in annual.goals]})
    db.session.commit()
    PLAN.update(id=annual.id, teacher=teacher.id, dept=db.session.get(StaffProfile, teacher.id).department_id)


@pytest.fixture(scope="module")
def live(tmp_path_factory, redis_server):
    base, accounts, stop = serve(tmp_path_factory.mktemp("assessing"), redis_server.url, prepare=_diagnosed_year)
    yield base, accounts
    stop()


def _fits(page, width: int = 390) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling


def test_the_assessing_screens_fit_360_px_and_are_accessible(live, browser):
    """As the screen crawl checks every screen (runs first, while the assessment is still open):
    no console error or failed request, no sideways scrolling, no target under 44 px, no serious
    axe-core violation, in Chinese and in English."""
    base, accounts = live
    found = []
    for role, screens in (("dept_admin", [f"#/dept-assessing/{PLAN['dept']}", f"#/assessing/{PLAN['id']}",
                                          f"#/diagnosis/{PLAN['id']}", "#/teacher-summary"]),
                          ("school_admin", ["#/teacher-summary"]), ("head_teacher", [f"#/diagnosis/{PLAN['id']}"])):
        phone = Screens(browser, base)
        log_in(phone.page, base, accounts[role])
        expect(phone.page.get_by_test_id(f"home-{role}")).to_be_visible()
        phone.settle()
        for lang in ("zh", "en"):
            if lang == "en":
                phone.page.locator("#lang").click()
            for hash_ in screens:
                phone.open(hash_)
                found += phone.check(f"{role} {hash_} {lang}", 360)
                if hash_.startswith("#/assessing/"):  # and with a measure's fields open
                    phone.page.get_by_test_id("add-measure").click()
                    phone.page.evaluate("() => document.querySelector('#view h2').focus()")
                    found += phone.check(f"{role} {hash_} {lang} with a measure", 360)
        phone.page.locator("#lang").click()  # back to Chinese: the choice is the user's setting
        phone.settle()
        phone.context.close()
    assert found == [], "\n".join(found)


def test_department_admin_assesses_a_teachers_year_and_the_teacher_reads_it(live, browser, phone):
    base, accounts = live
    ARTIFACTS.mkdir(exist_ok=True)
    page = phone.new_page()
    log_in(page, base, accounts["dept_admin"])
    page.get_by_test_id("dept-assessing-link").click()
    row = page.get_by_test_id("assessing-row").filter(has_text=LONG_NAME)
    expect(row).to_contain_text("自我诊断 待审阅")
    expect(page.get_by_test_id("summary-assessing")).to_contain_text("自我诊断已提交 1")
    _fits(page)
    page.screenshot(path=str(ARTIFACTS / "assessing-department-390x844.png"), full_page=True)

    row.get_by_test_id("assess-link").click()
    expect(page.get_by_test_id("sd-items")).to_contain_text("寒假补足培训")
    training = page.locator("[data-testid=indicator][data-code=T-TRAIN]")
    expect(training).to_contain_text("培训学时 · 40 h")
    expect(training).to_contain_text("未达标准")
    expect(training).to_contain_text("阶段标准 80 / 72 / 48")
    expect(page.get_by_test_id("assessing-status")).to_have_text("未开始")

    page.fill("#assessing-text", "教学任务完成较好；培训学时未达胜任型标准，下一年度补足。")
    page.select_option("#assessing-conclusion", "standard")
    page.get_by_test_id("add-measure").click()
    page.select_option("#m0-part", "B")
    page.fill("#m0-title", "培训学时达到 72 学时")
    page.select_option("#m0-point", "T-TRAIN")
    page.fill("#m0-target", "80")
    page.fill("#m0-standard", "90")  # out of order: refused, and the field named
    page.fill("#m0-warning", "48")
    page.get_by_test_id("agree-assessing").click()
    expect(page.get_by_role("alert").last).to_contain_text("标准值（第 1 项）")
    page.fill("#m0-standard", "72")
    page.get_by_test_id("save-assessing").click()
    expect(page.get_by_test_id("assessing-status")).to_have_text("草稿")
    _fits(page)
    page.screenshot(path=str(ARTIFACTS / "assessing-form-390x844.png"), full_page=True)
    page.get_by_test_id("agree-assessing").click()
    expect(page.get_by_test_id("assessing-status")).to_have_text("已确认")
    expect(page.get_by_test_id("measure")).to_contain_text("已成为下一年度目标")
    _fits(page)
    page.screenshot(path=str(ARTIFACTS / "assessing-agreed-390x844.png"), full_page=True)

    # The same screen at 360 px in English, the long name and all.
    narrow = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, locale="en-GB")
    en = narrow.new_page()
    log_in(en, base, accounts["dept_admin"])
    expect(en.get_by_test_id("home-dept_admin")).to_be_visible()
    if en.locator("#lang").inner_text().strip() == "EN":
        en.locator("#lang").click()
    en.goto(f"{base}/#/assessing/{PLAN['id']}")
    expect(en.get_by_test_id("assessing-status")).to_have_text("Agreed")
    expect(en.locator("[data-testid=indicator][data-code=T-TRAIN]")).to_contain_text("Training hours · 40 h")
    _fits(en, 360)
    narrow.close()

    teacher_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    teacher = teacher_context.new_page()
    log_in(teacher, base, accounts["head_teacher"])
    expect(teacher.get_by_test_id("home-head_teacher")).to_be_visible()
    teacher.goto(f"{base}/#/diagnosis/{PLAN['id']}")
    expect(teacher.get_by_test_id("assessing-status")).to_have_text("已确认")
    expect(teacher.get_by_test_id("assessing-text")).to_contain_text("培训学时未达胜任型标准")
    _fits(teacher)
    teacher.screenshot(path=str(ARTIFACTS / "assessing-teacher-diagnosis-390x844.png"), full_page=True)
    teacher.get_by_test_id("next-year-plan").click()
    expect(teacher.get_by_test_id("goal").filter(has_text="培训学时达到 72 学时")).to_be_visible()
    expect(teacher.get_by_test_id("plan-status")).to_have_text("草稿")
    _fits(teacher)
    teacher.screenshot(path=str(ARTIFACTS / "assessing-teacher-next-plan-390x844.png"), full_page=True)
    teacher_context.close()
