"""The app's files and answers on the wire (api/platform/pwa.py, flask-compress): versioned files
cached for a year, unversioned ones revalidated, the service worker's precache list written from
the files, and answers compressed with brotli or gzip without losing no-store or 304s."""
import gzip
import json
import re

import brotli
import pytest

from backend.api.platform import pwa
from tests.helpers import build_college, login

YEAR = "max-age=31536000"


def version_of(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return re.search(r'src="/app/v([0-9a-f]{12})/app\.js"', page).group(1)


def test_index_names_the_versioned_app_and_is_revalidated(client):
    response = client.get("/")
    assert response.status_code == 200 and "no-cache" in response.headers["Cache-Control"]
    page = response.get_data(as_text=True)
    version = version_of(client)
    assert f'href="/app/v{version}/style.css"' in page
    assert '"/app/app.js"' not in page  # nothing unversioned left to go stale in a cache


def test_versioned_files_are_kept_a_year_and_unversioned_ones_revalidated(client):
    version = version_of(client)
    kept = client.get(f"/app/v{version}/app.js")
    assert kept.status_code == 200 and kept.mimetype == "text/javascript"
    assert {"public", YEAR, "immutable"} <= {d.strip() for d in kept.headers["Cache-Control"].split(",")}
    for path in ("/app/app.js", "/app/vendor/chart.umd.min.js"):  # vendor/ is a folder, not a version
        plain = client.get(path)
        assert plain.status_code == 200, path
        assert "no-cache" in plain.headers["Cache-Control"] and "immutable" not in plain.headers["Cache-Control"]
    old = client.get("/app/v000000000000/app.js")  # a page from before a deploy
    assert old.status_code == 200 and "immutable" not in old.headers["Cache-Control"]
    assert client.get(f"/app/v{version}/nothing.js").status_code == 404


def test_the_version_changes_with_any_file(client, tmp_path, monkeypatch):
    before = version_of(client)
    copy = tmp_path / "app"
    copy.mkdir()
    for path in pwa.APP.glob("*.js"):
        (copy / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(pwa, "APP", copy)
    moved = version_of(client)
    (copy / "dom.js").write_text((copy / "dom.js").read_text() + "\n// changed\n")
    assert len({before, moved, version_of(client)}) == 3


def test_the_service_worker_precaches_every_file_of_this_version(client):
    version = version_of(client)
    response = client.get("/sw.js")
    assert "no-cache" in response.headers["Cache-Control"] and response.headers["Service-Worker-Allowed"] == "/"
    script = response.get_data(as_text=True)
    assert json.loads(re.search(r"^const VERSION = (.*);$", script, re.M).group(1)) == f"spiral-shell-{version}"
    shell = json.loads(re.search(r"^const SHELL = (.*);$", script, re.M).group(1))
    files = {p.relative_to(pwa.APP).as_posix() for p in pwa.APP.rglob("*") if p.is_file() and p.suffix != ".md"}
    assert {s.removeprefix(f"/app/v{version}/") for s in shell if s.startswith(f"/app/v{version}/")} == files
    assert {"/", "/app/offline.html", "/app/offline.js"} <= set(shell)
    for path in shell:
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize(("encoding", "decode"), [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_files_and_answers_are_compressed(client, encoding, decode):
    college = build_college(students=30)
    me = login(client, college["head_teacher"])
    version = version_of(client)
    asked = {"Accept-Encoding": f"{encoding}"}

    api = client.get("/api/v1/catalogue", headers={**me, **asked})
    assert api.headers["Content-Encoding"] == encoding and "Accept-Encoding" in api.headers["Vary"]
    assert api.headers["Cache-Control"] == "no-store"  # compressing changes nothing about caching
    assert json.loads(decode(api.data)) == client.get("/api/v1/catalogue", headers=me).json

    for path in ("/", f"/app/v{version}/vendor/chart.umd.min.js", "/app/style.css", "/sw.js"):
        response = client.get(path, headers=asked)
        assert response.headers["Content-Encoding"] == encoding, path
        assert decode(response.data) == client.get(path, headers={"Accept-Encoding": "identity"}).data, path

    js = client.get(f"/app/v{version}/app.js", headers=asked)
    assert YEAR in js.headers["Cache-Control"]
    again = client.get(f"/app/v{version}/app.js", headers={**asked, "If-None-Match": js.headers["ETag"]})
    assert again.status_code == 304


def test_a_client_that_asks_for_no_compression_gets_none(client):
    response = client.get("/", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in response.headers and b"<!doctype html>" in response.data
