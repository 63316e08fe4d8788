"""我的数据 on a 360 px phone (issue 19): a student finds it from the settings, reads what the copy
holds, what is withheld and the retention rule, and downloads the JSON and the PDF."""
import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.pwa.test_browser import ARTIFACTS, log_in, serve


@pytest.fixture(scope="module")
def my_data_live(tmp_path_factory, redis_server):
    base, accounts, stop = serve(tmp_path_factory.mktemp("my-data"), redis_server.url)
    yield base, accounts
    stop()


@pytest.fixture
def small_phone(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN", accept_downloads=True)
    yield context
    context.close()


def test_a_student_downloads_their_data_on_a_phone(my_data_live, small_phone):
    base, accounts = my_data_live
    student = accounts["student"]
    page = small_phone.new_page()
    log_in(page, base, student)
    page.get_by_test_id("settings-link").click()
    page.get_by_test_id("my-data-link").click()
    expect(page.get_by_role("heading", name="我的数据")).to_be_visible()
    expect(page.get_by_test_id("my-data-retention")).to_contain_text("毕业或退学满1095天（约3年）后")
    withheld = page.get_by_test_id("my-data-withheld").locator("li")
    expect(withheld).to_have_count(3)
    expect(withheld.first).to_contain_text("纪律、心理健康、经济类的内部预警")
    assert "special" not in page.get_by_test_id("my-data-withheld").inner_text()  # one language at a time
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "my-data-student-360x740.png"), full_page=True)

    with page.expect_download() as got:
        page.get_by_test_id("my-data-json").click()
    data = json.loads(Path(got.value.path()).read_text(encoding="utf-8"))
    assert got.value.suggested_filename == "my-data.json"
    assert data["subject"]["username"] == student["username"] and data["profile"]["student"]["status"] == "enrolled"
    assert data["sessions"] and [w["category"] for w in data["withheld"]] == [
        "need_to_know_warnings", "special_groups", "case_notes"]
    expect(page.get_by_test_id("my-data-message")).to_have_text("已下载。")

    with page.expect_download() as got:
        page.get_by_test_id("my-data-pdf").click()
    assert Path(got.value.path()).read_bytes()[:5] == b"%PDF-"
