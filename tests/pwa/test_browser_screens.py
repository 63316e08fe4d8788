"""Every screen of every role, found the way a user finds them: log in as each demo role, start at
the home, follow every in-app link (`a[href^="#/"]`) breadth-first, one screen per route pattern
(ids replaced). On every screen at 360 px (homes also at 390 and 414 px, and in English), fail on
a console error, a failed request, focus not on the screen's heading, sideways scrolling, a visible
target under 44 x 44 px, or a serious or critical axe-core violation. A screen added later is
covered as soon as something links to it.

axe-core comes from tests/pwa/node_modules (`npm ci`, run by scripts/test.sh) and is injected as
an init script, which the page's CSP does not apply to, so the app runs under its real policy.
"""
import re
from collections import Counter, deque
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.alerts import warnings
from backend.extensions import db
from backend.models import ClassGroup, User
from backend.org import directory
from backend.platform import clock
from backend.valuecard import cadres
from tests.helpers import make_plan
from tests.pwa.test_browser import log_in, serve

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
WIDTH, HOME_WIDTHS = 360, (390, 414)
MAX_SCREENS = 40  # per role: a bound, far above what any role has
EXPECTED_MISSES: set[str] = set()  # request paths allowed to answer 404 (probes); there are none

# The targets a finger hits. A radio or checkbox is hit through its label, so the label is measured.
TARGETS = """() => {
  const shown = (r, s) => r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none";
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex]:not([tabindex='-1'])";
  const small = [];
  for (const node of document.querySelectorAll(selector)) {
    const target = ["radio", "checkbox"].includes(node.type) ? (node.closest("label") || node.labels?.[0] || node) : node;
    const r = target.getBoundingClientRect();
    if (!shown(r, getComputedStyle(target))) continue;
    if (r.width + 0.5 < 44 || r.height + 0.5 < 44) {
      const name = (target.getAttribute("aria-label") || target.textContent || target.getAttribute("name") || "").trim();
      small.push(`${target.tagName.toLowerCase()}${target.id ? "#" + target.id : ""} "${name.slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  return small;
}"""
AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.filter((v) => ["serious", "critical"].includes(v.impact)).map((v) =>
    `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}"""
LINKS = """() => [...new Set([...document.querySelectorAll('a[href^="#/"]')].map((a) => a.getAttribute("href")))]"""


def pattern(hash_: str) -> str:
    return re.sub(r"/\d+(?=/|$)", "/<id>", hash_)


@pytest.fixture(scope="module")
def college(tmp_path_factory, redis_server):
    """The demo college with this term's scores, the warnings they raise, and a plan per student role."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci --prefix tests/pwa` (scripts/test.sh does)")

    def prepare(accounts):
        term = directory.current_term(clock.school_today())
        for cls in db.session.scalars(select(ClassGroup)).all():
            warnings.evaluate_class(term, cls)
        student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
        make_plan(student)
        head = db.session.scalar(select(User).where(User.username == accounts["head_teacher"]["username"]))
        cadres.grant(head, db.session.get(ClassGroup, student.student.class_id), term,  # the cadre's screens too
                     {"student_id": student.id, "title": "学习委员", "points": ["S-A-07"]})
        db.session.commit()

    base, accounts, stop = serve(tmp_path_factory.mktemp("screens"), redis_server.url, history=True, prepare=prepare)
    yield base, accounts
    stop()


class Screens:
    """One phone for one role: what went wrong since the last screen, and the checks of a screen."""

    def __init__(self, browser, base):
        self.base = base
        self.context = browser.new_context(viewport={"width": WIDTH, "height": 740}, is_mobile=True,
                                           has_touch=True, locale="zh-CN")
        self.context.add_init_script(path=str(AXE))
        self.page = self.context.new_page()
        self.events: list[str] = []
        self.page.on("console", lambda m: self.events.append(f"console error: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.events.append(f"exception: {e}"))
        self.page.on("response", self._answered)
        self.page.on("requestfailed", lambda r: self.events.append(f"request failed: {r.method} {r.url} {r.failure}"))

    def _answered(self, response):
        path = response.url.removeprefix(self.base)
        if response.status >= 400 and not (response.status == 404 and path in EXPECTED_MISSES):
            self.events.append(f"{response.status} {response.request.method} {path}")

    def open(self, hash_: str) -> None:
        """Follows a link as a click would (the hash changes) and waits until the screen is drawn."""
        self.page.evaluate("() => document.querySelectorAll('#view > *').forEach((n) => n.classList.add('crawl-old'))")
        self.page.evaluate("""(h) => { if (location.hash === h) window.dispatchEvent(new HashChangeEvent("hashchange"));
                                      else location.hash = h; }""", hash_)
        self.page.wait_for_function("() => document.querySelector('#view > *') && !document.querySelector('#view > .crawl-old')")
        self.settle()

    def settle(self) -> None:
        self.page.wait_for_load_state("networkidle")
        self.page.wait_for_timeout(100)  # charts draw on the next animation frame

    def check(self, where: str, width: int, axe: bool = True) -> list[str]:
        page = self.page
        page.evaluate("() => document.querySelectorAll('#view details').forEach((d) => { d.open = true; })")
        found = [f"{where}: {e}" for e in self.events]
        self.events.clear()
        if not page.evaluate("() => document.activeElement === document.querySelector('#view h1, #view h2')"):
            found.append(f"{where}: focus is not on the screen's heading")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            found.append(f"{where}: scrolls sideways at {width} px ({scroll} px wide)")
        small = Counter(page.evaluate(TARGETS))
        found += [f"{where}: small target at {width} px: {s}" + (f" (×{n})" if n > 1 else "") for s, n in small.items()]
        if axe:
            found += [f"{where}: axe {v}" for v in page.evaluate(AXE_RUN)]
        return found

    def links(self) -> list[str]:
        return self.page.evaluate(LINKS)


def test_every_screen_of_every_role_works_fits_and_is_accessible(college, browser):
    base, accounts = college
    problems, visited = [], {}
    for role, account in accounts.items():
        phone = Screens(browser, base)
        try:
            log_in(phone.page, base, account)
            expect(phone.page.get_by_test_id(f"home-{role}")).to_be_visible(timeout=30_000)
            phone.settle()
            queue, seen = deque(["#/"]), {"#/"}
            visited[role] = []
            while queue and len(visited[role]) < MAX_SCREENS:
                hash_ = queue.popleft()
                if hash_ != "#/":  # the home is where the login left the phone
                    phone.open(hash_)
                visited[role].append(pattern(hash_))
                problems += phone.check(f"{role} {hash_}", WIDTH)
                for link in phone.links():
                    if pattern(link) not in seen:
                        seen.add(pattern(link))
                        queue.append(link)
            phone.open("#/")
            for width in HOME_WIDTHS:
                phone.page.set_viewport_size({"width": width, "height": 800})
                phone.settle()
                problems += phone.check(f"{role} #/", width, axe=False)
            # English words run longer: the home again in English, at the narrowest width.
            phone.page.set_viewport_size({"width": WIDTH, "height": 740})
            phone.page.click("#lang")
            expect(phone.page.locator("#lang")).to_have_text("中文")  # show() drew the home in English
            phone.settle()
            problems += phone.check(f"{role} #/ (en)", WIDTH)
        finally:
            phone.context.close()

    print("\nscreens visited (360 px; homes also at 390 and 414 px)")
    print(f"{'role':<16} {'n':>3}  screens")
    for role, screens in visited.items():
        print(f"{role:<16} {len(screens):>3}  {' '.join(screens)}")
    assert problems == [], "\n".join(problems)


def switch(page, to: str) -> None:
    """Clicks the language button and waits until the choice is saved and drawn ("EN" shows on a
    Chinese screen, "中文" on an English one)."""
    with page.expect_response(lambda r: r.url.endswith("/api/v1/me") and r.request.method == "PATCH"):
        page.click("#lang")
    expect(page.locator("#lang")).to_have_text(to)


def test_the_language_chosen_follows_the_user_and_the_server_answers_in_it(college, browser):
    base, accounts = college
    one, other = Screens(browser, base), Screens(browser, base)
    try:
        one.page.goto(base + "/")
        one.page.click("#lang")  # English on the login screen: the server's refusal comes in English too
        log_in(one.page, base, {**accounts["student"], "password": "wrong"})
        expect(one.page.get_by_role("alert")).to_have_text("Wrong username or password")
        one.page.click("#lang")
        log_in(one.page, base, accounts["student"])
        expect(one.page.get_by_test_id("home-student")).to_be_visible(timeout=30_000)
        if one.page.locator("#lang").inner_text() == "中文":  # English was saved before (the crawl)
            switch(one.page, "EN")
        switch(one.page, "中文")  # the user chooses English: saved as their setting

        sent = []
        other.page.on("request", lambda r: sent.append(r.headers.get("accept-language")) if "/api/v1/" in r.url else None)
        log_in(other.page, base, accounts["student"])  # another phone, in Chinese
        expect(other.page.get_by_test_id("home-student")).to_be_visible(timeout=30_000)
        expect(other.page.locator("#lang")).to_have_text("中文")  # it took the user's English
        expect(other.page.locator("html")).to_have_attribute("lang", "en")
        assert sent[:2] == ["zh-CN", "zh-CN"] and sent[-1] == "en"  # login and /me, then in English
    finally:
        one.context.close()
        other.context.close()
