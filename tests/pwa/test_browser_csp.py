"""The PWA passes its strict Content-Security-Policy (platform/headers.py) in real Chromium: the
main screens of five roles, charts included, the offline page and the API docs, with every
`securitypolicyviolation` event and console error collected and none allowed."""
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.development import portfolio
from backend.extensions import db
from backend.models import RoleGrant, User
from backend.platform import clock
from backend.platform.headers import PWA_POLICY
from tests.conftest import PHONE
from tests.development.test_attachments_hostile import real_pdf
from tests.pwa.test_browser import log_in, serve

PDF = real_pdf()

# Runs before any script of the page, outside its CSP (injected by the browser's DevTools).
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(
  `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber} ${e.sample}`));
"""


@pytest.fixture(scope="module")
def live(tmp_path_factory, redis_server):
    ids = {}

    def prepare(accounts):
        for role in ("student", "head_teacher", "dept_admin"):
            ids[role] = db.session.scalar(select(User.id).where(User.username == accounts[role]["username"]))
        ids["department"] = db.session.scalar(select(RoleGrant.scope_id).where(
            RoleGrant.user_id == ids["dept_admin"], RoleGrant.role == "dept_admin"))
        item = portfolio.add(db.session.get(User, ids["head_teacher"]), {
            "kind": "certificate", "title": "双师资格证书", "occurred_on": clock.school_today()})
        portfolio.attach(item, "证书.pdf", PDF)
        db.session.commit()

    base, accounts, stop = serve(tmp_path_factory.mktemp("csp"), redis_server.url, history=True, prepare=prepare)
    yield base, accounts, ids
    stop()


class Watched:
    """A phone page whose CSP violations, console errors and uncaught exceptions are kept."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN", accept_downloads=True)
        self.context.add_init_script(WATCH)
        self.page = self.context.new_page()
        self.errors = []
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text} ({m.location.get('url')})")
                     if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"exception: {e}"))

    def problems(self) -> list[str]:
        return self.page.evaluate("window.__violations || []") + self.errors

    def visit(self, base: str, hash_: str, ready: str):
        """Opens the screen afresh (the session resumes from the refresh cookie), so no slower
        earlier screen can draw over it, and checks the whole start-up under the policy."""
        self.page.goto("about:blank")
        self.page.goto(f"{base}/{hash_}")
        expect(self.page.locator(ready).first).to_be_visible()
        self.page.wait_for_timeout(300)  # charts draw on the next animation frame
        assert self.problems() == [], hash_


BACK = "main a.link[href='#/']"  # every screen below the home, drawn with it at once
SCREENS = {
    "student": lambda ids: [("#/settings", "[data-testid=quiet_from]"), (f"#/radar/{ids['student']}", BACK),
                            (f"#/report/student/{ids['student']}", "[data-testid=student-report]")],
    "head_teacher": lambda ids: [("#/portfolio", "[data-testid=portfolio]"), ("#/class-plans/1", BACK),
                                 (f"#/report/teacher/{ids['head_teacher']}", "[data-testid=teacher-report]")],
    "course_teacher": lambda ids: [],
    "dept_admin": lambda ids: [(f"#/dept-teachers/{ids['department']}", BACK), ("#/reports", "[data-testid=classes-chart]")],
    "school_admin": lambda ids: [("#/settings", "[data-testid=quiet_from]")],
}


@pytest.fixture
def watched(browser):
    """A phone context whose CSP violations and console errors are collected; closed after the test."""
    watched = Watched(browser)
    yield watched
    watched.context.close()


@pytest.mark.parametrize("role", list(SCREENS))
def test_the_main_screens_run_under_the_policy_with_no_violation(live, watched, role):
    base, accounts, ids = live
    page = watched.page
    shell = page.goto(base + "/")
    assert shell.headers["content-security-policy"] == PWA_POLICY  # the policy is really there
    log_in(page, base, accounts[role])
    expect(page.get_by_test_id(f"home-{role}")).to_be_visible()
    for hash_, ready in SCREENS[role](ids):
        watched.visit(base, hash_, ready)
    if role == "dept_admin":  # Chart.js drew (it styles its canvas from script, which CSP allows)
        page.wait_for_function("""() => { const c = document.querySelector('[data-testid=classes-chart]');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < d.length; i += 4) if (d[i]) return true; return false; }""")
    if role == "head_teacher":  # evidence downloads through a blob: URL, as a file
        watched.visit(base, "#/portfolio", "[data-testid=portfolio]")
        with page.expect_download() as download:
            page.get_by_text("证书.pdf").click()
        assert download.value.suggested_filename == "证书.pdf"
        assert Path(download.value.path()).read_bytes() == PDF
    page.click("#lang")  # the language switch re-renders the screen
    page.wait_for_timeout(200)
    assert watched.problems() == []


def test_the_offline_page_retries_without_an_inline_handler(live, watched):
    base, _, _ = live
    page = watched.page
    page.goto(base + "/app/offline.html")
    with page.expect_navigation(timeout=5000):  # an inline onclick would be blocked: no reload
        page.get_by_role("button", name="重试 / Retry").click()
    assert watched.problems() == []


def test_the_watch_sees_what_the_policy_blocks(live, watched):
    """The harness itself: markup with an inline style and an inline script is blocked and reported."""
    base, _, _ = live
    page = watched.page
    page.goto(base + "/")
    expect(page.locator("#username")).to_be_visible()
    page.evaluate("""() => { document.body.insertAdjacentHTML('beforeend', '<p style="color: red">x</p>');
        const s = document.createElement('script'); s.textContent = 'window.__ran = true';
        document.body.append(s); }""")
    page.wait_for_timeout(200)
    blocked = page.evaluate("window.__violations")
    assert any(v.startswith("style-src") for v in blocked) and any(v.startswith("script-src") for v in blocked)
    assert page.evaluate("window.__ran === undefined")


def test_the_api_docs_render_under_their_own_policy(live, watched):
    base, _, _ = live
    page = watched.page
    docs = page.goto(base + "/api/docs")
    assert "sha256-" in docs.headers["content-security-policy"]
    expect(page.locator(".opblock").first).to_be_visible()  # Swagger UI ran and read the spec
    page.locator(".opblock-summary").first.click()  # and opens an operation
    expect(page.locator(".opblock-body").first).to_be_visible()
    page.wait_for_timeout(300)
    # flask-smorest's page names no icon, so the browser asks for /favicon.ico (there is none)
    assert [p for p in watched.problems() if not p.endswith("/favicon.ico)")] == []
