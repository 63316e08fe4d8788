"""Campus sign-in (统一身份认证) on a 360 px phone, through the loopback CAS server: the login
screen's button, a full sign-in landing on the student's home, single logout both ways, the unknown-user
screen, and the school admin's password-login choices. The CAS server is addressed as
`localhost` and the app as `127.0.0.1`, so the way back from CAS is a cross-site navigation, as
it is in a college (the refresh cookie is SameSite=Strict, the nonce cookie Lax)."""
import pytest
from flask import current_app
from playwright.sync_api import expect

from tests.cas_server import CasServer
from tests.pwa.test_browser import ARTIFACTS, log_in, serve

WIDTH = 360


@pytest.fixture(scope="module")
def cas_live(tmp_path_factory, redis_server):
    cas = CasServer()
    cas.login_page = True  # the user types their campus account at the CAS server
    cas.send_slo = True  # its logout tells Spiral (single logout)
    cas_url = cas.url.replace("127.0.0.1", "localhost")
    apps = []

    def prepare(accounts):
        apps.append(current_app._get_current_object())
        current_app.config.update(CAS_ENABLED=True, CAS_SERVER_URL=cas_url, CAS_VERSION="3.0")

    base, accounts, stop = serve(tmp_path_factory.mktemp("cas"), redis_server.url, prepare=prepare)
    apps[0].config.update(CAS_SERVICE_URL=f"{base}/api/v1/auth/cas/callback", APP_URL=base)
    yield base, accounts, cas
    stop()
    cas.close()


@pytest.fixture
def small_phone(browser):
    context = browser.new_context(viewport={"width": WIDTH, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    yield context
    context.close()


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def sign_in_at_cas(page, base, username: str) -> None:
    page.goto(base + "/")
    page.get_by_test_id("cas-login").click()
    page.fill("#cas-username", username)
    page.click("#cas-submit")


def test_the_login_screen_offers_campus_sign_in(cas_live, small_phone):
    base, _, _ = cas_live
    page = small_phone.new_page()
    page.goto(base + "/")
    button = page.get_by_test_id("cas-login")
    expect(button).to_have_text("统一身份认证登录")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] <= WIDTH
    expect(page.locator("#username")).to_be_visible()  # the password login stays on the same screen
    fits(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "cas-login-360.png"), full_page=True)


def test_a_student_signs_in_through_cas_lands_home_and_can_sign_out_of_cas_too(cas_live, small_phone):
    base, accounts, cas = cas_live
    page = small_phone.new_page()
    sign_in_at_cas(page, base, accounts["student"]["username"])
    expect(page.get_by_test_id("home-student")).to_be_visible(timeout=30_000)
    assert page.url == base + "/#/"  # no ticket left in the address bar or the history
    assert cas.validations[-1]["code"] == "OK" and cas.validations[-1]["path"] == "/cas/p3/serviceValidate"
    fits(page)
    page.reload()  # the session is Spiral's own: a reload resumes it from the refresh cookie
    expect(page.get_by_test_id("home-student")).to_be_visible(timeout=30_000)

    page.get_by_test_id("logout").click()
    logout = page.get_by_test_id("cas-logout")
    expect(logout).to_have_text("同时退出统一身份认证（本校其他系统也会退出）")
    logout.click()
    expect(page.get_by_test_id("cas-login")).to_be_visible()  # the CAS server sent the browser back
    assert cas.logouts[-1] == base + "/"


def test_signing_out_of_another_campus_system_ends_the_spiral_session(cas_live, small_phone):
    base, accounts, cas = cas_live
    page = small_phone.new_page()
    sign_in_at_cas(page, base, accounts["head_teacher"]["username"])
    expect(page.get_by_test_id("home-head_teacher")).to_be_visible(timeout=30_000)
    page.goto(cas.url.replace("127.0.0.1", "localhost") + "/logout")  # e.g. the library system's logout
    expect(page.locator("body")).to_contain_text("Signed out.")
    page.goto(base + "/")
    expect(page.get_by_test_id("cas-login")).to_be_visible()
    expect(page.get_by_test_id("home-head_teacher")).to_have_count(0)


def test_an_unknown_campus_account_is_told_what_to_do(cas_live, small_phone):
    base, _, _ = cas_live
    page = small_phone.new_page()
    sign_in_at_cas(page, base, "S2099999")
    error = page.get_by_test_id("cas-error")
    expect(error).to_contain_text("统一身份认证账号 S2099999 未在本系统登记")
    expect(error).to_contain_text("学生请联系班主任或辅导员")
    fits(page)
    page.screenshot(path=str(ARTIFACTS / "cas-unknown-user-360.png"), full_page=True)
    page.click("#lang")
    expect(page.get_by_test_id("cas-error")).to_contain_text("The campus account S2099999 is not registered in Spiral")
    page.click("#lang")
    page.get_by_test_id("cas-password").click()
    expect(page.locator("#username")).to_be_visible()


def test_the_school_admin_lets_one_student_keep_a_password(cas_live, small_phone):
    base, accounts, _ = cas_live
    student = accounts["student"]
    page = small_phone.new_page()
    log_in(page, base, student)
    expect(page.get_by_role("alert")).to_have_text("此账号请使用统一身份认证登录")
    log_in(page, base, accounts["school_admin"])  # school admins keep their password
    page.get_by_test_id("password-logins-link").click()
    page.get_by_test_id("pw-search").fill(student["username"])
    page.get_by_test_id("pw-find").click()
    row = page.get_by_test_id(f"pw-{student['username']}")
    expect(row.get_by_test_id("pw-state")).to_have_text("现在只能用统一身份认证登录")
    row.get_by_test_id("pw-choice").select_option("allowed")
    row.get_by_test_id("pw-save").click()
    expect(row.get_by_test_id("pw-state")).to_contain_text("现在可以用密码登录")
    fits(page)
    page.get_by_role("link", name="← 返回").click()
    page.get_by_test_id("logout").click()
    expect(page.locator("#username")).to_be_visible()  # the logout went through before the next login
    log_in(page, base, student)
    expect(page.get_by_test_id("home-student")).to_be_visible(timeout=30_000)
