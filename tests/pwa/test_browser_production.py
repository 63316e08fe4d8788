"""The production shape run as a whole: scripts/production.sh starts PostgreSQL, Redis, gunicorn -w 4,
two RQ workers, the scheduler and the outbox relay, and nginx with TLS in front (deploy/nginx/spiral.conf
as shipped, rendered for free ports). A phone goes through HTTPS: login, the service worker, a
whole-class batch, and the class report updated by a real worker. Then what nginx adds on the wire:
compression, the long cache of versioned files only, the request id, the redirect to HTTPS, and the
client address the app believes."""
import base64
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
from datetime import datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import create_engine, text

from tests.conftest import CHROMIUM, PHONE
from tests.helpers import TODAY, wait_for
from tests.pwa.test_browser import ARTIFACTS, log_in
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
BATCH_POINT = "S-A-08"  # a point the demo's history leaves empty, so the report gains it


@pytest.fixture(scope="module")
def production():
    # Not pytest's tmp_path: PostgreSQL (as the postgres user) and nginx's workers must reach into it.
    run = Path(tempfile.mkdtemp(prefix="spiral-production-"))
    run.chmod(0o755)
    port, http_port, pg_port = free_port(), free_port(), free_port()
    # The script's own defaults are what is tested (TRUSTED_PROXIES=1, COOKIE_SECURE=1, its databases).
    env = {k: v for k, v in os.environ.items() if k not in (
        "DATABASE_URL", "REDIS_URL", "FLASK_APP", "TRUSTED_PROXIES", "COOKIE_SECURE", "APP_URL", "SPIRAL_INSTANCE",
        "PROMETHEUS_MULTIPROC_DIR", "ENV_FILE", "TLS_CERT", "TLS_KEY", "HOST")}
    env.update(SPIRAL_RUN_DIR=str(run), HTTPS_PORT=str(port), HTTP_PORT=str(http_port), PG_PORT=str(pg_port),
               DEMO_STUDENTS="60", GUNICORN_WORKERS="4", SPIRAL_WORKERS="2",
               # Every process agrees on a mid-term Monday, whatever today is.
               SPIRAL_CLOCK_START=datetime.combine(TODAY, clock_time(10), ZoneInfo("Asia/Shanghai")).isoformat())
    output = open(run / "production.out", "wb")
    started = time.monotonic()
    script = subprocess.Popen(["bash", str(ROOT / "scripts/production.sh")], cwd=ROOT, env=env,
                              stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while not (run / "url").exists():
            if script.poll() is not None or time.monotonic() - started > 300:
                pytest.fail("production.sh did not get ready:\n" + (run / "production.out").read_text()[-4000:])
            time.sleep(0.5)
        accounts = {a["role"]: a for a in json.loads((run / "demo-accounts.json").read_text())}
        yield {"base": f"https://127.0.0.1:{port}", "port": port, "http_port": http_port, "run": run,
               "cert": str(run / "tls/cert.pem"), "accounts": accounts, "ready_seconds": time.monotonic() - started,
               "database": f"postgresql+psycopg://spiral:{(run / 'pg-password').read_text().strip()}@127.0.0.1:{pg_port}/spiral"}
    finally:
        script.send_signal(signal.SIGTERM)  # its trap stops nginx, the app's processes, Redis, PostgreSQL
        try:
            script.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(script.pid, signal.SIGKILL)
        output.close()
        shutil.rmtree(run, ignore_errors=True)


@pytest.fixture(scope="module")
def trusting_browser(production):
    """Chromium that trusts the script's self-signed certificate, by its key and nothing else.
    (ignore_https_errors is not enough: Chromium refuses to register a service worker from an
    origin whose certificate it had to ignore.)"""
    cert = x509.load_pem_x509_certificate(Path(production["cert"]).read_bytes())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(spki)
    pin = base64.b64encode(digest.finalize()).decode()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", f"--ignore-certificate-errors-spki-list={pin}"])
        yield chromium
        chromium.close()


def api_login(production, role: str) -> dict:
    account = production["accounts"][role]
    answer = requests.post(production["base"] + "/api/v1/auth/login", verify=production["cert"], timeout=30,
                           json={"username": account["username"], "password": account["password"]})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_a_head_teacher_scores_the_class_over_https_and_the_report_follows(production, trusting_browser):
    base = production["base"]
    context = trusting_browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                           locale="zh-CN")
    page = context.new_page()
    log_in(page, base, production["accounts"]["head_teacher"])
    expect(page.get_by_test_id("logout")).to_be_visible(timeout=30000)
    # The service worker registers over HTTPS and takes the page over after a reload.
    script_url = page.evaluate("""() => Promise.race([navigator.serviceWorker.ready.then((r) => r.active.scriptURL),
        new Promise((resolve) => setTimeout(() => resolve('no service worker within 30 s'), 30000))])""")
    assert script_url == base + "/sw.js"
    page.reload()
    expect(page.get_by_test_id("logout")).to_be_visible(timeout=30000)
    assert page.evaluate("navigator.serviceWorker.controller && navigator.serviceWorker.controller.scriptURL") == script_url

    headers = api_login(production, "head_teacher")
    roster = requests.get(base + "/api/v1/classes/1/students", headers=headers, verify=production["cert"]).json()
    rules = requests.get(base + "/api/v1/catalogue", headers=headers, verify=production["cert"]).json()["rules"]
    name = next(r["name_zh"] for r in rules if r["code"] == BATCH_POINT)

    page.goto(base + "/#/reports")
    academic = page.get_by_test_id("report-subtotal-academic")
    expect(academic).to_contain_text("项有数据", timeout=30000)
    scored = int(re.search(r"(\d+) / \d+ 项有数据", academic.inner_text()).group(1))
    assert name not in page.get_by_test_id("report-metrics").inner_text()

    page.goto(base + "/#/entry")
    expect(page.get_by_test_id("entry-screen")).to_be_visible(timeout=30000)
    page.get_by_test_id("grid-point").select_option(BATCH_POINT)
    # The grid is drawn again for the point (its range, its monthly periods) before it is filled.
    expect(page.get_by_test_id("grid-range")).to_contain_text("0–60")
    expect(page.get_by_test_id("grid-period").locator("option").first).to_contain_text("本月")
    page.get_by_placeholder("全部填为…").fill("4")
    page.get_by_test_id("fill-blank").click()
    page.get_by_test_id("grid-submit").click()
    expect(page.get_by_test_id("grid-result")).to_have_text(f"已保存 {len(roster)} 条。", timeout=30000)

    # The class's rollup is a job: the relay hands it to RQ and one of the two workers runs it.
    page.goto(base + "/#/reports")
    deadline = time.monotonic() + 90
    while True:
        expect(page.get_by_test_id("report-subtotal-academic")).to_contain_text("项有数据", timeout=30000)
        if f"{scored + 1} / " in page.get_by_test_id("report-subtotal-academic").inner_text():
            break
        assert time.monotonic() < deadline, "the class report did not show the batch within 90 s"
        page.wait_for_timeout(1000)
        page.reload()
    page.locator("summary", has_text="全部采分点").click()
    expect(page.get_by_test_id("report-metrics").locator("li", has_text=name)).to_contain_text(f"n={len(roster)}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(ARTIFACTS / "production-class-report-390x844.png"), full_page=True)
    context.close()


def test_nginx_compresses_caches_only_versioned_files_and_tags_each_request(production):
    base, cert = production["base"], production["cert"]
    page = requests.get(base + "/", verify=cert)
    assert "no-cache" in page.headers["Cache-Control"]
    version = re.search(r'src="/app/v([0-9a-f]{12})/app\.js"', page.text).group(1)
    versioned = f"{base}/app/v{version}/app.js"

    first = requests.get(versioned, verify=cert, headers={"Accept-Encoding": "gzip"})
    again = requests.get(versioned, verify=cert, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == again.status_code == 200
    assert {"public", "max-age=31536000", "immutable"} <= {d.strip() for d in again.headers["Cache-Control"].split(",")}
    assert again.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in again.headers["Vary"]
    assert again.headers["X-Cache-Status"] == "HIT"  # the second time from nginx's cache, not gunicorn
    assert again.text == first.text and "export" in again.text
    if Path("/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so").exists():
        assert requests.get(versioned, verify=cert, headers={"Accept-Encoding": "br, gzip"}).headers["Content-Encoding"] == "br"

    # The service worker, the page and unversioned files are revalidated every time, never kept by nginx.
    for path in ("/sw.js", "/app/app.js"):
        plain = requests.get(base + path, verify=cert, headers={"Accept-Encoding": "gzip"})
        assert plain.status_code == 200 and plain.headers["Content-Encoding"] == "gzip", path
        assert "no-cache" in plain.headers["Cache-Control"] and "immutable" not in plain.headers["Cache-Control"], path
        assert "X-Cache-Status" not in plain.headers, path
    for _ in range(2):  # a page from before a deploy: this version's file, but never kept under that URL
        stale = requests.get(f"{base}/app/v000000000000/app.js", verify=cert)
        assert "immutable" not in stale.headers["Cache-Control"] and stale.headers["X-Cache-Status"] != "HIT"

    # An API answer: compressed, never stored, the app's own policy once, and the request's id,
    # which nginx's JSON access log carries too.
    answer = requests.get(base + "/api/v1/catalogue", verify=cert,
                          headers={**api_login(production, "head_teacher"), "Accept-Encoding": "gzip"})
    assert answer.status_code == 200 and answer.headers["Content-Encoding"] == "gzip"
    assert answer.headers["Cache-Control"] == "no-store"
    assert len(answer.raw.headers.getlist("Content-Security-Policy")) == 1
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")  # COOKIE_SECURE=1
    request_id = answer.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    access_log = production["run"] / "log/nginx-access.log"
    # nginx writes the line once the request ends, which can be just after the client has the answer.
    wait_for(lambda: any(e["request_id"] == request_id and e["uri"] == "/api/v1/catalogue"
                         for e in map(json.loads, access_log.read_text().splitlines())), 5, "the request's log line")

    # HTTP/2 over TLS, and plain HTTP only redirects.
    version_used = subprocess.run(["curl", "-s", "--cacert", cert, "-o", "/dev/null", "-w", "%{http_version}",
                                   base + "/"], capture_output=True, text=True, check=True).stdout
    assert version_used == "2"
    plain = requests.get(f"http://127.0.0.1:{production['http_port']}/app/app.js?x=1", allow_redirects=False)
    assert plain.status_code == 301 and plain.headers["Location"] == f"{base}/app/app.js?x=1"


def test_the_app_believes_the_address_nginx_saw_not_the_one_a_client_wrote(production):
    # The client connects from 127.0.0.2 (loopback, but not nginx's own 127.0.0.1 towards gunicorn)
    # and claims 203.0.113.9 itself. A failed login is recorded under the address the throttle keys on.
    context = ssl.create_default_context(cafile=production["cert"])
    connection = http.client.HTTPSConnection("127.0.0.1", production["port"], context=context,
                                             source_address=("127.0.0.2", 0), timeout=30)
    connection.request("POST", "/api/v1/auth/login", body=json.dumps({"username": "xff-probe", "password": "wrong"}),
                       headers={"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9"})
    assert connection.getresponse().status == 401
    connection.close()
    engine = create_engine(production["database"])
    with engine.connect() as db:
        seen = db.execute(text("SELECT ip FROM login_failure WHERE username = 'xff-probe'")).scalars().all()
    engine.dispose()
    assert seen == ["127.0.0.2"]


def test_the_shipped_units_and_site_are_valid():
    """deploy/systemd as shipped parses, with every unit restarting and hardened. (nginx checks
    deploy/nginx/spiral.conf with `nginx -t` each time production.sh renders it, above.)"""
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    root = Path(tempfile.mkdtemp(prefix="spiral-units-"))
    try:
        (root / "usr/lib/systemd").mkdir(parents=True)
        shutil.copytree("/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
        units = root / "etc/systemd/system"
        shutil.copytree(ROOT / "deploy/systemd", units)
        venv = root / "opt/spiral/.venv/bin"
        venv.mkdir(parents=True)
        for program in ("gunicorn", "flask"):  # where the units expect the installed app
            (venv / program).write_text("#!/bin/sh\n")
            (venv / program).chmod(0o755)
        (root / "bin").mkdir()
        for program in ("/bin/sh", "/bin/kill"):
            shutil.copy(program, root / "bin")
        names = ["spiral-web.service", "spiral-worker@1.service", "spiral-worker@2.service",
                 "spiral-scheduler.service", "spiral-relay.service", "spiral-metrics.service", "spiral.target"]
        checked = subprocess.run(["systemd-analyze", "verify", f"--root={root}", *names], cwd=units,
                                 capture_output=True, text=True)
        assert checked.returncode == 0 and not checked.stderr.strip(), checked.stderr
        for name in names[:1] + names[3:5] + ["spiral-worker@.service"]:
            unit = (units / name).read_text()
            assert "Restart=always" in unit and "EnvironmentFile=/etc/spiral/spiral.env" in unit, name
            assert "User=spiral" in unit and "NoNewPrivileges=yes" in unit and "ProtectSystem=strict" in unit, name
            # Only the boot-time oneshot empties the metrics directory: a unit restarting alone keeps the others' counters.
            assert "Requires=spiral-metrics.service" in unit and "rm -rf" not in unit, name
    finally:
        shutil.rmtree(root, ignore_errors=True)
