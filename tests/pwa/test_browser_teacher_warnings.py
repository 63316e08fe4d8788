"""Issue 20 on a phone: the department admin opens the teacher warnings from the home, reads one's
evidence (the figure, the line, the stage standard, where the figure comes from, since when),
acknowledges it and adds an action; at 390×844 and at 360 px, in Chinese and English, with a long name."""
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from backend import demo
from backend.alerts import teacher_warnings
from backend.development import plans
from backend.extensions import db
from backend.models import PortfolioItem, StaffProfile, TeacherWarning, User
from backend.org import directory
from backend.platform import clock
from tests.conftest import PHONE
from tests.pwa.test_browser import ARTIFACTS, log_in, serve

SMALL = {"width": 360, "height": 740}
LONG = "欧阳·买买提艾力·司马长风 Oyang Maimaiti-Aili Sima Changfeng"


def prepare_warning(found: dict):
    """The course teacher, a novice with a three-year plan, a portfolio and no training this year, past the
    training line for four weeks: one warning to their department admin."""
    def prepare(accounts):
        teacher = db.session.scalar(select(User).where(User.username == accounts["course_teacher"]["username"]))
        teacher.display_name = LONG
        year = int(directory.current_term(clock.school_today()).academic_year[:4])
        plans.create(teacher, {"kind": "teacher_cycle", "stage": "novice", "start_year": year})
        # They keep a portfolio in Spiral (a certificate), so no training item is 0 hours.
        db.session.add(PortfolioItem(owner_id=teacher.id, kind="certificate", title="教师资格证",
                                     occurred_on=clock.school_today() - timedelta(days=40)))
        db.session.commit()
        teacher_warnings.evaluate(year, clock.now() - timedelta(days=29))
        teacher_warnings.evaluate(year)
        db.session.commit()
        w = db.session.scalar(select(TeacherWarning).where(TeacherWarning.teacher_id == teacher.id,
                                                           TeacherWarning.indicator_code == "T-TRAIN"))
        dept = db.session.get(StaffProfile, teacher.id).department_id
        admin = db.session.get(User, teacher_warnings.recipients(w)[0])
        assert db.session.get(StaffProfile, admin.id).department_id == dept
        found.update(warning=w.id, admin={"username": admin.username, "password": demo.DEMO_PASSWORD})
    return prepare


def test_a_department_admin_acknowledges_a_teacher_warning(tmp_path_factory, redis_server, browser):
    found = {}
    base, _, stop = serve(tmp_path_factory.mktemp("twarn"), redis_server.url, prepare=prepare_warning(found))
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, locale="zh-CN")
        page = context.new_page()
        log_in(page, base, found["admin"])
        page.get_by_test_id("teacher-warnings-link").click()
        item = page.locator(f"a[href='#/teacher-warnings/{found['warning']}']")
        expect(item).to_contain_text(LONG)
        expect(item).to_contain_text("培训学时")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        item.click()

        expect(page.get_by_test_id("status")).to_have_text("已通知")
        expect(page.get_by_test_id("tw-value")).to_contain_text("0 h")
        expect(page.get_by_test_id("tw-evidence")).to_contain_text("年度预警值48 h")
        expect(page.get_by_test_id("tw-evidence")).to_contain_text("新手")
        expect(page.get_by_test_id("tw-since")).to_contain_text("29 天（满 28 天通知系部）")
        expect(page.get_by_test_id("tw-source")).to_contain_text("成长档案中培训条目的学时合计")
        page.get_by_test_id("tw-acknowledge").click()
        expect(page.get_by_test_id("status")).to_have_text("已确认")
        expect(page.get_by_test_id("tw-acknowledge")).to_have_count(0)
        form = page.get_by_test_id("tw-note-form")
        form.locator("select[name=kind]").select_option("action")
        form.locator("textarea[name=text]").fill("已约谈，报名寒假教学能力培训 24 学时")
        form.get_by_role("button").click()
        expect(page.get_by_test_id("status")).to_have_text("干预中")
        expect(page.get_by_test_id("timeline")).to_contain_text("已约谈，报名寒假教学能力培训")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(ARTIFACTS / "teacher-warning-390x844.png"), full_page=True)

        page.set_viewport_size(SMALL)  # the smallest phone, and English
        page.locator("#lang").click()
        page.reload()
        expect(page.get_by_test_id("tw-evidence")).to_contain_text("Yearly warning value")
        expect(page.get_by_test_id("tw-source")).to_contain_text("Hours of the training items")
        assert page.evaluate("document.documentElement.scrollWidth") <= SMALL["width"]
        page.screenshot(path=str(ARTIFACTS / "teacher-warning-en-360x740.png"), full_page=True)
        page.goto(f"{base}/#/teacher-warnings")
        expect(page.get_by_test_id("teacher-warning-list")).to_contain_text("Training hours")
        assert page.evaluate("document.documentElement.scrollWidth") <= SMALL["width"]
        context.close()
    finally:
        stop()
