"""Homes are short dashboards that fit a phone (issue 14): every role's home at 360, 390 and 414 px
with a class where every student is under a warning value and has an open warning (padded to 50
names and 50 warnings, as a large class would have), the class report's list of names wrapping,
skeletons while a card's data is on its way, and a login page that loads only the core modules."""
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.alerts import incidents, warnings
from backend.extensions import db
from backend.models import ClassGroup, Incident, StudentProfile, User
from backend.org import directory
from backend.platform import clock
from backend.reporting import rollups
from backend.valuecard import ledger
from tests.pwa.test_browser import log_in, serve

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ROLES = ["student", "head_teacher", "course_teacher", "counsellor", "student_affairs", "teaching_office",
         "pe_teacher", "dept_admin", "school_admin"]
LOGIN_MODULES = {"app.js", "api.js", "i18n.js", "dom.js", "db.js", "outbox.js"}
MANY = 50
LONG = "欧阳司马诸葛长名字同学"  # names as long as any roster holds, so a list of them must wrap


def everyone_under_warning(accounts):
    """Every student of the head teacher's class scores 35 on S-A-09 (under its warning value):
    each gets an open warning and the class report lists them all. A whole class past the line in
    one batch is a mass-event incident (issue 15) whose warnings wait: the head teacher confirms
    the grades are right, which releases them."""
    head = db.session.scalar(select(User).where(User.username == accounts["head_teacher"]["username"]))
    me = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    term = directory.current_term(clock.school_today())
    students = db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == me.student.class_id)).all()
    ledger.record_batch(head, term, {"point": "S-A-09", "period": "term",
                                     "entries": [{"student_id": s, "value": 35} for s in students]})
    for incident in db.session.scalars(select(Incident).where(Incident.status == "open")).all():
        incidents.decide(head, incident, "confirmed", None)
    db.session.commit()
    warnings.evaluate_class(term, db.session.get(ClassGroup, me.student.class_id))
    rollups.rebuild(term)
    db.session.commit()


@pytest.fixture(scope="module")
def live(tmp_path_factory, redis_server):
    base, accounts, stop = serve(tmp_path_factory.mktemp("homes"), redis_server.url, history=True,
                                 prepare=everyone_under_warning)
    yield base, accounts
    stop()


def widen(page):
    """Pads the server's open warnings and the class report's names under a warning value to 50,
    with the longest names, as a full class would show."""
    def warnings_answer(route):
        found = route.fetch().json()
        if not found:
            return route.fulfill(json=found)
        padded = [{**found[i % len(found)], "id": 100000 + i, "student_name": LONG} for i in range(MANY)]
        route.fulfill(json=padded)

    def report_answer(route):
        report = route.fetch().json()
        for row in report["under_warning"]:
            row["students"] = [{"id": i, "name": f"{LONG}{i}"} for i in range(MANY)]
        route.fulfill(json=report)

    page.route(re.compile(r".*/api/v1/warnings\?status=open$"), warnings_answer)
    page.route(re.compile(r".*/api/v1/reports/class/\d+$"), report_answer)


def home_ready(page, role):
    expect(page.locator(f"[data-testid=home-{role}][aria-busy=false]")).to_be_attached()
    expect(page.locator(".skeleton")).to_have_count(0)


@pytest.mark.parametrize("width", [360, 390, 414])
def test_every_home_fits_the_phone_without_scrolling_sideways(live, browser, width):
    base, accounts = live
    ARTIFACTS.mkdir(exist_ok=True)
    for role in ROLES:
        context = browser.new_context(viewport={"width": width, "height": 844}, device_scale_factor=2,
                                      is_mobile=True, locale="zh-CN")
        page = context.new_page()
        widen(page)
        log_in(page, base, accounts[role])
        home_ready(page, role)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, role
        # A dashboard, not the whole college: about two phone screens at most.
        assert page.evaluate("document.documentElement.scrollHeight") <= 2 * 844, role
        if width == 390:
            page.screenshot(path=str(ARTIFACTS / f"home-{role}-390x844.png"))
        context.close()


