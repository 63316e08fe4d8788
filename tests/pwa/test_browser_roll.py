"""The class roll (综合测评表) on a phone, and the value card's explained figures, in real Chromium."""
import pytest
from playwright.sync_api import expect

from tests.conftest import PHONE
from tests.pwa.test_browser import ARTIFACTS, log_in, serve
from tests.pwa.test_browser_csp import WATCH


@pytest.fixture(scope="module")
def live(tmp_path_factory, redis_server):
    base, accounts, stop = serve(tmp_path_factory.mktemp("roll"), redis_server.url, history=True)
    yield base, accounts
    stop()


def watched_phone(browser, width: int, height: int = PHONE["height"]):
    """A phone page that keeps CSP violations, console errors and uncaught exceptions."""
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN")
    context.add_init_script(WATCH)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, lambda: page.evaluate("window.__violations || []") + errors


def box_of(page, testid_or_selector: str) -> dict:
    return page.locator(testid_or_selector).first.bounding_box()


def test_head_teacher_opens_sorts_scrolls_and_leaves_the_roll(live, browser):
    base, accounts = live
    context, page, problems = watched_phone(browser, PHONE["width"])
    log_in(page, base, accounts["head_teacher"])
    expect(page.get_by_test_id("home-head_teacher")).to_be_visible()
    page.get_by_test_id("reports-link").click()
    link = page.locator("[data-testid^=roll-link-]").first
    expect(link).to_have_text("综合测评表 →")
    expect(page.get_by_test_id("report-subtotal-academic")).to_contain_text("项有数据")
    expect(page.get_by_test_id("report-median")).to_contain_text("n=")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # the names under warning wrap
    link.evaluate("(a) => a.click()")  # the home keeps moving while its charts draw
    class_id = page.evaluate("location.hash").rsplit("/", 1)[1]
    table = page.get_by_test_id("roll-table")
    expect(table).to_be_visible()
    rows = table.locator("tbody tr")
    assert rows.count() >= 40
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # the page never scrolls sideways

    # The table scrolls inside its box; the name column stays in view, the point columns move.
    scroller = page.get_by_test_id("roll-box")
    assert page.evaluate("(b) => b.scrollWidth > b.clientWidth", scroller.element_handle())
    name = rows.first.locator("th.name")
    far = rows.first.locator("td").nth(12)
    name_before, far_before, box = name.bounding_box(), far.bounding_box(), scroller.bounding_box()
    scroller.evaluate("(b) => { b.scrollLeft = 600; }")
    page.wait_for_function("() => document.querySelector('[data-testid=roll-box]').scrollLeft > 0")
    name_after, far_after = name.bounding_box(), far.bounding_box()
    assert abs(name_after["x"] - name_before["x"]) < 1 and name_after["x"] >= box["x"] - 1
    assert far_after["x"] < far_before["x"] - 100
    centre = (name_after["x"] + name_after["width"] / 2, name_after["y"] + name_after["height"] / 2)
    assert page.evaluate("([x, y]) => !!document.elementFromPoint(x, y).closest('th.name')", list(centre))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    scroller.evaluate("(b) => { b.scrollLeft = 0; }")

    # Sorting by total: highest first, students without a total last; the figures move with their rows.
    first_total_cell = "tbody tr:first-child td:nth-of-type(1)"
    page.get_by_test_id("roll-sort-total").click()
    expect(page.locator("th[aria-sort=descending]")).to_have_count(1)
    totals = [float(t) if t != "—" else None for t in table.locator("tbody tr td:nth-of-type(1)").all_inner_texts()]
    present = [t for t in totals if t is not None]
    assert present == sorted(present, reverse=True) and totals[:len(present)] == present
    top = page.locator(first_total_cell).inner_text()
    page.get_by_test_id("roll-sort-total").click()  # again: lowest first
    expect(page.locator("th[aria-sort=ascending]")).to_have_count(1)
    assert page.locator(first_total_cell).inner_text() != top
    expect(page.get_by_test_id("roll-explain")).to_contain_text("比上学期末")
    expect(page.get_by_test_id("roll-explain")).to_contain_text("不足 5 人")
    page.screenshot(path=str(ARTIFACTS / "roll-head-teacher-390x844.png"))

    # A row opens that student's card and entries.
    student = rows.first.get_attribute("data-student")
    rows.first.locator("th.name a").click()
    page.wait_for_function(f"() => location.hash === '#/students/{student}'")
    assert problems() == []
    context.close()

    # At 360 px too, and on paper the whole table fits an A4 landscape page.
    context, page, problems = watched_phone(browser, 360, 740)
    log_in(page, base, accounts["head_teacher"])
    expect(page.get_by_test_id("home-head_teacher")).to_be_visible()
    page.evaluate(f"location.hash = '#/roll/{class_id}'")
    expect(page.get_by_test_id("roll-table")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    tap = page.get_by_test_id("roll-sort-total").bounding_box()
    assert tap["width"] >= 44 and tap["height"] >= 44
    page.screenshot(path=str(ARTIFACTS / "roll-head-teacher-360x740.png"))
    page.set_viewport_size({"width": 1060, "height": 750})  # A4 landscape less the margins, at 96 dpi
    page.emulate_media(media="print")
    assert page.evaluate("document.querySelector('[data-testid=roll-table]').scrollWidth") <= 1060
    assert page.evaluate("getComputedStyle(document.querySelector('[data-testid=roll-box]')).overflowX") == "visible"
    assert problems() == []
    context.close()


def test_the_card_explains_its_figures(live, browser):
    """The whole card (#/my-card, from the home's card summary): coverage under the total and each
    subtotal, what value added is against, and the n behind the class median."""
    base, accounts = live
    context, page, problems = watched_phone(browser, PHONE["width"])
    log_in(page, base, accounts["student"])
    expect(page.get_by_test_id("home-student")).to_be_visible()
    page.get_by_test_id("card-link").click()
    expect(page.get_by_test_id("card-total-note")).to_contain_text("项有数据")
    expect(page.get_by_test_id("card-added-note")).to_contain_text("比上学期末")
    expect(page.get_by_test_id("card-added-term-note")).to_contain_text("比第1周末")
    expect(page.get_by_test_id("card-median-note")).to_contain_text("全班 ")
    expect(page.get_by_test_id("subtotal-academic-covered")).to_contain_text("项有数据")
    expect(page.get_by_test_id("subtotal-career-covered")).to_have_text("还没有数据")
    for testid in ("card-total", "card-added", "card-added-term", "card-median", "card-points", "card-history"):
        expect(page.get_by_test_id(testid)).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(ARTIFACTS / "card-explained-390x844.png"), full_page=True)
    assert problems() == []
    context.close()
