"""The admin screens on a 390×844 phone: audit log, catalogue, warning rules, roster with slips, leave."""
import io
import re
from datetime import timedelta

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from backend.extensions import db
from backend.models import User
from backend.platform import clock
from backend.valuecard import leave
from tests.conftest import PHONE
from tests.pwa.test_browser import ARTIFACTS, log_in, serve

ROSTER = [["信息工程系", "软件技术", "软件2699班", 2026, f"20269999{i:02d}", f"新生{i}", "女"] for i in range(1, 13)]


def roster_file(path, rows=ROSTER) -> str:
    book = Workbook()
    ws = book.active
    ws.title = "学生"
    ws.append(["系部", "专业", "班级", "入学年份", "学号", "姓名", "性别"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return str(path)


def downloaded(page, testid: str, path):
    """The file a tap on `testid` downloads, saved at `path`."""
    with page.expect_download() as got:
        page.get_by_test_id(testid).click()
    got.value.save_as(path)
    return path


def fits(page, width: int = PHONE["width"]) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.fixture(scope="module")
def admin_live(tmp_path_factory, redis_server):
    def prepare(accounts):
        student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
        start = clock.now() + timedelta(days=2)
        leave.apply(student, start, start + timedelta(hours=4), "病假")
        db.session.commit()
    base, accounts, stop = serve(tmp_path_factory.mktemp("admin"), redis_server.url, prepare=prepare)
    yield base, accounts
    stop()


@pytest.fixture
def admin_phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="zh-CN", accept_downloads=True)
    yield context
    context.close()


def test_school_admin_screens_on_a_phone(admin_live, admin_phone, tmp_path):
    base, accounts = admin_live
    ARTIFACTS.mkdir(exist_ok=True)
    page = admin_phone.new_page()
    log_in(page, base, accounts["school_admin"])
    expect(page.get_by_test_id("home-school_admin")).to_be_visible(timeout=30_000)

    # Roster: a bad row is named by row, person and column; then the upload, per class, the slips.
    page.goto(base + "/#/roster")
    bad = [ROSTER[0], [*ROSTER[1][:3], "明年", *ROSTER[1][4:]]]
    page.get_by_test_id("roster-file").set_input_files(roster_file(tmp_path / "bad.xlsx", bad))
    page.get_by_test_id("roster-upload").click()
    expect(page.get_by_test_id("roster-errors")).to_contain_text("学生 第 3 行 · 新生2")
    expect(page.get_by_test_id("roster-errors")).to_contain_text("入学年份：入学年份应为四位年份")
    fits(page)
    page.get_by_test_id("roster-file").set_input_files(roster_file(tmp_path / "roster.xlsx"))
    page.get_by_test_id("roster-upload").click()
    expect(page.get_by_test_id("roster-classes")).to_contain_text("软件2699班")
    expect(page.get_by_test_id("roster-result")).to_contain_text("新增 12")
    fits(page)
    page.screenshot(path=str(ARTIFACTS / "roster-result-390x844.png"), full_page=True)
    pdf = PdfReader(downloaded(page, "slips-pdf", tmp_path / "slips.pdf"))
    assert len(pdf.pages) == 2  # twelve slips, ten to a page
    assert "新生1" in pdf.pages[0].extract_text()

    # Catalogue: a warning value on the wrong side of the standard is refused next to its field.
    page.goto(base + "/#/catalogue")
    page.get_by_test_id("domain-academic").locator("summary").first.click()
    point = page.get_by_test_id("point-S-A-06")
    point.locator("summary").click()
    point.get_by_test_id("edit-warning").fill("95")
    point.get_by_test_id("edit-save").click()
    expect(point.get_by_test_id("error-warning_value")).to_contain_text("预警值应比标准值更差")
    fits(page)
    point.get_by_test_id("edit-warning").fill("75")
    point.get_by_test_id("edit-save").click()
    expect(point.get_by_test_id("edit-message")).to_have_text("已保存")
    # A college's own point: refused by field, then added to its domain.
    add = page.get_by_test_id("add-point")
    add.locator("summary").click()
    add.get_by_test_id("add-domain").select_option("career")
    add.get_by_test_id("add-name_zh").fill("技能竞赛参与")
    add.get_by_test_id("add-name_en").fill("Skills contests")
    add.get_by_test_id("add-max").fill("10")
    add.get_by_test_id("add-standard").fill("2")
    add.get_by_test_id("add-warning").fill("5")
    add.get_by_test_id("add-rationale").fill("本校特色")
    add.get_by_test_id("add-save").click()
    expect(add.get_by_test_id("error-warning_value")).to_contain_text("预警值应比标准值更差")
    add.get_by_test_id("add-warning").fill("0")
    add.get_by_test_id("add-save").click()
    expect(add.get_by_test_id("add-message")).to_contain_text("X-C-")
    expect(page.get_by_test_id("domain-career")).to_contain_text("技能竞赛参与")
    fits(page)

    # Warning rules: a level past 100 % is refused by field; a sound one is saved.
    page.goto(base + "/#/rules")
    page.get_by_test_id("summary-TH-ACADEMIC").click()
    rule = page.get_by_test_id("rule-TH-ACADEMIC")
    rule.get_by_test_id("level-red").fill("150")
    rule.get_by_test_id("rule-save").click()
    expect(rule.get_by_test_id("error-levels")).to_contain_text("0–100")
    rule.get_by_test_id("level-red").fill("25")
    rule.get_by_test_id("rule-save").click()
    expect(rule.get_by_test_id("rule-message")).to_have_text("已保存")
    fits(page)

    # The audit log: filtered to catalogue edits, then downloaded as CSV.
    page.goto(base + "/#/audit")
    expect(page.get_by_test_id("audit-row").first).to_be_visible()
    page.get_by_test_id("audit-filters").locator("summary").click()
    page.get_by_test_id("audit-action").select_option("catalogue")
    page.get_by_test_id("audit-filter").click()
    expect(page.get_by_test_id("audit-page")).to_contain_text("共 2 条")  # the edit and the new point
    expect(page.get_by_test_id("audit-row")).to_have_count(2)
    expect(page.get_by_test_id("audit-row").last).to_contain_text("修改采分点")
    fits(page)
    page.screenshot(path=str(ARTIFACTS / "audit-390x844.png"), full_page=True)
    lines = downloaded(page, "audit-csv", tmp_path / "audit.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 3 and "catalogue.add_point" in lines[1] and "catalogue.update" in lines[2]

    # The smallest phone: every screen, opened out, still fits.
    page.set_viewport_size({"width": 360, "height": 740})
    for route, ready in (("audit", "audit-list"), ("catalogue", "add-point"), ("rules", "rule-TH-ACADEMIC"),
                         ("roster", "reset-class"), ("leave", "back")):
        page.goto(f"{base}/#/{route}")
        page.wait_for_selector(f"[data-testid={ready}]", state="attached")
        page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        fits(page, 360)


def test_head_teacher_decides_leave_and_resets_a_password(admin_live, admin_phone):
    base, accounts = admin_live
    page = admin_phone.new_page()
    log_in(page, base, accounts["head_teacher"])
    expect(page.get_by_test_id("home-head_teacher")).to_be_visible(timeout=30_000)  # a long home on a busy machine
    page.goto(base + "/#/leave")
    expect(page.get_by_test_id("leave-pending")).to_contain_text("病假")
    page.get_by_test_id("leave-pending").get_by_role("button", name="批准").click()
    expect(page.get_by_test_id("leave-pending")).to_contain_text("已批准")
    fits(page)

    page.goto(base + "/#/roster")
    options = page.get_by_test_id("reset-class").locator("option")
    page.get_by_test_id("reset-class").select_option(options.nth(1).get_attribute("value"))
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("reset-students").get_by_role("button").first.click()
    expect(page.get_by_test_id("initial-password")).to_have_text(re.compile(r"^\S{10}$"))
    fits(page)
