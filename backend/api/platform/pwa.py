"""Serves the progressive web app and the offline Swagger UI assets.

The app's files are served twice: under `/app/v<version>/…`, where <version> is a digest of every
file in pwa/app, cached by browsers and proxies for a year (a changed file changes the version, so
the URL), and under `/app/…` without a version, revalidated on every use (offline.html, the
manifest's icons, bookmarks). index.html names the versioned app.js, so every module it imports
by a relative path inherits the version. The service worker's cache name and precache list are
written from the same files when /sw.js is asked for: nothing is kept by hand.
"""
import hashlib
import json
import re

from flask import Blueprint, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from backend.config import ROOT

bp = Blueprint("pwa", __name__)
PWA = ROOT / "pwa"
APP = PWA / "app"
YEAR = 31536000
VERSION = re.compile(r"[0-9a-f]{12}")
# Not part of the shell: the licence text ships beside the file it covers, nobody loads it.
NOT_PRECACHED = {".md"}

_shell_cache: dict = {}


def shell() -> tuple[str, list[str]]:
    """(version, app file paths relative to pwa/app): the digest of the files' names and contents,
    recomputed only when a file's size or modification time changes."""
    files = sorted(p for p in APP.rglob("*") if p.is_file())
    stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    if _shell_cache.get("stamp") != stamp:
        digest = hashlib.sha256()
        for path in files:
            digest.update(path.relative_to(APP).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        paths = [p.relative_to(APP).as_posix() for p in files if p.suffix not in NOT_PRECACHED]
        _shell_cache.update(stamp=stamp, value=(digest.hexdigest()[:12], paths))
    return _shell_cache["value"]


def _no_cache(response: Response) -> Response:
    response.cache_control.no_cache = True
    response.cache_control.max_age = 0
    return response


@bp.get("/")
def index():
    version, _ = shell()
    page = (PWA / "index.html").read_text(encoding="utf-8").replace('"/app/', f'"/app/v{version}/')
    return _no_cache(Response(page, mimetype="text/html"))


@bp.get("/sw.js")
def service_worker():
    # Served from the root so its scope covers the whole app; never cached by HTTP. A new version
    # makes a byte-different worker, which the browser installs and which drops the old cache.
    version, paths = shell()
    precache = ["/", "/manifest.webmanifest", "/app/offline.html", "/app/offline.js", "/app/style.css",
                "/app/icons/icon-192.png"] + [f"/app/v{version}/{p}" for p in paths]
    head = (f"const VERSION = {json.dumps('spiral-shell-' + version)};\n"
            f"const SHELL = {json.dumps(precache)};\n")
    response = _no_cache(Response(head + (PWA / "sw.js").read_text(encoding="utf-8"), mimetype="text/javascript"))
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    return send_from_directory(PWA, "manifest.webmanifest", mimetype="application/manifest+json", max_age=0)


@bp.get("/app/v<version>/<path:path>")
def versioned_assets(version, path):
    current, _ = shell()
    if not VERSION.fullmatch(version):  # a folder whose name starts with v, such as vendor/
        return assets(f"v{version}/{path}")
    if version != current:
        # A page from before a deploy asks for its files: this version's file is the nearest
        # there is, but it must not be kept under the old version's URL.
        return _no_cache(send_from_directory(APP, path, max_age=0))
    response = send_from_directory(APP, path, max_age=YEAR)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


@bp.get("/app/<path:path>")
def assets(path):
    return send_from_directory(APP, path, max_age=0)


@bp.get("/api/docs/assets/<path:path>")
def swagger_assets(path):
    return send_from_directory(swagger_ui_path, path)
