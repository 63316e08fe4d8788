"""On a 360 px phone: a course teacher records homework for one of their two lessons of the day, and
the school admin adds a point while re-balancing its domain's weights."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.extensions import db
from backend.models import Course, TeachingAssignment, User
from backend.platform import clock
from backend.valuecard import attendance
from tests.pwa.test_browser import ARTIFACTS, log_in, serve

NARROW = {"width": 360, "height": 780}


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]


@pytest.fixture(scope="module")
def occasions_live(tmp_path_factory, redis_server):
    made = {}

    def prepare(accounts):
        teacher = db.session.scalar(select(User).where(User.username == accounts["course_teacher"]["username"]))
        student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
        course_id, course = db.session.execute(
            select(Course.id, Course.name).join(TeachingAssignment, TeachingAssignment.course_id == Course.id)
            .where(TeachingAssignment.teacher_id == teacher.id,
                   TeachingAssignment.class_id == student.student.class_id)).first()
        today = clock.school_today()
        # Two lessons of the same course with the class today: the teacher picks the morning one.
        made["sessions"] = [attendance.open_session(teacher, student.student.class_id, course_id,
                                                    clock.school_moment(today, hour), 10).id for hour in (8, 14)]
        made["course"] = course
        db.session.commit()
    base, accounts, stop = serve(tmp_path_factory.mktemp("occasions"), redis_server.url, prepare=prepare)
    yield base, accounts, made
    stop()


@pytest.fixture
def narrow_phone(browser):
    context = browser.new_context(viewport=NARROW, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN")
    yield context
    context.close()


def test_a_course_teacher_records_homework_for_one_of_two_lessons(occasions_live, narrow_phone):
    base, accounts, made = occasions_live
    ARTIFACTS.mkdir(exist_ok=True)
    page = narrow_phone.new_page()
    log_in(page, base, accounts["course_teacher"])
    page.get_by_test_id("entry-link").click()
    page.get_by_test_id("grid-point").select_option("S-A-06")
    meeting = page.get_by_test_id("grid-meeting")
    expect(meeting.locator("option")).to_have_count(2)
    expect(meeting.locator("option").first).to_contain_text(f"14:00 {made['course']}")  # newest first
    expect(page.get_by_test_id("grid-period")).to_be_hidden()
    morning = made["sessions"][0]
    meeting.select_option(str(morning))
    fill = page.get_by_placeholder("全部填为…")
    fill.fill("90")
    fill.dispatch_event("change")
    fits(page)
    page.screenshot(path=str(ARTIFACTS / "entry-per-meeting-360.png"), full_page=True)
    page.get_by_test_id("grid-submit").click()
    expect(page.get_by_test_id("grid-result")).to_contain_text("已保存")
    # The same lesson again: refused on the students' own rows, by name.
    fill.fill("80")
    fill.dispatch_event("change")
    page.get_by_test_id("grid-submit").click()
    expect(page.get_by_test_id("grid-summary")).to_contain_text("未保存")
    expect(page.locator("[data-message]:visible").first).to_contain_text("这节课（这次班会）已有记录")
    # The afternoon lesson is another occasion: its homework is saved too.
    meeting.select_option(str(made["sessions"][1]))
    page.get_by_test_id("grid-submit").click()
    expect(page.get_by_test_id("grid-result")).to_contain_text("已保存")
    fits(page)


def test_the_admin_adds_a_point_and_rebalances_its_domain(occasions_live, narrow_phone):
    base, accounts, _ = occasions_live
    page = narrow_phone.new_page()
    log_in(page, base, accounts["school_admin"])
    expect(page.get_by_test_id("home-school_admin")).to_be_visible(timeout=30_000)
    page.goto(base + "/#/catalogue")
    add = page.get_by_test_id("add-point")
    add.locator("summary").click()
    add.get_by_test_id("add-domain").select_option("personal")
    add.get_by_test_id("add-name_zh").fill("团学活动出勤频次")
    add.get_by_test_id("add-name_en").fill("Student-activity attendance")
    add.get_by_test_id("add-unit").fill("次")
    add.get_by_test_id("add-max").fill("40")
    add.get_by_test_id("add-timing").select_option("monthly")
    add.get_by_test_id("add-scorer_roles").select_option("counsellor")
    add.get_by_test_id("add-weight").fill("0.04")
    add.get_by_test_id("add-standard").fill("2")
    add.get_by_test_id("add-warning").fill("0")
    add.get_by_test_id("add-rationale").fill("表14 个人发展：团学活动出勤频次")
    expect(add.get_by_test_id("weights-total")).to_contain_text("合计 1.04")
    add.get_by_test_id("add-save").click()
    expect(add.get_by_test_id("error-weights")).to_contain_text("个人发展各采分点权重合计 1.04")
    fits(page)
    add.get_by_test_id("weight-S-P-01").fill("0")
    expect(add.get_by_test_id("weights-total")).to_contain_text("合计 1（")
    page.screenshot(path=str(ARTIFACTS / "catalogue-add-point-360.png"), full_page=True)
    add.get_by_test_id("add-save").click()
    expect(add.get_by_test_id("add-message")).to_contain_text("X-P-")
    expect(page.get_by_test_id("domain-personal")).to_contain_text("团学活动出勤频次")
    # The domain's weights re-balanced on their own: a sum other than 1 is refused, naming the domain.
    domain = page.get_by_test_id("domain-personal")
    domain.locator("summary").first.click()
    weights = page.get_by_test_id("weights-personal")
    weights.locator("summary").click()
    weights.get_by_test_id("weight-S-P-02").fill("0.2")
    weights.get_by_test_id("weights-save-personal").click()
    expect(weights.get_by_test_id("weights-message-personal")).to_contain_text("权重合计")
    weights.get_by_test_id("weight-S-P-02").fill("0.08")
    weights.get_by_test_id("weight-S-P-03").fill("0.1")
    expect(weights.get_by_test_id("weights-total")).to_contain_text("合计 1（")
    weights.get_by_test_id("weights-save-personal").click()
    expect(weights.get_by_test_id("weights-message-personal")).to_have_text("已保存")
    fits(page)
