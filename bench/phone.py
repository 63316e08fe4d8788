"""How fast each role's home is usable on a slow phone network (issue 14 item 8: median <= 1.5 s).

    .venv/bin/python bench/phone.py [--runs 5] [--students 2000] [--roles student,head_teacher]

Builds the demo college into a fresh SQLite instance (flask db upgrade, seed, demo, as
scripts/run.sh does), serves it with gunicorn (the production server; Redis unreachable, so jobs
run inline) and drives Debian's chromium through Playwright with the network throttled by the
DevTools protocol: 150 ms latency, 200,000 bytes/s down and up (1.6 Mbit/s). For each role and
run: a fresh browser context opens the login page, waits until the service worker has cached
the shell (a returning phone), then times from pressing the login button to the home's last card
drawn (the app marks `spiral:home` when no card is loading any more), and how much of that was the
login request itself (password hashing on the server). One login per role first warms the server
and is not counted. It also sums the raw and gzip sizes of the JavaScript the login page loads.
Prints a table; the last line is one JSON object.
"""
import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import CHROMIUM, PHONE  # noqa: E402
from tests.servers import free_port  # noqa: E402

SLOW = {"offline": False, "latency": 150, "downloadThroughput": 200000, "uploadThroughput": 200000}
ROLES = ["student", "head_teacher", "course_teacher", "counsellor", "student_affairs", "teaching_office",
         "pe_teacher", "dept_admin", "school_admin"]


def build(instance: Path, students: int, env: dict) -> list[dict]:
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "wsgi"]
    accounts = instance / "accounts.json"
    for args in (["db", "upgrade"], ["seed"], ["demo", "--students", str(students), "--seed", "1",
                                               "--accounts-json", str(accounts)]):
        subprocess.run(flask + args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return json.loads(accounts.read_text())


def serve(env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "--threads", "4", "-b",
                               f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/livez", timeout=1)  # up; readiness also wants workers
            return server, base
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("gunicorn did not start")


def login_scripts(browser, base: str) -> list[tuple[str, int, int]]:
    """(path, raw bytes, gzip bytes) of every script the login page loads, unthrottled and uncached."""
    context = browser.new_context(viewport=PHONE, service_workers="block")
    page = context.new_page()
    urls = []
    page.on("response", lambda r: urls.append(r.url) if r.request.resource_type == "script" else None)
    page.goto(base + "/")
    page.locator("#username").wait_for()
    page.wait_for_load_state("networkidle")
    found = []
    for url in dict.fromkeys(urls):
        raw = urllib.request.urlopen(url).read()
        found.append((url.removeprefix(base), len(raw), len(gzip.compress(raw, 6))))
    context.close()
    return found


def time_login(browser, base: str, account: dict) -> float:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.goto(base + "/")
    page.locator("#username").wait_for()
    page.evaluate("navigator.serviceWorker.ready")  # the shell is cached, as on a phone used before
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW)
    page.fill("#username", account["username"])
    page.fill("#password", account["password"])
    page.evaluate("""() => document.querySelector('form').addEventListener('submit',
        () => performance.mark('spiral:login'), { capture: true })""")
    page.click("button[type=submit]")
    page.wait_for_function("() => performance.getEntriesByName('spiral:home').length > 0", timeout=60000)
    # The whole wait, and the part of it that is the login request (the server hashing the
    # password: Argon2id at the production cost, CPU-bound, so it grows with the machine's load).
    seconds, login = page.evaluate("""() => {
        const start = performance.getEntriesByName('spiral:login')[0].startTime;
        const answer = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/api/v1/auth/login'));
        return [(performance.getEntriesByName('spiral:home').at(-1).startTime - start) / 1000,
                (answer.responseEnd - start) / 1000]; }""")
    context.close()
    return seconds, login


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--roles", default=",".join(ROLES))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    instance = Path(tempfile.mkdtemp(prefix="spiral-phone-"))
    env = {**os.environ, "SPIRAL_INSTANCE": str(instance), "DATABASE_URL": f"sqlite:///{instance}/phone.db",
           "REDIS_URL": "", "FLASK_APP": "wsgi"}
    accounts = {a["role"]: a for a in build(instance, args.students, env)}
    server, base = serve(env)
    results = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
            scripts = login_scripts(browser, base)
            for role in args.roles.split(","):
                if role in accounts:
                    time_login(browser, base, accounts[role])  # warms the server's workers; not counted
                    results[role] = [time_login(browser, base, accounts[role]) for _ in range(args.runs)]
            browser.close()
    finally:
        server.terminate()
        server.wait()
    print(f"login page JS: {len(scripts)} files, {sum(s[1] for s in scripts) / 1024:.1f} KB raw, "
          f"{sum(s[2] for s in scripts) / 1024:.1f} KB gzipped")
    for path, raw, packed in scripts:
        print(f"  {path:40} {raw / 1024:7.1f} KB {packed / 1024:6.1f} KB gz")
    median = {r: (statistics.median(t for t, _ in runs), statistics.median(lo for _, lo in runs),
                  statistics.median(t - lo for t, lo in runs)) for r, runs in results.items()}
    print(f"\n{args.runs} runs per role, 150 ms latency, 1.6 Mbit/s; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores at the end")
    print(f"{'role':16} {'median s':>9} {'min':>6} {'max':>6} {'login answer':>13} {'after it':>9}")
    for role, runs in results.items():
        times = [t for t, _ in runs]
        print(f"{role:16} {median[role][0]:9.2f} {min(times):6.2f} {max(times):6.2f} {median[role][1]:13.2f} "
              f"{median[role][2]:9.2f}")
    print(json.dumps({"login_js_files": [s[0] for s in scripts], "login_js_raw": sum(s[1] for s in scripts),
                      "login_js_gzip": sum(s[2] for s in scripts),
                      "median_seconds": {r: round(m[0], 3) for r, m in median.items()},
                      "median_after_login_answer": {r: round(m[2], 3) for r, m in median.items()}}))


if __name__ == "__main__":
    main()
