"""The WeCom / DingTalk screen on a 360 px phone: the school admin sets a channel's app (the secret
is written, never shown back) and links people to their userids; a duplicate is refused by field."""
import pytest
from playwright.sync_api import expect

from tests.pwa.test_browser import log_in, serve

SECRET = "corp-secret-0123456789-wxyz"


@pytest.fixture(scope="module")
def channels_live(tmp_path_factory, redis_server):
    base, accounts, stop = serve(tmp_path_factory.mktemp("channels"), redis_server.url)
    yield base, accounts
    stop()


@pytest.fixture
def small_phone(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    yield context
    context.close()


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_school_admin_sets_wecom_and_links_people_on_a_phone(channels_live, small_phone):
    base, accounts = channels_live
    page = small_phone.new_page()
    log_in(page, base, accounts["school_admin"])
    page.get_by_test_id("channels-link").click()
    wecom = page.get_by_test_id("channel-wecom")
    expect(wecom.get_by_test_id("wecom-state")).to_contain_text("未设置")
    fits(page)

    wecom.get_by_test_id("wecom-app-id").fill("ww0123456789abcdef")
    wecom.get_by_test_id("wecom-agent-id").fill("1000002")
    wecom.get_by_test_id("wecom-secret").fill(SECRET)
    wecom.get_by_test_id("wecom-save").click()
    expect(wecom.get_by_test_id("wecom-message")).to_have_text("已保存")
    expect(wecom.get_by_test_id("wecom-message")).not_to_have_class("error")  # not in red
    expect(wecom.get_by_test_id("wecom-state")).to_contain_text("已设置（…wxyz）")
    expect(wecom.get_by_test_id("wecom-state")).to_contain_text("已启用")
    expect(wecom.get_by_test_id("wecom-secret")).to_have_value("")  # not kept on the screen
    page.reload()
    expect(page.get_by_test_id("wecom-state")).to_contain_text("已设置（…wxyz）")
    assert SECRET not in page.content() and SECRET[:-4] not in page.content()

    head, counsellor = accounts["head_teacher"]["username"], accounts["counsellor"]["username"]
    for username, wecom_id in ((head, "ht-wecom"), (counsellor, "HT-WECOM")):
        page.get_by_test_id("people-search").fill(username)
        page.get_by_test_id("people-find").click()
        person = page.get_by_test_id(f"person-{username}")
        person.get_by_test_id("wecom-id").fill(wecom_id)
        person.get_by_test_id("person-save").click()
    # WeCom ids ignore case; the message names the other holder by name and number, by the field's label.
    expect(page.get_by_test_id(f"person-{counsellor}")).to_contain_text("企业微信账号: 该企业微信账号已关联到 ")
    expect(page.get_by_test_id(f"person-{counsellor}")).to_contain_text(f"（{head}）")
    assert page.get_by_test_id(f"person-{counsellor}").locator("p.error").count() == 1
    fits(page)
    page.get_by_test_id("people-search").fill("")
    page.get_by_test_id("people-find").click()
    expect(page.get_by_test_id("people").locator("li")).to_have_count(1)  # the linked ones
    expect(page.get_by_test_id(f"person-{head}").get_by_test_id("wecom-id")).to_have_value("ht-wecom")
    fits(page)