def test_the_head_teacher_sees_counts_and_the_worst_warnings_first(live, phone):
    base, accounts = live
    page = phone.new_page()
    widen(page)
    log_in(page, base, accounts["head_teacher"])
    home_ready(page, "head_teacher")
    expect(page.get_by_test_id("alert-item")).to_have_count(3)  # the first few; the rest one tap away
    expect(page.get_by_test_id("all-warnings")).to_contain_text(f"({MANY})")
    expect(page.get_by_test_id("leave-count")).to_be_visible()
    expect(page.get_by_test_id("disputes-count")).to_be_visible()
    page.get_by_test_id("all-warnings").click()
    expect(page.get_by_test_id("alert-item")).to_have_count(MANY)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("width", [360, 390, 414])
def test_the_class_report_wraps_fifty_names_under_a_warning_value(live, browser, width):
    base, accounts = live
    context = browser.new_context(viewport={"width": width, "height": 844}, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    widen(page)
    log_in(page, base, accounts["head_teacher"])
    home_ready(page, "head_teacher")  # tapped once the home has settled: a card drawn late moves the tiles
    page.get_by_test_id("reports-link").click()
    names = page.get_by_test_id("under-warning-names").first
    expect(names).to_contain_text(f"{LONG}{MANY - 1}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert names.evaluate("(n) => n.scrollWidth <= n.clientWidth")
    if width == 390:
        page.screenshot(path=str(ARTIFACTS / "report-class-390x844.png"), full_page=True)
    context.close()


def test_a_card_shows_a_skeleton_until_its_data_is_in(live, phone):
    base, accounts = live
    page = phone.new_page()
    held = []
    page.route(re.compile(r".*/api/v1/warnings\?status=open$"), lambda route: held.append(route))
    log_in(page, base, accounts["head_teacher"])
    expect(page.get_by_test_id("home-head_teacher")).to_have_attribute("aria-busy", "true")
    expect(page.locator(".skeleton")).to_have_count(1)          # only the card still waiting
    expect(page.get_by_test_id("leave-count")).to_be_visible()  # the others are drawn already
    held[0].continue_()
    home_ready(page, "head_teacher")
    expect(page.get_by_test_id("alert-item").first).to_be_visible()


def test_a_slow_screen_the_user_has_left_does_not_draw_over_the_next(live, phone):
    base, accounts = live
    page = phone.new_page()
    held = []
    page.route(re.compile(r".*/api/v1/catalogue$"), lambda route: held.append(route))
    log_in(page, base, accounts["head_teacher"])
    home_ready(page, "head_teacher")
    page.evaluate("() => { location.hash = '#/my-points'; }")
    sessions = page.locator("h2", has_text="课堂与考勤")
    while not held:  # the points screen is waiting for the catalogue
        page.wait_for_timeout(50)
    page.evaluate("() => { location.hash = '#/sessions'; }")
    expect(sessions).to_be_visible()
    held[0].continue_()
    page.wait_for_load_state("networkidle")
    expect(sessions).to_be_visible()  # the catalogue's answer came late and was not drawn
    expect(page.locator("h2", has_text="我负责的采分点")).to_have_count(0)


def test_the_login_page_loads_only_the_core_and_charts_load_with_a_chart(live, browser):
    base, accounts = live
    context = browser.new_context(viewport={"width": 390, "height": 844}, service_workers="block", locale="zh-CN")
    page = context.new_page()
    scripts = []
    page.on("request", lambda r: scripts.append(r.url.rsplit("/", 1)[1]) if r.resource_type == "script" else None)
    page.goto(base + "/")
    expect(page.locator("#username")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert set(scripts) == LOGIN_MODULES
    log_in(page, base, accounts["head_teacher"])
    home_ready(page, "head_teacher")
    assert "chart.umd.min.js" not in scripts  # the home draws no chart
    page.get_by_test_id("reports-link").click()
    expect(page.get_by_test_id("distribution-chart")).to_be_visible()
    page.wait_for_function("() => typeof globalThis.Chart === 'function'")
    assert "chart.umd.min.js" in scripts
    assert json.dumps(scripts).count("chart.umd.min.js") == 1
    context.close()
