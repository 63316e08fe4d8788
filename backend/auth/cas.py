"""Campus sign-in through the college's unified identity system (统一身份认证), CAS 2.0 or 3.0.

The browser goes to the CAS server's /login with our service URL; the CAS server sends it back
with a one-time ticket, which the backend validates with the CAS server (serviceValidate, or
p3/serviceValidate for 3.0) for exactly that service URL. The user it names is matched by
student or staff number (`User.username`, any case) and gets Spiral's own session, the same as
a password login. python-cas builds the URLs and reads the success answer; the failure code
(INVALID_TICKET, INVALID_SERVICE, ...) is read here, since the library only says "no user".

A nonce (`state`) travels in the service URL and in a cookie set before the redirect: a ticket
that comes back to a browser that did not start this sign-in (a link planted by someone else,
logging the victim in as the attacker) is refused before it is validated.
"""
import hashlib
import secrets
from urllib.parse import urlencode
from xml.etree import ElementTree

import requests
from cas import CASClient, CASClientV3
from flask import current_app
from sqlalchemy import select

from backend.auth import sessions
from backend.extensions import db
from backend.models import AuthSession, User
from backend.platform import audit, clock

# What went wrong, as the PWA's error screen names it (pwa/app/cas.js says what to do for each).
REASONS = ("invalid_ticket", "wrong_service", "unknown_user", "inactive", "no_number", "unreachable",
           "state", "off")


class Refused(Exception):
    def __init__(self, reason: str, account: str | None = None, code: str | None = None):
        super().__init__(reason)
        self.reason, self.account, self.code = reason, account, code


class _TimedSession(requests.Session):
    """python-cas calls the CAS server with no timeout; a hung server must not hang a worker."""

    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


def enabled() -> bool:
    return bool(current_app.config["CAS_ENABLED"] and current_app.config["CAS_SERVER_URL"])


def _version() -> int:
    return 2 if str(current_app.config["CAS_VERSION"]).startswith("2") else 3


_NO_HTTP = object()  # building a URL calls nobody: no HTTP session to open (and leave open)


def _client(state: str | None = None, session=_NO_HTTP):
    config = current_app.config
    service = config["CAS_SERVICE_URL"]
    if state is not None:
        service += ("&" if "?" in service else "?") + urlencode({"state": state})
    server = config["CAS_SERVER_URL"].rstrip("/") + "/"  # urljoin keeps the /cas/ prefix only with it
    return CASClient(version=_version(), service_url=service, server_url=server,
                     session=_TimedSession(config["CAS_TIMEOUT"]) if session is None else session)


def new_state() -> str:
    return secrets.token_urlsafe(24)


def login_url(state: str) -> str:
    return _client(state).get_login_url()


def logout_url() -> str | None:
    """The CAS server's logout, coming back to the app: ending the campus session too is the
    user's choice (it signs them out of every campus system)."""
    return _client().get_logout_url(current_app.config["APP_URL"].rstrip("/") + "/") if enabled() else None


def _failure_code(raw: bytes) -> str | None:
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError:
        return None
    return next((e.get("code") for e in root.iter() if e.tag.endswith("authenticationFailure")), None)


def validate(ticket: str, state: str) -> str:
    """The student or staff number the CAS server vouches for with this ticket."""
    client = _client(state, session=None)
    try:
        raw = client.get_verification_response(ticket)
    except requests.RequestException as error:
        raise Refused("unreachable", code=type(error).__name__) from error
    finally:
        client.session.close()
    try:
        user, attributes, _ = client.verify_response(raw)
    except (ElementTree.ParseError, IndexError, AttributeError) as error:
        raise Refused("unreachable", code="not a CAS answer") from error
    if user is None:
        code = _failure_code(raw)
        raise Refused("wrong_service" if code == "INVALID_SERVICE" else "invalid_ticket", code=code)
    name = current_app.config["CAS_USER_ATTRIBUTE"]
    number = (attributes or {}).get(name) if name else user
    if isinstance(number, list):
        number = number[0] if number else None
    if not number or not number.strip():
        raise Refused("no_number", account=user, code=name)
    return number.strip()


def _refuse(refused: Refused, user: User | None = None) -> Refused:
    audit.record(None, "auth.cas_refused", "user" if user else "cas_account",
                 str(user.id) if user else (refused.account or "")[:64] or None,
                 {"reason": refused.reason, "account": refused.account, "code": refused.code})
    db.session.commit()
    return refused


def sign_in(ticket: str, state: str, user_agent: str | None) -> tuple[User, dict]:
    """A session for the user the ticket names. Nothing is created for a number Spiral does not
    know: accounts come from the roster, and a CAS user is not enrolled by signing in."""
    try:
        number = validate(ticket, state)
    except Refused as refused:
        raise _refuse(refused) from None
    user = sessions.find(number)
    if user is None:
        raise _refuse(Refused("unknown_user", account=number))
    if not user.is_active:
        raise _refuse(Refused("inactive", account=number), user)
    return user, sessions.start(user, "cas", user_agent, _ticket_hash(ticket))


def _ticket_hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def single_logout(logout_request: str) -> bool:
    """The CAS server's back-channel logout (a SAML LogoutRequest naming the service ticket the
    session began with): that session ends. Anyone can post here, but only a ticket, which never
    left the user's browser and the CAS server, names a session; no answer says whether it did."""
    if len(logout_request) > 16384 or "<!DOCTYPE" in logout_request.upper():
        return False  # a LogoutRequest is a few hundred bytes and declares no entities
    found = CASClientV3.get_saml_slos(logout_request.encode())
    ticket = (found[0].text or "").strip() if found else ""
    if not ticket:
        return False
    ended = False
    for session in db.session.scalars(select(AuthSession).where(AuthSession.cas_ticket == _ticket_hash(ticket),
                                                               AuthSession.revoked_at.is_(None))):
        session.revoked_at = clock.now()
        ended = True
    db.session.commit()
    return ended


def refused_state() -> Refused:
    """The ticket came back to a browser that did not start this sign-in, or too late."""
    return _refuse(Refused("state"))
