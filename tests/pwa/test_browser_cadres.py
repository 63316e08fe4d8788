"""Cadres and grades on a 360 px phone (issue 16): the head teacher confirms a cadre's batch from
the home tile; the cadre's entry grid offers only their point and never themselves; the teaching
office previews a grades export and reads errors naming the student and the course."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.extensions import db
from backend.models import ClassGroup, Course, StudentProfile, TeachingAssignment, User
from backend.org import directory
from backend.platform import clock
from backend.valuecard import cadres
from tests.pwa.test_browser import ARTIFACTS, log_in, serve

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN"}
DATA = {}


def cadre_batch(accounts):
    """The student is the class's 学习委员 for S-A-07 and has recorded three classmates."""
    head = db.session.scalar(select(User).where(User.username == accounts["head_teacher"]["username"]))
    student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    cls = db.session.get(ClassGroup, student.student.class_id)
    term = directory.current_term(clock.school_today())
    cadres.grant(head, cls, term, {"student_id": student.id, "title": "学习委员", "points": ["S-A-07"]})
    mates = db.session.execute(select(User.id, User.username, User.display_name).join(
        StudentProfile, StudentProfile.user_id == User.id).where(
        StudentProfile.class_id == cls.id, User.id != student.id).order_by(User.username).limit(3)).all()
    cadres.record(student, term, {"point": "S-A-07", "period": f"month:{clock.school_today():%Y-%m}",
                                  "entries": [{"student_id": m.id, "value": 3} for m in mates]})
    course = db.session.scalar(select(Course).join(TeachingAssignment, TeachingAssignment.course_id == Course.id)
                               .where(TeachingAssignment.class_id == cls.id).limit(1))
    DATA.update(student_name=student.display_name, mates=[(m.username, m.display_name) for m in mates],
                course=(course.code, course.name))
    db.session.commit()


@pytest.fixture(scope="module")
def live(tmp_path_factory, redis_server):
    base, accounts, stop = serve(tmp_path_factory.mktemp("cadres"), redis_server.url, prepare=cadre_batch)
    yield base, accounts
    stop()


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_the_head_teacher_confirms_a_cadre_batch_from_the_home(live, browser):
    base, accounts = live
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, base, accounts["head_teacher"])
    tile = page.get_by_test_id("cadre-review-count")
    expect(tile).to_contain_text("1")
    tile.click()
    batch = page.get_by_test_id("cadre-batch")
    expect(batch).to_have_count(1)
    expect(batch).to_contain_text("S-A-07")
    expect(batch).to_contain_text(DATA["student_name"])
    expect(batch.get_by_test_id("cadre-values").locator("li")).to_have_count(3)
    expect(batch.get_by_test_id("cadre-state")).to_have_text("待班主任确认")
    _fits(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "cadre-review-360.png"), full_page=True)
    page.get_by_test_id("cadre-confirm").click()
    expect(page.get_by_test_id("cadre-state")).to_have_text("已确认")
    expect(page.get_by_test_id("cadre-confirm")).to_have_count(0)

    page.locator("[data-testid^=cadres-of-]").first.click()  # the class's cadres, one tap away
    expect(page.get_by_test_id("cadre-grants")).to_contain_text("学习委员")
    _fits(page)
    context.close()


def test_the_cadre_enters_only_their_point_for_classmates(live, browser):
    base, accounts = live
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, base, accounts["student"])
    page.get_by_test_id("cadre-entry-link").click()
    grid = page.get_by_test_id("cadre-entry")
    expect(grid.get_by_test_id("grid-point").locator("option")).to_have_count(1)
    expect(grid.get_by_test_id("grid-rows")).not_to_contain_text(DATA["student_name"])
    expect(page.get_by_test_id("my-cadre-batches")).to_contain_text("已确认")
    _fits(page)
    context.close()


def test_the_teaching_office_previews_grades_and_reads_errors_by_name(live, browser):
    base, accounts = live
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, base, accounts["teaching_office"])
    page.get_by_test_id("grades-link").click()
    code, name = DATA["course"]
    (n1, s1), (n2, s2), _ = DATA["mates"]
    good = f"课程代码,课程名称,学号,姓名,成绩,学分\n{code},{name},{n1},{s1},88,4\n{code},{name},{n2},{s2},良,4\n"
    page.get_by_test_id("grades-file").set_input_files(
        {"name": "成绩.csv", "mimeType": "text/csv", "buffer": good.encode()})
    page.get_by_test_id("grades-preview").click()
    expect(page.get_by_test_id("grades-counts")).to_contain_text("新增 2")
    expect(page.get_by_test_id("grades-changes")).to_contain_text(s1)
    _fits(page)
    bad = f"课程代码,课程名称,学号,姓名,成绩\nNOPE1,不存在的课,{n1},{s1},88\n{code},{name},{n2},{s2},差\n"
    page.get_by_test_id("grades-file").set_input_files(
        {"name": "成绩.csv", "mimeType": "text/csv", "buffer": bad.encode()})
    page.get_by_test_id("grades-import").click()
    errors = page.get_by_test_id("grades-error")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text(s1)
    expect(errors.nth(0)).to_contain_text("不存在的课")
    expect(errors.nth(0)).to_contain_text("未知的课程代码")
    expect(errors.nth(1)).to_contain_text(s2)
    _fits(page)
    page.screenshot(path=str(ARTIFACTS / "grades-import-360.png"), full_page=True)
    context.close()
