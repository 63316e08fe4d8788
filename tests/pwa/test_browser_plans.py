"""Plans, the questionnaire and the self-diagnosis in real headless Chromium, on a phone."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.development import plans
from backend.extensions import db
from backend.models import ClassGroup, User
from tests.helpers import make_plan
from tests.pwa.test_browser import ARTIFACTS, log_in, serve


def _approved_term_plan(accounts):
    student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    plan = make_plan(student, summary="本学期目标")
    head = db.session.get(User, db.session.get(ClassGroup, student.student.class_id).head_teacher_id)
    plans.review(head, plan, "approve", None)
    db.session.commit()


@pytest.fixture(scope="module")
def live(tmp_path_factory, redis_server):
    base, accounts, stop = serve(tmp_path_factory.mktemp("plans"), redis_server.url)
    yield base, accounts
    stop()


def test_student_makes_a_plan_with_a_linked_goal_and_the_head_teacher_approves_it(live, browser, phone):
    base, accounts = live
    page = phone.new_page()
    log_in(page, base, accounts["student"])
    page.get_by_test_id("plans-link").click()
    page.get_by_test_id("new-student_term").click()
    expect(page.get_by_test_id("plan-status")).to_have_text("草稿")

    page.select_option("#goal-part", "A")
    page.select_option("#goal-point", "S-A-06")
    expect(page.locator("#goal-standard")).to_have_value("90")  # the college's standard fills in as the floor
    page.fill("#goal-target", "95")
    page.fill("#goal-standard", "85")
    page.fill("#goal-warning", "75")
    page.get_by_role("button", name="添加目标").click()
    # the refusal shows beside the field it names, which is focused (not in the plan card far above)
    expect(page.get_by_test_id("goal-error-standard")).to_contain_text("不得低于学院标准值 90")
    expect(page.locator("#goal-standard")).to_be_focused()
    page.fill("#goal-title", "")
    page.get_by_role("button", name="添加目标").click()
    expect(page.get_by_test_id("goal-error-title")).to_have_text("请填写名称。")
    page.fill("#goal-title", "作业完成率")
    page.fill("#goal-standard", "92")
    page.get_by_role("button", name="添加目标").click()
    goal = page.get_by_test_id("goal").first
    expect(goal).to_contain_text("作业完成率")
    expect(goal).to_contain_text("关联采分点 S-A-06")
    for part, title in (("B", "每周锻炼三次"), ("C", "考取职业技能证书")):
        page.select_option("#goal-part", part)
        page.select_option("#goal-point", "")
        page.fill("#goal-title", title)
        page.fill("#goal-target", "3")
        page.fill("#goal-standard", "2")
        page.fill("#goal-warning", "1")
        page.get_by_role("button", name="添加目标").click()
        expect(page.get_by_test_id("goal").filter(has_text=title)).to_be_visible()
    page.get_by_test_id("submit-plan").click()
    expect(page.get_by_test_id("plan-status")).to_have_text("待审阅")
    page.screenshot(path=ARTIFACTS / "plan-phone.png", full_page=True)
    plan_url = page.url

    head_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    head = head_context.new_page()
    log_in(head, base, accounts["head_teacher"])
    expect(head.get_by_test_id("home-head_teacher")).to_be_visible()
    head.goto(plan_url)
    head.get_by_test_id("approve").click()
    expect(head.get_by_test_id("plan-status")).to_have_text("已通过")
    head_context.close()
    page.reload()
    expect(page.get_by_test_id("plan-status")).to_have_text("已通过")


def test_questionnaire_is_resumable_and_ends_in_a_radar_with_suggestions(live, phone):
    base, accounts = live
    page = phone.new_page()
    log_in(page, base, accounts["student"])
    page.get_by_test_id("fill-assessment").click()
    elements = page.locator("[data-testid^=element-]")
    expect(elements).to_have_count(20)
    for i in range(5):
        with page.expect_response(lambda r: "self-assessment" in r.url and r.request.method == "PUT"):
            elements.nth(i).locator("input[type=radio]").nth(2).check()
    page.reload()  # stop and come back: the answers were saved as they were given
    expect(page.get_by_test_id("answered")).to_have_text("已答 5/20")
    expect(elements.nth(4).locator("input[type=radio]").nth(2)).to_be_checked()
    expect(page.get_by_test_id("radar-so-far")).to_be_visible()  # the radar of the answers so far is reachable
    page.get_by_test_id("submit-assessment").click()  # 15 left: named by number and title, the first scrolled to
    expect(page.get_by_role("alert").filter(has_text="还有 15 题未作答")).to_contain_text("6. ")
    expect(elements.nth(5).locator("input[type=radio]").first).to_be_focused()
    assert "answers." not in page.locator("main").inner_text()
    for i in range(5, 20):
        with page.expect_response(lambda r: "self-assessment" in r.url and r.request.method == "PUT"):
            elements.nth(i).locator("input[type=radio]").nth(0 if i in (7, 12) else 3).check()
    page.get_by_test_id("submit-assessment").click()

    radar = page.get_by_test_id("radar")
    expect(radar).to_be_visible()
    # Chart.js comes down with the first chart, then draws on the next frame.
    page.wait_for_function("() => globalThis.Chart?.getChart(document.querySelector('[data-testid=radar]'))")
    drawn = page.evaluate("""() => {
        const chart = Chart.getChart(document.querySelector('[data-testid=radar]'));
        return {type: chart.config.type, labels: chart.data.labels.length, series: chart.data.datasets.map(d => d.label),
                mine: chart.data.datasets[0].data};
    }""")
    assert drawn["type"] == "radar" and drawn["labels"] == 20
    assert drawn["series"] == ["本学期", "班级中位数"] and drawn["mine"][7] == 1 and drawn["mine"][0] == 3
    suggestions = page.get_by_test_id("suggestions").locator("li")
    expect(suggestions).to_have_count(2)
    expect(suggestions.first).to_contain_text("推荐第二课堂模块")
    page.screenshot(path=ARTIFACTS / "radar-phone.png", full_page=True)


def test_submitting_a_term_self_diagnosis_shows_next_terms_drafts(tmp_path_factory, redis_server, phone):
    base, accounts, stop = serve(tmp_path_factory.mktemp("diagnosis"), redis_server.url, prepare=_approved_term_plan)
    try:
        page = phone.new_page()
        log_in(page, base, accounts["student"])
        page.get_by_test_id("plans-link").click()
        page.get_by_test_id("my-plans").get_by_role("link").first.click()
        page.get_by_test_id("diagnosis-link").click()
        items = page.get_by_test_id("diagnosis-item")
        expect(items).to_have_count(3)
        expect(items.first).to_contain_text("暂无数据")
        page.get_by_test_id("submit-diagnosis").click()
        expect(page.get_by_role("alert")).to_contain_text("改进措施")  # measures are needed where targets were missed
        for i in range(3):
            page.fill(f"#cause-{i}", "时间安排不够")
            page.fill(f"#measure-{i}", "每周日晚上复盘一次")
        page.fill("#summary", "本学期计划执行一般")
        page.get_by_test_id("submit-diagnosis").click()
        expect(page.get_by_text("已提交，只读。")).to_be_visible()
        page.get_by_test_id("next-plan").click()
        expect(page.get_by_test_id("plan-status")).to_have_text("草稿")
        expect(page.get_by_test_id("goal")).to_have_count(3)
        expect(page.get_by_test_id("goal").first).to_contain_text("A 目标")

        page.goto(base + "/#/")
        page.get_by_test_id("report-link").click()
        report = page.get_by_test_id("student-report")
        expect(report).to_contain_text("学生发展报告")
        expect(report).to_contain_text("每周日晚上复盘一次")
        with page.expect_download() as download:
            report.get_by_role("button", name="PDF").click()
        assert download.value.suggested_filename.endswith("学生发展报告.pdf")
    finally:
        stop()
