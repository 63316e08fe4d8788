"""A small CAS server on loopback (the college's real one cannot be reached from here), following
the CAS Protocol 3.0 specification (apereo.github.io/cas/.../CAS-Protocol-Specification.html):

- GET /login?service=URL: the user `next_user` (with `attributes`) is already signed in at the
  CAS server, so it issues a service ticket bound to that service and redirects to it with
  `ticket=ST-...` appended (§2.1). `login_page=True` instead answers a form to sign in with.
- GET /serviceValidate and /p3/serviceValidate?service=URL&ticket=ST-... (§2.5, §2.6): the
  XML answer, attributes only from /p3/ (3.0). A ticket is good for one validation attempt,
  successful or not (§3.1.1): a second one is INVALID_TICKET; another service than the one the
  ticket was issued for is INVALID_SERVICE; a missing parameter INVALID_REQUEST.
- GET /logout?service=URL (§2.3): ends the CAS session (recorded) and goes back to the service;
  with `send_slo`, first POSTs a SAML LogoutRequest naming each validated ticket to its service
  (§2.3.3, Appendix C: single logout).
"""
import secrets
import threading
import urllib.request
import uuid
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.sax.saxutils import escape as xml

NS = "http://www.yale.edu/tp/cas"


class CasServer:
    def __init__(self):
        self.next_user = "nobody"
        self.attributes: dict[str, str] = {}
        self.login_page = False
        self.tickets: dict[str, dict] = {}  # ticket → {"service", "user", "attributes", "used"}
        self.validations: list[dict] = []  # every validation request: path, service, ticket, answer code
        self.logouts: list[str | None] = []
        self.send_slo = False
        self.signed_in: list[tuple[str, str]] = []  # (service, ticket) validated, not yet logged out
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _send(self, status: int, body: str = "", ctype: str = "text/html; charset=utf-8", location=None):
                data = body.encode()
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/cas/login":
                    service = query.get("service")
                    if not service:
                        return self._send(200, "<h1>CAS</h1><p>Signed in.</p>")
                    if server.login_page:
                        return self._send(200, f"<form action='/cas/login-as'><input name='service' type='hidden' "
                                               f"value='{escape(service)}'><input name='username' id='cas-username'>"
                                               "<button id='cas-submit'>登录</button></form>")
                    return self._send(302, location=server.issue(service, server.next_user))
                if url.path == "/cas/login-as":
                    return self._send(302, location=server.issue(query["service"], query["username"]))
                if url.path in ("/cas/serviceValidate", "/cas/p3/serviceValidate"):
                    body = server.validate(url.path, query.get("service"), query.get("ticket"))
                    return self._send(200, body, "application/xml; charset=utf-8")
                if url.path == "/cas/logout":
                    with server.lock:
                        server.logouts.append(query.get("service"))
                        signed_in, server.signed_in = server.signed_in, []
                    if server.send_slo:
                        for service, ticket in signed_in:
                            server.post_logout(service, ticket)
                    if query.get("service"):
                        return self._send(302, location=query["service"])
                    return self._send(200, "<h1>CAS</h1><p>Signed out.</p>")
                return self._send(404, "not found")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/cas"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def issue(self, service: str, user: str) -> str:
        """A service ticket for `user` bound to `service`; the URL the browser is sent back to."""
        ticket = "ST-" + secrets.token_urlsafe(18)
        with self.lock:
            self.tickets[ticket] = {"service": service, "user": user, "attributes": dict(self.attributes), "used": False}
        return service + ("&" if "?" in service else "?") + urlencode({"ticket": ticket})

    def validate(self, path: str, service: str | None, ticket: str | None) -> str:
        with self.lock:
            found = self.tickets.get(ticket or "")
            if not service or not ticket:
                code, text = "INVALID_REQUEST", "service and ticket are required"
            elif found is None:
                code, text = "INVALID_TICKET", f"Ticket {ticket} not recognized"
            elif found["used"]:
                code, text = "INVALID_TICKET", f"Ticket {ticket} already used"
            elif found["service"] != service:
                code, text = "INVALID_SERVICE", f"Ticket {ticket} does not match supplied service"
            else:
                code, text = None, None
            if found is not None:
                found["used"] = True  # one validation attempt per ticket, whatever its outcome
            self.validations.append({"path": path, "service": service, "ticket": ticket, "code": code or "OK"})
            if not code:
                self.signed_in.append((service, ticket))
        if code:
            return (f'<cas:serviceResponse xmlns:cas="{NS}"><cas:authenticationFailure code="{code}">'
                    f"{xml(text)}</cas:authenticationFailure></cas:serviceResponse>")
        attributes = ""
        if path.startswith("/cas/p3/") and found["attributes"]:
            attributes = "<cas:attributes>" + "".join(
                f"<cas:{k}>{xml(v)}</cas:{k}>" for k, v in found["attributes"].items()) + "</cas:attributes>"
        return (f'<cas:serviceResponse xmlns:cas="{NS}"><cas:authenticationSuccess>'
                f"<cas:user>{xml(found['user'])}</cas:user>{attributes}"
                "</cas:authenticationSuccess></cas:serviceResponse>")

    @staticmethod
    def logout_request(ticket: str) -> str:
        return ('<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
                f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="LR-{uuid.uuid4()}" Version="2.0" '
                'IssueInstant="2026-11-23T02:00:00Z"><saml:NameID>@NOT_USED@</saml:NameID>'
                f"<samlp:SessionIndex>{xml(ticket)}</samlp:SessionIndex></samlp:LogoutRequest>")

    def post_logout(self, service: str, ticket: str) -> None:
        data = urlencode({"logoutRequest": self.logout_request(ticket)}).encode()
        try:
            urllib.request.urlopen(urllib.request.Request(service, data=data), timeout=5).close()
        except OSError:
            pass  # a service that is gone: the CAS server does not retry

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
