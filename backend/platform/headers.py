"""Security headers on every response, set in one after_request hook.

- **Content-Security-Policy.** The PWA runs under a strict policy: scripts, styles, workers and the
  manifest from this origin only, no inline script or style attribute, no plugins, no <base>, and no
  framing (`frame-ancestors 'none'`, with `X-Frame-Options: DENY` for older browsers). API answers
  are never pages: they get `default-src 'none'` and `sandbox`, so a browser tricked into rendering
  one (an attachment, an error) runs nothing in this origin. The Swagger UI at /api/docs is the one
  page with an inline script (flask-smorest's template); its policy allows that script by its
  SHA-256 hash, computed from the page as served, and inline styles, on that path only.
- **X-Content-Type-Options: nosniff** everywhere: a file is what its Content-Type says.
- **Referrer-Policy: no-referrer**: no URL of the app leaves it in a Referer header.
- **Strict-Transport-Security** (one year, subdomains) only when cookies are HTTPS-only
  (`COOKIE_SECURE=1`, i.e. the app sits behind TLS): over plain HTTP it would mean nothing.
- **Cache-Control: no-store** on every answer under /api/v1/ (personal JSON, downloads, tokens):
  no proxy, shared computer or browser cache keeps a copy. The PWA keeps its offline copy itself,
  per user, in IndexedDB. Static files keep their own caching.
"""
import base64
import hashlib
import re

from flask import Flask, Response, current_app, request

PWA_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
              "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; "
              "form-action 'self'; frame-ancestors 'none'")
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox"
# Swagger UI: its inline bootstrap script by hash (added per response), its inline styles, its
# data: images; nothing from elsewhere (the assets are served from this origin, offline).
DOCS_POLICY = ("default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
               "form-action 'self'; frame-ancestors 'none'")
HSTS = "max-age=31536000; includeSubDomains"
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def register(app: Flask) -> None:
    app.after_request(secure)


def _docs_policy(response: Response) -> str:
    hashes = ""
    if response.mimetype == "text/html" and not response.direct_passthrough:
        for script in INLINE_SCRIPT.findall(response.get_data(as_text=True)):
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            hashes += f" 'sha256-{digest}'"
    return DOCS_POLICY.format(hashes=hashes)


def secure(response: Response) -> Response:
    path = request.path
    headers = response.headers
    if path == "/api/docs" or path.startswith("/api/docs/"):
        policy = _docs_policy(response)
    elif path.startswith("/api/"):
        policy = API_POLICY
    else:
        policy = PWA_POLICY
    headers.setdefault("Content-Security-Policy", policy)  # an endpoint may set a stricter one
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if current_app.config.get("JWT_COOKIE_SECURE"):
        headers["Strict-Transport-Security"] = HSTS
    if path.startswith("/api/v1/"):
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    return response
