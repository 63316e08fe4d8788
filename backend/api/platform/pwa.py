"""Serves the progressive web app and the offline Swagger UI assets."""
from flask import Blueprint, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from backend.config import ROOT

bp = Blueprint("pwa", __name__)
PWA = ROOT / "pwa"


@bp.get("/")
def index():
    return send_from_directory(PWA, "index.html", max_age=0)


@bp.get("/sw.js")
def service_worker():
    # Served from the root so its scope covers the whole app; never cached by HTTP.
    response = send_from_directory(PWA, "sw.js", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    return send_from_directory(PWA, "manifest.webmanifest", mimetype="application/manifest+json", max_age=0)


@bp.get("/app/<path:path>")
def assets(path):
    return send_from_directory(PWA / "app", path, max_age=0)


@bp.get("/api/docs/assets/<path:path>")
def swagger_assets(path):
    return send_from_directory(swagger_ui_path, path)
