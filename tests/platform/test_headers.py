"""Security headers (platform/headers.py): a strict CSP, nosniff, Referrer-Policy, no framing, HSTS
behind TLS, and no-store on the API's answers, on JSON, pages, downloads and errors alike."""
import base64
import hashlib
import re

import pytest

from backend.platform.headers import PWA_POLICY
from tests.conftest import make_app
from tests.helpers import assert_problem, build_college, login


@pytest.fixture
def college(app):
    return build_college(students=30)


def directives(response) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {d.strip().split(" ", 1)[0]: (d.strip() + " ").split(" ", 1)[1].strip()
            for d in policy.split(";") if d.strip()}


def assert_common(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert directives(response)["frame-ancestors"] == "'none'"


def test_authenticated_json_is_never_stored_and_never_a_page(client, college):
    me = login(client, college["student"])
    for path in ("/api/v1/me", "/api/v1/me/plans", "/api/v1/notifications"):
        response = client.get(path, headers=me)
        assert response.status_code == 200, path
        assert_common(response)
        assert response.headers["Cache-Control"] == "no-store", path
        policy = directives(response)
        assert policy["default-src"] == "'none'" and "sandbox" in policy
    # the login answer carries tokens; an error answer too is never stored
    answer = client.post("/api/v1/auth/login", json={"username": college["student"]["username"],
                                                     "password": college["student"]["password"]})
    assert answer.headers["Cache-Control"] == "no-store"
    refused = client.get("/api/v1/me")
    assert_problem(refused, 401)
    assert_common(refused)
    assert refused.headers["Cache-Control"] == "no-store"


def test_the_pwa_runs_under_a_strict_policy(client):
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert_common(page)
    assert page.headers["Content-Security-Policy"] == PWA_POLICY
    policy = directives(page)
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in page.headers["Content-Security-Policy"]
    assert (policy["object-src"], policy["base-uri"]) == ("'none'", "'none'")
    # the shell has no inline script and no inline style or handler to allow
    for path in ("/", "/app/offline.html"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\s(style|on[a-z]+)\s*=", html), path
    # static files keep their own caching (revalidated, not refused to caches)
    for path in ("/app/app.js", "/sw.js", "/manifest.webmanifest"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" not in response.headers.get("Cache-Control", ""), path


def test_the_api_docs_allow_their_one_inline_script_by_hash_only(client):
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert_common(docs)
    scripts = re.findall(r"<script>(.*?)</script>", docs.get_data(as_text=True), re.S)
    assert scripts
    policy = directives(docs)
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"]
    assert "unsafe-inline" not in policy["script-src"]
    # the looser policy is the docs' only
    assert client.get("/").headers["Content-Security-Policy"] == PWA_POLICY


def test_downloads_of_personal_data_are_not_stored(client, college):
    head = login(client, college["head_teacher"])
    for path in ("/api/v1/classes/1/scoring-sheet?point=S-A-09", "/api/v1/reports/class/1/export?format=csv",
                 "/api/v1/reports/class/1/export?format=xlsx"):
        response = client.get(path, headers=head)
        assert response.status_code == 200, path
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert_common(response)
        assert response.headers["Cache-Control"] == "no-store", path


def test_hsts_only_when_cookies_are_https_only(client, database, redis_server, monkeypatch, tmp_path):
    assert "Strict-Transport-Security" not in client.get("/").headers
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    monkeypatch.setenv("COOKIE_SECURE", "1")
    url, drop = database["fresh"]()
    try:
        behind_tls = make_app(url, tmp_path, redis_server.url).test_client()
        for path in ("/", "/api/v1/me", "/healthz", "/app/app.js"):
            hsts = behind_tls.get(path).headers.get("Strict-Transport-Security", "")
            assert re.fullmatch(r"max-age=(\d+); includeSubDomains", hsts), path
            assert int(hsts.split("=")[1].split(";")[0]) >= 365 * 86400
    finally:
        drop()
